"""Variance proxies against closed forms and simulated prices, and Patton's robust losses."""

import math

import numpy as np
import pandas as pd
import pytest

from toolkit.evaluation.volatility import PROXIES, qlike, variance_mse, variance_proxy


def bars(rows):
    return pd.DataFrame(rows, columns=["Open", "High", "Low", "Close"],
                        index=pd.date_range("2020-01-01", periods=len(rows)))


def test_range_proxies_equal_their_closed_forms_on_constructed_bars():
    frame = bars([[100.0, 110.0, 95.0, 105.0], [105.0, 108.0, 100.0, 100.0]])
    hl, co = math.log(110 / 95), math.log(105 / 100)
    assert variance_proxy(frame, "parkinson").iloc[0] == pytest.approx(hl ** 2 / (4 * math.log(2)))
    assert variance_proxy(frame, "garman_klass").iloc[0] == pytest.approx(0.5 * hl ** 2 - (2 * math.log(2) - 1) * co ** 2)
    rs = math.log(110 / 105) * math.log(110 / 100) + math.log(95 / 105) * math.log(95 / 100)
    assert variance_proxy(frame, "rogers_satchell").iloc[0] == pytest.approx(rs)
    c2c = variance_proxy(frame, "close_to_close")
    assert np.isnan(c2c.iloc[0]) and c2c.iloc[1] == pytest.approx(math.log(100 / 105) ** 2)
    flat = bars([[100.0, 100.0, 100.0, 100.0]])
    for kind in ("parkinson", "garman_klass", "rogers_satchell"):
        assert variance_proxy(flat, kind).iloc[0] == 0


def test_yang_zhang_equals_its_formula():
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 40)))
    open_ = close * np.exp(rng.normal(0, 0.003, 40))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.004, 40)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.004, 40)))
    frame = pd.DataFrame({"Open": open_, "High": high, "Low": low, "Close": close})
    n = 10
    got = variance_proxy(frame, "yang_zhang", window=n)
    t = 30
    overnight = np.log(open_[t - n + 1:t + 1] / close[t - n:t])
    body = np.log(close / open_)[t - n + 1:t + 1]
    rs = (np.log(high / close) * np.log(high / open_) + np.log(low / close) * np.log(low / open_))[t - n + 1:t + 1]
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    assert got.iloc[t] == pytest.approx(overnight.var(ddof=1) + k * body.var(ddof=1) + (1 - k) * rs.mean())
    assert got.iloc[:n].isna().all() and got.iloc[n:].notna().all()


def test_range_proxies_are_unbiased_and_more_efficient_than_squared_returns():
    # 1,500 days of a driftless random walk sampled 390 times a day, daily variance 1e-4.
    rng = np.random.default_rng(1)
    days, steps, variance = 1500, 390, 1e-4
    paths = np.cumsum(rng.normal(0, math.sqrt(variance / steps), (days, steps)), axis=1)
    start = np.r_[0.0, paths[:-1, -1]].cumsum()  # each day opens at the last close
    log = start[:, None] + np.c_[np.zeros(days), paths]
    frame = pd.DataFrame({"Open": np.exp(log[:, 0]), "High": np.exp(log.max(1)), "Low": np.exp(log.min(1)),
                          "Close": np.exp(log[:, -1])})
    proxies = {kind: variance_proxy(frame, kind).dropna() for kind in ("close_to_close", "parkinson", "garman_klass",
                                                                      "rogers_satchell")}
    for kind, values in proxies.items():
        # a discretely sampled range is a little short of the true one: unbiased within 10%
        assert values.mean() == pytest.approx(variance, rel=0.10), kind
    spread = {kind: values.std() for kind, values in proxies.items()}
    assert spread["garman_klass"] < spread["parkinson"] < spread["close_to_close"]
    assert spread["close_to_close"] / spread["garman_klass"] > 2


@pytest.mark.parametrize("frame, message", [
    (bars([[100.0, 99.0, 95.0, 100.0]]), "High must be the bar's highest price"),
    (bars([[100.0, 110.0, 95.0, -1.0]]), "Close must be positive and finite; 1 rows are not"),
    (pd.DataFrame({"Close": [1.0, 2.0]}), "the frame has no Open, High, Low column"),
])
def test_bad_bars_are_refused_by_name(frame, message):
    with pytest.raises(ValueError, match=message):
        variance_proxy(frame, "garman_klass")
    with pytest.raises(ValueError, match="`kind` must be one of"):
        variance_proxy(frame, "range")


def test_qlike_is_zero_at_the_truth_and_its_two_forms_rank_alike():
    proxy = np.array([1.0, 2.0, 0.5])
    assert qlike(proxy, proxy).tolist() == [0, 0, 0]
    a, b = np.array([1.2, 1.5, 0.7]), np.array([0.9, 2.5, 0.4])
    gap = qlike(proxy, a).mean() - qlike(proxy, b).mean()
    assert gap == pytest.approx(qlike(proxy, a, normalised=False).mean() - qlike(proxy, b, normalised=False).mean())
    assert variance_mse(proxy, a).tolist() == pytest.approx([0.04, 0.25, 0.04])
    with pytest.raises(ValueError, match="proxies are exactly 0"):
        qlike([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="`forecast` must hold positive"):
        qlike([1.0], [0.0])
    assert set(PROXIES) == {"close_to_close", "parkinson", "garman_klass", "rogers_satchell", "yang_zhang"}
