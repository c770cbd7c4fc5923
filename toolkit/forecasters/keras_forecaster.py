"""Any function that returns a Keras model, as a forecaster of the run.

The builder is called as the toolkit's own builders are, with ``window``, ``n_features``
and ``outputs`` (the horizon's steps, or 1 for the recursive strategy) plus your keyword
arguments, and returns a ``keras.Model``, compiled or not (an uncompiled one gets Adam and
the mean squared error). The model takes windows ``(None, window, n_features)`` or, when
its input is flat, ``(None, window * n_features)``; it outputs ``(None, outputs)``, or
means and variances ``(None, 2 * outputs)`` through a
:class:`~toolkit.builders.GaussianHead`. It is trained by :func:`toolkit.training.fit`:
seeded, early stopping on the fold's validation part, the NaN stop and the device record.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

from toolkit.evaluation.intervals import LEVELS, gaussian_interval
from toolkit.forecasters.base import FitContext, InputShape, WindowForecaster, part_inputs

SET_BY_THE_RUN = ("window", "n_features", "outputs")
INTERVALS = ("auto", "gaussian", "mc-dropout", None)
TRAINING_KEYS = ("epochs", "batch_size", "patience", "learning_rate")


def _accepts(builder, key: str) -> bool:
    try:
        parameters = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return True  # no signature to read (a C function, a callable object): let the call decide
    return key in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


def _name(builder) -> str:
    return getattr(builder, "__qualname__", None) or type(builder).__name__


def _hand_back_to(forecaster):
    """What :class:`~toolkit.training.traced.TracedTwins` calls when the traced model this
    forecaster trained moves on: the forecaster's model becomes one of its own, same state."""
    import weakref

    owner = weakref.ref(forecaster)

    def hand_back(model):
        if owner() is not None:
            owner().model_ = model

    return hand_back


class KerasForecaster(WindowForecaster):
    """A Keras builder function as a forecaster.

    Args:
        builder: A function returning a ``keras.Model``: a toolkit builder
            (``toolkit.builders.stacked_gru``) or your own.
        epochs: Most training epochs. Defaults to None: the run's ``epochs``.
        batch_size: Defaults to None: the run's ``batch_size``.
        patience: Early-stopping patience. Defaults to None: the run's ``patience``.
        learning_rate: Passed to the builder when it takes ``learning_rate`` (every toolkit
            builder does), else set on the model's optimiser. Defaults to None: the builder's
            own (Adam's 1e-3 for an uncompiled model).
        intervals: The model's own bands: ``"auto"`` (a Gaussian head's when it has one, else
            Monte Carlo dropout when it has dropout), ``"gaussian"``, ``"mc-dropout"`` or None.
            Defaults to ``"auto"``.
        space: Hyperparameters to search when tuning is on, ``{name: Int | Float | Choice}``
            (:mod:`toolkit.tuning`); names are the builder's arguments or epochs, batch_size,
            patience and learning_rate. Defaults to None: the lectures' space for the
            stacked LSTM / GRU, else epochs, learning rate and batch size.
        title: What the report calls it. Defaults to None: the builder and its arguments.
        **builder_kwargs: The builder's keyword arguments (e.g. ``units=64``).

    Example:
        >>> from toolkit.builders import stacked_gru
        >>> KerasForecaster(stacked_gru, units=64, dropout=0.2).title
        'stacked_gru(units=64, dropout=0.2)'
    """

    kind = "neural"
    #: Train through an already traced model built the same way (:mod:`toolkit.training.traced`):
    #: the same numbers, without tracing each fold's new model again.
    share_traced = True

    def __init__(self, builder, *, epochs=None, batch_size=None, patience=None, learning_rate=None,
                 intervals="auto", space=None, title=None, **builder_kwargs):
        self.builder = builder
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.learning_rate = learning_rate
        self.intervals = intervals
        self.space = space
        self.title = title
        self.builder_kwargs = builder_kwargs

    def default_title(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.builder_kwargs.items())
        return f"{_name(self.builder)}({shown})"

    def set_params(self, **params):
        for key, value in params.items():
            if key in ("builder", "intervals", "space", "title", *TRAINING_KEYS):
                setattr(self, key, value)
            elif key in SET_BY_THE_RUN or not _accepts(self.builder, key):
                raise ValueError(f"{_name(self.builder)}() takes no argument {key!r}"
                                 + (" (the run sets it)" if key in SET_BY_THE_RUN else ""))
            else:
                self.builder_kwargs[key] = value
        return self

    def default_space(self) -> dict:
        from toolkit.builders.recurrent import stacked_gru, stacked_lstm
        from toolkit.tuning.space import RECURRENT_SPACE, TRAINING_SPACE

        return dict(RECURRENT_SPACE if self.builder in (stacked_lstm, stacked_gru) else TRAINING_SPACE)

    # -- building and checking ----------------------------------------------------------

    def build(self, shape: InputShape):
        """The compiled model for ``shape``. Raises ``ValueError`` in one line when the builder
        cannot be called, raises, or returns something that is not a Keras model."""
        import keras

        if not callable(self.builder):
            raise ValueError(f"has builder {self.builder!r}, which is not a function")
        taken = [key for key in SET_BY_THE_RUN if key in self.builder_kwargs]
        if taken:
            raise ValueError(f"sets {', '.join(taken)}, which the run sets from the data; leave it out")
        kwargs = {"window": shape.window, "n_features": shape.n_features, "outputs": shape.outputs,
                  **self.builder_kwargs}
        passes_rate = self.learning_rate is not None and _accepts(self.builder, "learning_rate")
        if passes_rate:
            kwargs["learning_rate"] = self.learning_rate
        missing = [key for key in kwargs if not _accepts(self.builder, key)]
        if missing:
            raise ValueError(f"cannot be built: {_name(self.builder)}() takes no argument "
                             f"{', '.join(repr(k) for k in missing)}; a builder takes window, n_features and outputs "
                             "as keyword arguments, plus its own")
        try:
            model = self.builder(**kwargs)
        except Exception as err:  # noqa: BLE001 - the user's code: its own message, on one line
            text = " ".join(str(err).split())
            raise ValueError(f"cannot be built: {_name(self.builder)}() raised {type(err).__name__}: {text}") from None
        if not isinstance(model, keras.Model):
            raise ValueError(f"cannot be built: {_name(self.builder)}() returned {type(model).__name__}, "
                             "not a keras.Model")
        if not model.compiled:
            model.compile(optimizer=keras.optimizers.Adam(self.learning_rate or 1e-3), loss="mse")
        elif self.learning_rate is not None and not passes_rate:
            model.optimizer.learning_rate = self.learning_rate
        return model

    @staticmethod
    def layout(model, shape: InputShape) -> tuple[bool, bool]:
        """``(flat, gaussian)``: whether the model takes flattened windows and whether it
        outputs means and variances; ``ValueError`` when its shapes do not fit the run."""
        from toolkit.builders.dense import GaussianHead

        expected = (shape.window, shape.n_features)
        try:
            inputs, outputs = model.input_shape, model.output_shape
        except (AttributeError, ValueError):
            raise ValueError("has no input shape yet: start it with keras.Input(shape=(window, n_features)), as "
                             "the toolkit's builders do") from None
        if isinstance(inputs, (list, dict)):
            raise ValueError(f"takes several inputs ({inputs}); the run feeds one window per forecast. For the "
                             "encoder-decoder use the built-in model seq2seq (Seq2SeqForecaster), or write a "
                             "Forecaster for your model")
        if not isinstance(inputs, tuple) or (
                tuple(inputs[1:]) not in (expected, (shape.window * shape.n_features,))):
            raise ValueError(f"takes inputs of shape {inputs}; the run feeds windows of shape "
                             f"(None, {shape.window}, {shape.n_features}), or (None, "
                             f"{shape.window * shape.n_features}) flattened")
        flat = len(inputs) == 2
        gaussian = bool(model.layers) and isinstance(model.layers[-1], GaussianHead)
        width = 2 * shape.outputs if gaussian else shape.outputs
        if isinstance(outputs, list) or tuple(outputs) != (None, width):
            raise ValueError(f"outputs shape {outputs}; {shape.needs()} needs (None, {width})"
                             + (" (means and variances of its Gaussian head)" if gaussian else ""))
        return flat, gaussian

    def check(self, shape: InputShape) -> None:
        for key, low, high in (("epochs", 1, 10_000), ("batch_size", 1, 65_536), ("patience", 1, 10_000)):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
                raise ValueError(f"needs {key} as a whole number from {low:,} to {high:,}, or left out for the run's. "
                                 f"Received: {key}={value!r}")
        rate = self.learning_rate
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not np.isfinite(rate)
                                 or not 0 < rate <= 10):
            raise ValueError(f"needs learning_rate as a number in (0, 10], or left out. Received: learning_rate={rate!r}")
        if self.intervals not in INTERVALS:
            raise ValueError(f"intervals must be one of auto, gaussian, mc-dropout or None. "
                             f"Received: {self.intervals!r}")
        self.layout(self.build(shape), shape)

    # -- learning -----------------------------------------------------------------------

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), -1) if self.flat_ else x

    def fit_windows(self, x, y, validation, context: FitContext):
        from toolkit.errors import TrainingError
        from toolkit.training import fit, set_seed

        shape = InputShape(x.shape[1], x.shape[2], y.shape[1])
        set_seed(context.seed)
        self.model_ = self.build(shape)
        self.flat_, self.gaussian_ = self.layout(self.model_, shape)
        if self.share_traced:  # trains on an already traced model built the same way, if any
            from toolkit.training.traced import TWINS

            self.model_ = TWINS.take(self.model_, hand_back=_hand_back_to(self))
        self.n_params_ = self.model_.count_params()
        self.mc_samples_ = context.mc_samples
        epochs = context.fixed_epochs or self.epochs or context.epochs
        batch_size = self.batch_size or context.batch_size
        context.log(f"[{context.name}] training {self.title} ({self.n_params_:,} parameters), "
                    + (f"up to {epochs} epochs" if validation else f"{epochs} epoch(s) on all rows")
                    + f", batch {batch_size}")
        callbacks = [] if context.on_epoch is None else [_epoch_report(context.on_epoch)]
        try:
            self.training_ = fit(
                self.model_, *self._training_data(x, y),
                validation_data=self._training_data(*validation) if validation else None,
                epochs=epochs, batch_size=batch_size, patience=self.patience or context.patience,
                verbose=context.verbose, callbacks=callbacks,
            )
        except TrainingError as err:
            raise TrainingError(f"{self.title}: {err}") from None
        context.log(f"[{context.name}] {self.training_.epochs_run} epoch(s) in {self.training_.seconds:.1f} s on "
                    f"{self.training_.device}" + (f"; kept epoch {self.training_.best_epoch}" if validation else ""))
        self._fitted(context)

    def _training_data(self, x, y) -> tuple:
        """What ``fit`` trains on for windows ``x`` and targets ``y``: ``(inputs, targets)``."""
        return self._inputs(x), y

    def _fitted(self, context: FitContext) -> None:
        """Set what prediction needs once training is done."""
        self.interval_ = self._interval_kind(context)

    def _interval_kind(self, context: FitContext) -> str | None:
        if self.intervals is None or context.multistep == "recursive":
            return None
        if self.intervals == "auto":
            if self.gaussian_:
                return "gaussian"
            return "mc-dropout" if context.mc_samples and has_dropout(self.model_) else None
        if self.intervals == "gaussian" and not self.gaussian_:
            raise ValueError(f"{self.title}: intervals='gaussian' needs a GaussianHead output layer")
        return None if self.intervals == "mc-dropout" and not context.mc_samples else self.intervals

    def _raw(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_.predict(self._inputs(x), batch_size=1024, verbose=0))

    def predict_windows(self, x):
        raw = self._raw(x)
        self.last_window_ = x[-1:]  # what attention_ explains; kept, not computed, on this path
        return raw[:, : raw.shape[1] // 2] if self.gaussian_ else raw

    @property
    def attention_(self) -> dict | None:
        """For a model with attention, the weights, ``(heads, window)``, with which its last
        forecast (of the last window it predicted from) attended to the window's steps: the
        decoder's cross-attention of the horizon's last step, else the encoder's last step.
        None for a model without attention, or before any prediction. Computed when first
        asked, once per window."""
        import keras

        window = getattr(self, "last_window_", None)
        model = getattr(self, "model_", None)
        if window is None or model is None or getattr(self, "flat_", False):
            return None
        names = [layer.name for layer in model.layers if isinstance(layer, keras.layers.MultiHeadAttention)]
        if not names:
            return None
        cached = getattr(self, "_attention", None)
        if cached is None or cached[0] is not window:
            from toolkit.builders.attention import attention_maps

            chosen = next((n for n in names if n.endswith("cross_attention")), names[0])
            self._attention = (window, {"layer": chosen,
                                        "weights": attention_maps(model, window, chosen)[0, :, -1, :]})
        return self._attention[1]

    def predict_interval(self, data, part):
        if self.interval_ is None:
            return {}
        x, origin = part_inputs(data, part)
        if self.interval_ == "gaussian":
            raw = self._raw(x)
            k = raw.shape[1] // 2
            center, variance = raw[:, :k], raw[:, k:]
        else:
            # Monte Carlo dropout: the spread of the passes is the model's uncertainty; the
            # noise variance of its validation residuals is what dropout alone does not see
            # (Zhu and Laptev, 2017).
            from toolkit.training.mc_dropout import mc_dropout_draws

            draws = mc_dropout_draws(self.model_, self._inputs(x), self.mc_samples_)
            if self.gaussian_:
                draws = draws[..., : draws.shape[-1] // 2]
            residuals = data.y["validation"][:, : self.steps_] - self.predict_windows(data.x["validation"])
            center = self.predict_windows(x)
            variance = draws.var(axis=0) + residuals.var(axis=0)
        # The scaler and the price map are increasing, so bounds map to bounds.
        return {level: tuple(data.to_price(bound, data.prices[origin])
                             for bound in gaussian_interval(center, variance, level))
                for level in LEVELS}

    def validation_loss(self, data):
        history = (self.training_.history if self.training_ is not None else {}).get("val_loss")
        return float(np.min(history)) if history else super().validation_loss(data)

    def save(self, folder: Path, name: str) -> list[str]:
        self.model_.save(Path(folder) / f"{name}.keras")
        return [f"{name}.keras"]

    def load(self, folder: Path, name: str, context: FitContext, **options) -> "KerasForecaster":
        """The model saved as ``NAME.keras`` (``keras.models.load_model`` in safe mode: custom
        layers need your code imported and registered)."""
        import keras

        self.model_ = keras.models.load_model(Path(folder) / f"{name}.keras", **options)
        self.flat_ = len(self.model_.input_shape) == 2
        from toolkit.builders.dense import GaussianHead

        self.gaussian_ = bool(self.model_.layers) and isinstance(self.model_.layers[-1], GaussianHead)
        self.steps_, self.multistep_, self.mc_samples_ = context.steps_out, context.multistep, context.mc_samples
        self.n_params_ = self.model_.count_params()
        self.interval_ = self._interval_kind(context)
        return self


def has_dropout(model) -> bool:
    """Whether a Keras model (or a layer nested in it) drops units in training."""
    import keras

    def walk(layer):
        yield layer
        for inner in getattr(layer, "layers", None) or ():
            yield from walk(inner)

    return any(isinstance(layer, keras.layers.Dropout) and layer.rate > 0 for layer in walk(model))


def _epoch_report(report):
    """A Keras callback that hands each epoch's validation loss to the search (a pruned trial
    raises from it, which ends ``fit``)."""
    import keras

    class EpochReport(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            loss = (logs or {}).get("val_loss")
            if loss is not None:
                report(epoch + 1, float(loss))

    return EpochReport()
