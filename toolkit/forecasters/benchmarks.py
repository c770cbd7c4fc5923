"""The simple benchmarks forecasters expect, refitted per fold on the same training rows as
every model (automatic ETS and ARIMA are :class:`~toolkit.forecasters.StatsForecaster` models).

* naive persistence: tomorrow = today, i.e. a zero-return forecast;
* random walk with drift (Hyndman and Athanasopoulos, *FPP3* 5.2): the last price plus
  ``h`` times the average daily change of the training rows;
* historical mean return: the last price grown at the training rows' mean log return;
* the moving average of the last ``days`` prices (a fixed rule).
"""

from __future__ import annotations

import numpy as np

from toolkit.forecasters.base import Forecaster, part_inputs


def _steps(data) -> np.ndarray:
    return np.arange(1, data.horizon + 1)


class Naive(Forecaster):
    """Naive persistence: every step ahead forecast at the last price."""

    kind, learns = "benchmark", False

    def __init__(self, title=None):
        self.title = title

    def default_title(self):
        return "Naive persistence (zero return: tomorrow = today)"

    def predict(self, data, part):
        _, origin = part_inputs(data, part)
        return np.repeat(data.prices[origin][:, None], data.horizon, axis=1)


class Drift(Forecaster):
    """Random walk with drift: the last price plus ``h`` times the training rows' mean change."""

    kind = "benchmark"

    def __init__(self, title=None):
        self.title = title

    def default_title(self):
        return "Random walk with drift"

    def fit(self, data, context):
        b = data.bounds
        first, last = data.prices[b.train_start], data.prices[b.train_end - 1]
        self.drift_ = float((last - first) / max(b.train_end - 1 - b.train_start, 1))
        self.n_params_ = 1
        return self

    def predict(self, data, part):
        _, origin = part_inputs(data, part)
        return data.prices[origin][:, None] + self.drift_ * _steps(data)


class MeanReturn(Forecaster):
    """The last price grown at the training rows' mean log return."""

    kind = "benchmark"

    def __init__(self, title=None):
        self.title = title

    def default_title(self):
        return "Historical mean return"

    def fit(self, data, context):
        b = data.bounds
        self.mean_log_return_ = float(np.mean(np.diff(np.log(data.prices[b.train_start:b.train_end]))))
        self.n_params_ = 1
        return self

    def predict(self, data, part):
        _, origin = part_inputs(data, part)
        return data.prices[origin][:, None] * np.exp(self.mean_log_return_ * _steps(data))


class MovingAverage(Forecaster):
    """The mean of the last ``days`` prices, at every step ahead (a fixed rule).

    Args:
        days: Prices averaged. Defaults to 5.
        title: Defaults to None: "Moving average of the last 5 days".
    """

    kind, learns = "benchmark", False

    def __init__(self, days: int = 5, title=None):
        self.days = days
        self.title = title

    def default_title(self):
        return f"Moving average of the last {self.days} days"

    def check(self, shape):
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise ValueError(f"needs days >= 1. Received: days={self.days!r}")

    def predict(self, data, part):
        _, origin = part_inputs(data, part)
        rows = origin[:, None] - np.arange(self.days)
        average = data.prices[np.clip(rows, 0, None)].mean(axis=1)
        return np.repeat(average[:, None], data.horizon, axis=1)


