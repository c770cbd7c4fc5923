"""The forecasting run, in parts: settings (:mod:`.config`), the run's models, built-in and
yours (:mod:`.models`, :mod:`.references`; each a :class:`toolkit.forecasters.Forecaster`),
fitting them on a fold (:mod:`.fitting`), the walk-forward backtest in steps an executor can
place anywhere (:mod:`.backtest`), its scoring (:mod:`.panel`), what it returns
(:mod:`.result`) and the job that reads prices and writes the report (:mod:`.job`).

The public names load on first use, so ``toolkit --help`` does not import the numerical stack.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ForecastConfig": "config", "DEFAULT_MODELS": "config", "MODELS": "config",
    "ForecastResult": "result", "FoldOutcome": "result", "run_forecast": "backtest",
    "library_versions": "backtest", "plan_forecast": "backtest", "run_fold": "backtest", "run_folds": "backtest",
    "fit_final": "backtest", "final_epochs": "backtest", "assemble": "backtest",
    "forecast_job": "job", "pipeline_job": "job", "write_forecast_report": "job",
    "metrics_document": "job", "PIPELINE_SECTIONS": "job",
    "resolve_lineup": "models", "ModelReference": "models", "Lineup": "models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
