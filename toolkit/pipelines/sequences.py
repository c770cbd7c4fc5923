"""Input/output records cut for sequence training, as the system-identification notes teach.

Given a record u(0..T-1), y(0..T-1), a recurrent network can be unfolded over the whole
record (one sample of T steps) or over sub-sequences of length L << T, overlapping or
not, batched together. Each sub-sequence starts from a zero state, so its first steps are
a warm-up: their outputs are wrong for reasons the weights cannot fix, and the notes skip
them. Here they get a sample weight of 0, so Keras's per-step loss ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Subsequences:
    """Sequences ready for ``model.fit(inputs, targets, sample_weight=weights)``.

    Attributes:
        inputs: ``(n, length, n_inputs)`` float32.
        targets: ``(n, length, n_outputs)`` float32.
        weights: ``(n, length)`` float32: 0 on the warm-up steps, 1 elsewhere.
        starts: ``(n,)`` index in the record of each sequence's first step.
        length: Steps per sequence.
        warmup: Leading steps of each sequence left out of the loss.
        dropped: Steps at the record's end that no sequence covers (when ``stride``
            does not divide ``T - length``).
    """

    inputs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    starts: np.ndarray
    length: int
    warmup: int
    dropped: int

    def __len__(self) -> int:
        return len(self.starts)


def _as_channels(name: str, values) -> np.ndarray:
    values = np.asarray(values, dtype="float32")
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or len(values) == 0:
        raise ValueError(f"`{name}` must be a non-empty record of shape (steps,) or (steps, channels). "
                         f"Received: shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"`{name}` holds NaN or infinite values; clean the record first.")
    return values


def subsequences(u, y, length: int | None = None, stride: int | None = None, warmup: int = 0) -> Subsequences:
    """Cut a record into sequences of ``length`` steps every ``stride`` steps.

    Args:
        u: Inputs, ``(T,)`` or ``(T, n_inputs)``.
        y: Outputs, ``(T,)`` or ``(T, n_outputs)``, aligned with ``u``.
        length: Steps per sequence; None unfolds the whole record as one sequence.
            Defaults to None.
        stride: Steps between sequence starts: ``length`` for back-to-back sequences,
            less for overlapping ones. Defaults to None (``length``).
        warmup: Leading steps of every sequence excluded from the loss (weight 0).
            Defaults to 0.

    Returns:
        The :class:`Subsequences` (strided copies: no Python loop over sequences).

    Example:
        >>> import numpy as np
        >>> cut = subsequences(np.arange(10), np.arange(10), length=4, stride=2, warmup=1)
        >>> cut.inputs.shape, cut.starts.tolist(), cut.weights[0].tolist()
        ((4, 4, 1), [0, 2, 4, 6], [0.0, 1.0, 1.0, 1.0])
    """
    u = _as_channels("u", u)
    y = _as_channels("y", y)
    if len(u) != len(y):
        raise ValueError(f"u and y must have the same number of steps. Received: {len(u)} and {len(y)}")
    total = len(u)
    length = total if length is None else length
    stride = length if stride is None else stride
    for name, value in (("length", length), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be a positive whole number of steps. Received: {name}={value!r}")
    if length > total:
        raise ValueError(f"`length` must not exceed the record's {total} steps. Received: length={length}")
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or not 0 <= warmup < length:
        raise ValueError(f"`warmup` must be a whole number from 0 to length - 1 = {length - 1}, leaving steps "
                         f"to learn from. Received: warmup={warmup!r}")
    starts = np.arange(0, total - length + 1, stride, dtype=np.int64)
    index = starts[:, None] + np.arange(length)
    weights = np.ones((len(starts), length), dtype="float32")
    weights[:, :warmup] = 0.0
    return Subsequences(inputs=u[index], targets=y[index], weights=weights, starts=starts, length=int(length),
                        warmup=int(warmup), dropped=int(total - (starts[-1] + length)))
