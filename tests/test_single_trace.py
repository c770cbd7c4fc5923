"""TensorFlow traces a new model's training step once, with the numbers of Keras' own two traces."""

import types

import keras
import numpy as np
import pytest
from keras import layers

from toolkit.builders.steps import SteppedModel
from toolkit.single_trace import build_optimizer_before_tracing

ON_TF = keras.backend.backend() == "tensorflow"
X = np.random.default_rng(0).normal(size=(96, 12, 1)).astype("float32")
Y = X[:, -3:, 0].mean(axis=1, keepdims=True)


class Traces(layers.Layer):
    """Passes its input on and counts the calls of ``call``: once per trace inside ``fit``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def call(self, x):
        self.calls += 1
        return x


def lstm_model(optimizer):
    keras.utils.set_random_seed(3)
    inputs = keras.Input(X.shape[1:])
    traces = Traces(name="traces")
    hidden = layers.LSTM(6, dropout=0.2, name="lstm")(traces(inputs))
    model = keras.Model(inputs, layers.Dense(1, name="out")(hidden))
    model.compile(optimizer=optimizer(), loss="mse")
    traces.calls = 0
    return model, traces


def _names(optimizer) -> list[str]:
    """Its variables' paths, with its own name (adam, adam_1, ...) made one."""
    inner = getattr(optimizer, "inner_optimizer", None)
    paths = [v.path.replace(optimizer.name, "OPT", 1) for v in optimizer.variables]
    return [p.replace(inner.name, "INNER", 1) for p in paths] if inner is not None else paths


@pytest.mark.skipif(not ON_TF, reason="Keras builds the optimizer before tracing on JAX and PyTorch")
@pytest.mark.parametrize("optimizer", [keras.optimizers.Adam,
                                       lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())])
def test_one_trace_and_the_numbers_and_state_of_kerases_two(optimizer):
    ours, our_traces = lstm_model(optimizer)
    kerases, their_traces = lstm_model(optimizer)
    lazy = type(ours).make_train_function.__wrapped__  # Keras' own, which builds inside the trace
    kerases.make_train_function = types.MethodType(lazy, kerases)
    losses = [m.fit(X, Y, batch_size=32, epochs=3, verbose=0).history["loss"] for m in (ours, kerases)]
    assert (our_traces.calls, their_traces.calls) == (1, 2)
    assert losses[0] == losses[1] and losses[0][-1] < losses[0][0]
    for mine, theirs in zip(ours.get_weights(), kerases.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert _names(ours.optimizer) == _names(kerases.optimizer)  # the same names: a saved state tree loads
    for mine, theirs in zip(ours.optimizer.variables, kerases.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))


class OwnStep(keras.Model):
    """A training step of one's own that applies the optimizer to a variable outside the model's
    trainable variables (an input being optimised): Keras builds the optimizer in the trace."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(1, name="out")
        self.shift = keras.Variable(np.zeros((1, 12), "float32"), trainable=False, name="shift")

    def call(self, x):
        return self.dense(keras.ops.reshape(x, (-1, 12)) + self.shift)

    def train_step(self, data):
        import tensorflow as tf

        x, y = data
        with tf.GradientTape() as tape:
            tape.watch(self.shift.value)
            loss = keras.ops.mean(keras.ops.square(self(x) - y))
        self.optimizer.apply([tape.gradient(loss, self.shift.value)], [self.shift])
        return {"loss": loss}


class FirstLayerOnly(SteppedModel):
    """A SteppedModel of one's own that trains only its first layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(4, name="first")
        self.second = layers.Dense(1, name="second")
        self.tracker = keras.metrics.Mean(name="loss")

    def call(self, x):
        return self.second(self.first(keras.ops.reshape(x, (-1, 12))))

    def step(self, data, training):
        x, y = data

        def loss():
            value = keras.ops.mean(keras.ops.square(self(x) - y))
            return value, value

        value, _, grads = self.gradients(loss, self.first.trainable_weights)
        if training:
            self.apply(self.optimizer, grads, self.first.trainable_weights)
        self.tracker.update_state(value)
        return {"loss": self.tracker.result()}


class Late(keras.Model):
    """A subclassed model whose layers make their weights in its first call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(4, name="hidden")
        self.out = layers.Dense(1, name="out")

    def call(self, x):
        return self.out(self.hidden(keras.ops.reshape(x, (-1, 12))))


@pytest.mark.skipif(not ON_TF, reason="the TensorFlow trainer's")
@pytest.mark.parametrize("make", [OwnStep, FirstLayerOnly, Late])
def test_models_it_cannot_know_are_left_to_keras(make):
    keras.utils.set_random_seed(3)
    model = make()
    model(X[:2])  # OwnStep: built, with a variable its step applies the optimizer to
    model = make() if make is Late else model
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, Y, batch_size=32, epochs=2, verbose=0).history["loss"]
    assert len(history) == 2 and model.optimizer.built
    if make is FirstLayerOnly:  # built by Keras for what the step applies it to: no slots for the rest
        assert len(model.optimizer.variables) == 2 + 2 * len(model.first.trainable_weights)


def test_applies_on_tensorflow_only():
    assert build_optimizer_before_tracing() is ON_TF
