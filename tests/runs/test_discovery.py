"""Discovering PDE coefficients from data: the coefficients recovered, their spread, the settings checked.

These run in float64: on TensorFlow, and on JAX in its 64-bit mode (``make test`` runs this
file again with JAX_ENABLE_X64=1).
"""

import time

import numpy as np
import pytest

from tests.conftest import float64_ready
from toolkit.errors import UsageError
from toolkit.runs.burgers import BurgersDiscoveryConfig, burgers_discovery_problem, run_burgers_discovery
from toolkit.runs.discovery import _data
from toolkit.runs.heat import HeatDiscoveryConfig, run_heat_discovery

pytestmark = pytest.mark.skipif(not float64_ready(), reason="float64 on TensorFlow, or JAX in 64-bit mode "
                                                              "(make test runs these with JAX_ENABLE_X64=1)")


def test_burgers_lambda1_recovered_within_one_percent_in_under_a_minute():
    config = BurgersDiscoveryConfig(data_points=1000, hidden_layers=3, units=16, collocation_points=1000,
                                    adam_steps=300, learning_rate=0.01, iterations=400, sampling="fixed",
                                    bootstrap=0, record_every=50, time_limit_minutes=1.0, residual_weight=1.0,
                                    verbose=0).validate()
    started = time.perf_counter()
    result = run_burgers_discovery(config, log=lambda line: None)
    assert time.perf_counter() - started < 60
    coefficients = result.metrics["coefficients"]
    assert coefficients["advection"]["relative_error"] < 0.01, coefficients["advection"]
    assert coefficients["nu"]["relative_error"] < 0.2, coefficients["nu"]
    # the curve of each coefficient over the optimisation is recorded, and ends at the estimate
    curve = result.metrics["coefficient_curve"]["SSBroyden"]
    assert curve["advection"][-1] == pytest.approx(coefficients["advection"]["estimate"])
    assert len(curve["seconds"]) == len(curve["nu"]) >= 8
    assert result.models["pinn"].coefficients()["advection"] == pytest.approx(coefficients["advection"]["estimate"])


def test_heat_kappa_recovered_with_a_bootstrap_spread():
    config = HeatDiscoveryConfig(data_points=200, collocation_points=300, units=10, adam_steps=100, learning_rate=0.01,
                                 iterations=200, sampling="fixed", bootstrap=3, bootstrap_iterations=60,
                                 noise=0.01, record_every=50, verbose=0).validate()
    result = run_heat_discovery(config, log=lambda line: None)
    kappa = result.metrics["coefficients"]["kappa"]
    assert kappa["relative_error"] < 0.02, kappa
    assert len(kappa["bootstrap"]) == 3 and kappa["bootstrap_sd"] > 0   # resampled noisy data move the estimate
    assert kappa["verdict"] == "identified"
    assert max(abs(b - kappa["estimate"]) for b in kappa["bootstrap"]) < 0.05 * kappa["estimate"]


def test_forward_heat_run_on_this_backend():
    from toolkit.runs.heat import HeatConfig, run_heat

    result = run_heat(HeatConfig(verbose=0).quick_profile().validate(), log=lambda line: None)
    assert result.metrics["relative_l2"] < 0.05 and result.metrics["evaluations"] > 60


def test_data_are_grid_points_of_the_exact_solution_with_the_stated_noise():
    problem = burgers_discovery_problem()
    clean = BurgersDiscoveryConfig(data_points=2000, noise=0.0)
    points, exact, values = _data(problem, clean, np.random.default_rng(0))
    assert points.shape == (2000, 2) and len(np.unique(points, axis=0)) == 2000
    np.testing.assert_array_equal(exact, values)
    t, x = problem.pde.grid
    assert np.isin(points[:, 0], t).all() and np.isin(points[:, 1], x).all()
    _, exact, noisy = _data(problem, BurgersDiscoveryConfig(data_points=2000, noise=0.05), np.random.default_rng(0))
    assert np.std(noisy - exact) / np.std(exact) == pytest.approx(0.05, rel=0.05)


@pytest.mark.parametrize("settings, message", [
    ({"noise": 2.0}, "noise must be a fraction from 0 to 1 of the data's standard deviation (0.01 is 1%). Received: noise=2.0"),
    ({"data_points": 30_000}, "data_points must be from 10 to the 25,600 points of the evaluation grid. "
                              "Received: data_points=30000"),
    ({"bootstrap": -1}, "bootstrap must be a whole number from 0 to 100. Received: bootstrap=-1"),
    ({"bootstrap_minutes": 0.0}, "bootstrap_minutes must be a positive finite number. Received: bootstrap_minutes=0.0"),
])
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(UsageError) as caught:
        BurgersDiscoveryConfig(**settings).validate()
    assert str(caught.value) == message


def test_boundary_points_are_not_a_discovery_setting(tmp_path, capsys):
    from toolkit.cli import main

    path = tmp_path / "d.toml"
    path.write_text('kind = "burgers-discovery"\n[burgers-discovery]\nboundary_points = 50\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {path}: unknown key 'boundary_points' in [burgers-discovery]; allowed: ")
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_pytorch_is_refused_in_one_line(monkeypatch):
    import toolkit.backend
    from toolkit.training import compiled

    monkeypatch.setattr(toolkit.backend, "requested", lambda: "torch")
    with pytest.raises(UsageError) as caught:
        compiled.backend()
    assert str(caught.value) == (
        "the PDE machinery (its quasi-Newton optimisers are XLA-compiled, on TensorFlow or JAX; Keras on PyTorch "
        "computes float64 matrix products in float32) runs on tensorflow or jax only; this process runs Keras on "
        "torch. Rerun with --backend tensorflow (or KERAS_BACKEND=tensorflow)")


def test_the_verdict_is_withheld_unless_the_bootstrap_can_say():
    from toolkit.runs.discovery import _verdict

    config = BurgersDiscoveryConfig()
    tight = np.array([1.001, 0.999, 1.0, 1.0005])
    assert _verdict(config, tight, 1.0, [300] * 4, 5000) == "identified"
    assert _verdict(config, tight * [1, 1.5, 0.6, 1], 1.0, [300] * 4, 5000) == "not identified by these data"
    assert _verdict(config, tight, 0.0, [300] * 4, 5000) == "no verdict: the refits moved away from the fit (it had not converged)"
    assert _verdict(config, tight, 0.9, [300] * 4, 5000) == "no verdict: the refits moved away from the fit (it had not converged)"
    assert _verdict(config.quick_profile(), tight, 1.0, [300] * 4, 5000) == "no verdict: quick profile"
    assert _verdict(config, tight[:2], 1.0, [300] * 2, 5000) == "no verdict: 2 refits (needs 3)"
    assert _verdict(config, tight, 1.0, [300, 300, 0, 300], 5000) == "no verdict: a refit ran 0 iterations (needs 50)"
    assert _verdict(config, tight, 1.0, [300] * 4, 0) == "no verdict: the fit ran 0 quasi-Newton iterations (needs 200)"
    spread = np.array([0.2, -0.2, 0.1, -0.1])
    assert _verdict(config, spread, 0.0, [300] * 4, 5000) == "not identified by these data"
