import keras
import numpy as np
import pytest

from toolkit.builders import get_builder, stacked_lstm
from toolkit.training import fit, set_seed


def test_lecture_parameter_count_and_layers():
    model = stacked_lstm()
    assert model.count_params() == 806_017
    assert [layer.name for layer in model.layers] == [
        "lstm_1", "dropout_1", "lstm_2", "dropout_2", "dense_1", "output"]
    assert model.output_shape == (None, 1)


def test_gru_option_and_registry():
    assert get_builder("stacked_lstm").build is stacked_lstm
    gru = stacked_lstm(window=10, units=8, dense_units=4, cell="gru")
    assert isinstance(gru.layers[0], keras.layers.GRU)


def test_save_and_load_gives_identical_predictions(tmp_path):
    set_seed(0)
    model = stacked_lstm(window=12, units=8, dense_units=4)
    x = np.random.default_rng(0).normal(size=(16, 12, 1)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_loss_goes_down_on_a_learnable_series():
    set_seed(0)
    t = np.arange(400, dtype="float32")
    series = np.sin(t / 8)
    x = np.lib.stride_tricks.sliding_window_view(series[:-1], 16)[:, :, None].copy()
    y = series[16:]
    model = stacked_lstm(window=16, units=16, dense_units=8, dropout=0.0, learning_rate=3e-3)
    record = fit(model, x, y, epochs=4, batch_size=32, verbose=0)
    assert record.epochs_run == 4
    assert record.history["loss"][-1] < 0.5 * record.history["loss"][0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": -1}, "`units` must be a positive integer. Received: units=-1"),
        ({"dropout": 1.5}, "`dropout` must lie in [0, 1). Received: dropout=1.5"),
        ({"cell": "rnn"}, "`cell` must be one of lstm, gru. Received: cell='rnn'"),
        ({"learning_rate": 0}, "`learning_rate` must be positive. Received: learning_rate=0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as err:
        stacked_lstm(**kwargs)
    assert str(err.value) == message
