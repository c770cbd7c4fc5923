"""The forecasting model interface: what every model of a forecast run is, built-in or yours.

A :class:`Forecaster` is defined by its constructor arguments (stored unchanged, as in
scikit-learn, so :func:`clone` can make a fresh, unfitted copy for every walk-forward fold),
learns in :meth:`~Forecaster.fit` from one fold's :class:`~toolkit.pipelines.WindowedData`
(fitted attributes end in ``_``), and forecasts prices for steps ``1..horizon`` from the
origins of a part (``"validation"``, ``"test"``, or ``"next"``, the newest row). The run
gives every model the same folds, scalers, honesty panel, conformal intervals, strategy
check and report; a model only has to fit and predict.

Two levels:

* :class:`Forecaster` works on prices: ``fit(data, context)`` and ``predict(data, part)``
  (the benchmarks and the statistical models);
* :class:`WindowForecaster` works on the scaled windows and targets every network sees:
  ``fit_windows(x, y, validation, context)`` and ``predict_windows(x)``; the base maps
  outputs back to prices and runs the ``recursive`` strategy.

The adapters :class:`~toolkit.forecasters.KerasForecaster`,
:class:`~toolkit.forecasters.SklearnForecaster` and
:class:`~toolkit.forecasters.StatsForecaster` wrap a Keras builder, a scikit-learn regressor
and a statsforecast model in a few characters each.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from toolkit.pipelines.windowed import WindowedData

PARTS = ("validation", "test", "next")
MULTISTEP = ("direct", "recursive")


@dataclass(frozen=True)
class FitContext:
    """How a run trains every model of a fold: the same settings for all of them.

    Attributes:
        horizon: Steps ahead forecast.
        multistep: ``"direct"`` (one output per step) or ``"recursive"`` (a one-step model
            fed its own forecasts). Defaults to ``"direct"``.
        epochs: Most training epochs of a network. Defaults to 20.
        batch_size: Defaults to 128.
        patience: Early-stopping patience on the validation loss. Defaults to 3.
        seed: Seed set before a model is built. Defaults to 42.
        verbose: Keras progress (0, 1 or 2). Defaults to 2.
        mc_samples: Monte Carlo dropout passes of a network with dropout; 0 for none.
            Defaults to 10.
        fixed_epochs: Train exactly this many epochs with no validation part (the final
            refit on all rows, where nothing is left to stop on). Defaults to None.
        log: Receives one line per stage. Defaults to ``print``.
        on_epoch: Called after every epoch of a network with ``(epoch, val_loss)``; the
            hyperparameter search reports learning curves through it and stops a poor trial
            by raising. Defaults to None.
        name: The model's name in the run (its log lines start with it). Defaults to "".
    """

    horizon: int
    multistep: str = "direct"
    epochs: int = 20
    batch_size: int = 128
    patience: int = 3
    seed: int = 42
    verbose: int = 2
    mc_samples: int = 10
    fixed_epochs: int | None = None
    log: Callable[[str], None] = print
    on_epoch: Callable[[int, float], None] | None = None
    name: str = ""

    @property
    def steps_out(self) -> int:
        """Outputs a window model predicts: 1 for the recursive strategy, else the horizon."""
        return 1 if self.multistep == "recursive" else self.horizon

    def quiet(self) -> "FitContext":
        return replace(self, verbose=0, log=lambda line: None)


@dataclass(frozen=True)
class InputShape:
    """What the run feeds a model, known before any data is read (for the checks).

    Attributes:
        window: Input steps per sample.
        n_features: Values per step.
        horizon: Steps ahead forecast.
        multistep: ``"direct"`` or ``"recursive"``.
    """

    window: int
    n_features: int
    horizon: int = 1
    multistep: str = "direct"

    @property
    def outputs(self) -> int:
        """Values a window model predicts: the horizon, or 1 for the recursive strategy."""
        return 1 if self.multistep == "recursive" else self.horizon

    def needs(self) -> str:
        """What needs :attr:`outputs` values, in words."""
        return "the recursive strategy" if self.multistep == "recursive" else f"horizon {self.horizon}"


def part_inputs(data: WindowedData, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``(m, window, features)`` and origin rows ``(m,)`` of a part, or of the newest
    window (``part="next"``)."""
    if part == "next":
        return data.x_next, np.array([len(data.prices) - 1])
    return data.x[part], data.origin[part]


def _init_parameters(cls) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]


class ModelParameters:
    """Constructor arguments stored unchanged under their own names, as in scikit-learn: what
    :meth:`get_params`, :func:`clone` and the report's definition of a model read. The base of
    :class:`Forecaster` and :class:`~toolkit.forecasters.variance.VarianceForecaster`."""

    # -- definition ---------------------------------------------------------------------

    _title = None

    @property
    def title(self) -> str:
        """What the report calls the model: the ``title`` argument, else :meth:`default_title`."""
        return self._title or self.default_title()

    @title.setter
    def title(self, value: str | None) -> None:
        self._title = value

    def default_title(self) -> str:
        return type(self).__name__

    def get_params(self) -> dict:
        """The constructor arguments, by name (what :func:`clone` rebuilds the model from)."""
        params = {}
        for p in _init_parameters(type(self)):
            if p.kind == p.VAR_KEYWORD:
                params.update(getattr(self, p.name, {}) or {})
            elif p.kind != p.VAR_POSITIONAL:
                params[p.name] = self._title if p.name == "title" else getattr(self, p.name)
        return params

    def set_params(self, **params) -> "ModelParameters":
        """Change constructor arguments in place (the search sets a trial's values this way)."""
        known = self.get_params()
        for key, value in params.items():
            if key not in known:
                raise ValueError(f"{type(self).__name__} has no parameter {key!r}; it has "
                                 f"{', '.join(sorted(known)) or 'none'}. Received: {key}={value!r}")
            setattr(self, key, value)
        return self

    def describe(self) -> dict:
        """Plain JSON data that says how the model was defined (for ``metrics.json``)."""
        return {"class": f"{type(self).__module__}.{type(self).__qualname__}",
                "params": {key: _plain(value) for key, value in self.get_params().items()}}

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={_short(value)}" for key, value in self.get_params().items())
        return f"{type(self).__name__}({shown})"


class Forecaster(ModelParameters):
    """Base class of every forecasting model of a run.

    Subclasses store their constructor arguments unchanged under the same names (so
    :meth:`get_params` and :func:`clone` work, as in scikit-learn) and implement
    :meth:`fit` and :meth:`predict`.

    Class attributes:
        kind: ``"benchmark"``, ``"statistical"``, ``"regressor"``, ``"neural"``, or ``"model"``
            (a class of yours that says nothing else).
        learns: False for a fixed rule (naive, moving average): nothing is estimated, so
            the report never says it "learned" anything.

    Fitted attributes (set by :meth:`fit`):
        training_: The :class:`~toolkit.training.TrainingRecord` of a network, else None.
        n_params_: Trainable parameters (or coefficients), or None when not counted.
        interval_: Its own prediction intervals, beside the conformal ones every model
            gets: None, ``"gaussian"``, ``"mc-dropout"`` or ``"model"``.
        description_: One sentence on what was fitted (e.g. the order ARIMA chose), or "".
    """

    kind = "model"
    learns = True
    training_ = None
    n_params_ = None
    interval_ = None
    description_ = ""

    def check(self, shape: InputShape) -> None:
        """Raise ``ValueError`` (one line) when the model cannot take ``shape``; run before any
        data is read. Defaults to accepting every shape."""

    def default_space(self) -> dict:
        """The search space used when tuning is on and none was declared: ``{}`` (not tuned)."""
        return {}

    # -- learning -----------------------------------------------------------------------

    def fit(self, data: WindowedData, context: FitContext) -> "Forecaster":
        """Learn from the training part of ``data`` (its validation part may stop training
        early; with ``context.fixed_epochs`` there is none). Returns ``self``."""
        return self

    def predict(self, data: WindowedData, part: str) -> np.ndarray:
        """Price forecasts for steps ``1..horizon`` from each origin of ``part``: shape
        ``(m, horizon)``, finite and positive."""
        raise NotImplementedError

    def predict_interval(self, data: WindowedData, part: str) -> dict[float, tuple[np.ndarray, np.ndarray]]:
        """The model's own bands: per level in :data:`toolkit.evaluation.intervals.LEVELS`,
        ``(lower, upper)`` prices of shape ``(m, horizon)``; ``{}`` when it has none."""
        return {}

    def validation_loss(self, data: WindowedData) -> float:
        """What the hyperparameter search minimises on an inner split: the mean squared log
        error of the validation forecasts (networks report their own validation loss)."""
        predicted = self.predict(data, "validation")
        return float(np.mean(np.log(data.actual("validation") / predicted) ** 2))

    def save(self, folder: Path, name: str) -> list[str]:
        """Write the fitted model into ``folder`` under ``name``; returns the file names."""
        return []

    def load(self, folder: Path, name: str, context: FitContext, **options) -> "Forecaster":
        """Restore what :meth:`save` wrote into this (unfitted) forecaster, as if fitted with
        ``context``; then it forecasts from any windowed data of the same series and scalers.
        Raises ``NotImplementedError`` for a model that saves nothing it could be rebuilt from."""
        raise NotImplementedError(f"{type(self).__name__} saves nothing to load back; refit it instead")


class WindowForecaster(Forecaster):
    """A model of the scaled windows every network sees.

    Subclasses implement :meth:`fit_windows` and :meth:`predict_windows` on arrays:
    inputs ``(m, window, features)`` in float32, scaled targets ``(m, steps)`` (the
    standardised log price relative to each window's last price, or the min-max scaled
    level with ``--target price``; the scalers were fitted on the fold's training rows).
    The base maps outputs back to prices and, with ``multistep="recursive"``, feeds a
    one-step model its own forecasts.
    """

    def fit(self, data, context):
        self.steps_ = context.steps_out
        self.multistep_ = context.multistep
        validation = None
        if context.fixed_epochs is None and len(data.y["validation"]) > 0:
            validation = (data.x["validation"], data.y["validation"][:, : self.steps_])
        self.fit_windows(data.x["train"], data.y["train"][:, : self.steps_], validation, context)
        return self

    def fit_windows(self, x: np.ndarray, y: np.ndarray, validation: tuple[np.ndarray, np.ndarray] | None,
                    context: FitContext) -> None:
        """Learn from training windows ``x`` and scaled targets ``y`` of shape ``(m, steps)``;
        ``validation`` is ``(x, y)`` held out for early stopping, or None."""
        raise NotImplementedError

    def predict_windows(self, x: np.ndarray) -> np.ndarray:
        """Scaled outputs ``(m, steps)`` for windows ``x``."""
        raise NotImplementedError

    def predict(self, data, part):
        x, origin = part_inputs(data, part)
        origin_prices = data.prices[origin]
        if self.multistep_ == "recursive":
            return data.recursive_prices(lambda w: np.asarray(self.predict_windows(w)).reshape(len(w), -1)[:, 0],
                                         x, origin_prices)
        return data.to_price(self.predict_windows(x), origin_prices)


def clone(forecaster: Forecaster) -> Forecaster:
    """A fresh, unfitted copy made from the constructor arguments (scikit-learn's ``clone``
    for the arguments that are estimators, a deep copy for containers, the same object for
    functions and classes)."""
    from sklearn.base import clone as sklearn_clone

    params = {}
    for key, value in forecaster.get_params().items():
        if hasattr(value, "get_params") and not isinstance(value, type):
            params[key] = sklearn_clone(value)
        elif isinstance(value, (dict, list)):
            params[key] = copy.deepcopy(value)
        else:
            params[key] = value
    return type(forecaster)(**params)


def _short(value) -> str:
    if callable(value) and hasattr(value, "__qualname__"):
        return value.__qualname__
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value):
    """A constructor argument as JSON data: numbers and text as they are, code by its name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "describe") and not isinstance(value, type):
        return value.describe()
    if hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '?')}:{value.__qualname__}"
    return repr(value)
