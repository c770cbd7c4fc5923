"""VaR backtests against hand computations, their size under the null, and the Basel zones."""

import math

import numpy as np
import pytest
from scipy import stats

from toolkit.evaluation.var_backtest import christoffersen, kupiec_pof, mcneil_frey, traffic_light, violations


def test_kupiec_equals_the_hand_computation():
    result = kupiec_pof([True] * 5 + [False] * 245, 0.99)
    by_hand = -2 * ((245 * math.log(0.99) + 5 * math.log(0.01)) - (245 * math.log(0.98) + 5 * math.log(0.02)))
    assert result.statistic == pytest.approx(by_hand) and by_hand == pytest.approx(1.9568, abs=1e-4)
    assert result.p_value == pytest.approx(stats.chi2.sf(by_hand, 1))
    assert result.detail == {"days": 250, "violations": 5, "expected": pytest.approx(2.5)}
    none = kupiec_pof([False] * 250, 0.99)  # no violation: LR = -2 n ln(1 - p)
    assert none.statistic == pytest.approx(-2 * 250 * math.log(0.99))


def test_christoffersen_equals_the_hand_computation():
    hits = [False] * 96 + [True, True, False, False]  # n00 = 96, n01 = 1, n10 = 1, n11 = 1
    result = christoffersen(hits, 0.99)
    markov = 96 * math.log(96 / 97) + math.log(1 / 97) + 2 * math.log(1 / 2)
    one_rate = 97 * math.log(97 / 99) + 2 * math.log(2 / 99)
    promised = 97 * math.log(0.99) + 2 * math.log(0.01)
    assert result["independence"].detail == {"n00": 96, "n01": 1, "n10": 1, "n11": 1}
    assert result["independence"].statistic == pytest.approx(-2 * (one_rate - markov))
    assert result["conditional_coverage"].statistic == pytest.approx(-2 * (promised - markov))
    assert result["conditional_coverage"].p_value == pytest.approx(stats.chi2.sf(-2 * (promised - markov), 2))
    apart = christoffersen([False] * 48 + [True] + [False] * 49 + [True, False], 0.99)["independence"]
    assert apart.p_value > result["independence"].p_value  # spread-out violations look independent


def test_kupiec_rejects_at_its_size_under_the_null():
    rng = np.random.default_rng(0)
    rejections = np.mean([kupiec_pof(rng.uniform(size=1000) < 0.01, 0.99).p_value < 0.05 for _ in range(400)])
    assert 0.02 < rejections < 0.10  # about 5% (the chi-squared is approximate for small counts)
    wrong = np.mean([kupiec_pof(rng.uniform(size=1000) < 0.03, 0.99).p_value < 0.05 for _ in range(100)])
    assert wrong > 0.95  # a 97% VaR sold as 99% is caught


def test_basel_traffic_light_zones_for_250_days():
    zones = {x: traffic_light([True] * x + [False] * (250 - x), 0.99) for x in range(12)}
    assert [zones[x]["zone"] for x in range(12)] == ["green"] * 5 + ["yellow"] * 5 + ["red"] * 2
    assert [zones[x]["plus_factor"] for x in (4, 5, 7, 9, 10)] == [0.0, 0.40, 0.65, 0.85, 1.0]
    assert zones[4]["cumulative_probability"] == pytest.approx(stats.binom.cdf(4, 250, 0.01))
    assert traffic_light([False] * 500, 0.99)["plus_factor"] is None


def test_violations_and_mcneil_frey_on_a_normal_model():
    rng = np.random.default_rng(3)
    sigma = np.full(20_000, 0.01)
    returns = rng.normal(0, sigma)
    z = stats.norm.ppf(0.99)
    var, es = z * sigma, sigma * stats.norm.pdf(z) / 0.01
    hits = violations(returns, var)
    assert hits.mean() == pytest.approx(0.01, abs=0.002)
    right = mcneil_frey(returns, var, es, sigma, draws=2000)
    assert right.p_value > 0.05 and right.detail["violations"] == int(hits.sum())
    understated = mcneil_frey(returns, var, var + 0.5 * (es - var), sigma, draws=2000)
    assert understated.p_value < 0.01


@pytest.mark.parametrize("call, message", [
    (lambda: kupiec_pof([True, False], 99), "`level` must be the VaR's confidence, between 0.5 and 1"),
    (lambda: kupiec_pof([2, 0], 0.99), "`hits` must be booleans or 0/1"),
    (lambda: christoffersen([True], 0.99), "`hits` must be a 1-D series of at least 2 days"),
    (lambda: violations([0.1, 0.2], [0.1]), "`returns` and `var` must be 1-D of one length"),
    (lambda: mcneil_frey([0.1, 0.2], [0.1, 0.1], [0.05, 0.2]), "`es` must be finite, of the VaR's length, and at least"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
