"""Monte Carlo dropout draws: one compiled predict, dropout on, any backend."""

import keras
import numpy as np
import pytest

from toolkit.builders.recurrent import stacked_lstm
from toolkit.training.mc_dropout import mc_dropout_draws

X = np.random.default_rng(0).normal(size=(50, 12, 1)).astype("float32")


def test_draws_have_dropout_on_and_the_right_shape():
    keras.utils.set_random_seed(0)
    model = stacked_lstm(window=12, units=8, dense_units=4, dropout=0.3)
    draws = mc_dropout_draws(model, X, 20)
    assert draws.shape == (20, 50, 1)
    assert (draws.std(axis=0) > 0).all()  # every row's passes differ
    assert not np.allclose(draws[0], model.predict(X, verbose=0))


def test_without_dropout_every_draw_is_the_prediction():
    keras.utils.set_random_seed(0)
    model = stacked_lstm(window=12, units=8, dense_units=4, dropout=0.0)
    draws = mc_dropout_draws(model, X, 3)
    for draw in draws:
        np.testing.assert_allclose(draw, model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("samples", [0, -1, 2.5, True])
def test_bad_sample_counts(samples):
    model = stacked_lstm(window=12, units=4, dense_units=2)
    with pytest.raises(ValueError, match=f"`samples` must be a whole number of at least 1. Received: samples={samples!r}"):
        mc_dropout_draws(model, X, samples)
