"""The forecasting run: checked prices + configuration -> backtested models, honesty panel.

:func:`run_forecast` is a function of (prices, config) alone: no disk or network, so a
caller can fan it out over many tickers. :func:`write_forecast_report` is the I/O edge.

Per walk-forward fold the scalers are fitted on that fold's training rows and every model
is refitted (or, ``refit=False``, the first fold's model and its scalers are kept frozen).
Test forecasts of all folds are pooled for the honesty panel: MASE and Theil's U against
the random walk, directional accuracy with its binomial p-value, the Diebold-Mariano test
against naive persistence, a lag diagnostic, interval coverage and a long/flat strategy.
"""

from __future__ import annotations

import json
import platform
import re
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from toolkit.data.frame import PriceFrame
from toolkit.errors import UsageError
from toolkit.evaluation.backtest import MODES, walk_forward_bounds
from toolkit.evaluation.intervals import LEVELS, coverage
from toolkit.evaluation.metrics import forecast_metrics, naive_scale, rank_models
from toolkit.evaluation.significance import (
    diebold_mariano, direction_p_value, lag_diagnostic, theil_u, verdict,
)
from toolkit.evaluation.strategy import long_flat
from toolkit.pipelines.features import check_features, feature_matrix
from toolkit.pipelines.split import check_fractions
from toolkit.pipelines.windowed import TARGETS, FoldBounds, WindowedData, make_windowed_data
from toolkit.pipelines.windows import check_window_horizon
from toolkit.runs.forecast_models import (
    DEFAULT_MODELS, STRATEGIES, ForecastModel, check_models, create_model,
)

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "scipy", "yfinance")
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class ForecastConfig:
    """Settings of one forecasting run; model defaults follow the lecture.

    Attributes:
        window: Input steps per sample. Defaults to 60.
        horizon: Business days forecast, steps 1..horizon. Defaults to 1.
        target: ``"price"`` or ``"log-return"``. Defaults to ``"price"``.
        features: Input columns (see :mod:`toolkit.pipelines.features`). Defaults to ``("close",)``.
        models: Models to compare (naive is always added). Defaults to naive, moving
            average, linear, MLP with Gaussian head, stacked LSTM.
        multistep: ``"direct"`` (one output per step) or ``"recursive"`` (a one-step model
            fed its own forecasts). Defaults to ``"direct"``.
        folds: Walk-forward folds; 1 is a single chronological split. Defaults to 1.
        fold_mode: ``"expanding"`` or ``"sliding"`` training windows. Defaults to ``"expanding"``.
        refit: Refit models (and scalers) on every fold; False keeps the first fold's frozen.
            Defaults to True.
        gap: Rows between the last training (validation) target and the first test target;
            at least the horizon. Defaults to the horizon.
        epochs: Most training epochs. Defaults to 20.
        batch_size: Defaults to 128 (350 samples/s on 2 cores against 200 at 32).
        patience: Early-stopping patience on validation loss. Defaults to 5.
        seed: Seed for every random draw. Defaults to 42.
        val_fraction: Validation share of the (first) training rows. Defaults to 0.15.
        test_fraction: Test share of the rows for a single split. Defaults to 0.15.
        lstm_units: Units of each LSTM layer. Defaults to 256.
        dropout: Dropout after each LSTM layer. Defaults to 0.4.
        dense_units: Units of the ReLU layer. Defaults to 64.
        learning_rate: Adam's learning rate. Defaults to 1e-3.
        mc_samples: Monte Carlo dropout passes for the LSTM's intervals; 0 for none. Defaults to 30.
        cost_bps: Trading cost per position change in the strategy check. Defaults to 5.
        max_rows: Keep only the newest rows; ``None`` keeps all. Defaults to None.
        quick: Whether this is the reduced ``--quick`` profile (stated in the report).
        verbose: Keras progress (0, 1 or 2). Defaults to 2.
    """

    window: int = 60
    horizon: int = 1
    target: str = "price"
    features: tuple[str, ...] = ("close",)
    models: tuple[str, ...] = DEFAULT_MODELS
    multistep: str = "direct"
    folds: int = 1
    fold_mode: str = "expanding"
    refit: bool = True
    gap: int | None = None
    epochs: int = 20
    batch_size: int = 128
    patience: int = 5
    seed: int = 42
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    lstm_units: int = 256
    dropout: float = 0.4
    dense_units: int = 64
    learning_rate: float = 1e-3
    mc_samples: int = 30
    cost_bps: float = 5.0
    max_rows: int | None = None
    quick: bool = False
    verbose: int = 2

    @property
    def effective_gap(self) -> int:
        return self.horizon if self.gap is None else self.gap

    def quick_profile(self) -> "ForecastConfig":
        """The same run made small for tests and a first look: newest 1,000 rows, a
        32-unit LSTM, 3 epochs, 10 Monte Carlo passes."""
        return replace(self, epochs=min(self.epochs, 3), lstm_units=32, dense_units=16,
                       max_rows=1000 if self.max_rows is None else min(self.max_rows, 1000),
                       mc_samples=min(self.mc_samples, 10), quick=True)

    def validate(self) -> "ForecastConfig":
        """Check every value; returns a copy with names normalised. Raises :class:`UsageError`."""
        check_window_horizon(self.window, self.horizon)
        check_fractions(self.val_fraction, self.test_fraction)
        if self.target not in TARGETS:
            raise UsageError(f"--target must be one of {', '.join(TARGETS)}. Received: {self.target!r}")
        if self.multistep not in STRATEGIES:
            raise UsageError(f"--multistep must be one of {', '.join(STRATEGIES)}. Received: {self.multistep!r}")
        if self.fold_mode not in MODES:
            raise UsageError(f"--fold-mode must be one of {', '.join(MODES)}. Received: {self.fold_mode!r}")
        for flag, value in (("--epochs", self.epochs), ("--batch-size", self.batch_size),
                            ("--patience", self.patience), ("--folds", self.folds),
                            ("lstm_units", self.lstm_units), ("dense_units", self.dense_units)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"{flag} must be a positive whole number. Received: {value!r}")
        if self.gap is not None and self.gap < self.horizon:
            raise UsageError(f"--gap must be at least the horizon so no training target overlaps a "
                             f"test target. Received: gap={self.gap}, horizon={self.horizon}")
        if self.mc_samples < 0 or self.cost_bps < 0:
            raise UsageError(f"--mc-samples and --cost-bps must not be negative. "
                             f"Received: {self.mc_samples}, {self.cost_bps}")
        if self.max_rows is not None and self.max_rows < 1:
            raise UsageError(f"max_rows must be positive. Received: {self.max_rows!r}")
        features = check_features(self.features)
        if self.multistep == "recursive" and features != ("close",):
            raise UsageError("--multistep recursive feeds forecasts back as inputs, so the close price "
                             f"must be the only feature. Received: features={','.join(features)}")
        return replace(self, features=features, models=check_models(self.models))


@dataclass
class FoldOutcome:
    """One walk-forward fold: its boundaries, audit dates and test forecasts."""

    index: int
    bounds: FoldBounds
    audit: dict[str, str]
    origin: np.ndarray
    actual: np.ndarray
    predictions: dict[str, np.ndarray]
    intervals: dict[str, dict[float, tuple[np.ndarray, np.ndarray]]]
    metrics: dict[str, dict[str, float]]
    training: dict[str, object]


@dataclass
class ForecastResult:
    config: ForecastConfig
    prices: PriceFrame
    dates: pd.DatetimeIndex
    series: np.ndarray
    folds: list[FoldOutcome]
    models: dict[str, ForecastModel]
    titles: dict[str, str]
    pooled: dict
    step_metrics: dict[str, list[dict[str, float]]]
    fold_summary: dict[str, dict[str, tuple[float, float]]]
    honesty: dict[str, dict]
    coverage: dict[str, dict[float, float]]
    strategy: dict[str, dict]
    ranking: list[str]
    verdict: str
    next_dates: list[pd.Timestamp]
    next_forecasts: dict[str, np.ndarray]
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    finished_at: str = ""

    @property
    def headline(self) -> dict[str, dict[str, float]]:
        """Pooled test metrics at the last step ahead, per model."""
        return {name: steps[-1] for name, steps in self.step_metrics.items()}


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
        "--target log-return models scale-free returns instead."
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


def _step_metrics(actual, predicted, origin, scales) -> list[dict[str, float]]:
    return [forecast_metrics(actual[:, h], predicted[:, h], origin, scales[h]) for h in range(actual.shape[1])]


def run_forecast(prices: PriceFrame, config: ForecastConfig = ForecastConfig(), *,
                 log: Callable[[str], None] = print) -> ForecastResult:
    """Backtest the chosen models fold by fold, then score the pooled test forecasts.

    Args:
        prices: A validated price frame.
        config: The run's settings. Defaults to the lecture's model, one split.
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        The :class:`ForecastResult`, everything a report needs.
    """
    config = config.validate()
    started = time.perf_counter()
    frame = prices.frame if config.max_rows is None else prices.frame.iloc[-config.max_rows:]
    series = frame[prices.target].to_numpy()
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
        origin_prices = data.origin_prices("test")
        actual = data.actual("test")
        scales = [naive_scale(series[b.train_start:b.train_end], h) for h in range(1, config.horizon + 1)]
        predictions = {name: model.predict_prices(data, "test") for name, model in models.items()}
        folds.append(FoldOutcome(
            index=index + 1, bounds=b, audit=_audit(frame.index, data, all_bounds[0] if frozen else None),
            origin=data.origin["test"], actual=actual, predictions=predictions,
            intervals={name: model.interval_prices(data, "test") for name, model in models.items()},
            metrics={name: _step_metrics(actual, p, origin_prices, scales)[-1] for name, p in predictions.items()},
            training={name: model.training for name, model in models.items() if model.training is not None},
        ))
    next_forecasts = {name: model.predict_prices(data, "next")[0] for name, model in models.items()}

    # Pool the folds' test forecasts (their test blocks do not overlap) for the panel.
    origin_rows = np.concatenate([f.origin for f in folds])
    actual = np.concatenate([f.actual for f in folds])
    origin_prices = series[origin_rows]
    pooled_predictions = {name: np.concatenate([f.predictions[name] for f in folds]) for name in models}
    first_test = all_bounds[0].test_start
    scales = [naive_scale(series[:first_test], h) for h in range(1, config.horizon + 1)]
    step_metrics = {name: _step_metrics(actual, p, origin_prices, scales) for name, p in pooled_predictions.items()}
    naive_last = pooled_predictions["naive"][:, -1]
    honesty = {}
    for name, predicted in pooled_predictions.items():
        dm = diebold_mariano(actual[:, -1], predicted[:, -1], naive_last, config.horizon)
        p_value, hits, calls = direction_p_value(actual[:, -1], predicted[:, -1], origin_prices)
        lag = lag_diagnostic(actual[:, 0], predicted[:, 0])
        honesty[name] = {
            "MASE": step_metrics[name][-1]["MASE"], "theil_u": theil_u(actual[:, -1], predicted[:, -1], naive_last),
            "DirAcc": step_metrics[name][-1]["DirAcc"], "dir_p": p_value, "dir_calls": calls,
            "dm_stat": dm.statistic, "dm_p": dm.p_value, "dm_better": dm.model_better,
            "dm_beats": dm.beats(SIGNIFICANCE), "lag_best": lag["best_lag"], "lag_persistence": lag["persistence"],
            "lag_correlations": lag["correlations"],
        }
    intervals = {}
    for name in models:
        if all(f.intervals.get(name) for f in folds):
            intervals[name] = {level: tuple(np.concatenate([f.intervals[name][level][i] for f in folds])
                                            for i in (0, 1)) for level in LEVELS}
    coverage_table = {name: {level: coverage(actual, *bands[level]) for level in LEVELS}
                      for name, bands in intervals.items()}
    strategy = {name: long_flat(origin_prices, actual[:, 0], predicted[:, 0], config.cost_bps)
                for name, predicted in pooled_predictions.items() if name != "naive"}
    fold_summary = {name: {key: (float(np.mean([f.metrics[name][key] for f in folds])),
                                 float(np.std([f.metrics[name][key] for f in folds])))
                           for key in ("MAE", "RMSE", "MASE", "DirAcc")} for name in models}
    headline = {name: steps[-1] for name, steps in step_metrics.items()}
    last_date = frame.index[-1]
    return ForecastResult(
        config=config, prices=prices, dates=frame.index, series=series, folds=folds, models=models,
        titles={name: model.title for name, model in models.items()},
        pooled={"origin_rows": origin_rows, "actual": actual, "origin_prices": origin_prices,
                "predictions": pooled_predictions, "intervals": intervals},
        step_metrics=step_metrics, fold_summary=fold_summary, honesty=honesty,
        coverage=coverage_table, strategy=strategy, ranking=rank_models(headline),
        verdict=verdict(honesty, config.horizon),
        next_dates=[last_date + pd.offsets.BDay(h) for h in range(1, config.horizon + 1)],
        next_forecasts=next_forecasts, warnings=range_warnings(config, series, folds),
        seconds={"models": time.perf_counter() - started}, versions=library_versions(),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def metrics_document(result: ForecastResult) -> dict:
    """Every number of the report as plain JSON data."""
    from toolkit.reports.writer import to_jsonable

    return to_jsonable({
        "ticker": result.prices.provenance.name,
        "provenance": result.prices.provenance.as_dict(),
        "cleaning": result.prices.cleaning.as_dict(),
        "config": asdict(result.config),
        "folds": [{"fold": f.index, "bounds": asdict(f.bounds), "audit": f.audit, "metrics": f.metrics,
                   "training": {k: v.as_dict() for k, v in f.training.items()}} for f in result.folds],
        "ranking": result.ranking,
        "verdict": result.verdict,
        "warnings": result.warnings,
        "step_metrics": result.step_metrics,
        "fold_summary": result.fold_summary,
        "honesty": result.honesty,
        "coverage": result.coverage,
        "strategy": {name: {"strategy": s["strategy"], "buy_and_hold": s["hold"]} for name, s in result.strategy.items()},
        "next_forecast": {"dates": [str(d.date()) for d in result.next_dates],
                          "models": result.next_forecasts},
        "models": {name: {"title": m.title, "kind": m.kind, "n_params": m.n_params, "interval": m.interval}
                   for name, m in result.models.items()},
        "seconds": result.seconds,
        "versions": result.versions,
        "finished_at": result.finished_at,
    })


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "", text.replace("^", "")) or "series"


def write_forecast_report(result: ForecastResult, out_dir: str | Path) -> Path:
    """Write ``report.html``, ``metrics.json`` and the last fold's fitted models into a new
    folder ``<out_dir>/forecast-<TICKER>-<UTC timestamp>/``, atomically. Returns the HTML path."""
    from toolkit.reports.forecast_report import render_forecast_report
    from toolkit.reports.writer import atomic_write_text, ensure_writable_dir, new_run_folder, staged_directory

    final = new_run_folder(ensure_writable_dir(out_dir), f"forecast-{_safe_name(result.prices.provenance.name)}")
    started = time.perf_counter()
    with staged_directory(final) as staging:
        for model in result.models.values():
            model.save(staging)
        html = render_forecast_report(result)
        result.seconds["report"] = time.perf_counter() - started
        atomic_write_text(staging / "metrics.json", json.dumps(metrics_document(result), indent=2, default=str))
        atomic_write_text(staging / "report.html", html)
    return final / "report.html"


DATA_KEYS = {"ticker": "", "csv": "", "start": "", "end": "", "offline": False, "price_column": "",
             "date_column": "", "cache_dir": ""}
CONFIG_KEYS = {key: (value if value is not None else None) for key, value in asdict(ForecastConfig()).items()
               if key not in ("quick", "verbose")}
PIPELINE_SECTIONS = {"data": DATA_KEYS, "forecast": CONFIG_KEYS}


def forecast_job(request, config: ForecastConfig, out_dir, *, log: Callable[[str], None] = print):
    """The whole job as the CLI runs it: check, load prices, run, write the report.

    Returns:
        ``(report_path, result)``.
    """
    from toolkit.data.load import load_prices
    from toolkit.reports.writer import ensure_writable_dir

    started = time.perf_counter()
    config = config.validate()
    request.dates()
    out_dir = ensure_writable_dir(out_dir)
    log(f"[data] loading {request.csv or request.ticker or '^GSPC (default)'} ...")
    prices = load_prices(request)
    prov = prices.provenance
    data_seconds = time.perf_counter() - started
    log(f"[data] {len(prices):,} rows of {prov.name} {prices.target}, {prices.dates[0].date()} to "
        f"{prices.dates[-1].date()}; source: {prov.source} ({prov.detail})")
    if prov.note:
        log(f"[data] note: {prov.note}")
    result = run_forecast(prices, config, log=log)
    result.seconds = {"data": data_seconds, **result.seconds}
    log("[report] writing ...")
    path = write_forecast_report(result, out_dir)
    result.seconds["total"] = time.perf_counter() - started
    ranking = ", ".join(f"{name} {result.headline[name]['MAE']:.4g}" for name in result.ranking)
    log(f"[result] test MAE: {ranking}")
    log(f"[result] {result.verdict}")
    for warning in result.warnings:
        log(f"[warning] {warning}")
    log(f"[done] report: {path}  ({result.seconds['total']:.1f} s)")
    return path, result


def pipeline_job(pipeline, *, quick: bool, seed: int | None, out_dir, verbose: int = 2,
                 log: Callable[[str], None] = print):
    """Run a checked forecast pipeline file (see :mod:`toolkit.runs.pipeline_file`)."""
    from toolkit.data.load import PriceRequest

    data = {key: (value or None) if not isinstance(value, bool) else value
            for key, value in pipeline.sections.get("data", {}).items()}
    settings = dict(pipeline.sections.get("forecast", {}))
    if seed is not None:
        settings["seed"] = seed
    try:
        config = ForecastConfig(**settings, verbose=verbose)
        if quick:
            config = config.quick_profile()
        config = config.validate()
        if data.get("csv") and data.get("ticker"):
            raise UsageError("give ticker or csv in [data], not both")
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: {err}") from None
    return forecast_job(PriceRequest(**data), config, out_dir, log=log)
