"""Tests that compare variance forecasts: Diebold-Mariano on any loss with a HAC variance,
Mincer-Zarnowitz regressions, and Hansen, Lunde and Nason's model confidence set.

Variance losses are autocorrelated (volatility clusters, and so do its forecast errors), so
the Diebold-Mariano statistic here uses a Newey-West long-run variance, not the one-lag form
of a price forecast's test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


def newey_west_lags(n: int) -> int:
    """The usual automatic bandwidth floor(4 (n / 100)^(2/9)) (Newey and West 1994).

    Example:
        >>> newey_west_lags(4000)
        9
    """
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


@dataclass(frozen=True)
class LossTest:
    """A Diebold-Mariano test on losses: the statistic (negative when the model's losses are smaller),
    its two-sided p-value, the mean loss difference (model - reference) and the HAC lags."""

    statistic: float
    p_value: float
    mean_difference: float
    lags: int

    def beats(self, level: float = 0.05, p_value: float | None = None) -> bool:
        """Smaller losses with a p-value (the given one, e.g. Holm-adjusted) below ``level``."""
        p = self.p_value if p_value is None else p_value
        return self.mean_difference < 0 and p < level


def diebold_mariano_losses(loss, reference_loss, lags: int | None = None) -> LossTest:
    """Diebold and Mariano's (1995) test of equal mean loss, Newey-West (Bartlett) long-run variance.

    Args:
        loss: The model's losses per day, ``(n,)`` (e.g. :func:`~toolkit.evaluation.volatility.qlike`).
        reference_loss: The reference model's, ``(n,)``.
        lags: HAC lags. Defaults to None: :func:`newey_west_lags`.

    Returns:
        A :class:`LossTest`; the p-value is from the normal distribution (NaN when the
        differences are constant).

    Raises:
        ValueError: For shapes that differ, fewer than 10 days or non-finite losses.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> noise = rng.standard_normal(2000)
        >>> test = diebold_mariano_losses(noise, noise + 0.2 + rng.standard_normal(2000))  # 0.2 lower on average
        >>> test.beats(), round(test.mean_difference, 2)
        (True, -0.2)
    """
    a, b = np.asarray(loss, dtype="float64"), np.asarray(reference_loss, dtype="float64")
    if a.shape != b.shape or a.ndim != 1 or len(a) < 10:
        raise ValueError(f"`loss` and `reference_loss` must be 1-D of one length, at least 10 days. Received: shapes "
                         f"{a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("`loss` and `reference_loss` must be finite")
    d = a - b
    n = len(d)
    lags = newey_west_lags(n) if lags is None else int(lags)
    centred = d - d.mean()
    variance = centred @ centred / n
    for lag in range(1, lags + 1):
        variance += 2 * (1 - lag / (lags + 1)) * (centred[lag:] @ centred[:-lag]) / n
    if variance <= 0:
        return LossTest(float("nan"), float("nan"), float(d.mean()), lags)
    statistic = d.mean() / np.sqrt(variance / n)
    return LossTest(float(statistic), float(2 * stats.norm.sf(abs(statistic))), float(d.mean()), lags)


def mincer_zarnowitz(proxy, forecast, lags: int | None = None) -> dict:
    """Mincer-Zarnowitz regression proxy = a + b forecast + e, with Newey-West standard errors.

    An unbiased forecast has a = 0 and b = 1; the joint Wald test's p-value says whether the
    data reject that. R^2 is the share of the proxy's variation the forecast explains.

    Returns:
        ``{"a", "b", "a_se", "b_se", "r2", "p_value"}``.

    Raises:
        ValueError: For shapes that differ, fewer than 10 days or non-finite values.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> truth = rng.uniform(1, 3, 5000)
        >>> result = mincer_zarnowitz(truth * rng.chisquare(1, 5000), truth)  # squared-return-like proxy
        >>> abs(result["b"] - 1) < 0.1 and result["p_value"] > 0.01
        True
    """
    import statsmodels.api as sm

    y, x = np.asarray(proxy, dtype="float64"), np.asarray(forecast, dtype="float64")
    if y.shape != x.shape or y.ndim != 1 or len(y) < 10 or not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise ValueError("`proxy` and `forecast` must be finite, 1-D, of one length and at least 10 days")
    lags = newey_west_lags(len(y)) if lags is None else int(lags)
    fit = sm.OLS(y, sm.add_constant(x, has_constant="add")).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    gap = np.asarray(fit.params) - np.array([0.0, 1.0])
    wald = float(gap @ np.linalg.solve(np.asarray(fit.cov_params()), gap))
    return {"a": float(fit.params[0]), "b": float(fit.params[1]), "a_se": float(fit.bse[0]),
            "b_se": float(fit.bse[1]), "r2": float(fit.rsquared), "p_value": float(stats.chi2.sf(wald, 2))}


def model_confidence_set(losses, size: float = 0.10, reps: int = 1000, block_size: int | None = None,
                         seed: int = 0) -> dict[str, float]:
    """Hansen, Lunde and Nason's (2011) model confidence set, by ``arch.bootstrap.MCS``.

    Args:
        losses: A DataFrame of losses, one column per model, one row per day.
        size: The test's size: the set keeps the best models with confidence ``1 - size``.
            Defaults to 0.10.
        reps: Bootstrap resamples (stationary bootstrap). Defaults to 1,000.
        block_size: Mean block length. Defaults to None: :func:`newey_west_lags` of the days.
        seed: Defaults to 0.

    Returns:
        Each model's MCS p-value; a model is in the set when its p-value exceeds ``size``.
    """
    from arch.bootstrap import MCS

    block = block_size or max(newey_west_lags(len(losses)), 1)
    mcs = MCS(losses, size=size, reps=reps, block_size=block, method="R", bootstrap="stationary",
              seed=np.random.default_rng(seed))
    mcs.compute()
    return {str(k): float(v) for k, v in mcs.pvalues["Pvalue"].items()}
