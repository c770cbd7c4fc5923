"""The encoder-decoder RNN as a forecaster: teacher forcing in training, free running to forecast."""

from __future__ import annotations

from pathlib import Path

from toolkit.forecasters.base import FitContext, Forecaster, InputShape
from toolkit.forecasters.keras_forecaster import KerasForecaster, _epoch_report


class Seq2SeqForecaster(KerasForecaster):
    """:func:`~toolkit.builders.seq2seq.seq2seq_lstm` behind the model interface.

    The decoder emits the horizon's steps one after another. Training feeds it the true
    previous step (teacher forcing), and early stopping watches the teacher-forced
    validation loss; forecasts (validation, test and past the data) come from the
    free-running model, each step reading the decoder's own previous output. Intervals are
    the run's conformal ones (no native bands).

    Args:
        cell: ``"lstm"`` or ``"gru"``. Defaults to ``"lstm"``.
        units: Units of the encoder and the decoder. Defaults to 64.
        dropout: Dropout on the decoder's outputs. Defaults to 0.0.
        epochs: Defaults to None: the run's.
        batch_size: Defaults to None: the run's.
        patience: Defaults to None: the run's.
        learning_rate: Defaults to None: Adam's 1e-3.
        space: Search space when tuning. Defaults to None: units, learning rate, batch size
            and epochs.
        title: Defaults to None: "Encoder-decoder LSTM (64 units)".
    """

    def __init__(self, cell: str = "lstm", units: int = 64, dropout: float = 0.0, *, epochs=None, batch_size=None,
                 patience=None, learning_rate=None, space=None, title=None):
        from toolkit.builders.seq2seq import seq2seq_lstm

        super().__init__(seq2seq_lstm, epochs=epochs, batch_size=batch_size, patience=patience,
                         learning_rate=learning_rate, intervals=None, space=space, title=title)
        self.cell, self.units, self.dropout = cell, units, dropout

    @property
    def builder_kwargs(self) -> dict:
        return {"cell": self.cell, "units": self.units, "dropout": self.dropout}

    @builder_kwargs.setter
    def builder_kwargs(self, value) -> None:  # set by KerasForecaster.__init__; the fields hold them
        pass

    set_params = Forecaster.set_params

    def default_title(self) -> str:
        return f"Encoder-decoder {self.cell.upper()} ({self.units} units)"

    def default_space(self) -> dict:
        from toolkit.tuning.space import TRAINING_SPACE, Choice

        return {"units": Choice([16, 32, 64, 128]), **TRAINING_SPACE}

    @staticmethod
    def layout(model, shape: InputShape) -> tuple[bool, bool]:
        if tuple(model.output_shape) != (None, shape.outputs):
            raise ValueError(f"outputs shape {model.output_shape}; {shape.needs()} needs (None, {shape.outputs})")
        return False, False

    def fit_windows(self, x, y, validation, context: FitContext):
        from toolkit.builders.seq2seq import seq2seq_inference, teacher_inputs
        from toolkit.errors import TrainingError
        from toolkit.training import fit, set_seed

        shape = InputShape(x.shape[1], x.shape[2], y.shape[1])
        set_seed(context.seed)
        self.model_ = self.build(shape)
        self.flat_, self.gaussian_ = self.layout(self.model_, shape)
        self.n_params_ = self.model_.count_params()
        self.mc_samples_ = context.mc_samples
        epochs = context.fixed_epochs or self.epochs or context.epochs
        batch_size = self.batch_size or context.batch_size
        context.log(f"[{context.name}] training {self.title} ({self.n_params_:,} parameters), "
                    + (f"up to {epochs} epochs" if validation else f"{epochs} epoch(s) on all rows")
                    + f", batch {batch_size}")
        pair = lambda w, t: {"window": w, "decoder_input": teacher_inputs(t)}  # noqa: E731
        callbacks = [] if context.on_epoch is None else [_epoch_report(context.on_epoch)]
        try:
            self.training_ = fit(self.model_, pair(x, y), y,
                                 validation_data=(pair(*validation), validation[1]) if validation else None,
                                 epochs=epochs, batch_size=batch_size, patience=self.patience or context.patience,
                                 verbose=context.verbose, callbacks=callbacks)
        except TrainingError as err:
            raise TrainingError(f"{self.title}: {err}") from None
        context.log(f"[{context.name}] {self.training_.epochs_run} epoch(s) in {self.training_.seconds:.1f} s on "
                    f"{self.training_.device}" + (f"; kept epoch {self.training_.best_epoch}" if validation else ""))
        self.free_running_ = seq2seq_inference(self.model_)
        self.interval_ = None

    def _raw(self, x):
        import numpy as np

        return np.asarray(self.free_running_.predict(x, batch_size=1024, verbose=0))

    def load(self, folder: Path, name: str, context: FitContext, **options) -> "Seq2SeqForecaster":
        import keras

        from toolkit.builders.seq2seq import seq2seq_inference

        self.model_ = keras.models.load_model(Path(folder) / f"{name}.keras", **options)
        self.free_running_ = seq2seq_inference(self.model_)
        self.flat_, self.gaussian_, self.interval_ = False, False, None
        self.steps_, self.multistep_, self.mc_samples_ = context.steps_out, context.multistep, context.mc_samples
        self.n_params_ = self.model_.count_params()
        return self
