"""The models a forecast run compares, behind one small interface.

Every model forecasts prices for steps ``1..horizon`` from the origins of a
:class:`~toolkit.pipelines.windowed.WindowedData` part (``"validation"``, ``"test"``, or
``"next"``, the newest row). Benchmarks work on the price series itself
(:mod:`toolkit.runs.forecast.benchmarks`); neural and linear models in the scaled space of
the windows, mapped back with ``to_price``. With the ``recursive`` strategy a one-step model
is iterated on its own outputs instead of predicting every step directly. A new model is a
small class registered in :data:`MODEL_CLASSES`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from toolkit.evaluation.baselines import WindowLinear
from toolkit.evaluation.intervals import LEVELS, gaussian_interval
from toolkit.pipelines.windowed import WindowedData


def part_inputs(data: WindowedData, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Windows and origin rows of a part, or of the newest window (``part="next"``)."""
    if part == "next":
        return data.x_next, np.array([len(data.prices) - 1])
    return data.x[part], data.origin[part]


class ForecastModel:
    """Base of the run's models.

    Attributes:
        name: Short key, as on the command line.
        title: What the report calls it.
        kind: ``"benchmark"``, ``"statistical"`` or ``"neural"``.
        learns: False for a fixed rule (naive, moving average): nothing is estimated, so
            the report never says it "learned" anything.
        interval: Its own prediction intervals, beside the conformal ones every model gets:
            None, ``"gaussian"``, ``"mc-dropout"`` or ``"model"`` (ETS / ARIMA).
        training: The :class:`~toolkit.training.TrainingRecord` of neural models.
        n_params: Trainable parameters (or coefficients).
    """

    name = ""
    title = ""
    kind = "benchmark"
    learns = True
    interval = None

    def __init__(self, config):
        self.config = config
        self.training = None
        self.n_params = None

    def fit(self, data: WindowedData, log=print, epochs: int | None = None) -> "ForecastModel":
        """Learn from the training part. ``epochs`` fixes the training length of a network
        refitted on all rows, where no validation part is left to stop it early."""
        return self

    def predict_prices(self, data: WindowedData, part: str) -> np.ndarray:
        raise NotImplementedError

    def interval_prices(self, data: WindowedData, part: str) -> dict[float, tuple[np.ndarray, np.ndarray]]:
        """Per level in :data:`LEVELS`, (lower, upper) prices of shape ``(m, horizon)``."""
        return {}

    def save(self, folder: Path) -> list[str]:
        return []


class _ScaledModel(ForecastModel):
    """Models that output scaled targets; direct or recursive."""

    @property
    def steps_out(self) -> int:
        return 1 if self.config.multistep == "recursive" else self.config.horizon

    def _targets(self, data, part):
        return data.y[part][:, : self.steps_out]

    def _predict_scaled(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_prices(self, data, part):
        x, origin = part_inputs(data, part)
        origin_prices = data.prices[origin]
        if self.config.multistep == "recursive":
            return data.recursive_prices(lambda w: self._predict_scaled(w)[:, 0], x, origin_prices)
        return data.to_price(self._predict_scaled(x), origin_prices)


class Linear(_ScaledModel):
    name = "linear"

    def __init__(self, config):
        super().__init__(config)
        self.title = f"Linear regression on the {config.window}-step window"

    def fit(self, data, log=print, epochs=None):
        self.estimator = WindowLinear().fit(data.x["train"], self._targets(data, "train"))
        self.n_params = int(np.size(self.estimator.coef_) + np.size(self.estimator.intercept_))
        return self

    def _predict_scaled(self, x):
        return np.asarray(self.estimator.predict(x)).reshape(len(x), -1)

    def save(self, folder):
        (folder / "linear.json").write_text(json.dumps(self.estimator.to_dict()))
        return ["linear.json"]


class _KerasModel(_ScaledModel):
    kind = "neural"

    def _build(self, data):
        raise NotImplementedError

    def _inputs(self, x):
        return x

    def fit(self, data, log=print, epochs=None):
        from toolkit.errors import TrainingError
        from toolkit.training import fit, set_seed

        set_seed(self.config.seed)
        self.model = self._build(data)
        self.n_params = self.model.count_params()
        validate = epochs is None and len(data.y["validation"]) > 0
        epochs = self.config.epochs if epochs is None else epochs
        log(f"[{self.name}] training {self.title} ({self.n_params:,} parameters), "
            + (f"up to {epochs} epochs" if validate else f"{epochs} epoch(s) on all rows")
            + f", batch {self.config.batch_size}")
        try:
            self.training = fit(
                self.model, self._inputs(data.x["train"]), self._targets(data, "train"),
                validation_data=(self._inputs(data.x["validation"]), self._targets(data, "validation"))
                if validate else None,
                epochs=epochs, batch_size=self.config.batch_size,
                patience=self.config.patience, verbose=self.config.verbose,
            )
        except TrainingError as err:
            raise TrainingError(f"{self.title}: {err}") from None
        log(f"[{self.name}] {self.training.epochs_run} epoch(s) in {self.training.seconds:.1f} s on {self.training.device}"
            + (f"; kept epoch {self.training.best_epoch}" if validate else ""))
        return self

    def _predict_scaled(self, x):
        return self.model.predict(self._inputs(x), batch_size=1024, verbose=0)

    def save(self, folder):
        self.model.save(folder / f"{self.name}.keras")
        return [f"{self.name}.keras"]


class _Recurrent(_KerasModel):
    """The stacked network (LSTM or GRU).

    Its intervals combine Monte Carlo dropout (dropout left on at prediction: the spread
    of the passes is the model's uncertainty) with the noise variance of its validation
    residuals, which dropout alone does not see (Zhu and Laptev, 2017).
    """

    interval = "mc-dropout"
    cell = "lstm"

    def _build(self, data):
        from toolkit.builders.recurrent import stacked_lstm

        c = self.config
        return stacked_lstm(window=c.window, n_features=data.n_features, units=c.lstm_units,
                            dropout=c.dropout, dense_units=c.dense_units, outputs=self.steps_out,
                            cell=self.cell, learning_rate=c.learning_rate, name=f"stacked_{self.cell}")

    def interval_prices(self, data, part):
        if self.config.multistep == "recursive" or not self.config.mc_samples:
            return {}
        from toolkit.training.mc_dropout import mc_dropout_draws

        x, origin = part_inputs(data, part)
        draws = mc_dropout_draws(self.model, x, self.config.mc_samples)
        residuals = self._targets(data, "validation") - self._predict_scaled(data.x["validation"])
        variance = draws.var(axis=0) + residuals.var(axis=0)
        center = self._predict_scaled(x)
        # The scaler and the price map are increasing, so bounds map to bounds.
        return {level: tuple(data.to_price(bound, data.prices[origin])
                             for bound in gaussian_interval(center, variance, level))
                for level in LEVELS}


class LSTM(_Recurrent):
    name, title, cell = "lstm", "Stacked LSTM (lecture architecture)", "lstm"


class GRU(_Recurrent):
    name, title, cell = "gru", "Stacked GRU", "gru"


class CNNLSTM(_KerasModel):
    name, title = "cnn_lstm", "CNN-LSTM (Conv1D features into an LSTM)"

    def _build(self, data):
        from toolkit.builders.conv import cnn_lstm

        c = self.config
        return cnn_lstm(window=c.window, n_features=data.n_features, outputs=self.steps_out,
                        learning_rate=c.learning_rate)


class GaussianMLP(_KerasModel):
    """MLP on the flattened window with a heteroscedastic Gaussian head.

    Not the tutorial's homoscedastic noise model: returns are volatility-clustered, so the
    variance here is a function of the window (its own output unit), learned by the same
    negative log-likelihood.
    """

    name, title, interval = "mlp", "MLP on the window, heteroscedastic Gaussian head", "gaussian"

    def _build(self, data):
        from toolkit.builders.dense import gaussian_mlp

        return gaussian_mlp(input_dim=self.config.window * data.n_features, hidden_units=(64, 32),
                            activation="relu", kernel_initializer="he_normal", noise="heteroscedastic",
                            outputs=self.steps_out,
                            learning_rate=self.config.learning_rate)

    def _inputs(self, x):
        return x.reshape(len(x), -1)

    def _mean_variance(self, x):
        predicted = self.model.predict(self._inputs(x), batch_size=1024, verbose=0)
        k = predicted.shape[1] // 2
        return predicted[:, :k], predicted[:, k:]

    def _predict_scaled(self, x):
        return self._mean_variance(x)[0]

    def interval_prices(self, data, part):
        if self.config.multistep == "recursive":
            return {}
        x, origin = part_inputs(data, part)
        mean, variance = self._mean_variance(x)
        # The scaler and the price map are increasing, so bounds map to bounds.
        return {level: tuple(data.to_price(bound, data.prices[origin])
                             for bound in gaussian_interval(mean, variance, level))
                for level in LEVELS}


def model_classes() -> dict[str, type[ForecastModel]]:
    """Every model a run can compare, by its command-line name."""
    from toolkit.runs.forecast import benchmarks

    return {cls.name: cls for cls in (*benchmarks.BENCHMARKS, Linear, GaussianMLP, LSTM, GRU, CNNLSTM)}


def create_model(name: str, config) -> ForecastModel:
    return model_classes()[name](config)
