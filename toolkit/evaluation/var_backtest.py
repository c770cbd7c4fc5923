"""Value-at-Risk backtests as regulators and econometricians run them.

A VaR at level 99% is a loss the next day should exceed with probability 1%; a day whose
loss exceeds it is a *violation*. The tests ask whether the violations come as often as
promised (Kupiec's proportion of failures), whether they come independently rather than in
clusters (Christoffersen's independence test) or both at once (conditional coverage), and
where a bank's 250-day count falls among the Basel Committee's traffic-light zones. The
expected shortfall, the mean loss beyond the VaR, is tested on the violation days (McNeil and
Frey 2000).

Convention: ``returns`` are log (or simple) returns, a loss is ``-return``, and a VaR or an
expected shortfall is a positive loss figure; a violation is ``-return > VaR``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class TestResult:
    """A likelihood-ratio (or t) statistic, its p-value and what it counted."""

    statistic: float
    p_value: float
    detail: dict


def check_level(level) -> float:
    """A VaR confidence level in (0.5, 1) as a float; a one-line ValueError otherwise."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0.5 < level < 1:
        raise ValueError(f"`level` must be the VaR's confidence, between 0.5 and 1 (0.99 for 99%). "
                         f"Received: level={level!r}")
    return float(level)


def _hits(hits) -> np.ndarray:
    array = np.asarray(hits)
    if array.ndim != 1 or len(array) < 2:
        raise ValueError(f"`hits` must be a 1-D series of at least 2 days. Received: shape {array.shape}")
    if array.dtype != bool:
        if array.dtype.kind not in "biuf" or not np.isin(array, (0, 1)).all():
            raise ValueError("`hits` must be booleans or 0/1: True where the loss exceeded the VaR")
        array = array.astype(bool)
    return array


def violations(returns, var) -> np.ndarray:
    """True on the days whose loss (``-returns``) exceeded the VaR (a positive loss figure).

    Raises:
        ValueError: For shapes that differ or values that are not finite.

    Example:
        >>> violations([0.01, -0.03, -0.01], [0.02, 0.02, 0.02]).tolist()
        [False, True, False]
    """
    returns, var = np.asarray(returns, dtype="float64"), np.asarray(var, dtype="float64")
    if returns.shape != var.shape or returns.ndim != 1:
        raise ValueError(f"`returns` and `var` must be 1-D of one length. Received: shapes {returns.shape} and {var.shape}")
    if not (np.isfinite(returns).all() and np.isfinite(var).all()):
        raise ValueError("`returns` and `var` must be finite; drop the days without a forecast first")
    return -returns > var


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * np.log(y)


def kupiec_pof(hits, level: float = 0.99) -> TestResult:
    """Kupiec's (1995) proportion-of-failures test: do violations come at rate 1 - level?

    LR = -2 [ln L(p) - ln L(x / n)], L(q) = (1 - q)^(n - x) q^x, chi-squared with 1 degree
    of freedom, where p = 1 - level, n days and x violations.

    Returns:
        A :class:`TestResult`; ``detail`` holds ``days``, ``violations``, ``expected``.

    Example:
        >>> result = kupiec_pof([True] * 5 + [False] * 245, 0.99)  # 5 violations, 2.5 expected
        >>> round(result.statistic, 4), round(result.p_value, 4)
        (1.9568, 0.1619)
    """
    hits, p = _hits(hits), 1 - check_level(level)
    n, x = len(hits), int(hits.sum())
    observed = x / n
    log_null = _xlogy(n - x, 1 - p) + _xlogy(x, p)
    log_alt = _xlogy(n - x, 1 - observed) + _xlogy(x, observed)
    statistic = float(max(0.0, -2 * (log_null - log_alt)))
    return TestResult(statistic, float(stats.chi2.sf(statistic, 1)),
                      {"days": n, "violations": x, "expected": n * p})


def _transitions(hits: np.ndarray) -> tuple[int, int, int, int]:
    before, after = hits[:-1], hits[1:]
    return (int(np.sum(~before & ~after)), int(np.sum(~before & after)), int(np.sum(before & ~after)),
            int(np.sum(before & after)))


def christoffersen(hits, level: float = 0.99) -> dict[str, TestResult]:
    """Christoffersen's (1998) independence and conditional-coverage tests.

    From the transitions between consecutive days (n_ij: day t-1 in state i, day t in state
    j, 1 = violation): independence compares a first-order Markov chain (pi_01, pi_11)
    against one violation rate pi (chi-squared, 1 degree of freedom); conditional coverage
    compares the Markov chain against the promised rate p = 1 - level (2 degrees). Both
    condition on the first day, as Christoffersen writes them.

    Returns:
        ``{"independence": TestResult, "conditional_coverage": TestResult}``; ``detail`` holds
        the four transition counts.

    Example:
        >>> hits = [False] * 96 + [True, True, False, False]  # two violations in a row
        >>> round(float(christoffersen(hits)["independence"].statistic), 3)
        5.656
    """
    hits, p = _hits(hits), 1 - check_level(level)
    n00, n01, n10, n11 = _transitions(hits)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    log_markov = _xlogy(n00, 1 - pi01) + _xlogy(n01, pi01) + _xlogy(n10, 1 - pi11) + _xlogy(n11, pi11)
    log_one_rate = _xlogy(n00 + n10, 1 - pi) + _xlogy(n01 + n11, pi)
    log_promised = _xlogy(n00 + n10, 1 - p) + _xlogy(n01 + n11, p)
    detail = {"n00": n00, "n01": n01, "n10": n10, "n11": n11}
    independence = float(max(0.0, -2 * (log_one_rate - log_markov)))
    coverage = float(max(0.0, -2 * (log_promised - log_markov)))
    return {"independence": TestResult(independence, float(stats.chi2.sf(independence, 1)), detail),
            "conditional_coverage": TestResult(coverage, float(stats.chi2.sf(coverage, 2)), detail)}


#: The Basel Committee's plus factors for 250 days of a 99% VaR, by violations in the yellow zone.
PLUS_FACTORS = {5: 0.40, 6: 0.50, 7: 0.65, 8: 0.75, 9: 0.85}


def traffic_light(hits, level: float = 0.99) -> dict:
    """The Basel Committee's (1996) traffic-light zone of a backtest.

    Green while the binomial probability of at most the observed violations stays below 95%,
    yellow below 99.99%, red beyond: for 250 days at 99%, 0-4 violations are green, 5-9 yellow,
    10 or more red. The plus factor on the capital multiplier (3 + plus factor) is the
    Committee's table for 250 days at 99%.

    Returns:
        ``{"zone", "violations", "days", "cumulative_probability", "plus_factor"}`` (the
        plus factor None away from 250 days at 99%).

    Example:
        >>> [traffic_light([True] * x + [False] * (250 - x))["zone"] for x in (4, 5, 9, 10)]
        ['green', 'yellow', 'yellow', 'red']
    """
    hits, level = _hits(hits), check_level(level)
    n, x = len(hits), int(hits.sum())
    cumulative = float(stats.binom.cdf(x, n, 1 - level))
    zone = "green" if cumulative < 0.95 else "yellow" if cumulative < 0.9999 else "red"
    plus = None
    if n == 250 and abs(level - 0.99) < 1e-12:
        plus = 0.0 if zone == "green" else PLUS_FACTORS.get(x, 1.0)
    return {"zone": zone, "violations": x, "days": n, "cumulative_probability": cumulative, "plus_factor": plus}


def mcneil_frey(returns, var, es, sigma=None, *, draws: int = 10_000, seed: int = 0) -> TestResult:
    """McNeil and Frey's (2000) expected-shortfall test on the violation days.

    On each day the loss exceeded the VaR, the exceedance residual (loss - ES) / sigma should
    average zero if the ES is right; a positive mean says the ES understates the tail. The
    p-value is one-sided, from a bootstrap of the centred residuals (McNeil and Frey's
    recipe, which assumes no distribution).

    Args:
        returns: Returns, ``(n,)``.
        var: VaR forecasts, ``(n,)``, positive loss figures.
        es: Expected-shortfall forecasts, ``(n,)``, at least the VaR.
        sigma: Volatility forecasts to scale the residuals, ``(n,)``; None for unscaled.
        draws: Bootstrap resamples. Defaults to 10,000.
        seed: Defaults to 0.

    Returns:
        A :class:`TestResult` (the t statistic; p-value NaN with fewer than 3 violations).

    Raises:
        ValueError: For shapes that differ, non-finite values or an ES below the VaR.
    """
    hits = violations(returns, var)
    es = np.asarray(es, dtype="float64")
    var = np.asarray(var, dtype="float64")
    if es.shape != var.shape or not np.isfinite(es).all() or (es < var - 1e-12).any():
        raise ValueError("`es` must be finite, of the VaR's length, and at least the VaR on every day")
    scale = np.ones_like(es) if sigma is None else np.asarray(sigma, dtype="float64")
    if scale.shape != es.shape or not (np.isfinite(scale).all() and (scale > 0).all()):
        raise ValueError("`sigma` must be positive, finite and of the VaR's length")
    residuals = ((-np.asarray(returns, dtype="float64") - es) / scale)[hits]
    count = len(residuals)
    if count < 3:
        return TestResult(float("nan"), float("nan"), {"violations": count})

    def t_stat(values):
        with np.errstate(divide="ignore", invalid="ignore"):  # a resample of one repeated value: no spread
            return values.mean(axis=-1) / (values.std(axis=-1, ddof=1) / np.sqrt(count))

    statistic = float(t_stat(residuals))
    centred = residuals - residuals.mean()
    rng = np.random.default_rng(seed)
    resampled = centred[rng.integers(0, count, (draws, count))]
    p_value = float((np.sum(t_stat(resampled) >= statistic) + 1) / (draws + 1))
    return TestResult(statistic, p_value, {"violations": count, "mean_residual": float(residuals.mean())})
