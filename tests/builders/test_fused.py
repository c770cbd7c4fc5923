"""FusedLSTM: keras.layers.LSTM's numbers and gradients, PyTorch's fused kernel on torch."""

import keras
import numpy as np
import pytest
from keras import layers, ops

from toolkit.builders.fused import FusedLSTM

X = np.random.default_rng(0).normal(size=(8, 15, 3)).astype("float32")


def pair(**kwargs):
    keras.utils.set_random_seed(0)
    fused = FusedLSTM(6, **kwargs)
    plain = layers.LSTM(6, **kwargs)
    fused.build(X.shape)
    plain.build(X.shape)
    plain.set_weights(fused.get_weights())
    return fused, plain


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True}, {"return_state": True},
                                    {"go_backwards": True, "return_sequences": True}, {"activation": "relu"}])
def test_same_outputs_as_keras_lstm(kwargs):
    fused, plain = pair(**kwargs)
    for mine, theirs in zip(keras.tree.flatten(fused(X)), keras.tree.flatten(plain(X))):
        np.testing.assert_allclose(ops.convert_to_numpy(mine), ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-6)


def test_same_gradients_and_training_as_keras_lstm():
    y = X[:, -3:, :1].mean(axis=1)
    models = []
    for lstm in pair():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input(X.shape[1:]), lstm, layers.Dense(1, name="out")])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    losses = [model.fit(X, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history["loss"] for model in models]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    assert losses[0][-1] < losses[0][0]
    for mine, theirs in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)


def test_round_trip(tmp_path):
    model = keras.Sequential([keras.Input(X.shape[1:]), FusedLSTM(4, name="lstm"), layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded.layers[0], FusedLSTM)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="the fused path is PyTorch's")
def test_torch_takes_the_fused_path(monkeypatch):
    import torch

    calls = []
    fused_lstm = torch.lstm
    monkeypatch.setattr(torch, "lstm", lambda *args: calls.append(1) or fused_lstm(*args))
    fused, _ = pair()
    fused(X)
    assert calls == [1]
    FusedLSTM(6, go_backwards=True)(X)  # Keras's own loop for what the kernel does not compute
    assert calls == [1]


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True}, {"return_state": True}])
def test_symbolic_shapes_as_keras_lstm(kwargs):
    """Keras builds a new model's loss on symbolic tensors (meta tensors on torch)."""
    from keras.src.backend import compute_output_spec

    fused, plain = pair(**kwargs)
    spec = keras.KerasTensor((None, *X.shape[1:]))
    mine, theirs = (keras.tree.flatten(compute_output_spec(layer, spec)) for layer in (fused, plain))
    assert [(t.shape, t.dtype) for t in mine] == [(t.shape, t.dtype) for t in theirs]
