"""What a forecasting run returns: each walk-forward fold's outcome and the whole result,
with its notebook-facing tables and figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape as html_escape

import numpy as np
import pandas as pd

from toolkit.data.calendars import CalendarChoice
from toolkit.data.frame import PriceFrame
from toolkit.evaluation.intervals import LEVELS
from toolkit.pipelines.windowed import FoldBounds
from toolkit.runs.forecast.config import ForecastConfig
from toolkit.runs.forecast.panel import Panel, pool_folds


@dataclass
class FoldOutcome:
    """One walk-forward fold: its boundaries, audit dates and forecasts.

    Attributes:
        training: The networks' training records on this fold (loss curves, epochs).
        scale: MASE's denominator: the in-sample one-step naive MAE of the training rows.
        validation: ``{"origin", "actual", "predictions"}`` of the validation part: each
            model's held-out residuals, which calibrate its conformal intervals.
        intervals: The models' own bands on the test part, where they have them.
        seconds: Wall time of the fold: fitting, forecasting and scoring.
        failures: Models that failed on this fold, with their one-line reasons.
        tuning: The hyperparameter searches run on this fold, by the tuned copy's name
            (:class:`toolkit.tuning.search.SearchRecord`).
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
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)
    tuning: dict[str, object] = field(default_factory=dict)


@dataclass
class ForecastResult:
    """Everything a report needs; see :func:`run_forecast`.

    ``models`` are the final models, refitted on all rows: the ones that made
    ``next_forecasts`` and that the report folder saves. Each fold keeps its own
    forecasts, training records and searches. ``lineup`` says where each model came from;
    ``failures`` holds the models that failed (on a fold or in the final refit) and left the
    comparison, with their reasons.
    """

    config: ForecastConfig
    prices: PriceFrame
    dates: pd.DatetimeIndex
    series: np.ndarray
    folds: list[FoldOutcome]
    models: dict
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
    lineup: object = None
    failures: dict[str, str] = field(default_factory=dict)
    saved: dict = field(default_factory=dict)

    @property
    def titles(self) -> dict[str, str]:
        return {name: model.title for name, model in self.models.items()}

    def searches(self) -> dict[str, list]:
        """Each tuned copy's searches, one per fold it ran on (a frozen run searches once)."""
        found: dict[str, list] = {}
        for fold in self.folds:
            for name, record in fold.tuning.items():
                if record.fold == fold.index:
                    found.setdefault(name, []).append(record)
        return found

    def tuning_frame(self) -> pd.DataFrame:
        """Every trial of every search: model, fold, trial, state, objective, seconds and its values."""
        rows = [{"model": name, "fold": record.fold, "trial": t.number, "state": t.state, "objective": t.value,
                 "seconds": t.seconds, **t.params, "reason": t.reason}
                for name, records in self.searches().items() for record in records for t in record.trials]
        return pd.DataFrame(rows)

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
                "dm_beats", "move_slope", "move_p", "move_evidence")
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
