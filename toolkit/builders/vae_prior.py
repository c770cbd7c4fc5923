"""A VAE whose prior is learned: a RealNVP flow over the latent space, trained with it.

Bianco's notes: the VAE's "latent space is assumed to be Gaussian distributed - this
causes inaccuracy (blurry) generation", and the remedy is a VAE "with a NN in the middle
that approximates the true distribution of the latent space". Here that network is a
normalizing flow p(z) (:class:`toolkit.builders.flows.CouplingFlow`) fitted to the codes the
encoder produces (the aggregate posterior), as the second stage of Dai and Wipf's two-stage
VAE (ICLR 2019), run in the same pass as the VAE's own training. Sampling draws z from the
flow, where the encoded data actually lie, rather than from N(0, I); the evidence lower bound
under the learned prior (its KL term -H[q(z|x)] - log p(z), estimated at the drawn code) is
the model's likelihood bound.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from toolkit.builders._common import check_positive_int, check_units, dense_kwargs, make_optimizer
from toolkit.builders.flows import CouplingFlow
from toolkit.builders.registry import register
from toolkit.builders.vae import _VAE_ARGS, VAE, _check_vae, _vae_decoder, _vae_encoder


def gaussian_entropy(log_var):
    """Entropy of N(mean, diag(exp(log_var))) per row, in nats."""
    return 0.5 * ops.sum(1.0 + math.log(2 * math.pi) + log_var, axis=1)


@keras.saving.register_keras_serializable(package="toolkit")
class FlowPriorVAE(VAE):
    """A :class:`VAE` with a learned prior: ``prior`` is a :class:`CouplingFlow` over z.

    Args:
        encoder, decoder, reconstruction, beta, seed: As :class:`VAE`.
        prior: The flow giving log p(z).
    """

    def __init__(self, encoder, decoder, prior, reconstruction="gaussian", beta=1.0, seed=None, **kwargs):
        super().__init__(encoder, decoder, reconstruction=reconstruction, beta=beta, seed=seed, **kwargs)
        self.prior = prior
        if not prior.built:
            prior.build((None, prior.dim))

    def _kl(self, z, z_mean, z_log_var):
        """-H[q(z|x)] - log p(z): the KL against the learned prior, the entropy in closed form and
        the cross-entropy at the drawn z (an unbiased estimate)."""
        return -gaussian_entropy(z_log_var) - self.prior.log_prob(z)

    def _loss_terms(self, inputs, training):
        """The encoder and decoder train exactly as the Gaussian-prior VAE (KL against N(0, I));
        the prior flow learns, at the same time, the codes they produce (their aggregate
        posterior) by maximum likelihood, the gradient stopped at z. The reported KL is the one
        against the learned prior. Joint training through the learned prior's KL instead lets
        the prior follow the encoder into posterior collapse (measured on the ring: KL near 0,
        the decoder ignoring z); this two-stage scheme (Dai and Wipf, "Diagnosing and
        enhancing VAE models", ICLR 2019, run in one pass) cannot collapse further than the
        plain VAE and shares its encoder and decoder."""
        reconstruction, _, (z, z_mean, z_log_var) = self._sample_terms(inputs, training)
        gaussian_kl = VAE._kl(self, z, z_mean, z_log_var)
        prior_log_prob = self.prior.log_prob(ops.stop_gradient(z))
        reconstruction = ops.mean(reconstruction)
        objective = reconstruction + self.beta * ops.mean(gaussian_kl) - ops.mean(prior_log_prob)
        return objective, reconstruction, ops.mean(-gaussian_entropy(z_log_var) - prior_log_prob)

    def _prior_codes(self, n, rng):
        check_positive_int("n", n)
        u = rng.normal(size=(n, self.latent_dim)).astype("float32")
        return ops.convert_to_numpy(self.prior.inverse(ops.convert_to_tensor(u))).astype("float32")

    def prior_sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` codes from the learned prior: z = flow^-1(u), u ~ N(0, I) drawn with ``seed``."""
        return self._prior_codes(n, np.random.default_rng(seed))

    def generate(self, n: int, seed: int | None = None, sample: bool = False) -> np.ndarray:
        """``n`` outputs decoded from codes of the learned prior (see :meth:`VAE.generate`); the
        decoder's noise (``sample=True``) is drawn after the codes, from the same stream."""
        rng = np.random.default_rng(seed)
        return self._draw(self._prior_codes(n, rng), n, rng, sample)

    def get_config(self):
        return {**super().get_config(), "prior": keras.saving.serialize_keras_object(self.prior)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["prior"] = keras.saving.deserialize_keras_object(config["prior"])
        return super().from_config(config)


@register("flow_prior_vae", "generative", "VAE with a learned prior: a RealNVP flow over the latent space")
def flow_prior_vae(input_dim: int = 784, hidden_units=(512,), latent_dim: int = 2, activation: str = "relu",
                   kernel_initializer: str = "glorot_uniform", reconstruction: str = "gaussian",
                   output_activation: str | None = None, beta: float = 1.0, prior_layers: int = 4,
                   prior_units=(64, 64), optimizer="adam", learning_rate: float | None = None,
                   momentum: float | None = None, clipnorm: float | None = None, clipvalue: float | None = None,
                   global_clipnorm: float | None = None, recipe: str | None = None, seed: int | None = None,
                   name: str = "flow_prior_vae") -> FlowPriorVAE:
    hidden_units, output_activation = _check_vae(input_dim, hidden_units, latent_dim, activation,
                                                 kernel_initializer, output_activation, reconstruction)
    check_positive_int("prior_layers", prior_layers)
    prior_units = check_units("prior_units", prior_units)
    if latent_dim < 2:
        raise ValueError(f"a flow prior splits the code in two; `latent_dim` must be at least 2. "
                         f"Received: latent_dim={latent_dim}")
    hidden = dense_kwargs(activation, kernel_initializer)
    encoder = _vae_encoder(keras.Input(shape=(input_dim,), name="data"), hidden_units, latent_dim, hidden)
    decoder = _vae_decoder(keras.Input(shape=(latent_dim,), name="z"), hidden_units, input_dim, hidden,
                           output_activation, reconstruction)
    prior = CouplingFlow(latent_dim, prior_layers, prior_units, activation, kernel_initializer, name="prior")
    model = FlowPriorVAE(encoder, decoder, prior, reconstruction=reconstruction, beta=beta, seed=seed, name=name)
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, momentum=momentum, clipnorm=clipnorm,
                                           clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe))
    return model


flow_prior_vae.__doc__ = """A compiled :class:`FlowPriorVAE`: the :func:`~toolkit.builders.vae.vae` with a
    RealNVP prior over its codes, the "NN in the middle" of Bianco's notes.

    Args:
        input_dim: Flattened input size. Defaults to 784.""" + _VAE_ARGS.format(
    units="(512,)", name="flow_prior_vae").replace("        optimizer:", """        prior_layers: Coupling layers of the prior flow. Defaults to 4.
        prior_units: Each coupling's hidden layers. Defaults to (64, 64).
        optimizer:""", 1) + """

    Returns:
        A compiled :class:`FlowPriorVAE`; ``fit(y)`` trains encoder, decoder and prior
        together; ``generate(n)`` decodes codes drawn from the prior.

    Raises:
        ValueError: As :func:`~toolkit.builders.vae.vae`, and for a code of one value.

    Example:
        >>> model = flow_prior_vae(input_dim=64, hidden_units=(32,), prior_units=(8,))
        >>> model.generate(3).shape
        (3, 64)
"""
