"""Is a forecast better than the random walk, or only luckier? Tests and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from toolkit.evaluation.metrics import rmse


def theil_u(actual, predicted, naive) -> float:
    """Theil's U2: RMSE of the forecast over RMSE of the random walk (below 1 beats it)."""
    return rmse(actual, predicted) / rmse(actual, naive)


def direction_p_value(actual, predicted, origin) -> tuple[float, int, int]:
    """One-sided binomial p-value that the direction is called right more than half the time.

    Returns:
        ``(p_value, hits, calls)``; flat forecasts are not calls (``nan`` when none).
    """
    actual_move = np.sign(np.asarray(actual) - np.asarray(origin))
    predicted_move = np.sign(np.asarray(predicted) - np.asarray(origin))
    called = predicted_move != 0
    calls = int(called.sum())
    if calls == 0:
        return float("nan"), 0, 0
    hits = int((actual_move[called] == predicted_move[called]).sum())
    return float(stats.binomtest(hits, calls, 0.5, alternative="greater").pvalue), hits, calls


@dataclass(frozen=True)
class DieboldMariano:
    """Diebold-Mariano test of equal squared-error accuracy, with the Harvey, Leybourne and
    Newbold (1997) small-sample correction.

    Attributes:
        statistic: The corrected statistic; negative when the model's errors are smaller.
        p_value: Two-sided, from Student's t with n - 1 degrees of freedom.
        mean_difference: Mean of (model error^2 - naive error^2).
    """

    statistic: float
    p_value: float
    mean_difference: float

    @property
    def model_better(self) -> bool:
        return self.mean_difference < 0

    def beats(self, level: float = 0.05) -> bool:
        return self.model_better and self.p_value < level


def diebold_mariano(actual, predicted, reference, horizon: int = 1) -> DieboldMariano:
    """Compare ``predicted`` with ``reference`` on squared error.

    The long-run variance of the loss differential uses its autocovariances up to lag
    ``horizon - 1`` (an h-step forecast's errors are MA(h-1) under the null).
    """
    actual = np.asarray(actual, dtype="float64")
    d = (actual - np.asarray(predicted)) ** 2 - (actual - np.asarray(reference)) ** 2
    n = len(d)
    mean = float(d.mean())
    centred = d - mean
    variance = centred @ centred / n
    for lag in range(1, horizon):
        variance += 2 * (centred[lag:] @ centred[:-lag]) / n
    if variance <= 0:
        return DieboldMariano(float("nan"), float("nan"), mean)
    statistic = mean / np.sqrt(variance / n)
    statistic *= np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    p_value = 2 * stats.t.sf(abs(statistic), df=n - 1)
    return DieboldMariano(float(statistic), float(p_value), mean)


def verdict(honesty: dict[str, dict], horizon: int = 1) -> str:
    """The report's sentence: which models beat naive persistence at the 5% level.

    Args:
        honesty: Per model, at least ``dm_beats`` (bool) and ``dm_p``; ``"naive"`` is skipped.
        horizon: Steps ahead of the tested forecasts.
    """
    step = "next-day" if horizon == 1 else f"{horizon}-day-ahead"
    winners = [name for name, h in honesty.items() if name != "naive" and h["dm_beats"]]
    if not winners:
        return (f"No model beats naive persistence at the 5% level (Diebold-Mariano test on squared "
                f"{step} errors, all test folds pooled).")
    listed = ", ".join(f"{name} (p = {honesty[name]['dm_p']:.3g})" for name in winners)
    return f"Beating naive persistence at the 5% level on squared {step} errors (Diebold-Mariano): {listed}."


def lag_diagnostic(actual, predicted, max_lag: int = 3) -> dict:
    """Which shift of the actual series the forecasts track best.

    Correlates the forecast for day t with the actual value of day t + k, k in
    [-max_lag, max_lag], on day-to-day changes (levels of prices correlate near 1 at
    every lag). A best k of -1 means the forecast follows yesterday's value: persistence.

    Returns:
        ``{"correlations": {k: r}, "best_lag": k, "persistence": bool}``.
    """
    actual = np.asarray(actual, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    n = len(actual)
    da = np.diff(actual)
    dp = np.diff(predicted)
    correlations = {}
    for k in range(-max_lag, max_lag + 1):
        # forecast change on day t against the actual change on day t + k
        if k >= 0:
            x, y = dp[: n - 1 - k], da[k:]
        else:
            x, y = dp[-k:], da[: n - 1 + k]
        if len(x) > 2 and x.std() > 0 and y.std() > 0:
            correlations[k] = float(np.corrcoef(x, y)[0, 1])
    if not correlations:
        return {"correlations": {}, "best_lag": None, "persistence": False}
    best = max(correlations, key=correlations.get)
    return {"correlations": correlations, "best_lag": best, "persistence": best == -1}
