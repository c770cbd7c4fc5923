"""Generative adversarial networks: the minimax game (saturating or non-saturating
generator loss) and the Wasserstein loss (gradient penalty or weight clipping).

The model owns its training step, written once for TensorFlow, JAX and PyTorch
(:mod:`toolkit.builders.steps`), so ``fit`` trains it as the lectures describe, and
``keras.models.load_model`` restores it (registered serialisable under the ``toolkit``
package).
"""

from __future__ import annotations

import numpy as np
import keras
from keras import layers, ops

from toolkit.builders._common import (
    check_choice, check_dense_options, check_nonnegative, check_output_and_loss, check_positive_int, check_units,
    dense_kwargs, make_optimizer, OUTPUT_ACTIVATIONS,
)
from toolkit.builders.recipes import get_recipe
from toolkit.builders.steps import OptimizerGroup, SteppedModel, input_gradient
from toolkit.builders.registry import register

GAN_LOSSES = ("minimax", "wasserstein")
GENERATOR_LOSSES = ("non_saturating", "saturating")


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
                  kernel_initializer: str = "glorot_uniform", name: str = "generator") -> keras.Model:
    """Dense generator: noise of ``latent_dim`` values -> a sample of ``data_dim`` values.

    Args:
        latent_dim: Noise size. Defaults to 8.
        data_dim: Sample size (2 for the toy data, 784 for digits). Defaults to 2.
        hidden_units: Defaults to (64, 64).
        activation: Defaults to ``"relu"``.
        output_activation: ``"linear"`` for real values, ``"sigmoid"`` for pixels in
            [0, 1]. Defaults to ``"linear"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
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
    check_dense_options(activation, kernel_initializer, 0.0)
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    return _dense_net(latent_dim, hidden_units, data_dim, activation, output_activation, name, kernel_initializer)


def gan_discriminator(data_dim: int = 2, hidden_units=(64, 64), activation: str = "leaky_relu",
                      kernel_initializer: str = "glorot_uniform", name: str = "discriminator") -> keras.Model:
    """Dense discriminator (or Wasserstein critic) with one linear output: a logit / score.

    For the minimax loss the output is a logit (probability of "real" after a sigmoid,
    applied inside the loss for numerical stability); for the Wasserstein loss it is the
    critic's unbounded score.

    Args:
        data_dim: Sample size. Defaults to 2.
        hidden_units: Defaults to (64, 64).
        activation: Defaults to ``"leaky_relu"`` (the notes' slope of 0.01).
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        name: Defaults to ``"discriminator"``.

    Returns:
        An uncompiled functional model.

    Example:
        >>> gan_discriminator(data_dim=784).output_shape
        (None, 1)
    """
    check_positive_int("data_dim", data_dim)
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, kernel_initializer, 0.0)
    # A logit: the sigmoid of the minimax loss's binary cross-entropy is applied inside the loss.
    check_output_and_loss("linear", "gan", 1)
    return _dense_net(data_dim, hidden_units, 1, activation, "linear", name, kernel_initializer)


@keras.saving.register_keras_serializable(package="toolkit")
class GAN(SteppedModel):
    """Generator and discriminator trained against each other, one fixed while the other learns.

    Each ``fit`` step follows the lecture's recipe: sample noise, generate fakes, update
    the discriminator ``critic_steps`` times with the generator held fixed, then update the
    generator once with the discriminator held fixed.

    Losses:
        * ``"minimax"``: the discriminator maximises E[log D(x)] + E[log(1 - D(G(z)))].
          The generator either maximises E[log D(G(z))] (``generator_loss=
          "non_saturating"``, the change the notes introduce "to minimize generator
          saturation") or minimises E[log(1 - D(G(z)))] (``"saturating"``, the original
          game, whose gradient vanishes while the discriminator wins).
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
        generator_loss: ``"non_saturating"`` or ``"saturating"`` (minimax only).
            Defaults to ``"non_saturating"``.
    """

    def __init__(self, generator, discriminator, latent_dim, loss="minimax", critic_steps=1,
                 gradient_penalty=0.0, clip_value=None, seed=None, generator_loss="non_saturating", **kwargs):
        super().__init__(**kwargs)
        check_choice("loss", loss, GAN_LOSSES)
        check_choice("generator_loss", generator_loss, GENERATOR_LOSSES)
        if loss == "wasserstein" and generator_loss != "non_saturating":
            raise ValueError("the saturating generator loss belongs to the minimax game. "
                             f"Received: loss='wasserstein', generator_loss={generator_loss!r}")
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
        self.generator_loss = generator_loss
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    def describe(self) -> str:
        if self.loss_kind == "minimax":
            return f"minimax loss, {self.generator_loss.replace('_', '-')} generator loss"
        constraint = (f"gradient penalty {self.gradient_penalty:g}" if self.gradient_penalty
                      else f"weight clipping at {self.clip_value:g}")
        return f"Wasserstein loss with {constraint}, {self.critic_steps} critic steps per generator step"

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Set both optimizers; the defaults suit the loss (Adam(2e-4, 0.5) for minimax,
        Adam(1e-4, 0.5, 0.9) for WGAN-GP, RMSprop(5e-5) for weight clipping)."""
        kwargs.setdefault("optimizer", None)
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or self._default_optimizer()
        self.g_optimizer = g_optimizer or self._default_optimizer()
        # Built now so that a saved model's optimizer state loads back into them.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        # What the trainers carry as "the optimizer's" state (JAX threads it through fit).
        self.optimizer = OptimizerGroup(self.d_optimizer, self.g_optimizer)

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
        batch = ops.shape(real)[0]
        alpha = keras.random.uniform((batch, 1), seed=self.seed_generator, dtype=real.dtype)
        flat_real = ops.reshape(real, (batch, -1))
        mixed = ops.reshape(flat_real + alpha * (ops.reshape(fake, (batch, -1)) - flat_real), ops.shape(real))
        gradient = input_gradient(lambda x: self.discriminator(x, training=True), mixed)
        norm = ops.sqrt(ops.sum(ops.square(ops.reshape(gradient, (batch, -1))), axis=1) + 1e-12)
        return ops.mean(ops.square(norm - 1.0))

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

    def _generator_loss(self, batch):
        score = self.discriminator(self.generator(self._noise(batch), training=True), training=True)
        if self.loss_kind == "minimax" and self.generator_loss == "saturating":
            # log(1 - sigmoid(s)) = -softplus(s): minimised, it pushes D(G(z)) up, weakly once D wins.
            return -ops.mean(ops.softplus(score))
        if self.loss_kind == "minimax":
            return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(score), score, from_logits=True))
        return -ops.mean(score)

    def step(self, data, training):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        real = ops.cast(real, self.compute_dtype)
        batch = ops.shape(real)[0]
        if not training:
            fake = self.generator(self._noise(batch))
            return self._record(self._discriminator_loss(real, fake), self._generator_loss(batch))
        d_weights = self.discriminator.trainable_weights
        for _ in range(self.critic_steps):
            # Fakes made outside the loss: the generator is a fixed adversary here.
            fake = ops.stop_gradient(self.generator(self._noise(batch), training=True))
            d_loss, _, grads = self.gradients(lambda: (self._discriminator_loss(real, fake), None), d_weights)
            self.apply(self.d_optimizer, grads, d_weights)
            if self.clip_value is not None:
                for weight in d_weights:
                    weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))
        # Only the generator's weights move: the discriminator is the fixed adversary now.
        g_weights = self.generator.trainable_weights
        g_loss, _, grads = self.gradients(lambda: (self._generator_loss(batch), None), g_weights)
        self.apply(self.g_optimizer, grads, g_weights)
        return self._record(d_loss, g_loss)

    def _record(self, d_loss, g_loss):
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
            "generator_loss": self.generator_loss,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)


def _gan(data_dim, latent_dim, generator_units, discriminator_units, output_activation, loss,
         critic_steps, gradient_penalty, clip_value, generator_loss, activation, kernel_initializer,
         training, seed, name):
    recipe = training.get("recipe")
    if recipe is not None:
        fixed = get_recipe(recipe).model_options.get("generator_loss")
        if fixed is not None and generator_loss is not None and generator_loss != fixed:
            raise ValueError(f"recipe {recipe!r} trains with generator_loss={fixed!r}. "
                             f"Received: generator_loss={generator_loss!r}")
        generator_loss = fixed or generator_loss
    generator = gan_generator(latent_dim, data_dim, generator_units, output_activation=output_activation,
                              kernel_initializer=kernel_initializer)
    discriminator = gan_discriminator(data_dim, discriminator_units, activation=activation,
                                      kernel_initializer=kernel_initializer,
                                      name="critic" if loss == "wasserstein" else "discriminator")
    model = GAN(generator, discriminator, latent_dim, loss=loss, critic_steps=critic_steps,
                gradient_penalty=gradient_penalty, clip_value=clip_value, seed=seed,
                generator_loss=generator_loss or "non_saturating", name=name)
    if training["optimizer"] == "adam" and all(value is None for key, value in training.items() if key != "optimizer"):
        model.compile()  # the optimisers that suit the loss
    else:
        model.compile(d_optimizer=make_optimizer(**training), g_optimizer=make_optimizer(**training))
    return model


_TRAINING_DOC = """
        activation: The discriminator's hidden activation. Defaults to ``"leaky_relu"``
            (the notes' slope 0.01).
        kernel_initializer: Both networks' hidden layers. Defaults to ``"glorot_uniform"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) of both
            networks. Defaults to ``"adam"``: with no other option set, the optimisers
            that suit the loss (see :meth:`GAN.compile`).
        learning_rate: Defaults to None: the optimiser's own rate.
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``): its optimiser and,
            for ``gan_saturating`` / ``gan_non_saturating``, its generator loss.
            Defaults to None."""


@register("gan", "generative", "GAN with the minimax loss (non-saturating or the original saturating generator)")
def gan(data_dim: int = 2, latent_dim: int = 8, generator_units=(64, 64),
        discriminator_units=(64, 64), output_activation: str = "linear",
        generator_loss: str | None = None, activation: str = "leaky_relu",
        kernel_initializer: str = "glorot_uniform", optimizer="adam", learning_rate: float | None = None,
        momentum: float | None = None, clipnorm: float | None = None, clipvalue: float | None = None,
        global_clipnorm: float | None = None, recipe: str | None = None,
        seed: int | None = None, name: str = "gan") -> GAN:
    return _gan(data_dim, latent_dim, generator_units, discriminator_units, output_activation,
                "minimax", 1, 0.0, None, generator_loss, activation, kernel_initializer,
                dict(optimizer=optimizer, learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm,
                     clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe), seed, name)


gan.__doc__ = """A compiled minimax :class:`GAN` of two dense networks.

    Args:
        data_dim: Sample size (2 for toy data, 784 for flattened digits). Defaults to 2.
        latent_dim: Noise size. Defaults to 8.
        generator_units: Generator hidden layers. Defaults to (64, 64).
        discriminator_units: Discriminator hidden layers. Defaults to (64, 64).
        output_activation: Generator output (``"sigmoid"`` for pixels). Defaults to ``"linear"``.
        generator_loss: ``"non_saturating"`` or ``"saturating"`` (the original minimax).
            Defaults to None: non-saturating, or the recipe's.""" + _TRAINING_DOC + """
        seed: Noise seed. Defaults to None.
        name: Defaults to ``"gan"``.

    Returns:
        A compiled :class:`GAN`; ``model.fit(x, epochs=...)`` trains it, ``model.generate(n)``
        samples.

    Example:
        >>> gan().generate(5).shape
        (5, 2)
        >>> gan(recipe="gan_saturating").describe()
        'minimax loss, saturating generator loss'
"""


@register("wgan", "generative", "Wasserstein GAN with gradient penalty (or weight clipping)")
def wgan(data_dim: int = 2, latent_dim: int = 8, generator_units=(64, 64),
         discriminator_units=(64, 64), output_activation: str = "linear", critic_steps: int = 5,
         gradient_penalty: float = 10.0, clip_value: float | None = None, activation: str = "leaky_relu",
         kernel_initializer: str = "glorot_uniform", optimizer="adam", learning_rate: float | None = None,
         momentum: float | None = None, clipnorm: float | None = None, clipvalue: float | None = None,
         global_clipnorm: float | None = None, recipe: str | None = None,
         seed: int | None = None, name: str = "wgan") -> GAN:
    return _gan(data_dim, latent_dim, generator_units, discriminator_units, output_activation,
                "wasserstein", critic_steps, gradient_penalty, clip_value, None, activation, kernel_initializer,
                dict(optimizer=optimizer, learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm,
                     clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe), seed, name)


wgan.__doc__ = """A compiled Wasserstein :class:`GAN`.

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
        clip_value: Defaults to None.""" + _TRAINING_DOC + """
        seed: Defaults to None.
        name: Defaults to ``"wgan"``.

    Returns:
        A compiled :class:`GAN`.

    Example:
        >>> wgan().describe()
        'Wasserstein loss with gradient penalty 10, 5 critic steps per generator step'
"""
