"""Convolutional builders: the digits CNN, Conv1D and CNN-LSTM for financial series."""

from __future__ import annotations

import keras
from keras import layers

from toolkit.builders._common import (
    check_dense_options, check_output_and_loss, check_positive_int, check_rate, check_units, compile_model,
    dense_kwargs, is_whole,
)
from toolkit.builders.conv_arithmetic import PADDINGS, PADDINGS_1D, POOLINGS, conv_output_size, pooling_layer
from toolkit.builders.fused import FusedLSTM
from toolkit.builders.registry import register


def _check_shape(name: str, shape, rank: int) -> tuple[int, ...]:
    if not hasattr(shape, "__iter__") or isinstance(shape, str):
        raise ValueError(f"`{name}` must be {rank} positive integers. Received: {name}={shape!r}")
    shape = tuple(shape)
    if len(shape) != rank or any(not is_whole(v) or v < 1 for v in shape):
        raise ValueError(f"`{name}` must be {rank} positive integers. Received: {name}={shape!r}")
    return tuple(int(v) for v in shape)


def _check_conv_options(strides, padding, pooling, paddings) -> int:
    check_positive_int("strides", strides)
    for key, value, allowed in (("padding", padding, paddings), ("pooling", pooling, POOLINGS)):
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"`{key}` must be one of {', '.join(allowed)}. Received: {key}={value!r}")
    return int(strides)


def _check_fits(n: int, stages, axis: str, received: str) -> None:
    """Run ``n`` through ``(layer, kernel, stride, padding)`` stages; a ValueError where nothing is left."""
    for layer, kernel, stride, padding in stages:
        try:
            n = conv_output_size(n, kernel, stride, padding)
        except ValueError:
            raise ValueError(f"the {axis} shrinks below {layer}'s {kernel}-wide window ({n} left); use "
                             f"padding='same', strides=1 or a larger input. Received: {received}") from None


def _pool_name(pooling: str, index: int) -> str:
    return f"{'maxpool' if pooling == 'max' else 'avgpool'}_{index}"


def digits_cnn_stages(strides: int = 1, padding: str = "valid", pooling: str = "max") -> list[tuple]:
    """``(layer name, window, stride, padding)`` of the digits CNN's convolutions and poolings, in order:
    what :func:`conv_output_size` runs an image side through."""
    def conv(index):
        return (f"conv2d_{index}", 3, strides, padding)

    def pool(index):
        return (_pool_name(pooling, index), 2, 2, "valid")

    return [conv(1), pool(1), conv(2), pool(2), conv(3)]


@register("digits_cnn", "conv", "The lecture's digits CNN on 28x28x1 (93,322 parameters)")
def digits_cnn(
    input_shape=(28, 28, 1),
    n_classes: int = 10,
    filters=(32, 64, 64),
    dense_units: int = 64,
    strides: int = 1,
    padding: str = "valid",
    pooling: str = "max",
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

    93,322 parameters at the defaults (Singaravelu's digits CNN). ``dropout`` and
    ``augmentation`` add no parameters: the lectures' regularisers, used to push past the
    plain network's accuracy on small data. ``strides``, ``padding`` and ``pooling`` are the
    notes' convolution hyperparameters; they change the feature maps' sizes
    (:func:`toolkit.builders.conv_output_size`) and so the dense layer's parameters.

    Args:
        input_shape: Image height, width, channels. Defaults to (28, 28, 1).
        n_classes: Softmax units. Defaults to 10.
        filters: Filters of the three 3x3 convolutions. Defaults to (32, 64, 64).
        dense_units: Units of the ReLU layer. Defaults to 64.
        strides: Step of each 3x3 convolution (the notes' s). Defaults to 1.
        padding: ``"valid"`` (no padding, the lecture's) or ``"same"`` (zero padding that keeps
            the size at stride 1). Defaults to ``"valid"``.
        pooling: ``"max"`` or ``"average"`` 2x2 pooling. Defaults to ``"max"``.
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

    Raises:
        ValueError: For a bad argument, or strides and padding that shrink the image below
            a window.

    Example:
        >>> digits_cnn().count_params()
        93322
        >>> digits_cnn(padding="same", pooling="average").get_layer("conv2d_3").output.shape
        (None, 7, 7, 64)
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
    strides = _check_conv_options(strides, padding, pooling, PADDINGS)
    stages = digits_cnn_stages(strides, padding, pooling)
    for axis, n in (("height", input_shape[0]), ("width", input_shape[1])):
        _check_fits(n, stages, f"image {axis}", f"input_shape={input_shape}, strides={strides}, padding={padding!r}")
    hidden = dense_kwargs(activation, kernel_initializer)
    conv = dict(strides=strides, padding=padding, **hidden)
    model = keras.Sequential([keras.Input(shape=input_shape, name="image")], name=name)
    if augmentation:
        model.add(layers.RandomTranslation(augmentation, augmentation, fill_mode="constant", name="shift"))
        model.add(layers.RandomRotation(augmentation / 2, fill_mode="constant", name="rotate"))
    model.add(layers.Conv2D(filters[0], 3, name="conv2d_1", **conv))
    model.add(pooling_layer(pooling, 2, 2, _pool_name(pooling, 1)))
    model.add(layers.Conv2D(filters[1], 3, name="conv2d_2", **conv))
    model.add(pooling_layer(pooling, 2, 2, _pool_name(pooling, 2)))
    model.add(layers.Conv2D(filters[2], 3, name="conv2d_3", **conv))
    model.add(layers.Flatten(name="flatten"))
    if dropout:
        model.add(layers.Dropout(dropout, name="dropout_1"))
    model.add(layers.Dense(dense_units, name="dense_1", **hidden))
    if dropout:
        model.add(layers.Dropout(dropout, name="dropout_2"))
    model.add(layers.Dense(n_classes, activation="softmax", name="probabilities"))
    return compile_model(model, loss="categorical_crossentropy", optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe, metrics=["accuracy"])


def _conv1d_stack(x, filters, kernel_size, pool_size, hidden, strides, padding, pooling):
    kernel_size, pool_size, strides = int(kernel_size), int(pool_size), int(strides)  # NumPy integers too
    for index, size in enumerate(filters, start=1):
        x = layers.Conv1D(size, kernel_size, strides=strides, padding=padding, name=f"conv1d_{index}", **hidden)(x)
        x = pooling_layer(pooling, pool_size, 1, _pool_name(pooling, index))(x)
    return x


def _check_conv1d(window, n_features, filters, kernel_size, pool_size, activation, kernel_initializer, dropout,
                  strides, padding, pooling):
    for key, value in (("window", window), ("n_features", n_features), ("kernel_size", kernel_size),
                       ("pool_size", pool_size)):
        check_positive_int(key, value)
    filters = check_units("filters", filters)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("linear", "mse", 1)
    strides = _check_conv_options(strides, padding, pooling, PADDINGS_1D)
    stages = [stage for index in range(1, len(filters) + 1)
              for stage in ((f"conv1d_{index}", kernel_size, strides, padding),
                            (_pool_name(pooling, index), pool_size, pool_size, "valid"))]
    _check_fits(window, stages, "window", f"window={window}, kernel_size={kernel_size}, pool_size={pool_size}, "
                f"strides={strides}, padding={padding!r}")
    return filters


@register("conv1d", "conv", "Conv1D feature extractor with a dense head for price windows")
def conv1d_regressor(
    window: int = 60,
    n_features: int = 1,
    filters=(64, 64),
    kernel_size: int = 3,
    pool_size: int = 2,
    strides: int = 1,
    padding: str = "causal",
    pooling: str = "max",
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
        pool_size: Window and stride of each pooling. Defaults to 2.
        strides: Step of each convolution. Defaults to 1.
        padding: ``"causal"`` (pads the past only: no output step sees a later one),
            ``"valid"`` or ``"same"``. Defaults to ``"causal"``.
        pooling: ``"max"`` or ``"average"``. Defaults to ``"max"``.
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
                            dropout, strides, padding, pooling)
    hidden = dense_kwargs(activation, kernel_initializer)
    check_positive_int("dense_units", dense_units)
    check_positive_int("outputs", outputs)
    inputs = keras.Input(shape=(window, n_features), name="window")
    x = _conv1d_stack(inputs, filters, kernel_size, pool_size, hidden, strides, padding, pooling)
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
    strides: int = 1,
    padding: str = "causal",
    pooling: str = "max",
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
        pool_size: Window and stride of each pooling. Defaults to 2.
        strides: Step of each convolution. Defaults to 1.
        padding: ``"causal"`` (pads the past only: no output step sees a later one),
            ``"valid"`` or ``"same"``. Defaults to ``"causal"``.
        pooling: ``"max"`` or ``"average"``. Defaults to ``"max"``.
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
                            dropout, strides, padding, pooling)
    hidden = dense_kwargs(activation, kernel_initializer)
    for key, value in (("lstm_units", lstm_units), ("dense_units", dense_units), ("outputs", outputs)):
        check_positive_int(key, value)
    inputs = keras.Input(shape=(window, n_features), name="window")
    x = _conv1d_stack(inputs, filters, kernel_size, pool_size, hidden, strides, padding, pooling)
    x = FusedLSTM(lstm_units, name="lstm")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(dense_units, name="dense_1", **hidden)(x)
    output = layers.Dense(outputs, name="output")(x)
    return compile_model(keras.Model(inputs, output, name=name), loss="mse", optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe)
