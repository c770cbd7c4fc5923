"""The variance model interface of the risk run, and its rule-based and regression models.

A :class:`VarianceForecaster` forecasts tomorrow's variance of the daily log return. It is
defined by its constructor arguments (stored unchanged, so :func:`~toolkit.forecasters.clone`
makes a fresh copy for every refit), learns in :meth:`~VarianceForecaster.fit` from the
training rows of a :class:`RiskData` (fitted attributes end in ``_``), and forecasts in
:meth:`~VarianceForecaster.predict` the variance of rows ``start..len(data)``, each from the
rows before it only (row ``len(data)`` is the day after the data: tomorrow).

Units: variances of daily log returns (0.0001 is a 1% daily volatility). Built-in models:

* :class:`HistoricalVariance`: the mean squared return of the last ``window`` days;
* :class:`EWMAVariance`: RiskMetrics (J.P. Morgan, 1996), lambda 0.94;
* :class:`HARVariance`: Corsi's (2009) heterogeneous autoregression on the variance proxy
  (daily, weekly and monthly means), HAR-X with an exogenous series;
* :class:`~toolkit.forecasters.garch.GarchVariance`: GARCH, GJR-GARCH and EGARCH from ``arch``;
* :class:`~toolkit.forecasters.variance_network.KerasVarianceForecaster`: any Keras builder
  (the toolkit's LSTM by default) on windows of log variance, trained on QLIKE.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from scipy.signal import lfilter

from toolkit.forecasters.base import ModelParameters


@dataclass(frozen=True)
class RiskData:
    """Row-aligned daily series a variance model sees (row ``i`` is trading day ``i``).

    Attributes:
        returns: Log returns ln(C_i / C_{i-1}), ``(n,)``.
        proxy: The day's variance proxy forecasts are scored against (and trained on),
            ``(n,)``, non-negative.
        feature: The proxy models read as input (HAR's regressors, the network's windows),
            ``(n,)``, non-negative; None for ``proxy`` itself.
        exog: An exogenous series known at the day's close (e.g. the VIX), ``(n,)``, or None.
    """

    returns: np.ndarray
    proxy: np.ndarray
    feature: np.ndarray | None = None
    exog: np.ndarray | None = None

    def __post_init__(self):
        if self.feature is None:
            object.__setattr__(self, "feature", self.proxy)
        n = len(self.returns)
        lengths = [len(a) for a in (self.proxy, self.feature, self.exog) if a is not None]
        if any(length != n for length in lengths):
            raise ValueError(f"`returns`, `proxy`, `feature` and `exog` must be of one length. Received: {n}, {lengths}")

    def __len__(self) -> int:
        return len(self.returns)

    def head(self, rows: int) -> "RiskData":
        """The first ``rows`` rows (what a model may see before row ``rows``)."""
        return replace(self, returns=self.returns[:rows], proxy=self.proxy[:rows], feature=self.feature[:rows],
                       exog=None if self.exog is None else self.exog[:rows])


@dataclass(frozen=True)
class RiskContext:
    """How the risk run trains a model: the same settings for all of them.

    Attributes:
        seed: Seed set before a network is built. Defaults to 42.
        verbose: Keras progress (0, 1 or 2). Defaults to 0.
        log: Receives one line per stage. Defaults to ``print``.
        name: The model's name in the run. Defaults to "".
    """

    seed: int = 42
    verbose: int = 0
    log: Callable[[str], None] = print
    name: str = ""


class VarianceForecaster(ModelParameters):
    """Base class of every variance model of the risk run (yours too).

    Subclasses store their constructor arguments unchanged under the same names and implement
    :meth:`fit` and :meth:`predict`.

    Class attributes:
        kind: ``"benchmark"``, ``"statistical"``, ``"neural"``, or ``"model"`` (yours).
        learns: False for a fixed rule (historical variance, EWMA).
        needs_exog: True for a model that reads :attr:`RiskData.exog` (the run refuses it
            when no exogenous series is given).
        nu_: The Student-t degrees of freedom the model fitted, or None (the run then fits
            one to the model's standardised training returns for the Student-t VaR).

    Fitted attributes:
        n_params_: Estimated parameters, or None. description_: One sentence on the fit.
        training_: A network's :class:`~toolkit.training.TrainingRecord`, else None.
    """

    kind = "model"
    learns = True
    needs_exog = False
    n_params_ = None
    description_ = ""
    training_ = None
    nu_ = None

    def fit(self, data: RiskData, context: RiskContext) -> "VarianceForecaster":
        """Learn from every row of ``data`` (the run passes the training rows only). Returns self."""
        return self

    def predict(self, data: RiskData, start: int) -> np.ndarray:
        """Variance forecasts for rows ``start..len(data)`` (``len(data) - start + 1`` values,
        the last one for the day after the data), each from the rows before it; positive."""
        raise NotImplementedError


def _check_start(data: RiskData, start: int, first: int, who: str) -> None:
    if not first <= start <= len(data):
        raise ValueError(f"{who} forecasts rows from {first} (it needs that many days before) to len(data)="
                         f"{len(data)}. Received: start={start}")


class HistoricalVariance(VarianceForecaster):
    """The mean squared log return of the last ``window`` days (a rolling historical variance).

    Args:
        window: Days averaged (22 about a month, 252 a year). Defaults to 22.
        title: Defaults to "Historical variance (WINDOW days)".

    Example:
        >>> data = RiskData(np.array([0.01, -0.02, 0.03]), np.zeros(3))
        >>> HistoricalVariance(window=2).predict(data, 2).round(6).tolist()  # (1+4)/2, (4+9)/2 in 1e-4
        [0.00025, 0.00065]
    """

    kind = "benchmark"
    learns = False

    def __init__(self, window: int = 22, title: str | None = None):
        self.window = window
        self.title = title

    def default_title(self) -> str:
        return f"Historical variance ({self.window} days)"

    def predict(self, data, start):
        _check_start(data, start, self.window, self.title)
        sums = np.r_[0.0, np.cumsum(data.returns ** 2)]
        rows = np.arange(start, len(data) + 1)
        return (sums[rows] - sums[rows - self.window]) / self.window


class EWMAVariance(VarianceForecaster):
    """RiskMetrics' exponentially weighted variance: s2[i] = lam s2[i-1] + (1 - lam) r[i-1]^2.

    Started at s2[1] = r[0]^2 (after a year of days its weight is below 1e-6 at lam 0.94).

    Args:
        lam: The decay (RiskMetrics' daily 0.94). Defaults to 0.94.
        title: Defaults to "EWMA (RiskMetrics, lambda LAM)".

    Example:
        >>> data = RiskData(np.array([0.01, 0.02]), np.zeros(2))
        >>> EWMAVariance(lam=0.5).predict(data, 1).round(7).tolist()  # 1e-4, then 0.5e-4 + 0.5 * 4e-4
        [0.0001, 0.00025]
    """

    kind = "benchmark"
    learns = False

    def __init__(self, lam: float = 0.94, title: str | None = None):
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not 0 < lam < 1:
            raise ValueError(f"`lam` must be a decay between 0 and 1 (RiskMetrics: 0.94). Received: lam={lam!r}")
        self.lam = lam
        self.title = title

    def default_title(self) -> str:
        return f"EWMA (RiskMetrics, lambda {self.lam:g})"

    def predict(self, data, start):
        _check_start(data, start, 1, self.title)
        squared = data.returns ** 2
        # s2[2..n] by the recursion from s2[1] = r[0]^2, as one linear filter.
        later = lfilter([1 - self.lam], [1, -self.lam], squared[1:], zi=[self.lam * squared[0]])[0]
        s2 = np.r_[np.nan, squared[0], later]
        return s2[start:]


class HARVariance(VarianceForecaster):
    """Corsi's (2009) HAR: tomorrow's proxy regressed on the feature proxy's mean over the last 1, 5
    and 22 days.

    ``h[t+1] = b0 + sum_l b_l mean(f[t-l+1..t]) (+ c x[t])`` with ``h`` the scored proxy and
    ``f`` the feature proxy (the same series by default; a range proxy as ``f`` with squared
    returns as ``h`` lets the slopes absorb the range's missing overnight move), by least
    squares on the training rows; HAR-X adds the exogenous series ``x`` (e.g. the VIX squared, in daily variance
    units). A forecast below the smallest positive training proxy is raised to it (a linear
    regression can go negative after a calm spell; the count is in :attr:`floored_`).

    Args:
        lags: The averaging windows, in days. Defaults to (1, 5, 22).
        exog: Add the exogenous series (HAR-X). Defaults to False.
        title: Defaults to "HAR(1, 5, 22)" (or "HAR-X(...)").

    Fitted attributes:
        coef_: ``[b0, b_1, b_5, b_22(, c)]``. floored_: Forecasts raised to the floor by the
        last :meth:`predict`.
    """

    kind = "statistical"

    def __init__(self, lags: tuple[int, ...] = (1, 5, 22), exog: bool = False, title: str | None = None):
        lags = tuple(lags)
        if not lags or any(isinstance(lag, bool) or not isinstance(lag, (int, np.integer)) or lag < 1 for lag in lags):
            raise ValueError(f"`lags` must be whole numbers of days, at least 1. Received: lags={lags!r}")
        self.lags = lags
        self.exog = exog
        self.title = title

    @property
    def needs_exog(self) -> bool:
        return bool(self.exog)

    def default_title(self) -> str:
        return f"HAR{'-X' if self.exog else ''}({', '.join(map(str, self.lags))})"

    def _features(self, data: RiskData) -> np.ndarray:
        """Row t: [1, mean of the proxy over each lag ending at t (, x[t])]; NaN before max(lags) - 1."""
        sums = np.r_[0.0, np.cumsum(data.feature)]
        n, columns = len(data), [np.ones(len(data))]
        t = np.arange(n)
        for lag in self.lags:
            mean = np.full(n, np.nan)
            ok = t >= lag - 1
            mean[ok] = (sums[t[ok] + 1] - sums[t[ok] + 1 - lag]) / lag
            columns.append(mean)
        if self.exog:
            if data.exog is None:
                raise ValueError(f"{self.title} needs an exogenous series (RiskData.exog); none was given")
            columns.append(np.asarray(data.exog, dtype="float64"))
        return np.column_stack(columns)

    def fit(self, data, context):
        x = self._features(data)[:-1]
        y = data.proxy[1:]
        ok = np.isfinite(x).all(axis=1) & np.isfinite(y)
        if ok.sum() < 10 * x.shape[1]:
            raise ValueError(f"{self.title} needs at least {10 * x.shape[1]} training days with every lag; "
                             f"received {int(ok.sum())}")
        self.coef_ = np.linalg.lstsq(x[ok], y[ok], rcond=None)[0]
        positive = data.proxy[data.proxy > 0]
        self.floor_ = float(positive.min()) if positive.size else 1e-12
        self.n_params_ = len(self.coef_)
        names = ["const"] + [f"{lag}d" for lag in self.lags] + (["exog"] if self.exog else [])
        self.description_ = "least squares: " + ", ".join(f"{k} {v:.3g}" for k, v in zip(names, self.coef_))
        return self

    def predict(self, data, start):
        _check_start(data, start, max(self.lags), self.title)
        forecasts = self._features(data)[start - 1:] @ self.coef_
        self.floored_ = int(np.sum(forecasts < self.floor_))
        return np.maximum(forecasts, self.floor_)
