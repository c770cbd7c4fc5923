"""Dense and denoising autoencoders (Gaussian or masking noise, over-complete codes allowed),
with encoder and decoder as models of their own."""

from __future__ import annotations

import keras
from keras import layers, ops

from toolkit.builders._common import (
    check_choice, check_dense_options, check_output_and_loss, check_positive_int, check_units,
    compile_model, dense_kwargs,
)
from toolkit.builders.registry import register


@keras.saving.register_keras_serializable(package="toolkit")
class MaskingNoise(layers.Layer):
    """Zero each input feature with probability ``rate``, in training only.

    The notes' "zero-out some features" corruption (Rai, denoising auto-encoders).
    Unlike ``Dropout`` the kept features are not rescaled by 1 / (1 - rate): the
    corrupted input must stay an image the decoder could have seen.

    Args:
        rate: Probability that a feature is zeroed.
        seed: Seed of the mask. Defaults to None.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or not self.rate:
            return inputs
        keep = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate
        return ops.where(keep, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


NOISES = ("gaussian", "masking")


def _autoencoder(input_dim, hidden_units, bottleneck, activation, output_activation, loss,
                 kernel_initializer, noise, noise_level, training, name):
    check_positive_int("input_dim", input_dim)
    check_positive_int("bottleneck", bottleneck)
    hidden_units = check_units("hidden_units", hidden_units, allow_empty=True)
    check_dense_options(activation, kernel_initializer, 0.0)
    if noise is None and bottleneck >= input_dim:
        # Without corruption a code as wide as the input can learn the identity.
        raise ValueError(
            f"`bottleneck` must be smaller than the input to compress it (a denoising autoencoder "
            f"may be over-complete). Received: bottleneck={bottleneck}, input_dim={input_dim}"
        )
    check_output_and_loss(output_activation, loss, input_dim)
    input_dim, bottleneck = int(input_dim), int(bottleneck)  # NumPy integers too: Keras takes Python ints
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
    # Both corruptions are training-time layers: inference sees the clean input.
    if noise == "gaussian":
        x = layers.GaussianNoise(noise_level, name="input_noise")(x)
    elif noise == "masking":
        x = MaskingNoise(noise_level, name="input_noise")(x)
    outputs = decoder(encoder(x))
    model = keras.Model(inputs, outputs, name=name)
    return compile_model(model, loss=loss, **training)


@register("dense_autoencoder", "autoencoder", "784 -> 128 -> 64 -> 128 -> 784 dense autoencoder")
def dense_autoencoder(
    input_dim: int = 784,
    hidden_units=(128,),
    bottleneck: int = 64,
    activation: str = "relu",
    output_activation: str = "sigmoid",
    loss: str = "binary_crossentropy",
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "dense_autoencoder",
) -> keras.Model:
    """The lecture's dense autoencoder for flattened images.

    The lecture compares three output/loss pairs on its 64 and 16 bottlenecks: linear +
    MSE, sigmoid + MSE and sigmoid + binary cross-entropy (the best); the last is the
    default. The encoder and decoder are models of their own:
    ``model.get_layer("encoder")`` maps images to codes, ``model.get_layer("decoder")``
    codes to images. (The lecture trained with Adadelta at Keras 2's learning rate of
    1.0: ``recipe="autoencoder_adadelta"``; Adam at 1e-3 converges in far fewer epochs.)

    Args:
        input_dim: Input features (784 = 28x28). Defaults to 784.
        hidden_units: Encoder layers before the code; the decoder mirrors them.
            Defaults to (128,).
        bottleneck: Code size. Defaults to 64.
        activation: Hidden activation. Defaults to ``"relu"``.
        output_activation: ``"linear"`` or ``"sigmoid"``. Defaults to ``"sigmoid"``.
        loss: ``"mse"`` or ``"binary_crossentropy"``. Defaults to ``"binary_crossentropy"``.
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
        name: Defaults to ``"dense_autoencoder"``.

    Returns:
        A compiled functional model whose target is its input.

    Example:
        >>> model = dense_autoencoder(bottleneck=16)
        >>> model.get_layer("encoder").output_shape
        (None, 16)
    """
    return _autoencoder(input_dim, hidden_units, bottleneck, activation, output_activation, loss,
                        kernel_initializer, None, 0.0,
                        dict(optimizer=optimizer, learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe), name)


@register("denoising_autoencoder", "autoencoder",
          "Dense autoencoder trained on corrupted inputs (Gaussian or masking noise), may be over-complete")
def denoising_autoencoder(
    input_dim: int = 784,
    hidden_units=(128,),
    bottleneck: int = 64,
    noise: str = "gaussian",
    noise_stddev: float = 0.3,
    mask_rate: float = 0.3,
    activation: str = "relu",
    output_activation: str = "sigmoid",
    loss: str = "binary_crossentropy",
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "denoising_autoencoder",
) -> keras.Model:
    """:func:`dense_autoencoder` that learns to undo a corruption of its input.

    The notes (Rai, "Denoising auto-encoders") inject zero-mean Gaussian noise or
    zero out some features; the corruption acts in training only and the target stays
    the clean input, so fit it as ``model.fit(x, x)``. Because the corruption keeps the
    network from copying its input, the code may be as wide as the input or wider (the
    over-complete case the notes stress, K > D): ``bottleneck >= input_dim`` is allowed.

    Args:
        input_dim: Defaults to 784.
        hidden_units: Defaults to (128,).
        bottleneck: Code size; may exceed ``input_dim``. Defaults to 64.
        noise: ``"gaussian"`` (add N(0, noise_stddev^2)) or ``"masking"`` (zero each
            feature with probability ``mask_rate``). Defaults to ``"gaussian"``.
        noise_stddev: Standard deviation of the Gaussian noise. Defaults to 0.3.
        mask_rate: Share of features zeroed by masking noise. Defaults to 0.3.
        activation: Defaults to ``"relu"``.
        output_activation: Defaults to ``"sigmoid"``.
        loss: Defaults to ``"binary_crossentropy"``.
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
        name: Defaults to ``"denoising_autoencoder"``.

    Returns:
        A compiled functional model.

    Example:
        >>> denoising_autoencoder().get_layer("input_noise").stddev
        0.3
        >>> over = denoising_autoencoder(input_dim=64, hidden_units=(), bottleneck=128, noise="masking")
        >>> over.get_layer("encoder").output_shape
        (None, 128)
    """
    check_choice("noise", noise, NOISES)
    level = noise_stddev if noise == "gaussian" else mask_rate
    if noise == "gaussian" and not (isinstance(noise_stddev, (int, float)) and not isinstance(noise_stddev, bool)
                                    and noise_stddev > 0):
        raise ValueError(f"`noise_stddev` must be positive for a denoising autoencoder. Received: noise_stddev={noise_stddev!r}")
    if noise == "masking" and not (isinstance(mask_rate, (int, float)) and not isinstance(mask_rate, bool)
                                   and 0 < mask_rate < 1):
        raise ValueError(f"`mask_rate` must lie in (0, 1). Received: mask_rate={mask_rate!r}")
    return _autoencoder(input_dim, hidden_units, bottleneck, activation, output_activation, loss,
                        kernel_initializer, noise, float(level),
                        dict(optimizer=optimizer, learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe), name)


@register("linear_autoencoder", "autoencoder", "Linear encoder and decoder with squared loss: learns the PCA subspace")
def linear_autoencoder(
    input_dim: int = 784,
    bottleneck: int = 16,
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "linear_autoencoder",
) -> keras.Model:
    """An autoencoder with no nonlinearity: code = W1 x + b1, reconstruction = W2 code + b2.

    Rai's notes ("Deep Neural Networks for Unsupervised Learning"): with a linear encoder
    and decoder and the squared loss, an autoencoder is akin to PCA. Baldi and Hornik
    (1989) proved it: every minimum spans the subspace of the first ``bottleneck``
    principal components (the biases take the mean), though not the components themselves,
    which any invertible mix of them also reaches. The notes tie the decoder to the
    encoder's transpose; this builder leaves them untied, which reaches the same subspace.
    Centre the data on the training rows' mean first: the biases can take the mean, but
    gradient descent then reaches the subspace far more slowly (scikit-learn's digits, code 4,
    Adam at 1e-3, 40 epochs of batch 32: largest principal angle 80 degrees uncentred, 1.1
    centred; the lectures pipeline centres).
    :func:`toolkit.evaluation.principal_angles` between the decoder's rows and PCA's
    components measures how close training came.

    Args:
        input_dim: Input features (784 = 28x28). Defaults to 784.
        bottleneck: Code size K < input_dim. Defaults to 16.
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
        name: Defaults to ``"linear_autoencoder"``.

    Returns:
        A compiled functional model (MSE) whose target is its input, with
        ``get_layer("encoder")`` and ``get_layer("decoder")``; the decoder's
        ``reconstruction`` kernel, shape ``(bottleneck, input_dim)``, spans the learned subspace.

    Raises:
        ValueError: For a bottleneck not below ``input_dim`` or another bad argument.

    Example:
        >>> linear_autoencoder(input_dim=64, bottleneck=8).count_params()  # 2 * 64 * 8 + 8 + 64
        1096
    """
    return _autoencoder(input_dim, (), bottleneck, "linear", "linear", "mse", kernel_initializer, None, 0.0,
                        dict(optimizer=optimizer, learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe), name)
