"""The forecasting run: checked prices + configuration -> trained models, metrics, report.

:func:`run_forecast` is a function of (prices, config) alone: no disk or network, so a
caller can fan it out over many tickers. :func:`write_forecast_report` is the I/O edge.
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
from toolkit.evaluation.baselines import NaivePersistence, WindowLinear
from toolkit.evaluation.metrics import forecast_metrics, naive_scale, rank_models, verdict
from toolkit.pipelines.split import check_fractions
from toolkit.pipelines.windowed import TARGETS, WindowedData, make_windowed_data
from toolkit.pipelines.windows import check_window_horizon

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "yfinance")


@dataclass(frozen=True)
class ForecastConfig:
    """Settings of one forecasting run; defaults follow the lecture.

    Attributes:
        window: Input steps per sample. Defaults to 60.
        horizon: Business days ahead of the last input. Defaults to 1.
        target: ``"price"`` or ``"log-return"``. Defaults to ``"price"``.
        epochs: Most training epochs. Defaults to 20.
        batch_size: Defaults to 128 (350 samples/s on 2 cores against 200 at 32).
        patience: Early-stopping patience on validation loss. Defaults to 5.
        seed: Seed for every random draw. Defaults to 42.
        val_fraction: Rows for validation. Defaults to 0.15.
        test_fraction: Rows for the test. Defaults to 0.15.
        lstm_units: Units of each LSTM layer. Defaults to 256.
        dropout: Dropout after each LSTM layer. Defaults to 0.4.
        dense_units: Units of the ReLU layer. Defaults to 64.
        learning_rate: Adam's learning rate. Defaults to 1e-3.
        max_rows: Keep only the newest rows; ``None`` keeps all. Defaults to None.
        quick: Whether this is the reduced ``--quick`` profile (stated in the report).
        verbose: Keras progress (0, 1 or 2). Defaults to 2.
    """

    window: int = 60
    horizon: int = 1
    target: str = "price"
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
    max_rows: int | None = None
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "ForecastConfig":
        """The same run made small for tests and a first look: newest 1,000 rows, a
        32-unit LSTM, 3 epochs."""
        return replace(self, epochs=min(self.epochs, 3), lstm_units=32, dense_units=16,
                       max_rows=1000 if self.max_rows is None else min(self.max_rows, 1000),
                       quick=True)

    def validate(self) -> "ForecastConfig":
        check_window_horizon(self.window, self.horizon)
        check_fractions(self.val_fraction, self.test_fraction)
        if self.target not in TARGETS:
            raise UsageError(f"--target must be one of {', '.join(TARGETS)}. Received: {self.target!r}")
        for flag, value in (("--epochs", self.epochs), ("--batch-size", self.batch_size),
                            ("--patience", self.patience), ("lstm_units", self.lstm_units),
                            ("dense_units", self.dense_units)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"{flag} must be a positive whole number. Received: {value!r}")
        if self.max_rows is not None and self.max_rows < 1:
            raise UsageError(f"max_rows must be positive. Received: {self.max_rows!r}")
        return self


@dataclass
class ModelOutcome:
    """One model's forecasts and scores.

    Attributes:
        name: Short key (``naive``, ``linear``, ``lstm``).
        title: Human description.
        kind: ``"baseline"`` or ``"neural"``.
        predictions: Per part (``validation``, ``test``), forecast prices.
        metrics: Per part, :func:`forecast_metrics` of the forecasts.
        next_forecast: Forecast price for the first date past the data.
        training: The :class:`~toolkit.training.TrainingRecord` of neural models.
        n_params: Trainable parameters of neural models, coefficients of linear ones.
        estimator: The fitted model (Keras or scikit-learn style).
    """

    name: str
    title: str
    kind: str
    predictions: dict[str, np.ndarray]
    metrics: dict[str, dict[str, float]]
    next_forecast: float
    training: object | None
    n_params: int | None
    estimator: object


@dataclass
class ForecastResult:
    config: ForecastConfig
    prices: PriceFrame
    data: WindowedData
    dates: pd.DatetimeIndex
    outcomes: dict[str, ModelOutcome]
    ranking: list[str]
    verdict: str
    next_date: pd.Timestamp
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    finished_at: str = ""

    def part_dates(self, part: str) -> pd.DatetimeIndex:
        return self.dates[self.data.target_index[part]]


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _evaluate(name, title, kind, predict: Callable, data: WindowedData, scale: float,
              training=None, n_params=None, estimator=None) -> ModelOutcome:
    predictions, metrics = {}, {}
    for part in ("validation", "test"):
        origin = data.origin_prices(part)
        predictions[part] = data.to_price(predict(data.x[part]), origin)
        metrics[part] = forecast_metrics(data.actual(part), predictions[part], origin, scale)
    last_price = data.prices[-1:]
    next_forecast = float(data.to_price(predict(data.x_next), last_price)[0])
    return ModelOutcome(name, title, kind, predictions, metrics, next_forecast, training,
                        n_params, estimator)


def range_warnings(data: WindowedData) -> list[str]:
    """Plain-words warnings when test prices leave the range the price scaler was fitted on."""
    if data.target != "price":
        return []
    train = data.prices[: data.split.train_end]
    test = data.actual("test")
    outside = np.mean((test > train.max()) | (test < train.min()))
    if outside == 0:
        return []
    return [
        f"{100 * outside:.0f}% of test prices lie outside the training range "
        f"[{train.min():,.2f}, {train.max():,.2f}] (test spans {test.min():,.2f} to {test.max():,.2f}). "
        "The min-max scaler, fitted on training rows only as it must be, maps them outside [0, 1], "
        "where the LSTM never trained; level forecasts there are extrapolation. "
        "--target log-return models scale-free returns instead."
    ]


def run_forecast(prices: PriceFrame, config: ForecastConfig = ForecastConfig(), *,
                 log: Callable[[str], None] = print) -> ForecastResult:
    """Train the stacked LSTM beside naive persistence and the linear window model.

    Args:
        prices: A validated price frame.
        config: The run's settings. Defaults to the lecture's.
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        The :class:`ForecastResult`, everything a report needs.
    """
    config.validate()
    started = time.perf_counter()
    frame = prices.frame if config.max_rows is None else prices.frame.iloc[-config.max_rows:]
    series = frame[prices.target].to_numpy()
    data = make_windowed_data(series, window=config.window, horizon=config.horizon,
                              target=config.target, val_fraction=config.val_fraction,
                              test_fraction=config.test_fraction)
    n_train, n_val, n_test = data.split.sizes
    log(f"[windows] {len(series):,} rows -> train {n_train:,} / validation {n_val:,} / test "
        f"{n_test:,} rows; {len(data.y['train']):,} training windows of {config.window} steps, "
        f"horizon {config.horizon}, target {config.target}")
    scale = naive_scale(series[:n_train], config.horizon)
    outcomes: dict[str, ModelOutcome] = {}

    zero = None
    if config.target == "log-return":
        zero = float(data.target_scaler.transform([[0.0]])[0, 0])
    naive = NaivePersistence(zero_output=zero).fit(data.x["train"], data.y["train"])
    outcomes["naive"] = _evaluate("naive", "Naive persistence (tomorrow = today)", "baseline",
                                  naive.predict, data, scale, estimator=naive)
    linear = WindowLinear().fit(data.x["train"], data.y["train"])
    outcomes["linear"] = _evaluate("linear", f"Linear regression on the {config.window}-step window",
                                   "baseline", linear.predict, data, scale,
                                   n_params=linear.coef_.size + 1, estimator=linear)
    log("[baselines] naive persistence and linear window model fitted")

    # Imported here so that data problems are reported before TensorFlow's start-up.
    from toolkit.builders.recurrent import stacked_lstm
    from toolkit.training import fit, set_seed

    set_seed(config.seed)
    model = stacked_lstm(window=config.window, units=config.lstm_units, dropout=config.dropout,
                         dense_units=config.dense_units, learning_rate=config.learning_rate)
    log(f"[lstm] training the stacked LSTM ({model.count_params():,} parameters), up to "
        f"{config.epochs} epochs, batch {config.batch_size}, early stopping after "
        f"{config.patience} epochs without a better validation loss")
    record = fit(model, data.x["train"], data.y["train"],
                 validation_data=(data.x["validation"], data.y["validation"]),
                 epochs=config.epochs, batch_size=config.batch_size, patience=config.patience,
                 verbose=config.verbose)
    log(f"[lstm] {record.epochs_run} epochs in {record.seconds:.1f} s; kept epoch {record.best_epoch}")

    def predict_lstm(x):
        return model.predict(x, batch_size=512, verbose=0)[:, 0]

    outcomes["lstm"] = _evaluate("lstm", "Stacked LSTM (lecture architecture)", "neural",
                                 predict_lstm, data, scale, training=record,
                                 n_params=model.count_params(), estimator=model)

    test_metrics = {name: outcome.metrics["test"] for name, outcome in outcomes.items()}
    ranking = rank_models(test_metrics)
    return ForecastResult(
        config=config, prices=prices, data=data, dates=frame.index, outcomes=outcomes,
        ranking=ranking, verdict=verdict(test_metrics), warnings=range_warnings(data),
        next_date=frame.index[-1] + pd.offsets.BDay(config.horizon),
        seconds={"models": time.perf_counter() - started}, versions=library_versions(),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def _metrics_document(result: ForecastResult) -> dict:
    data = result.data
    return {
        "ticker": result.prices.provenance.name,
        "provenance": result.prices.provenance.as_dict(),
        "cleaning": result.prices.cleaning.as_dict(),
        "config": asdict(result.config),
        "split": {part: {"targets": int(len(data.target_index[part])),
                         "first": str(result.part_dates(part)[0].date()),
                         "last": str(result.part_dates(part)[-1].date())}
                  for part in ("train", "validation", "test")},
        "ranking": result.ranking,
        "verdict": result.verdict,
        "warnings": result.warnings,
        "next_date": str(result.next_date.date()),
        "models": {
            name: {"title": o.title, "kind": o.kind, "n_params": o.n_params,
                   "metrics": o.metrics, "next_forecast": o.next_forecast,
                   "training": o.training.as_dict() if o.training is not None else None}
            for name, o in result.outcomes.items()
        },
        "seconds": result.seconds,
        "versions": result.versions,
        "finished_at": result.finished_at,
    }


def _report_context(result: ForecastResult) -> dict:
    from toolkit.reports import plots
    from toolkit.reports.html import figure_to_data_uri

    data, prov = result.data, result.prices.provenance
    series = data.prices
    test_dates = result.part_dates("test")
    actual = data.actual("test")
    predictions = {name: o.predictions["test"] for name, o in result.outcomes.items()}
    neural = [o for o in result.outcomes.values() if o.training is not None]
    split_rows = []
    part_rows = {"train": (0, data.split.train_end), "validation": (data.split.train_end, data.split.val_end),
                 "test": (data.split.val_end, data.split.n)}
    for part, (lo, hi) in part_rows.items():
        split_rows.append({"part": part, "rows": hi - lo, "first": result.dates[lo].date(),
                           "last": result.dates[hi - 1].date(), "targets": len(data.target_index[part])})
    last_price = float(series[-1])
    return {
        "result": result,
        "title": f"Forecast report: {prov.name}",
        "provenance": prov,
        "cleaning": result.prices.cleaning,
        "split_rows": split_rows,
        "first_date": result.dates[0].date(),
        "last_date": result.dates[-1].date(),
        "last_price": last_price,
        "metric_rows": [(rank + 1, result.outcomes[name]) for rank, name in enumerate(result.ranking)],
        "neural": [(o, figure_to_data_uri(plots.loss_curves_figure(o.training.history, o.title,
                                                                   o.training.best_epoch)))
                   for o in neural],
        "split_figure": figure_to_data_uri(plots.price_split_figure(
            result.dates, series, data.split.train_end, data.split.val_end,
            f"{prov.name}: {result.prices.target} by part")),
        "test_figure": figure_to_data_uri(plots.actual_vs_predicted_figure(
            test_dates, actual, predictions, f"Test period, {result.config.horizon}-day-ahead forecasts")),
        "residual_figure": figure_to_data_uri(plots.residuals_figure(test_dates, actual, predictions)),
        "forecast_rows": [(o, o.next_forecast, 100 * (o.next_forecast / last_price - 1))
                          for o in result.outcomes.values()],
        "config": asdict(result.config),
    }


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "", text.replace("^", "")) or "series"


def write_forecast_report(result: ForecastResult, out_dir: str | Path) -> Path:
    """Write ``report.html``, ``metrics.json`` and the fitted models into a new folder
    ``<out_dir>/forecast-<TICKER>-<UTC timestamp>/``, atomically. Returns the HTML path."""
    from toolkit.reports.html import render
    from toolkit.reports.writer import atomic_write_text, ensure_writable_dir, staged_directory

    out_dir = ensure_writable_dir(out_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = f"forecast-{_safe_name(result.prices.provenance.name)}-{stamp}"
    final, counter = out_dir / base, 1
    while final.exists():
        counter += 1
        final = out_dir / f"{base}-{counter}"
    started = time.perf_counter()
    with staged_directory(final) as staging:
        for name, outcome in result.outcomes.items():
            if outcome.kind == "neural":
                outcome.estimator.save(staging / f"{name}.keras")
            elif isinstance(outcome.estimator, WindowLinear):
                atomic_write_text(staging / f"{name}.json", json.dumps(outcome.estimator.to_dict()))
        context = _report_context(result)
        result.seconds["report"] = time.perf_counter() - started
        atomic_write_text(staging / "metrics.json",
                          json.dumps(_metrics_document(result), indent=2, default=str))
        atomic_write_text(staging / "report.html", render("forecast.html.j2", **context))
    return final / "report.html"
