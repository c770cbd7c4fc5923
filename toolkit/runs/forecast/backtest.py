"""The forecasting run: checked prices + configuration -> backtested models, scored honestly.

:func:`run_forecast` is a function of (prices, config) alone: no disk or network, so a
caller can fan it out over many tickers. Per walk-forward fold the scalers are fitted on
that fold's training rows and every model is refitted (or, ``refit=False``, the first
fold's models and scalers are kept frozen). Each model forecasts its fold's validation part
(the conformal calibration set) and test part. The pooled test forecasts are scored by
:mod:`toolkit.runs.forecast.panel`. Finally every model and scaler is refitted on all rows,
so the forecast past the data comes from models that have seen prices up to the last date,
on the exchange's trading days, with adaptive conformal intervals.
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
from toolkit.runs.forecast.panel import Panel, fold_metrics, score

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "scipy", "statsforecast",
             "exchange-calendars", "yfinance")


@dataclass
class FoldOutcome:
    """One walk-forward fold: its boundaries, audit dates and forecasts.

    Attributes:
        training: The networks' training records on this fold (loss curves, epochs).
        scale: MASE's denominator: the in-sample one-step naive MAE of the training rows.
        validation: ``{"origin", "actual", "predictions"}`` of the validation part: each
            model's held-out residuals, which calibrate its conformal intervals.
        intervals: The models' own bands on the test part, where they have them.
    """

    index: int
    bounds: FoldBounds
    audit: dict[str, str]
    origin: np.ndarray
    actual: np.ndarray
    predictions: dict[str, np.ndarray]
    validation: dict
    intervals: dict[str, dict[float, tuple[np.ndarray, np.ndarray]]]
    scale: float
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    training: dict[str, object] = field(default_factory=dict)


@dataclass
class ForecastResult:
    """Everything a report needs; see :func:`run_forecast`.

    ``models`` are the final models, refitted on all rows: the ones that made
    ``next_forecasts`` and that the report folder saves. Each fold keeps its own
    forecasts and training records.
    """

    config: ForecastConfig
    prices: PriceFrame
    dates: pd.DatetimeIndex
    series: np.ndarray
    folds: list[FoldOutcome]
    models: dict[str, ForecastModel]
    panel: Panel
    calendar: CalendarChoice
    next_dates: list[pd.Timestamp]
    next_forecasts: dict[str, np.ndarray]
    next_intervals: dict[str, dict[float, tuple[np.ndarray, np.ndarray]]]
    descriptions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    finished_at: str = ""

    @property
    def titles(self) -> dict[str, str]:
        return {name: model.title for name, model in self.models.items()}

    @property
    def headline(self) -> dict[str, dict[str, float]]:
        """Pooled test metrics at the last step ahead, per model."""
        return {name: steps[-1] for name, steps in self.panel.step_metrics.items()}

    @property
    def ranking(self) -> list[str]:
        return self.panel.ranking

    @property
    def verdict(self) -> str:
        return self.panel.verdict


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


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


def _final_fit(models, config, series, window_kwargs, log) -> tuple[dict, WindowedData]:
    """Refit every model and scaler on all rows for the forecast past the data.

    Networks train for the epochs early stopping chose on the last fold (no rows are left
    to stop on); everything else refits as it did per fold.
    """
    n = len(series)
    data = make_windowed_data(series, bounds=FoldBounds(0, n, n, n, n), **window_kwargs)
    log(f"[final] refitting every model on all {n:,} rows for the forecast past the data")
    final = {}
    for name, model in models.items():
        epochs = model.training.best_epoch if model.training is not None else None
        final[name] = create_model(name, config).fit(data, log=log, epochs=epochs)
    return final, data


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
    config = config.validate()
    started = time.perf_counter()
    calendar = choose_calendar(prices.provenance.name, prices.provenance.source, config.calendar)
    frame = prices.frame if config.max_rows is None else prices.frame.iloc[-config.max_rows:]
    series = frame[prices.target].to_numpy()
    sigma = conformal.ewma_volatility(series)
    features = feature_matrix(frame, prices.target, config.features, config.target)
    all_bounds = walk_forward_bounds(len(series), config.folds, window=config.window, horizon=config.horizon,
                                     gap=config.effective_gap, mode=config.fold_mode,
                                     val_fraction=config.val_fraction, test_fraction=config.test_fraction)
    window_kwargs = dict(features=features, window=config.window, horizon=config.horizon,
                         target=config.target, val_fraction=config.val_fraction,
                         test_fraction=config.test_fraction, gap=config.effective_gap)

    folds: list[FoldOutcome] = []
    models: dict[str, ForecastModel] = {}
    scalers = None
    for index, bounds in enumerate(all_bounds):
        frozen = not config.refit and index > 0
        data = make_windowed_data(series, bounds=bounds if config.folds > 1 else None,
                                  scalers=scalers if frozen else None, **window_kwargs)
        b = data.bounds
        log(f"[fold {index + 1}/{len(all_bounds)}] train {frame.index[b.train_start].date()} to "
            f"{frame.index[b.train_end - 1].date()} ({len(data.y['train']):,} windows), validation to "
            f"{frame.index[b.val_end - 1].date()}, test {frame.index[b.test_start].date()} to "
            f"{frame.index[b.test_end - 1].date()} ({len(data.y['test']):,} forecasts)"
            + (" [frozen models]" if frozen else ""))
        if not frozen:
            scalers = (data.feature_scaler, data.target_scaler)
            models = {name: create_model(name, config).fit(data, log=log) for name in config.models}
        fitted_on = all_bounds[0] if frozen else b
        fold = FoldOutcome(
            index=index + 1, bounds=b, audit=_audit(frame.index, data, all_bounds[0] if frozen else None),
            origin=data.origin["test"], actual=data.actual("test"),
            predictions={name: model.predict_prices(data, "test") for name, model in models.items()},
            validation={"origin": data.origin["validation"], "actual": data.actual("validation"),
                        "predictions": {name: model.predict_prices(data, "validation")
                                        for name, model in models.items()}},
            intervals={name: model.interval_prices(data, "test") for name, model in models.items()},
            scale=naive_scale(series[fitted_on.train_start:fitted_on.train_end], 1),
            training={name: model.training for name, model in models.items() if model.training is not None},
        )
        fold.metrics = fold_metrics(fold, series)
        folds.append(fold)
    backtest_seconds = time.perf_counter() - started

    panel = score(folds, series, config.horizon, config.cost_bps, sigma)
    final, final_data = _final_fit(models, config, series, window_kwargs, log)
    next_forecasts = {name: model.predict_prices(final_data, "next")[0] for name, model in final.items()}
    next_intervals = {}
    for name, forecast in next_forecasts.items():
        states = panel.adaptive_state[name]
        next_intervals[name] = {level: tuple(b.reshape(-1) for b in conformal.band(
            forecast[None, :], sigma[-1:], states[level].quantiles())) for level in LEVELS}
    next_dates, calendar_note = trading_days_after(frame.index[-1], config.horizon, calendar.name)
    if calendar_note:
        calendar = CalendarChoice(calendar.name, f"{calendar.reason}; {calendar_note}")
    return ForecastResult(
        config=config, prices=prices, dates=frame.index, series=series, folds=folds, models=final,
        panel=panel, calendar=calendar, next_dates=next_dates, next_forecasts=next_forecasts,
        next_intervals=next_intervals,
        descriptions={name: getattr(m, "description", "") for name, m in final.items()},
        warnings=range_warnings(config, series, folds),
        seconds={"backtest": backtest_seconds, "models": time.perf_counter() - started},
        versions=library_versions(),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
