"""Recurrent builders: the lecture's stacked LSTM on price windows."""

from __future__ import annotations

import keras
from keras import layers

from toolkit.builders._common import (
    check_choice, check_positive_int, check_rate, make_optimizer,
)
from toolkit.builders.registry import register

CELLS = {"lstm": layers.LSTM, "gru": layers.GRU}


@register("stacked_lstm", "recurrent", "Two LSTM(256) layers with dropout 0.4 on 60-step windows")
def stacked_lstm(
    window: int = 60,
    n_features: int = 1,
    units: int = 256,
    dropout: float = 0.4,
    dense_units: int = 64,
    outputs: int = 1,
    cell: str = "lstm",
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    clipnorm: float | None = None,
    loss: str = "mse",
    name: str = "stacked_lstm",
) -> keras.Model:
    """The lecture's stacked recurrent regressor for price windows.

    ``LSTM(units, return_sequences) -> Dropout -> LSTM(units) -> Dropout ->
    Dense(dense_units, relu) -> Dense(outputs)``: 806,017 parameters at the defaults.

    Args:
        window: Time steps per input window. Defaults to 60.
        n_features: Values per time step. Defaults to 1.
        units: Units of each recurrent layer. Defaults to 256.
        dropout: Dropout rate after each recurrent layer. Defaults to 0.4.
        dense_units: Units of the ReLU layer before the output. Defaults to 64.
        outputs: Values predicted per window. Defaults to 1.
        cell: ``"lstm"`` or ``"gru"``. Defaults to ``"lstm"``.
        optimizer: Optimizer name. Defaults to ``"adam"``.
        learning_rate: Defaults to 1e-3.
        clipnorm: Clip each gradient to this norm; ``None`` for no clipping. Defaults to None.
        loss: Training loss. Defaults to ``"mse"``.
        name: Model name. Defaults to ``"stacked_lstm"``.

    Returns:
        A compiled ``keras.Sequential`` model.

    Example:
        >>> model = stacked_lstm()
        >>> model.count_params()
        806017
    """
    for key, value in (("window", window), ("n_features", n_features), ("units", units),
                       ("dense_units", dense_units), ("outputs", outputs)):
        check_positive_int(key, value)
    check_rate("dropout", dropout)
    check_choice("cell", cell, tuple(CELLS))
    recurrent = CELLS[cell]
    model = keras.Sequential(
        [
            keras.Input(shape=(window, n_features), name="window"),
            recurrent(units, return_sequences=True, name=f"{cell}_1"),
            layers.Dropout(dropout, name="dropout_1"),
            recurrent(units, name=f"{cell}_2"),
            layers.Dropout(dropout, name="dropout_2"),
            layers.Dense(dense_units, activation="relu", name="dense_1"),
            layers.Dense(outputs, name="output"),
        ],
        name=name,
    )
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, clipnorm), loss=loss)
    return model
