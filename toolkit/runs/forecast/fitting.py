"""Fitting a run's models on one fold (or on all rows) and collecting their forecasts.

Every model is a fresh clone of its lineup entry, seeded when it is fitted. A model that
fails (a diverging network, code of yours that raises, a forecast that is not a positive
finite price) fails its own row with a one-line reason; the others go on. Naive persistence,
the yardstick, cannot fail. A tuned copy first searches its space on the fold's training
rows (:mod:`toolkit.tuning.search`), then is fitted like any model with the chosen values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from toolkit.errors import ModelError, ToolkitError, describe_error
from toolkit.forecasters.base import clone
from toolkit.runs.forecast.models import fit_context
from toolkit.tuning.search import SearchSettings, search, sequential_map


@dataclass
class FittedModels:
    """One fold's (or the final refit's) fitted models, the models that failed and why, and
    the searches of the tuned copies (by the copy's name)."""

    models: dict = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    tuning: dict = field(default_factory=dict)


def search_settings(config) -> SearchSettings:
    return SearchSettings(trials=config.tune_trials, minutes=config.tune_minutes, splits=config.tune_splits,
                          pruning=config.tune_pruning, parallel=config.tune_parallel, seed=config.seed,
                          val_fraction=config.val_fraction)


def _fail(fitted: FittedModels, name: str, reason: str, log) -> None:
    fitted.failures[name] = reason
    log(f"[{name}] failed: {reason}")


def fit_lineup(plan, data, *, fold: int | None, log: Callable[[str], None] = print,
               map_trials: Callable = sequential_map, chosen: dict | None = None,
               epochs: dict | None = None, skip=()) -> FittedModels:
    """Fit every model of ``plan.lineup`` on ``data``.

    Args:
        plan: The run's :class:`~toolkit.runs.forecast.backtest.ForecastPlan`.
        data: The fold's windows (or all rows, for the final refit).
        fold: The fold's number (1-based) when tuned copies search here; None for the final
            refit, which takes ``chosen`` instead.
        log: Receives one line per stage.
        map_trials: Runs a round of trials (side by side on Ray). Defaults to one after another.
        chosen: The final refit's values per tuned copy (the last fold's choice).
        epochs: The final refit's epochs per network (the last fold's early-stopping choice).
        skip: Models not to fit (those that failed on the last fold).
    """
    context = fit_context(plan.config, log)
    fitted = FittedModels()
    for entry in plan.lineup.entries:
        name = entry.name
        if name in skip:
            continue
        forecaster = clone(entry.forecaster)
        if entry.tuned_from is not None:
            if chosen is None:
                try:
                    record = search(entry.forecaster, entry.space, plan.windowed, data.bounds, context,
                                    search_settings(plan.config), fold=fold, window=plan.config.window,
                                    horizon=plan.config.horizon, map_trials=map_trials, name=name, log=log)
                except ToolkitError as err:
                    _fail(fitted, name, describe_error(err), log)
                    continue
                fitted.tuning[name] = record
                params = record.chosen
                if not params:
                    reasons = sorted({t.reason for t in record.trials if t.reason}) or ["every trial was pruned"]
                    _fail(fitted, name, f"tuning: no trial completed ({'; '.join(reasons)[:300]})", log)
                    continue
                log(f"[{name}] chose " + ", ".join(f"{k}={_show(v)}" for k, v in params.items()))
            elif name in chosen:
                params = chosen[name]
            else:
                continue  # not tuned on the last fold: it failed there
            forecaster.set_params(**params)
            if forecaster._title is None:
                forecaster.title = f"{forecaster.default_title()}, tuned"
        context_here = replace(context, name=name, fixed_epochs=(epochs or {}).get(name))
        try:
            fitted.models[name] = forecaster.fit(data, context_here)
        except Exception as err:  # noqa: BLE001 - one model's failure is its own row's, not the run's
            if name == "naive":
                raise
            _fail(fitted, name, describe_error(err), log)
    return fitted


def _show(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def checked_forecast(model, data, part: str) -> np.ndarray:
    """``model.predict(data, part)`` checked: shape ``(m, horizon)``, every value a positive
    finite price. Raises :class:`ModelError` in one line otherwise."""
    m = 1 if part == "next" else len(data.origin[part])
    forecast = np.asarray(model.predict(data, part), dtype="float64")
    if forecast.shape != (m, data.horizon):
        raise ModelError(f"predicted shape {forecast.shape} for the {part} part; expected ({m}, {data.horizon})")
    bad = ~(np.isfinite(forecast) & (forecast > 0))
    if bad.any():
        row, step = np.argwhere(bad)[0]
        raise ModelError(f"forecast {forecast[row, step]:.6g} (the {part} part, row {row + 1}, step {step + 1}) "
                         "is not a positive finite price")
    return forecast


def forecasts(fitted: FittedModels, data, parts: tuple[str, ...], *, intervals: bool,
              log: Callable[[str], None] = print) -> tuple[dict, dict]:
    """Each fitted model's checked forecasts per part, and its own bands on the first part;
    a model whose forecast fails joins ``fitted.failures``."""
    predictions, bands = {part: {} for part in parts}, {}
    for name, model in list(fitted.models.items()):
        try:
            values = {part: checked_forecast(model, data, part) for part in parts}
            if intervals and getattr(model, "interval_", None) == "mc-dropout":
                log(f"[{name}] {model.mc_samples_} Monte Carlo dropout passes over the {parts[0]} part "
                    f"({len(data.origin[parts[0]]):,} windows) for its own intervals ...")
            own = model.predict_interval(data, parts[0]) if intervals else {}
        except Exception as err:  # noqa: BLE001 - as in fitting: its own row fails
            if name == "naive":
                raise
            del fitted.models[name]
            _fail(fitted, name, f"forecasting: {describe_error(err)}", log)
            continue
        for part, value in values.items():
            predictions[part][name] = value
        bands[name] = own
    return predictions, bands
