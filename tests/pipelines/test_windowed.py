import numpy as np
import pytest

from tests.conftest import random_walk
from toolkit.errors import DataError, UsageError
from toolkit.pipelines.windowed import FoldBounds, make_windowed_data


@pytest.mark.parametrize("target", ["price", "log-return"])
def test_every_target_of_a_sample_lies_in_its_part(target):
    data = make_windowed_data(random_walk(600), window=30, horizon=3, target=target)
    b = data.bounds
    train, val, test = (data.target_rows(p) for p in ("train", "validation", "test"))
    assert b.train_start <= train.min() and train.max() < b.train_end
    assert b.train_end <= val.min() and val.max() < b.val_end
    assert b.test_start <= test.min() and test.max() < b.test_end
    assert b.gap == 3 and test.min() - val.max() > 3  # the gap keeps test targets apart
    assert data.y["train"].shape == (len(data.origin["train"]), 3)
    assert data.x["train"].shape[1:] == (30, 1)


def test_training_windows_hold_only_past_values():
    # A series of positions: a scaled window maps back to the rows it read.
    n = 500
    data = make_windowed_data(np.arange(1, n + 1, dtype=float), window=20, horizon=2, target="price")
    rows = np.rint(data.feature_scaler.inverse_transform(data.x["train"][:, :, 0].reshape(-1, 1))).reshape(-1, 20) - 1
    assert (rows[:, -1] == data.origin["train"]).all()
    assert (rows.max(axis=1) < data.target_rows("train").min(axis=1)).all()
    assert rows.max() < data.bounds.train_end


def test_price_scaler_statistics_are_those_of_the_training_rows():
    prices = random_walk(800, seed=3)
    data = make_windowed_data(prices, window=20, target="price")
    train = prices[: data.bounds.train_end]
    assert data.feature_scaler.data_min_[0] == train.min()
    assert data.feature_scaler.data_max_[0] == train.max()
    assert data.target_scaler.data_min_[0] == train.min()
    assert train.max() < prices.max() or train.min() > prices.min()  # the test part differs


def test_return_scaler_statistics_are_those_of_the_training_rows():
    prices = random_walk(800, seed=4)
    data = make_windowed_data(prices, window=20, target="log-return")
    returns = np.diff(np.log(prices[: data.bounds.train_end]))
    assert data.feature_scaler.mean_[0] == pytest.approx(returns.mean(), rel=1e-12)
    assert data.feature_scaler.scale_[0] == pytest.approx(returns.std(), rel=1e-12)


def test_fold_scaler_sees_only_its_own_training_rows():
    prices = random_walk(900, seed=8)
    bounds = FoldBounds(train_start=200, train_end=500, val_end=600, test_start=601, test_end=800)
    data = make_windowed_data(prices, window=20, bounds=bounds, target="price")
    assert data.feature_scaler.data_min_[0] == prices[200:500].min()
    assert data.feature_scaler.data_max_[0] == prices[200:500].max()
    assert data.target_rows("test").max() < 800 and data.target_rows("train").min() >= 200


@pytest.mark.parametrize("target", ["log-return", "price"])
def test_changing_the_future_leaves_training_arrays_unchanged(target):
    prices = random_walk(600, seed=5)
    data = make_windowed_data(prices, window=30, target=target)
    altered = prices.copy()
    altered[data.bounds.train_end:] *= np.exp(np.random.default_rng(0).normal(0, 0.05, len(prices) - data.bounds.train_end))
    again = make_windowed_data(altered, window=30, target=target)
    np.testing.assert_array_equal(data.x["train"], again.x["train"])
    np.testing.assert_array_equal(data.y["train"], again.y["train"])


@pytest.mark.parametrize("target", ["price", "log-return"])
def test_outputs_map_back_to_prices(target):
    prices = random_walk(400, seed=6)
    data = make_windowed_data(prices, window=10, horizon=2, target=target)
    recovered = data.to_price(data.y["test"], data.origin_prices("test"))
    np.testing.assert_allclose(recovered, data.actual("test"), rtol=1e-5)


@pytest.mark.parametrize("target", ["price", "log-return"])
def test_recursive_forecast_of_a_perfect_one_step_model_is_exact(target):
    prices = random_walk(400, seed=7)
    data = make_windowed_data(prices, window=10, horizon=3, target=target)

    def oracle(windows):
        """Price target: the true next price after the window's last value (found by
        matching it in the series). Return target: a zero return."""
        if target == "log-return":
            return np.full(len(windows), data.target_scaler.transform([[0.0]])[0, 0])
        last = data.feature_scaler.inverse_transform(windows[:, -1, :])[:, 0]
        rows = np.abs(prices[None, :] - last[:, None]).argmin(axis=1)
        return data.target_scaler.transform(prices[rows + 1][:, None])[:, 0]

    forecast = data.recursive_prices(oracle, data.x["test"], data.origin_prices("test"))
    assert forecast.shape == data.actual("test").shape
    if target == "price":
        np.testing.assert_allclose(forecast, data.actual("test"), rtol=1e-4)
    else:  # a zero-return oracle is persistence at every step
        np.testing.assert_allclose(forecast, np.repeat(data.origin_prices("test")[:, None], 3, 1), rtol=1e-5)


def test_next_window_is_the_newest():
    prices = np.arange(1.0, 301.0)
    data = make_windowed_data(prices, window=10, target="price")
    last = data.feature_scaler.inverse_transform(data.x_next[0])[:, 0]
    np.testing.assert_allclose(last, prices[-10:], rtol=1e-5)


def test_too_short_names_the_numbers():
    with pytest.raises(DataError) as err:
        make_windowed_data(random_walk(100), window=60, horizon=1)
    assert str(err.value) == (
        "series too short: 100 rows split into train 70 / validation 15 / test 15, but window 60 + "
        "horizon 1 (gap 1) need at least 116 rows (20 training windows, 5 validation and test targets); "
        "use a longer date range or a smaller --window"
    )
    # The stated minimum is enough, and one row fewer is not.
    make_windowed_data(random_walk(116), window=60, horizon=1)
    with pytest.raises(DataError, match="need at least 116 rows"):
        make_windowed_data(random_walk(115), window=60, horizon=1)


def test_gap_smaller_than_horizon_is_refused():
    with pytest.raises(UsageError) as err:
        make_windowed_data(random_walk(300), window=10, horizon=5, gap=2)
    assert str(err.value) == "the gap between training and test must be at least the horizon. Received: gap=2, horizon=5"
