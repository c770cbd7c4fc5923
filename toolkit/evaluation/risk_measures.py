"""Value-at-Risk and expected shortfall from a volatility forecast: normal, Student-t, filtered
historical simulation.

Given tomorrow's return standard deviation sigma (from any variance forecast) and a mean mu
(0 by default, as daily risk models usually take it), the loss -r has its level-quantile as
the VaR and the mean of the losses beyond it as the expected shortfall (ES):

* normal: VaR = z sigma - mu and ES = sigma phi(z) / (1 - level) - mu, z = Phi^-1(level);
* Student-t with nu > 2 degrees of freedom, scaled to unit variance (s = sqrt((nu - 2) / nu)):
  VaR = s t_nu^-1(level) sigma - mu, ES = s sigma f_nu(q) (nu + q^2) / ((nu - 1)(1 - level)) - mu
  with q = t_nu^-1(level) (McNeil, Frey and Embrechts, "Quantitative Risk Management", 2.2.4);
* filtered historical simulation (Barone-Adesi et al. 1999; Hull and White 1998): the
  empirical quantile of past standardised returns r / sigma, rescaled by tomorrow's sigma,
  so no distribution is assumed for the shocks.

All figures are positive loss amounts in return units.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from toolkit.evaluation.var_backtest import check_level


def _inputs(sigma, level, mean) -> tuple[np.ndarray, float, np.ndarray]:
    sigma = np.asarray(sigma, dtype="float64")
    if sigma.ndim > 1 or not (np.isfinite(sigma).all() and (sigma > 0).all()):
        raise ValueError("`sigma` must be positive, finite standard deviations (one number or a 1-D array)")
    level = check_level(level)
    mean = np.broadcast_to(np.asarray(mean, dtype="float64"), sigma.shape)
    if not np.isfinite(mean).all():
        raise ValueError("`mean` must be finite")
    return sigma, level, mean


def normal_var_es(sigma, level: float = 0.99, mean=0.0) -> tuple[np.ndarray, np.ndarray]:
    """VaR and ES of a normal return with standard deviation ``sigma`` and mean ``mean``.

    Example:
        >>> var, es = normal_var_es(0.01, 0.99)
        >>> round(float(var), 5), round(float(es), 5)
        (0.02326, 0.02665)
    """
    sigma, level, mean = _inputs(sigma, level, mean)
    z = stats.norm.ppf(level)
    return z * sigma - mean, sigma * stats.norm.pdf(z) / (1 - level) - mean


def student_t_var_es(sigma, level: float = 0.99, nu: float = 5.0, mean=0.0) -> tuple[np.ndarray, np.ndarray]:
    """VaR and ES of a Student-t return of ``nu`` > 2 degrees of freedom scaled to standard deviation ``sigma``.

    Raises:
        ValueError: For ``nu`` of 2 or less (no finite variance to scale to), or bad sigma/level.

    Example:
        >>> var, es = student_t_var_es(0.01, 0.99, nu=5)
        >>> round(float(var), 5), round(float(es), 5)
        (0.02606, 0.03449)
    """
    sigma, level, mean = _inputs(sigma, level, mean)
    if isinstance(nu, bool) or not isinstance(nu, (int, float, np.floating)) or not np.isfinite(nu) or nu <= 2:
        raise ValueError(f"`nu` must be a number above 2 (the t's variance is finite only there). Received: nu={nu!r}")
    scale = np.sqrt((nu - 2) / nu)
    q = stats.t.ppf(level, nu)
    tail = stats.t.pdf(q, nu) * (nu + q ** 2) / ((nu - 1) * (1 - level))
    return scale * q * sigma - mean, scale * tail * sigma - mean


def shocks_needed(level: float) -> int:
    """Past shocks the filtered historical simulation needs at ``level``: ten beyond the quantile.

    Example:
        >>> shocks_needed(0.99), shocks_needed(0.95)
        (1000, 200)
    """
    return int(np.ceil(10 / (1 - check_level(level))))


def filtered_historical_var_es(standardised, sigma, level: float = 0.99, mean=0.0) -> tuple[np.ndarray, np.ndarray]:
    """VaR and ES by filtered historical simulation: past shocks r / sigma, rescaled by tomorrow's ``sigma``.

    Args:
        standardised: Past standardised returns (returns over their own volatility forecasts,
            training rows only), ``(m,)``, at least ``10 / (1 - level)`` of them so that ten
            lie beyond the quantile.
        sigma: Tomorrow's standard deviations, a number or ``(n,)``.
        level: Defaults to 0.99.
        mean: Defaults to 0.

    Raises:
        ValueError: For too few or non-finite shocks, or bad sigma/level.

    Example:
        >>> shocks = np.random.default_rng(0).standard_normal(100_000)
        >>> var, es = filtered_historical_var_es(shocks, 0.01, 0.99)
        >>> abs(float(var) - 0.02326) < 5e-4 and abs(float(es) - 0.02665) < 5e-4  # the normal's, by sampling
        True
    """
    sigma, level, mean = _inputs(sigma, level, mean)
    shocks = np.asarray(standardised, dtype="float64")
    needed = shocks_needed(level)
    if shocks.ndim != 1 or len(shocks) < needed or not np.isfinite(shocks).all():
        raise ValueError(f"`standardised` must hold at least {needed:,} finite past shocks for a {level:.1%} VaR "
                         f"(ten beyond the quantile). Received: {shocks.size:,}")
    losses = -shocks
    quantile = np.quantile(losses, level)
    tail = losses[losses >= quantile].mean()
    return quantile * sigma - mean, tail * sigma - mean
