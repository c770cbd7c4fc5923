"""Honesty metrics against independent computations on small hand-made series."""

import numpy as np
import pytest
from scipy import stats

from toolkit.evaluation.intervals import coverage, gaussian_interval, sample_interval
from toolkit.evaluation.metrics import mase, naive_scale
from toolkit.evaluation.significance import (
    diebold_mariano, holm, move_test, pesaran_timmermann, theil_u, verdict,
)
from toolkit.evaluation.strategy import long_flat, max_drawdown


def test_mase_and_theil_u_by_hand():
    train = np.array([10.0, 11.0, 10.5, 12.0])            # naive in-sample errors 1, .5, 1.5 -> 1.0
    actual = np.array([12.5, 12.0, 13.0])
    forecast = np.array([12.0, 12.5, 12.5])               # errors .5 .5 .5
    naive = np.array([12.0, 12.5, 12.0])                  # errors .5 .5 1.0
    assert naive_scale(train) == pytest.approx(1.0)
    assert mase(actual, forecast, naive_scale(train)) == pytest.approx(0.5)
    assert theil_u(actual, forecast, naive) == pytest.approx(np.sqrt(0.75 / 1.5))


def test_pesaran_timmermann_matches_the_formula():
    origin = np.zeros(10)
    actual = np.array([1, 1, 1, 1, 1, 1, -1, -1, -1, -1.0])   # 6 up
    predicted = np.array([1, 1, 1, 1, -1, 1, -1, -1, 1, -1.0])  # 6 up calls, 8 of 10 right
    test = pesaran_timmermann(actual, predicted, origin)
    py = px = 0.6
    p_star = py * px + (1 - py) * (1 - px)
    var_p = p_star * (1 - p_star) / 10
    var_star = ((2 * py - 1) ** 2 * px * (1 - px) / 10 + (2 * px - 1) ** 2 * py * (1 - py) / 10
                + 4 * py * px * (1 - py) * (1 - px) / 100)
    expected = (0.8 - p_star) / np.sqrt(var_p - var_star)
    assert (test.hit_rate, test.base_rate, test.calls) == (0.8, 0.6, 10)
    assert test.statistic == pytest.approx(expected)
    assert test.p_value == pytest.approx(stats.norm.sf(expected))


def test_always_up_is_not_called_skilled_in_a_rising_market():
    rng = np.random.default_rng(5)
    moves = rng.normal(0.001, 0.01, 750)                     # drifts up: about 54% up days
    origin = 100 * np.exp(np.cumsum(np.r_[0, moves[:-1]]))
    actual = origin * np.exp(moves)
    always_up = origin * 1.001
    test = pesaran_timmermann(actual, always_up, origin)
    assert test.hit_rate == pytest.approx(test.base_rate) and test.hit_rate > 0.5
    assert np.isnan(test.p_value) and not test.skilled()
    # a forecast that knows the sign of the move is skilled
    oracle = origin * np.exp(np.sign(moves) * 1e-3)
    assert pesaran_timmermann(actual, oracle, origin).skilled()


def test_holm_adjustment_by_hand():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": float("nan")})
    assert adjusted["a"] == pytest.approx(0.03)                # 3 x 0.01
    assert adjusted["c"] == pytest.approx(0.06)                # 2 x 0.03
    assert adjusted["b"] == pytest.approx(0.06)                # max(1 x 0.04, 0.06): monotone
    assert np.isnan(adjusted["d"])


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


def _ar1_returns(n=1500, phi=0.5, seed=3):
    rng = np.random.default_rng(seed)
    r = np.zeros(n)
    for t in range(1, n):
        r[t] = phi * r[t - 1] + rng.normal(0, 0.01)
    prices = 100 * np.exp(np.cumsum(r))
    return r, prices


def test_move_test_keeps_real_skill_and_flags_persistence_in_disguise():
    rng = np.random.default_rng(4)
    r, prices = _ar1_returns()
    origin, actual = prices[:-1], prices[1:]
    oracle = origin * np.exp(0.5 * r[:-1])                     # E[r(t+1) | r(t)] = phi r(t)
    assert move_test(actual, oracle, origin).evidence()
    assert move_test(actual, oracle, origin).slope == pytest.approx(1.0, abs=0.15)
    walk = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 1500)))
    origin, actual = walk[:-1], walk[1:]
    noisy_naive = origin * (1 + rng.normal(0, 0.002, len(origin)))
    lagging = np.r_[origin[0], origin[:-1]]                    # a network that tracks yesterday
    assert not move_test(actual, noisy_naive, origin).evidence()
    assert not move_test(actual, lagging, origin).evidence()
    # a constant drift predicts the same move every day: nothing to test, nothing added
    drift = move_test(actual, origin * 1.0004, origin)
    assert np.isnan(drift.p_value) and not drift.evidence()


def test_diebold_mariano_and_pt_see_the_oracle_ar1_beat_naive():
    r, prices = _ar1_returns(seed=6)
    origin, actual = prices[:-1], prices[1:]
    oracle = origin * np.exp(0.5 * r[:-1])
    assert diebold_mariano(actual, oracle, origin).beats(0.05)
    assert pesaran_timmermann(actual, oracle, origin).skilled()


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


def test_verdict_sentence_uses_holm_adjusted_p_values():
    honesty = {"naive": {"dm_better": False, "dm_p_holm": float("nan")},
               "lstm": {"dm_better": False, "dm_p_holm": 0.4}, "linear": {"dm_better": True, "dm_p_holm": 0.06}}
    assert verdict(honesty) == ("No model beats naive persistence at the 5% level (Diebold-Mariano test on squared "
                                "next-day errors, all test folds pooled; p-values Holm-adjusted for the 2 models "
                                "compared).")
    honesty["linear"]["dm_p_holm"] = 0.03
    assert verdict(honesty, horizon=5) == ("Beating naive persistence at the 5% level on squared 5-day-ahead errors "
                                           "(Diebold-Mariano, p-values Holm-adjusted for the 2 models compared): "
                                           "linear (adjusted p = 0.03).")


def test_move_test_size_at_horizon_five_within_three_points_of_five_percent():
    # Random walks: no forecast can add to the last value. A lagging 5-day average tested on
    # overlapping 5-day moves passed the old normal-reference test in 10.6% of samples
    # (bench/bench_move_test.py); the block bootstrap must keep the false "evidence" rate within
    # 5% +/- 3 points (800 samples: the rate's standard error is 0.8 points; this seed gives
    # 5.9%, 3,000 samples in the bench 4.8%). Seeded: the same samples on every run.
    rng = np.random.default_rng(5)
    passed = 0
    for _ in range(800):
        prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 780)))
        rows = np.arange(20, 770)
        lagging = np.array([prices[i - 4:i + 1].mean() for i in rows])
        passed += move_test(prices[rows + 5], lagging, prices[rows], horizon=5, draws=199).evidence(0.05)
    assert 0.02 <= passed / 800 <= 0.08, passed / 800


def test_move_test_p_value_is_seeded_and_bounded():
    rng = np.random.default_rng(2)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    origin, actual = prices[:-1], prices[1:]
    predicted = origin * (1 + rng.normal(0, 0.002, len(origin)))
    first, second = move_test(actual, predicted, origin), move_test(actual, predicted, origin)
    assert first == second and 1 / 1000 <= first.p_value <= 1
