"""Keras' array pipeline on TensorFlow runs without tf.data autotuning, and trains the same."""

import keras
import numpy as np
import pytest

from toolkit.input_pipelines import steady_array_pipelines

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="JAX and PyTorch feed arrays without tf.data")


def _adapter():
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    return ArrayDataAdapter


def _losses(seed=3):
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(100, 6)).astype("float32")
    y = x @ rng.normal(size=(6, 1)).astype("float32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:20], y[:20]), verbose=0)
    return history.history, model.predict(x, verbose=0)


def test_importing_toolkit_switches_autotuning_off_in_keras_array_pipeline():
    adapter = _adapter()(np.zeros((10, 2), "float32"), np.zeros((10, 1), "float32"), batch_size=4, shuffle=True)
    assert adapter.get_tf_dataset().options().autotune.enabled is False
    assert steady_array_pipelines() is True  # idempotent: already in place


def test_training_without_autotuning_gives_the_same_numbers(monkeypatch):
    steady, steady_predictions = _losses()
    monkeypatch.setattr(_adapter(), "get_tf_dataset", _adapter().get_tf_dataset.__wrapped__)
    assert _adapter()(np.zeros((4, 1), "float32"), batch_size=2).get_tf_dataset().options().autotune.enabled \
        is not False
    autotuned, autotuned_predictions = _losses()
    assert steady == autotuned  # every epoch's loss and val_loss, bit for bit
    np.testing.assert_array_equal(steady_predictions, autotuned_predictions)


def test_the_environment_switch_keeps_keras_pipeline(monkeypatch):
    monkeypatch.setenv("TOOLKIT_TF_DATA_AUTOTUNE", "1")
    assert steady_array_pipelines() is False
