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
from html import escape as html_escape
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
from toolkit.runs.forecast.panel import Panel, fold_metrics, pool_folds, score

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

    def pooled_test(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """The folds' test forecasts in time order: origin rows ``(m,)``, fold numbers ``(m,)``,
        actual prices ``(m, horizon)`` and each model's forecasts ``(m, horizon)``."""
        return pool_folds(self.folds)

    # The notebook-facing side: tables as pandas DataFrames, figures as matplotlib Figures,
    # and an HTML summary when the result is the last expression of a Jupyter cell.

    def metrics_frame(self) -> pd.DataFrame:
        """Pooled test metrics at the last step, one row per model, best first."""
        frame = pd.DataFrame.from_dict(self.headline, orient="index").loc[self.ranking]
        frame.insert(0, "title", [self.titles[name] for name in frame.index])
        frame.index.name = "model"
        return frame

    def honesty_frame(self) -> pd.DataFrame:
        """The honesty panel: MASE, Theil's U, direction and its base rate, Pesaran-Timmermann,
        Diebold-Mariano (raw and Holm-adjusted), the move test; one row per model."""
        keys = ("MASE", "theil_u", "DirAcc", "base_rate", "pt_p", "dir_skilled", "dm_stat", "dm_p", "dm_p_holm",
                "dm_beats", "move_slope", "move_p", "adds_nothing")
        frame = pd.DataFrame({name: {k: h[k] for k in keys} for name, h in self.panel.honesty.items()}).T
        frame.index.name = "model"
        return frame

    def coverage_frame(self) -> pd.DataFrame:
        """Interval coverage: one row per model, method and level, with the worst fold, the
        mean width (% of price) and the Winkler score."""
        rows = [{"model": name, "method": method, "level": level, "coverage": t["coverage"],
                 "worst_fold": min(t["by_fold"]), "width_pct": t["width_pct"], "winkler": t["winkler"]}
                for name, methods in self.panel.coverage.items() for method, levels in methods.items()
                for level, t in levels.items()]
        return pd.DataFrame(rows).set_index(["model", "method", "level"])

    def predictions_frame(self) -> pd.DataFrame:
        """Every test forecast: model, fold, origin and target dates, step, actual, forecast
        and each interval's bounds (what ``forecasts.csv`` holds)."""
        origin, fold, actual, predictions = self.pooled_test()
        steps = np.arange(1, actual.shape[1] + 1)
        frames = []
        for name in self.models:
            columns = {"model": name, "fold": np.repeat(fold, len(steps)),
                       "origin_date": np.repeat(self.dates[origin], len(steps)),
                       "target_date": self.dates[(origin[:, None] + steps).ravel()],
                       "step": np.tile(steps, len(origin)), "actual": actual.ravel(),
                       "forecast": predictions[name].ravel()}
            for method, levels in self.panel.bands[name].items():
                for level, (lower, upper) in levels.items():
                    columns[f"{method}_{int(round(100 * level))}_lower"] = lower.ravel()
                    columns[f"{method}_{int(round(100 * level))}_upper"] = upper.ravel()
            frames.append(pd.DataFrame(columns))
        return pd.concat(frames, ignore_index=True)

    def next_frame(self) -> pd.DataFrame:
        """The forecast past the data: one row per model and trading day, with the adaptive
        conformal 80% and 95% bounds and whether the model beat naive in the backtest."""
        rows = []
        for name, values in self.next_forecasts.items():
            for step, (date, value) in enumerate(zip(self.next_dates, values)):
                bands = self.next_intervals[name]
                rows.append({"model": name, "date": date, "forecast": value,
                             **{f"{key}_{int(round(100 * level))}": bands[level][i][step]
                                for level in LEVELS for i, key in enumerate(("lower", "upper"))},
                             "beat_naive": bool(self.panel.honesty[name]["dm_beats"])})
        return pd.DataFrame(rows)

    def plot_test(self):
        """Figure: test-period prices against every model's forecasts (last step ahead)."""
        from toolkit.reports import plots

        step = self.config.horizon - 1
        origin, _, actual, predictions = self.pooled_test()
        return plots.actual_vs_predicted_figure(self.dates[origin + self.config.horizon], actual[:, step],
                                                {name: p[:, step] for name, p in predictions.items()},
                                                f"Test forecasts {self.config.horizon} trading day(s) ahead")

    def plot_intervals(self, models=None, method: str = "adaptive"):
        """Figure: each chosen model's forecast with its 80% and 95% bands (conformal by
        default; ``method="split"`` or ``"native"``) over the last 120 test days."""
        from toolkit.reports import plots

        step = self.config.horizon - 1
        models = [m for m in (models or self.ranking[:4]) if method in self.panel.bands[m]]
        origin, _, actual, pooled = self.pooled_test()
        predictions = {m: pooled[m][:, step] for m in models}
        bands = {m: {level: (lo[:, step], hi[:, step]) for level, (lo, hi) in self.panel.bands[m][method].items()}
                 for m in models}
        return plots.interval_figure(self.dates[origin + self.config.horizon], actual[:, step], predictions, bands,
                                     title=f"{method} bands")

    def _repr_html_(self) -> str:
        name = self.prices.provenance.name
        table = self.metrics_frame()[["title", "MAE", "MASE", "MAE_bp", "DirAcc"]].to_html(
            float_format=lambda v: f"{v:.4g}", border=0)
        return (f"<div><strong>Forecast of {html_escape(name)}</strong>: {len(self.folds)} fold(s), "
                f"horizon {self.config.horizon}, target {self.config.target}.<br><em>{html_escape(self.verdict)}</em>"
                f"{table}<small>Also: honesty_frame(), coverage_frame(), predictions_frame(), next_frame(), "
                "plot_test(), plot_intervals(); write_forecast_report(result, folder) for the full report."
                "</small></div>")


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
