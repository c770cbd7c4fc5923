"""Any statsforecast model (``AutoETS``, ``AutoARIMA``, ``AutoTheta``, ``AutoCES``, ...) on
log prices, as a forecaster.

It is fitted on the fold's training rows and then applied with those parameters to the
history up to every later origin (statsforecast's ``forward``), as a forecaster who refits
once per fold would; its own 80% and 95% intervals stand beside the conformal ones. For ETS
and ARIMA, every origin's forecast comes from one pass of the filter
(:mod:`toolkit.forecasters.state_space`), the same numbers in linear time.
statsforecast was chosen over statsmodels by ``bench/bench_statistical.py``: the same
accuracy at a fraction of the fitting time (numbers in ``bench/README.md``).
"""

from __future__ import annotations

import copy
import inspect
import json
import warnings
from pathlib import Path

import numpy as np

from toolkit.errors import DataError
from toolkit.evaluation.intervals import LEVELS
from toolkit.forecasters.base import Forecaster, part_inputs


class StatsForecaster(Forecaster):
    """A statsforecast model on log prices.

    Args:
        model: An unfitted statsforecast model with ``fit`` and ``forward``, e.g.
            ``AutoETS(model="ZZN")`` or ``AutoTheta()``. A deep copy is fitted per fold.
        space: Its constructor arguments to search when tuning is on, ``{name: Choice | ...}``
            (e.g. ``{"model": Choice("ANN", "AAN", "AAdN")}`` for AutoETS). Defaults to None.
        title: What the report calls it. Defaults to None: the model's class name.

    Example:
        >>> from statsforecast.models import AutoTheta
        >>> StatsForecaster(AutoTheta()).title
        'AutoTheta (log prices)'
    """

    kind = "statistical"

    def __init__(self, model, *, space=None, title=None):
        self.model = model
        self.space = space
        self.title = title

    def default_title(self) -> str:
        return f"{type(self.model).__name__} (log prices)"

    def set_params(self, **params):
        """The adapter's own arguments, or the model's: a new model of the same class with those
        constructor arguments changed (statsforecast models keep theirs under the same names)."""
        # "model" is the statsforecast model itself, or (a text such as "AAN") AutoETS's own argument
        own = {k: v for k, v in params.items() if k in ("space", "title") or (k == "model" and hasattr(v, "fit"))}
        for key, value in own.items():
            setattr(self, key, value)
        changes = {k: v for k, v in params.items() if k not in own}
        if changes:
            signature = inspect.signature(type(self.model).__init__).parameters
            unknown = [k for k in changes if k not in signature]
            if unknown:
                raise ValueError(f"{type(self.model).__name__} has no parameter {', '.join(map(repr, unknown))}")
            current = {k: getattr(self.model, k) for k in signature if k != "self" and hasattr(self.model, k)}
            self.model = type(self.model)(**{**current, **changes})
        return self

    def check(self, shape) -> None:
        if isinstance(self.model, type):
            raise ValueError(f"has the class {self.model.__name__}, not an instance; give {self.model.__name__}()")
        name = type(self.model).__name__
        if not callable(getattr(self.model, "fit", None)):
            raise ValueError(f"is a {name}, which has no fit(); give a statsforecast model")
        if not callable(getattr(self.model, "forward", None)):
            raise ValueError(f"is statsforecast's {name}, which has no forward(): the run fits on the training rows "
                             "and applies those parameters from every later origin, which needs forward(); use a "
                             "model that has it (AutoETS, AutoARIMA, AutoTheta, AutoCES, ...)")

    def fit(self, data, context):
        b = data.bounds
        history = np.log(data.prices[b.train_start:b.train_end])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.estimator_ = copy.deepcopy(self.model).fit(history)
        except Exception as err:  # noqa: BLE001 - the library's own message, on one line
            raise DataError(f"{self.title} could not be fitted on {len(history):,} training rows "
                            f"({type(err).__name__}: {' '.join(str(err).split())})") from None
        self.description_ = _describe(self.estimator_)
        self.n_params_ = _count(self.estimator_)
        self.interval_ = "model"
        self._cache: dict = {}
        context.log(f"[{context.name}] {self.description_}")
        return self

    def _forecasts(self, data, part) -> tuple[np.ndarray, dict]:
        key = (id(data), data.bounds, part)
        if key not in self._cache:
            _, origin = part_inputs(data, part)
            start = data.bounds.train_start
            history = np.log(data.prices[start:])
            levels = [int(round(100 * level)) for level in LEVELS]
            lengths = origin - start + 1  # the history each forecast is made from
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                paths = self._one_pass(history, lengths, data.horizon, levels)
                if paths is None:
                    paths = self._forward_each(history, lengths, data.horizon, levels)
            mean, bands = paths
            self._cache = {key: (np.exp(mean), {level: (np.exp(bands[pct][0]), np.exp(bands[pct][1]))
                                                for level, pct in zip(LEVELS, levels)})}
        return self._cache[key]

    def _forward_each(self, history, lengths, horizon, levels):
        """statsforecast's ``forward`` from each origin: the whole history filtered again each time."""
        mean = np.empty((len(lengths), horizon))
        bands = {pct: (np.empty_like(mean), np.empty_like(mean)) for pct in levels}
        for i, k in enumerate(lengths):
            out = self.estimator_.forward(y=history[:k], h=horizon, level=levels)
            mean[i] = out["mean"]
            for pct in levels:
                bands[pct][0][i], bands[pct][1][i] = out[f"lo-{pct}"], out[f"hi-{pct}"]
        return mean, bands

    def _one_pass(self, history, lengths, horizon, levels):
        """Every origin's forecast from one pass of the model's filter
        (:mod:`toolkit.forecasters.state_space`), checked against ``forward`` at the first and
        last origin; None (use ``forward``) for a model it does not cover or any difference."""
        from toolkit.forecasters import state_space

        paths = None
        if len(lengths) >= 2:
            for run in (state_space.ets_paths, state_space.arima_paths):
                paths = run(self.estimator_, history, lengths, horizon, levels)
                if paths is not None:
                    break
        self.one_pass_ = False
        if paths is None:
            return None
        mean, bands = paths
        for i in (0, len(lengths) - 1):
            out = self.estimator_.forward(y=history[:lengths[i]], h=horizon, level=levels)
            for got, want in [(mean[i], out["mean"])] + [(bands[pct][j][i], out[f"{side}-{pct}"])
                                                         for pct in levels for j, side in ((0, "lo"), (1, "hi"))]:
                if not np.allclose(got, want, rtol=1e-9, atol=0.0):
                    return None
        self.one_pass_ = True
        return paths

    def predict(self, data, part):
        return self._forecasts(data, part)[0]

    def predict_interval(self, data, part):
        return self._forecasts(data, part)[1]

    def save(self, folder: Path, name: str) -> list[str]:
        (Path(folder) / f"{name}.json").write_text(json.dumps({"model": self.description_,
                                                               "class": type(self.model).__name__}))
        return [f"{name}.json"]


def _describe(estimator) -> str:
    fitted = getattr(estimator, "model_", None) or {}
    kind = type(estimator).__name__
    if kind == "AutoETS" and "method" in fitted:
        return f"automatic ETS chose {fitted['method']} on log prices"
    if kind in ("AutoARIMA", "ARIMA") and "arma" in fitted:
        p, q, _, _, _, d, _ = fitted["arma"]
        return f"{'automatic ARIMA chose ' if kind == 'AutoARIMA' else ''}ARIMA({p},{d},{q}) on log prices"
    return f"{kind} fitted on log prices"


def _count(estimator) -> int | None:
    fitted = getattr(estimator, "model_", None) or {}
    if "coef" in fitted:
        return int(len(fitted["coef"]))
    par = fitted.get("par")
    values = list(par.values()) if isinstance(par, dict) else par
    try:
        return int(np.isfinite(np.atleast_1d(np.asarray(values, dtype="float64"))).sum()) if par is not None else None
    except (TypeError, ValueError):
        return None
