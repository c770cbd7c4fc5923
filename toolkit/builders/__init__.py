"""Keras builders by family; importing this package fills the registry.

Each builder is a plain function with the lecture's defaults that checks its arguments
and returns a compiled ``keras.Model``::

    from toolkit.builders import digits_cnn, stacked_lstm
    model = digits_cnn()          # 93,322 parameters
"""

from toolkit.builders.attention import (
    HorizonQueries, SinusoidalPositions, attention_maps, transformer_classifier, transformer_forecaster,
)
from toolkit.builders.autoencoders import dense_autoencoder, denoising_autoencoder, linear_autoencoder
from toolkit.builders.bernoulli import bernoulli_classifier
from toolkit.builders.conv import cnn_lstm, conv1d_regressor, digits_cnn
from toolkit.builders.conv_arithmetic import conv_output_size
from toolkit.builders.diffusion import DDPM, ddpm, linear_schedule
from toolkit.builders.unet import TimeEmbedding, unet
from toolkit.builders.filters import FILTER_NAMES, KERNELS, filter_bank
from toolkit.builders.flows import AffineCoupling, CouplingFlow, RealNVP, realnvp
from toolkit.builders.dense import (
    GaussianHead, gaussian_mlp, gaussian_nll, mlp_classifier, mlp_regressor, narx, split_mean_variance,
)
from toolkit.builders.gan import GAN, gan, gan_discriminator, gan_generator, wgan
from toolkit.builders.pinn import (
    INITIAL_CONDITIONS, PINN, BoxScaling, BurgersResidual, HeatResidual, InitialValueAnsatz, PDEResidual,
    PeriodicFeatures, burgers_pinn, pinn_network,
)
from toolkit.builders.recipes import RECIPES, Recipe, get_recipe
from toolkit.builders.recurrent import lag_lstm, simple_rnn, stacked_gru, stacked_lstm
from toolkit.builders.registry import BuilderSpec, get_builder, register, registered
from toolkit.builders.seq2seq import seq2seq_inference, seq2seq_lstm, teacher_inputs
from toolkit.builders.sequence import bidirectional_smoother, sequence_gru, sequence_lstm, sequence_rnn
from toolkit.builders.vae import VAE, ConditionalVAE, Sampling, cvae, vae
from toolkit.builders.vae_prior import FlowPriorVAE, flow_prior_vae

__all__ = [
    "AffineCoupling", "CouplingFlow", "DDPM", "FlowPriorVAE", "RealNVP", "TimeEmbedding", "ddpm", "flow_prior_vae",
    "linear_schedule", "realnvp", "unet",
    "HorizonQueries", "SinusoidalPositions", "attention_maps", "seq2seq_inference", "seq2seq_lstm", "teacher_inputs",
    "transformer_classifier", "transformer_forecaster", "INITIAL_CONDITIONS", "RECIPES", "BoxScaling", "BuilderSpec", "BurgersResidual", "ConditionalVAE", "GAN",
    "GaussianHead", "HeatResidual", "InitialValueAnsatz", "PDEResidual", "PINN", "PeriodicFeatures", "Recipe", "Sampling", "VAE", "bidirectional_smoother", "burgers_pinn", "cnn_lstm",
    "conv1d_regressor", "cvae", "dense_autoencoder", "denoising_autoencoder", "digits_cnn", "gan",
    "gan_discriminator", "gan_generator", "gaussian_mlp", "gaussian_nll", "get_builder", "get_recipe", "lag_lstm",
    "mlp_classifier", "mlp_regressor", "narx", "pinn_network", "register", "registered", "sequence_gru",
    "sequence_lstm", "sequence_rnn", "simple_rnn", "split_mean_variance", "stacked_gru", "stacked_lstm", "vae",
    "wgan", "bernoulli_classifier", "linear_autoencoder", "conv_output_size", "FILTER_NAMES", "KERNELS",
    "filter_bank",
]
