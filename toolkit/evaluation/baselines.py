"""Honest baselines every forecast is compared with, in scikit-learn's estimator style."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression


class NaivePersistence:
    """Random-walk forecast: the value at the forecast origin (tomorrow = today).

    Works on the same scaled windows as the neural models, so its output maps back to
    prices through the same path. For return targets "no change" is a zero return,
    which :meth:`predict` gives as the scaled value of 0.

    Args:
        zero_output: The scaled output meaning "no change" for return targets;
            ``None`` for price targets, where the last input is the forecast.
    """

    def __init__(self, zero_output: float | None = None):
        self.zero_output = zero_output

    def fit(self, x: np.ndarray, y: np.ndarray) -> "NaivePersistence":
        self.n_features_in_ = x.shape[-1]
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.zero_output is not None:
            return np.full(len(x), self.zero_output, dtype="float64")
        return np.asarray(x[:, -1, 0], dtype="float64")


class WindowLinear:
    """Least-squares linear regression on the flattened window (same inputs as the LSTM).

    scikit-learn solves it by SVD, which copes with the strongly collinear lags of a
    price window (minimum-norm solution) without warnings.
    """

    def fit(self, x: np.ndarray, y: np.ndarray) -> "WindowLinear":
        self.model_ = LinearRegression().fit(x.reshape(len(x), -1), y)
        self.coef_ = np.asarray(self.model_.coef_, dtype="float64")
        self.intercept_ = np.asarray(self.model_.intercept_, dtype="float64")
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Shape ``(m,)`` for a one-column target, ``(m, k)`` for ``k`` columns."""
        return x.reshape(len(x), -1).astype("float64") @ self.coef_.T + self.intercept_

    def to_dict(self) -> dict:
        """Parameters as plain JSON-able data (no pickle to load back)."""
        return {"coef": self.coef_.tolist(), "intercept": self.intercept_.tolist()}

    @classmethod
    def from_dict(cls, params: dict) -> "WindowLinear":
        model = cls()
        model.coef_ = np.asarray(params["coef"], dtype="float64")
        model.intercept_ = np.asarray(params["intercept"], dtype="float64")
        return model
