"""Dense and denoising autoencoders with encoder and decoder as models of their own."""

from __future__ import annotations

import keras
from keras import layers

from toolkit.builders._common import (
    check_dense_options, check_nonnegative, check_output_and_loss, check_positive_int,
    check_units, compile_model, dense_kwargs,
)
from toolkit.builders.registry import register


def _autoencoder(input_dim, hidden_units, bottleneck, activation, output_activation, loss,
                 noise_stddev, kernel_initializer, optimizer, learning_rate, clipnorm, name):
    check_positive_int("input_dim", input_dim)
    check_positive_int("bottleneck", bottleneck)
    hidden_units = check_units("hidden_units", hidden_units, allow_empty=True)
    check_dense_options(activation, kernel_initializer, 0.0)
    check_nonnegative("noise_stddev", noise_stddev)
    if bottleneck >= input_dim:
        raise ValueError(
            f"`bottleneck` must be smaller than the input to compress it. "
            f"Received: bottleneck={bottleneck}, input_dim={input_dim}"
        )
    check_output_and_loss(output_activation, loss, input_dim)
    hidden = dense_kwargs(activation, kernel_initializer)

    encoder_input = keras.Input(shape=(input_dim,), name="input")
    x = encoder_input
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, name=f"encoder_dense_{index}", **hidden)(x)
    code = layers.Dense(bottleneck, name="code", **hidden)(x)
    encoder = keras.Model(encoder_input, code, name="encoder")

    decoder_input = keras.Input(shape=(bottleneck,), name="code_input")
    x = decoder_input
    for index, units in enumerate(reversed(hidden_units), start=1):
        x = layers.Dense(units, name=f"decoder_dense_{index}", **hidden)(x)
    reconstruction = layers.Dense(input_dim, activation=output_activation, name="reconstruction")(x)
    decoder = keras.Model(decoder_input, reconstruction, name="decoder")

    inputs = keras.Input(shape=(input_dim,), name="image")
    x = inputs
    if noise_stddev:
        # Gaussian noise is a training-time layer: inference sees the clean input.
        x = layers.GaussianNoise(noise_stddev, name="input_noise")(x)
    outputs = decoder(encoder(x))
    model = keras.Model(inputs, outputs, name=name)
    return compile_model(model, loss=loss, optimizer=optimizer, learning_rate=learning_rate,
                         clipnorm=clipnorm)


@register("dense_autoencoder", "autoencoder", "784 -> 128 -> 64 -> 128 -> 784 dense autoencoder")
def dense_autoencoder(
    input_dim: int = 784,
    hidden_units=(128,),
    bottleneck: int = 64,
    activation: str = "relu",
    output_activation: str = "sigmoid",
    loss: str = "binary_crossentropy",
    kernel_initializer: str = "glorot_uniform",
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    clipnorm: float | None = None,
    name: str = "dense_autoencoder",
) -> keras.Model:
    """The lecture's dense autoencoder for flattened images.

    The lecture compares three output/loss pairs on its 64 and 16 bottlenecks: linear +
    MSE, sigmoid + MSE and sigmoid + binary cross-entropy (the best); the last is the
    default. The encoder and decoder are models of their own:
    ``model.get_layer("encoder")`` maps images to codes, ``model.get_layer("decoder")``
    codes to images. (The lecture trained with Adadelta at Keras 2's learning rate of
    1.0; Adam at 1e-3 converges in far fewer epochs, and ``optimizer="adadelta"`` is
    available.)

    Args:
        input_dim: Input features (784 = 28x28). Defaults to 784.
        hidden_units: Encoder layers before the code; the decoder mirrors them.
            Defaults to (128,).
        bottleneck: Code size. Defaults to 64.
        activation: Hidden activation. Defaults to ``"relu"``.
        output_activation: ``"linear"`` or ``"sigmoid"``. Defaults to ``"sigmoid"``.
        loss: ``"mse"`` or ``"binary_crossentropy"``. Defaults to ``"binary_crossentropy"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        optimizer: Defaults to ``"adam"``.
        learning_rate: Defaults to 1e-3.
        clipnorm: Defaults to None.
        name: Defaults to ``"dense_autoencoder"``.

    Returns:
        A compiled functional model whose target is its input.

    Example:
        >>> model = dense_autoencoder(bottleneck=16)
        >>> model.get_layer("encoder").output_shape
        (None, 16)
    """
    return _autoencoder(input_dim, hidden_units, bottleneck, activation, output_activation, loss,
                        0.0, kernel_initializer, optimizer, learning_rate, clipnorm, name)


@register("denoising_autoencoder", "autoencoder", "Dense autoencoder trained on inputs with Gaussian noise")
def denoising_autoencoder(
    input_dim: int = 784,
    hidden_units=(128,),
    bottleneck: int = 64,
    noise_stddev: float = 0.3,
    activation: str = "relu",
    output_activation: str = "sigmoid",
    loss: str = "binary_crossentropy",
    kernel_initializer: str = "glorot_uniform",
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    clipnorm: float | None = None,
    name: str = "denoising_autoencoder",
) -> keras.Model:
    """:func:`dense_autoencoder` that learns to undo Gaussian input noise.

    Noise of standard deviation ``noise_stddev`` is added to the input in training only;
    the target stays the clean input, so fit it as ``model.fit(x, x)``.

    Args:
        input_dim: Defaults to 784.
        hidden_units: Defaults to (128,).
        bottleneck: Defaults to 64.
        noise_stddev: Standard deviation of the training noise. Defaults to 0.3.
        activation: Defaults to ``"relu"``.
        output_activation: Defaults to ``"sigmoid"``.
        loss: Defaults to ``"binary_crossentropy"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        optimizer: Defaults to ``"adam"``.
        learning_rate: Defaults to 1e-3.
        clipnorm: Defaults to None.
        name: Defaults to ``"denoising_autoencoder"``.

    Returns:
        A compiled functional model.

    Example:
        >>> denoising_autoencoder().get_layer("input_noise").stddev
        0.3
    """
    if not noise_stddev:
        raise ValueError(f"`noise_stddev` must be positive for a denoising autoencoder. Received: noise_stddev={noise_stddev!r}")
    return _autoencoder(input_dim, hidden_units, bottleneck, activation, output_activation, loss,
                        noise_stddev, kernel_initializer, optimizer, learning_rate, clipnorm, name)
