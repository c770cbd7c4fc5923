"""The encoder-decoder RNN as a forecaster: teacher forcing in training, free running to forecast."""

from __future__ import annotations

from pathlib import Path

from toolkit.forecasters.base import FitContext, Forecaster, InputShape
from toolkit.forecasters.keras_forecaster import KerasForecaster


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

    share_traced = False  # its free-running inference model shares the trained model's layers

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

    def _training_data(self, x, y) -> tuple:
        from toolkit.builders.seq2seq import teacher_inputs

        return {"window": x, "decoder_input": teacher_inputs(y)}, y  # teacher forcing

    def _fitted(self, context: FitContext) -> None:
        from toolkit.builders.seq2seq import seq2seq_inference

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
