"""The noise-prediction U-Net of the diffusion models, with its sinusoidal time embedding.

The layout of keras-io's DDPM and DDIM examples (after Ho et al., arXiv 2006.11239): residual
blocks with group normalisation and swish, the embedding of the step (and of the class)
added in every block, strided convolutions down and nearest-neighbour upsampling back.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from toolkit.builders._common import initializer
from toolkit.builders.options import activation as activation_fn


@keras.saving.register_keras_serializable(package="toolkit")
class TimeEmbedding(layers.Layer):
    """Sinusoidal embedding of the diffusion step t (Vaswani et al.'s positions, as in Ho et
    al.): ``(batch, 1)`` -> ``(batch, dim)``, half sines and half cosines over frequencies
    from 1 to 1/10,000."""

    def __init__(self, dim: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)

    def call(self, t):
        half = self.dim // 2
        frequencies = ops.exp(-math.log(10_000.0) * ops.arange(half, dtype="float32") / max(half - 1, 1))
        angles = ops.cast(ops.reshape(t, (-1, 1)), "float32") * frequencies[None, :]
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * (self.dim // 2))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def _groups(groups, channels):
    """The largest count of groups up to ``groups`` that divides ``channels``."""
    return math.gcd(groups, channels)


def _residual_block(x, embedding, width, name, act, kernel, groups):
    skip = x if x.shape[-1] == width else layers.Conv2D(width, 1, name=f"{name}_skip", kernel_initializer=kernel)(x)
    h = layers.GroupNormalization(groups=_groups(groups, x.shape[-1]), name=f"{name}_norm_1")(x)
    h = layers.Activation(act, name=f"{name}_act_1")(h)
    h = layers.Conv2D(width, 3, padding="same", name=f"{name}_conv_1", kernel_initializer=kernel)(h)
    step = layers.Dense(width, name=f"{name}_time")(embedding)
    h = layers.Add(name=f"{name}_add_time")([h, layers.Reshape((1, 1, width), name=f"{name}_time_map")(step)])
    h = layers.GroupNormalization(groups=_groups(groups, width), name=f"{name}_norm_2")(h)
    h = layers.Activation(act, name=f"{name}_act_2")(h)
    h = layers.Conv2D(width, 3, padding="same", name=f"{name}_conv_2", kernel_initializer=kernel)(h)
    return layers.Add(name=f"{name}_out")([h, skip])


def unet(image_shape=(28, 28, 1), widths=(32, 64, 128), embedding_dim: int = 64, classes: int | None = None,
         activation: str = "swish", kernel_initializer: str = "glorot_uniform", groups: int = 8,
         name: str = "unet") -> keras.Model:
    """The noise-prediction U-Net: ``{"x": (batch, H, W, C), "t": (batch, 1)[, "label": (batch, 1)]}``
    -> the predicted noise ``(batch, H, W, C)``.

    One residual block per resolution on the way down (halving the size by a strided
    convolution between them), one in the middle, and on the way up nearest-neighbour
    upsampling, the skip connection concatenated and one residual block; the time (and
    class) embedding enters every block.

    Args:
        image_shape: ``(height, width, channels)``; height and width divisible by
            ``2 ** (len(widths) - 1)``. Defaults to (28, 28, 1).
        widths: Channels at each resolution. Defaults to (32, 64, 128).
        embedding_dim: Size of the sinusoidal time embedding. Defaults to 64.
        classes: Number of classes for class-conditional sampling. Defaults to None.
        activation: Defaults to ``"swish"`` (keras-io's and Ho et al.'s).
        kernel_initializer: The convolutions' initializer. Defaults to ``"glorot_uniform"``.
        groups: Group-normalisation groups (fewer where a width is not a multiple: the
            largest divisor of the width up to this). Defaults to 8.
        name: Defaults to ``"unet"``.

    Returns:
        An uncompiled functional model (the :class:`~toolkit.builders.diffusion.DDPM` trains it).

    Example:
        >>> unet(image_shape=(8, 8, 1), widths=(8, 16), embedding_dim=8).output_shape
        (None, 8, 8, 1)
    """
    act = activation_fn(activation)
    kernel = initializer(kernel_initializer)
    x_in = keras.Input(shape=tuple(image_shape), name="x")
    t_in = keras.Input(shape=(1,), name="t")
    inputs = {"x": x_in, "t": t_in}
    embedding = TimeEmbedding(embedding_dim, name="time_embedding")(t_in)
    if classes:
        label_in = keras.Input(shape=(1,), dtype="int32", name="label")
        inputs["label"] = label_in
        label = layers.Flatten(name="label_flat")(layers.Embedding(classes, embedding_dim, name="label_embedding")(label_in))
        embedding = layers.Add(name="time_and_label")([embedding, label])
    embedding = layers.Dense(4 * embedding_dim, activation=act, name="embedding_dense_1")(embedding)
    embedding = layers.Dense(4 * embedding_dim, name="embedding_dense_2")(embedding)

    h = layers.Conv2D(widths[0], 3, padding="same", name="stem", kernel_initializer=kernel)(x_in)
    skips = []
    for level, width in enumerate(widths):
        h = _residual_block(h, embedding, width, f"down_{level}", act, kernel, groups)
        skips.append(h)
        if level < len(widths) - 1:
            h = layers.Conv2D(width, 3, strides=2, padding="same", name=f"downsample_{level}",
                              kernel_initializer=kernel)(h)
    h = _residual_block(h, embedding, widths[-1], "middle", act, kernel, groups)
    for level in reversed(range(len(widths))):
        if level < len(widths) - 1:
            h = layers.UpSampling2D(2, interpolation="nearest", name=f"upsample_{level}")(h)
            h = layers.Conv2D(widths[level], 3, padding="same", name=f"upsample_conv_{level}",
                              kernel_initializer=kernel)(h)
        h = layers.Concatenate(name=f"skip_{level}")([h, skips[level]])
        h = _residual_block(h, embedding, widths[level], f"up_{level}", act, kernel, groups)
    h = layers.GroupNormalization(groups=_groups(groups, widths[0]), name="head_norm")(h)
    h = layers.Activation(act, name="head_act")(h)
    noise = layers.Conv2D(image_shape[-1], 3, padding="same", kernel_initializer="zeros", name="noise")(h)
    return keras.Model(inputs, noise, name=name)
