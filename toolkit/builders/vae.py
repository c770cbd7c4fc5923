"""Variational autoencoders: the tutorial's Gaussian decoder (or a Bernoulli one for images),
and a conditional VAE on any input vector.

Raissi's tutorial models the decoder p(y|z) as N(mu(z), Sigma(z)) with mu and a diagonal
Sigma each given by a network, and trains on the negative log-likelihood plus the KL
divergence of the encoder's q(z|y) from N(0, I); its conditional VAE does the same with
p(y|x, z) and q(z|x, y) for an input x. Both own their training step, written once for
TensorFlow, JAX and PyTorch (:mod:`toolkit.builders.steps`), and save and load with
``keras.models.load_model``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from toolkit.builders._common import (
    check_choice, check_dense_options, check_nonnegative, check_output_and_loss, check_positive_int, check_units,
    dense_kwargs, make_optimizer,
)
from toolkit.builders.registry import register
from toolkit.builders.steps import SteppedModel

RECONSTRUCTIONS = ("gaussian", "binary_crossentropy", "mse")
#: Floor of the decoder's log-variance in the likelihood (variance >= 4.5e-5): without it a
#: feature that never varies (a border pixel) drives its variance, and the loss, to -inf.
MIN_LOG_VARIANCE = -10.0


def gaussian_log_likelihood(y, mean, log_var):
    """Sum over features of log N(y; mean, exp(log_var)), one value per sample."""
    log_var = ops.maximum(log_var, MIN_LOG_VARIANCE)
    per_value = -0.5 * (math.log(2 * math.pi) + log_var + ops.square(y - mean) * ops.exp(-log_var))
    return ops.sum(ops.reshape(per_value, (ops.shape(per_value)[0], -1)), axis=1)


@keras.saving.register_keras_serializable(package="toolkit")
class Sampling(layers.Layer):
    """Reparameterisation: z = mean + exp(log_var / 2) * eps, eps ~ N(0, I)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="toolkit")
class VAE(SteppedModel):
    """Variational autoencoder trained on reconstruction + beta * KL, each tracked alone.

    Args:
        encoder: Model from inputs to ``[z_mean, z_log_var]``.
        decoder: Model from ``z`` to ``[mean, log_var]`` (Gaussian) or to the reconstruction.
        reconstruction: The decoder's likelihood: ``"gaussian"`` (negative log-likelihood
            with a learned diagonal variance, the tutorial's), ``"binary_crossentropy"``
            (Bernoulli pixels in [0, 1]) or ``"mse"`` (squared error: a Gaussian of fixed
            variance); summed over features, averaged over the batch. Defaults to
            ``"gaussian"``.
        beta: Weight of the KL term. Defaults to 1.
        seed: Seed of the sampling noise. Defaults to None.
    """

    def __init__(self, encoder, decoder, reconstruction="gaussian", beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_choice("reconstruction", reconstruction, RECONSTRUCTIONS)
        check_nonnegative("beta", beta)
        self.encoder = encoder
        self.decoder = decoder
        self.reconstruction = reconstruction
        self.beta = float(beta)
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True

    @property
    def latent_dim(self) -> int:
        return int(self.encoder.outputs[0].shape[-1])

    @property
    def gaussian(self) -> bool:
        return self.reconstruction == "gaussian"

    @property
    def metrics(self):
        return [self.total_tracker, self.reconstruction_tracker, self.kl_tracker]

    # The hooks a conditional model overrides.
    def _encode(self, inputs, training=False):
        return self.encoder(inputs, training=training)

    def _decoder_inputs(self, z, inputs):
        return z

    def _target(self, inputs):
        return inputs

    def _decode(self, z, inputs, training=False):
        """``(mean, log_var)``; ``log_var`` is None for the Bernoulli and MSE decoders."""
        output = self.decoder(self._decoder_inputs(z, inputs), training=training)
        return (output[0], output[1]) if self.gaussian else (output, None)

    def call(self, inputs, training=False):
        """Reconstruction (the decoder's mean) from the posterior mean: deterministic."""
        z_mean, _ = self._encode(inputs, training)
        return self._decode(z_mean, inputs, training)[0]

    def _kl(self, z, z_mean, z_log_var):
        """KL(q(z|x) || p(z)) per sample: closed form against the N(0, I) prior."""
        return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)

    def _sample_terms(self, inputs, training):
        """Reconstruction (negative log-likelihood) and KL terms, one value per sample, and the
        code ``(z, z_mean, z_log_var)`` they were computed at."""
        z_mean, z_log_var = self._encode(inputs, training)
        z = self.sampling([z_mean, z_log_var])
        mean, log_var = self._decode(z, inputs, training)
        target = ops.reshape(ops.cast(self._target(inputs), mean.dtype), ops.shape(mean))
        if self.gaussian:
            reconstruction = -gaussian_log_likelihood(target, mean, log_var)
        else:
            if self.reconstruction == "binary_crossentropy":
                p = ops.clip(mean, 1e-7, 1 - 1e-7)
                per_value = -(target * ops.log(p) + (1 - target) * ops.log(1 - p))
            else:
                per_value = ops.square(target - mean)
            reconstruction = ops.sum(ops.reshape(per_value, (ops.shape(per_value)[0], -1)), axis=1)
        return reconstruction, self._kl(z, z_mean, z_log_var), (z, z_mean, z_log_var)

    def _loss_terms(self, inputs, training):
        """``(objective, reconstruction, kl)``: batch means; the objective is what training minimises."""
        reconstruction, kl, _ = self._sample_terms(inputs, training)
        reconstruction, kl = ops.mean(reconstruction), ops.mean(kl)
        return reconstruction + self.beta * kl, reconstruction, kl

    def nll_bound(self, data, draws: int = 1, batch_size: int = 1000) -> np.ndarray:
        """The negative evidence lower bound per sample, in nats, averaged over ``draws`` codes:
        an upper bound on -log p(y) for the Gaussian decoder (a density of real vectors);
        for the Bernoulli decoder a bound on binary data only.

        Args:
            data: What ``fit`` takes (an array, or the conditional model's dict).
            draws: Codes drawn per sample. Defaults to 1.
            batch_size: Defaults to 1000.
        """
        check_positive_int("draws", draws)
        n = len(data["data"]) if isinstance(data, dict) else len(data)
        out = np.zeros(n)
        for start in range(0, n, batch_size):
            rows = slice(start, start + batch_size)
            chunk = ({k: ops.convert_to_tensor(np.asarray(v[rows], "float32")) for k, v in data.items()}
                     if isinstance(data, dict) else ops.convert_to_tensor(np.asarray(data[rows], "float32")))
            for _ in range(draws):
                reconstruction, kl, _ = self._sample_terms(chunk, False)
                out[rows] += ops.convert_to_numpy(reconstruction + kl) / draws
        return out

    def _record(self, reconstruction, kl, total):
        self.total_tracker.update_state(total)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def step(self, data, training):
        inputs, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not training:
            _, reconstruction, kl = self._loss_terms(inputs, training=False)
        else:
            def loss():
                objective, reconstruction, kl = self._loss_terms(inputs, training=True)
                return objective, (reconstruction, kl)

            weights = self.trainable_weights
            _, (reconstruction, kl), grads = self.gradients(loss, weights)
            self.apply(self.optimizer, grads, weights)
        # "loss" is the negative evidence lower bound (with the KL weighted by beta).
        return self._record(reconstruction, kl, reconstruction + self.beta * kl)

    def _draw(self, decoder_inputs, n, rng, sample):
        output = self.decoder.predict(decoder_inputs, verbose=0)
        if not self.gaussian:
            return output
        mean, log_var = output
        if not sample:
            return mean
        return (mean + np.exp(0.5 * log_var) * rng.normal(size=mean.shape)).astype("float32")

    def generate(self, n: int, seed: int | None = None, sample: bool = False) -> np.ndarray:
        """``n`` outputs decoded from z ~ N(0, I) drawn with ``seed``.

        Args:
            n: How many.
            seed: Seed of z (and of the decoder's noise). Defaults to None.
            sample: For the Gaussian decoder, draw y ~ N(mean, variance) rather than
                return the mean. Defaults to False.
        """
        check_positive_int("n", n)
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(n, self.latent_dim)).astype("float32")
        return self._draw(z, n, rng, sample)

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "reconstruction": self.reconstruction, "beta": self.beta, "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="toolkit")
class ConditionalVAE(VAE):
    """VAE whose encoder q(z | y, x) and decoder p(y | x, z) both see a condition x.

    Inputs are a dict ``{"data": y, "condition": x}``; x is any vector (a one-hot class,
    a measurement, a time). ``generate_for(conditions)`` draws outputs for given
    conditions.
    """

    @property
    def condition_dim(self) -> int:
        return int(self.decoder.inputs[1].shape[-1])

    def _encode(self, inputs, training=False):
        return self.encoder([inputs["data"], inputs["condition"]], training=training)

    def _decoder_inputs(self, z, inputs):
        return [z, inputs["condition"]]

    def _target(self, inputs):
        return inputs["data"]

    def generate_for(self, conditions, seed: int | None = None, sample: bool = False) -> np.ndarray:
        """One output per condition, z drawn with ``seed``.

        Args:
            conditions: ``(n, condition_dim)`` condition vectors, or ``(n,)`` class indices
                (turned into one-hot vectors of ``condition_dim``).
            seed: Defaults to None.
            sample: Draw from the Gaussian decoder instead of returning its mean.
                Defaults to False.
        """
        conditions = np.asarray(conditions)
        if conditions.ndim == 1:
            conditions = np.eye(self.condition_dim, dtype="float32")[conditions.astype("int64")]
        conditions = conditions.astype("float32").reshape(len(conditions), self.condition_dim)
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(len(conditions), self.latent_dim)).astype("float32")
        return self._draw([z, conditions], len(conditions), rng, sample)

    def generate(self, n: int, seed: int | None = None, sample: bool = False) -> np.ndarray:
        """``n`` outputs for classes cycling through 0, 1, ..., condition_dim - 1 (one-hot)."""
        return self.generate_for(np.arange(n) % self.condition_dim, seed, sample)


def _check_vae(input_dim, hidden_units, latent_dim, activation, kernel_initializer, output_activation,
               reconstruction):
    check_positive_int("input_dim", input_dim)
    check_positive_int("latent_dim", latent_dim)
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, kernel_initializer, 0.0)
    check_choice("reconstruction", reconstruction, RECONSTRUCTIONS)
    if output_activation is None:
        output_activation = "sigmoid" if reconstruction == "binary_crossentropy" else "linear"
    check_choice("output_activation", output_activation, ("sigmoid", "linear"))
    if reconstruction == "binary_crossentropy" and output_activation != "sigmoid":
        raise ValueError("binary cross-entropy reconstruction needs output_activation='sigmoid'. "
                         f"Received: output_activation={output_activation!r}")
    check_output_and_loss(output_activation, "mse" if reconstruction != "binary_crossentropy"
                          else "binary_crossentropy", input_dim)
    if latent_dim > input_dim:
        raise ValueError(f"`latent_dim` must not exceed the input size. Received: latent_dim={latent_dim}, input_dim={input_dim}")
    return hidden_units, output_activation


def _tower(x, hidden_units, hidden, prefix):
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, name=f"{prefix}_dense_{index}", **hidden)(x)
    return x


def _vae_encoder(inputs, hidden_units, latent_dim, hidden, name="encoder"):
    x = layers.Concatenate(name="encoder_inputs")(inputs) if isinstance(inputs, list) else inputs
    x = _tower(x, hidden_units, hidden, "encoder")
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(inputs, [z_mean, z_log_var], name=name)


def _vae_decoder(inputs, hidden_units, input_dim, hidden, output_activation, reconstruction, name="decoder"):
    x = layers.Concatenate(name="decoder_inputs")(inputs) if isinstance(inputs, list) else inputs
    mean = layers.Dense(input_dim, activation=output_activation, name="reconstruction")(
        _tower(x, tuple(reversed(hidden_units)), hidden, "decoder"))
    if reconstruction != "gaussian":
        return keras.Model(inputs, mean, name=name)
    # The tutorial's variance network: a tower of its own, so that the variance is free
    # to depend on z differently from the mean.
    log_var = layers.Dense(input_dim, name="log_variance")(
        _tower(x, tuple(reversed(hidden_units)), hidden, "variance"))
    return keras.Model(inputs, [mean, log_var], name=name)


_VAE_ARGS = """
        hidden_units: Encoder layers; the decoder's mean (and variance) networks mirror
            them. Defaults to {units}.
        latent_dim: Code size. Defaults to 2 (a latent space one can plot).
        activation: Hidden activation. Defaults to ``"relu"``.
        kernel_initializer: Hidden layers' initializer. Defaults to ``"glorot_uniform"``.
        reconstruction: ``"gaussian"`` (the tutorial's: mean and log-variance networks,
            negative log-likelihood), ``"binary_crossentropy"`` (Bernoulli, for images in
            [0, 1]) or ``"mse"``. Defaults to ``"gaussian"``.
        output_activation: Of the decoder's mean: ``"sigmoid"`` or ``"linear"``.
            Defaults to None: sigmoid for the Bernoulli decoder, linear otherwise.
        beta: KL weight. Defaults to 1.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        seed: Sampling seed. Defaults to None.
        name: Defaults to ``"{name}"``."""


@register("vae", "generative", "VAE: Gaussian (or Bernoulli) decoder, reparameterised sampling")
def vae(input_dim: int = 784, hidden_units=(512,), latent_dim: int = 2, activation: str = "relu",
        kernel_initializer: str = "glorot_uniform", reconstruction: str = "gaussian",
        output_activation: str | None = None, beta: float = 1.0, optimizer="adam",
        learning_rate: float | None = None, momentum: float | None = None, clipnorm: float | None = None,
        clipvalue: float | None = None, global_clipnorm: float | None = None, recipe: str | None = None,
        seed: int | None = None, name: str = "vae") -> VAE:
    hidden_units, output_activation = _check_vae(input_dim, hidden_units, latent_dim, activation,
                                                 kernel_initializer, output_activation, reconstruction)
    hidden = dense_kwargs(activation, kernel_initializer)
    encoder = _vae_encoder(keras.Input(shape=(input_dim,), name="data"), hidden_units, latent_dim, hidden)
    decoder = _vae_decoder(keras.Input(shape=(latent_dim,), name="z"), hidden_units, input_dim, hidden,
                           output_activation, reconstruction)
    model = VAE(encoder, decoder, reconstruction=reconstruction, beta=beta, seed=seed, name=name)
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, momentum=momentum, clipnorm=clipnorm,
                                           clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe))
    return model


vae.__doc__ = """A compiled :class:`VAE` of dense encoder and decoder.

    Args:
        input_dim: Flattened input size. Defaults to 784.""" + _VAE_ARGS.format(units="(512,)", name="vae") + """

    Returns:
        A compiled :class:`VAE`; ``fit(y)`` trains it, ``generate(n)`` decodes.

    Example:
        >>> model = vae(input_dim=64, hidden_units=(32,))
        >>> model.generate(3).shape
        (3, 64)
        >>> [output.shape for output in model.decoder.outputs]
        [(None, 64), (None, 64)]
"""


@register("cvae", "generative", "Conditional VAE: encoder and decoder conditioned on any input vector")
def cvae(input_dim: int = 784, condition_dim: int = 10, hidden_units=(512,), latent_dim: int = 2,
         activation: str = "relu", kernel_initializer: str = "glorot_uniform", reconstruction: str = "gaussian",
         output_activation: str | None = None, beta: float = 1.0, optimizer="adam",
         learning_rate: float | None = None, momentum: float | None = None, clipnorm: float | None = None,
         clipvalue: float | None = None, global_clipnorm: float | None = None, recipe: str | None = None,
         seed: int | None = None, name: str = "cvae") -> ConditionalVAE:
    hidden_units, output_activation = _check_vae(input_dim, hidden_units, latent_dim, activation,
                                                 kernel_initializer, output_activation, reconstruction)
    check_positive_int("condition_dim", condition_dim)
    hidden = dense_kwargs(activation, kernel_initializer)
    data = keras.Input(shape=(input_dim,), name="data")
    condition = keras.Input(shape=(condition_dim,), name="condition")
    encoder = _vae_encoder([data, condition], hidden_units, latent_dim, hidden)
    z = keras.Input(shape=(latent_dim,), name="z")
    decoder_condition = keras.Input(shape=(condition_dim,), name="decoder_condition")
    decoder = _vae_decoder([z, decoder_condition], hidden_units, input_dim, hidden, output_activation,
                           reconstruction)
    model = ConditionalVAE(encoder, decoder, reconstruction=reconstruction, beta=beta, seed=seed, name=name)
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, momentum=momentum, clipnorm=clipnorm,
                                           clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe))
    return model


cvae.__doc__ = """A compiled :class:`ConditionalVAE` modelling p(y | x) through a latent z.

    Args:
        input_dim: Size of the modelled vector y. Defaults to 784.
        condition_dim: Size of the condition x (one-hot classes: their number).
            Defaults to 10.""" + _VAE_ARGS.format(units="(512,)", name="cvae") + """

    Returns:
        A compiled :class:`ConditionalVAE`; fit it on ``{"data": y, "condition": x}``.

    Example:
        >>> model = cvae(input_dim=64, hidden_units=(32,))
        >>> model.generate_for([3, 3]).shape
        (2, 64)
        >>> cvae(input_dim=2, condition_dim=1, hidden_units=(8,)).generate_for([[0.5], [1.5]]).shape
        (2, 2)
"""
