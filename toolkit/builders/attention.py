"""Attention: the lecture's Transformer ("Attention is all you need", Vaswani et al., 2017)
for series, as a forecaster (encoder-decoder) and as a sequence classifier (encoder only).

bianco-pinns-and-generative-ai.txt: "Encoder + Decoder architecture", "Attention mechanism",
"Multithreaded attention" (multi-head), "Encodes the past", "decodes the past and predicts
the future", "each attention head learns relationships between elements of the series".

The blocks follow the paper: multi-head attention, dropout, a residual connection and layer
normalisation after it (post-norm), then the position-wise feed-forward network with its own
residual and normalisation. Positions are the paper's sinusoids, added to a linear projection
of each time step. The decoder does not read targets: its tokens are one learned query per
step of the horizon (plus their positions), which attend to each other causally (step k sees
steps 1..k) and to the encoded window, so every step of the horizon is emitted in one pass
and nothing of the future can leak in (Informer's "generative" decoder, Zhou et al., 2021).
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
from keras import layers, ops

from toolkit.builders._common import (
    check_dense_options, check_output_and_loss, check_positive_int, check_rate, check_sizes, compile_model,
    default_clip, dense_kwargs,
)
from toolkit.builders.registry import register

MAX_BLOCKS = 8

# A one-step horizon has one decoder token: its causal self-attention takes a softmax over one
# key (weight 1, as it should be), which Keras warns about on every trace as if a classifier
# had one class. That case is intended here; only this message is silenced.
warnings.filterwarnings("ignore", message=r"You are using a softmax over axis .* This axis has size 1",
                        category=UserWarning)


@keras.saving.register_keras_serializable(package="toolkit")
class SinusoidalPositions(layers.Layer):
    """Adds the paper's fixed positional encoding to ``(batch, steps, d_model)`` inputs:
    ``PE(pos, 2i) = sin(pos / 10000^(2i/d))``, ``PE(pos, 2i+1) = cos(...)``. No weights."""

    def build(self, input_shape):
        steps, width = int(input_shape[-2]), int(input_shape[-1])
        position = np.arange(steps)[:, None]
        rates = 1.0 / np.power(10000.0, (2 * (np.arange(width) // 2)) / width)
        table = position * rates[None, :]
        table[:, 0::2], table[:, 1::2] = np.sin(table[:, 0::2]), np.cos(table[:, 1::2])
        self.table = table.astype("float32")[None]

    def call(self, inputs):
        return inputs + ops.cast(ops.convert_to_tensor(self.table), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="toolkit")
class HorizonQueries(layers.Layer):
    """One learned ``d_model``-vector per step of the horizon, broadcast over the batch of
    ``inputs`` (any tensor whose first axis is the batch): the decoder's tokens."""

    def __init__(self, steps: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.steps, self.width = steps, width

    def build(self, input_shape):
        self.queries = self.add_weight(shape=(self.steps, self.width), initializer="glorot_uniform", name="queries")

    def call(self, inputs):
        batch_zeros = ops.zeros_like(inputs[:, :1, :1])                  # (batch, 1, 1), any backend
        return batch_zeros + ops.expand_dims(ops.cast(self.queries, inputs.dtype), 0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.steps, self.width)

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "width": self.width}


def _attention(x, context, num_heads, d_model, dropout, causal, name):
    """Multi-head attention of ``x`` over ``context`` (scores kept as the layer's second output)."""
    attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=d_model // num_heads, dropout=dropout,
                                          name=name)
    out, _ = attention(x, context, context, use_causal_mask=causal, return_attention_scores=True)
    return out


def _residual(x, update, dropout, name):
    """``LayerNorm(x + Dropout(update))``: the paper's sub-layer connection."""
    update = layers.Dropout(dropout, name=f"{name}_dropout")(update)
    return layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm")(layers.Add(name=f"{name}_add")([x, update]))


def _feed_forward(x, d_model, ff_units, dropout, name, activation="relu", kernel_initializer="glorot_uniform"):
    hidden = layers.Dense(ff_units, name=f"{name}_ffn_1", **dense_kwargs(activation, kernel_initializer))(x)
    return _residual(x, layers.Dense(d_model, name=f"{name}_ffn_2")(hidden), dropout, f"{name}_ffn")


def encoder_block(x, d_model, num_heads, ff_units, dropout, causal=False, name="encoder_1", activation="relu",
                  kernel_initializer="glorot_uniform"):
    """Self-attention then feed-forward, each with dropout, residual and layer norm.
    ``causal`` lets step t attend only to steps up to t. Parameters:
    ``4 d^2 + 4 d`` (attention) ``+ 2 d ff + ff + d`` (feed-forward) ``+ 4 d`` (two norms)."""
    x = _residual(x, _attention(x, x, num_heads, d_model, dropout, causal, f"{name}_attention"), dropout,
                  f"{name}_attention")
    return _feed_forward(x, d_model, ff_units, dropout, name, activation, kernel_initializer)


def decoder_block(y, memory, d_model, num_heads, ff_units, dropout, name="decoder_1", activation="relu",
                  kernel_initializer="glorot_uniform"):
    """Causal self-attention over the decoder's tokens, cross-attention to the encoder's
    ``memory``, then feed-forward: ``8 d^2 + 8 d + 2 d ff + ff + d + 6 d`` parameters."""
    y = _residual(y, _attention(y, y, num_heads, d_model, dropout, True, f"{name}_self_attention"), dropout,
                  f"{name}_self_attention")
    y = _residual(y, _attention(y, memory, num_heads, d_model, dropout, False, f"{name}_cross_attention"), dropout,
                  f"{name}_cross_attention")
    return _feed_forward(y, d_model, ff_units, dropout, name, activation, kernel_initializer)


def _check_sizes(d_model, num_heads, ff_units, dropout, **blocks):
    check_sizes(d_model=d_model, num_heads=num_heads, ff_units=ff_units)
    for key, value in blocks.items():
        check_positive_int(key, value)
    if d_model % num_heads:
        raise ValueError(f"`d_model` must be a multiple of `num_heads`. Received: d_model={d_model}, "
                         f"num_heads={num_heads}")
    for key, value in blocks.items():
        if value > MAX_BLOCKS:
            raise ValueError(f"`{key}` must be at most {MAX_BLOCKS}. Received: {key}={value}")
    check_rate("dropout", dropout)


def _encode(inputs, d_model, num_heads, ff_units, encoder_layers, dropout, causal, activation="relu",
            kernel_initializer="glorot_uniform"):
    x = layers.Dense(d_model, name="input_projection")(inputs)
    x = SinusoidalPositions(name="positions")(x)
    x = layers.Dropout(dropout, name="input_dropout")(x)
    for i in range(1, encoder_layers + 1):
        x = encoder_block(x, d_model, num_heads, ff_units, dropout, causal, name=f"encoder_{i}", activation=activation,
                          kernel_initializer=kernel_initializer)
    return x


@register("transformer_forecaster", "attention", "Encoder-decoder Transformer emitting the horizon in one pass")
def transformer_forecaster(
    window: int = 60,
    n_features: int = 1,
    outputs: int = 1,
    d_model: int = 32,
    num_heads: int = 4,
    ff_units: int = 64,
    encoder_layers: int = 2,
    decoder_layers: int = 1,
    dropout: float = 0.1,
    causal_encoder: bool = False,
    activation: str = "relu",
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    loss: str = "mse",
    name: str = "transformer_forecaster",
) -> keras.Model:
    """The "Attention is all you need" encoder-decoder for a window of a series.

    ``window (window, n_features) -> Dense(d_model) + sinusoidal positions -> encoder_layers x
    [multi-head self-attention, add & norm, feed-forward, add & norm]``; the decoder's tokens are
    one learned query per step (``outputs`` of them) plus positions, through ``decoder_layers x
    [causal self-attention, cross-attention to the encoder, feed-forward]``, each with add &
    norm; ``Dense(1)`` per token gives the ``outputs`` forecasts. Dropout after every
    sub-layer and inside attention. Parameters: ``n_features d + d`` (projection) ``+
    encoder_layers (4d^2 + 2d ff + ff + 9d) + outputs d + decoder_layers (8d^2 + 2d ff + ff +
    15d) + d + 1``: 30,049 at the defaults (d = 32), about the cost of the stacked LSTM with
    32 units on 2 cores (bench/README.md).

    Args:
        window: Time steps per input window. Defaults to 60.
        n_features: Values per time step. Defaults to 1.
        outputs: Steps of the horizon, emitted together. Defaults to 1.
        d_model: Width of every token. Defaults to 32.
        num_heads: Attention heads (``d_model`` must divide by it). Defaults to 4.
        ff_units: Hidden units of the position-wise feed-forward network. Defaults to 64.
        encoder_layers: Encoder blocks. Defaults to 2.
        decoder_layers: Decoder blocks. Defaults to 1.
        dropout: Dropout of every sub-layer and of the attention weights. Defaults to 0.1.
        causal_encoder: Let window step t attend only to steps up to t. Defaults to False
            (the window is all past: every step may see every other).
        activation: Of the feed-forward networks' hidden layers. Defaults to ``"relu"`` (the paper's).
        kernel_initializer: Of the feed-forward layers. Defaults to ``"glorot_uniform"``.
        optimizer: Optimiser name or a Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None: 1.0
            when no other clip is given (attention trains unevenly without one).
        recipe: A lecture's training recipe (``toolkit.builders.recipes``). Defaults to None.
        loss: Defaults to ``"mse"``.
        name: Defaults to ``"transformer_forecaster"``.

    Returns:
        A compiled functional ``keras.Model``: ``(batch, window, n_features) -> (batch, outputs)``.

    Raises:
        ValueError: A size that is not a positive integer, ``d_model`` not a multiple of
            ``num_heads``, more than 8 blocks, a dropout outside [0, 1), or a loss that does
            not fit the output.

    Example:
        >>> transformer_forecaster().count_params()
        30049
    """
    check_sizes(window=window, n_features=n_features, outputs=outputs)
    if not isinstance(causal_encoder, bool):
        raise ValueError(f"`causal_encoder` must be True or False. Received: causal_encoder={causal_encoder!r}")
    _check_sizes(d_model, num_heads, ff_units, dropout, encoder_layers=encoder_layers, decoder_layers=decoder_layers)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("linear", loss, outputs)
    global_clipnorm = default_clip(clipnorm, clipvalue, global_clipnorm)
    inputs = keras.Input(shape=(window, n_features), name="window")
    memory = _encode(inputs, d_model, num_heads, ff_units, encoder_layers, dropout, bool(causal_encoder), activation,
                     kernel_initializer)
    y = HorizonQueries(outputs, d_model, name="horizon_queries")(memory)
    y = SinusoidalPositions(name="horizon_positions")(y)
    for j in range(1, decoder_layers + 1):
        y = decoder_block(y, memory, d_model, num_heads, ff_units, dropout, name=f"decoder_{j}", activation=activation,
                          kernel_initializer=kernel_initializer)
    y = layers.Dense(1, name="output")(y)
    forecast = layers.Reshape((outputs,), name="forecast")(y)
    model = keras.Model(inputs, forecast, name=name)
    return compile_model(model, loss=loss, optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe)


@register("transformer_classifier", "attention", "keras-io's encoder-only Transformer classifier for sequences")
def transformer_classifier(
    steps: int = 500,
    n_features: int = 1,
    classes: int = 2,
    d_model: int = 32,
    num_heads: int = 4,
    ff_units: int = 64,
    encoder_layers: int = 2,
    mlp_units: int = 64,
    dropout: float = 0.1,
    activation: str = "relu",
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "transformer_classifier",
) -> keras.Model:
    """An encoder-only Transformer that labels whole sequences (keras-io, "Timeseries
    classification with a Transformer model", with the paper's post-norm blocks).

    ``(steps, n_features) -> Dense(d_model) + positions -> encoder_layers blocks -> global
    average over steps -> Dense(mlp_units, relu) -> Dropout -> Dense(classes, softmax)``.

    Args:
        steps: Time steps per sequence. Defaults to 500 (keras-io's FordA).
        n_features: Values per step. Defaults to 1.
        classes: Labels (two or more; one-hot targets). Defaults to 2.
        d_model: Token width. Defaults to 32.
        num_heads: Attention heads. Defaults to 4.
        ff_units: Feed-forward hidden units. Defaults to 64.
        encoder_layers: Encoder blocks. Defaults to 2.
        mlp_units: Units of the head's hidden layer. Defaults to 64.
        dropout: Defaults to 0.1.
        activation: Of the feed-forward and head layers. Defaults to ``"relu"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        optimizer: Defaults to ``"adam"``.
        learning_rate: Defaults to None.
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element. Defaults to None.
        global_clipnorm: Clip all gradients together. Defaults to None.
        recipe: A lecture's training recipe. Defaults to None.
        name: Defaults to ``"transformer_classifier"``.

    Returns:
        A compiled ``keras.Model`` with categorical cross-entropy and accuracy.

    Example:
        >>> transformer_classifier().count_params()
        19394
    """
    check_sizes(steps=steps, n_features=n_features, mlp_units=mlp_units)
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"`classes` must be an integer of at least 2. Received: classes={classes!r}")
    _check_sizes(d_model, num_heads, ff_units, dropout, encoder_layers=encoder_layers)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("softmax", "categorical_crossentropy", classes)
    inputs = keras.Input(shape=(steps, n_features), name="sequence")
    x = _encode(inputs, d_model, num_heads, ff_units, encoder_layers, dropout, False, activation, kernel_initializer)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    x = layers.Dense(mlp_units, name="head", **dense_kwargs(activation, kernel_initializer))(x)
    x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs, name=name)
    return compile_model(model, loss="categorical_crossentropy", optimizer=optimizer, learning_rate=learning_rate,
                         momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         recipe=recipe, metrics=["accuracy"])


def attention_maps(model: keras.Model, window: np.ndarray, block: str = "encoder_1_attention") -> np.ndarray:
    """The attention weights of one attention layer for input windows: ``(batch, heads,
    queries, keys)``, rows summing to one (dropout off).

    Args:
        model: A model built by :func:`transformer_forecaster` or :func:`transformer_classifier`
            (or loaded from its ``.keras`` file).
        window: Inputs, ``(batch, window, n_features)``.
        block: The attention layer's name, e.g. ``"encoder_2_attention"`` or
            ``"decoder_1_cross_attention"``. Defaults to ``"encoder_1_attention"``.

    Raises:
        ValueError: ``block`` is not an attention layer of ``model``.
    """
    window = np.asarray(window, dtype="float32")
    expected = tuple(model.inputs[0].shape[1:])
    if window.ndim != 3 or tuple(window.shape[1:]) != expected:
        raise ValueError(f"`window` must hold windows of shape (batch, {', '.join(map(str, expected))}). "
                         f"Received: shape={window.shape}; add the batch axis with window[None]")
    names = [layer.name for layer in model.layers if isinstance(layer, layers.MultiHeadAttention)]
    if block not in names:
        raise ValueError(f"`block` must name an attention layer of the model ({', '.join(names)}). "
                         f"Received: block={block!r}")
    probe = keras.Model(model.inputs, model.get_layer(block).output[1])
    return np.asarray(probe.predict(window, verbose=0))
