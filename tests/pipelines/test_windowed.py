import numpy as np
import pytest

from tests.conftest import random_walk
from toolkit.errors import DataError
from toolkit.pipelines.windowed import make_windowed_data


@pytest.mark.parametrize("target", ["price", "log-return"])
def test_no_training_sample_sees_validation_or_test_rows(target):
    data = make_windowed_data(random_walk(600), window=30, horizon=3, target=target)
    train_end = data.split.train_end
    assert data.target_index["train"].max() < train_end
    assert data.target_index["validation"].min() >= train_end
    assert data.target_index["test"].min() >= data.split.val_end
    # Inputs of every sample end `horizon` rows before its target.
    for part in ("train", "validation", "test"):
        assert (data.last_input_index(part) == data.target_index[part] - 3).all()


def test_training_windows_hold_only_past_values():
    # A series of positions: a scaled window maps back to the rows it read.
    n = 500
    data = make_windowed_data(np.arange(1, n + 1, dtype=float), window=20, horizon=2)
    rows = np.rint(data.feature_scaler.inverse_transform(data.x["train"][:, :, 0].reshape(-1, 1))).reshape(-1, 20) - 1
    assert (rows.max(axis=1) < data.target_index["train"]).all()
    assert rows.max() < data.split.train_end


def test_price_scaler_statistics_are_those_of_the_training_rows():
    prices = random_walk(800, seed=3)
    data = make_windowed_data(prices, window=20)
    train = prices[: data.split.train_end]
    assert data.feature_scaler.data_min_[0] == train.min()
    assert data.feature_scaler.data_max_[0] == train.max()
    assert train.max() < prices.max() or train.min() > prices.min()  # the test part differs


def test_return_scaler_statistics_are_those_of_the_training_rows():
    prices = random_walk(800, seed=4)
    data = make_windowed_data(prices, window=20, target="log-return")
    returns = np.diff(np.log(prices[: data.split.train_end]))
    assert data.feature_scaler.mean_[0] == pytest.approx(returns.mean(), rel=1e-12)
    assert data.feature_scaler.scale_[0] == pytest.approx(returns.std(), rel=1e-12)


def test_changing_the_future_leaves_training_arrays_unchanged():
    prices = random_walk(600, seed=5)
    data = make_windowed_data(prices, window=30)
    altered = prices.copy()
    altered[data.split.train_end:] *= 3.0
    again = make_windowed_data(altered, window=30)
    np.testing.assert_array_equal(data.x["train"], again.x["train"])
    np.testing.assert_array_equal(data.y["train"], again.y["train"])


@pytest.mark.parametrize("target", ["price", "log-return"])
def test_outputs_map_back_to_prices(target):
    prices = random_walk(400, seed=6)
    data = make_windowed_data(prices, window=10, horizon=2, target=target)
    recovered = data.to_price(data.y["test"], data.origin_prices("test"))
    np.testing.assert_allclose(recovered, data.actual("test"), rtol=1e-5)


def test_next_window_is_the_newest():
    prices = np.arange(1.0, 301.0)
    data = make_windowed_data(prices, window=10)
    last = data.feature_scaler.inverse_transform(data.x_next[0])[:, 0]
    np.testing.assert_allclose(last, prices[-10:], rtol=1e-5)


def test_too_short_names_the_numbers():
    with pytest.raises(DataError) as err:
        make_windowed_data(random_walk(100), window=60, horizon=1)
    assert str(err.value) == (
        "series too short: 100 rows split into train 70 / validation 15 / test 15, but window 60 + "
        "horizon 1 need at least 116 rows (20 training windows, 5 validation and test targets); "
        "use a longer date range or a smaller --window"
    )
    # The stated minimum is enough, and one row fewer is not.
    make_windowed_data(random_walk(116), window=60, horizon=1)
    with pytest.raises(DataError, match="need at least 116 rows"):
        make_windowed_data(random_walk(115), window=60, horizon=1)
