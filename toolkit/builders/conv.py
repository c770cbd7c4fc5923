"""Convolutional builders: the digits CNN, Conv1D and CNN-LSTM for financial series."""

from __future__ import annotations

import keras
from keras import layers

from toolkit.builders._common import (
    check_dense_options, check_output_and_loss, check_positive_int, check_rate, check_units, compile_model,
    dense_kwargs,
)
from toolkit.builders.fused import FusedLSTM
from toolkit.builders.registry import register


def _check_shape(name: str, shape, rank: int) -> tuple[int, ...]:
    shape = tuple(shape)
    if len(shape) != rank or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape):
        raise ValueError(f"`{name}` must be {rank} positive integers. Received: {name}={shape!r}")
    return shape


@register("digits_cnn", "conv", "The lecture's digits CNN on 28x28x1 (93,322 parameters)")
def digits_cnn(
    input_shape=(28, 28, 1),
    n_classes: int = 10,
    filters=(32, 64, 64),
    dense_units: int = 64,
    dropout: float = 0.0,
    augmentation: float = 0.0,
    activation: str = "relu",
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "digits_cnn",
) -> keras.Model:
    """Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool -> Conv2D 64 -> Dense 64 -> softmax.

    93,322 parameters at the defaults. ``dropout`` and ``augmentation`` add no
    parameters: the lectures' regularisers, used to push past the plain network's
    accuracy on small data.

    Args:
        input_shape: Image height, width, channels. Defaults to (28, 28, 1).
        n_classes: Softmax units. Defaults to 10.
        filters: Filters of the three 3x3 convolutions. Defaults to (32, 64, 64).
        dense_units: Units of the ReLU layer. Defaults to 64.
        dropout: Dropout before each dense layer (0 = the lecture's). Defaults to 0.
        augmentation: Random shifts and rotations of this fraction of the image size,
            active only in training (0 = none). Defaults to 0.
        activation: Activation of the convolutions and the dense layer. Defaults to ``"relu"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"digits_cnn"``.

    Returns:
        A compiled ``keras.Sequential`` (categorical cross-entropy, accuracy).

    Example:
        >>> digits_cnn().count_params()
        93322
    """
    input_shape = _check_shape("input_shape", input_shape, 3)
    check_positive_int("n_classes", n_classes)
    check_positive_int("dense_units", dense_units)
    filters = check_units("filters", filters)
    if len(filters) != 3:
        raise ValueError(f"`filters` must hold three sizes. Received: filters={filters!r}")
    check_dense_options(activation, kernel_initializer, dropout)
    check_rate("augmentation", augmentation)
    check_output_and_loss("softmax", "categorical_crossentropy", n_classes)
    hidden = dense_kwargs(activation, kernel_initializer)
    model = keras.Sequential([keras.Input(shape=input_shape, name="image")], name=name)
    if augmentation:
        model.add(layers.RandomTranslation(augmentation, augmentation, fill_mode="constant", name="shift"))
        model.add(layers.RandomRotation(augmentation / 2, fill_mode="constant", name="rotate"))
    model.add(layers.Conv2D(filters[0], 3, name="conv2d_1", **hidden))
    model.add(layers.MaxPooling2D(2, name="maxpool_1"))
    model.add(layers.Conv2D(filters[1], 3, name="conv2d_2", **hidden))
    model.add(layers.MaxPooling2D(2, name="maxpool_2"))
    model.add(layers.Conv2D(filters[2], 3, name="conv2d_3", **hidden))
    model.add(layers.Flatten(name="flatten"))
    if dropout:
        model.add(layers.Dropout(dropout, name="dropout_1"))
    model.add(layers.Dense(dense_units, name="dense_1", **hidden))
    if dropout:
        model.add(layers.Dropout(dropout, name="dropout_2"))
    model.add(layers.Dense(n_classes, activation="softmax", name="probabilities"))
    return compile_model(model, loss="categorical_crossentropy", optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe, metrics=["accuracy"])


def _conv1d_stack(x, filters, kernel_size, pool_size, hidden):
    for index, size in enumerate(filters, start=1):
        x = layers.Conv1D(size, kernel_size, padding="causal", name=f"conv1d_{index}", **hidden)(x)
        x = layers.MaxPooling1D(pool_size, name=f"maxpool_{index}")(x)
    return x


def _check_conv1d(window, n_features, filters, kernel_size, pool_size, activation, kernel_initializer, dropout):
    for key, value in (("window", window), ("n_features", n_features), ("kernel_size", kernel_size),
                       ("pool_size", pool_size)):
        check_positive_int(key, value)
    filters = check_units("filters", filters)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("linear", "mse", 1)
    if window < pool_size ** len(filters):
        raise ValueError(
            f"`window` is too short for {len(filters)} poolings of size {pool_size}; it needs at least "
            f"{pool_size ** len(filters)} steps. Received: window={window}"
        )
    return filters


@register("conv1d", "conv", "Conv1D feature extractor with a dense head for price windows")
def conv1d_regressor(
    window: int = 60,
    n_features: int = 1,
    filters=(64, 64),
    kernel_size: int = 3,
    pool_size: int = 2,
    dense_units: int = 64,
    activation: str = "relu",
    kernel_initializer: str = "glorot_uniform",
    dropout: float = 0.2,
    outputs: int = 1,
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "conv1d",
) -> keras.Model:
    """Causal 1-D convolutions and pooling over a window, then a dense regressor.

    Args:
        window: Steps per window. Defaults to 60.
        n_features: Values per step. Defaults to 1.
        filters: Filters of each convolution block. Defaults to (64, 64).
        kernel_size: Defaults to 3.
        pool_size: Defaults to 2.
        dense_units: Defaults to 64.
        activation: Defaults to ``"relu"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        dropout: Before the output. Defaults to 0.2.
        outputs: Defaults to 1.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"conv1d"``.

    Returns:
        A compiled functional model.

    Example:
        >>> conv1d_regressor().output_shape
        (None, 1)
    """
    filters = _check_conv1d(window, n_features, filters, kernel_size, pool_size, activation, kernel_initializer,
                            dropout)
    hidden = dense_kwargs(activation, kernel_initializer)
    check_positive_int("dense_units", dense_units)
    check_positive_int("outputs", outputs)
    inputs = keras.Input(shape=(window, n_features), name="window")
    x = _conv1d_stack(inputs, filters, kernel_size, pool_size, hidden)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, name="dense_1", **hidden)(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    output = layers.Dense(outputs, name="output")(x)
    return compile_model(keras.Model(inputs, output, name=name), loss="mse", optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe)


@register("cnn_lstm", "conv", "Conv1D feature extraction feeding an LSTM (financial series)")
def cnn_lstm(
    window: int = 60,
    n_features: int = 1,
    filters=(64,),
    kernel_size: int = 3,
    pool_size: int = 2,
    lstm_units: int = 64,
    dense_units: int = 32,
    activation: str = "relu",
    kernel_initializer: str = "glorot_uniform",
    dropout: float = 0.2,
    outputs: int = 1,
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "cnn_lstm",
) -> keras.Model:
    """CNN-LSTM: convolutions extract local features, an LSTM reads their sequence.

    (Not a ConvLSTM: the convolution and the recurrence are separate layers.)

    Args:
        window: Defaults to 60.
        n_features: Defaults to 1.
        filters: Filters of each convolution block. Defaults to (64,).
        kernel_size: Defaults to 3.
        pool_size: Defaults to 2.
        lstm_units: Defaults to 64.
        dense_units: Defaults to 32.
        activation: Of convolutions and the dense layer. Defaults to ``"relu"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        dropout: After the LSTM. Defaults to 0.2.
        outputs: Defaults to 1.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"cnn_lstm"``.

    Returns:
        A compiled functional model.

    Example:
        >>> cnn_lstm().output_shape
        (None, 1)
    """
    filters = _check_conv1d(window, n_features, filters, kernel_size, pool_size, activation, kernel_initializer,
                            dropout)
    hidden = dense_kwargs(activation, kernel_initializer)
    for key, value in (("lstm_units", lstm_units), ("dense_units", dense_units), ("outputs", outputs)):
        check_positive_int(key, value)
    inputs = keras.Input(shape=(window, n_features), name="window")
    x = _conv1d_stack(inputs, filters, kernel_size, pool_size, hidden)
    x = FusedLSTM(lstm_units, name="lstm")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(dense_units, name="dense_1", **hidden)(x)
    output = layers.Dense(outputs, name="output")(x)
    return compile_model(keras.Model(inputs, output, name=name), loss="mse", optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe)
