"""VaR and ES from a volatility forecast against integrals and simulation."""

import numpy as np
import pytest
from scipy import integrate, stats

from toolkit.evaluation.risk_measures import filtered_historical_var_es, normal_var_es, student_t_var_es
from toolkit.evaluation.var_backtest import kupiec_pof, violations


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_closed_forms_equal_the_tail_integrals(level):
    var, es = normal_var_es(0.02, level)
    assert var == pytest.approx(-stats.norm.ppf(1 - level, scale=0.02))
    tail = integrate.quad(lambda x: x * stats.norm.pdf(x, scale=0.02), var, np.inf)[0] / (1 - level)
    assert es == pytest.approx(tail, rel=1e-6)
    nu = 4.0
    scale = 0.02 * np.sqrt((nu - 2) / nu)  # a t of variance 0.02^2
    var, es = student_t_var_es(0.02, level, nu=nu)
    assert var == pytest.approx(stats.t.ppf(level, nu, scale=scale))
    tail = integrate.quad(lambda x: x * stats.t.pdf(x, nu, scale=scale), var, np.inf)[0] / (1 - level)
    assert es == pytest.approx(tail, rel=1e-6)


def test_mean_shifts_and_arrays_broadcast():
    var, es = normal_var_es(np.array([0.01, 0.02]), 0.99, mean=0.001)
    plain, _ = normal_var_es(np.array([0.01, 0.02]), 0.99)
    assert np.allclose(var, plain - 0.001) and var.shape == es.shape == (2,)


def test_var_held_on_simulated_returns_and_normal_var_fails_on_fat_tails():
    rng = np.random.default_rng(0)
    sigma = np.exp(rng.normal(np.log(0.01), 0.3, 4000))
    nu = 4.0
    returns = sigma * rng.standard_t(nu, 4000) * np.sqrt((nu - 2) / nu)  # fat-tailed shocks of variance sigma^2
    t_var, _ = student_t_var_es(sigma, 0.99, nu=nu)
    assert kupiec_pof(violations(returns, t_var), 0.99).p_value > 0.05
    normal_var, _ = normal_var_es(sigma, 0.99)
    assert violations(returns, normal_var).mean() > 0.01  # the normal's 99% VaR is too low on t shocks
    history = rng.standard_t(nu, 5000) * np.sqrt((nu - 2) / nu)
    fhs_var, fhs_es = filtered_historical_var_es(history, sigma, 0.99)
    assert kupiec_pof(violations(returns, fhs_var), 0.99).p_value > 0.05
    assert (fhs_es > fhs_var).all()


@pytest.mark.parametrize("call, message", [
    (lambda: normal_var_es(-0.01), "`sigma` must be positive"),
    (lambda: normal_var_es(0.01, 1.5), "`level` must be the VaR's confidence"),
    (lambda: student_t_var_es(0.01, 0.99, nu=2), "`nu` must be a number above 2"),
    (lambda: filtered_historical_var_es(np.zeros(50), 0.01, 0.99), "at least 1,000 finite past shocks for a 99.0% VaR"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
