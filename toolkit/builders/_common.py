"""Argument checks, training options and the output/loss check shared by the builders."""

from __future__ import annotations

import warnings

import keras

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "selu", "swish", "linear")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "softmax", "tanh", "relu", "softplus")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal")
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd", "nadam", "adadelta")
REGRESSION_LOSSES = ("mse", "mae", "huber", "mean_squared_error", "mean_absolute_error",
                     "mean_squared_logarithmic_error", "msle")
BINARY_LOSSES = ("binary_crossentropy", "bce")
CATEGORICAL_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence")


def check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def check_units(name: str, values, allow_empty: bool = False) -> tuple[int, ...]:
    """A layer-size argument as a tuple of positive integers."""
    values = (values,) if isinstance(values, int) else tuple(values)
    if not values and not allow_empty:
        raise ValueError(f"`{name}` needs at least one layer size. Received: {name}={values!r}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must hold positive integers. Received: {name}={values!r}")
    return values


def check_rate(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must lie in [0, 1). Received: {name}={value!r}")


def check_nonnegative(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"`{name}` must be zero or positive. Received: {name}={value!r}")


def check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(
            f"`{name}` must be one of {', '.join(map(str, allowed))}. Received: {name}={value!r}"
        )


def check_dense_options(activation: str, kernel_initializer: str, dropout: float) -> None:
    check_choice("activation", activation, ACTIVATIONS)
    check_choice("kernel_initializer", kernel_initializer, INITIALIZERS)
    check_rate("dropout", dropout)


def check_output_and_loss(output_activation: str, loss: str, units: int) -> None:
    """Validate the pair and warn where it breaks the lectures' table.

    The table: MSE / MAE with a linear output, binary cross-entropy with a sigmoid
    output, categorical cross-entropy with a softmax over N units. A sigmoid output with
    MSE (targets in [0, 1]) is allowed without warning: the autoencoder lecture compares
    exactly that pair.
    """
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    check_choice("loss", loss, REGRESSION_LOSSES + BINARY_LOSSES + CATEGORICAL_LOSSES)
    problem = None
    if loss in BINARY_LOSSES and output_activation != "sigmoid":
        problem = "binary cross-entropy expects a sigmoid output"
    elif loss in CATEGORICAL_LOSSES and (output_activation != "softmax" or units < 2):
        problem = "categorical cross-entropy expects a softmax over 2 or more units"
    elif loss in REGRESSION_LOSSES and output_activation not in ("linear", "sigmoid", "tanh"):
        problem = f"{loss} expects a linear output (or sigmoid / tanh for bounded targets)"
    if problem:
        warnings.warn(
            f"output_activation={output_activation!r} with loss={loss!r} and {units} output "
            f"units: {problem}.", UserWarning, stacklevel=3,
        )


def dense_kwargs(activation: str, kernel_initializer: str) -> dict:
    """Keyword arguments of hidden Dense layers (leaky ReLU by name, He / Glorot init)."""
    return {"activation": activation, "kernel_initializer": kernel_initializer}


def make_optimizer(optimizer: str = "adam", learning_rate: float = 1e-3,
                   clipnorm: float | None = None, clipvalue: float | None = None):
    """A Keras optimizer by name, with optional gradient clipping by norm or by value."""
    check_choice("optimizer", optimizer, OPTIMIZERS)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
        raise ValueError(f"`learning_rate` must be positive. Received: learning_rate={learning_rate!r}")
    if clipnorm is not None and clipvalue is not None:
        raise ValueError("clip gradients by norm or by value, not both. "
                         f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}")
    kwargs = {"learning_rate": learning_rate}
    for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue)):
        if value is not None:
            if not value > 0:
                raise ValueError(f"`{key}` must be positive. Received: {key}={value!r}")
            kwargs[key] = value
    return keras.optimizers.get({"class_name": optimizer, "config": kwargs})


def compile_model(model: keras.Model, *, loss, optimizer: str, learning_rate: float,
                  clipnorm: float | None = None, clipvalue: float | None = None,
                  metrics: list | None = None) -> keras.Model:
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, clipnorm, clipvalue),
                  loss=loss, metrics=metrics)
    return model
