"""The learning-rate range test: loss against an exponentially growing rate, the model left as it was."""

import keras
import numpy as np
import pytest

from toolkit.builders import mlp_regressor
from toolkit.training import lr_range_test, set_seed

RNG = np.random.default_rng(0)
X = RNG.normal(size=(1024, 4)).astype("float32")
Y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2]).astype("float32")


def model(**kwargs):
    set_seed(0)
    return mlp_regressor(activation="relu", hidden_units=(32, 32), **kwargs)


def test_rates_grow_exponentially_the_loss_diverges_and_the_model_is_restored():
    m = model()
    before = [np.array(v) for v in m.weights]
    result = lr_range_test(m, X, Y, min_lr=1e-5, max_lr=100.0, steps=60)
    assert result.stopped == "diverged" and 10 <= len(result.losses) < 60
    ratios = result.rates[1:] / result.rates[:-1]
    assert np.allclose(ratios, (100 / 1e-5) ** (1 / 59))
    assert result.rates[0] == pytest.approx(1e-5)
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(before, m.weights))
    assert float(m.optimizer.learning_rate) == pytest.approx(1e-3) and int(m.optimizer.iterations) == 0
    skip = 6  # the first tenth of the 60 batches, where the average warms up
    assert result.lowest_loss_rate == pytest.approx(result.rates[skip + np.argmin(result.smoothed[skip:])])
    assert result.suggested == pytest.approx(result.lowest_loss_rate / 10)
    assert result.figure().axes[0].get_xscale() == "log"


def test_the_suggestion_lies_within_a_decade_of_the_best_rate_of_a_sweep():
    result = lr_range_test(model(), X, Y, steps=100)
    final = {}
    for rate in (1e-4, 1e-3, 1e-2, 1e-1, 1.0):
        m = model(learning_rate=rate)
        m.fit(X, Y, epochs=2, batch_size=32, verbose=0)
        final[rate] = float(m.evaluate(X, Y, verbose=0))
    best = min(final, key=final.get)
    assert abs(np.log10(result.suggested) - np.log10(best)) <= 1, (result.suggested, final)


def test_bad_arguments_are_refused():
    bare = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="must be compiled"):
        lr_range_test(bare, X, Y)
    scheduled = model(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)))
    with pytest.raises(ValueError, match="learning-rate schedule"):
        lr_range_test(scheduled, X, Y)
    with pytest.raises(ValueError, match=r"`max_lr` must be at least 10 times `min_lr`.*Received: min_lr=1.0, max_lr=0.1"):
        lr_range_test(model(), X, Y, min_lr=1.0, max_lr=0.1)
    with pytest.raises(ValueError, match="`batch_size` must not exceed the 8 rows of data. Received: batch_size=32"):
        lr_range_test(model(), X[:8], Y[:8])
    with pytest.raises(ValueError, match="`x` must be an array or a dict of arrays"):
        lr_range_test(model(), [X, X], Y)
    with pytest.raises(ValueError, match="`y` must be one array"):
        lr_range_test(model(), X, {"a": Y})
    with pytest.raises(ValueError, match="the arrays of `x` must have one number of rows"):
        lr_range_test(model(), {"a": X, "b": X[:5]}, Y)
    with pytest.raises(ValueError, match="`smoothing` must lie in"):
        lr_range_test(model(), X, Y, smoothing="0.9")
    with pytest.raises(ValueError, match="`seed` must be a whole number of at least 0. Received: seed=-1"):
        lr_range_test(model(), X, Y, seed=-1)
    with pytest.raises(ValueError, match="`steps` must be a whole number of at least 10. Received: steps=5"):
        lr_range_test(model(), X, Y, steps=5)
    with pytest.raises(ValueError, match="same number"):
        lr_range_test(model(), X, Y[:10])
    with pytest.raises(ValueError, match="must be finite"):
        lr_range_test(model(), np.where(X > 2, np.nan, X), Y)
    with pytest.raises(ValueError, match=r"the loss diverged within the first tenth of the batches .* lower min_lr"):
        lr_range_test(model(), X * 1e6, Y, min_lr=1.0, max_lr=1e3)


def test_a_negative_loss_runs_and_numpy_numbers_are_taken():
    from toolkit.builders import gaussian_mlp

    set_seed(0)
    noisy = gaussian_mlp(input_dim=4, noise="heteroscedastic")
    y = (0.01 * Y).astype("float32")  # small noise: the Gaussian NLL goes far below zero
    noisy.fit(X, y, epochs=5, verbose=0)
    assert noisy.evaluate(X, y, verbose=0) < 0
    result = lr_range_test(noisy, X, y, steps=np.int64(40), batch_size=np.int64(64), min_lr=np.float32(1e-6))
    assert len(result.losses) >= 10 and result.losses[0] < 0


def test_a_narrow_range_warns_instead_of_suggesting_silently():
    with pytest.warns(UserWarning, match="still falling at max_lr"):
        result = lr_range_test(model(), X, Y, min_lr=1e-6, max_lr=1e-5, steps=20)
    assert result.notes and result.stopped == "max_lr"
