"""The forecasting run: checked prices + configuration -> backtested models, scored honestly.

:func:`run_forecast` is a function of (prices, config) alone: no disk or network, so a
caller can fan it out over many tickers. It is four steps, each a function of the same
inputs, so an executor can run them anywhere (:mod:`toolkit.runs.universe`):

1. :func:`plan_forecast`: the models (:func:`~toolkit.runs.forecast.models.resolve_lineup`),
   rows, features and walk-forward fold boundaries (cheap).
2. :func:`run_fold` per fold: the scalers are fitted on that fold's training rows and every
   model is refitted and seeded afresh, so folds are independent of each other and of the
   order they run in; a tuned copy first searches its space on the fold's training rows.
   With ``refit=False`` the first fold's models and scalers are kept frozen for later folds
   (:func:`run_folds` runs those in one go). Each model forecasts its fold's validation part
   (the conformal calibration set) and test part.
3. :func:`fit_final`: every model and scaler refitted on all rows, networks for the epochs
   early stopping chose on the last fold and tuned copies with the values its search chose,
   for the forecast past the data.
4. :func:`assemble`: the pooled test forecasts scored by :mod:`toolkit.runs.forecast.panel`,
   the forecast past the data on the exchange's trading days with adaptive conformal intervals.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from typing import Callable

import numpy as np
import pandas as pd

from toolkit.data.calendars import CalendarChoice, choose_calendar, trading_days_after
from toolkit.data.frame import PriceFrame
from toolkit.evaluation import conformal
from toolkit.evaluation.backtest import walk_forward_bounds
from toolkit.evaluation.intervals import LEVELS
from toolkit.evaluation.metrics import naive_scale
from toolkit.pipelines.features import feature_matrix
from toolkit.pipelines.windowed import FoldBounds, WindowedData, make_windowed_data
from toolkit.runs.forecast.config import ForecastConfig
from toolkit.runs.forecast.fitting import FittedModels, fit_lineup, forecasts
from toolkit.runs.forecast.models import Lineup, resolve_lineup
from toolkit.runs.forecast.panel import fold_metrics, score
from toolkit.runs.forecast.result import FoldOutcome, ForecastResult
from toolkit.tuning.search import sequential_map

__all__ = ["ForecastPlan", "FinalFit", "FoldOutcome", "ForecastResult", "plan_forecast", "run_fold", "run_folds",
           "final_epochs", "fit_final", "assemble", "run_forecast", "library_versions"]

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "jax", "jaxlib", "torch", "numpy", "pandas", "scikit-learn",
             "scipy", "statsforecast", "numba", "arch", "optuna", "exchange-calendars", "yfinance", "ray")


#: The key of what else a run's numbers depend on: device, threads, instruction set (``numerics``).
NUMERICS_KEY = "numerics"


def library_versions() -> dict[str, str]:
    """Python's version, the Keras backend this run trains on, every library's version, and
    the run's numerics (device, threads, CPU instruction set; :func:`toolkit.devices.numerics`)."""
    from toolkit.backend import VERSIONS_KEY, describe, label
    from toolkit.devices import numerics

    versions = {"python": platform.python_version(), VERSIONS_KEY: label(describe())}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions[NUMERICS_KEY] = numerics()
    return versions


@dataclass(frozen=True)
class ForecastPlan:
    """The rows, inputs and fold boundaries of one run: everything the steps share.

    Attributes:
        config: The validated settings.
        prices: The price frame the run was given.
        calendar: The exchange calendar of the forecast past the data.
        dates: Dates of the rows used (the newest ``max_rows`` when set).
        series: Prices of those rows.
        sigma: EWMA volatility of the series (scales the conformal bands).
        features: The input matrix, one row per date.
        bounds: Each walk-forward fold's boundaries.
        lineup: The models, resolved and checked (``config.models`` holds their names).
    """

    config: ForecastConfig
    prices: PriceFrame
    calendar: CalendarChoice
    dates: pd.DatetimeIndex
    series: np.ndarray
    sigma: np.ndarray
    features: np.ndarray
    bounds: tuple[FoldBounds, ...]
    lineup: Lineup

    @property
    def n_folds(self) -> int:
        return len(self.bounds)

    def windowed(self, bounds: FoldBounds | None, scalers=None) -> WindowedData:
        c = self.config
        return make_windowed_data(self.series, features=self.features, window=c.window, horizon=c.horizon,
                                  target=c.target, val_fraction=c.val_fraction, test_fraction=c.test_fraction,
                                  gap=c.effective_gap, bounds=bounds, scalers=scalers)

    def fold_data(self, index: int, scalers=None) -> WindowedData:
        """The windows of fold ``index`` (0-based), with given scalers or its own."""
        return self.windowed(self.bounds[index] if self.config.folds > 1 else None, scalers)


def plan_forecast(prices: PriceFrame, config: ForecastConfig = ForecastConfig(), models=None, *,
                  log: Callable[[str], None] = print) -> ForecastPlan:
    """Step 1: resolve the models, check the settings against the rows and lay out the folds.

    ``models`` are yours, by name (see :func:`~toolkit.runs.forecast.models.resolve_lineup`),
    or an already resolved :class:`~toolkit.runs.forecast.models.Lineup`.
    """
    config = config.validate()
    lineup = resolve_lineup(config, models, log=log)
    config = replace(config, models=lineup.names)
    from toolkit.pipelines.features import feature_columns

    prices.check_feature_columns(feature_columns(config.features))
    frame = prices.frame if config.max_rows is None else prices.frame.iloc[-config.max_rows:]
    series = frame[prices.target].to_numpy()
    bounds = walk_forward_bounds(len(series), config.folds, window=config.window, horizon=config.horizon,
                                 gap=config.effective_gap, mode=config.fold_mode,
                                 val_fraction=config.val_fraction, test_fraction=config.test_fraction)
    plan = ForecastPlan(
        config=config, prices=prices,
        calendar=choose_calendar(prices.provenance.name, prices.provenance.source, config.calendar),
        dates=frame.index, series=series, sigma=conformal.ewma_volatility(series),
        features=feature_matrix(frame, prices.target, config.features, config.target), bounds=tuple(bounds),
        lineup=lineup)
    if config.folds == 1:
        plan.fold_data(0)  # a series too short for one split fails here, before any model is fitted
    return plan


def _audit(dates: pd.DatetimeIndex, data: WindowedData, frozen_from: FoldBounds | None) -> dict[str, str]:
    fitted = frozen_from or data.bounds
    test_targets = data.target_rows("test")
    return {
        "train_first": str(dates[fitted.train_start].date()),
        "scaler_last": str(dates[fitted.train_end - 1].date()),
        "model_last": str(dates[fitted.val_end - 1].date()),
        "test_first": str(dates[test_targets.min()].date()),
        "test_last": str(dates[test_targets.max()].date()),
    }


def _log_fold(plan: ForecastPlan, index: int, data: WindowedData, frozen: bool, log) -> None:
    b, dates = data.bounds, plan.dates
    log(f"[fold {index + 1}/{plan.n_folds}] train {dates[b.train_start].date()} to "
        f"{dates[b.train_end - 1].date()} ({len(data.y['train']):,} windows), validation to "
        f"{dates[b.val_end - 1].date()}, test {dates[b.test_start].date()} to "
        f"{dates[b.test_end - 1].date()} ({len(data.y['test']):,} forecasts)"
        + (" [frozen models]" if frozen else ""))


def _outcome(plan: ForecastPlan, index: int, data: WindowedData, fitted: FittedModels,
             frozen_from: FoldBounds | None, started: float, log) -> FoldOutcome:
    fitted_on = frozen_from or data.bounds
    predictions, intervals = forecasts(fitted, data, ("test", "validation"), intervals=True, log=log)
    fold = FoldOutcome(
        index=index + 1, bounds=data.bounds, audit=_audit(plan.dates, data, frozen_from),
        origin=data.origin["test"], actual=data.actual("test"), predictions=predictions["test"],
        validation={"origin": data.origin["validation"], "actual": data.actual("validation"),
                    "predictions": predictions["validation"]},
        intervals=intervals,
        scale=naive_scale(plan.series[fitted_on.train_start:fitted_on.train_end], 1),
        training={name: model.training_ for name, model in fitted.models.items() if model.training_ is not None},
        failures=dict(fitted.failures), tuning=dict(fitted.tuning),
    )
    fold.metrics = fold_metrics(fold, plan.series)
    fold.seconds = time.perf_counter() - started
    return fold


def _fit_fold(plan: ForecastPlan, index: int, log, map_trials) -> tuple[WindowedData, FittedModels, float]:
    """Fit scalers and every model on fold ``index``'s rows: its windows, models and start time."""
    started = time.perf_counter()
    data = plan.fold_data(index)
    _log_fold(plan, index, data, False, log)
    return data, fit_lineup(plan, data, fold=index + 1, log=log, map_trials=map_trials), started


def run_fold(plan: ForecastPlan, index: int, *, log: Callable[[str], None] = print,
             map_trials: Callable = sequential_map) -> FoldOutcome:
    """Step 2 for one fold (0-based ``index``): fit scalers and every model on its rows, forecast.

    Every model is seeded from ``config.seed`` when it is fitted, so a fold gives the same
    numbers whichever process runs it and whatever ran there before. ``map_trials`` runs a
    search's rounds of trials (one after another by default; the Ray executor's run them
    as tasks).
    """
    data, fitted, started = _fit_fold(plan, index, log, map_trials)
    return _outcome(plan, index, data, fitted, None, started, log)


def run_folds(plan: ForecastPlan, *, log: Callable[[str], None] = print,
              map_trials: Callable = sequential_map) -> list[FoldOutcome]:
    """Step 2 for every fold in order; with ``refit=False`` the first fold's models and
    scalers forecast every later fold unchanged."""
    if plan.config.refit:
        return [run_fold(plan, index, log=log, map_trials=map_trials) for index in range(plan.n_folds)]
    data, fitted, started = _fit_fold(plan, 0, log, map_trials)
    folds = [_outcome(plan, 0, data, fitted, None, started, log)]
    scalers = (data.feature_scaler, data.target_scaler)
    for index in range(1, plan.n_folds):
        started = time.perf_counter()
        data = plan.fold_data(index, scalers)
        _log_fold(plan, index, data, True, log)
        kept = FittedModels(models=dict(fitted.models), failures=dict(fitted.failures), tuning=dict(fitted.tuning))
        folds.append(_outcome(plan, index, data, kept, plan.bounds[0], started, log))
    return folds


def final_epochs(last_fold: FoldOutcome) -> dict[str, int]:
    """The epochs early stopping chose for each network on the last fold: how long each is
    trained on all rows, where no rows are left to stop on."""
    return {name: record.best_epoch for name, record in last_fold.training.items()}


@dataclass
class FinalFit:
    """Step 3's models, refitted on all rows, their forecast past the data, and the models
    that failed there."""

    models: dict
    next_forecasts: dict[str, np.ndarray]
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)


def fit_final(plan: ForecastPlan, last_fold: FoldOutcome, *, log: Callable[[str], None] = print) -> FinalFit:
    """Step 3: refit every model and scaler on all rows and forecast past the last date.

    Args:
        plan: The run's plan.
        last_fold: The last fold's outcome: networks train for the epochs early stopping
            chose there, tuned copies with the values their search chose there, and models
            that failed there are left out.
        log: Receives one line per stage.
    """
    started = time.perf_counter()
    n = len(plan.series)
    data = plan.windowed(FoldBounds(0, n, n, n, n))
    log(f"[final] refitting every model on all {n:,} rows for the forecast past the data")
    fitted = fit_lineup(plan, data, fold=None, log=log, epochs=final_epochs(last_fold),
                        chosen={name: record.chosen for name, record in last_fold.tuning.items()},
                        skip=set(last_fold.failures))
    next_forecasts, _ = forecasts(fitted, data, ("next",), intervals=False, log=log)
    return FinalFit(models=fitted.models, next_forecasts={name: f[0] for name, f in next_forecasts["next"].items()},
                    seconds=time.perf_counter() - started, failures=fitted.failures)


def range_warnings(config: ForecastConfig, series: np.ndarray, folds: list[FoldOutcome]) -> list[str]:
    """Plain-words warnings when test prices leave the range a price scaler was fitted on."""
    if config.target != "price":
        return []
    outside = []
    for fold in folds:
        b = fold.bounds
        train = series[b.train_start:b.train_end]
        test = fold.actual[:, 0]
        outside.append(((test > train.max()) | (test < train.min())).mean())
    share = float(np.mean(outside))
    if share == 0:
        return []
    return [
        f"{100 * share:.0f}% of test prices lie outside the range of their fold's training prices. "
        "The min-max scaler, fitted on training rows only as it must be, maps them outside [0, 1], "
        "where the networks never trained; level forecasts there are extrapolation. "
        "The default --target log-return models scale-free returns instead."
    ]


def _failures(folds: list[FoldOutcome], final: FinalFit) -> dict[str, str]:
    """Each failed model's first reason, with where it failed."""
    failures: dict[str, str] = {}
    for fold in folds:
        for name, reason in fold.failures.items():
            failures.setdefault(name, f"fold {fold.index}: {reason}")
    for name, reason in final.failures.items():
        failures.setdefault(name, f"refit on all rows: {reason}")
    return failures


def _without(fold: FoldOutcome, failed) -> FoldOutcome:
    """The fold with the failed models' forecasts left out (every fold must hold the same models)."""
    keep = lambda table: {name: value for name, value in table.items() if name not in failed}  # noqa: E731
    return replace(fold, predictions=keep(fold.predictions), intervals=keep(fold.intervals),
                   validation={**fold.validation, "predictions": keep(fold.validation["predictions"])},
                   metrics=keep(fold.metrics), training=keep(fold.training))


def assemble(plan: ForecastPlan, folds: list[FoldOutcome], final: FinalFit) -> ForecastResult:
    """Step 4: score the folds' pooled test forecasts and put the forecast past the data on
    the exchange's trading days with adaptive conformal intervals. A model that failed on
    any fold or in the final refit leaves the comparison, with its reason in the result."""
    config, series = plan.config, plan.series
    failures = _failures(folds, final)
    folds = [_without(fold, failures) for fold in folds]
    models = {name: model for name, model in final.models.items() if name not in failures}
    next_forecasts = {name: value for name, value in final.next_forecasts.items() if name not in failures}
    panel = score(folds, series, config.horizon, config.cost_bps, plan.sigma,
                  pairs={e.name: e.tuned_from for e in plan.lineup.tuned})
    next_intervals = {}
    for name, forecast in next_forecasts.items():
        states = panel.adaptive_state[name]
        next_intervals[name] = {level: tuple(b.reshape(-1) for b in conformal.band(
            forecast[None, :], plan.sigma[-1:], states[level].quantiles())) for level in LEVELS}
    next_dates, calendar_note = trading_days_after(plan.dates[-1], config.horizon, plan.calendar.name)
    calendar = plan.calendar
    if calendar_note:
        calendar = CalendarChoice(calendar.name, f"{calendar.reason}; {calendar_note}")
    backtest_seconds = float(sum(fold.seconds for fold in folds))
    return ForecastResult(
        config=config, prices=plan.prices, dates=plan.dates, series=series, folds=list(folds),
        models=models, panel=panel, calendar=calendar, next_dates=next_dates,
        next_forecasts=next_forecasts, next_intervals=next_intervals,
        descriptions={name: m.description_ for name, m in models.items()},
        lineup=plan.lineup, failures=failures,
        warnings=range_warnings(config, series, folds),
        seconds={"backtest": backtest_seconds, "final refit": final.seconds},
        versions=library_versions(),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def run_forecast(prices: PriceFrame, config: ForecastConfig = ForecastConfig(), models=None, *,
                 log: Callable[[str], None] = print) -> ForecastResult:
    """Backtest the chosen models fold by fold, score the pooled test forecasts, and
    forecast past the data with every model refitted on all rows.

    Args:
        prices: A validated price frame.
        config: The run's settings. Defaults to the lecture's network on log returns, one split.
        models: Your models by name, beside ``config.models``: a
            :class:`~toolkit.forecasters.Forecaster` (``KerasForecaster(stacked_gru, units=64)``),
            a Keras builder function, a scikit-learn regressor, a statsforecast model, or a
            reference such as ``"sklearn.linear_model:Ridge"``. Defaults to None.
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        The :class:`ForecastResult`, everything a report needs.

    Example:
        >>> from toolkit.forecasters import KerasForecaster          # doctest: +SKIP
        >>> from toolkit.builders import stacked_gru
        >>> result = run_forecast(prices, ForecastConfig(models=("naive", "lstm")),
        ...                       models={"gru64": KerasForecaster(stacked_gru, units=64)})
    """
    plan = plan_forecast(prices, config, models, log=log)
    folds = run_folds(plan, log=log)
    return assemble(plan, folds, fit_final(plan, folds[-1], log=log))
