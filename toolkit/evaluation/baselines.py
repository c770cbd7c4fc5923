"""The linear baseline on the window, in scikit-learn's estimator style (the naive and
moving-average baselines live with the forecast run's models)."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression


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
