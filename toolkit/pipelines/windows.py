"""Vectorised sliding windows over a series: strided views, no Python loop over samples."""

from __future__ import annotations

import numpy as np

from toolkit.errors import UsageError


def check_window_horizon(window: int, horizon: int) -> None:
    """Raise :class:`UsageError` unless both are positive integers."""
    for flag, value in (("window", window), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise UsageError(f"{flag} must be a positive whole number of steps. Received: {flag}={value!r}")


def window_count(n: int, window: int, horizon: int) -> int:
    """Number of (window, target) pairs a series of ``n`` steps yields."""
    return max(n - window - horizon + 1, 0)


def sliding_windows(
    values: np.ndarray, window: int, horizon: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """All input windows of a series and the index of each window's target.

    Sample ``i`` sees steps ``i .. i + window - 1`` and targets step
    ``i + window + horizon - 1``, so every input step is strictly before its target.

    Args:
        values: Array of shape ``(n,)`` or ``(n, features)``.
        window: Steps in each input window.
        horizon: Steps from the last input to the target. Defaults to 1 (the next step).

    Returns:
        ``windows`` of shape ``(m, window, features)``, a read-only strided view of
        ``values`` (no copy), and ``target_index`` of shape ``(m,)``, where
        ``m = n - window - horizon + 1``.
    """
    check_window_horizon(window, horizon)
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    m = window_count(len(values), window, horizon)
    if m == 0:
        return np.empty((0, window, values.shape[1]), values.dtype), np.empty(0, dtype=np.int64)
    # sliding_window_view puts the window axis last: (n - window + 1, features, window).
    view = np.lib.stride_tricks.sliding_window_view(values[: m + window - 1], window, axis=0)
    windows = view.transpose(0, 2, 1)
    target_index = np.arange(m, dtype=np.int64) + window + horizon - 1
    return windows, target_index
