"""What a user hands the run, made a forecaster: a Keras builder, a scikit-learn regressor, a
statsforecast model or a :class:`~toolkit.forecasters.Forecaster`, each as a class or an
instance, with keyword arguments."""

from __future__ import annotations

import inspect

from toolkit.forecasters.base import Forecaster, clone

ADAPTER_KEYS = {"sklearn": ("space", "title"), "statsforecast": ("space", "title")}
KINDS = ("a Keras builder function, a scikit-learn regressor (class or instance), a statsforecast model "
         "(class or instance) or a toolkit Forecaster")


def _module(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return getattr(cls, "__module__", "") or ""


def _is_keras_model(obj) -> bool:
    cls = obj if isinstance(obj, type) else type(obj)
    return any(getattr(c, "__module__", "").startswith(("keras", "tf_keras")) and c.__name__ in ("Model", "Layer")
               for c in cls.__mro__)


def _split(params: dict, keys: tuple[str, ...]) -> tuple[dict, dict]:
    return {k: v for k, v in params.items() if k in keys}, {k: v for k, v in params.items() if k not in keys}


def _construct(cls, params: dict):
    try:
        return cls(**params)
    except Exception as err:  # noqa: BLE001 - the user's class: its own message, on one line
        raise ValueError(f"cannot be created: {cls.__name__}({', '.join(f'{k}={v!r}' for k, v in params.items())}) "
                         f"raised {type(err).__name__}: {' '.join(str(err).split())}") from None


def as_forecaster(obj, params: dict | None = None) -> Forecaster:
    """A fresh forecaster for ``obj`` with ``params`` applied.

    * a :class:`Forecaster` instance: a clone, with ``params`` set; a subclass: ``cls(**params)``;
    * a statsforecast model (its class lives in ``statsforecast``): a :class:`StatsForecaster`
      (``title`` for the adapter, the rest for the model's constructor);
    * a scikit-learn regressor (anything with ``fit`` and ``predict``): a
      :class:`SklearnForecaster` (``space`` and ``title`` for the adapter, the rest for the
      regressor);
    * any other function: a Keras builder, as :class:`KerasForecaster` ``(obj, **params)``.

    Raises:
        ValueError: One line, meant to follow "model 'NAME' ", for anything else (a built
            ``keras.Model`` among them: the run builds a fresh model for every fold, so it needs
            the function that builds it).
    """
    params = dict(params or {})
    if isinstance(obj, Forecaster):
        return clone(obj).set_params(**params)
    if isinstance(obj, type) and issubclass(obj, Forecaster):
        return _construct(obj, params)
    if _is_keras_model(obj):
        what = f"the Keras class {obj.__name__}" if isinstance(obj, type) else "a built Keras model"
        raise ValueError(f"is {what}; give a function that builds the model (the run builds a fresh one for every "
                         "fold, with window, n_features and outputs)")
    if _module(obj).split(".")[0] == "statsforecast":
        from toolkit.forecasters.statistical import StatsForecaster

        own, rest = _split(params, ADAPTER_KEYS["statsforecast"])
        model = _construct(obj, rest) if isinstance(obj, type) else _reparam(obj, rest)
        return StatsForecaster(model, **own)
    if callable(getattr(obj, "fit", None)) and callable(getattr(obj, "predict", None)):
        from toolkit.forecasters.sklearn_forecaster import SklearnForecaster

        own, rest = _split(params, ADAPTER_KEYS["sklearn"])
        regressor = _construct(obj, rest) if isinstance(obj, type) else _reparam(obj, rest)
        _check_regressor(regressor)
        return SklearnForecaster(regressor, **own)
    if isinstance(obj, type):
        raise ValueError(f"is the class {obj.__name__}, which has no fit/predict; give {KINDS}")
    if inspect.isfunction(obj) or inspect.ismethod(obj) or (callable(obj) and not isinstance(obj, type)):
        from toolkit.forecasters.keras_forecaster import KerasForecaster

        return KerasForecaster(obj, **params)
    raise ValueError(f"is {type(obj).__name__} {obj!r:.40}; give {KINDS}")


def _check_regressor(estimator) -> None:
    """A scikit-learn estimator must be a regressor (a clusterer's labels are no forecast); an
    object without scikit-learn's tags is trusted to regress."""
    try:
        from sklearn.utils import get_tags

        kind = get_tags(estimator).estimator_type
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator
        return
    if kind not in (None, "regressor"):
        raise ValueError(f"is a scikit-learn {kind} ({type(estimator).__name__}), not a regressor; give a regressor "
                         "(Ridge, GradientBoostingRegressor, ...)")


def _reparam(instance, params: dict):
    """A copy of an estimator instance with ``params`` set (scikit-learn's way when it has
    ``get_params``, else the instance as given when there is nothing to set)."""
    if not params:
        if hasattr(instance, "get_params"):
            from sklearn.base import clone as sklearn_clone

            return sklearn_clone(instance)
        return instance
    if not hasattr(instance, "set_params"):
        raise ValueError(f"is an instance of {type(instance).__name__}, which takes no parameters here; give the "
                         "class and its arguments instead")
    from sklearn.base import clone as sklearn_clone

    try:
        return sklearn_clone(instance).set_params(**params)
    except ValueError as err:
        raise ValueError(f"{type(instance).__name__}: {' '.join(str(err).split())}") from None
