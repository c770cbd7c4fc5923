"""Lagged regressors for the lag-based recurrent models and NARX (strided, no loops)."""

from __future__ import annotations

import numpy as np

from toolkit.pipelines.windows import sliding_windows


def lagged_samples(series: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(m, lags, 1)`` of the ``lags`` previous values and the next value ``(m,)``.

    Sample ``i`` holds ``series[i : i + lags]`` and targets ``series[i + lags]``.
    """
    series = np.asarray(series, dtype="float32").reshape(-1)
    windows, target_index = sliding_windows(series, lags, 1)
    return np.ascontiguousarray(windows), series[target_index]


def narx_regressors(y: np.ndarray, u: np.ndarray, na: int, nb: int, dtype: str = "float32") -> tuple[dict, np.ndarray]:
    """NARX regressors: ``y(k-1..k-na)`` and ``u(k..k-nb)`` for every usable ``k``.

    Args:
        y: Output series, shape ``(n,)``.
        u: Exogenous input series, shape ``(n,)``.
        na: Output lags (at least 1).
        nb: Input lags beyond ``u(k)`` (0 or more).
        dtype: Of the arrays returned (``"float64"`` for least squares). Defaults to ``"float32"``.

    Returns:
        ``{"y_lags": (m, na), "u_lags": (m, nb + 1)}`` with the most recent lag first,
        and the targets ``y(k)`` of shape ``(m,)``, for ``k = max(na, nb) .. n - 1``.
    """
    y = np.asarray(y, dtype=dtype).reshape(-1)
    u = np.asarray(u, dtype=dtype).reshape(-1)
    if len(y) != len(u):
        raise ValueError(f"y and u must have the same length. Received: len(y)={len(y)}, len(u)={len(u)}")
    if na < 1 or nb < 0:
        raise ValueError(f"need na >= 1 and nb >= 0. Received: na={na}, nb={nb}")
    start = max(na, nb)
    k = np.arange(start, len(y))
    y_lags = y[k[:, None] - np.arange(1, na + 1)]
    u_lags = u[k[:, None] - np.arange(0, nb + 1)]
    return {"y_lags": y_lags, "u_lags": u_lags}, y[k]
