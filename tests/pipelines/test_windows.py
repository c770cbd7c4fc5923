import numpy as np
import pytest

from toolkit.errors import UsageError
from toolkit.pipelines.windows import sliding_windows, window_count


def loop_windows(values, window, horizon):
    """The lecture's loop, as the reference."""
    xs, ys = [], []
    for i in range(window, len(values) - horizon + 1):
        xs.append(values[i - window:i])
        ys.append(i + horizon - 1)
    return np.array(xs), np.array(ys)


@pytest.mark.parametrize("window, horizon", [(1, 1), (5, 1), (7, 3), (60, 5)])
def test_matches_the_loop(window, horizon):
    values = np.arange(100, dtype=float)
    windows, target_index = sliding_windows(values, window, horizon)
    expected_x, expected_t = loop_windows(values, window, horizon)
    np.testing.assert_array_equal(windows[:, :, 0], expected_x)
    np.testing.assert_array_equal(target_index, expected_t)
    assert len(windows) == window_count(100, window, horizon)


def test_every_input_precedes_its_target():
    # The values are their own positions, so each window shows which rows it read.
    values = np.arange(500, dtype=float)
    windows, target_index = sliding_windows(values, 60, 5)
    assert (windows[:, :, 0].max(axis=1) < target_index).all()
    assert (windows[:, -1, 0] == target_index - 5).all()


def test_is_a_view_not_a_copy_and_keeps_features():
    values = np.random.default_rng(0).normal(size=(1000, 3))
    windows, _ = sliding_windows(values, 20)
    assert np.shares_memory(windows, values)
    assert windows.shape == (980, 20, 3)
    np.testing.assert_array_equal(windows[7], values[7:27])


def test_too_short_gives_no_windows():
    windows, target_index = sliding_windows(np.arange(5.0), 5, 1)
    assert windows.shape == (0, 5, 1) and target_index.shape == (0,)


@pytest.mark.parametrize("window, horizon, bad", [(0, 1, "window=0"), (5, -1, "horizon=-1"), (2.5, 1, "window=2.5")])
def test_bad_window_or_horizon(window, horizon, bad):
    with pytest.raises(UsageError, match=f"Received: {bad}"):
        sliding_windows(np.arange(10.0), window, horizon)
