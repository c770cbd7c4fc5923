"""The benchmarks forecasters expect, refitted per fold on the same training rows as every model.

* naive persistence: tomorrow = today, i.e. a zero-return forecast;
* random walk with drift (Hyndman and Athanasopoulos, *FPP3* 5.2): the last price plus
  ``h`` times the average daily change of the training rows;
* historical mean return: the last price grown at the training rows' mean log return;
* the moving average of the last 5 prices (a fixed rule);
* automatic ETS and ARIMA on log prices (statsforecast's ``AutoETS`` and ``AutoARIMA``,
  Hyndman-Khandakar order selection by AICc), fitted on the training rows and applied with
  those parameters from every later origin, with their own 80% and 95% intervals.

statsforecast was chosen over statsmodels by ``bench/bench_statistical.py``: the same
accuracy at a fraction of the fitting time (numbers in ``bench/README.md``).
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from toolkit.errors import DataError
from toolkit.evaluation.intervals import LEVELS
from toolkit.runs.forecast.models import ForecastModel, part_inputs


def _steps(data) -> np.ndarray:
    return np.arange(1, data.horizon + 1)


class Naive(ForecastModel):
    name, title, learns = "naive", "Naive persistence (zero return: tomorrow = today)", False

    def predict_prices(self, data, part):
        _, origin = part_inputs(data, part)
        return np.repeat(data.prices[origin][:, None], data.horizon, axis=1)


class Drift(ForecastModel):
    name, title = "drift", "Random walk with drift"

    def fit(self, data, log=print, epochs=None):
        b = data.bounds
        first, last = data.prices[b.train_start], data.prices[b.train_end - 1]
        self.drift_ = float((last - first) / max(b.train_end - 1 - b.train_start, 1))
        self.n_params = 1
        return self

    def predict_prices(self, data, part):
        _, origin = part_inputs(data, part)
        return data.prices[origin][:, None] + self.drift_ * _steps(data)


class MeanReturn(ForecastModel):
    name, title = "mean_return", "Historical mean return"

    def fit(self, data, log=print, epochs=None):
        b = data.bounds
        self.mean_log_return_ = float(np.mean(np.diff(np.log(data.prices[b.train_start:b.train_end]))))
        self.n_params = 1
        return self

    def predict_prices(self, data, part):
        _, origin = part_inputs(data, part)
        return data.prices[origin][:, None] * np.exp(self.mean_log_return_ * _steps(data))


class MovingAverage(ForecastModel):
    name, learns = "moving_average", False

    def __init__(self, config, days: int = 5):
        super().__init__(config)
        self.days = days
        self.title = f"Moving average of the last {days} days"

    def predict_prices(self, data, part):
        _, origin = part_inputs(data, part)
        rows = origin[:, None] - np.arange(self.days)
        average = data.prices[np.clip(rows, 0, None)].mean(axis=1)
        return np.repeat(average[:, None], data.horizon, axis=1)


class _StatsForecast(ForecastModel):
    """A statsforecast model on log prices: fitted on the training rows, then applied with
    fixed parameters to the history up to each origin (``forward``), as a forecaster who
    refits once per fold would."""

    kind, interval = "statistical", "model"

    def _estimator(self):
        raise NotImplementedError

    def fit(self, data, log=print, epochs=None):
        b = data.bounds
        history = np.log(data.prices[b.train_start:b.train_end])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.estimator = self._estimator().fit(history)
        except Exception as err:  # noqa: BLE001 - the library's own message, on one line
            raise DataError(f"{self.name} could not be fitted on {len(history):,} training rows "
                            f"({type(err).__name__}: {err}); leave it out with --models") from None
        self.description = self._describe()
        self._cache: dict = {}
        log(f"[{self.name}] {self.description}")
        return self

    def _describe(self) -> str:
        return self.title

    def _forecasts(self, data, part) -> tuple[np.ndarray, dict]:
        key = (id(data), data.bounds, part)
        if key not in self._cache:
            _, origin = part_inputs(data, part)
            start = data.bounds.train_start
            log_prices = np.log(data.prices)
            mean = np.empty((len(origin), data.horizon))
            bands = {level: (np.empty_like(mean), np.empty_like(mean)) for level in LEVELS}
            levels = [int(round(100 * level)) for level in LEVELS]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for i, row in enumerate(origin):  # one filter pass per origin; parameters fixed
                    out = self.estimator.forward(y=log_prices[start:row + 1], h=data.horizon, level=levels)
                    mean[i] = out["mean"]
                    for level, pct in zip(LEVELS, levels):
                        bands[level][0][i] = out[f"lo-{pct}"]
                        bands[level][1][i] = out[f"hi-{pct}"]
            self._cache = {key: (np.exp(mean), {k: (np.exp(lo), np.exp(hi)) for k, (lo, hi) in bands.items()})}
        return self._cache[key]

    def predict_prices(self, data, part):
        return self._forecasts(data, part)[0]

    def interval_prices(self, data, part):
        return self._forecasts(data, part)[1]

    def save(self, folder):
        (folder / f"{self.name}.json").write_text(json.dumps({"model": self.description}))
        return [f"{self.name}.json"]


class ETS(_StatsForecast):
    name, title = "ets", "ETS, automatic (log prices)"

    def _estimator(self):
        from statsforecast.models import AutoETS

        return AutoETS(model="ZZN")  # daily prices: no seasonal component

    def _describe(self):
        self.n_params = int(np.isfinite(np.atleast_1d(self.estimator.model_["par"])).sum())
        return f"automatic ETS chose {self.estimator.model_['method']} on log prices"


class ARIMA(_StatsForecast):
    name, title = "arima", "ARIMA, automatic (log prices)"

    def _estimator(self):
        from statsforecast.models import AutoARIMA

        return AutoARIMA(seasonal=False)

    def _describe(self):
        p, q, _, _, _, d, _ = self.estimator.model_["arma"]
        self.n_params = int(len(self.estimator.model_["coef"]))
        return f"automatic ARIMA chose ARIMA({p},{d},{q}) on log prices"


BENCHMARKS = (Naive, Drift, MeanReturn, MovingAverage, ETS, ARIMA)
