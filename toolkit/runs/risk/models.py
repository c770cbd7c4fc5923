"""The variance models of a risk run: the built-in ones by name and yours, resolved and checked
before any data is read.

A model of yours is a :class:`~toolkit.forecasters.variance.VarianceForecaster` (a small
class with ``fit`` and ``predict``) or a Keras builder, which
:class:`~toolkit.forecasters.variance_network.KerasVarianceForecaster` trains on QLIKE. It comes from

* the notebook: ``run_risk(frame, config, models={"gru": KerasVarianceForecaster(stacked_gru, units=16)})``;
* the command line: ``--models hist22,garch_t,NAME=path/to/file.py:ATTR`` (or ``module:ATTR``);
* a pipeline file: a ``[models.NAME]`` table with ``builder = "..."`` and keyword arguments.

Resolving a reference runs the code it names, as the forecast run's references do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from toolkit.errors import UsageError
from toolkit.forecasters.base import clone
from toolkit.forecasters.variance import EWMAVariance, HARVariance, HistoricalVariance, VarianceForecaster
from toolkit.runs.forecast.config import check_name
from toolkit.runs.risk.config import MODELS


def builtin_model(name: str, config) -> VarianceForecaster:
    """The built-in variance model ``name`` with the run's settings."""
    from toolkit.forecasters.garch import GarchVariance

    if name.startswith("hist"):
        return HistoricalVariance(window=int(name[4:]))
    if name == "ewma":
        return EWMAVariance(lam=0.94)
    if name in ("har", "harx"):
        return HARVariance(lags=(1, 5, 22), exog=name == "harx")
    if name == "lstm":
        from toolkit.forecasters.variance_network import KerasVarianceForecaster

        return KerasVarianceForecaster(window=config.window, epochs=config.epochs)
    vol, _, dist = name.partition("_")
    return GarchVariance(vol=vol, dist="t" if dist == "t" else "normal")


def _from_reference(name: str, reference: str, params: dict, base: Path | None, log) -> VarianceForecaster:
    from toolkit.forecasters.variance_network import KerasVarianceForecaster
    from toolkit.runs.forecast.references import load_reference

    if ":" not in reference:
        raise UsageError(f"model {name!r}: give 'path/to/file.py:ATTR' or 'package.module:ATTR' (a VarianceForecaster "
                         f"class or a Keras builder). Received: {reference!r}")
    target, where = load_reference(name, reference, base, log=log)
    try:
        if isinstance(target, type) and issubclass(target, VarianceForecaster):
            return target(**params)
        if isinstance(target, VarianceForecaster):
            return clone(target).set_params(**params) if params else clone(target)
        if isinstance(target, type):
            raise UsageError(f"model {name!r}: the class {where} is not a VarianceForecaster "
                             "(toolkit.forecasters.variance); subclass it, or give a Keras builder function")
        if callable(target):
            return KerasVarianceForecaster(target, **params)
    except UsageError:
        raise
    except (TypeError, ValueError) as err:
        raise UsageError(f"model {name!r} ({where}): {' '.join(str(err).split())}") from None
    raise UsageError(f"model {name!r}: {where} is neither a VarianceForecaster nor a Keras builder function. "
                     f"Received: {type(target).__name__}")


def your_models(config, models: dict | None, *, base: Path | None = None,
                log: Callable[[str], None] = print) -> dict[str, VarianceForecaster]:
    """Your models resolved to objects, after every model of the run (the built-in ones too) is
    checked: what a job hands :func:`~toolkit.runs.risk.run_risk` before any data is read."""
    resolved = resolve_models(config, models, base=base, log=log)
    return {name: resolved[name] for name in (models or {})}


def resolve_models(config, models: dict | None = None, *, base: Path | None = None,
                   log: Callable[[str], None] = print) -> dict[str, VarianceForecaster]:
    """Every model of the run, by name, in report order: the built-in ones of ``config``, then
    ``models`` (objects, or ``{"builder": "file.py:ATTR", **params}`` tables). Raises
    :class:`UsageError` for a name given twice, a reference that cannot be had, or a model
    that needs an exogenous series when none is given."""
    lineup = {name: builtin_model(name, config) for name in config.lineup()}
    for name, model in (models or {}).items():
        check_name(name)
        if name in lineup or name in MODELS:
            raise UsageError(f"model {name!r} is a built-in model's name ({', '.join(MODELS)}); choose another")
        if isinstance(model, dict):
            params = {k: v for k, v in model.items() if k != "builder"}
            if "builder" not in model:
                raise UsageError(f"[models.{name}] needs builder = \"path/to/file.py:ATTR\" (a VarianceForecaster "
                                 "class or a Keras builder)")
            model = _from_reference(name, model["builder"], params, base, log)
        elif isinstance(model, str):
            model = _from_reference(name, model, {}, base, log)
        if not isinstance(model, VarianceForecaster):
            raise UsageError(f"model {name!r} must be a VarianceForecaster (toolkit.forecasters.variance). "
                             f"Received: {type(model).__name__}")
        lineup[name] = model
    for name, model in lineup.items():
        if model.needs_exog and not config.exog_column:
            raise UsageError(f"model {name!r} reads an exogenous series; give exog_column (--exog-column NAME)")
    return lineup
