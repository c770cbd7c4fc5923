"""Denoising diffusion (DDPM) with a small U-Net, EMA weights, ancestral and DDIM sampling.

Ho, Jain and Abbeel, "Denoising Diffusion Probabilistic Models" (NeurIPS 2020, arXiv
2006.11239), named in Bianco's notes ("DDPM: Denoising Diffusion Probabilistic Model"):

* the forward process adds Gaussian noise on a linear schedule beta_1 = 1e-4 ... beta_T =
  0.02, T = 1000, and has the closed form q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)
  with abar_t = prod_{s <= t} (1 - beta_s);
* a network eps(x_t, t) learns the added noise by the "simple" loss ||eps - eps(x_t, t)||^2
  at a uniformly drawn t;
* sampling runs the learned reverse process from pure noise (ancestral, T steps), or the
  deterministic DDIM sampler (Song, Meng and Ermon, arXiv 2010.02502) in a few steps;
* weights are averaged (EMA, 0.999) and the average samples.

The layout follows keras-io's DDPM and DDIM examples (U-Net with residual blocks, group
normalisation, swish and a sinusoidal time embedding), sized for 28 x 28 digits on a CPU.
Pixels come in and go out in [0, 1]; the model works in [-1, 1].
"""

from __future__ import annotations

import math
from numbers import Real

import keras
import numpy as np
from keras import ops

from toolkit.builders._common import (
    check_choice, check_dense_options, check_output_and_loss, check_positive_int, check_units, make_optimizer,
)
from toolkit.builders.registry import register
from toolkit.builders.steps import SteppedModel
from toolkit.builders.unet import unet

SAMPLERS = ("ddim", "ddpm")


def linear_schedule(timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> dict:
    """The constants of Ho et al.'s linear schedule, as float64 arrays indexed by t = 0 .. T-1
    (the paper's t = 1 .. T).

    Returns:
        ``beta``, ``alpha`` (1 - beta), ``alpha_bar`` (their running product),
        ``alpha_bar_prev`` (1 at t = 0) and ``posterior_variance`` (beta~_t =
        beta_t (1 - abar_{t-1}) / (1 - abar_t)).
    """
    beta = np.linspace(beta_start, beta_end, timesteps, dtype="float64")
    alpha = 1.0 - beta
    alpha_bar = np.cumprod(alpha)
    alpha_bar_prev = np.r_[1.0, alpha_bar[:-1]]
    return {"beta": beta, "alpha": alpha, "alpha_bar": alpha_bar, "alpha_bar_prev": alpha_bar_prev,
            "posterior_variance": beta * (1 - alpha_bar_prev) / (1 - alpha_bar)}


@keras.saving.register_keras_serializable(package="toolkit")
class DDPM(SteppedModel):
    """A denoising diffusion model around a noise-prediction network, with EMA weights.

    Args:
        network: Model from ``{"x", "t"[, "label"]}`` to the predicted noise.
        timesteps: T. Defaults to 1000.
        beta_start: Defaults to 1e-4.
        beta_end: Defaults to 0.02.
        ema: Decay of the weights' exponential moving average (warmed up as
            min(ema, (1 + n) / (10 + n)) when n steps are done). Defaults to 0.999.
        seed: Seed of the training noise and steps. Defaults to None.

    ``fit(images)`` (pixels in [0, 1], ``(n, H, W, C)``; a dict ``{"x": images, "label":
    classes}`` for a conditional network) trains on the simple loss; ``generate`` samples
    with the EMA weights; ``nll_bound`` gives the test variational bound in bits per
    dimension; ``call`` predicts the noise with the EMA weights.
    """

    def __init__(self, network, timesteps=1000, beta_start=1e-4, beta_end=0.02, ema=0.999, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.ema_network = keras.models.clone_model(network)
        self.ema_network.set_weights(network.get_weights())
        self.ema_network.trainable = False
        self.timesteps = int(timesteps)
        self.beta_start = float(beta_start)
        self.beta_end = float(beta_end)
        self.ema = float(ema)
        self.seed = seed
        self.schedule = linear_schedule(self.timesteps, self.beta_start, self.beta_end)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True

    @property
    def conditional(self) -> bool:
        return "label" in self.network.input

    @property
    def image_shape(self) -> tuple:
        return tuple(self.network.input["x"].shape[1:])

    @property
    def metrics(self):
        return [self.loss_tracker]

    def q_sample(self, x0, t, noise):
        """x_t from the closed form q(x_t | x_0): sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise.

        Args:
            x0: Clean images in [-1, 1], ``(batch, H, W, C)``.
            t: Steps 0 .. T-1, ``(batch,)`` integers.
            noise: Standard normal, shaped as ``x0``.
        """
        abar = ops.take(ops.convert_to_tensor(self.schedule["alpha_bar"], "float32"), t)
        abar = ops.reshape(abar, (-1,) + (1,) * (len(x0.shape) - 1))
        return ops.sqrt(abar) * x0 + ops.sqrt(1.0 - abar) * noise

    def check_images(self, images) -> np.ndarray:
        """``images`` as float32 ``(n, H, W, C)`` pixels in [0, 1], or a ValueError saying what is wrong."""
        images = np.asarray(images, "float32")
        if images.shape[1:] != self.image_shape:
            raise ValueError(f"the model takes images of shape (n, {', '.join(map(str, self.image_shape))}). "
                             f"Received: images of shape {images.shape}")
        if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
            raise ValueError("pixels must lie in [0, 1] (divide 0..255 images by 255). Received: values from "
                             f"{np.nanmin(images):g} to {np.nanmax(images):g}")
        return images

    def check_labels(self, labels, n) -> np.ndarray:
        """Whole class numbers 0 .. classes-1, one per image, or a ValueError."""
        classes = int(self.network.get_layer("label_embedding").input_dim)
        labels = np.asarray(labels)
        if labels.ndim > 1 and labels.shape[1:] != (1,):
            raise ValueError(f"`labels` must be class numbers, one per image (not one-hot). Received: shape {labels.shape}")
        labels = labels.reshape(-1)
        whole = labels.dtype.kind in "iu" or (labels.dtype.kind == "f" and np.all(labels == np.round(labels)))
        if len(labels) != n or not whole or labels.min() < 0 or labels.max() >= classes:
            raise ValueError(f"`labels` must hold {n} whole classes from 0 to {classes - 1}. "
                             f"Received: {labels[:10]!r}")
        return labels.astype("int32")

    def fit(self, x=None, *args, **kwargs):
        """Keras's ``fit``; arrays are checked first: images (or ``{"x": images, "label":
        classes}`` for a conditional model)."""
        if isinstance(x, dict) and "x" in x and isinstance(x["x"], np.ndarray):
            if not self.conditional or "label" not in x:
                raise ValueError("a dict of inputs is for a conditional model: {'x': images, 'label': classes}. "
                                 f"Received: keys {sorted(x)}, conditional={self.conditional}")
            images = self.check_images(x["x"])
            x = {"x": images, "label": self.check_labels(x["label"], len(images))}
        elif isinstance(x, np.ndarray):
            if self.conditional:
                raise ValueError("this model is class-conditional: fit it on {'x': images, 'label': classes}. "
                                 "Received: images alone")
            x = self.check_images(x)
        return super().fit(x, *args, **kwargs)

    def _split(self, data):
        inputs, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(inputs, dict):
            return inputs["x"], inputs.get("label")
        return inputs, None

    def call(self, inputs):
        """The EMA network's predicted noise for ``{"x": x_t, "t": t[, "label"]}``."""
        return self.ema_network(inputs)

    def step(self, data, training):
        images, labels = self._split(data)
        x0 = ops.cast(images, "float32") * 2.0 - 1.0
        batch = ops.shape(x0)[0]
        t = keras.random.randint((batch,), 0, self.timesteps, seed=self.seed_generator)
        noise = keras.random.normal(ops.shape(x0), seed=self.seed_generator)
        inputs = {"x": self.q_sample(x0, t, noise), "t": ops.reshape(ops.cast(t, "float32"), (-1, 1))}
        if labels is not None:
            inputs["label"] = ops.reshape(ops.cast(labels, "int32"), (-1, 1))

        def loss():
            value = ops.mean(ops.square(noise - self.network(inputs, training=training)))
            return value, value

        if training:
            weights = self.network.trainable_weights
            value, _, grads = self.gradients(loss, weights)
            self.apply(self.optimizer, grads, weights)
            self._update_ema()
        else:
            value = loss()[0]
        self.loss_tracker.update_state(value)
        return {"loss": self.loss_tracker.result()}

    def _update_ema(self):
        steps = ops.cast(self.optimizer.iterations, "float32")
        decay = ops.minimum(self.ema, (1.0 + steps) / (10.0 + steps))

        def update():
            for average, weight in zip(self.ema_network.weights, self.network.weights):
                average.assign(decay * average + (1.0 - decay) * weight)

        if keras.backend.backend() == "torch":
            import torch

            with torch.no_grad():
                update()
        else:
            update()

    # --- sampling and likelihood (NumPy-driven loops over the steps) ---------------------------
    def _predict_noise(self, x, t, labels):
        inputs = {"x": x.astype("float32"), "t": np.full((len(x), 1), t, "float32")}
        if self.conditional:
            inputs["label"] = labels.reshape(-1, 1).astype("int32")
        return np.asarray(self.ema_network.predict_on_batch(inputs), dtype="float64")

    def _labels(self, n, labels):
        if not self.conditional:
            if labels is not None:
                raise ValueError("this diffusion model is unconditional; build it with `classes` to sample "
                                 "given labels. Received: labels")
            return None
        classes = int(self.network.get_layer("label_embedding").input_dim)
        return np.arange(n) % classes if labels is None else self.check_labels(labels, n)

    def generate(self, n: int, seed: int | None = None, steps: int | None = None, sampler: str = "ddim",
                 labels=None, batch_size: int = 500) -> np.ndarray:
        """``n`` images in [0, 1], ``(n, H, W, C)``, from the EMA weights.

        Args:
            n: How many.
            seed: Seed of the starting noise (and of the ancestral sampler's noise).
                Defaults to None.
            steps: DDIM steps, evenly spaced over T (the ancestral sampler always takes T).
                Defaults to None: 50, or T if smaller.
            sampler: ``"ddim"`` (deterministic, eta = 0) or ``"ddpm"`` (ancestral, Ho et al.'s
                algorithm 2 with the posterior variance). Defaults to ``"ddim"``.
            labels: Classes to draw, for a conditional model. Defaults to None
                (cycling through the classes).
            batch_size: Images denoised together. Defaults to 500.

        Raises:
            ValueError: For an unknown sampler, steps outside 1 .. T, or labels for an
                unconditional model.
        """
        check_choice("sampler", sampler, SAMPLERS)
        check_positive_int("n", n)
        check_positive_int("batch_size", batch_size)
        if steps is None:
            steps = min(50, self.timesteps)
        if sampler == "ddim" and (isinstance(steps, bool) or not isinstance(steps, int)
                                  or not 1 <= steps <= self.timesteps):
            raise ValueError(f"`steps` must be a whole number from 1 to {self.timesteps}. Received: steps={steps!r}")
        labels = self._labels(n, labels)
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n,) + self.image_shape)
        out = []
        for start in range(0, n, batch_size):
            chunk = slice(start, start + batch_size)
            chunk_labels = None if labels is None else labels[chunk]
            if sampler == "ddim":
                out.append(self._ddim(x[chunk], steps, chunk_labels))
            else:
                out.append(self._ancestral(x[chunk], chunk_labels, rng))
        return ((np.concatenate(out) + 1) / 2).clip(0, 1).astype("float32")

    def _ddim(self, x, steps, labels):
        abar = self.schedule["alpha_bar"]
        times = np.linspace(self.timesteps - 1, 0, steps).round().astype(int)
        for index, t in enumerate(times):
            x0 = self._predicted_x0(x, t, labels)
            if index == len(times) - 1:
                return x0
            eps = (x - np.sqrt(abar[t]) * x0) / np.sqrt(1 - abar[t])  # consistent with the clipped x0
            previous = abar[times[index + 1]]
            x = np.sqrt(previous) * x0 + np.sqrt(1 - previous) * eps
        return x

    def _posterior_mean(self, x, x0, t):
        s = self.schedule
        coef_x0 = s["beta"][t] * np.sqrt(s["alpha_bar_prev"][t]) / (1 - s["alpha_bar"][t])
        coef_xt = (1 - s["alpha_bar_prev"][t]) * np.sqrt(s["alpha"][t]) / (1 - s["alpha_bar"][t])
        return coef_x0 * x0 + coef_xt * x

    def _predicted_x0(self, x, t, labels):
        abar = self.schedule["alpha_bar"][t]
        eps = self._predict_noise(x, t, labels)
        return ((x - np.sqrt(1 - abar) * eps) / np.sqrt(abar)).clip(-1, 1)

    def _ancestral(self, x, labels, rng):
        for t in range(self.timesteps - 1, -1, -1):
            mean = self._posterior_mean(x, self._predicted_x0(x, t, labels), t)
            x = mean if t == 0 else mean + np.sqrt(self.schedule["posterior_variance"][t]) * rng.normal(size=x.shape)
        return x

    def nll_bound(self, images, seed: int | None = None, draws: int = 4, labels=None, levels: int = 256) -> tuple:
        """Test negative log-likelihood bound of discrete pixels, in bits per dimension.

        Ho et al.'s variational bound L_T + sum_{t>=2} L_{t-1} + L_0 (eq. 5) with reverse
        variances sigma_t^2 = beta~_t (beta_1 at t = 1) and their discretised Gaussian decoder
        for L_0 (eq. 13), the sum over t estimated without bias from ``draws`` steps per
        image drawn by stratified sampling (Nichol and Dhariwal's estimator).

        Args:
            images: Pixels on the grid k / (levels - 1), ``(n, H, W, C)``.
            seed: Seed of the steps and noise drawn. Defaults to None.
            draws: Steps per image. Defaults to 4.
            labels: The images' classes, required for a conditional model. Defaults to None.
            levels: Grey levels. Defaults to 256.

        Raises:
            ValueError: For images of another shape or outside [0, 1], draws or levels that are
                not whole numbers (levels at least 2), or a conditional model without labels.

        Returns:
            ``(bits_per_dim, standard_error)`` over the images.
        """
        from scipy.special import log_ndtr

        check_positive_int("draws", draws)
        check_positive_int("levels", levels)
        if levels < 2:
            raise ValueError(f"pixels need at least 2 grey levels. Received: levels={levels}")
        s = self.schedule
        T = self.timesteps
        x0 = self.check_images(images).astype("float64") * 2 - 1
        n, dims = len(x0), int(np.prod(self.image_shape))
        if self.conditional and labels is None:
            raise ValueError("a conditional model's likelihood is of images given their classes: pass `labels`. "
                             "Received: labels=None")
        labels = None if labels is None else self._labels(n, labels)
        rng = np.random.default_rng(seed)
        prior = 0.5 * (s["alpha_bar"][-1] * (x0 ** 2) + (1 - s["alpha_bar"][-1]) - 1
                       - np.log(1 - s["alpha_bar"][-1])).reshape(n, -1).sum(1)  # KL(q(x_T|x_0) || N(0, I))
        total = np.zeros(n)
        half_bin = 1.0 / (levels - 1)
        for k in range(draws):
            # One step per image in each of ``draws`` equal strata of 1 .. T (0-based t here).
            t = np.floor((k + rng.uniform(size=n)) * T / draws).astype(int).clip(0, T - 1)
            noise = rng.normal(size=x0.shape)
            xt = np.sqrt(s["alpha_bar"][t]).reshape(-1, 1, 1, 1) * x0 + \
                np.sqrt(1 - s["alpha_bar"][t]).reshape(-1, 1, 1, 1) * noise
            term = np.zeros(n)
            for step in np.unique(t):
                rows = t == step
                x0_hat = self._predicted_x0(xt[rows], step, None if labels is None else labels[rows])
                mean = self._posterior_mean(xt[rows], x0_hat, step)
                if step == 0:  # L_0: the discretised Gaussian decoder of sd sqrt(beta_1)
                    sd = math.sqrt(s["beta"][0])
                    target = x0[rows]
                    upper = np.where(target > 1 - 1e-6, 0.0, log_ndtr((target + half_bin - mean) / sd))
                    lower_cdf = np.where(target < -1 + 1e-6, -np.inf, log_ndtr((target - half_bin - mean) / sd))
                    log_mass = upper + np.log1p(-np.exp(np.minimum(lower_cdf - upper, -1e-12)))
                    term[rows] = -log_mass.reshape(rows.sum(), -1).sum(1)
                else:
                    true_mean = self._posterior_mean(xt[rows], x0[rows], step)
                    term[rows] = ((true_mean - mean) ** 2).reshape(rows.sum(), -1).sum(1) / \
                        (2 * s["posterior_variance"][step])
            total += term * T / draws
        nats = prior + total
        bits = nats / (dims * math.log(2))
        return float(bits.mean()), float(bits.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")

    def get_config(self):
        return {**super().get_config(), "network": keras.saving.serialize_keras_object(self.network),
                "timesteps": self.timesteps, "beta_start": self.beta_start, "beta_end": self.beta_end,
                "ema": self.ema, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)


@register("ddpm", "generative", "DDPM: U-Net noise predictor, EMA weights, ancestral and DDIM sampling")
def ddpm(image_shape=(28, 28, 1), widths=(32, 64, 128), embedding_dim: int = 64, classes: int | None = None,
         timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02, ema: float = 0.999,
         activation: str = "swish", kernel_initializer: str = "glorot_uniform", optimizer="adam",
         learning_rate: float | None = 2e-4, momentum: float | None = None, clipnorm: float | None = None,
         clipvalue: float | None = None, global_clipnorm: float | None = None, recipe: str | None = None,
         seed: int | None = None, name: str = "ddpm") -> DDPM:
    """A compiled :class:`DDPM`: a U-Net that predicts the noise, trained on Ho et al.'s loss.

    Follows Ho, Jain and Abbeel (arXiv 2006.11239; Bianco's notes) and keras-io's DDPM and
    DDIM examples, at a size that trains on 28 x 28 digits on a CPU.

    Args:
        image_shape: ``(height, width, channels)``, pixels in [0, 1]; height and width
            divisible by ``2 ** (len(widths) - 1)``. Defaults to (28, 28, 1).
        widths: U-Net channels at each resolution. Defaults to (32, 64, 128).
        embedding_dim: Size of the sinusoidal time embedding. Defaults to 64.
        classes: Number of classes, for class-conditional sampling (fit on ``{"x": images,
            "label": classes}``). Defaults to None (unconditional).
        timesteps: T. Defaults to 1000.
        beta_start: beta_1 of the linear schedule. Defaults to 1e-4.
        beta_end: beta_T. Defaults to 0.02.
        ema: Decay of the sampling weights' moving average. Defaults to 0.999.
        activation: The U-Net's activation. Defaults to ``"swish"``.
        kernel_initializer: The convolutions' initializer. Defaults to ``"glorot_uniform"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to 2e-4 (Ho et al.'s). None: the optimiser's own rate.
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        seed: Seed of the training noise. Defaults to None.
        name: Defaults to ``"ddpm"``.

    Returns:
        A compiled :class:`DDPM`.

    Raises:
        ValueError: For sizes that do not halve evenly, a schedule outside 0 < beta_start <
            beta_end < 1, an EMA decay outside [0, 1), or an unknown option.

    Example:
        >>> model = ddpm(image_shape=(8, 8, 1), widths=(8, 16), timesteps=50)
        >>> model.generate(2, seed=0, steps=5).shape
        (2, 8, 8, 1)
    """
    image_shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else (image_shape,)
    if len(image_shape) != 3 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in image_shape):
        raise ValueError(f"`image_shape` must be (height, width, channels). Received: image_shape={image_shape!r}")
    widths = check_units("widths", widths)
    factor = 2 ** (len(widths) - 1)
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(f"height and width must be divisible by 2 ** (len(widths) - 1) = {factor}. "
                         f"Received: image_shape={image_shape}, widths={widths}")
    check_positive_int("embedding_dim", embedding_dim)
    if embedding_dim < 2 or embedding_dim % 2:
        raise ValueError(f"`embedding_dim` must be an even number of at least 2 (half sines, half cosines). "
                         f"Received: embedding_dim={embedding_dim}")
    check_positive_int("timesteps", timesteps)
    if classes is not None:
        check_positive_int("classes", classes)
    if any(isinstance(b, bool) or not isinstance(b, Real) for b in (beta_start, beta_end)) \
            or not 0 < beta_start < beta_end < 1:
        raise ValueError(f"the schedule needs 0 < beta_start < beta_end < 1. Received: beta_start={beta_start}, "
                         f"beta_end={beta_end}")
    if isinstance(ema, bool) or not isinstance(ema, (int, float)) or not 0 <= ema < 1:
        raise ValueError(f"`ema` must lie in [0, 1). Received: ema={ema!r}")
    check_dense_options(activation, kernel_initializer, 0.0)
    check_output_and_loss("linear", "ddpm_noise_mse", image_shape[-1])
    network = unet(image_shape, widths, embedding_dim, classes, activation, kernel_initializer, name="unet")
    model = DDPM(network, timesteps=timesteps, beta_start=beta_start, beta_end=beta_end, ema=ema, seed=seed, name=name)
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, momentum=momentum, clipnorm=clipnorm,
                                           clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe))
    return model
