"""Normalizing flows: RealNVP's affine coupling layers, an exact likelihood, sampling by inversion.

A flow maps data x to a code z = f(x) of the same size through invertible layers whose
Jacobian determinant is cheap, so the density is exact (Dinh, Sohl-Dickstein and Bengio,
"Density estimation using Real NVP", ICLR 2017, arXiv 1605.08803)::

    log p(x) = log N(f(x); 0, I) + log |det df/dx|

Each affine coupling layer keeps the entries a binary mask selects and moves the others by a
scale and a shift computed from the kept ones::

    y = m * x + (1 - m) * (x * exp(s(m * x)) + t(m * x)),   log |det| = sum((1 - m) * s)

so its inverse needs no inversion of ``s`` or ``t``. Masks alternate (a checkerboard over an
image, odd and even entries of a vector, then halves) so that every entry is moved. The
layout follows keras-io's "Density estimation using Real NVP" (two moons, 6 coupling layers);
the logit pre-processing and the dequantisation of pixels follow the paper (section 4.1).
Bianco's notes list "Normalizing Flows" among the generative families.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from toolkit.builders._common import (
    check_choice, check_dense_options, check_output_and_loss, check_positive_int, check_units, dense_kwargs,
    make_optimizer,
)
from toolkit.builders.registry import register
from toolkit.builders.steps import SteppedModel

PREPROCESSING = ("none", "logit")
#: Bound of each coupling's log-scale (soft clamp): a factor of at most e^3 per layer.
SCALE_CLAMP = 3.0
LOG_2PI = math.log(2 * math.pi)


def standard_normal_log_prob(z):
    """Sum over the last axis of log N(z; 0, 1): one value per row."""
    return -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=-1)


def coupling_masks(dim: int, count: int, image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """``count`` binary masks of length ``dim``: a checkerboard (images) or odd/even entries
    (vectors), its complement, then the first half and its complement, repeating.

    Each mask is followed by its complement, so two consecutive layers move every entry.

    Args:
        dim: Length of the (flattened) input.
        count: Number of masks, one per coupling layer.
        image_shape: ``(height, width)`` of a flattened one-channel image, for a spatial
            checkerboard. Defaults to None (a vector).

    Returns:
        A ``(count, dim)`` float32 array of zeros and ones.
    """
    if image_shape is not None:
        rows, cols = np.indices(image_shape)
        parity = ((rows + cols) % 2).reshape(-1)
    else:
        parity = np.arange(dim) % 2
    halves = (np.arange(dim) < dim // 2).astype(int)
    patterns = [parity, 1 - parity, halves, 1 - halves] if dim > 2 else [parity, 1 - parity]
    return np.stack([patterns[k % len(patterns)] for k in range(count)]).astype("float32")


@keras.saving.register_keras_serializable(package="toolkit")
class AffineCoupling(layers.Layer):
    """One RealNVP affine coupling layer over vectors of ``len(mask)`` values.

    Args:
        mask: The entries kept (1) and moved (0).
        hidden_units: Layers of the network that gives the scale and the shift.
        activation: Its hidden activation. Defaults to ``"relu"``.
        kernel_initializer: Its hidden layers' initializer. Defaults to ``"glorot_uniform"``.

    The log-scale is soft-clamped, s = 3 tanh(a / 3) of a linear output a (bounded for
    stability, as the paper's implementation bounds it with a tanh, but nearly linear where
    it is small); both output layers start at zero, so a new layer is the identity (as in
    Glow).
    """

    def __init__(self, mask, hidden_units=(256, 256), activation="relu", kernel_initializer="glorot_uniform",
                 **kwargs):
        super().__init__(**kwargs)
        self.mask_values = [float(v) for v in np.asarray(mask).reshape(-1)]
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.activation_name = activation
        self.kernel_initializer_name = kernel_initializer
        dim = len(self.mask_values)
        hidden = dense_kwargs(activation, kernel_initializer)
        self.hidden = [layers.Dense(units, name=f"hidden_{i}", **hidden) for i, units in enumerate(self.hidden_units, 1)]
        self.scale_layer = layers.Dense(dim, kernel_initializer="zeros", name="log_scale")
        self.shift_layer = layers.Dense(dim, kernel_initializer="zeros", name="shift")

    def build(self, input_shape):
        dim = len(self.mask_values)
        shape = (None, dim)
        for layer in self.hidden:
            layer.build(shape)
            shape = (None, layer.units)
        self.scale_layer.build(shape)
        self.shift_layer.build(shape)
        self.built = True

    def _scale_shift(self, kept):
        h = kept
        for layer in self.hidden:
            h = layer(h)
        moved = 1.0 - ops.convert_to_tensor(self.mask_values, dtype=kept.dtype)
        log_scale = SCALE_CLAMP * ops.tanh(self.scale_layer(h) / SCALE_CLAMP)
        return moved * log_scale, moved * self.shift_layer(h)

    def call(self, x):
        """``(y, log_det)``: the forward map and log |det dy/dx| per row."""
        mask = ops.convert_to_tensor(self.mask_values, dtype=x.dtype)
        s, t = self._scale_shift(x * mask)
        return x * mask + (1.0 - mask) * (x * ops.exp(s) + t), ops.sum(s, axis=-1)

    def inverse(self, y):
        mask = ops.convert_to_tensor(self.mask_values, dtype=y.dtype)
        s, t = self._scale_shift(y * mask)
        return y * mask + (1.0 - mask) * (y - t) * ops.exp(-s)

    def get_config(self):
        return {**super().get_config(), "mask": self.mask_values, "hidden_units": list(self.hidden_units),
                "activation": self.activation_name, "kernel_initializer": self.kernel_initializer_name}


@keras.saving.register_keras_serializable(package="toolkit")
class CouplingFlow(layers.Layer):
    """A stack of :class:`AffineCoupling` layers with alternating masks: x -> (z, log |det|).

    Used alone by :class:`RealNVP` and as the learned prior of a VAE's latent space.

    Args:
        dim: Size of the vectors.
        coupling_layers: How many coupling layers. Defaults to 6 (keras-io's two moons).
        hidden_units: Each layer's scale-and-shift network. Defaults to (256, 256).
        activation: Defaults to ``"relu"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        image_shape: ``(height, width)`` for checkerboard masks. Defaults to None.
    """

    def __init__(self, dim, coupling_layers=6, hidden_units=(256, 256), activation="relu",
                 kernel_initializer="glorot_uniform", image_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)
        self.coupling_layers = int(coupling_layers)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.activation_name = activation
        self.kernel_initializer_name = kernel_initializer
        self.image_shape = None if image_shape is None else tuple(int(s) for s in image_shape)
        masks = coupling_masks(self.dim, self.coupling_layers, self.image_shape)
        self.couplings = [AffineCoupling(mask, self.hidden_units, activation, kernel_initializer, name=f"coupling_{i}")
                          for i, mask in enumerate(masks, 1)]

    def build(self, input_shape=None):
        for coupling in self.couplings:
            if not coupling.built:
                coupling.build((None, self.dim))
        self.built = True

    def call(self, x):
        log_det = ops.zeros(ops.shape(x)[:1], dtype=x.dtype)
        for coupling in self.couplings:
            x, step = coupling(x)
            log_det = log_det + step
        return x, log_det

    def inverse(self, z):
        for coupling in reversed(self.couplings):
            z = coupling.inverse(z)
        return z

    def log_prob(self, x):
        """log p(x) per row under the flow with a standard normal base."""
        z, log_det = self(x)
        return standard_normal_log_prob(z) + log_det

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "coupling_layers": self.coupling_layers,
                "hidden_units": list(self.hidden_units), "activation": self.activation_name,
                "kernel_initializer": self.kernel_initializer_name,
                "image_shape": None if self.image_shape is None else list(self.image_shape)}


@keras.saving.register_keras_serializable(package="toolkit")
class RealNVP(SteppedModel):
    """A RealNVP density model trained on the exact negative log-likelihood.

    Args:
        flow: The :class:`CouplingFlow`.
        preprocessing: ``"none"`` (real vectors, the likelihood in nats of x) or ``"logit"``
            (pixels in [0, 1] on a grid of ``levels`` values: dequantised with uniform noise
            in training, mapped by logit(alpha + (1 - 2 alpha) x), the paper's
            pre-processing; the likelihood is then of the discrete pixels, reported in bits
            per dimension). Defaults to ``"none"``.
        levels: Grey levels of the pixels. Defaults to 256.
        alpha: The logit's margin. Defaults to 0.05 (the paper's for CIFAR-10 and MNIST).
        seed: Seed of the dequantisation noise. Defaults to None.

    ``call(x)`` returns the code z (deterministic); ``log_prob(x)``, ``bits_per_dim(x)``,
    ``generate(n, seed)`` work on NumPy arrays.
    """

    def __init__(self, flow, preprocessing="none", levels=256, alpha=0.05, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_choice("preprocessing", preprocessing, PREPROCESSING)
        self.flow = flow
        self.preprocessing = preprocessing
        self.levels = int(levels)
        self.alpha = float(alpha)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        if not flow.built:
            flow.build((None, flow.dim))
        self.built = True

    @property
    def dim(self) -> int:
        return self.flow.dim

    @property
    def metrics(self):
        return [self.loss_tracker]

    def check_data(self, x) -> np.ndarray:
        """``x`` as float32 rows of ``dim`` values, or a ValueError saying what is wrong (a wrong
        width; pixels outside [0, 1] for the logit pre-processing)."""
        x = np.asarray(x, "float32")
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != self.dim:
            raise ValueError(f"the flow models rows of {self.dim} values. Received: data of shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("the data hold NaN or infinite values. Received: data with non-finite entries")
        if self.preprocessing == "logit" and (x.min() < 0 or x.max() > 1):
            raise ValueError("the logit pre-processing takes pixels in [0, 1] (divide 0..255 images by 255). "
                             f"Received: values from {x.min():g} to {x.max():g}")
        return x.reshape(len(x), self.dim)

    def fit(self, x=None, *args, **kwargs):
        """Keras's ``fit``, an array checked first (:meth:`check_data`)."""
        if isinstance(x, np.ndarray):
            x = self.check_data(x)
        return super().fit(x, *args, **kwargs)

    def _to_flow_space(self, x, noise):
        """``(y, log |dy/dx|)``: the pre-processed input and the log-determinant of the map
        from dequantised pixels in [0, 1] to y (zero without pre-processing)."""
        if self.preprocessing == "none":
            return x, ops.zeros(ops.shape(x)[:1], dtype=x.dtype)
        dequantised = (x * (self.levels - 1) + noise) / self.levels
        p = self.alpha + (1 - 2 * self.alpha) * dequantised
        y = ops.log(p) - ops.log(1 - p)
        log_det = ops.sum(math.log(1 - 2 * self.alpha) - ops.log(p) - ops.log(1 - p), axis=-1)
        return y, log_det

    def _log_prob(self, x, noise):
        x = ops.reshape(ops.cast(x, "float32"), (-1, self.dim))
        y, pre_log_det = self._to_flow_space(x, noise)
        return self.flow.log_prob(y) + pre_log_det

    def call(self, x):
        """The code z of ``x`` (pixels dequantised at the middle of their bin)."""
        x = ops.reshape(ops.cast(x, "float32"), (-1, self.dim))
        return self.flow(self._to_flow_space(x, 0.5)[0])[0]

    def step(self, data, training):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = ops.reshape(ops.cast(x, "float32"), (-1, self.dim))
        noise = (keras.random.uniform(ops.shape(x), seed=self.seed_generator) if training and
                 self.preprocessing == "logit" else 0.5)

        def loss():
            value = -ops.mean(self._log_prob(x, noise))
            return value, value

        if training:
            weights = self.trainable_weights
            value, _, grads = self.gradients(loss, weights)
            self.apply(self.optimizer, grads, weights)
        else:
            value = loss()[0]
        self.loss_tracker.update_state(value)
        return {"loss": self.loss_tracker.result()}

    # --- NumPy-side evaluation and sampling ---------------------------------------------------
    def log_prob(self, x, seed: int | None = None, batch_size: int = 1000) -> np.ndarray:
        """log density per row, in nats: of x itself (``"none"``) or of the dequantised pixels
        in [0, 1]^D, one uniform draw per pixel with ``seed`` (``"logit"``)."""
        x = self.check_data(x)
        rng = np.random.default_rng(seed)
        out = []
        for start in range(0, len(x), batch_size):
            chunk = x[start:start + batch_size]
            noise = (ops.convert_to_tensor(rng.uniform(size=chunk.shape).astype("float32"))
                     if self.preprocessing == "logit" else 0.5)
            out.append(ops.convert_to_numpy(self._log_prob(ops.convert_to_tensor(chunk), noise)))
        return np.concatenate(out)

    def bits_per_image(self, x, seed: int | None = None) -> np.ndarray:
        """Test negative log-likelihood of each image's pixels in bits per dimension
        (``"logit"`` only): an upper bound on the discrete pixels' NLL (the dequantisation
        bound of Theis et al. 2016), in the unit of the flow and diffusion literature."""
        if self.preprocessing != "logit":
            raise ValueError("bits per dimension apply to pixels; this flow models real vectors. "
                             f"Received: preprocessing={self.preprocessing!r}")
        return -self.log_prob(x, seed) / (self.dim * math.log(2)) + math.log2(self.levels)

    def bits_per_dim(self, x, seed: int | None = None) -> float:
        """The mean of :meth:`bits_per_image` over ``x``."""
        return float(self.bits_per_image(x, seed).mean())

    def generate(self, n: int, seed: int | None = None, temperature: float = 1.0) -> np.ndarray:
        """``n`` samples by inversion of z ~ N(0, temperature^2 I) drawn with ``seed``; pixels
        come back in [0, 1]."""
        check_positive_int("n", n)
        z = (np.random.default_rng(seed).normal(size=(n, self.dim)) * temperature).astype("float32")
        y = ops.convert_to_numpy(self.flow.inverse(ops.convert_to_tensor(z)))
        if self.preprocessing == "none":
            return y
        p = 1 / (1 + np.exp(-np.clip(y, -30, 30)))
        return np.clip((p - self.alpha) / (1 - 2 * self.alpha), 0, 1).astype("float32")

    def get_config(self):
        return {**super().get_config(), "flow": keras.saving.serialize_keras_object(self.flow),
                "preprocessing": self.preprocessing, "levels": self.levels, "alpha": self.alpha, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["flow"] = keras.saving.deserialize_keras_object(config["flow"])
        return cls(**config)


def check_flow(dim, coupling_layers, hidden_units, activation, kernel_initializer, image_shape):
    check_positive_int("dim", dim)
    check_positive_int("coupling_layers", coupling_layers)
    if dim < 2:
        raise ValueError(f"a coupling layer splits its input in two; `dim` must be at least 2. Received: dim={dim}")
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, kernel_initializer, 0.0)
    if image_shape is not None:
        image_shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else (image_shape,)
        if len(image_shape) != 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in image_shape) \
                or int(np.prod(image_shape)) != dim:
            raise ValueError(f"`image_shape` must be (height, width) with height * width = dim. "
                             f"Received: image_shape={image_shape}, dim={dim}")
    return hidden_units, image_shape


@register("realnvp", "generative", "RealNVP normalizing flow: affine couplings, exact likelihood")
def realnvp(dim: int = 2, coupling_layers: int = 6, hidden_units=(256, 256), activation: str = "relu",
            kernel_initializer: str = "glorot_uniform", preprocessing: str = "none",
            image_shape: tuple[int, int] | None = None, levels: int = 256, optimizer="adam",
            learning_rate: float | None = None, momentum: float | None = None, clipnorm: float | None = None,
            clipvalue: float | None = None, global_clipnorm: float | None = None, recipe: str | None = None,
            seed: int | None = None, name: str = "realnvp") -> RealNVP:
    """A compiled :class:`RealNVP` normalizing flow.

    Follows Dinh et al. (arXiv 1605.08803) and keras-io's RealNVP example (6 coupling layers
    on two moons); Bianco's notes name normalizing flows among the generative families.

    Args:
        dim: Size of each sample (2 for the toy data, 784 for 28 x 28 digits).
            Defaults to 2.
        coupling_layers: Affine coupling layers, masks alternating. Defaults to 6.
        hidden_units: Each coupling's scale-and-shift network. Defaults to (256, 256).
        activation: Its hidden activation. Defaults to ``"relu"``.
        kernel_initializer: Its hidden layers' initializer. Defaults to ``"glorot_uniform"``.
        preprocessing: ``"none"`` for real vectors, ``"logit"`` for pixels in [0, 1]
            (dequantised, logit-transformed; likelihood in bits per dimension).
            Defaults to ``"none"``.
        image_shape: ``(height, width)`` of flattened images, for checkerboard masks.
            Defaults to None (odd/even masks).
        levels: Grey levels of the pixels (``"logit"``). Defaults to 256.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        seed: Seed of the dequantisation noise. Defaults to None.
        name: Defaults to ``"realnvp"``.

    Returns:
        A compiled :class:`RealNVP`: ``fit(x)`` minimises the exact negative
        log-likelihood; ``log_prob``, ``bits_per_dim`` and ``generate`` evaluate and sample.

    Raises:
        ValueError: For a size below 2, an unknown option, or an image shape that does not
            match ``dim``.

    Example:
        >>> flow = realnvp(dim=2, hidden_units=(16,))
        >>> flow.generate(5, seed=0).shape
        (5, 2)
    """
    hidden_units, image_shape = check_flow(dim, coupling_layers, hidden_units, activation, kernel_initializer,
                                           image_shape)
    check_choice("preprocessing", preprocessing, PREPROCESSING)
    check_positive_int("levels", levels)
    if levels < 2:
        raise ValueError(f"pixels need at least 2 grey levels. Received: levels={levels}")
    check_output_and_loss("linear", "flow_nll", dim)
    flow = CouplingFlow(dim, coupling_layers, hidden_units, activation, kernel_initializer, image_shape, name="flow")
    model = RealNVP(flow, preprocessing=preprocessing, levels=levels, seed=seed, name=name)
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, momentum=momentum, clipnorm=clipnorm,
                                           clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe))
    return model
