"""Prediction intervals and their empirical coverage."""

from __future__ import annotations

import numpy as np
from scipy import stats

LEVELS = (0.8, 0.95)


def gaussian_interval(mean, variance, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of N(mean, variance)."""
    z = stats.norm.ppf(0.5 + level / 2)
    sd = np.sqrt(np.asarray(variance, dtype="float64"))
    return np.asarray(mean) - z * sd, np.asarray(mean) + z * sd


def sample_interval(samples, level: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval from Monte Carlo samples along ``axis``."""
    tail = (1 - level) / 2
    return np.quantile(samples, tail, axis=axis), np.quantile(samples, 1 - tail, axis=axis)


def coverage(actual, lower, upper) -> float:
    """Share of actual values inside [lower, upper]."""
    actual = np.asarray(actual)
    return float(np.mean((actual >= lower) & (actual <= upper)))


def coverage_interval(covered: int, scored: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact binomial) interval for a coverage of ``covered`` out of ``scored``
    independent forecasts: where a correctly calibrated band's coverage lands by chance.

    A nominal level outside it is evidence of miscalibration; inside it, the gap from nominal
    is what ``scored`` forecasts give by noise alone. ``(nan, nan)`` when nothing was scored.

    Raises:
        ValueError: ``covered`` outside ``0..scored``.
    """
    if scored <= 0:
        return float("nan"), float("nan")
    if not 0 <= covered <= scored:
        raise ValueError(f"covered must lie in 0..scored. Received: covered={covered}, scored={scored}")
    ci = stats.binomtest(int(covered), int(scored)).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)
