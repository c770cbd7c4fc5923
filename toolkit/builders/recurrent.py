"""Recurrent builders: lag-based RNN / LSTM (tutorial) and the stacked LSTM on price windows."""

from __future__ import annotations

import keras
from keras import layers

from toolkit.builders._common import (
    check_choice, check_dense_options, check_output_and_loss, check_positive_int, compile_model,
    dense_kwargs, initializer,
)
from toolkit.builders.fused import FusedLSTM
from toolkit.builders.options import activation as activation_fn
from toolkit.builders.registry import register

# FusedLSTM is keras.layers.LSTM with PyTorch's fused kernel on the torch backend.
CELLS = {"lstm": FusedLSTM, "gru": layers.GRU, "simple": layers.SimpleRNN}
MAX_STACKED = 8  # recurrent layers of the stacked network


@register("stacked_lstm", "recurrent", "Two LSTM(256) layers with dropout 0.4 on 60-step windows")
def stacked_lstm(
    window: int = 60,
    n_features: int = 1,
    units: int = 256,
    dropout: float = 0.4,
    dense_units: int = 64,
    outputs: int = 1,
    cell: str = "lstm",
    num_layers: int = 2,
    activation: str = "relu",
    kernel_initializer: str = "glorot_uniform",
    output_activation: str = "linear",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    loss: str = "mse",
    name: str = "stacked_lstm",
) -> keras.Model:
    """The lecture's stacked recurrent regressor for price windows.

    ``LSTM(units, return_sequences) -> Dropout -> LSTM(units) -> Dropout ->
    Dense(dense_units, relu) -> Dense(outputs)``: 806,017 parameters at the defaults.
    ``num_layers`` stacks more (or fewer) recurrent layers, each followed by its dropout.

    Args:
        window: Time steps per input window. Defaults to 60.
        n_features: Values per time step. Defaults to 1.
        units: Units of each recurrent layer. Defaults to 256.
        dropout: Dropout rate after each recurrent layer. Defaults to 0.4.
        dense_units: Units of the ReLU layer before the output. Defaults to 64.
        outputs: Values predicted per window. Defaults to 1.
        cell: ``"lstm"`` or ``"gru"``. Defaults to ``"lstm"``.
        num_layers: Recurrent layers, each followed by dropout (the lecture's 2). Defaults to 2.
        activation: Activation of the dense layer before the output. Defaults to ``"relu"``.
        kernel_initializer: Input kernels of every layer. Defaults to ``"glorot_uniform"``.
        output_activation: Defaults to ``"linear"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
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
                       ("dense_units", dense_units), ("outputs", outputs), ("num_layers", num_layers)):
        check_positive_int(key, value)
    if num_layers > MAX_STACKED:
        raise ValueError(f"`num_layers` must be at most {MAX_STACKED}. Received: num_layers={num_layers}")
    check_dense_options(activation, kernel_initializer, dropout)
    check_choice("cell", cell, ("lstm", "gru"))
    check_output_and_loss(output_activation, loss, outputs)
    recurrent = CELLS[cell]
    init = initializer(kernel_initializer)
    stack = []
    for i in range(1, num_layers + 1):
        stack += [recurrent(units, return_sequences=i < num_layers, kernel_initializer=init, name=f"{cell}_{i}"),
                  layers.Dropout(dropout, name=f"dropout_{i}")]
    model = keras.Sequential(
        [
            keras.Input(shape=(window, n_features), name="window"),
            *stack,
            layers.Dense(dense_units, name="dense_1", **dense_kwargs(activation, kernel_initializer)),
            layers.Dense(outputs, activation=output_activation, kernel_initializer=init, name="output"),
        ],
        name=name,
    )
    return compile_model(model, loss=loss, optimizer=optimizer, learning_rate=learning_rate,
                         momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         recipe=recipe)


@register("stacked_gru", "recurrent", "The stacked network with GRU cells instead of LSTM")
def stacked_gru(window: int = 60, n_features: int = 1, units: int = 256, dropout: float = 0.4,
                dense_units: int = 64, **kwargs) -> keras.Model:
    """:func:`stacked_lstm` with GRU cells (fewer parameters, often as accurate).

    Args:
        window: Defaults to 60.
        n_features: Defaults to 1.
        units: Defaults to 256.
        dropout: Defaults to 0.4.
        dense_units: Defaults to 64.
        **kwargs: Any other :func:`stacked_lstm` argument.

    Returns:
        A compiled ``keras.Sequential``.

    Example:
        >>> stacked_gru().count_params()
        610177
    """
    kwargs.setdefault("name", "stacked_gru")
    return stacked_lstm(window=window, n_features=n_features, units=units, dropout=dropout,
                        dense_units=dense_units, cell="gru", **kwargs)


def _lagged_recurrent(lags, n_features, units, cell, num_layers, bidirectional, dropout, outputs,
                      activation, kernel_initializer, training, name):
    for key, value in (("lags", lags), ("n_features", n_features), ("units", units),
                       ("num_layers", num_layers), ("outputs", outputs)):
        check_positive_int(key, value)
    check_choice("cell", cell, tuple(CELLS))
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("linear", "mse", outputs)
    init = initializer(kernel_initializer)
    model = keras.Sequential([keras.Input(shape=(lags, n_features), name="lags")], name=name)
    for index in range(1, num_layers + 1):
        layer = CELLS[cell](units, activation=activation_fn(activation), kernel_initializer=init,
                            return_sequences=index < num_layers, name=f"{cell}_{index}")
        if bidirectional:
            layer = layers.Bidirectional(layer, name=f"bidirectional_{index}")
        model.add(layer)
        if dropout:
            model.add(layers.Dropout(dropout, name=f"dropout_{index}"))
    model.add(layers.Dense(outputs, kernel_initializer=init, name="output"))
    return compile_model(model, loss="mse", **training)


_LAG_DOC = """
    Args:
        lags: Previous values fed in, one per time step. Defaults to {lags} (the tutorial's).
        n_features: Values per step. Defaults to 1.
        units: Hidden units per layer. Defaults to 20.
        num_layers: Stacked recurrent layers (multi-layer RNN). Defaults to 1.
        bidirectional: Wrap each layer in ``Bidirectional``. Defaults to False.
        dropout: Dropout after each recurrent layer. Defaults to 0.
        outputs: Values predicted. Defaults to 1.
        activation: The cell's activation (the notes' ``tanh``; ``relu`` as torch's
            ``nonlinearity``). Defaults to ``"tanh"``.
        kernel_initializer: Input kernels. Defaults to ``"glorot_uniform"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm (recurrent gradients explode). Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"{name}"``.

    Returns:
        A compiled ``keras.Sequential``; build its inputs with
        :func:`toolkit.pipelines.lags.lagged_samples`. For an output at every step, see
        :mod:`toolkit.builders.sequence`.
"""


@register("simple_rnn", "recurrent", "SimpleRNN on 5 lagged values (tutorial's sine wave)")
def simple_rnn(lags: int = 5, n_features: int = 1, units: int = 20, num_layers: int = 1,
               bidirectional: bool = False, dropout: float = 0.0, outputs: int = 1,
               activation: str = "tanh", kernel_initializer: str = "glorot_uniform",
               optimizer="adam", learning_rate: float | None = None, momentum: float | None = None,
               clipnorm: float | None = None, clipvalue: float | None = None,
               global_clipnorm: float | None = None, recipe: str | None = None,
               name: str = "simple_rnn") -> keras.Model:
    return _lagged_recurrent(lags, n_features, units, "simple", num_layers, bidirectional, dropout, outputs,
                             activation, kernel_initializer,
                             dict(optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
                                  clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                                  recipe=recipe), name)


simple_rnn.__doc__ = ("Elman RNN predicting the next value from the previous ``lags`` values.\n"
                      + _LAG_DOC.format(lags=5, name="simple_rnn") + """
    Example:
        >>> simple_rnn().input_shape
        (None, 5, 1)
""")


@register("lag_lstm", "recurrent", "LSTM on 10 lagged values (tutorial's sine wave)")
def lag_lstm(lags: int = 10, n_features: int = 1, units: int = 20, num_layers: int = 1,
             bidirectional: bool = False, dropout: float = 0.0, outputs: int = 1,
             activation: str = "tanh", kernel_initializer: str = "glorot_uniform",
             optimizer="adam", learning_rate: float | None = None, momentum: float | None = None,
             clipnorm: float | None = None, clipvalue: float | None = None,
             global_clipnorm: float | None = None, recipe: str | None = None,
             name: str = "lag_lstm") -> keras.Model:
    return _lagged_recurrent(lags, n_features, units, "lstm", num_layers, bidirectional, dropout, outputs,
                             activation, kernel_initializer,
                             dict(optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
                                  clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                                  recipe=recipe), name)


lag_lstm.__doc__ = ("LSTM predicting the next value from the previous ``lags`` values.\n"
                    + _LAG_DOC.format(lags=10, name="lag_lstm") + """
    Example:
        >>> lag_lstm(num_layers=2, bidirectional=True).output_shape
        (None, 1)
""")
