"""Diebold-Mariano on losses with a HAC variance, Mincer-Zarnowitz, and the model confidence set."""

import numpy as np
import pandas as pd
import pytest

from toolkit.evaluation.variance_tests import (
    diebold_mariano_losses, mincer_zarnowitz, model_confidence_set, newey_west_lags,
)


def test_the_statistic_is_the_mean_difference_over_its_bartlett_long_run_error():
    a = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 2.0, 1.0, 3.0, 2.0, 2.0])
    b = np.array([2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 2.0])
    d = a - b  # mean 0.2
    c = d - d.mean()
    gamma0, gamma1 = c @ c / 10, c[1:] @ c[:-1] / 10
    by_hand = d.mean() / np.sqrt((gamma0 + 2 * 0.5 * gamma1) / 10)
    test = diebold_mariano_losses(a, b, lags=1)
    assert test.statistic == pytest.approx(by_hand, rel=1e-12) and test.lags == 1
    assert test.mean_difference == pytest.approx(0.2) and not test.beats()
    assert diebold_mariano_losses(a, b, lags=0).statistic == pytest.approx(d.mean() / np.sqrt(gamma0 / 10))


def test_newey_west_bandwidth_and_size_under_the_null():
    assert [newey_west_lags(n) for n in (100, 1000, 4000)] == [4, 6, 9]
    rng = np.random.default_rng(0)
    hac = iid = 0
    for _ in range(200):  # autocorrelated differences with mean 0: the HAC test keeps its size
        e = rng.standard_normal(1001)
        d = e[1:] + 0.6 * e[:-1]
        hac += diebold_mariano_losses(d, np.zeros(1000)).p_value < 0.05
        iid += diebold_mariano_losses(d, np.zeros(1000), lags=0).p_value < 0.05
    assert hac <= 20 and iid >= 25, (hac, iid)  # 5% of 200 is 10; measured 10 with HAC, 37 without


def test_mincer_zarnowitz_accepts_an_unbiased_forecast_and_rejects_a_doubled_one():
    rng = np.random.default_rng(2)
    truth = rng.uniform(0.5, 2.0, 4000) * 1e-4
    proxy = truth * rng.chisquare(1, 4000)  # a squared return: unbiased, noisy
    good = mincer_zarnowitz(proxy, truth)
    assert abs(good["b"] - 1) < 3 * good["b_se"] and good["p_value"] > 0.01
    bad = mincer_zarnowitz(proxy, 2 * truth)
    assert abs(bad["b"] - 0.5) < 0.1 and bad["p_value"] < 1e-6


def test_the_model_confidence_set_keeps_the_best_and_drops_a_clearly_worse_model():
    rng = np.random.default_rng(3)
    base = rng.standard_normal(1500) ** 2
    losses = pd.DataFrame({"best": base, "close": base + 0.002 * rng.standard_normal(1500),
                           "worse": base + 0.5 + 0.1 * rng.standard_normal(1500)})
    p = model_confidence_set(losses, size=0.1, reps=500, seed=0)
    assert p["best"] > 0.1 and p["close"] > 0.1 and p["worse"] < 0.01


@pytest.mark.parametrize("call, message", [
    (lambda: diebold_mariano_losses([1.0] * 5, [1.0] * 5), "at least 10 days"),
    (lambda: diebold_mariano_losses([np.nan] * 12, [1.0] * 12), "must be finite"),
    (lambda: mincer_zarnowitz([1.0] * 12, [1.0] * 11), "of one length"),
])
def test_bad_inputs_are_one_line_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
