"""The variance models: closed forms and loops, least squares, no look-ahead, GARCH recovery."""

import keras
import numpy as np
import pytest

from toolkit.forecasters import clone
from toolkit.forecasters.garch import GarchVariance
from toolkit.forecasters.variance import EWMAVariance, HARVariance, HistoricalVariance, RiskContext, RiskData
from toolkit.forecasters.variance_network import KerasVarianceForecaster, qlike_log_variance

QUIET = RiskContext(log=lambda line: None)


def garch_t_path(n: int, omega=1e-6, alpha=0.08, beta=0.9, nu=6.0, seed=0):
    """Returns and true conditional variances of a GARCH(1,1) with unit-variance Student-t shocks."""
    rng = np.random.default_rng(seed)
    shocks = rng.standard_t(nu, n) * np.sqrt((nu - 2) / nu)
    variance, returns = np.empty(n), np.empty(n)
    variance[0] = omega / (1 - alpha - beta)
    for t in range(n):
        if t:
            variance[t] = omega + alpha * returns[t - 1] ** 2 + beta * variance[t - 1]
        returns[t] = np.sqrt(variance[t]) * shocks[t]
    return returns, variance


def sample_data(n=1500, seed=1, exog=False):
    returns, variance = garch_t_path(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    proxy = returns ** 2
    feature = variance * rng.chisquare(4, n) / 4  # a less noisy, range-like proxy
    return RiskData(returns, proxy, feature, variance * (1 + 0.1 * rng.standard_normal(n)) if exog else None)


def test_historical_and_ewma_match_their_loops():
    data = sample_data(400)
    r2 = data.returns ** 2
    hist = HistoricalVariance(window=22).predict(data, 22)
    assert np.allclose(hist, [r2[i - 22:i].mean() for i in range(22, 401)], rtol=1e-12)
    ewma = EWMAVariance(lam=0.94).predict(data, 1)
    loop = [r2[0]]
    for i in range(1, 400):
        loop.append(0.94 * loop[-1] + 0.06 * r2[i])
    assert np.allclose(ewma, loop, rtol=1e-12) and len(ewma) == 400


def test_har_is_least_squares_on_the_feature_means_and_har_x_reads_the_exogenous_series():
    import statsmodels.api as sm

    data = sample_data(1200, exog=True)
    f = data.feature
    x = np.column_stack([[f[t - lag + 1:t + 1].mean() for t in range(21, 1199)] for lag in (1, 5, 22)])
    ols = sm.OLS(data.proxy[22:], sm.add_constant(x)).fit()
    har = HARVariance().fit(data, QUIET)
    assert np.allclose(har.coef_, ols.params, rtol=1e-8)
    expected = np.maximum(sm.add_constant(x, has_constant="add")[-101:] @ ols.params, har.floor_)
    assert np.allclose(har.predict(data.head(1199), 1099), expected, rtol=1e-8)
    harx = HARVariance(exog=True).fit(data, QUIET)
    assert len(harx.coef_) == 5 and harx.title == "HAR-X(1, 5, 22)" and harx.needs_exog
    with pytest.raises(ValueError, match="needs an exogenous series"):
        HARVariance(exog=True).fit(RiskData(data.returns, data.proxy), QUIET)


def _network():
    return KerasVarianceForecaster(window=10, epochs=2, batch_size=64, units=4, dense_units=4)


MODELS = {
    "hist22": lambda: HistoricalVariance(22), "ewma": lambda: EWMAVariance(), "har": lambda: HARVariance(),
    "harx": lambda: HARVariance(exog=True), "garch": lambda: GarchVariance(),
    "gjr_t": lambda: GarchVariance("gjr", "t"), "egarch_t": lambda: GarchVariance("egarch", "t"), "lstm": _network,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_changing_a_day_changes_no_forecast_made_before_it(name):
    data = sample_data(1000, exog=True)
    model = MODELS[name]().fit(data.head(600), QUIET)
    before = model.predict(data, 600)
    changed = {k: v.copy() for k, v in (("returns", data.returns), ("proxy", data.proxy), ("feature", data.feature),
                                        ("exog", data.exog))}
    for values in changed.values():
        values[800:] *= 3.0
    after = model.predict(RiskData(**changed), 600)
    # Row i's forecast reads rows before i: rows 600..800 are untouched, row 801 on may move.
    assert np.array_equal(before[:201], after[:201])
    assert not np.array_equal(before[201:], after[201:])
    assert len(before) == 401 and np.isfinite(before).all() and (before > 0).all()
    refit = clone(MODELS[name]()).fit(RiskData(**changed).head(600), QUIET)  # training rows unchanged: same fit
    again = refit.predict(data.head(800), 600)
    if name == "lstm":  # a network's output may move in the last bit with the size of the batch it is in
        assert np.allclose(again, before[:201], rtol=1e-6, atol=0)
    else:
        assert np.array_equal(again, before[:201])


def test_garch_t_recovers_the_simulated_parameters_within_their_standard_errors():
    truth = {"omega": 2e-6 * 1e4, "alpha[1]": 0.08, "beta[1]": 0.9, "nu": 6.0}  # omega in percent^2
    z = []
    for seed in range(8):
        returns, _ = garch_t_path(6000, omega=2e-6, alpha=0.08, beta=0.9, nu=6.0, seed=seed)
        model = GarchVariance("garch", "t").fit(RiskData(returns, returns ** 2), QUIET)
        assert model.converged_ and model.nu_ == model.params_["nu"] and 0.95 < model.persistence_ < 1
        z.append([(model.params_[k] - v) / model.std_errors_[k] for k, v in truth.items()])
    z = np.array(z)  # (seeds, parameters): standard normal draws if the estimates and their errors are right
    assert np.mean(np.abs(z) < 2) >= 0.85, z.round(2)  # measured 29 of 32
    assert (np.abs(z.mean(axis=0)) < 1).all(), z.mean(axis=0)


def test_the_qlike_loss_of_a_log_variance_output_matches_its_formula():
    h = np.array([[0.5], [2.0], [0.0]], dtype="float32")
    o = np.array([[0.1], [-0.3], [1.0]], dtype="float32")
    got = keras.ops.convert_to_numpy(qlike_log_variance(h, o))
    assert np.allclose(got, (h * np.exp(-o) + o)[:, 0], rtol=1e-6)


def test_the_network_learns_and_takes_any_builder():
    data = sample_data(1500)
    model = _network().fit(data.head(1200), QUIET)
    history = model.training_.history["loss"]
    assert history[-1] < history[0] and model.n_params_ == model.model_.count_params()
    assert model.title == "LSTM on log variance (QLIKE)"

    def tiny(window, n_features):
        inputs = keras.Input((window, n_features))
        return keras.Model(inputs, keras.layers.Dense(1, name="out")(keras.layers.Flatten()(inputs)))

    mine = KerasVarianceForecaster(tiny, window=5, epochs=1).fit(data.head(1200), QUIET)
    assert mine.title == "tiny on log variance (QLIKE)" and mine.predict(data.head(1300), 1200).shape == (101,)
    assert clone(mine).get_params()["builder"] is tiny


@pytest.mark.parametrize("make, message", [
    (lambda: GarchVariance(vol="figarch"), "`vol` must be one of garch, gjr, egarch. Received: vol='figarch'"),
    (lambda: GarchVariance(dist="skewt"), "`dist` must be one of normal, t. Received: dist='skewt'"),
    (lambda: EWMAVariance(lam=1.0), "`lam` must be a decay between 0 and 1 (RiskMetrics: 0.94). Received: lam=1.0"),
    (lambda: HARVariance(lags=(1, 0)), "`lags` must be whole numbers of days, at least 1. Received: lags=(1, 0)"),
    (lambda: KerasVarianceForecaster(window=0), "`window` must be a positive whole number. Received: window=0"),
    (lambda: HistoricalVariance(22).predict(sample_data(100), 10), "forecasts rows from 22"),
])
def test_bad_arguments_are_one_line_errors(make, message):
    with pytest.raises(ValueError) as caught:
        make()
    assert message in str(caught.value) and "\n" not in str(caught.value)
