"""``toolkit forecast SPY QQQ IWM ...``: a universe of tickers, one leaderboard.

Prices are loaded once, on the driver (this process), through the cache: workers never touch
the network. Each ticker's run is the same pure function of (prices, config) as a single
forecast, cut into its steps and handed to an executor (:mod:`toolkit.runs.executors`):
one after another here, or as Ray tasks per (ticker, fold). As each ticker finishes its full
report is written (atomically, into its own folder, as ``toolkit forecast TICKER`` would);
a ticker that fails (no data, too few rows, a NaN loss) gets its one-line reason in the
leaderboard and stops nothing else. The leaderboard folder is written last: a run that is
interrupted leaves the finished tickers' reports and no half leaderboard.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from toolkit.data.universe import UniverseEntry
from toolkit.errors import DataError, ToolkitError
from toolkit.runs.forecast.config import ForecastConfig


@dataclass
class UniverseOutcome:
    """What a universe run left: the leaderboard page, each ticker's report, and the failures."""

    leaderboard: Path
    total: int = 0
    reports: dict[str, Path] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def raise_for_failures(self) -> None:
        """One :class:`DataError` line (exit code 1) naming the tickers that failed, if any."""
        if self.failures:
            raise DataError(f"{len(self.failures)} of {self.total} ticker(s) failed ({', '.join(self.failures)}); "
                            f"their reasons are in {self.leaderboard}")


def _settings(config: ForecastConfig, entries: list[UniverseEntry]) -> dict:
    shown = ("models", "target", "window", "horizon", "folds", "fold_mode", "refit", "epochs", "batch_size",
             "lstm_units", "tune_trials", "seed", "max_rows", "quick")
    values = asdict(config)
    request = entries[0].request if entries else None
    dates = f"{request.start or 'first'} to {request.end or 'last'}" if request else ""
    return {"tickers": ", ".join(e.label for e in entries), "dates": dates,
            **{key: (", ".join(values[key]) if isinstance(values[key], tuple) else values[key]) for key in shown}}


def universe_job(entries: list[UniverseEntry], config: ForecastConfig, out_dir, executor, *, models=None,
                 log: Callable[[str], None] = print, keep_results: bool = False) -> UniverseOutcome:
    """Forecast every entry of a universe and write its leaderboard.

    Args:
        entries: The checked universe (:func:`toolkit.data.universe.build_universe`).
        config: Settings shared by every ticker.
        out_dir: Reports folder: each ticker's report folder and the leaderboard's go there.
        executor: A :class:`~toolkit.runs.executors.LocalExecutor` or ``RayExecutor``.
        models: Your models by name, for every ticker (see
            :func:`~toolkit.runs.forecast.run_forecast`); resolved and checked once, before any
            prices are loaded. Defaults to None.
        log: Receives one line per stage. Defaults to ``print``.
        keep_results: Keep every :class:`ForecastResult` in the outcome (tests, notebooks).

    Returns:
        The :class:`UniverseOutcome`; ``failures`` is empty when every ticker succeeded.
    """
    from toolkit.data.load import load_prices
    from toolkit.reports.index import update_index
    from toolkit.reports.leaderboard import failure_row, result_rows, write_leaderboard
    from toolkit.reports.writer import ensure_writable_dir, run_folder
    from toolkit.errors import describe_error
    from toolkit.runs.executors import TickerJob
    from toolkit.runs.forecast.backtest import assemble, library_versions, plan_forecast
    from toolkit.runs.forecast.job import write_forecast_report
    from toolkit.runs.forecast.models import resolve_lineup

    started = time.perf_counter()
    config = config.validate()
    executor.check()
    lineup = resolve_lineup(config, models, log=log)
    out_dir = ensure_writable_dir(out_dir)
    total = len(entries)
    tickers: dict[str, dict] = {}
    rows: dict[str, list[dict]] = {}
    outcome = UniverseOutcome(leaderboard=Path(), total=total)

    def fail(label: str, stage: str, reason: str, seconds: float = 0.0) -> None:
        tickers[label] = {"ticker": label, "status": "failed", "stage": stage, "reason": reason, "best": "",
                          "verdict": "", "report": "", "seconds": seconds}
        rows[label] = [failure_row(label, reason)]
        outcome.failures[label] = reason
        log(f"[{label}] failed ({stage}): {reason}")

    def progress() -> None:
        failed = len(outcome.failures)
        done = len(tickers) - failed
        log(f"[progress] {done} done, {failed} failed, {total - done - failed} left")

    log(f"[universe] {total} ticker(s); loading prices here, once (workers never touch the network)")
    jobs, load_seconds = [], {}
    for entry in entries:
        loading = time.perf_counter()
        try:
            prices = load_prices(entry.request)
            load_seconds[entry.label] = time.perf_counter() - loading
            jobs.append(TickerJob(entry.label, plan_forecast(prices, config, lineup)))
        except ToolkitError as err:
            fail(entry.label, "data", describe_error(err))
            continue
        prov = prices.provenance
        log(f"[data] {entry.label}: {len(prices):,} rows, {prices.dates[0].date()} to {prices.dates[-1].date()}; "
            f"source: {prov.source}")
        for line in prices.notes():
            log(f"[data] {entry.label}: {line}")
    data_seconds = time.perf_counter() - started
    if outcome.failures:
        progress()

    from toolkit.devices import gpu_hint

    hint = gpu_hint()
    if hint:
        log(f"[device] {hint}")
    startup = 0.0
    try:
        if jobs:
            startup = executor.start()
            log(f"[universe] running {len(jobs)} ticker(s) on {executor.description}"
                + (f"; start-up {startup:.1f} s" if startup else ""))
        for done in executor.run(jobs, log):
            label = done.job.label
            if done.error is not None:
                fail(label, "run", done.error, done.seconds)
                progress()
                continue
            try:
                result = assemble(done.job.plan, done.folds, done.final)
                final = result.seconds.get("final refit", 0.0)
                result.seconds = {"data": load_seconds[label], "backtest and scoring": done.seconds - final,
                                  "final refit": final}
                path = write_forecast_report(result, out_dir)
            except ToolkitError as err:
                fail(label, "report", describe_error(err), done.seconds)
                progress()
                continue
            link = f"../{path.parent.name}/report.html"
            rows[label] = result_rows(label, result, link)
            winners = [n for n in result.ranking if n != "naive" and result.panel.honesty[n]["dm_beats"]]
            tickers[label] = {"ticker": label, "status": "ok", "stage": "", "reason": "",
                              "best": winners[0] if winners else "",
                              "verdict": result.verdict, "report": link, "seconds": done.seconds}
            outcome.reports[label] = path
            if keep_results:
                outcome.results[label] = result
            best = result.ranking[0]
            log(f"[{label}] done in {done.seconds:.1f} s: lowest MAE {best} (MASE {result.headline[best]['MASE']:.3f}; "
                f"{'beat naive' if result.panel.honesty[best]['dm_beats'] else 'did not beat naive'}); report {path}")
            progress()
    finally:
        executor.stop()

    order = [entry.label for entry in entries]
    ticker_rows = [tickers[label] for label in order]
    all_rows = [row for label in order for row in rows[label]]
    seconds = {"data": data_seconds, "executor_start": startup, "total": time.perf_counter() - started}
    with run_folder(out_dir, f"leaderboard-{total}") as (staging, final):
        write_leaderboard(staging, all_rows, ticker_rows, settings=_settings(replace(config, models=lineup.names),
                                                                             entries),
                          executor=getattr(executor, "description", executor.name), seconds=seconds,
                          versions=library_versions())
    update_index(final.parent)
    outcome.leaderboard = final / "leaderboard.html"
    outcome.rows = all_rows
    outcome.seconds = seconds
    failed = len(outcome.failures)
    log(f"[done] {total - failed} of {total} ticker(s) forecast"
        + (f", {failed} failed ({', '.join(outcome.failures)})" if failed else "")
        + f"; leaderboard: {outcome.leaderboard}  ({seconds['total']:.1f} s)")
    return outcome
