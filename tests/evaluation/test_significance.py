"""Honesty metrics against independent computations on small hand-made series."""

import numpy as np
import pytest
from scipy import stats

from toolkit.evaluation.intervals import coverage, gaussian_interval, sample_interval
from toolkit.evaluation.metrics import mase, naive_scale
from toolkit.evaluation.significance import diebold_mariano, direction_p_value, lag_diagnostic, theil_u, verdict
from toolkit.evaluation.strategy import long_flat, max_drawdown


def test_mase_and_theil_u_by_hand():
    train = np.array([10.0, 11.0, 10.5, 12.0])            # naive in-sample errors 1, .5, 1.5 -> 1.0
    actual = np.array([12.5, 12.0, 13.0])
    forecast = np.array([12.0, 12.5, 12.5])               # errors .5 .5 .5
    naive = np.array([12.0, 12.5, 12.0])                  # errors .5 .5 1.0
    assert naive_scale(train) == pytest.approx(1.0)
    assert mase(actual, forecast, naive_scale(train)) == pytest.approx(0.5)
    assert theil_u(actual, forecast, naive) == pytest.approx(np.sqrt(0.75 / 1.5))


def test_direction_p_value_is_the_binomial_tail():
    origin = np.zeros(10)
    actual = np.array([1, 1, 1, 1, 1, 1, 1, -1, -1, -1.0])
    predicted = np.ones(10)                                # 7 of 10 right
    p, hits, calls = direction_p_value(actual, predicted, origin)
    assert (hits, calls) == (7, 10)
    assert p == pytest.approx(sum(stats.binom.pmf(k, 10, 0.5) for k in range(7, 11)))
    assert np.isnan(direction_p_value(actual, origin, origin)[0])


def test_diebold_mariano_matches_the_formula():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=200)
    a = actual + rng.normal(0, 0.5, 200)
    b = actual + rng.normal(0, 1.0, 200)
    d = (actual - a) ** 2 - (actual - b) ** 2
    n = len(d)
    expected = d.mean() / np.sqrt(d.var() / n) * np.sqrt((n - 1) / n)  # HLN factor for h = 1
    result = diebold_mariano(actual, a, b)
    assert result.statistic == pytest.approx(expected)
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(expected), n - 1))
    assert result.model_better and result.beats(0.05)
    # Swapping the models flips the sign and keeps the p-value.
    swapped = diebold_mariano(actual, b, a)
    assert swapped.statistic == pytest.approx(-expected) and not swapped.model_better


def test_diebold_mariano_long_run_variance_for_longer_horizons():
    rng = np.random.default_rng(1)
    actual, a, b = rng.normal(size=(3, 100))
    d = (actual - a) ** 2 - (actual - b) ** 2
    c = d - d.mean()
    n, h = 100, 3
    variance = (c @ c + 2 * (c[1:] @ c[:-1]) + 2 * (c[2:] @ c[:-2])) / n
    expected = d.mean() / np.sqrt(variance / n) * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    assert diebold_mariano(actual, a, b, horizon=h).statistic == pytest.approx(expected)


def test_equal_forecasts_are_not_significant():
    rng = np.random.default_rng(2)
    actual = np.cumsum(rng.normal(size=500))
    naive = np.r_[actual[0], actual[:-1]]
    noisy_naive = naive + rng.normal(0, 1e-3, 500)
    assert not diebold_mariano(actual, noisy_naive, naive).beats(0.05)


def test_lag_diagnostic_spots_persistence():
    rng = np.random.default_rng(3)
    actual = np.cumsum(rng.normal(size=300))
    persistence = np.r_[actual[0], actual[:-1]]            # forecast for day t = actual of t - 1
    diagnosis = lag_diagnostic(actual, persistence)
    assert diagnosis["best_lag"] == -1 and diagnosis["persistence"]
    assert diagnosis["correlations"][-1] == pytest.approx(1.0)
    oracle = actual + rng.normal(0, 0.1, 300)
    assert lag_diagnostic(actual, oracle)["best_lag"] == 0


def test_long_flat_strategy_by_hand():
    origin = np.array([100.0, 110.0, 99.0])
    nxt = np.array([110.0, 99.0, 99.0])
    predicted = np.array([105.0, 100.0, 120.0])            # up, down, up -> long, flat, long
    result = long_flat(origin, nxt, predicted, cost_bps=10)
    np.testing.assert_array_equal(result["position"], [1, 0, 1])
    returns = np.array([0.10 - 0.001, 0 - 0.001, 0 - 0.001])  # three position changes at 10 bp
    np.testing.assert_allclose(result["wealth"], np.cumprod(1 + returns))
    assert result["strategy"]["trades"] == 3
    assert result["hold"]["total_return"] == pytest.approx(99 / 100 - 1)
    assert max_drawdown(np.array([1.0, 1.2, 0.9, 1.3])) == pytest.approx(0.25)


def test_interval_helpers():
    rng = np.random.default_rng(4)
    y = rng.normal(2.0, 0.5, 20000)
    for level in (0.8, 0.95):
        lower, upper = gaussian_interval(np.full_like(y, 2.0), np.full_like(y, 0.25), level)
        assert coverage(y, lower, upper) == pytest.approx(level, abs=0.01)
        lower, upper = sample_interval(rng.normal(2.0, 0.5, (20000, 1)), level)
        assert coverage(y, lower, upper) == pytest.approx(level, abs=0.015)


def test_verdict_sentence():
    honesty = {"naive": {"dm_beats": False, "dm_p": float("nan")},
               "lstm": {"dm_beats": False, "dm_p": 0.4}, "linear": {"dm_beats": False, "dm_p": 0.03}}
    assert verdict(honesty).startswith("No model beats naive persistence at the 5% level (Diebold-Mariano test on "
                                       "squared next-day errors")
    honesty["linear"]["dm_beats"] = True
    assert verdict(honesty, horizon=5) == ("Beating naive persistence at the 5% level on squared 5-day-ahead "
                                           "errors (Diebold-Mariano): linear (p = 0.03).")
