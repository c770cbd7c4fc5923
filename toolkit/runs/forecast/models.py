"""The models of a forecast run: the built-in ones by name and yours, resolved and checked
before any data is read.

Every model is a :class:`~toolkit.forecasters.Forecaster`; the built-in networks are
:class:`~toolkit.forecasters.KerasForecaster`\\ s of the lecture builders, exactly as yours
would be. A model of yours comes from

* the notebook: ``run_forecast(prices, config, models={"gru64": KerasForecaster(stacked_gru, units=64)})``;
* the command line: ``--models naive,lstm,NAME=module:ATTR`` or ``NAME=path/to/file.py:ATTR``;
* a pipeline file: a ``[models.NAME]`` table (``builder = "..."`` and keyword arguments).

A reference names code, and resolving it **runs that code** (importing the module or the
file), as loading a Keras ``Lambda`` layer would: the run prints what it imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from toolkit.errors import UsageError
from toolkit.forecasters.base import FitContext, Forecaster, InputShape, clone
from toolkit.runs.forecast.config import MODELS, NAME, builtin_name, check_name
from toolkit.runs.forecast.references import load_reference

TITLES = {
    "lstm": "Stacked LSTM (lecture architecture)", "gru": "Stacked GRU",
    "cnn_lstm": "CNN-LSTM (Conv1D features into an LSTM)",
    "mlp": "MLP on the window, heteroscedastic Gaussian head",
    "ets": "ETS, automatic (log prices)", "arima": "ARIMA, automatic (log prices)",
    "transformer": "Transformer encoder-decoder (attention)",
    "seq2seq": "Encoder-decoder LSTM (teacher forcing)",
}


def builtin_forecaster(name: str, config) -> Forecaster:
    """The built-in model ``name`` with the run's settings (``config``)."""
    from toolkit.forecasters import (
        Drift, KerasForecaster, MeanReturn, MovingAverage, Naive, SklearnForecaster, StatsForecaster,
    )

    c = config
    if name in ("lstm", "gru"):
        from toolkit.builders.recurrent import stacked_gru, stacked_lstm

        return KerasForecaster(stacked_lstm if name == "lstm" else stacked_gru, units=c.lstm_units, dropout=c.dropout,
                               dense_units=c.dense_units, learning_rate=c.learning_rate, title=TITLES[name])
    if name == "transformer":
        from toolkit.builders.attention import transformer_forecaster

        return KerasForecaster(transformer_forecaster, learning_rate=c.learning_rate, title=TITLES[name])
    if name == "seq2seq":
        from toolkit.forecasters import Seq2SeqForecaster

        return Seq2SeqForecaster(units=c.lstm_units, learning_rate=c.learning_rate, title=TITLES[name])
    if name == "cnn_lstm":
        from toolkit.builders.conv import cnn_lstm

        return KerasForecaster(cnn_lstm, learning_rate=c.learning_rate, title=TITLES[name])
    if name == "mlp":
        # Not the tutorial's homoscedastic noise model: returns are volatility-clustered, so
        # the variance here is a function of the window (its own output unit), learned by
        # the same negative log-likelihood.
        from toolkit.builders.dense import gaussian_mlp

        return KerasForecaster(gaussian_mlp, hidden_units=(64, 32), activation="relu", kernel_initializer="he_normal",
                               noise="heteroscedastic", learning_rate=c.learning_rate, title=TITLES[name])
    if name == "linear":
        from sklearn.linear_model import LinearRegression

        # Least squares on the flattened window, solved by SVD (minimum norm: the collinear
        # lags of a price window need no regularisation to be solved).
        return SklearnForecaster(LinearRegression(), title=f"Linear regression on the {c.window}-step window")
    if name in ("ets", "arima"):
        from statsforecast.models import AutoARIMA, AutoETS

        # Daily prices: no seasonal component; Hyndman-Khandakar order selection by AICc.
        model = AutoETS(model="ZZN") if name == "ets" else AutoARIMA(seasonal=False)
        return StatsForecaster(model, title=TITLES[name])
    return {"naive": Naive, "drift": Drift, "mean_return": MeanReturn, "moving_average": MovingAverage}[name]()


@dataclass(frozen=True)
class ModelReference:
    """A model named by code: ``module:ATTR``, ``path/to/file.py:ATTR`` or a toolkit builder's
    registry name, with keyword arguments.

    Attributes:
        ref: The reference.
        params: Keyword arguments (builder arguments; ``epochs``, ``batch_size``, ``title``,
            ``space`` ... for the adapter). Defaults to {}.
        base: Folder a relative file path is read from (a pipeline file's). Defaults to None:
            the working folder.
    """

    ref: str
    params: dict = field(default_factory=dict)
    base: Path | None = None


@dataclass(frozen=True)
class LineupEntry:
    """One model of the run: its name, unfitted forecaster, where it came from, and, for a
    tuned copy, the model it was tuned from."""

    name: str
    forecaster: Forecaster
    source: str
    tuned_from: str | None = None
    space: dict | None = None


@dataclass(frozen=True)
class Lineup:
    """The run's models in order (naive first); tuned copies follow the model they tune."""

    entries: tuple[LineupEntry, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    @property
    def fitted(self) -> tuple[LineupEntry, ...]:
        """The models fitted as defined (every model but the tuned copies)."""
        return tuple(e for e in self.entries if e.tuned_from is None)

    @property
    def tuned(self) -> tuple[LineupEntry, ...]:
        return tuple(e for e in self.entries if e.tuned_from is not None)

    def __getitem__(self, name: str) -> LineupEntry:
        return next(e for e in self.entries if e.name == name)


def fit_context(config, log: Callable[[str], None] = print) -> FitContext:
    """How every model of a run with ``config`` is trained."""
    return FitContext(horizon=config.horizon, multistep=config.multistep, epochs=config.epochs,
                      batch_size=config.batch_size, patience=config.patience, seed=config.seed,
                      verbose=config.verbose, mc_samples=config.mc_samples, log=log)


RESERVED = ("metrics", "forecasts", "report", "index", "leaderboard")  # the report folder's own files


def _user_models(config, models) -> dict[str, object]:
    """The run's user models by name, in order: ``NAME=REF`` entries, then the mapping's."""
    if models is not None and not isinstance(models, Mapping):
        raise UsageError(f"models must map names to models, e.g. {{'gru64': KerasForecaster(stacked_gru, units=64)}}. "
                         f"Received: {type(models).__name__}")
    found: dict[str, object] = {}
    for entry in config.models:
        name, sep, reference = entry.partition("=")
        if sep:
            if name in found:
                raise UsageError(f"model {name!r} is defined twice ({name}={found[name].ref} and {entry}); keep one")
            found[name] = ModelReference(reference)
    for name, obj in (models or {}).items():
        check_name(name)
        if name in found:
            raise UsageError(f"model {name!r} is defined twice (in models and as {name}=...); keep one")
        found[name] = ModelReference(obj) if isinstance(obj, str) else obj
    return found


def _check_names(order: list[str], user: dict) -> None:
    seen: dict[str, str] = {}
    for name in order:
        folded = name.lower().replace("-", "_")
        if name in user and builtin_name(name):
            raise UsageError(f"model name {name!r} is taken by a built-in model; give yours another name")
        if folded in RESERVED:
            raise UsageError(f"model name {name!r} is taken by the report folder's own {folded} file; give your model "
                             "another name")
        if folded in seen:
            raise UsageError(f"model names {seen[folded]!r} and {name!r} differ only in case or '-'/'_' "
                             "(they name the same files); rename one")
        seen[folded] = name


def resolve_lineup(config, models=None, *, log: Callable[[str], None] = print) -> "Lineup":
    """Resolve and check every model of a run before any data is read.

    Args:
        config: The validated :class:`~toolkit.runs.forecast.ForecastConfig`.
        models: Your models by name: a :class:`Forecaster`, a Keras builder function, a
            scikit-learn regressor or a statsforecast model (class or instance), a reference
            string (``"module:ATTR"``, ``"path/file.py:ATTR"``) or a :class:`ModelReference`.
            They join ``config.models`` (at the place a name there gives, else at the end).
            Defaults to None.
        log: Receives one line per model of yours (what it imports). Defaults to ``print``.

    Raises:
        UsageError: One line naming the model: a bad or taken name, code that cannot be
            imported or raises, a model whose shapes do not fit the run, a search space
            naming parameters the model does not have.
    """
    if isinstance(models, Lineup):
        return models
    user = _user_models(config, models)
    order = [entry.partition("=")[0] for entry in config.models]
    order += [name for name in user if name not in order]
    unknown = [name for name in order if name not in user and name not in MODELS]
    if unknown:
        raise UsageError(f"unknown model {unknown[0]!r}: models are chosen from {', '.join(MODELS)}, or defined as "
                         "NAME=module:ATTR (a Keras builder, a scikit-learn regressor or a statsforecast model). "
                         f"Received: {', '.join(order)}")
    _check_names(order, user)
    shape = InputShape(config.window, len(config.features), config.horizon, config.multistep)
    entries = []
    for name in order:
        space = None
        if name in user:
            forecaster, source, space = _user_forecaster(name, user[name], log)
        else:
            forecaster, source = builtin_forecaster(name, config), "built-in"
        try:
            forecaster.check(shape)
        except ValueError as err:
            raise UsageError(f"model {name!r} {err}") from None
        entries.append(LineupEntry(name, forecaster, source, space=space))
    entries = _with_tuned(entries, config, shape)
    _check_names([e.name for e in entries], user)
    return Lineup(tuple(entries))


def _user_forecaster(name: str, obj, log) -> tuple[Forecaster, str, dict | None]:
    """Your model as a forecaster, where it came from, and the search space declared beside it
    (a pipeline file's ``[models.NAME.search]``)."""
    from toolkit.forecasters.adapt import as_forecaster

    params, source, space = {}, "given in Python", None
    if isinstance(obj, ModelReference):
        params = dict(obj.params)
        obj, source = load_reference(name, obj.ref, obj.base, log)
    else:
        log(f"[models] {name}: {obj!r:.100} (given in Python)")
    try:
        forecaster = as_forecaster(obj, {k: v for k, v in params.items() if k != "space"})
    except ValueError as err:
        hint = ("; a command line gives no arguments: give them in a pipeline file's [models.NAME] table or in "
                "Python" if source != "given in Python" and not params and "missing" in str(err) else "")
        raise UsageError(f"model {name!r} {err}{hint}") from None
    except AttributeError as err:
        raise UsageError(f"model {name!r}: {type(obj).__name__} does not keep its constructor arguments ({err}); "
                         "store each as self.<its name>, as scikit-learn estimators do (the run clones it per fold)"
                         ) from None
    if "space" in params:
        if "space" in forecaster.get_params():
            forecaster.set_params(space=params["space"])
        else:
            space = params["space"]
    _check_contract(name, forecaster)
    return forecaster, source, space


def _check_contract(name: str, forecaster: Forecaster) -> None:
    """A class of yours must forecast (override predict, or fit_windows and predict_windows) and
    be rebuilt from its arguments."""
    from toolkit.forecasters.base import WindowForecaster

    kind = type(forecaster)
    if isinstance(forecaster, WindowForecaster):
        missing = [m for m in ("fit_windows", "predict_windows") if getattr(kind, m) is getattr(WindowForecaster, m)]
    else:
        missing = ["predict"] if kind.predict is Forecaster.predict else []
    if missing:
        raise UsageError(f"model {name!r}: {kind.__name__} does not implement {' or '.join(missing)}; a Forecaster "
                         "forecasts prices in predict(data, part) (a WindowForecaster: fit_windows and predict_windows)")
    try:
        clone(forecaster)
    except (AttributeError, TypeError) as err:
        raise UsageError(f"model {name!r}: {kind.__name__} cannot be rebuilt from its arguments ({err}); store each "
                         "constructor argument as self.<its name>, as scikit-learn estimators do (the run clones it "
                         "per fold)") from None


def _with_tuned(entries: list[LineupEntry], config, shape: InputShape) -> list[LineupEntry]:
    """Each model to tune followed by its tuned copy ``NAME_tuned``, with its search space."""
    if not config.tune_trials:
        return entries
    by_name = {e.name: e for e in entries}
    missing = [n for n in config.tune_models if n not in by_name]
    if missing:
        raise UsageError(f"tune_models names {', '.join(map(repr, missing))}, which the run does not compare; "
                         f"choose from {', '.join(by_name)}")
    chosen = config.tune_models or tuple(e.name for e in entries if e.forecaster.kind == "neural" or e.space
                                         or getattr(e.forecaster, "space", None))
    if not chosen:
        raise UsageError(f"--tune {config.tune_trials}: no model of the run to tune (no network, and no model with a "
                         "declared search space); add one to --models or leave --tune out")
    out = []
    for entry in entries:
        out.append(entry)
        if entry.name not in chosen:
            continue
        space = _space(entry, shape, config)
        if not space:
            raise UsageError(f"model {entry.name!r} has no search space; declare one (space= in Python, "
                             f"[models.{entry.name}.search] in a pipeline file) or leave it out of tune_models")
        tuned = f"{entry.name}_tuned"
        if tuned in by_name:
            raise UsageError(f"model name {tuned!r} is taken: the tuned copy of {entry.name!r} is called that; "
                             "rename your model")
        if not NAME.fullmatch(tuned):
            raise UsageError(f"model name {entry.name!r} is too long to name its tuned copy; shorten it")
        copy = clone(entry.forecaster)
        if copy._title:  # an explicit title; otherwise the fitted copy's own, with the chosen values
            copy.title = f"{copy._title}, tuned"
        out.append(LineupEntry(tuned, copy, entry.source, tuned_from=entry.name, space=space))
    return out


def _space(entry: LineupEntry, shape: InputShape, config) -> dict:
    """The model's declared space, else its default (epochs scaled to the run's); every name
    checked against its parameters, and the model checked once with each dimension at its
    first value."""
    from toolkit.tuning.space import check_space, fit_epochs

    declared = entry.space or getattr(entry.forecaster, "space", None)
    space = (check_space(declared, f"model {entry.name!r} space") if declared
             else fit_epochs(entry.forecaster.default_space(), config.epochs))
    trial = clone(entry.forecaster)
    for key, dimension in space.items():
        value = dimension.options[0] if hasattr(dimension, "options") else dimension.low
        try:
            trial.set_params(**{key: value})
        except ValueError as err:
            raise UsageError(f"model {entry.name!r} search space names {key!r}: {err}") from None
    try:
        trial.check(shape)
    except ValueError as err:
        raise UsageError(f"model {entry.name!r} with its search space's first values {err}") from None
    return space
