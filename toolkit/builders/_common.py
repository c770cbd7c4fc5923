"""Argument checks and compile options shared by the builders."""

from __future__ import annotations

import keras

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "selu", "linear", "softmax")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal")


def check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def check_units(name: str, values) -> tuple[int, ...]:
    values = (values,) if isinstance(values, int) else tuple(values)
    if not values:
        raise ValueError(f"`{name}` needs at least one layer size. Received: {name}={values!r}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must hold positive integers. Received: {name}={values!r}")
    return values


def check_rate(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must lie in [0, 1). Received: {name}={value!r}")


def check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {', '.join(map(str, allowed))}. Received: {name}={value!r}")


def make_optimizer(optimizer: str = "adam", learning_rate: float = 1e-3,
                   clipnorm: float | None = None, clipvalue: float | None = None):
    """A Keras optimizer by name, with optional gradient clipping by norm or by value."""
    check_choice("optimizer", optimizer, ("adam", "adamw", "rmsprop", "sgd", "nadam"))
    if not learning_rate > 0:
        raise ValueError(f"`learning_rate` must be positive. Received: learning_rate={learning_rate!r}")
    kwargs = {"learning_rate": learning_rate}
    for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue)):
        if value is not None:
            if not value > 0:
                raise ValueError(f"`{key}` must be positive. Received: {key}={value!r}")
            kwargs[key] = value
    return keras.optimizers.get({"class_name": optimizer, "config": kwargs})
