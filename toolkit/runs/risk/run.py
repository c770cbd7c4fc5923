"""The risk run on a price frame: walk forward, score, backtest the VaR, forecast tomorrow."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from toolkit.reports.science import ScienceResult
from toolkit.runs.risk.config import VAR_METHODS, RiskConfig


@dataclass
class RiskResult(ScienceResult):
    """What a risk run produced: the report's sections and metrics, and for notebooks the
    variance forecasts (:meth:`forecasts_frame`) and VaR series (:attr:`var`)."""

    dates: pd.DatetimeIndex | None = None
    returns: np.ndarray | None = None
    proxy: np.ndarray | None = None
    paths: dict = field(default_factory=dict)
    var: dict = field(default_factory=dict)

    def forecasts_frame(self) -> pd.DataFrame:
        """Per forecast day: the return, the proxy and every model's variance forecast."""
        frame = pd.DataFrame({"return": self.returns, "proxy": self.proxy}, index=self.dates)
        for name, path in self.paths.items():
            frame[name] = path.variance
        frame.index.name = "Date"
        return frame


def run_risk(frame: pd.DataFrame, config: RiskConfig | None = None, *, models: dict | None = None,
             name: str = "series", calendar: str | None = None, log: Callable[[str], None] = print) -> RiskResult:
    """Walk every variance model forward over daily bars, score them, backtest their VaR and ES.

    Args:
        frame: Daily bars by date: ``Close``, and ``Open``, ``High``, ``Low`` for the range
            proxies (a :class:`~toolkit.data.frame.PriceFrame`'s ``frame``, or your own).
        config: The settings. Defaults to ``RiskConfig()``.
        models: More models by name: :class:`~toolkit.forecasters.variance.VarianceForecaster`
            objects (see :mod:`toolkit.runs.risk.models`). Defaults to None.
        name: The series' name in the report. Defaults to "series".
        calendar: Exchange calendar of tomorrow's date (``config.calendar`` first). Defaults
            to None: business days.
        log: Receives one line per stage. Defaults to ``print``.

    Returns:
        A :class:`RiskResult`; write it with :func:`~toolkit.reports.science.write_science_report`.

    Raises:
        UsageError: For bad settings or models (before any work).
        DataError: For data the run cannot use (no Close, too few rows).
        TrainingError: When the reference model fails.
    """
    from toolkit.data.calendars import BUSINESS_DAYS, trading_days_after
    from toolkit.runs.forecast.backtest import library_versions
    from toolkit.runs.risk.backtest import walk_forward
    from toolkit.runs.risk.data import prepare
    from toolkit.runs.risk.models import resolve_models
    from toolkit.runs.risk.report import build_sections
    from toolkit.runs.risk.scoring import pairwise, score
    from toolkit.runs.risk.var import risk_table

    config = (config or RiskConfig()).validate()
    lineup = resolve_models(config, models, log=log)
    started = time.perf_counter()
    prepared = prepare(frame, config)
    data, m = prepared.data, config.min_train
    log(f"[data] {len(data):,} days of {name} returns, {prepared.dates[0].date()} to {prepared.dates[-1].date()}; "
        f"{len(data) - m:,} forecast days from {prepared.dates[m].date()}; scored against the "
        f"{prepared.proxy.replace('_', '-')} proxy")
    for note in prepared.notes:
        log(f"[data] note: {note}")
    paths, failures = walk_forward(lineup, data, config, log=log)
    walked = time.perf_counter()
    proxy, returns = data.proxy[m:], data.returns[m:]
    log("[score] QLIKE, MSE, Diebold-Mariano (Holm), Mincer-Zarnowitz, model confidence set ...")
    scores = score(paths, proxy, config)
    network_vs_har = pairwise(scores["losses"], "lstm", "har") if {"lstm", "har"} <= set(paths) else None
    log("[var] VaR and ES by " + ", ".join(VAR_METHODS) + "; Kupiec, Christoffersen, traffic light, McNeil-Frey ...")
    rows, forecasts = risk_table(paths, data.returns, config)
    calendar_name = config.calendar or calendar or BUSINESS_DAYS
    (tomorrow,), calendar_note = trading_days_after(prepared.dates[-1], 1, calendar_name)
    sections, summary, metrics, warnings = build_sections(
        prepared=prepared, config=config, paths=paths, scores=scores, rows=rows, forecasts=forecasts,
        network_vs_har=network_vs_har, failures=failures, name=name, tomorrow=tomorrow,
        calendar=calendar_name, calendar_note=calendar_note)
    seconds = {"walk-forward": walked - started, "scoring and backtests": time.perf_counter() - walked}
    metrics["model_seconds"] = {model_name: path.seconds for model_name, path in paths.items()}
    return RiskResult(kind="risk", title=f"Risk forecasts: {name}", summary=summary, sections=sections,
                      metrics=metrics, config={key: value for key, value in asdict(config).items() if key != "verbose"},
                      versions=library_versions(), warnings=warnings + prepared.notes, seconds=seconds,
                      quick=config.quick, dates=prepared.dates[m:], returns=returns, proxy=proxy, paths=paths,
                      var=forecasts)
