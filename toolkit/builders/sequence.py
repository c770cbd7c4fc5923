"""Sequence-to-sequence recurrent builders: an output at every time step.

The system-identification notes train a recurrent network h(t) = f(h(t-1), u(t)),
y_hat(t) = g(h(t)) on whole input/output records, with the loss summed over every
step (some initial samples skipped), either unfolded over the whole record or over
sub-sequences of length L. These builders return that network: input ``(batch, steps,
n_inputs)``, output ``(batch, steps, n_outputs)``, for any number of steps, so a model
trained on sub-sequences simulates a whole record in one call. Cut records with
:func:`toolkit.pipelines.sequences.subsequences`; its weights drop the warm-up steps
from the loss.

A bidirectional network also reads the inputs backwards: "causality is lost", so it is
no simulator, but it can smooth a record (estimate y(t) from all of u), as the notes show.
"""

from __future__ import annotations

import keras
from keras import layers

from toolkit.builders._common import (
    check_choice, check_dense_options, check_output_and_loss, check_positive_int, compile_model, initializer,
)
from toolkit.builders.fused import FusedLSTM
from toolkit.builders.options import activation as activation_fn
from toolkit.builders.registry import register

CELLS = {"simple": layers.SimpleRNN, "lstm": FusedLSTM, "gru": layers.GRU}


@register("sequence_rnn", "sequence", "Recurrent network with an output at every step (simple, LSTM or GRU cells)")
def sequence_rnn(
    n_inputs: int = 1,
    n_outputs: int = 1,
    units: int = 20,
    cell: str = "simple",
    num_layers: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    activation: str = "tanh",
    kernel_initializer: str = "glorot_uniform",
    output_activation: str = "linear",
    loss: str = "mse",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "sequence_rnn",
) -> keras.Model:
    """Recurrent layers returning every step's state, a dense read-out at every step.

    ``u (batch, steps, n_inputs) -> [cell(units, return_sequences)] x num_layers ->
    Dense(n_outputs) -> y_hat (batch, steps, n_outputs)``. The notes' PyTorch LSTM
    example (``nn.LSTM(10, 20)`` then ``nn.Linear(20, 1)`` on ``(3, 5, 10)``) is
    ``sequence_lstm(n_inputs=10, units=20)``: 2,501 parameters here, 2,581 in PyTorch,
    which keeps two bias vectors per gate where Keras keeps one.

    Args:
        n_inputs: Input channels u. Defaults to 1.
        n_outputs: Output channels y. Defaults to 1.
        units: Hidden state size per layer. Defaults to 20.
        cell: ``"simple"`` (the notes' vanilla RNN), ``"lstm"`` or ``"gru"``.
            Defaults to ``"simple"``.
        num_layers: Stacked recurrent layers; each layer's states are the next one's
            inputs (the notes' multi-layer RNN). Defaults to 1.
        bidirectional: Read the sequence both ways (a smoother, not causal). Defaults to False.
        dropout: Dropout between recurrent layers and before the read-out. Defaults to 0.
        activation: The cell's activation (``tanh`` in the notes; ``relu`` as torch's
            ``nonlinearity='relu'``). Defaults to ``"tanh"``.
        kernel_initializer: Input kernels and the read-out. Defaults to ``"glorot_uniform"``.
        output_activation: Of the read-out. Defaults to ``"linear"``.
        loss: Per-step loss, averaged over steps and sequences. Defaults to ``"mse"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm (recurrent
            gradients explode over long unfoldings). Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"sequence_rnn"``.

    Returns:
        A compiled functional model taking ``(batch, steps, n_inputs)`` for any ``steps``.

    Example:
        >>> model = sequence_rnn(n_inputs=2, units=8)
        >>> model.output_shape
        (None, None, 1)
    """
    for key, value in (("n_inputs", n_inputs), ("n_outputs", n_outputs), ("units", units),
                       ("num_layers", num_layers)):
        check_positive_int(key, value)
    check_choice("cell", cell, tuple(CELLS))
    check_choice("bidirectional", bidirectional, (True, False))
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss(output_activation, loss, n_outputs)
    init = initializer(kernel_initializer)
    inputs = keras.Input(shape=(None, n_inputs), name="u")
    x = inputs
    for index in range(1, num_layers + 1):
        layer = CELLS[cell](units, activation=activation_fn(activation), kernel_initializer=init,
                            return_sequences=True, name=f"{cell}_{index}")
        if bidirectional:
            layer = layers.Bidirectional(layer, name=f"bidirectional_{index}")
        x = layer(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{index}")(x)
    # A Dense layer on (batch, steps, features) acts on every step with the same weights.
    outputs = layers.Dense(n_outputs, activation=output_activation, kernel_initializer=init, name="y_hat")(x)
    return compile_model(keras.Model(inputs, outputs, name=name), loss=loss, optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, recipe=recipe)


@register("sequence_lstm", "sequence", "LSTM with an output at every step (the notes' (batch, L, 1) example)")
def sequence_lstm(n_inputs: int = 1, n_outputs: int = 1, units: int = 20, **kwargs) -> keras.Model:
    """:func:`sequence_rnn` with LSTM cells.

    Args:
        n_inputs: Defaults to 1.
        n_outputs: Defaults to 1.
        units: Defaults to 20.
        **kwargs: Any other :func:`sequence_rnn` argument (training options included).

    Returns:
        A compiled functional model.

    Example:
        >>> model = sequence_lstm(n_inputs=10, units=20)
        >>> model.count_params()
        2501
        >>> import numpy as np
        >>> model.predict(np.zeros((3, 5, 10)), verbose=0).shape
        (3, 5, 1)
    """
    kwargs.setdefault("name", "sequence_lstm")
    return sequence_rnn(n_inputs, n_outputs, units, cell="lstm", **kwargs)


@register("sequence_gru", "sequence", "GRU with an output at every step")
def sequence_gru(n_inputs: int = 1, n_outputs: int = 1, units: int = 20, **kwargs) -> keras.Model:
    """:func:`sequence_rnn` with GRU cells.

    Args:
        n_inputs: Defaults to 1.
        n_outputs: Defaults to 1.
        units: Defaults to 20.
        **kwargs: Any other :func:`sequence_rnn` argument.

    Returns:
        A compiled functional model.

    Example:
        >>> sequence_gru(num_layers=2).output_shape
        (None, None, 1)
    """
    kwargs.setdefault("name", "sequence_gru")
    return sequence_rnn(n_inputs, n_outputs, units, cell="gru", **kwargs)


@register("bidirectional_smoother", "sequence", "Bidirectional LSTM estimating y(t) from the whole input record")
def bidirectional_smoother(n_inputs: int = 1, n_outputs: int = 1, units: int = 20, **kwargs) -> keras.Model:
    """A bidirectional :func:`sequence_rnn` (LSTM cells by default): a smoother.

    Each output sees the inputs before and after it, so the model cannot run ahead of
    time, but it estimates a record's outputs from the whole record.

    Args:
        n_inputs: Defaults to 1.
        n_outputs: Defaults to 1.
        units: Units of each direction. Defaults to 20.
        **kwargs: Any other :func:`sequence_rnn` argument (``cell`` defaults to ``"lstm"``).

    Returns:
        A compiled functional model.

    Example:
        >>> bidirectional_smoother().count_params()
        3561
    """
    kwargs.setdefault("name", "bidirectional_smoother")
    kwargs.setdefault("cell", "lstm")
    return sequence_rnn(n_inputs, n_outputs, units, bidirectional=True, **kwargs)
