"""Conformal prediction intervals for any point forecaster, from its own held-out residuals.

Scores are scale-free: the absolute log error of a price forecast divided by the volatility
known at the forecast's origin (an exponentially weighted average of past squared daily log
returns, RiskMetrics' lambda = 0.94),

    s = |log(y / yhat)| / sigma_origin,

so a calibration set from a calm period still yields honest bands in a turbulent one.
An interval is ``yhat * exp(+-q * sigma_origin)`` for the score quantile ``q`` at the level.

Two ways of choosing ``q``, both per step ahead:

* :func:`split_conformal`: the finite-sample quantile of the calibration scores, the
  ``ceil((n + 1) * level)``-th smallest (Vovk et al., 2005; Lei et al., 2018), which covers
  at least ``level`` when scores are exchangeable.
* :func:`adaptive_conformal`: adaptive conformal inference (Gibbs and Candes, 2021). The
  miscoverage target ``alpha_t`` moves after every observed error,
  ``alpha <- alpha + gamma * (alpha* - miss)``, and the scores are the newest ``n``
  known ones, so coverage survives drift. A forecast made at origin ``o`` for row ``o + h``
  only learns its own outcome at row ``o + h``: each forecast uses only scores and misses
  of targets already observed at its origin.

Pure NumPy; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

EWMA_LAMBDA = 0.94
ACI_GAMMA = 0.005
MIN_SIGMA = 1e-12


def ewma_volatility(prices, lam: float = EWMA_LAMBDA) -> np.ndarray:
    """Volatility of daily log returns known at each row, shape ``(n,)``.

    Row ``t`` uses returns up to and including row ``t`` only (its own close is known at its
    origin). Weights are normalised over the returns seen so far, so early rows need no
    start-up value taken from later data. Row 0, with no return yet, copies row 1.
    """
    prices = np.asarray(prices, dtype="float64")
    if len(prices) < 2:
        return np.full(len(prices), MIN_SIGMA)
    squared = np.diff(np.log(prices)) ** 2
    # Normalised EWMA as two first-order linear filters with the same decay (no Python loop).
    weights_num = lfilter([1.0], [1.0, -lam], squared)
    weights_den = lfilter([1.0], [1.0, -lam], np.ones_like(squared))
    variance = weights_num / weights_den
    sigma = np.sqrt(np.concatenate([variance[:1], variance]))
    return np.maximum(sigma, MIN_SIGMA)


def scores(actual, predicted, sigma) -> np.ndarray:
    """Nonconformity scores ``|log(actual / predicted)| / sigma``; ``inf`` for a forecast
    that is not a positive price (it cannot cover anything)."""
    actual = np.asarray(actual, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    sigma = np.asarray(sigma, dtype="float64")
    if sigma.ndim == 1 and actual.ndim == 2:
        sigma = sigma[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_error = np.abs(np.log(actual / predicted))
    return np.where((predicted > 0) & np.isfinite(log_error), log_error / sigma, np.inf)


def conformal_rank(n: int, level: float) -> int:
    """``ceil((n + 1) * level)``: which smallest of ``n`` scores is the conformal quantile (a
    product that is whole up to rounding counts as whole)."""
    return math.ceil((n + 1) * level - 1e-9)


def conformal_quantile(values, level: float) -> float:
    """The ``ceil((n + 1) * level)``-th smallest of ``values``: ``inf`` when that exceeds ``n``."""
    values = np.asarray(values, dtype="float64")
    n = len(values)
    k = conformal_rank(n, level)
    if n == 0 or k > n:
        return math.inf
    if k < 1:
        return 0.0
    return float(np.partition(values, k - 1)[k - 1])


def band(predicted, sigma, q) -> tuple[np.ndarray, np.ndarray]:
    """Price interval ``predicted * exp(-+ q * sigma)`` (``q`` broadcasts over steps)."""
    predicted = np.asarray(predicted, dtype="float64")
    sigma = np.asarray(sigma, dtype="float64")
    if sigma.ndim == 1 and predicted.ndim == 2:
        sigma = sigma[:, None]
    half = np.asarray(q, dtype="float64") * sigma
    with np.errstate(over="ignore", invalid="ignore"):
        return predicted * np.exp(-half), predicted * np.exp(half)


def split_conformal(calibration_scores, level: float) -> np.ndarray:
    """Per step, the finite-sample conformal quantile of the calibration scores ``(n, h)``."""
    calibration_scores = np.asarray(calibration_scores, dtype="float64")
    return np.array([conformal_quantile(calibration_scores[:, step], level)
                     for step in range(calibration_scores.shape[1])])


@dataclass
class AdaptiveState:
    """Where adaptive conformal inference stands after the last observed error: what a
    forecast made at the last row uses.

    Attributes:
        alpha: Per step, the current miscoverage target.
        window: Per step, the newest known scores.
    """

    alpha: np.ndarray
    window: list[np.ndarray]

    def quantiles(self) -> np.ndarray:
        return np.array([_aci_quantile(w, a) for w, a in zip(self.window, self.alpha)])


def _aci_quantile(window: np.ndarray, alpha: float) -> float:
    if alpha <= 0:
        return math.inf
    if alpha >= 1:
        return 0.0
    return conformal_quantile(window, 1.0 - alpha)


def adaptive_conformal(
    segments: list[dict],
    level: float,
    *,
    horizon: int,
    last_row: int | None = None,
    gamma: float = ACI_GAMMA,
    window: int | None = None,
) -> tuple[list[np.ndarray], AdaptiveState]:
    """Adaptive conformal quantiles for consecutive test segments (walk-forward folds).

    Args:
        segments: In time order, one per fold: ``{"calibration": scores (n_cal, horizon),
            "scores": test scores (m, horizon), "origin": origin rows (m,)}``. A segment's
            calibration scores (its model's held-out residuals) restart the score window;
            ``alpha`` carries over, so adaptation persists across folds.
        level: Nominal coverage, e.g. 0.8.
        horizon: Steps ahead; step ``h`` (1-based) of origin ``o`` is observed at row ``o + h``.
        last_row: Row of a forecast past the data, for the returned state. Defaults to the
            last origin.
        gamma: Step size of the ``alpha`` update. Defaults to 0.005 (Gibbs and Candes).
        window: Most scores kept. Defaults to each segment's calibration size.

    Returns:
        Per segment the quantiles used, shape ``(m, horizon)``, and the state at ``last_row``.
    """
    target = 1.0 - level
    alpha = np.full(horizon, target)
    out: list[np.ndarray] = []
    pending: list[tuple[int, int, float, float]] = []  # (observed_at_row, step, score, q)
    windows: list[np.ndarray] = []

    def observe(until_row: int) -> None:
        nonlocal pending
        keep = []
        for observed_at, step, score, q in pending:
            if observed_at <= until_row:
                alpha[step] += gamma * (target - float(score > q))
                windows[step] = np.append(windows[step], score)[-limit:]
            else:
                keep.append((observed_at, step, score, q))
        pending = keep

    for segment in segments:
        calibration = np.asarray(segment["calibration"], dtype="float64")
        test = np.asarray(segment["scores"], dtype="float64")
        origin = np.asarray(segment["origin"])
        limit = window or max(len(calibration), 1)
        windows = [calibration[:, step][-limit:].copy() for step in range(horizon)]
        quantiles = np.empty(test.shape)
        for i, row in enumerate(origin):
            observe(int(row))
            for step in range(horizon):
                q = _aci_quantile(windows[step], alpha[step])
                quantiles[i, step] = q
                pending.append((int(row) + step + 1, step, test[i, step], q))
        out.append(quantiles)
    if segments:
        observe(int(segments[-1]["origin"][-1]) if last_row is None else last_row)
    return out, AdaptiveState(alpha=alpha.copy(), window=[w.copy() for w in windows])


def winkler_score(actual, lower, upper, level: float) -> float:
    """Mean interval score (Winkler, 1972; Gneiting and Raftery, 2007): width plus
    ``2 / alpha`` times the distance by which the actual falls outside. Lower is better."""
    actual, lower, upper = (np.asarray(a, dtype="float64") for a in (actual, lower, upper))
    alpha = 1.0 - level
    penalty = (2 / alpha) * (np.maximum(lower - actual, 0) + np.maximum(actual - upper, 0))
    return float(np.mean(upper - lower + penalty))
