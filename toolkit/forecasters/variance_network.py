"""Any Keras builder as a variance model: windows of log variance in, tomorrow's log variance out.

The network sees, for each of the last ``window`` days, the log of the feature proxy (e.g.
Parkinson's range) and the day's return, both standardised with the training rows' mean and
spread. Its one output ``o`` is tomorrow's log variance relative to the training rows' mean
proxy ``m`` (variance = m exp(o)), and it is trained on QLIKE against the scored proxy ``h``:
``h / sigma2 + log sigma2`` up to constants (Patton 2011; with squared returns as ``h`` this
is the Gaussian negative log-likelihood). Early stopping watches the last fifth of the
training windows, in time order.
"""

from __future__ import annotations

import numpy as np

from toolkit.forecasters.variance import RiskContext, RiskData, VarianceForecaster

EPSILON = 1e-2  # of the mean proxy, added before the log (a range proxy can be 0)
FEATURES = 2


def qlike_log_variance(y_true, y_pred):
    """QLIKE of a log-variance output: mean of ``h exp(-o) + o`` (Patton's loss up to constants).

    Args:
        y_true: The proxy ``h``, in the units the output's variance ``exp(o)`` is in, ``(m, 1)``.
        y_pred: The log variance ``o``, ``(m, 1)``.
    """
    from keras import ops

    o = ops.clip(ops.convert_to_tensor(y_pred), -30.0, 30.0)
    return ops.mean(ops.convert_to_tensor(y_true, dtype=o.dtype) * ops.exp(-o) + o, axis=-1)


def _default_builder(window: int = 22, n_features: int = FEATURES, **kwargs):
    from toolkit.builders.recurrent import stacked_lstm

    settings = {"units": 16, "dropout": 0.0, "dense_units": 16, "num_layers": 1, **kwargs}
    return stacked_lstm(window=window, n_features=n_features, outputs=1, **settings)


class KerasVarianceForecaster(VarianceForecaster):
    """A Keras builder's network trained on QLIKE to forecast tomorrow's variance.

    Args:
        builder: A function ``builder(window=..., n_features=..., **builder_args)`` returning a
            Keras model with one linear output per window (the toolkit's ``stacked_lstm`` and
            ``stacked_gru`` qualify). Defaults to None: the toolkit's LSTM, one layer of 16 units
            and a dense layer of 16 (1,473 parameters at window 22).
        window: Days per input window. Defaults to 22.
        epochs: Most epochs. Defaults to 30.
        batch_size: Defaults to 64.
        patience: Epochs without a better validation QLIKE before stopping. Defaults to 5.
        learning_rate: Adam's rate. Defaults to 1e-3.
        title: Defaults to "LSTM on log variance (QLIKE)" (or the builder's name).
        **builder_args: Passed to the builder.

    Fitted attributes:
        model_: The Keras model. training_: Its :class:`~toolkit.training.TrainingRecord`.
        scale_: ``(m, feature mean, feature spread, return spread)`` from the training rows.
    """

    kind = "neural"

    def __init__(self, builder=None, *, window: int = 22, epochs: int = 30, batch_size: int = 64, patience: int = 5,
                 learning_rate: float = 1e-3, title: str | None = None, **builder_args):
        for name, value in (("window", window), ("epochs", epochs), ("batch_size", batch_size),
                            ("patience", patience)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"`{name}` must be a positive whole number. Received: {name}={value!r}")
        if builder is not None and not callable(builder):
            raise ValueError(f"`builder` must be a function that returns a Keras model. Received: {builder!r}")
        self.builder = builder
        self.window = window
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.learning_rate = learning_rate
        self.title = title
        self.builder_args = builder_args

    def default_title(self) -> str:
        if self.builder is None:
            return "LSTM on log variance (QLIKE)"
        return f"{getattr(self.builder, '__name__', 'network')} on log variance (QLIKE)"

    def _inputs(self, data: RiskData) -> np.ndarray:
        """Per row: the standardised log feature proxy and standardised return, ``(n, 2)``."""
        m, mean, spread, r_spread = self.scale_
        log_feature = (np.log(data.feature + EPSILON * m) - mean) / spread
        return np.column_stack([log_feature, np.clip(data.returns / r_spread, -10, 10)]).astype("float32")

    def _windows(self, inputs: np.ndarray, last_rows: np.ndarray) -> np.ndarray:
        """Windows ending at ``last_rows``: ``(len(last_rows), window, 2)``."""
        views = np.lib.stride_tricks.sliding_window_view(inputs, self.window, axis=0)  # (n-w+1, 2, w)
        return np.ascontiguousarray(views[last_rows - self.window + 1].transpose(0, 2, 1))

    def fit(self, data: RiskData, context: RiskContext | None = None):
        import keras

        from toolkit.training import fit as fit_model, set_seed

        context = context or RiskContext()
        m = float(np.mean(data.proxy))
        log_feature = np.log(data.feature + EPSILON * m)
        self.scale_ = (m, float(log_feature.mean()), float(log_feature.std()) or 1.0,
                       float(data.returns.std()) or 1.0)
        last = np.arange(self.window - 1, len(data) - 1)  # windows whose next day is a training row
        if len(last) < 50:
            raise ValueError(f"{self.title} needs at least {self.window + 50} training days; received {len(data)}")
        x = self._windows(self._inputs(data), last)
        y = (data.proxy[last + 1] / m).astype("float32")[:, None]
        cut = int(0.8 * len(x))
        set_seed(context.seed)
        build = self.builder or _default_builder
        self.model_ = build(window=self.window, n_features=FEATURES, **self.builder_args)
        self.model_.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=qlike_log_variance)
        self.training_ = fit_model(self.model_, x[:cut], y[:cut], validation_data=(x[cut:], y[cut:]),
                                   epochs=self.epochs, batch_size=self.batch_size, patience=self.patience,
                                   verbose=context.verbose)
        self.n_params_ = int(self.model_.count_params())
        record = self.training_
        self.description_ = (f"{self.n_params_:,} parameters; {record.epochs_run} epochs (best {record.best_epoch}), "
                             f"validation QLIKE {min(record.history['val_loss']):.4f} in units of the mean proxy")
        return self

    def predict(self, data: RiskData, start: int) -> np.ndarray:
        if not self.window <= start <= len(data):
            raise ValueError(f"{self.title} forecasts rows {self.window}..len(data)={len(data)}. Received: start={start}")
        x = self._windows(self._inputs(data), np.arange(start - 1, len(data)))
        out = np.asarray(self.model_.predict(x, batch_size=1024, verbose=0), dtype="float64")[:, 0]
        return self.scale_[0] * np.exp(np.clip(out, -30, 30))
