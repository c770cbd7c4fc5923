"""Value-at-Risk and expected shortfall from each model's variance forecasts, and their backtests.

Four ways from a volatility forecast sigma to a VaR (a positive loss of log return):

* ``normal``: z_level sigma;
* ``student_t``: a unit-variance Student-t quantile times sigma, its degrees of freedom the
  model's own (GARCH-t) or fitted at each refit to the model's standardised training returns;
* ``fhs``: filtered historical simulation, the quantile of the standardised training returns
  of the latest refit, times sigma (Barone-Adesi et al. 1999);
* ``conformal``: split-conformal, the ceil((m + 1) level)-th smallest of the last m scores
  -r / sigma (m = ``calibration_days``, updated every day from the days before only; the days
  before the first forecast use the first fit's in-sample sigma).

Backtests per model, method and level: Kupiec's proportion of failures, Christoffersen's
independence and conditional coverage, the Basel traffic light of the last 250 days, and
McNeil and Frey's expected-shortfall test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.evaluation.conformal import conformal_rank
from toolkit.evaluation.risk_measures import filtered_historical_var_es, normal_var_es, student_t_var_es
from toolkit.evaluation.var_backtest import christoffersen, kupiec_pof, mcneil_frey, traffic_light, violations
from toolkit.runs.risk.backtest import ModelPath
from toolkit.runs.risk.config import VAR_METHODS

TRAFFIC_DAYS = 250


@dataclass
class RiskForecast:
    """One model's VaR and ES by one method at one level: ``(n_test,)`` arrays and tomorrow's."""

    var: np.ndarray
    es: np.ndarray
    var_tomorrow: float
    es_tomorrow: float


def conformal_var_es(scores: np.ndarray, first: int, days: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per row ``first..len(scores)`` (the last is tomorrow), the conformal quantile and the mean of the
    scores at or beyond it, from the ``days`` scores before the row.

    Example:
        >>> q, es = conformal_var_es(np.arange(10.0), 9, 9, 0.8)  # ceil(10 * 0.8) = 8th smallest of 0..8
        >>> q.tolist(), es.tolist()
        ([7.0, 8.0], [7.5, 8.5])
    """
    windows = np.lib.stride_tricks.sliding_window_view(scores, days)[first - days:]  # rows first..n
    ordered = np.sort(windows, axis=1)
    k = min(conformal_rank(days, level), days) - 1
    q = ordered[:, k]
    tail = ordered[:, k:].mean(axis=1)
    return q, tail


def var_forecasts(path: ModelPath, returns: np.ndarray, min_train: int, level: float, method: str,
                  calibration_days: int) -> RiskForecast:
    """A model's VaR and ES (positive losses of log return) for the test rows and tomorrow."""
    sigma = np.sqrt(np.r_[path.variance, path.tomorrow])
    if method == "normal":
        var, es = normal_var_es(sigma, level)
    elif method in ("student_t", "fhs"):
        var, es = np.empty_like(sigma), np.empty_like(sigma)
        for i, block in enumerate(path.blocks):
            rows = slice(block.origin - min_train, block.stop - min_train + (i == len(path.blocks) - 1))
            if method == "student_t":
                var[rows], es[rows] = student_t_var_es(sigma[rows], level, nu=block.nu)
            else:
                var[rows], es[rows] = filtered_historical_var_es(block.shocks, sigma[rows], level)
    elif method == "conformal":
        first = path.blocks[0]
        warm = -first.shocks  # in-sample scores of the rows before the first forecast
        tested = -returns[min_train:] / sigma[:-1]
        days = min(calibration_days, len(warm))
        q, tail = conformal_var_es(np.r_[warm, tested], len(warm), days, level)
        var, es = q * sigma, tail * sigma
    else:
        raise ValueError(f"`method` must be one of {', '.join(VAR_METHODS)}. Received: {method!r}")
    return RiskForecast(var[:-1], es[:-1], float(var[-1]), float(es[-1]))


def backtest_row(returns: np.ndarray, sigma: np.ndarray, forecast: RiskForecast, level: float) -> dict:
    """Violations and every test of one VaR/ES series."""
    hits = violations(returns, forecast.var)
    kupiec = kupiec_pof(hits, level)
    chris = christoffersen(hits, level)
    light = traffic_light(hits[-TRAFFIC_DAYS:], level) if abs(level - 0.99) < 1e-12 else {"zone": "", "violations": None}
    es_test = mcneil_frey(returns, forecast.var, np.maximum(forecast.es, forecast.var), sigma)
    return {"days": len(hits), "expected": float(len(hits) * (1 - level)), "violations": int(hits.sum()),
            "kupiec_p": kupiec.p_value, "independence_p": chris["independence"].p_value,
            "conditional_coverage_p": chris["conditional_coverage"].p_value, "zone": light["zone"],
            "zone_violations": light["violations"], "es_p": es_test.p_value,
            "passes": bool(kupiec.p_value > 0.05 and chris["independence"].p_value > 0.05)}


def by_year(dates, returns: np.ndarray, var: np.ndarray, level: float) -> dict[int, dict]:
    """Per calendar year: days, expected and seen violations, and Kupiec's p-value for that year."""
    hits = violations(returns, var)
    years = np.asarray(pd.DatetimeIndex(dates).year)
    counts = {}
    for year in np.unique(years):
        inside = hits[years == year]
        p = kupiec_pof(inside, level).p_value if len(inside) >= 2 else float("nan")
        counts[int(year)] = {"days": int(len(inside)), "expected": float(len(inside) * (1 - level)),
                             "violations": int(inside.sum()), "kupiec_p": p}
    return counts


def risk_table(paths: dict[str, ModelPath], returns: np.ndarray, config) -> tuple[dict, dict]:
    """``(rows, forecasts)``: per ``(model, method, level)`` the backtest row and the :class:`RiskForecast`."""
    rows, forecasts = {}, {}
    tested = returns[config.min_train:]
    for name, path in paths.items():
        sigma = np.sqrt(path.variance)
        for level in config.levels:
            for method in VAR_METHODS:
                forecast = var_forecasts(path, returns, config.min_train, level, method, config.calibration_days)
                forecasts[name, method, level] = forecast
                rows[name, method, level] = backtest_row(tested, sigma, forecast, level)
    return rows, forecasts
