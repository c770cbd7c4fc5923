"""TensorFlow traces a new model's training step once, with the numbers of Keras' own two traces."""

import types

import keras
import numpy as np
import pytest
from keras import layers

from toolkit.single_trace import build_optimizer_before_tracing

ON_TF = keras.backend.backend() == "tensorflow"
X = np.random.default_rng(0).normal(size=(96, 12, 1)).astype("float32")
Y = X[:, -3:, 0].mean(axis=1, keepdims=True)


class Counted(keras.Model):
    """A functional model that counts the traces of its training step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.traces = 0

    def train_step(self, *args):
        self.traces += 1
        return super().train_step(*args)


def counted_lstm() -> Counted:
    keras.utils.set_random_seed(3)
    inputs = keras.Input(X.shape[1:])
    hidden = layers.LSTM(6, dropout=0.2, name="lstm")(inputs)
    model = Counted(inputs, layers.Dense(1, name="out")(hidden))
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.skipif(not ON_TF, reason="Keras builds the optimizer before tracing on JAX and PyTorch")
def test_one_trace_and_the_numbers_of_kerases_two():
    ours = counted_lstm()
    kerases = counted_lstm()
    lazy = type(ours).make_train_function.__wrapped__  # Keras' own, which builds inside the trace
    kerases.make_train_function = types.MethodType(lazy, kerases)
    losses = [m.fit(X, Y, batch_size=32, epochs=3, verbose=0).history["loss"] for m in (ours, kerases)]
    assert (ours.traces, kerases.traces) == (1, 2)
    assert losses[0] == losses[1] and losses[0][-1] < losses[0][0]
    for mine, theirs in zip(ours.get_weights(), kerases.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip(ours.optimizer.variables, kerases.optimizer.variables):
        assert mine.path.split("/", 1)[1] == theirs.path.split("/", 1)[1]  # adam/... and adam_1/...
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))


class Late(keras.Model):
    """A subclassed model whose layers make their weights in its first call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(4, name="hidden")
        self.out = layers.Dense(1, name="out")

    def call(self, x):
        return self.out(self.hidden(keras.ops.reshape(x, (-1, 12))))


@pytest.mark.skipif(not ON_TF, reason="the TensorFlow trainer's")
def test_a_model_whose_variables_come_with_its_first_call_is_left_to_keras():
    keras.utils.set_random_seed(3)
    model = Late()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, Y, batch_size=32, epochs=2, verbose=0).history["loss"]
    assert len(history) == 2 and model.optimizer.built
    assert len(model.optimizer.variables) == 2 + 2 * len(model.trainable_variables)  # iterations, lr, 2 moments


def test_applies_on_tensorflow_only():
    assert build_optimizer_before_tracing() is ON_TF
