"""The learning-rate range test: one short run at an exponentially growing rate, loss against rate.

Singaravelu's notes ("Setting the Learning Rate"): a small rate converges slowly, a large one
overshoots and diverges. Smith ("Cyclical Learning Rates for Training Neural Networks",
WACV 2017, section 3.3) turned that into a test: train for a few hundred batches while the
rate grows from tiny to huge, and read off the range where the loss falls fastest. The
suggestion here is the usual rule (fastai's ``lr_find``): a tenth of the rate at which the
smoothed loss is lowest, since the minimum itself sits at the edge of divergence.

One change from fastai, measured (``bench/bench_lectures.py``): the minimum is read from a
centred moving average one decade of rates wide, not from the exponential average that
decides when to stop. That average trails the batch losses by 1 / (1 - 0.98) = 49 batches,
four decades of rate at 100 batches over eight, so its minimum comes late: on the stacked
LSTM its suggestions sat 0.7 to 1.1 decades above the rate that trained best in a sweep, the
centred average's within 0.33 (six seeds); on the digits CNN both stay within 0.63.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np


@dataclass
class LRRangeResult:
    """Rates tried and the loss of each batch.

    Attributes:
        rates: Learning rate of each batch, increasing.
        losses: Training loss of each batch (before its update).
        smoothed: Centred moving average of the losses over one decade of rates.
        suggested: A tenth of the rate of the lowest smoothed loss (the first tenth of the
            batches, where nothing has been learnt yet, left out).
        lowest_loss_rate: That rate of the lowest smoothed loss.
        stopped: Why the test ended: ``"diverged"`` (the exponential moving average of the
            losses above ``diverge`` times its best) or ``"max_lr"``.
        notes: Why the suggestion may mislead (the loss still falling at ``max_lr``, or
            lowest within a decade of ``min_lr``); each is also issued as a ``UserWarning``.
    """

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested: float
    lowest_loss_rate: float
    stopped: str
    notes: list[str] = field(default_factory=list)

    def figure(self, title: str = "learning-rate range test"):
        """Loss against rate (log axis), the suggested rate marked; a matplotlib Figure."""
        from toolkit.reports.lecture_plots import lr_range_figure

        return lr_range_figure(self, title)


def _number(name, value, low=0.0):
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= low:
        raise ValueError(f"`{name}` must be a finite number above {low:g}. Received: {name}={value!r}")
    return float(value)


def _whole(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"`{name}` must be a whole number of at least {low}. Received: {name}={value!r}")
    return int(value)


def training_rows(x, y) -> int:
    """Rows of ``x`` (an array, or a dict of arrays of one length) and ``y`` (one array), checked
    real, finite and as many; a one-line ValueError otherwise."""
    if isinstance(x, dict):
        if not x:
            raise ValueError("`x` is an empty dict; give an array or a dict of the model's input arrays")
        lengths = {key: len(np.asarray(value)) if np.ndim(value) else 0 for key, value in x.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"the arrays of `x` must have one number of rows. Received: {lengths}")
        parts = [np.asarray(value) for value in x.values()]
    elif isinstance(x, (list, tuple)):
        raise ValueError("`x` must be an array or a dict of arrays (name the inputs of a multi-input model). "
                         f"Received: a {type(x).__name__} of {len(x)}")
    else:
        parts = [np.asarray(x)]
    if isinstance(y, (dict, list, tuple)):
        raise ValueError(f"`y` must be one array: models of several outputs are not supported. "
                         f"Received: a {type(y).__name__}")
    parts.append(np.asarray(y))
    for part in parts:
        if part.ndim == 0:
            raise ValueError(f"`x` and `y` must be arrays with a row per example. Received: a scalar {part!r}")
        if part.dtype.kind not in "biuf":
            raise ValueError(f"`x` and `y` must be real numbers. Received: dtype {part.dtype}")
        if not np.isfinite(part).all():
            raise ValueError("`x` and `y` must be finite; remove or fill the missing values first")
    n, m = len(parts[0]), len(parts[-1])
    if n == 0 or n != m:
        raise ValueError(f"`x` and `y` must hold the same number (>= 1) of rows. Received: {n} and {m}")
    return n


def _check(model, x, y, min_lr, max_lr, steps, batch_size, smoothing, diverge, seed):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: {type(model).__name__}")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError("`model` must be compiled; call model.compile(optimizer=..., loss=...) first")
    rate = model.optimizer._learning_rate
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule) or not hasattr(rate, "assign"):
        raise ValueError("the model's optimizer follows a learning-rate schedule or function; compile it with a "
                         "plain rate for the range test")
    min_lr, max_lr = _number("min_lr", min_lr), _number("max_lr", max_lr)
    if max_lr < 10 * min_lr:
        raise ValueError(f"`max_lr` must be at least 10 times `min_lr`: the test reads a curve over decades of rate. "
                         f"Received: min_lr={min_lr}, max_lr={max_lr}")
    steps, batch_size = _whole("steps", steps, 10), _whole("batch_size", batch_size)
    if isinstance(smoothing, bool) or not isinstance(smoothing, Real) or not 0 <= smoothing < 1:
        raise ValueError(f"`smoothing` must lie in [0, 1). Received: smoothing={smoothing!r}")
    diverge = _number("diverge", diverge, low=1.0)
    seed = _whole("seed", seed, 0)
    n = training_rows(x, y)
    if batch_size > n:
        raise ValueError(f"`batch_size` must not exceed the {n} rows of data. Received: batch_size={batch_size}")
    return n, min_lr, max_lr, steps, batch_size, float(smoothing), diverge, seed


def lr_range_test(model, x, y, *, min_lr: float = 1e-7, max_lr: float = 10.0, steps: int = 100,
                  batch_size: int = 32, smoothing: float = 0.98, diverge: float = 4.0, seed: int = 0,
                  restore: bool = True) -> LRRangeResult:
    """Smith's learning-rate range test on a compiled Keras model, any backend.

    Trains ``steps`` batches (drawn in a seeded order, cycling through the data) with the
    optimiser's rate set to ``min_lr * (max_lr / min_lr) ** (i / (steps - 1))`` at batch i,
    recording each batch's loss; stops early once an exponential average of the losses
    exceeds ``diverge`` times its lowest value. With ``restore`` the weights and the
    optimiser's state and rate are put back afterwards, so the model is as it was.

    Args:
        model: A compiled ``keras.Model`` with an optimiser at a plain (unscheduled) rate.
        x: Training inputs, ``(n, ...)`` (or a dict of arrays for a multi-input model).
        y: Training targets, one array ``(n, ...)``.
        min_lr: First rate. Defaults to 1e-7.
        max_lr: Last rate, at least 10 times ``min_lr``. Defaults to 10.
        steps: Batches, at least 10. Defaults to 100.
        batch_size: At most the rows of data. Defaults to 32.
        smoothing: Weight of the exponential moving average that decides divergence
            (0 = none; fastai's 0.98). Defaults to 0.98.
        diverge: Stop once that average exceeds this many times its best. Defaults to 4.
        seed: Order of the batches. Defaults to 0.
        restore: Put the weights and optimiser back afterwards. Defaults to True.

    Returns:
        An :class:`LRRangeResult`; ``result.figure()`` draws it.

    Raises:
        TypeError: For something that is not a Keras model.
        ValueError: For an uncompiled model, a scheduled rate, bounds less than a decade apart,
            a batch larger than the data, lists of arrays or several outputs, mismatched or
            non-finite data, or a loss that diverges within the first tenth of the batches.

    Example:
        >>> import numpy as np
        >>> from toolkit.builders import mlp_regressor
        >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
        >>> result = lr_range_test(mlp_regressor(), x, x.sum(1), steps=30, max_lr=1.0)
        >>> 1e-7 <= result.suggested <= 1.0
        True
    """
    n, min_lr, max_lr, steps, batch_size, smoothing, diverge, seed = _check(
        model, x, y, min_lr, max_lr, steps, batch_size, smoothing, diverge, seed)
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    weights = [np.array(v) for v in model.weights] if restore else None
    state = [np.array(v) for v in optimizer.variables] if restore else None
    rates = min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))
    order = np.random.default_rng(seed).permutation(n)
    x = {k: np.asarray(v) for k, v in x.items()} if isinstance(x, dict) else np.asarray(x)
    y = np.asarray(y)
    pick = (lambda rows: {k: v[rows] for k, v in x.items()}) if isinstance(x, dict) else (lambda rows: x[rows])
    losses, average, best, stopped = [], 0.0, math.inf, "max_lr"
    try:
        for i, rate in enumerate(rates):
            start = (i * batch_size) % n
            rows = order[np.arange(start, start + batch_size) % n]
            optimizer.learning_rate.assign(float(rate))
            logs = model.train_on_batch(pick(rows), y[rows], return_dict=True)
            loss = float(logs["loss"])
            losses.append(loss)
            average = smoothing * average + (1 - smoothing) * loss
            value = average / (1 - smoothing ** (i + 1))
            # diverge times the best for a positive loss; as far above it for a negative one (an NLL)
            if not math.isfinite(value) or value > best + (diverge - 1) * abs(best):
                stopped = "diverged"
                break
            best = min(best, value)
    finally:
        if restore:
            for variable, value in zip(model.weights, weights):
                variable.assign(value)
            for variable, value in zip(optimizer.variables, state):
                variable.assign(value)
    rates = rates[: len(losses)]
    if stopped == "diverged" and len(losses) <= max(1, steps // 10):
        raise ValueError(f"the loss diverged within the first tenth of the batches (by rate {rates[-1]:.2g}, "
                         f"losses {', '.join(f'{v:.3g}' for v in losses[-3:])}); check the data for extreme or "
                         f"missing values, or lower min_lr. Received: min_lr={min_lr}")
    smooth = centred_average(np.asarray(losses), _per_decade(steps, min_lr, max_lr))
    skip = min(len(smooth) - 1, steps // 10)
    finite = np.where(np.isfinite(smooth), smooth, np.inf)
    lowest = skip + int(np.argmin(finite[skip:]))
    notes = []
    if stopped == "max_lr" and lowest >= len(rates) - 2:
        notes.append(f"the loss was still falling at max_lr ({max_lr:g}): the suggestion may be too low; "
                     "raise max_lr")
    if rates[lowest] / 10 < min_lr:
        notes.append(f"the lowest loss came within a decade of min_lr ({min_lr:g}), so the suggestion is min_lr "
                     "itself; lower min_lr")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return LRRangeResult(rates=rates, losses=np.asarray(losses), smoothed=smooth,
                         suggested=float(max(rates[lowest] / 10, min_lr)),
                         lowest_loss_rate=float(rates[lowest]), stopped=stopped, notes=notes)


def _per_decade(steps: int, min_lr: float, max_lr: float) -> int:
    """Batches per decade of rate, made odd, from 3 to ``steps``: the centred window's width."""
    width = min(steps, max(3, int(round((steps - 1) / math.log10(max_lr / min_lr)))))
    return width + 1 - width % 2


def centred_average(values: np.ndarray, width: int) -> np.ndarray:
    """Mean of the finite values within ``width // 2`` places either side (fewer at the ends).

    Example:
        >>> centred_average(np.array([1.0, 2, 3, 4, np.inf]), 3).tolist()
        [1.5, 2.0, 3.0, 3.5, 4.0]
    """
    finite = np.isfinite(values)
    padded = np.pad(np.where(finite, values, 0.0), width // 2)
    counts = np.convolve(np.pad(finite.astype(float), width // 2), np.ones(width), "valid")
    sums = np.convolve(padded, np.ones(width), "valid")
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
