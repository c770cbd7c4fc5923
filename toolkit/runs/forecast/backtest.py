"""The forecasting run: checked prices + configuration -> backtested models, scored honestly.

:func:`run_forecast` is a function of (prices, config) alone: no disk or network, so a
caller can fan it out over many tickers. It is four steps, each a function of the same
inputs, so an executor can run them anywhere (:mod:`toolkit.runs.universe`):

1. :func:`plan_forecast`: the rows, features and walk-forward fold boundaries (cheap).
2. :func:`run_fold` per fold: the scalers are fitted on that fold's training rows and every
   model is refitted and seeded afresh, so folds are independent of each other and of the
   order they run in. With ``refit=False`` the first fold's models and scalers are kept
   frozen for later folds (:func:`run_folds` runs those in one go). Each model forecasts
   its fold's validation part (the conformal calibration set) and test part.
3. :func:`fit_final`: every model and scaler refitted on all rows, networks for the epochs
   early stopping chose on the last fold, for the forecast past the data.
4. :func:`assemble`: the pooled test forecasts scored by :mod:`toolkit.runs.forecast.panel`,
   the forecast past the data on the exchange's trading days with adaptive conformal intervals.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
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
from toolkit.runs.forecast.models import ForecastModel, create_model
from toolkit.runs.forecast.panel import fold_metrics, score
from toolkit.runs.forecast.result import FoldOutcome, ForecastResult

__all__ = ["ForecastPlan", "FinalFit", "FoldOutcome", "ForecastResult", "plan_forecast", "run_fold", "run_folds",
           "final_epochs", "fit_final", "assemble", "run_forecast", "library_versions"]

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "jax", "jaxlib", "torch", "numpy", "pandas", "scikit-learn", "scipy", "statsforecast",
             "exchange-calendars", "yfinance", "ray")


def library_versions() -> dict[str, str]:
    """Python's version, the Keras backend this run trains on, and every library's version."""
    from toolkit.backend import VERSIONS_KEY, describe, label

    versions = {"python": platform.python_version(), VERSIONS_KEY: label(describe())}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
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
    """

    config: ForecastConfig
    prices: PriceFrame
    calendar: CalendarChoice
    dates: pd.DatetimeIndex
    series: np.ndarray
    sigma: np.ndarray
    features: np.ndarray
    bounds: tuple[FoldBounds, ...]

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


def plan_forecast(prices: PriceFrame, config: ForecastConfig = ForecastConfig()) -> ForecastPlan:
    """Step 1: check the settings against the rows and lay out the folds."""
    config = config.validate()
    frame = prices.frame if config.max_rows is None else prices.frame.iloc[-config.max_rows:]
    series = frame[prices.target].to_numpy()
    bounds = walk_forward_bounds(len(series), config.folds, window=config.window, horizon=config.horizon,
                                 gap=config.effective_gap, mode=config.fold_mode,
                                 val_fraction=config.val_fraction, test_fraction=config.test_fraction)
    plan = ForecastPlan(
        config=config, prices=prices,
        calendar=choose_calendar(prices.provenance.name, prices.provenance.source, config.calendar),
        dates=frame.index, series=series, sigma=conformal.ewma_volatility(series),
        features=feature_matrix(frame, prices.target, config.features, config.target), bounds=tuple(bounds))
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


def _outcome(plan: ForecastPlan, index: int, data: WindowedData, models: dict[str, ForecastModel],
             frozen_from: FoldBounds | None, started: float) -> FoldOutcome:
    fitted_on = frozen_from or data.bounds
    fold = FoldOutcome(
        index=index + 1, bounds=data.bounds, audit=_audit(plan.dates, data, frozen_from),
        origin=data.origin["test"], actual=data.actual("test"),
        predictions={name: model.predict_prices(data, "test") for name, model in models.items()},
        validation={"origin": data.origin["validation"], "actual": data.actual("validation"),
                    "predictions": {name: model.predict_prices(data, "validation")
                                    for name, model in models.items()}},
        intervals={name: model.interval_prices(data, "test") for name, model in models.items()},
        scale=naive_scale(plan.series[fitted_on.train_start:fitted_on.train_end], 1),
        training={name: model.training for name, model in models.items() if model.training is not None},
    )
    fold.metrics = fold_metrics(fold, plan.series)
    fold.seconds = time.perf_counter() - started
    return fold


def _fit_fold(plan: ForecastPlan, index: int, log) -> tuple[WindowedData, dict[str, ForecastModel], float]:
    """Fit scalers and every model on fold ``index``'s rows: its windows, models and start time."""
    started = time.perf_counter()
    data = plan.fold_data(index)
    _log_fold(plan, index, data, False, log)
    return data, {name: create_model(name, plan.config).fit(data, log=log) for name in plan.config.models}, started


def run_fold(plan: ForecastPlan, index: int, *, log: Callable[[str], None] = print) -> FoldOutcome:
    """Step 2 for one fold (0-based ``index``): fit scalers and every model on its rows, forecast.

    Every model is seeded from ``config.seed`` when it is fitted, so a fold gives the same
    numbers whichever process runs it and whatever ran there before.
    """
    data, models, started = _fit_fold(plan, index, log)
    return _outcome(plan, index, data, models, None, started)


def run_folds(plan: ForecastPlan, *, log: Callable[[str], None] = print) -> list[FoldOutcome]:
    """Step 2 for every fold in order; with ``refit=False`` the first fold's models and
    scalers forecast every later fold unchanged."""
    if plan.config.refit:
        return [run_fold(plan, index, log=log) for index in range(plan.n_folds)]
    data, models, started = _fit_fold(plan, 0, log)
    folds = [_outcome(plan, 0, data, models, None, started)]
    scalers = (data.feature_scaler, data.target_scaler)
    for index in range(1, plan.n_folds):
        started = time.perf_counter()
        data = plan.fold_data(index, scalers)
        _log_fold(plan, index, data, True, log)
        folds.append(_outcome(plan, index, data, models, plan.bounds[0], started))
    return folds


def final_epochs(last_fold: FoldOutcome) -> dict[str, int]:
    """The epochs early stopping chose for each network on the last fold: how long each is
    trained on all rows, where no rows are left to stop on."""
    return {name: record.best_epoch for name, record in last_fold.training.items()}


@dataclass
class FinalFit:
    """Step 3's models, refitted on all rows, and their forecast past the data."""

    models: dict[str, ForecastModel]
    next_forecasts: dict[str, np.ndarray]
    seconds: float = 0.0


def fit_final(plan: ForecastPlan, epochs: dict[str, int], *, log: Callable[[str], None] = print) -> FinalFit:
    """Step 3: refit every model and scaler on all rows and forecast past the last date.

    Args:
        plan: The run's plan.
        epochs: Training epochs per network (:func:`final_epochs` of the last fold); models
            not named refit as they did per fold.
        log: Receives one line per stage.
    """
    started = time.perf_counter()
    n = len(plan.series)
    data = plan.windowed(FoldBounds(0, n, n, n, n))
    log(f"[final] refitting every model on all {n:,} rows for the forecast past the data")
    models = {name: create_model(name, plan.config).fit(data, log=log, epochs=epochs.get(name))
              for name in plan.config.models}
    forecasts = {name: model.predict_prices(data, "next")[0] for name, model in models.items()}
    return FinalFit(models=models, next_forecasts=forecasts, seconds=time.perf_counter() - started)


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


def assemble(plan: ForecastPlan, folds: list[FoldOutcome], final: FinalFit) -> ForecastResult:
    """Step 4: score the folds' pooled test forecasts and put the forecast past the data on
    the exchange's trading days with adaptive conformal intervals."""
    config, series = plan.config, plan.series
    panel = score(folds, series, config.horizon, config.cost_bps, plan.sigma)
    next_intervals = {}
    for name, forecast in final.next_forecasts.items():
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
        models=final.models, panel=panel, calendar=calendar, next_dates=next_dates,
        next_forecasts=final.next_forecasts, next_intervals=next_intervals,
        descriptions={name: getattr(m, "description", "") for name, m in final.models.items()},
        warnings=range_warnings(config, series, folds),
        seconds={"backtest": backtest_seconds, "models": backtest_seconds + final.seconds},
        versions=library_versions(),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def run_forecast(prices: PriceFrame, config: ForecastConfig = ForecastConfig(), *,
                 log: Callable[[str], None] = print) -> ForecastResult:
    """Backtest the chosen models fold by fold, score the pooled test forecasts, and
    forecast past the data with every model refitted on all rows.

    Args:
        prices: A validated price frame.
        config: The run's settings. Defaults to the lecture's network on log returns, one split.
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        The :class:`ForecastResult`, everything a report needs.
    """
    plan = plan_forecast(prices, config)
    folds = run_folds(plan, log=log)
    return assemble(plan, folds, fit_final(plan, final_epochs(folds[-1]), log=log))
