"""The lectures' table of losses and output layers, and the check every builder runs.

Bianco's notes ("What should I choose for the loss function and how does that relate to
the activation function?") give one row per loss: what it is good for, the activation
of the last layer and its size. :data:`NOTES_TABLE` holds those rows as written;
:func:`check_output_and_loss` accepts every one of them and warns on a pair that the
table (or the probability the loss needs) rules out.
"""

from __future__ import annotations

import warnings

from toolkit.builders.options import check_choice

#: (loss, good for, activation of the last layer, size of the last layer), as in the notes.
NOTES_TABLE = (
    ("mean_squared_error", "regression", "linear", "one node"),
    ("mean_absolute_error", "regression", "linear", "one node"),
    ("mean_squared_logarithmic_error", "regression", "linear", "one node"),
    ("binary_crossentropy", "binary classification", "sigmoid", "one node"),
    ("categorical_crossentropy", "multiclass classification", "sigmoid", "N nodes"),
    ("kl_divergence", "multiclass classification, probabilistic interpretation", "sigmoid", "N nodes"),
)

OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "softmax", "tanh", "relu", "softplus")
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "msle": "mean_squared_logarithmic_error",
            "bce": "binary_crossentropy", "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence"}
REGRESSION_LOSSES = ("mse", "mae", "msle", "huber", "mean_squared_error", "mean_absolute_error",
                     "mean_squared_logarithmic_error")
BINARY_LOSSES = ("binary_crossentropy", "bce")
CATEGORICAL_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "kld")
#: Losses a model computes itself (its own training step); the pair is fixed by the model.
MODEL_LOSSES = ("gaussian_nll", "vae_elbo", "gan", "pinn_residual", "flow_nll", "ddpm_noise_mse")
LOSSES = REGRESSION_LOSSES + BINARY_LOSSES + CATEGORICAL_LOSSES


def canonical_loss(loss: str) -> str:
    return _ALIASES.get(loss, loss)


def check_output_and_loss(output_activation: str, loss: str, units: int) -> None:
    """Check the last layer against the loss; warn where the notes' table rules the pair out.

    Accepted without warning:

    * every row of :data:`NOTES_TABLE` (regression losses with a linear output;
      binary cross-entropy with a sigmoid; categorical cross-entropy and KL divergence
      with sigmoid outputs over N nodes, as the notes write them);
    * softmax over N >= 2 nodes for categorical cross-entropy and KL divergence (the usual
      choice, a probability vector);
    * a bounded output (sigmoid, tanh) or a non-negative one (relu, softplus) for a
      regression loss: the autoencoder lecture trains sigmoid + MSE on pixels in [0, 1];
    * binary cross-entropy with a sigmoid over many nodes (independent pixels or labels:
      the autoencoder lecture's sigmoid + BCE on 784 pixels).

    Warned: a cross-entropy whose output is not a probability (linear, tanh, relu,
    softplus), a softmax over one node, a softmax under a regression loss.
    """
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    if loss in MODEL_LOSSES:
        return
    check_choice("loss", loss, LOSSES)
    problem = None
    if loss in BINARY_LOSSES and output_activation != "sigmoid":
        problem = "binary cross-entropy expects a sigmoid output (a probability)"
    elif loss in CATEGORICAL_LOSSES:
        if output_activation not in ("softmax", "sigmoid"):
            problem = "categorical cross-entropy expects probabilities: a softmax (or the notes' sigmoid) over N nodes"
        elif output_activation == "softmax" and units < 2:
            problem = "a softmax over one node is the constant 1"
    elif loss in REGRESSION_LOSSES and output_activation == "softmax":
        problem = f"{loss} expects a linear output (or a bounded one for bounded targets), not a softmax"
    if problem:
        warnings.warn(
            f"output_activation={output_activation!r} with loss={loss!r} and {units} output "
            f"units: {problem}.", UserWarning, stacklevel=3,
        )
