"""The training options every builder shares, defined as the lectures define them.

One place for the keyword options that every builder accepts (:data:`TRAINING_OPTIONS`)
and for what they mean:

* activations by name, with leaky ReLU at the notes' slope of 0.01 (Keras's own
  ``"leaky_relu"`` uses 0.2);
* weight initialisers by name, including the notes' uniform U(-1/sqrt(fan_in),
  1/sqrt(fan_in)) and the plain (untruncated) Glorot and He normals they write down;
* optimisers by name: SGD (with momentum, or Nesterov's look-ahead), Adagrad, Adadelta,
  RMSprop, Adam and its relatives, each at its conventional learning rate unless one is
  given (Adadelta at 1.0, the rate of Zeiler's paper and of Keras 2 that the notes relied
  on, not Keras 3's 1e-3);
* gradient clipping by value, by each gradient's norm, or by the global norm of all of
  them (the notes' "rescaled so that the norm of the vector equals 1.0");
* a named recipe (:mod:`toolkit.builders.recipes`) supplying a lecture's optimiser.
"""

from __future__ import annotations

import keras
from keras import ops

#: The keyword options every registered builder accepts, with these meanings.
TRAINING_OPTIONS = ("optimizer", "learning_rate", "momentum", "clipnorm", "clipvalue",
                    "global_clipnorm", "recipe")

LEAKY_RELU_SLOPE = 0.01
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "selu", "swish", "linear")


@keras.saving.register_keras_serializable(package="toolkit", name="leaky_relu")
def leaky_relu(x):
    """max(0.01 x, x): the notes' leaky ReLU (Singaravelu, "Leaky ReLU Function", a = 0.01)."""
    return ops.leaky_relu(x, negative_slope=LEAKY_RELU_SLOPE)


def activation(name: str):
    """The Keras activation for ``name``; ``"leaky_relu"`` is the notes' slope-0.01 version."""
    check_choice("activation", name, ACTIVATIONS)
    return leaky_relu if name == "leaky_relu" else name


# name -> (VarianceScaling scale, mode, distribution) or a Keras initializer name. The notes
# (Singaravelu, "Weight Initialization") write plain normals; Keras's glorot_normal and
# he_normal draw from a truncated normal of the same variance.
_INITIALIZERS = {
    "glorot_uniform": "glorot_uniform",
    "glorot_normal": "glorot_normal",
    "he_uniform": "he_uniform",
    "he_normal": "he_normal",
    "lecun_uniform": "lecun_uniform",
    "lecun_normal": "lecun_normal",
    # U(-1/sqrt(fan_in), 1/sqrt(fan_in)): VarianceScaling's uniform limit is sqrt(3 scale / fan_in).
    "uniform_fan_in": (1.0 / 3.0, "fan_in", "uniform"),
    # N(0, sqrt(2 / (fan_in + fan_out))): fan_avg divides the scale by (fan_in + fan_out) / 2.
    "glorot_normal_plain": (1.0, "fan_avg", "untruncated_normal"),
    # N(0, sqrt(2 / fan_in)).
    "he_normal_plain": (2.0, "fan_in", "untruncated_normal"),
}
INITIALIZERS = tuple(_INITIALIZERS)


def initializer(name: str, seed: int | None = None):
    """The Keras initializer for ``name`` (see :data:`INITIALIZERS`)."""
    check_choice("kernel_initializer", name, INITIALIZERS)
    spec = _INITIALIZERS[name]
    if isinstance(spec, str):
        return keras.initializers.get({"class_name": spec, "config": {"seed": seed}})
    scale, mode, distribution = spec
    return keras.initializers.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=seed)


def dense_kwargs(activation_name: str, kernel_initializer: str) -> dict:
    """Keyword arguments of a hidden Dense (or Conv) layer."""
    return {"activation": activation(activation_name), "kernel_initializer": initializer(kernel_initializer)}


# The learning rate each optimiser takes when none is given: the usual published defaults.
DEFAULT_LEARNING_RATES = {"adam": 1e-3, "adamw": 1e-3, "nadam": 1e-3, "adamax": 1e-3, "rmsprop": 1e-3,
                          "sgd": 1e-2, "nesterov": 1e-2, "adagrad": 1e-2, "adadelta": 1.0}
OPTIMIZERS = tuple(DEFAULT_LEARNING_RATES)
_MOMENTUM_OPTIMIZERS = ("sgd", "nesterov", "rmsprop")


def check_choice(name: str, value, allowed) -> None:
    if isinstance(value, (list, dict)) or value not in allowed:
        raise ValueError(
            f"`{name}` must be one of {', '.join(map(str, allowed))}. Received: {name}={value!r}"
        )


def _check_positive(name: str, value) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
        raise ValueError(f"`{name}` must be positive. Received: {name}={value!r}")


def make_optimizer(optimizer="adam", learning_rate: float | None = None, *, momentum: float | None = None,
                   clipnorm: float | None = None, clipvalue: float | None = None,
                   global_clipnorm: float | None = None, recipe: str | None = None):
    """A Keras optimizer from the shared options.

    Args:
        optimizer: A name from :data:`OPTIMIZERS` (``"nesterov"`` is SGD with Nesterov's
            look-ahead momentum) or a ready ``keras.optimizers.Optimizer``, used as given.
            Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own (:data:`DEFAULT_LEARNING_RATES`).
        momentum: For ``sgd``, ``nesterov`` (0.9 when not given) and ``rmsprop``.
            Defaults to None (none).
        clipnorm: Rescale each gradient to at most this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Rescale all gradients together so that their joint norm is at
            most this. Defaults to None.
        recipe: A recipe name from :mod:`toolkit.builders.recipes`; it supplies optimizer,
            learning rate and momentum (clipping still applies). Defaults to None.

    Returns:
        A ``keras.optimizers.Optimizer``.
    """
    if recipe is not None:
        from toolkit.builders.recipes import get_recipe

        chosen = get_recipe(recipe)
        optimizer, learning_rate, momentum = chosen.optimizer, chosen.learning_rate, chosen.momentum
    clipping = {key: value for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                              ("global_clipnorm", global_clipnorm)) if value is not None}
    if isinstance(optimizer, keras.optimizers.Optimizer):
        if learning_rate is not None or momentum is not None or clipping:
            raise ValueError("a ready optimizer carries its own settings; pass learning_rate, momentum and "
                             f"clipping to it instead. Received: optimizer={type(optimizer).__name__}")
        return optimizer
    check_choice("optimizer", optimizer, OPTIMIZERS)
    _check_positive("learning_rate", learning_rate)
    for key, value in clipping.items():
        _check_positive(key, value)
    if len(clipping) > 1:
        raise ValueError("clip gradients one way: by clipnorm, clipvalue or global_clipnorm. Received: "
                         + ", ".join(f"{key}={value}" for key, value in clipping.items()))
    if momentum is not None:
        if optimizer not in _MOMENTUM_OPTIMIZERS:
            raise ValueError(f"`momentum` applies to {', '.join(_MOMENTUM_OPTIMIZERS)}. "
                             f"Received: optimizer={optimizer!r}, momentum={momentum!r}")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
            raise ValueError(f"`momentum` must lie in [0, 1). Received: momentum={momentum!r}")
    config = {"learning_rate": float(learning_rate if learning_rate is not None
                                     else DEFAULT_LEARNING_RATES[optimizer]), **clipping}
    if optimizer == "nesterov":
        return keras.optimizers.SGD(momentum=0.9 if momentum is None else momentum, nesterov=True, **config)
    if momentum is not None:
        config["momentum"] = float(momentum)
    return keras.optimizers.get({"class_name": optimizer, "config": config})


def compile_model(model: keras.Model, *, loss, optimizer="adam", learning_rate: float | None = None,
                  momentum: float | None = None, clipnorm: float | None = None,
                  clipvalue: float | None = None, global_clipnorm: float | None = None,
                  recipe: str | None = None, metrics: list | None = None, **compile_kwargs) -> keras.Model:
    """Compile ``model`` with ``loss`` and the optimizer the shared options describe."""
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, momentum=momentum, clipnorm=clipnorm,
                                           clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe),
                  loss=loss, metrics=metrics, **compile_kwargs)
    return model
