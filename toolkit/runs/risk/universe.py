"""``toolkit risk SPY QQQ IWM ...``: the risk run on many tickers, each its report, one leaderboard.

As the forecast's universe: prices are loaded once, on the driver, through the cache (workers
never touch the network); each ticker's run is the same pure function of (bars, settings) as
``toolkit risk TICKER``, run one after another here or as one Ray task per ticker; each report
is written as its ticker finishes, and the leaderboard page last. A ticker that fails (no data,
too few rows) gets its one-line reason on the leaderboard and stops nothing else.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np

from toolkit.errors import DataError, ToolkitError
from toolkit.reports.risk_plots import ANNUAL
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.risk.config import METHOD_TITLES, VAR_METHODS, RiskConfig


def _risk_task(frame, config, models, name, calendar):
    from toolkit.runs.risk.run import run_risk

    result = run_risk(frame, config, models=models, name=name, calendar=calendar, log=lambda line: None)
    for path in result.paths.values():  # fitted networks stay on the worker; the numbers travel
        path.model = None
    for section in result.sections:
        section.figure_objects = []  # the figures travel as images
    return result


def leaderboard_row(label: str, result, folder: str) -> list:
    """One ticker's line: the best model, its QLIKE against the reference's, who beat the reference,
    which of the best model's top-level VaRs held, and tomorrow."""
    m = result.metrics
    best, reference = m["ranking"][0], result.config["reference"]
    vol = m["volatility"]
    level = max(result.config["levels"])
    held = [METHOD_TITLES[method] for method in VAR_METHODS if m["var"][f"{best}/{method}/{level:g}"]["passes"]]
    beating = sum(bool(v["beats_reference"]) for v in vol.values())
    tomorrow = m["tomorrow"]["models"][best]
    return [label, m["forecast_days"], vol[best]["title"], vol[best]["qlike"], vol[reference]["qlike"],
            f"{beating} of {len(vol) - 1}", ", ".join(held) or "none", m["tomorrow"]["date"],
            ANNUAL * float(np.sqrt(tomorrow["variance"])), 100 * tomorrow[f"conformal/{level:g}"]["var"], folder]


def risk_universe_job(entries: list, config: RiskConfig, out_dir, executor, *, models: dict | None = None,
                      base: Path | None = None, log: Callable[[str], None] = print):
    """Run the risk job for every request and write the leaderboard.

    Args:
        entries: The checked universe (:func:`toolkit.data.universe.collect_universe`): labels and requests.
        config: Settings shared by every ticker.
        out_dir: Reports folder: each ticker's report and the leaderboard go there.
        executor: A :class:`~toolkit.runs.executors.LocalExecutor` or ``RayExecutor``.
        models: Your models by name, for every ticker. Defaults to None.
        base: The folder relative model files are read from. Defaults to None.
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        ``(leaderboard_path, reports)``: the leaderboard page and each ticker's report.

    Raises:
        DataError: After the leaderboard is written, naming the tickers that failed.
    """
    from toolkit.data.calendars import choose_calendar
    from toolkit.data.load import load_prices
    from toolkit.reports.science import write_science_report
    from toolkit.reports.writer import ensure_writable_dir
    from toolkit.runs.forecast.backtest import library_versions
    from toolkit.runs.risk.job import bars_of
    from toolkit.runs.risk.models import your_models

    started = time.perf_counter()
    config = config.validate()
    extra = your_models(config, models, base=base, log=log)  # every model checked before any data
    out_dir = ensure_writable_dir(out_dir)
    tasks, failures, provenance = [], {}, {}
    for entry in entries:
        label, request = entry.label, entry.request
        try:
            prices = load_prices(request)
        except ToolkitError as err:
            failures[label] = " ".join(str(err).split())
            log(f"[{label}] failed: {failures[label]}")
            continue
        provenance[label] = prices.provenance
        calendar = choose_calendar(request.ticker or prices.provenance.name, prices.provenance.source, config.calendar)
        tasks.append((label, (bars_of(prices), config, extra, prices.provenance.name, calendar.name)))
        log(f"[{label}] {len(prices):,} rows from {prices.provenance.source}")
    loaded = time.perf_counter()
    versions = library_versions()
    rows, reports = [], {}
    executor.start()
    try:
        for done in executor.map(_risk_task, tasks, log):
            if done.error is not None:
                failures[done.label] = done.error
                log(f"[{done.label}] failed: {done.error}")
                continue
            result = done.value
            result.metrics["provenance"] = provenance[done.label].as_dict()
            result.seconds = {"run": done.seconds, **result.seconds}
            reports[done.label] = write_science_report(result, out_dir)
            rows.append(leaderboard_row(done.label, result, reports[done.label].parent.name))
            log(f"[{done.label}] {result.metrics['verdict'][0]} Report: {reports[done.label]}")
    finally:
        executor.stop()
    level = max(config.levels)
    table = Table(["ticker", "forecast days", "best by QLIKE", "its QLIKE", f"{config.reference} QLIKE",
                   f"beat {config.reference}", f"best model's {level:.0%} VaR held by", "tomorrow",
                   "volatility, annualised (%)", f"VaR {level:.0%} conformal (%)", "report folder"],
                  sorted(rows, key=lambda row: row[0]),
                  caption="Beat: Diebold-Mariano on QLIKE, Holm-adjusted p < 0.05. Held: Kupiec and Christoffersen "
                          "independence p above 0.05. Each ticker's report has the tables and figures.")
    section = Section("Leaderboard", tables=[table],
                      notes=[f"{label} failed: {reason}" for label, reason in failures.items()])
    summary = (f"{len(rows)} of {len(entries)} ticker(s) ran on {executor.description}"
               + (f"; failed: {', '.join(failures)}" if failures else "") + ".")
    board = ScienceResult(kind="risk-leaderboard", title="Risk leaderboard", summary=summary, sections=[section],
                          metrics={"rows": [dict(zip(table.header, row)) for row in table.rows], "failures": failures},
                          config={"tickers": ", ".join(entry.label for entry in entries),
                                  **{k: v for k, v in asdict(config).items() if k != "verbose"}},
                          seconds={"data": loaded - started, "runs": time.perf_counter() - loaded},
                          versions=versions, quick=config.quick)
    path = write_science_report(board, out_dir)
    log(f"[done] leaderboard: {path}  ({time.perf_counter() - started:.1f} s)")
    if failures:
        raise DataError(f"{len(failures)} of {len(entries)} ticker(s) failed ({', '.join(failures)}); their reasons "
                        f"are in {path}")
    return path, reports
