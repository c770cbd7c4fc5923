"""Conformal intervals: the finite-sample quantile, coverage on known series, no look-ahead."""

import math

import numpy as np
import pytest

from toolkit.evaluation import conformal


def test_finite_sample_quantile_by_hand():
    values = np.arange(1.0, 20.0)                               # 19 scores: 1 .. 19
    assert conformal.conformal_quantile(values, 0.8) == 16.0    # ceil(20 * 0.8) = 16th smallest
    assert conformal.conformal_quantile(values, 0.95) == 19.0   # ceil(20 * 0.95) = 19th
    assert conformal.conformal_quantile(values[:10], 0.95) == math.inf  # ceil(11 * .95) = 11 > 10
    assert conformal.conformal_quantile([], 0.8) == math.inf


def test_ewma_volatility_uses_only_the_past():
    prices = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 300)))
    sigma = conformal.ewma_volatility(prices)
    changed = prices.copy()
    changed[200:] *= np.exp(np.random.default_rng(1).normal(0, 0.05, 100))
    np.testing.assert_array_equal(conformal.ewma_volatility(changed)[:200], sigma[:200])
    assert sigma[-1] == pytest.approx(0.01, rel=0.35)
    # by hand: normalised weights over the returns seen so far
    r2 = np.diff(np.log(prices[:4])) ** 2
    w = 0.94 ** np.arange(2, -1, -1)
    assert sigma[3] == pytest.approx(np.sqrt((w * r2).sum() / w.sum()))


def iid_forecasts(n, seed, scale=None):
    """Naive forecasts of i.i.d. N(0, sd^2) log returns: actual, predicted, sigma."""
    rng = np.random.default_rng(seed)
    sd = np.full(n, 0.01) if scale is None else scale
    origin = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    actual = origin * np.exp(rng.normal(0, 1, n) * sd)
    return actual[:, None], origin[:, None], np.full(n, 0.01)


@pytest.mark.parametrize("level", [0.8, 0.95])
def test_split_conformal_covers_exchangeable_scores(level):
    cal_actual, cal_pred, cal_sigma = iid_forecasts(500, 1)
    test_actual, test_pred, test_sigma = iid_forecasts(20000, 2)
    q = conformal.split_conformal(conformal.scores(cal_actual, cal_pred, cal_sigma), level)
    lower, upper = conformal.band(test_pred, test_sigma, q)
    covered = np.mean((test_actual >= lower) & (test_actual <= upper))
    assert covered == pytest.approx(level, abs=0.03)


def test_adaptive_conformal_recovers_coverage_after_volatility_doubles():
    # Calibration in a calm period, test in one twice as volatile, and the scores not
    # normalised (sigma fixed): split conformal under-covers, ACI adapts.
    cal_actual, cal_pred, sigma = iid_forecasts(500, 3)
    test_actual, test_pred, _ = iid_forecasts(3000, 4, scale=np.full(3000, 0.02))
    calibration = conformal.scores(cal_actual, cal_pred, sigma)
    test_scores = conformal.scores(test_actual, test_pred, np.full(3000, 0.01))
    origin = np.arange(1000, 4000)
    split = np.mean(test_scores[:, 0] <= conformal.split_conformal(calibration, 0.8)[0])
    (quantiles,), state = conformal.adaptive_conformal(
        [{"calibration": calibration, "scores": test_scores, "origin": origin}], 0.8, horizon=1)
    adaptive = np.mean(test_scores[:, 0] <= quantiles[:, 0])
    assert split < 0.55
    assert adaptive == pytest.approx(0.8, abs=0.03)
    assert state.alpha.shape == (1,) and len(state.window[0]) == 500


def test_adaptive_conformal_uses_only_targets_observed_at_each_origin():
    rng = np.random.default_rng(5)
    horizon, m = 3, 400
    calibration = np.abs(rng.normal(size=(200, horizon)))
    test_scores = np.abs(rng.normal(size=(m, horizon)))
    origin = np.arange(1000, 1000 + m)
    segments = [{"calibration": calibration, "scores": test_scores, "origin": origin}]
    (before,), _ = conformal.adaptive_conformal(segments, 0.8, horizon=horizon)
    # Rewrite every target after row 1200: origins up to 1200 have observed none of them.
    altered = test_scores.copy()
    target_rows = origin[:, None] + np.arange(1, horizon + 1)
    altered[target_rows > 1200] = 50.0
    (after,), _ = conformal.adaptive_conformal(
        [{"calibration": calibration, "scores": altered, "origin": origin}], 0.8, horizon=horizon)
    np.testing.assert_array_equal(after[origin <= 1200], before[origin <= 1200])
    assert not np.array_equal(after[origin > 1203], before[origin > 1203])


def test_winkler_score_by_hand():
    actual = np.array([1.0, 5.0, -1.0])
    lower, upper = np.zeros(3), np.full(3, 2.0)                # inside, 3 above, 1 below
    expected = np.mean([2.0, 2.0 + (2 / 0.2) * 3, 2.0 + (2 / 0.2) * 1])
    assert conformal.winkler_score(actual, lower, upper, 0.8) == pytest.approx(expected)


def test_non_positive_forecasts_never_cover():
    s = conformal.scores(np.array([[100.0]]), np.array([[-5.0]]), np.array([0.01]))
    assert s[0, 0] == np.inf


def test_coverage_interval_is_clopper_pearson_and_says_noise_from_miscalibration():
    from toolkit.evaluation.intervals import coverage_interval

    from scipy import stats

    low, high = coverage_interval(120, 150)                    # 80.0% of 150 forecasts
    # Clopper and Pearson (1934) from the beta quantiles, the textbook formula
    assert low == pytest.approx(stats.beta.ppf(0.025, 120, 31), rel=1e-9)
    assert high == pytest.approx(stats.beta.ppf(0.975, 121, 30), rel=1e-9)
    assert low < 0.8 < high                                    # 80% nominal: within what chance gives
    assert not coverage_interval(100, 150)[1] >= 0.8           # 66.7% of 150: miscalibrated
    assert np.isnan(coverage_interval(0, 0)[0])
    with pytest.raises(ValueError, match="covered must lie in 0..scored. Received: covered=5, scored=4"):
        coverage_interval(5, 4)
