"""A new model trained through a traced twin gives its own numbers, and its last user keeps its state."""

from dataclasses import replace

import keras
import numpy as np
import pytest

from tests.conftest import random_walk
from tests.runs.test_forecast import QUIET, TINY, frame_of
from toolkit.builders import stacked_lstm
from toolkit.forecasters.keras_forecaster import KerasForecaster
from toolkit.runs.forecast import run_forecast
from toolkit.training import fit, set_seed
from toolkit.training.traced import TracedTwins


pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="twins are TensorFlow's (on JAX and PyTorch models train themselves)")


def test_off_tensorflow_a_model_trains_itself(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    twins = TracedTwins()
    first = _built(1)
    assert twins.take(first) is first and twins.take(_built(1)) is not first and not twins.twins


def _data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(96, 12, 1)).astype("float32")
    return x, x[:, -3:, 0].mean(axis=1, keepdims=True)


def _trained(model, seed):
    x, y = _data(seed)
    record = fit(model, x[:80], y[:80], validation_data=(x[80:], y[80:]), epochs=3, batch_size=16, verbose=0)
    return record.history, model.predict(x, verbose=0)


def _built(seed):
    set_seed(seed)
    return stacked_lstm(window=12, units=6, dense_units=4, dropout=0.3)


def test_a_twin_trains_a_new_model_to_its_own_numbers_and_hands_the_last_one_back():
    twins, handed = TracedTwins(), {}
    first = _built(1)
    assert twins.take(first, hand_back=lambda m: handed.setdefault("first", m)) is first  # the first is the twin
    first_history, first_predictions = _trained(first, 1)
    second = _built(2)
    trained = twins.take(second, hand_back=lambda m: handed.setdefault("second", m))
    assert trained is first and handed["first"] is second  # the first user now holds its state in second's object
    np.testing.assert_array_equal(handed["first"].predict(_data(1)[0], verbose=0), first_predictions)
    history, predictions = _trained(trained, 2)
    alone_history, alone_predictions = _trained(_built(2), 2)  # the same model trained without a twin
    assert history == alone_history
    np.testing.assert_array_equal(predictions, alone_predictions)


def test_a_model_built_otherwise_trains_itself():
    twins = TracedTwins()
    twins.take(_built(1))
    set_seed(1)
    other = stacked_lstm(window=12, units=7, dense_units=4)
    assert twins.take(other) is other


def test_a_forecast_run_gives_the_same_numbers_with_twins_or_without(monkeypatch):
    config = replace(TINY, models=("naive", "mlp", "lstm"), folds=2, mc_samples=3)
    runs = {}
    for share in (False, True):
        monkeypatch.setattr(KerasForecaster, "share_traced", share)
        result = run_forecast(frame_of(random_walk(420, seed=8)), config, **QUIET)
        runs[share] = ([fold.predictions[name] for fold in result.folds for name in ("mlp", "lstm")]
                       + [result.next_forecasts[name] for name in ("mlp", "lstm")]
                       + [bound for fold in result.folds for bound in fold.intervals["lstm"][0.8]])
    for without, with_twins in zip(runs[False], runs[True]):
        np.testing.assert_array_equal(with_twins, without)  # folds, the final refit, MC dropout bands
