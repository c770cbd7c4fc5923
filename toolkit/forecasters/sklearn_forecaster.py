"""Any scikit-learn regressor on the same windows, scalers and targets as the networks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.forecasters.base import WindowForecaster


def _name(regressor) -> str:
    return type(regressor).__name__


class SklearnForecaster(WindowForecaster):
    """A scikit-learn regressor (``Ridge()``, ``GradientBoostingRegressor()``, a pipeline, ...)
    as a forecaster.

    It learns the flattened window (``window * n_features`` inputs, float64) to the scaled
    targets of every step ahead, the same arrays the networks see. A regressor that predicts
    one output only (gradient boosting) is fitted once per step, through scikit-learn's
    ``MultiOutputRegressor``; a ``random_state`` left at None is set to the run's seed, so
    a rerun gives the same numbers. A fresh copy (``sklearn.base.clone``) is fitted per fold.

    Args:
        regressor: An unfitted scikit-learn regressor (anything with ``fit`` and ``predict``).
        space: Hyperparameters to search when tuning is on, ``{name: Int | Float | Choice}``
            over the regressor's parameters (e.g. ``{"alpha": Float(1e-3, 10, log=True)}``).
            Defaults to None: not tuned.
        title: What the report calls it. Defaults to None: the regressor's repr.

    Example:
        >>> from sklearn.linear_model import Ridge
        >>> SklearnForecaster(Ridge(alpha=0.5)).title
        'Ridge(alpha=0.5)'
    """

    kind = "regressor"

    def __init__(self, regressor, *, space=None, title=None):
        self.regressor = regressor
        self.space = space
        self.title = title

    def default_title(self) -> str:
        return " ".join(repr(self.regressor).split())

    def set_params(self, **params):
        own = {k: v for k, v in params.items() if k in ("regressor", "space", "title")}
        for key, value in own.items():
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in own}
        if rest:
            known = self.regressor.get_params()
            unknown = [k for k in rest if k not in known]
            if unknown:
                raise ValueError(f"{_name(self.regressor)} has no parameter {', '.join(map(repr, unknown))}")
            self.regressor.set_params(**rest)
        return self

    def check(self, shape) -> None:
        if isinstance(self.regressor, type):
            raise ValueError(f"has the class {self.regressor.__name__}, not an instance; give "
                             f"{self.regressor.__name__}() or let the toolkit create it")
        missing = [m for m in ("fit", "predict", "get_params") if not callable(getattr(self.regressor, m, None))]
        if missing:
            raise ValueError(f"is a {_name(self.regressor)}, which has no {'/'.join(missing)}; give a "
                             "scikit-learn regressor (fit, predict, get_params)")

    def fit_windows(self, x, y, validation, context):
        from sklearn.base import clone
        from sklearn.multioutput import MultiOutputRegressor
        from sklearn.utils import get_tags

        estimator = clone(self.regressor)
        if "random_state" in estimator.get_params() and estimator.get_params()["random_state"] is None:
            estimator.set_params(random_state=context.seed)
        targets = np.asarray(y, dtype="float64")
        if targets.shape[1] == 1:
            targets = targets[:, 0]
        elif not get_tags(estimator).target_tags.multi_output:
            estimator = MultiOutputRegressor(estimator)
        self.estimator_ = estimator.fit(_flat(x), targets)
        self.n_params_ = _coefficients(self.estimator_)
        self.description_ = f"{self.title} on the flattened {x.shape[1]}-step window"

    def predict_windows(self, x):
        return np.asarray(self.estimator_.predict(_flat(x)), dtype="float64").reshape(len(x), -1)

    def save(self, folder: Path, name: str) -> list[str]:
        """The fitted regressor in skops' format (no pickle: ``skops.io.load`` refuses types it
        was not told to trust, so loading needs your code importable and named)."""
        import skops.io

        skops.io.dump(self.estimator_, Path(folder) / f"{name}.skops")
        return [f"{name}.skops"]

    def load(self, folder: Path, name: str, context, trusted: list[str] | None = None, **options):
        """The regressor saved as ``NAME.skops``; ``trusted`` names the types beyond skops'
        defaults you trust it to create (``skops.io.get_untrusted_types(file=...)`` lists them)."""
        import skops.io

        self.estimator_ = skops.io.load(Path(folder) / f"{name}.skops", trusted=trusted or [])
        self.steps_, self.multistep_ = context.steps_out, context.multistep
        self.n_params_ = _coefficients(self.estimator_)
        return self


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype="float64").reshape(len(x), -1)


def _coefficients(estimator) -> int | None:
    coef, intercept = getattr(estimator, "coef_", None), getattr(estimator, "intercept_", None)
    if coef is None:
        return None
    return int(np.size(coef) + (np.size(intercept) if intercept is not None else 0))
