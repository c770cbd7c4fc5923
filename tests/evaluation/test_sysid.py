"""The identification benchmark, free-run simulation and its scores."""

import numpy as np
import pytest

from toolkit.builders import narx
from toolkit.evaluation.sysid import (
    arx_predictor, dense_stack, fit_arx, free_run, narendra_li, network_predictor, scores, sine_test_input,
)
from toolkit.pipelines.lags import narx_regressors
from toolkit.training import set_seed


def test_narendra_li_first_steps_by_hand():
    u = np.array([1.0, -0.5, 2.0])
    y = narendra_li(u)
    # x(0) = 0: y(0) = 0; x1(1) = 0, x2(1) = 1 / (1 + 1 + 0.5) = 0.4; y(1) = 0 + 0.4 / 1.
    assert y[0] == 0.0 and y[1] == pytest.approx(0.4)
    x1, x2 = np.sin(0.4), 0.4 * np.cos(0.4) + (-0.125) / (1 + 0.25 + 0.5 * np.cos(0.4))
    assert y[2] == pytest.approx(x1 / (1 + 0.5 * np.sin(x2)) + x2 / (1 + 0.5 * np.sin(x1)))
    assert np.ptp(sine_test_input(25)) > 3


def test_arx_recovers_and_simulates_a_linear_system_exactly():
    rng = np.random.default_rng(0)
    u = rng.normal(size=300)
    y = np.zeros(300)
    for k in range(2, 300):
        y[k] = 0.6 * y[k - 1] - 0.2 * y[k - 2] + 0.5 * u[k] + 0.1 * u[k - 1] + 0.3
    coefficients = fit_arx(y, u, 2, 1)
    np.testing.assert_allclose(coefficients, [0.6, -0.2, 0.5, 0.1, 0.3], atol=1e-8)
    np.testing.assert_allclose(free_run(arx_predictor(coefficients), u, y[:2], 2, 1), y, atol=1e-8)
    assert scores(y, y) == {"rmse": 0.0, "nrmse": 0.0, "fit_percent": 100.0}


def test_numpy_forward_matches_keras_predict():
    set_seed(0)
    model = narx(hidden_units=(7, 5), activation="leaky_relu")
    rows = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    expected = model.predict({"y_lags": rows[:, :2], "u_lags": rows[:, 2:]}, verbose=0)[:, 0]
    predict = network_predictor(dense_stack(model))
    np.testing.assert_allclose([predict(row.astype("float64")) for row in rows], expected, rtol=1e-5, atol=1e-6)


def test_free_run_rows_are_the_narx_regressors_rows():
    # free_run builds each row as narx_regressors lays it out: y lags, then u lags, latest first.
    y, u = np.arange(10.0), 100 + np.arange(10.0)
    lags, target = narx_regressors(y, u, 2, 1, dtype="float64")
    rows = np.concatenate([lags["y_lags"], lags["u_lags"]], axis=1)
    np.testing.assert_array_equal(rows[0], [1, 0, 102, 101])
    assert target[0] == 2
    seen = []
    free_run(lambda row: seen.append(row) or y[len(seen) + 1], u, y[:2], 2, 1)
    np.testing.assert_array_equal(np.array(seen), rows)
