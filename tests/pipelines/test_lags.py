import numpy as np
import pytest

from toolkit.pipelines.lags import lagged_samples, narx_regressors


def test_lagged_samples_are_the_previous_values():
    x, y = lagged_samples(np.arange(10.0), 3)
    assert x.shape == (7, 3, 1)
    np.testing.assert_array_equal(x[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(y, np.arange(3.0, 10.0))


def test_narx_regressors_match_the_definition():
    y = np.arange(100.0, 110.0)
    u = np.arange(10.0)
    regressors, target = narx_regressors(y, u, na=2, nb=1)
    # k runs from max(na, nb) = 2: y(k-1), y(k-2) and u(k), u(k-1)
    np.testing.assert_array_equal(regressors["y_lags"][0], [101, 100])
    np.testing.assert_array_equal(regressors["u_lags"][0], [2, 1])
    np.testing.assert_array_equal(target, y[2:])
    assert (regressors["y_lags"] < target[:, None]).all()  # outputs only from the past


def test_narx_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="Received: len\\(y\\)=3, len\\(u\\)=4"):
        narx_regressors(np.zeros(3), np.zeros(4), 1, 0)
