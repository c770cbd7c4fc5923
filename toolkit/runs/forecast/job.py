"""The forecast job's I/O edge: load prices, run, and write the report folder atomically."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from toolkit.backend import VERSIONS_KEY
from toolkit.errors import UsageError
from toolkit.runs.forecast.backtest import ForecastResult, run_forecast
from toolkit.runs.forecast.config import ForecastConfig


def metrics_document(result: ForecastResult) -> dict:
    """Every number of the report as plain JSON data."""
    from toolkit.reports.writer import to_jsonable

    panel = result.panel
    return to_jsonable({
        "ticker": result.prices.provenance.name,
        "provenance": result.prices.provenance.as_dict(),
        "cleaning": result.prices.cleaning.as_dict(),
        "config": asdict(result.config),
        "profile": result.config.profile(),
        "folds": [{"fold": f.index, "bounds": asdict(f.bounds), "audit": f.audit, "mase_scale": f.scale,
                   "metrics": f.metrics, "training": {k: v.as_dict() for k, v in f.training.items()}}
                  for f in result.folds],
        "ranking": result.ranking,
        "verdict": result.verdict,
        "warnings": result.warnings,
        "step_metrics": panel.step_metrics,
        "fold_summary": panel.fold_summary,
        "honesty": panel.honesty,
        "intervals": panel.coverage,
        "strategy": {name: {"strategy": s["strategy"], "buy_and_hold": s["hold"]} for name, s in panel.strategy.items()},
        "next_forecast": {
            "calendar": {"name": result.calendar.name, "reason": result.calendar.reason},
            "dates": [str(d.date()) for d in result.next_dates],
            "models": {name: {"forecast": values, "beats_naive": bool(panel.honesty[name]["dm_beats"]),
                              "intervals": {str(level): {"lower": lo, "upper": hi}
                                            for level, (lo, hi) in result.next_intervals[name].items()}}
                       for name, values in result.next_forecasts.items()},
        },
        "models": {name: _model_document(result, name, m) for name, m in result.models.items()},
        "failed_models": result.failures,
        "tuning": {name: {"tuned_from": result.lineup[name].tuned_from if result.lineup else None,
                          "chosen": records[-1].chosen, "test_against_untuned": panel.tuning.get(name),
                          "folds": [record.as_dict() for record in records]}
                   for name, records in result.searches().items()},
        "seconds": result.seconds,
        "backend": result.versions.get(VERSIONS_KEY),
        "versions": result.versions,
        "finished_at": result.finished_at,
    })


def save_models(models: dict, folder: Path) -> dict[str, list[str] | str]:
    """Save each final model into ``folder``: its file names, or the one-line reason it could not
    be saved (its files are removed; the report is written all the same)."""
    from toolkit.errors import describe_error

    saved: dict[str, list[str] | str] = {}
    for name, model in models.items():
        try:
            saved[name] = model.save(folder, name)
        except Exception as err:  # noqa: BLE001 - a model that cannot be saved must not cost the report
            for leftover in folder.glob(f"{name}.*"):
                leftover.unlink()
            saved[name] = f"not saved: {describe_error(err)}"
    return saved


def _model_document(result: ForecastResult, name: str, model) -> dict:
    entry = result.lineup[name] if result.lineup is not None else None
    return {"title": model.title, "kind": model.kind, "learns": model.learns, "n_params": model.n_params_,
            "interval": model.interval_, "description": result.descriptions.get(name, ""),
            "source": entry.source if entry else "built-in", "tuned_from": entry.tuned_from if entry else None,
            "definition": model.describe(), "files": result.saved.get(name),
            "final_training": model.training_.as_dict() if model.training_ is not None else None}


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "", text.replace("^", "")) or "series"


def write_forecast_report(result: ForecastResult, out_dir: str | Path) -> Path:
    """Write ``report.html``, ``metrics.json``, ``forecasts.csv`` and the final fitted models into a new
    folder ``<out_dir>/forecast-<TICKER>-<UTC timestamp>/``, atomically. Returns the HTML path."""
    from toolkit.reports.forecast_report import render_forecast_report
    from toolkit.reports.index import update_index
    from toolkit.reports.writer import atomic_write_text, ensure_writable_dir, run_folder

    started = time.perf_counter()
    stem = f"forecast-{_safe_name(result.prices.provenance.name)}"
    with run_folder(ensure_writable_dir(out_dir), stem) as (staging, final):
        result.saved = save_models(result.models, staging)
        result.seconds["saving models"] = time.perf_counter() - started
        rendering = time.perf_counter()
        html = render_forecast_report(result)
        result.seconds["report"] = time.perf_counter() - rendering
        result.seconds["total"] = sum(v for k, v in result.seconds.items() if k != "total")
        atomic_write_text(staging / "forecasts.csv",
                          result.predictions_frame().to_csv(index=False, float_format="%.6g", date_format="%Y-%m-%d"))
        atomic_write_text(staging / "metrics.json", json.dumps(metrics_document(result), indent=2, default=str))
        atomic_write_text(staging / "report.html", html)
    update_index(final.parent)
    return final / "report.html"


DATA_KEYS = {"ticker": "", "tickers": (), "tickers_file": "", "csv": "", "start": "", "end": "", "offline": False,
             "price_column": "", "date_column": "", "date_format": "", "cache_dir": "", "separator": "",
             "decimal": "", "encoding": "", "symbol": "", "jumps": "refuse", "max_jump": 0.5}
EXECUTOR_KEYS = {"name": "local", "ray_address": "", "cpus_per_task": 1, "gpus_per_task": None}
#: [tune] keys: the ForecastConfig fields ``tune_<key>``.
TUNE_KEYS = {key[len("tune_"):]: value for key, value in asdict(ForecastConfig()).items() if key.startswith("tune_")}
CONFIG_KEYS = {key: value for key, value in asdict(ForecastConfig()).items()
               if key not in ("quick", "verbose") and not key.startswith("tune_")}
PIPELINE_SECTIONS = {"data": DATA_KEYS, "forecast": CONFIG_KEYS, "executor": EXECUTOR_KEYS, "tune": TUNE_KEYS,
                     "models": None}
MODEL_TABLE_KEYS = ("builder", "search")


def model_tables(tables: dict, path: Path) -> dict:
    """``[models.NAME]`` tables as model references: ``builder`` (a toolkit builder's name,
    ``package.module:ATTR`` or ``path/to/file.py:ATTR``, relative to the pipeline file's
    folder), an optional ``[models.NAME.search]`` space, and keyword arguments."""
    from toolkit.runs.forecast.models import ModelReference
    from toolkit.tuning.space import parse_space

    models = {}
    for name, table in tables.items():
        if "builder" not in table:
            raise UsageError(f"{path}: [models.{name}] needs builder = \"...\" (a toolkit builder's name, "
                             "'package.module:ATTR' or 'path/to/file.py:ATTR')")
        params = {key: value for key, value in table.items() if key not in MODEL_TABLE_KEYS}
        if "search" in table:
            params["space"] = parse_space(table["search"], f"{path}: [models.{name}.search]")
        models[name] = ModelReference(table["builder"], params, path.resolve().parent)
    return models


def forecast_job(request, config: ForecastConfig, out_dir, *, models=None, log: Callable[[str], None] = print):
    """The whole job as the CLI runs it: check (the models too), load prices, run, write the report.

    Args:
        request: Where the prices come from (:class:`~toolkit.data.load.PriceRequest`).
        config: The run's settings.
        out_dir: The reports folder.
        models: Your models by name (see :func:`~toolkit.runs.forecast.run_forecast`). Defaults to None.
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        ``(report_path, result)``.
    """
    from toolkit.data.load import load_prices
    from toolkit.reports.writer import ensure_writable_dir
    from toolkit.runs.forecast.models import resolve_lineup

    started = time.perf_counter()
    config = config.validate()
    request.validate()
    lineup = resolve_lineup(config, models, log=log)  # imports and checks every model before any data is read
    out_dir = ensure_writable_dir(out_dir)
    log(f"[data] loading {request.csv or request.ticker or '^GSPC (default)'} ...")
    prices = load_prices(request)
    prov = prices.provenance
    data_seconds = time.perf_counter() - started
    log(f"[data] {len(prices):,} rows of {prov.name} {prices.target}, {prices.dates[0].date()} to "
        f"{prices.dates[-1].date()}; source: {prov.source} ({prov.detail})")
    if prov.dates:
        log(f"[data] dates: {prov.dates}")
    for line in prices.notes():
        log(f"[data] {line}")
    if prov.note:
        log(f"[data] note: {prov.note}")
    from toolkit.devices import gpu_hint

    hint = gpu_hint()
    if hint:
        log(f"[device] {hint}")
    running = time.perf_counter()
    result = run_forecast(prices, config, lineup, log=log)
    wall = time.perf_counter() - running
    final = result.seconds.get("final refit", 0.0)
    # Wall-clock parts that add up to the total (folds may run in parallel: their own times overlap).
    result.seconds = {"data": data_seconds, "backtest and scoring": wall - final, "final refit": final}
    log("[report] writing ...")
    path = write_forecast_report(result, out_dir)
    from toolkit.reports.html import column_decimals

    decimals = column_decimals([result.headline[name]["MAE"] for name in result.ranking])
    ranking = ", ".join(f"{name} {result.headline[name]['MAE']:.{decimals}f}" for name in result.ranking)
    log(f"[result] test MAE: {ranking}")
    log(f"[result] {result.verdict}")
    log(f"[result] next {result.config.horizon} trading day(s) on the {result.calendar.name} calendar from "
        f"{result.next_dates[0].date()}: " + ", ".join(
            f"{name} {values[-1]:.6g}" for name, values in result.next_forecasts.items()))
    for warning in result.warnings:
        log(f"[warning] {warning}")
    for name, reason in result.failures.items():
        log(f"[warning] {name} left the comparison: {reason}")
    log(f"[done] report: {path}  ({result.seconds['total']:.1f} s)")
    return path, result


def pipeline_job(pipeline, *, quick: bool, seed: int | None, out_dir, verbose: int = 2,
                 log: Callable[[str], None] = print):
    """Run a checked forecast pipeline file (see :mod:`toolkit.runs.pipeline_file`).

    ``[data] tickers`` / ``tickers_file`` or an ``[executor]`` other than local make it a
    universe run (:mod:`toolkit.runs.universe`), as several tickers do on the command line.
    """
    from toolkit.data.load import PriceRequest
    from toolkit.runs.common import build_config
    from toolkit.runs.forecast.models import resolve_lineup

    data = {key: (value or None) if isinstance(value, (str, list, tuple)) else value
            for key, value in pipeline.sections.get("data", {}).items()}
    tickers, tickers_file = data.pop("tickers", None), data.pop("tickers_file", None)
    executor = {**EXECUTOR_KEYS, **pipeline.sections.get("executor", {})}
    if data.get("csv") and data.get("ticker"):
        raise UsageError(f"{pipeline.path}: give ticker or csv in [data], not both")
    try:
        request = PriceRequest(**data).validate()
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: [data] {err}") from None
    tune = {f"tune_{key}": value for key, value in pipeline.sections.get("tune", {}).items()}
    config = build_config(ForecastConfig, pipeline, "forecast", quick=quick, seed=seed, verbose=verbose, extra=tune)
    models = model_tables(pipeline.sections.get("models", {}), pipeline.path)
    try:
        lineup = resolve_lineup(config, models, log=log)  # before any data is read
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: {err}") from None
    if not tickers and not tickers_file and executor["name"] == "local":
        return forecast_job(request, config, out_dir, models=lineup, log=log)
    from toolkit.data.universe import collect_universe
    from toolkit.runs.executors import make_executor
    from toolkit.runs.universe import universe_job

    try:
        universe = collect_universe(tickers, tickers_file, request)
        runner = make_executor(executor["name"], address=executor["ray_address"] or None,
                               cpus_per_task=executor["cpus_per_task"], gpus_per_task=executor["gpus_per_task"])
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: {err}") from None
    outcome = universe_job(universe, config.validate(), out_dir, runner, models=lineup, log=log)
    outcome.raise_for_failures()
    return outcome.leaderboard, outcome
