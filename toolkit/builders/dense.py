"""Dense builders: MLP regressor and classifier, the Gaussian noise model, NARX."""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from toolkit.builders._common import (
    check_dense_options, check_output_and_loss, check_positive_int, check_units,
    compile_model, dense_kwargs,
)
from toolkit.builders.registry import register


def _hidden_stack(x, hidden_units, activation, kernel_initializer, dropout, prefix="dense"):
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, name=f"{prefix}_{index}", **dense_kwargs(activation, kernel_initializer))(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"{prefix}_dropout_{index}")(x)
    return x


def _input_dim(input_dim, window, n_features, default: int) -> int:
    """``input_dim``, or ``window * n_features`` for a model of flattened price windows."""
    check_positive_int("input_dim", input_dim)
    if window is None:
        return input_dim
    check_positive_int("window", window)
    check_positive_int("n_features", n_features)
    if input_dim not in (default, window * n_features):
        raise ValueError(f"give `input_dim` or `window` (input_dim = window * n_features), not both. "
                         f"Received: input_dim={input_dim}, window={window}, n_features={n_features}")
    return window * n_features


@register("mlp_regressor", "dense", "FFN 4 -> 200 sigmoid -> 300 sigmoid -> 1 (system identification)")
def mlp_regressor(
    input_dim: int = 4,
    hidden_units=(200, 300),
    window: int | None = None,
    n_features: int = 1,
    activation: str = "sigmoid",
    outputs: int = 1,
    output_activation: str = "linear",
    dropout: float = 0.0,
    kernel_initializer: str = "glorot_uniform",
    loss: str = "mse",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "mlp_regressor",
) -> keras.Model:
    """Multilayer perceptron for regression; 61,601 parameters at the defaults.

    Args:
        input_dim: Input features. Defaults to 4.
        hidden_units: Units of each hidden layer. Defaults to (200, 300).
        window: For price windows: steps per window, so ``input_dim = window * n_features``
            (the forecast run feeds such a model flattened windows). Defaults to None.
        n_features: Values per step of a window. Defaults to 1.
        activation: Hidden activation (relu, leaky_relu, tanh, sigmoid, ...). Defaults to
            ``"sigmoid"``, as in the lecture.
        outputs: Output units. Defaults to 1.
        output_activation: Defaults to ``"linear"``.
        dropout: Dropout after each hidden layer. Defaults to 0.
        kernel_initializer: ``"glorot_uniform"``, ``"he_normal"``, ... Defaults to
            ``"glorot_uniform"``.
        loss: Defaults to ``"mse"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"mlp_regressor"``.

    Returns:
        A compiled ``keras.Sequential``.

    Example:
        >>> mlp_regressor().count_params()
        61601
    """
    input_dim = _input_dim(input_dim, window, n_features, default=4)
    check_positive_int("outputs", outputs)
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss(output_activation, loss, outputs)
    model = keras.Sequential([keras.Input(shape=(input_dim,), name="features")], name=name)
    for index, units in enumerate(hidden_units, start=1):
        model.add(layers.Dense(units, name=f"dense_{index}", **dense_kwargs(activation, kernel_initializer)))
        if dropout:
            model.add(layers.Dropout(dropout, name=f"dropout_{index}"))
    model.add(layers.Dense(outputs, activation=output_activation, name="output"))
    return compile_model(model, loss=loss, optimizer=optimizer, learning_rate=learning_rate,
                         momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         recipe=recipe)


@register("mlp_classifier", "dense", "MLP classifier with a softmax over N classes")
def mlp_classifier(
    input_dim: int = 784,
    hidden_units=(128,),
    n_classes: int = 10,
    activation: str = "relu",
    dropout: float = 0.2,
    kernel_initializer: str = "he_normal",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "mlp_classifier",
) -> keras.Model:
    """Multilayer perceptron classifier trained with categorical cross-entropy.

    Args:
        input_dim: Input features (784 for flattened 28x28 digits). Defaults to 784.
        hidden_units: Units of each hidden layer. Defaults to (128,).
        n_classes: Softmax units; labels are one-hot. Defaults to 10.
        activation: Hidden activation. Defaults to ``"relu"``.
        dropout: Dropout after each hidden layer. Defaults to 0.2.
        kernel_initializer: Defaults to ``"he_normal"`` (suits ReLU).
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"mlp_classifier"``.

    Returns:
        A compiled ``keras.Sequential`` reporting accuracy.

    Example:
        >>> mlp_classifier(input_dim=64, hidden_units=(32,)).output_shape
        (None, 10)
    """
    check_positive_int("input_dim", input_dim)
    check_positive_int("n_classes", n_classes)
    if n_classes < 2:
        raise ValueError(f"`n_classes` must be at least 2. Received: n_classes={n_classes}")
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("softmax", "categorical_crossentropy", n_classes)
    inputs = keras.Input(shape=(input_dim,), name="features")
    x = _hidden_stack(inputs, hidden_units, activation, kernel_initializer, dropout)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name=name)
    return compile_model(model, loss="categorical_crossentropy", optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe, metrics=["accuracy"])


@keras.saving.register_keras_serializable(package="toolkit")
class GaussianHead(layers.Layer):
    """Means and variances of a Gaussian noise model, side by side: ``[means, variances]``.

    Args:
        noise: ``"homoscedastic"`` (one learned variance per output, the tutorial's noise
            model) or ``"heteroscedastic"`` (variance depends on the input, its own dense unit).
        outputs: Predicted values (e.g. steps ahead); the layer emits ``2 * outputs``.
        min_variance: Floor added to the softplus variance for numerical safety.
    """

    def __init__(self, noise: str = "homoscedastic", outputs: int = 1, min_variance: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.noise = noise
        self.outputs = outputs
        self.min_variance = min_variance
        self.mean = layers.Dense(outputs, name="mean")
        self.raw_variance = layers.Dense(outputs, name="raw_variance") if noise == "heteroscedastic" else None

    def build(self, input_shape):
        self.mean.build(input_shape)
        if self.raw_variance is not None:
            self.raw_variance.build(input_shape)
        else:
            self.raw_log_variance = self.add_weight(shape=(self.outputs,), initializer="zeros",
                                                    name="raw_log_variance")

    def call(self, features):
        mean = self.mean(features)
        raw = self.raw_variance(features) if self.raw_variance is not None else (
            ops.zeros_like(mean) + self.raw_log_variance)
        return ops.concatenate([mean, ops.softplus(raw) + self.min_variance], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2 * self.outputs)

    def get_config(self):
        return {**super().get_config(), "noise": self.noise, "outputs": self.outputs,
                "min_variance": self.min_variance}


@keras.saving.register_keras_serializable(package="toolkit")
def gaussian_nll(y_true, y_pred):
    """Negative log-likelihood of ``y_true`` under N(mean, variance) from :class:`GaussianHead`."""
    outputs = y_pred.shape[-1] // 2
    y_true = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1, outputs))
    mean, variance = y_pred[:, :outputs], y_pred[:, outputs:]
    return ops.mean(0.5 * (ops.log(2 * math.pi * variance) + ops.square(y_true - mean) / variance))


def split_mean_variance(predictions):
    """``(mean, variance)`` from a Gaussian model's ``predict`` output: shape ``(n,)`` each
    for one output, ``(n, outputs)`` for several."""
    outputs = predictions.shape[-1] // 2
    mean, variance = predictions[:, :outputs], predictions[:, outputs:]
    return (mean[:, 0], variance[:, 0]) if outputs == 1 else (mean, variance)


@register("gaussian_mlp", "dense", "MLP with a Gaussian noise model: mean and variance by NLL")
def gaussian_mlp(
    input_dim: int = 1,
    hidden_units=(50, 50),
    window: int | None = None,
    n_features: int = 1,
    activation: str = "tanh",
    noise: str = "homoscedastic",
    outputs: int = 1,
    dropout: float = 0.0,
    kernel_initializer: str = "glorot_uniform",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "gaussian_mlp",
) -> keras.Model:
    """The tutorial's regression network with a Gaussian noise model.

    Trained by minimising the negative log-likelihood :func:`gaussian_nll`, it predicts
    ``[mean, variance]`` per sample, so every prediction carries its uncertainty (use
    :func:`split_mean_variance`).

    Args:
        input_dim: Input features. Defaults to 1.
        hidden_units: Units of each hidden layer. Defaults to (50, 50), two hidden layers
            as in the tutorial.
        window: For price windows: steps per window, so ``input_dim = window * n_features``
            (the forecast run feeds such a model flattened windows). Defaults to None.
        n_features: Values per step of a window. Defaults to 1.
        activation: Hidden activation. Defaults to ``"tanh"``.
        noise: ``"homoscedastic"``: the tutorial's noise model, one learned variance
            shared by every input (Raissi: independent errors of one variance); or
            ``"heteroscedastic"``: a variance that depends on the input, its own output
            unit (an extension, for noise that changes with x). Defaults to
            ``"homoscedastic"``.
        outputs: Values predicted, each with its variance. Defaults to 1.
        dropout: Dropout after each hidden layer. Defaults to 0.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"gaussian_mlp"``.

    Returns:
        A compiled functional model with output shape ``(None, 2 * outputs)``.

    Example:
        >>> model = gaussian_mlp()
        >>> model.output_shape
        (None, 2)
    """
    input_dim = _input_dim(input_dim, window, n_features, default=1)
    check_positive_int("outputs", outputs)
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, kernel_initializer, dropout)
    if noise not in ("heteroscedastic", "homoscedastic"):
        raise ValueError(f"`noise` must be one of heteroscedastic, homoscedastic. Received: noise={noise!r}")
    check_output_and_loss("linear", "gaussian_nll", 2 * outputs)
    inputs = keras.Input(shape=(input_dim,), name="features")
    x = _hidden_stack(inputs, hidden_units, activation, kernel_initializer, dropout)
    head = GaussianHead(noise=noise, outputs=outputs, name="gaussian")(x)
    model = keras.Model(inputs, head, name=name)
    return compile_model(model, loss=gaussian_nll, optimizer=optimizer, learning_rate=learning_rate,
                         momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         recipe=recipe)


@register("narx", "dense", "NARX: y(k) from y(k-1..k-na) and u(k..k-nb) through a sigmoid FFN")
def narx(
    na: int = 2,
    nb: int = 1,
    hidden_units=(200, 300),
    activation: str = "sigmoid",
    kernel_initializer: str = "glorot_uniform",
    dropout: float = 0.0,
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "narx",
) -> keras.Model:
    """Nonlinear autoregressive model with exogenous input.

    ``y_hat(k) = f(y(k-1), ..., y(k-na), u(k), ..., u(k-nb))``. Two named inputs,
    ``y_lags`` of width ``na`` and ``u_lags`` of width ``nb + 1``, are concatenated
    into the FFN; at the defaults (na=2, nb=1: 4 regressors) it is the lecture's
    4-200-300-1 network with 61,601 parameters. Build the regressors with
    :func:`toolkit.pipelines.lags.narx_regressors`.

    Args:
        na: Lagged outputs. Defaults to 2.
        nb: Lags of the exogenous input beyond u(k). Defaults to 1.
        hidden_units: Defaults to (200, 300).
        activation: Defaults to ``"sigmoid"``.
        kernel_initializer: Defaults to ``"glorot_uniform"``.
        dropout: Defaults to 0.
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        name: Defaults to ``"narx"``.

    Returns:
        A compiled functional model taking ``{"y_lags": ..., "u_lags": ...}``.

    Example:
        >>> narx().count_params()
        61601
    """
    check_positive_int("na", na)
    if isinstance(nb, bool) or not isinstance(nb, int) or nb < 0:
        raise ValueError(f"`nb` must be zero or a positive integer. Received: nb={nb!r}")
    hidden_units = check_units("hidden_units", hidden_units)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("linear", "mse", 1)
    y_lags = keras.Input(shape=(na,), name="y_lags")
    u_lags = keras.Input(shape=(nb + 1,), name="u_lags")
    x = layers.Concatenate(name="regressors")([y_lags, u_lags])
    x = _hidden_stack(x, hidden_units, activation, kernel_initializer, dropout)
    output = layers.Dense(1, name="y_hat")(x)
    model = keras.Model({"y_lags": y_lags, "u_lags": u_lags}, output, name=name)
    return compile_model(model, loss="mse", optimizer=optimizer, learning_rate=learning_rate,
                         momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         recipe=recipe)
