"""The encoder-decoder RNN (sequence to sequence, Sutskever et al., 2014; Cho et al., 2014): the
lectures' one-to-many and unequal-length many-to-many patterns (singaravelu-intro-deep-learning.txt,
rai-deep-neural-networks-2.txt).

An encoder RNN reads the window; its final state starts a decoder RNN that emits the horizon
one step at a time. In training the decoder reads the true previous step (teacher forcing:
step k's input is target k - 1, a zero start token for the first), which is causal by
construction: a recurrent decoder's output at step k depends on its inputs up to k only. At
prediction it runs free, reading its own previous output (:func:`seq2seq_inference`).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from toolkit.builders._common import (
    check_choice, check_dense_options, check_output_and_loss, check_positive_int, check_sizes, compile_model,
    default_clip, initializer,
)
from toolkit.builders.fused import FusedLSTM
from toolkit.builders.registry import register

CELLS = {"lstm": FusedLSTM, "gru": layers.GRU}


@register("seq2seq_lstm", "recurrent", "Encoder-decoder LSTM (one-to-many), teacher forcing in training")
def seq2seq_lstm(
    window: int = 60,
    n_features: int = 1,
    outputs: int = 5,
    units: int = 64,
    cell: str = "lstm",
    dropout: float = 0.0,
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    loss: str = "mse",
    name: str = "seq2seq_lstm",
) -> keras.Model:
    """The encoder-decoder for a window in and a horizon out (inputs and outputs of unequal
    lengths), as its teacher-forced training model.

    ``encoder: RNN(units) over window (window, n_features) -> final state``;
    ``decoder: RNN(units, initial_state=that state) over decoder_input (outputs, 1) ->
    [Dropout] -> Dense(1) per step -> (outputs,)``. ``decoder_input`` holds the previous
    target of each step (0, y1, ..., y_{h-1}); :func:`teacher_inputs` makes it and
    :func:`seq2seq_inference` the free-running model that needs only the window. Parameters
    (LSTM): ``4 u (n_features + u + 1)`` (encoder) ``+ 4 u (1 + u + 1)`` (decoder) ``+ u + 1``:
    33,857 at the defaults; GRU's cells have 3 gates (Keras' reset-after: ``3 u (i + u + 2)``
    each, 25,793).

    Args:
        window: Steps read by the encoder. Defaults to 60.
        n_features: Values per input step. Defaults to 1.
        outputs: Steps emitted by the decoder. Defaults to 5.
        units: Units of both RNNs. Defaults to 64.
        cell: ``"lstm"`` or ``"gru"``. Defaults to ``"lstm"``.
        dropout: Dropout on the decoder's outputs. Defaults to 0.0.
        kernel_initializer: Input kernels of both RNNs and the output. Defaults to ``"glorot_uniform"``.
        optimizer: Defaults to ``"adam"``.
        learning_rate: Defaults to None (Adam's 1e-3).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element. Defaults to None.
        global_clipnorm: Clip all gradients together. Defaults to None: 1.0 when no other clip
            is given.
        recipe: A lecture's training recipe. Defaults to None.
        loss: Defaults to ``"mse"``.
        name: Defaults to ``"seq2seq_lstm"``.

    Returns:
        A compiled ``keras.Model`` with inputs ``{"window": (batch, window, n_features),
        "decoder_input": (batch, outputs, 1)}`` and output ``(batch, outputs)``: give it a dict,
        ``model.fit({"window": x, "decoder_input": teacher_inputs(y)}, y)``.

    Raises:
        ValueError: A size that is not a positive integer, an unknown cell, or a dropout
            outside [0, 1).

    Example:
        >>> seq2seq_lstm().count_params()
        33857
    """
    check_sizes(window=window, n_features=n_features, outputs=outputs, units=units)
    check_choice("cell", cell, tuple(CELLS))
    check_dense_options("linear", kernel_initializer, dropout)
    check_output_and_loss("linear", loss, outputs)
    rnn = CELLS[cell]
    init = initializer(kernel_initializer)
    global_clipnorm = default_clip(clipnorm, clipvalue, global_clipnorm)
    past = keras.Input(shape=(window, n_features), name="window")
    teacher = keras.Input(shape=(outputs, 1), name="decoder_input")
    _, *state = rnn(units, return_state=True, kernel_initializer=init, name=f"encoder_{cell}")(past)
    sequence, *_ = rnn(units, return_sequences=True, return_state=True, kernel_initializer=init,
                       name=f"decoder_{cell}")(teacher, initial_state=state)
    sequence = layers.Dropout(dropout, name="decoder_dropout")(sequence)
    output = layers.Dense(1, kernel_initializer=init, name="output")(sequence)
    forecast = layers.Reshape((outputs,), name="forecast")(output)
    model = keras.Model({"window": past, "decoder_input": teacher}, forecast, name=name)
    return compile_model(model, loss=loss, optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe)


def teacher_inputs(targets: np.ndarray) -> np.ndarray:
    """The decoder's teacher-forced inputs for targets ``(m, outputs)``: each step reads the
    step before it, the first a zero start token. Returns ``(m, outputs, 1)`` float32."""
    targets = np.asarray(targets, dtype="float32")
    if targets.ndim != 2:
        raise ValueError(f"`targets` must be a 2-D array (samples, outputs). Received: shape={targets.shape}")
    shifted = np.concatenate([np.zeros((len(targets), 1), "float32"), targets[:, :-1]], axis=1)
    return shifted[..., None]


def seq2seq_inference(model: keras.Model) -> keras.Model:
    """The free-running model of a :func:`seq2seq_lstm` training model, sharing its weights:
    ``(batch, window, n_features) -> (batch, outputs)``, each decoder step reading the
    decoder's own previous output (the first a zero start token)."""
    names = {layer.name for layer in model.layers}
    cell = next((c for c in CELLS if {f"encoder_{c}", f"decoder_{c}", "output", "decoder_dropout"} <= names), None)
    if cell is None:
        raise ValueError(f"`model` must be a seq2seq_lstm training model (layers encoder_lstm / decoder_lstm, or the "
                         f"GRU's). Received: a model named {model.name!r}")
    encoder, decoder = model.get_layer(f"encoder_{cell}"), model.get_layer(f"decoder_{cell}")
    output, dropout = model.get_layer("output"), model.get_layer("decoder_dropout")
    window_shape = model.input["window"].shape[1:] if isinstance(model.input, dict) else model.inputs[0].shape[1:]
    steps = model.output_shape[-1]
    past = keras.Input(shape=window_shape, name="window")
    _, *state = encoder(past)
    token = ops.zeros_like(past[:, :1, :1])                               # the start token, (batch, 1, 1)
    emitted = []
    for _ in range(steps):
        sequence, *state = decoder(token, initial_state=state)
        token = output(dropout(sequence))                                 # (batch, 1, 1): the next input
        emitted.append(token)
    joined = layers.Concatenate(axis=1, name="steps")(emitted) if steps > 1 else emitted[0]
    return keras.Model(past, layers.Reshape((steps,), name="forecast")(joined), name=f"{model.name}_free_running")


@register("seq2seq_simulator", "sequence", "Encoder-decoder for system identification: initial record in, simulation out")
def seq2seq_simulator(
    n_inputs: int = 1,
    warmup: int = 10,
    units: int = 32,
    cell: str = "lstm",
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    loss: str = "mse",
    name: str = "seq2seq_simulator",
) -> keras.Model:
    """An encoder-decoder simulator (many-to-many of unequal lengths): the encoder reads the
    first ``warmup`` steps of a record, inputs and measured outputs side by side (what fixes
    the system's initial state); its final state starts a decoder that reads the inputs of
    any number of later steps and emits the output at each, from the inputs alone.

    ``past (warmup, n_inputs + 1) -> RNN(units) -> state``; ``inputs (steps, n_inputs) ->
    RNN(units, initial_state=state) -> Dense(1)`` per step. Parameters (LSTM): ``4 u (n_inputs
    + 1 + u + 1) + 4 u (n_inputs + u + 1) + u + 1``: 8,865 at the defaults.

    Args:
        n_inputs: Input signals. Defaults to 1.
        warmup: Steps the encoder reads. Defaults to 10.
        units: Units of both RNNs. Defaults to 32.
        cell: ``"lstm"`` or ``"gru"``. Defaults to ``"lstm"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        optimizer: Defaults to ``"adam"``.
        learning_rate: Defaults to None.
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element. Defaults to None.
        global_clipnorm: Clip all gradients together. Defaults to None: 1.0 when no other clip
            is given.
        recipe: A lecture's training recipe. Defaults to None.
        loss: Defaults to ``"mse"``.
        name: Defaults to ``"seq2seq_simulator"``.

    Returns:
        A compiled ``keras.Model``: ``{"past": (batch, warmup, n_inputs + 1), "inputs": (batch,
        steps, n_inputs)} -> (batch, steps, 1)`` for any ``steps``.

    Example:
        >>> seq2seq_simulator().count_params()
        8865
    """
    check_positive_int("n_inputs", n_inputs)
    check_positive_int("warmup", warmup)
    check_sizes(units=units)
    check_choice("cell", cell, tuple(CELLS))
    check_dense_options("linear", kernel_initializer, 0.0)
    check_output_and_loss("linear", loss, 1)
    rnn, init = CELLS[cell], initializer(kernel_initializer)
    global_clipnorm = default_clip(clipnorm, clipvalue, global_clipnorm)
    past = keras.Input(shape=(warmup, n_inputs + 1), name="past")
    inputs = keras.Input(shape=(None, n_inputs), name="inputs")
    _, *state = rnn(units, return_state=True, kernel_initializer=init, name=f"encoder_{cell}")(past)
    sequence = rnn(units, return_sequences=True, kernel_initializer=init, name=f"decoder_{cell}")(
        inputs, initial_state=state)
    output = layers.Dense(1, kernel_initializer=init, name="output")(sequence)
    model = keras.Model({"past": past, "inputs": inputs}, output, name=name)
    return compile_model(model, loss=loss, optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe)


def split_record(u: np.ndarray, y: np.ndarray, warmup: int) -> tuple[dict, np.ndarray]:
    """Records ``u (n, steps, n_inputs)`` and ``y (n, steps, 1)`` as a simulator's inputs:
    ``{"past": [u, y] of the first warmup steps, "inputs": u after them}`` and the outputs
    after them (the targets)."""
    u, y = np.asarray(u, dtype="float32"), np.asarray(y, dtype="float32")
    if u.ndim == 2:
        u = u[..., None]
    if y.ndim == 2:
        y = y[..., None]
    past = np.concatenate([u[:, :warmup], y[:, :warmup]], axis=-1)
    return {"past": past, "inputs": u[:, warmup:]}, y[:, warmup:]
