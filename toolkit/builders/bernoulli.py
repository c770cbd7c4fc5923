"""The Bernoulli classifier: a probability of the positive class, trained by binary cross-entropy."""

from __future__ import annotations

import keras
from keras import layers

from toolkit.builders._common import (
    check_dense_options, check_output_and_loss, check_positive_int, check_units, compile_model,
)
from toolkit.builders.dense import _hidden_stack
from toolkit.builders.registry import register


@register("bernoulli_classifier", "dense", "Sigmoid output + binary cross-entropy: P(pass) from three exam marks")
def bernoulli_classifier(
    input_dim: int = 3,
    hidden_units=(16,),
    activation: str = "relu",
    dropout: float = 0.0,
    kernel_initializer: str = "he_normal",
    optimizer="adam",
    learning_rate: float | None = None,
    momentum: float | None = None,
    clipnorm: float | None = None,
    clipvalue: float | None = None,
    global_clipnorm: float | None = None,
    recipe: str | None = None,
    name: str = "bernoulli_classifier",
) -> keras.Model:
    """y ~ Bernoulli(sigmoid(NN(x))): a network whose one output is the probability that y = 1.

    Rai's notes ("Deep probabilistic model for ... classification") and Singaravelu's
    "Will I pass the CQF program?" (x1, x2, x3 = the three exam marks): a sigmoid output
    trained with the binary cross-entropy J(W) = -mean(y log f + (1 - y) log(1 - f)), the
    Bernoulli negative log-likelihood. With ``hidden_units=()`` it is logistic regression.
    Feed it standardised features (mean and deviation of the training rows) and 0/1 labels.

    Args:
        input_dim: Features per example. Defaults to 3 (the notes' three exam marks).
        hidden_units: Units of each hidden layer; () for logistic regression. Defaults to (16,).
        activation: Hidden activation. Defaults to ``"relu"``.
        dropout: Dropout after each hidden layer. Defaults to 0.
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
        name: Defaults to ``"bernoulli_classifier"``.

    Returns:
        A compiled functional model: ``(batch, input_dim)`` to ``(batch, 1)`` probabilities,
        reporting binary accuracy at 0.5.

    Raises:
        ValueError: For a bad size, activation, initialiser or dropout.

    Example:
        >>> bernoulli_classifier().count_params()  # 3*16 + 16 + 16 + 1
        81
        >>> bernoulli_classifier(hidden_units=()).count_params()  # logistic regression
        4
    """
    check_positive_int("input_dim", input_dim)
    hidden_units = check_units("hidden_units", hidden_units, allow_empty=True)
    check_dense_options(activation, kernel_initializer, dropout)
    check_output_and_loss("sigmoid", "binary_crossentropy", 1)
    inputs = keras.Input(shape=(int(input_dim),), name="features")
    x = _hidden_stack(inputs, hidden_units, activation, kernel_initializer, dropout)
    output = layers.Dense(1, activation="sigmoid", name="probability")(x)
    return compile_model(keras.Model(inputs, output, name=name), loss="binary_crossentropy", optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, recipe=recipe,
                         metrics=[keras.metrics.BinaryAccuracy(name="accuracy")])
