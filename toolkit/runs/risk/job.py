"""The risk run's I/O edge: check, load prices, run, and write the report folder atomically."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from toolkit.errors import UsageError
from toolkit.runs.risk.config import RiskConfig

#: ``[data]`` keys of a risk pipeline file (as the forecast's, one ticker or a list).
DATA_KEYS = {"ticker": "", "tickers": (), "tickers_file": "", "csv": "", "start": "", "end": "", "offline": False, "price_column": "",
             "date_column": "", "date_format": "", "cache_dir": "", "separator": "", "decimal": "", "encoding": "",
             "symbol": "", "jumps": "refuse", "max_jump": 0.5}
CONFIG_KEYS = {key: value for key, value in asdict(RiskConfig()).items() if key not in ("quick", "verbose")}
EXECUTOR_KEYS = {"name": "local", "ray_address": "", "cpus_per_task": 1, "gpus_per_task": None}
PIPELINE_SECTIONS = {"data": DATA_KEYS, "risk": CONFIG_KEYS, "executor": EXECUTOR_KEYS, "models": None}


def bars_of(prices):
    """The checked frame with the request's price column as ``Close`` when the file has no Close."""
    frame = prices.frame
    if "Close" not in frame.columns:
        frame = frame.rename(columns={prices.target: "Close"})
    return frame


def risk_job(request, config: RiskConfig, out_dir, *, models: dict | None = None, base: Path | None = None,
             log: Callable[[str], None] = print):
    """The whole job as the CLI runs it: check settings and models, load prices, run, write the report.

    Args:
        request: Where the prices come from (:class:`~toolkit.data.load.PriceRequest`).
        config: The run's settings.
        out_dir: The reports folder.
        models: Your models by name (objects or ``{"builder": ...}`` tables). Defaults to None.
        base: The folder relative model files are read from. Defaults to None (here).
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        ``(report_path, result)``.
    """
    from toolkit.data.calendars import choose_calendar
    from toolkit.data.load import load_prices
    from toolkit.reports.science import write_science_report
    from toolkit.reports.writer import ensure_writable_dir
    from toolkit.runs.risk.models import your_models
    from toolkit.runs.risk.run import run_risk

    started = time.perf_counter()
    config = config.validate()
    request.validate()
    extra = your_models(config, models, base=base, log=log)  # imports and checks every model first
    out_dir = ensure_writable_dir(out_dir)
    log(f"[data] loading {request.csv or request.ticker or '^GSPC (default)'} ...")
    prices = load_prices(request)
    prov = prices.provenance
    log(f"[data] {len(prices):,} rows of {prov.name}, {prices.dates[0].date()} to {prices.dates[-1].date()}; "
        f"source: {prov.source} ({prov.detail})")
    if prov.note:
        log(f"[data] note: {prov.note}")
    calendar = choose_calendar(request.ticker or prov.name, prov.source, config.calendar)
    loaded = time.perf_counter()
    result = run_risk(bars_of(prices), config, models=extra, name=prov.name, calendar=calendar.name, log=log)
    result.seconds = {"data": loaded - started, **result.seconds}
    result.metrics["provenance"] = prov.as_dict()
    log("[report] writing ...")
    path = write_science_report(result, out_dir)
    for line in result.metrics["verdict"]:
        log(f"[result] {line}")
    log(f"[done] report: {path}  ({time.perf_counter() - started:.1f} s)")
    return path, result


def pipeline_job(pipeline, *, quick: bool, seed: int | None, out_dir, verbose: int = 0,
                 log: Callable[[str], None] = print):
    """Run a checked risk pipeline file (``[data]``, ``[risk]``, ``[models.NAME]`` tables)."""
    from toolkit.data.load import PriceRequest
    from toolkit.runs.common import build_config
    from toolkit.runs.risk.models import resolve_models

    data = {key: (value or None) if isinstance(value, (str, list, tuple)) else value
            for key, value in pipeline.sections.get("data", {}).items()}
    tickers, tickers_file = data.pop("tickers", None), data.pop("tickers_file", None)
    if data.get("csv") and data.get("ticker"):
        raise UsageError(f"{pipeline.path}: give ticker or csv in [data], not both")
    try:
        request = PriceRequest(**data).validate()
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: [data] {err}") from None
    # Keras stays quiet: a run fits networks many times; the run logs each fit in one line.
    config = build_config(RiskConfig, pipeline, "risk", quick=quick, seed=seed, verbose=0)
    models = pipeline.sections.get("models", {})
    base = pipeline.path.resolve().parent
    try:
        resolve_models(config, models, base=base, log=lambda line: None)  # every model checked before any data
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: {err}") from None
    executor = {**EXECUTOR_KEYS, **pipeline.sections.get("executor", {})}
    if not tickers and not tickers_file and executor["name"] == "local":
        return risk_job(request, config, out_dir, models=models, base=base, log=log)
    from toolkit.data.universe import collect_universe
    from toolkit.runs.executors import make_executor
    from toolkit.runs.risk.universe import risk_universe_job

    try:
        entries = collect_universe(tickers, tickers_file, request)
        runner = make_executor(executor["name"], address=executor["ray_address"] or None,
                               cpus_per_task=executor["cpus_per_task"], gpus_per_task=executor["gpus_per_task"])
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: {err}") from None
    return risk_universe_job(entries, config, out_dir, runner, models=models, base=base, log=log)
