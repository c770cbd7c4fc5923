"""Generative builders: GAN (minimax or Wasserstein), VAE and conditional VAE.

The models own their training step (TensorFlow backend), so ``fit`` trains them as the
lectures describe, and ``keras.models.load_model`` restores them (every class here is
registered serialisable under the ``toolkit`` package).
"""

from __future__ import annotations

import numpy as np
import keras
import tensorflow as tf
from keras import layers, ops

from toolkit.builders._common import (
    check_choice, check_dense_options, check_nonnegative, check_positive_int, check_units,
    dense_kwargs, make_optimizer, OUTPUT_ACTIVATIONS,
)
from toolkit.builders.registry import register

GAN_LOSSES = ("minimax", "wasserstein")
RECONSTRUCTIONS = ("binary_crossentropy", "mse")


def _dense_net(input_dim, hidden_units, outputs, activation, output_activation, name,
               kernel_initializer="glorot_uniform"):
    inputs = keras.Input(shape=(input_dim,), name=f"{name}_input")
    x = inputs
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, name=f"{name}_dense_{index}", **dense_kwargs(activation, kernel_initializer))(x)
    outputs = layers.Dense(outputs, activation=output_activation, name=f"{name}_output")(x)
    return keras.Model(inputs, outputs, name=name)


def gan_generator(latent_dim: int = 8, data_dim: int = 2, hidden_units=(64, 64),
                  activation: str = "relu", output_activation: str = "linear",
                  name: str = "generator") -> keras.Model:
    """Dense generator: noise of ``latent_dim`` values -> a sample of ``data_dim`` values.

    Args:
        latent_dim: Noise size. Defaults to 8.
        data_dim: Sample size (2 for the toy data, 784 for digits). Defaults to 2.
        hidden_units: Defaults to (64, 64).
        activation: Defaults to ``"relu"``.
        output_activation: ``"linear"`` for real values, ``"sigmoid"`` for pixels in
            [0, 1]. Defaults to ``"linear"``.
        name: Defaults to ``"generator"``.

    Returns:
        An uncompiled functional model (the :class:`GAN` trains it).

    Example:
        >>> gan_generator(latent_dim=4, data_dim=784, output_activation="sigmoid").output_shape
        (None, 784)
    """
    check_positive_int("latent_dim", latent_dim)
    check_positive_int("data_dim", data_dim)
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, "glorot_uniform", 0.0)
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    return _dense_net(latent_dim, hidden_units, data_dim, activation, output_activation, name)


def gan_discriminator(data_dim: int = 2, hidden_units=(64, 64), activation: str = "leaky_relu",
                      name: str = "discriminator") -> keras.Model:
    """Dense discriminator (or Wasserstein critic) with one linear output: a logit / score.

    For the minimax loss the output is a logit (probability of "real" after a sigmoid,
    applied inside the loss for numerical stability); for the Wasserstein loss it is the
    critic's unbounded score.

    Args:
        data_dim: Sample size. Defaults to 2.
        hidden_units: Defaults to (64, 64).
        activation: Defaults to ``"leaky_relu"``.
        name: Defaults to ``"discriminator"``.

    Returns:
        An uncompiled functional model.

    Example:
        >>> gan_discriminator(data_dim=784).output_shape
        (None, 1)
    """
    check_positive_int("data_dim", data_dim)
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, "glorot_uniform", 0.0)
    return _dense_net(data_dim, hidden_units, 1, activation, "linear", name)


@keras.saving.register_keras_serializable(package="toolkit")
class GAN(keras.Model):
    """Generator and discriminator trained against each other, one fixed while the other learns.

    Each ``fit`` step follows the lecture's recipe: sample noise, generate fakes, update
    the discriminator ``critic_steps`` times with the generator held fixed, then update the
    generator once with the discriminator held fixed.

    Losses:
        * ``"minimax"``: the discriminator maximises E[log D(x)] + E[log(1 - D(G(z)))];
          the generator uses the non-saturating form, maximising E[log D(G(z))].
        * ``"wasserstein"``: the critic maximises E[C(x)] - E[C(G(z))]; the generator
          maximises E[C(G(z))]. The critic is kept 1-Lipschitz by a gradient penalty
          (``gradient_penalty`` > 0, WGAN-GP) or by weight clipping (``clip_value``,
          the original WGAN); one of them is required.

    Args:
        generator: Model from noise to samples.
        discriminator: Model from samples to one logit / score.
        latent_dim: Noise size.
        loss: ``"minimax"`` or ``"wasserstein"``. Defaults to ``"minimax"``.
        critic_steps: Discriminator updates per generator update. Defaults to 1.
        gradient_penalty: Weight of the WGAN-GP penalty. Defaults to 0.
        clip_value: Clip critic weights to [-clip_value, clip_value]. Defaults to None.
        seed: Seed of the noise. Defaults to None.
    """

    def __init__(self, generator, discriminator, latent_dim, loss="minimax", critic_steps=1,
                 gradient_penalty=0.0, clip_value=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_choice("loss", loss, GAN_LOSSES)
        check_positive_int("critic_steps", critic_steps)
        check_nonnegative("gradient_penalty", gradient_penalty)
        if clip_value is not None and not clip_value > 0:
            raise ValueError(f"`clip_value` must be positive. Received: clip_value={clip_value!r}")
        if loss == "wasserstein" and not gradient_penalty and clip_value is None:
            raise ValueError(
                "the Wasserstein loss needs a Lipschitz constraint: set gradient_penalty > 0 "
                "(WGAN-GP) or clip_value (weight clipping). Received: gradient_penalty=0, clip_value=None"
            )
        if loss == "minimax" and (gradient_penalty or clip_value is not None):
            raise ValueError(
                "gradient_penalty and clip_value belong to the Wasserstein loss. "
                f"Received: loss='minimax', gradient_penalty={gradient_penalty}, clip_value={clip_value}"
            )
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.loss_kind = loss
        self.critic_steps = int(critic_steps)
        self.gradient_penalty = float(gradient_penalty)
        self.clip_value = clip_value
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    def describe(self) -> str:
        if self.loss_kind == "minimax":
            return "minimax loss, non-saturating generator loss"
        constraint = (f"gradient penalty {self.gradient_penalty:g}" if self.gradient_penalty
                      else f"weight clipping at {self.clip_value:g}")
        return f"Wasserstein loss with {constraint}, {self.critic_steps} critic steps per generator step"

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Set both optimizers; the defaults suit the loss (Adam(2e-4, 0.5) for minimax,
        Adam(1e-4, 0.5, 0.9) for WGAN-GP, RMSprop(5e-5) for weight clipping)."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or self._default_optimizer()
        self.g_optimizer = g_optimizer or self._default_optimizer()
        # Built now so that a saved model's optimizer state loads back into them.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    # The optimizers are built by compile() itself; a loaded model recompiles the same way.
    def get_compile_config(self):
        return {"default_optimizers": True}

    def compile_from_config(self, config):
        self.compile()

    def _default_optimizer(self):
        if self.loss_kind == "minimax":
            return keras.optimizers.Adam(2e-4, beta_1=0.5)
        if self.gradient_penalty:
            return keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)
        return keras.optimizers.RMSprop(5e-5)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def _noise(self, batch):
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def _penalty(self, real, fake):
        batch = tf.shape(real)[0]
        alpha = keras.random.uniform((batch, 1), seed=self.seed_generator)
        flat_real = tf.reshape(real, (batch, -1))
        mixed = tf.reshape(flat_real + alpha * (tf.reshape(fake, (batch, -1)) - flat_real), tf.shape(real))
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            score = self.discriminator(mixed, training=True)
        gradient = tf.reshape(tape.gradient(score, mixed), (batch, -1))
        norm = tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=1) + 1e-12)
        return tf.reduce_mean(tf.square(norm - 1.0))

    def _discriminator_loss(self, real, fake):
        real_score = self.discriminator(real, training=True)
        fake_score = self.discriminator(fake, training=True)
        if self.loss_kind == "minimax":
            return (ops.mean(keras.losses.binary_crossentropy(ops.ones_like(real_score), real_score, from_logits=True))
                    + ops.mean(keras.losses.binary_crossentropy(ops.zeros_like(fake_score), fake_score, from_logits=True)))
        loss = ops.mean(fake_score) - ops.mean(real_score)
        if self.gradient_penalty:
            loss = loss + self.gradient_penalty * self._penalty(real, fake)
        return loss

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        real = tf.cast(real, self.compute_dtype)
        batch = tf.shape(real)[0]
        d_weights = self.discriminator.trainable_weights
        for _ in range(self.critic_steps):
            # Fakes made outside the tape: the generator is a fixed adversary here.
            fake = self.generator(self._noise(batch), training=True)
            with tf.GradientTape() as tape:
                d_loss = self._discriminator_loss(real, fake)
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_weights), d_weights))
            if self.clip_value is not None:
                for weight in d_weights:
                    weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))
        g_weights = self.generator.trainable_weights
        with tf.GradientTape() as tape:
            score = self.discriminator(self.generator(self._noise(batch), training=True), training=True)
            if self.loss_kind == "minimax":
                g_loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(score), score, from_logits=True))
            else:
                g_loss = -ops.mean(score)
        # Only the generator's weights move: the discriminator is the fixed adversary now.
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_weights), g_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    def generate(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples from noise drawn with ``seed``."""
        z = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32")
        return self.generator.predict(z, verbose=0)

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim, "loss": self.loss_kind, "critic_steps": self.critic_steps,
            "gradient_penalty": self.gradient_penalty, "clip_value": self.clip_value, "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)


def _gan(data_dim, latent_dim, generator_units, discriminator_units, output_activation, loss,
         critic_steps, gradient_penalty, clip_value, learning_rate, seed, name):
    generator = gan_generator(latent_dim, data_dim, generator_units, output_activation=output_activation)
    discriminator = gan_discriminator(data_dim, discriminator_units,
                                      name="critic" if loss == "wasserstein" else "discriminator")
    model = GAN(generator, discriminator, latent_dim, loss=loss, critic_steps=critic_steps,
                gradient_penalty=gradient_penalty, clip_value=clip_value, seed=seed, name=name)
    if learning_rate is None:
        model.compile()
    else:
        model.compile(d_optimizer=make_optimizer("adam", learning_rate),
                      g_optimizer=make_optimizer("adam", learning_rate))
    return model


@register("gan", "generative", "GAN with the minimax loss (non-saturating generator)")
def gan(data_dim: int = 2, latent_dim: int = 8, generator_units=(64, 64),
        discriminator_units=(64, 64), output_activation: str = "linear",
        learning_rate: float | None = None, seed: int | None = None, name: str = "gan") -> GAN:
    """A compiled minimax :class:`GAN` of two dense networks.

    Args:
        data_dim: Sample size (2 for toy data, 784 for flattened digits). Defaults to 2.
        latent_dim: Noise size. Defaults to 8.
        generator_units: Generator hidden layers. Defaults to (64, 64).
        discriminator_units: Discriminator hidden layers. Defaults to (64, 64).
        output_activation: Generator output (``"sigmoid"`` for pixels). Defaults to ``"linear"``.
        learning_rate: Adam learning rate of both; None for Adam(2e-4, beta_1=0.5). Defaults to None.
        seed: Noise seed. Defaults to None.
        name: Defaults to ``"gan"``.

    Returns:
        A compiled :class:`GAN`; ``model.fit(x, epochs=...)`` trains it, ``model.generate(n)``
        samples.

    Example:
        >>> gan().generate(5).shape
        (5, 2)
    """
    return _gan(data_dim, latent_dim, generator_units, discriminator_units, output_activation,
                "minimax", 1, 0.0, None, learning_rate, seed, name)


@register("wgan", "generative", "Wasserstein GAN with gradient penalty (or weight clipping)")
def wgan(data_dim: int = 2, latent_dim: int = 8, generator_units=(64, 64),
         discriminator_units=(64, 64), output_activation: str = "linear", critic_steps: int = 5,
         gradient_penalty: float = 10.0, clip_value: float | None = None,
         learning_rate: float | None = None, seed: int | None = None, name: str = "wgan") -> GAN:
    """A compiled Wasserstein :class:`GAN`.

    WGAN-GP by default (penalty 10, 5 critic steps, Adam(1e-4, 0.5, 0.9)); pass
    ``gradient_penalty=0, clip_value=0.01`` for the original weight-clipped WGAN
    (RMSprop 5e-5).

    Args:
        data_dim: Defaults to 2.
        latent_dim: Defaults to 8.
        generator_units: Defaults to (64, 64).
        discriminator_units: Critic hidden layers. Defaults to (64, 64).
        output_activation: Defaults to ``"linear"``.
        critic_steps: Critic updates per generator update. Defaults to 5.
        gradient_penalty: Defaults to 10.
        clip_value: Defaults to None.
        learning_rate: Adam learning rate of both; None for the defaults above. Defaults to None.
        seed: Defaults to None.
        name: Defaults to ``"wgan"``.

    Returns:
        A compiled :class:`GAN`.

    Example:
        >>> wgan().describe()
        'Wasserstein loss with gradient penalty 10, 5 critic steps per generator step'
    """
    return _gan(data_dim, latent_dim, generator_units, discriminator_units, output_activation,
                "wasserstein", critic_steps, gradient_penalty, clip_value, learning_rate, seed, name)


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
class VAE(keras.Model):
    """Variational autoencoder trained on reconstruction + beta * KL, each tracked alone.

    Args:
        encoder: Model from inputs to ``[z_mean, z_log_var]``.
        decoder: Model from ``z`` to reconstructions.
        reconstruction: ``"binary_crossentropy"`` (pixels in [0, 1]) or ``"mse"``;
            summed over features, averaged over the batch. Defaults to
            ``"binary_crossentropy"``.
        beta: Weight of the KL term. Defaults to 1.
        seed: Seed of the sampling noise. Defaults to None.
    """

    def __init__(self, encoder, decoder, reconstruction="binary_crossentropy", beta=1.0, seed=None, **kwargs):
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
    def metrics(self):
        return [self.total_tracker, self.reconstruction_tracker, self.kl_tracker]

    # The two hooks a conditional model overrides.
    def _encode(self, inputs, training=False):
        return self.encoder(inputs, training=training)

    def _decode(self, z, inputs, training=False):
        return self.decoder(z, training=training)

    def _target(self, inputs):
        return inputs

    def call(self, inputs, training=False):
        """Reconstruction from the posterior mean (deterministic)."""
        z_mean, _ = self._encode(inputs, training)
        return self._decode(z_mean, inputs, training)

    def _loss_terms(self, inputs, training):
        z_mean, z_log_var = self._encode(inputs, training)
        z = self.sampling([z_mean, z_log_var])
        reconstructed = self._decode(z, inputs, training)
        target = ops.reshape(ops.cast(self._target(inputs), reconstructed.dtype), ops.shape(reconstructed))
        if self.reconstruction == "binary_crossentropy":
            p = ops.clip(reconstructed, 1e-7, 1 - 1e-7)
            per_value = -(target * ops.log(p) + (1 - target) * ops.log(1 - p))
        else:
            per_value = ops.square(target - reconstructed)
        reconstruction = ops.mean(ops.sum(ops.reshape(per_value, (ops.shape(per_value)[0], -1)), axis=1))
        kl = ops.mean(-0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1))
        return reconstruction, kl

    def _record(self, reconstruction, kl, total):
        self.total_tracker.update_state(total)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        inputs, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            reconstruction, kl = self._loss_terms(inputs, training=True)
            total = reconstruction + self.beta * kl
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(total, weights), weights))
        return self._record(reconstruction, kl, total)

    def test_step(self, data):
        inputs, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        reconstruction, kl = self._loss_terms(inputs, training=False)
        return self._record(reconstruction, kl, reconstruction + self.beta * kl)

    def generate(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples decoded from z ~ N(0, I) drawn with ``seed``."""
        z = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32")
        return self.decoder.predict(z, verbose=0)

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
    """VAE whose encoder and decoder both see the one-hot label.

    Inputs are a dict ``{"image": x, "label": one_hot}``; ``generate_for(labels)`` draws
    samples of the requested classes.
    """

    @property
    def n_classes(self) -> int:
        return int(self.decoder.inputs[1].shape[-1])

    def _encode(self, inputs, training=False):
        return self.encoder([inputs["image"], inputs["label"]], training=training)

    def _decode(self, z, inputs, training=False):
        return self.decoder([z, inputs["label"]], training=training)

    def _target(self, inputs):
        return inputs["image"]

    def generate_for(self, labels, seed: int | None = None) -> np.ndarray:
        """One sample per entry of ``labels`` (class indices), z drawn with ``seed``."""
        labels = np.asarray(labels, dtype="int64")
        z = np.random.default_rng(seed).normal(size=(len(labels), self.latent_dim)).astype("float32")
        one_hot = np.eye(self.n_classes, dtype="float32")[labels]
        return self.decoder.predict([z, one_hot], verbose=0)

    def generate(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples of classes cycling through 0, 1, ..., n_classes - 1."""
        return self.generate_for(np.arange(n) % self.n_classes, seed)


def _check_vae(input_dim, hidden_units, latent_dim, activation, output_activation, reconstruction):
    check_positive_int("input_dim", input_dim)
    check_positive_int("latent_dim", latent_dim)
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, "glorot_uniform", 0.0)
    check_choice("output_activation", output_activation, ("sigmoid", "linear"))
    check_choice("reconstruction", reconstruction, RECONSTRUCTIONS)
    if reconstruction == "binary_crossentropy" and output_activation != "sigmoid":
        raise ValueError("binary cross-entropy reconstruction needs output_activation='sigmoid'. "
                         f"Received: output_activation={output_activation!r}")
    if latent_dim > input_dim:
        raise ValueError(f"`latent_dim` must not exceed the input size. Received: latent_dim={latent_dim}, input_dim={input_dim}")
    return hidden_units


def _vae_encoder(inputs, hidden_units, latent_dim, activation, name="encoder"):
    x = layers.Concatenate(name="encoder_inputs")(inputs) if isinstance(inputs, list) else inputs
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, activation=activation, name=f"encoder_dense_{index}")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(inputs, [z_mean, z_log_var], name=name)


def _vae_decoder(inputs, hidden_units, input_dim, activation, output_activation, name="decoder"):
    x = layers.Concatenate(name="decoder_inputs")(inputs) if isinstance(inputs, list) else inputs
    for index, units in enumerate(reversed(hidden_units), start=1):
        x = layers.Dense(units, activation=activation, name=f"decoder_dense_{index}")(x)
    output = layers.Dense(input_dim, activation=output_activation, name="reconstruction")(x)
    return keras.Model(inputs, output, name=name)


@register("vae", "generative", "VAE: encoder to mean and log-variance, reparameterised decoder")
def vae(input_dim: int = 784, hidden_units=(512,), latent_dim: int = 2, activation: str = "relu",
        output_activation: str = "sigmoid", reconstruction: str = "binary_crossentropy",
        beta: float = 1.0, learning_rate: float = 1e-3, seed: int | None = None,
        name: str = "vae") -> VAE:
    """A compiled :class:`VAE` of dense encoder and decoder.

    Args:
        input_dim: Flattened input size. Defaults to 784.
        hidden_units: Encoder layers; the decoder mirrors them. Defaults to (512,).
        latent_dim: Defaults to 2 (a latent space one can plot).
        activation: Defaults to ``"relu"``.
        output_activation: Defaults to ``"sigmoid"``.
        reconstruction: ``"binary_crossentropy"`` or ``"mse"``. Defaults to ``"binary_crossentropy"``.
        beta: KL weight. Defaults to 1.
        learning_rate: Adam's. Defaults to 1e-3.
        seed: Sampling seed. Defaults to None.
        name: Defaults to ``"vae"``.

    Returns:
        A compiled :class:`VAE`; ``fit(x)`` trains it, ``generate(n)`` samples.

    Example:
        >>> vae(input_dim=64, hidden_units=(32,)).generate(3).shape
        (3, 64)
    """
    hidden_units = _check_vae(input_dim, hidden_units, latent_dim, activation, output_activation, reconstruction)
    encoder = _vae_encoder(keras.Input(shape=(input_dim,), name="image"), hidden_units, latent_dim, activation)
    decoder = _vae_decoder(keras.Input(shape=(latent_dim,), name="z"), hidden_units, input_dim,
                           activation, output_activation)
    model = VAE(encoder, decoder, reconstruction=reconstruction, beta=beta, seed=seed, name=name)
    model.compile(optimizer=make_optimizer("adam", learning_rate))
    return model


@register("cvae", "generative", "Conditional VAE: encoder and decoder conditioned on the label")
def cvae(input_dim: int = 784, n_classes: int = 10, hidden_units=(512,), latent_dim: int = 2,
         activation: str = "relu", output_activation: str = "sigmoid",
         reconstruction: str = "binary_crossentropy", beta: float = 1.0,
         learning_rate: float = 1e-3, seed: int | None = None, name: str = "cvae") -> ConditionalVAE:
    """A compiled :class:`ConditionalVAE`.

    Args:
        input_dim: Defaults to 784.
        n_classes: Label classes (one-hot). Defaults to 10.
        hidden_units: Defaults to (512,).
        latent_dim: Defaults to 2.
        activation: Defaults to ``"relu"``.
        output_activation: Defaults to ``"sigmoid"``.
        reconstruction: Defaults to ``"binary_crossentropy"``.
        beta: Defaults to 1.
        learning_rate: Defaults to 1e-3.
        seed: Defaults to None.
        name: Defaults to ``"cvae"``.

    Returns:
        A compiled :class:`ConditionalVAE`; fit it on ``{"image": x, "label": one_hot}``.

    Example:
        >>> cvae(input_dim=64, hidden_units=(32,)).generate_for([3, 3]).shape
        (2, 64)
    """
    hidden_units = _check_vae(input_dim, hidden_units, latent_dim, activation, output_activation, reconstruction)
    check_positive_int("n_classes", n_classes)
    image = keras.Input(shape=(input_dim,), name="image")
    label = keras.Input(shape=(n_classes,), name="label")
    encoder = _vae_encoder([image, label], hidden_units, latent_dim, activation)
    z = keras.Input(shape=(latent_dim,), name="z")
    decoder_label = keras.Input(shape=(n_classes,), name="decoder_label")
    decoder = _vae_decoder([z, decoder_label], hidden_units, input_dim, activation, output_activation)
    model = ConditionalVAE(encoder, decoder, reconstruction=reconstruction, beta=beta, seed=seed, name=name)
    model.compile(optimizer=make_optimizer("adam", learning_rate))
    return model
