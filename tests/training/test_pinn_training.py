"""The flat-parameter PINN objective, residual-based resampling, and a PDE solved end to end."""

import numpy as np
import pytest
from keras import ops

from tests.conftest import float64_ready
from toolkit.builders.pde import BurgersResidual, HeatResidual, Unknown
from toolkit.builders.pinn import pinn_network
from toolkit.training import set_seed
from toolkit.training.pinn import PINNObjective
from toolkit.training.quasi_newton import minimize
from toolkit.training.sampling import rad_probabilities, rad_sample

RNG = np.random.default_rng(0)
POINTS = RNG.uniform([0, -1], [1, 1], (200, 2))
pytestmark = pytest.mark.skipif(not float64_ready(), reason="float64 on TensorFlow, or JAX in 64-bit mode "
                                                              "(make test runs these with JAX_ENABLE_X64=1)")
numpy = ops.convert_to_numpy


def _objective(residual=None, **kwargs):
    set_seed(0)
    network = pinn_network(hidden_layers=2, units=8, dtype="float64", periodic=True, initial="-sin(pi x)")
    return PINNObjective(network, residual or BurgersResidual(), POINTS, **kwargs)


@pytest.mark.parametrize("unknown", [False, True])
def test_gradient_matches_finite_differences(unknown):
    # With unknowns the last two entries are the raw coefficients (advection, log nu).
    residual = BurgersResidual(nu=Unknown(0.02, positive=True), advection=Unknown(0.7)) if unknown else None
    data = {"data_points": POINTS[:20], "data_values": -np.sin(np.pi * POINTS[:20, 1])} if unknown else {}
    objective = _objective(residual=residual, **data)
    theta = objective.theta()
    _, gradient = objective.value_and_gradient(theta)
    for index in (0, 17, objective.size - 2, objective.size - 1):
        step = np.zeros(objective.size)
        step[index] = 1e-6
        up = float(objective.value_and_gradient(theta + step)[0])
        down = float(objective.value_and_gradient(theta - step)[0])
        assert abs((up - down) / 2e-6 - float(gradient[index])) < 1e-6 * max(1.0, abs(float(gradient[index])))


def test_bad_arguments_are_refused_before_anything_is_compiled():
    unknown = BurgersResidual(nu=Unknown(0.02, positive=True))
    for kwargs, message in [
        ({"residual": unknown}, r"unknown coefficients \(nu\) are identified from data: give data_points and data_values"),
        ({"residual_weight": -1.0}, r"`residual_weight` must be a finite number >= 0. Received: residual_weight=-1.0"),
        ({"data_points": POINTS[:5], "data_values": np.ones(4)},
         r"`data_values` must hold one finite value per data point \(5\). Received: 4 values"),
        ({"data_points": POINTS[:5], "data_values": np.full(5, np.nan)}, r"must hold one finite value per data point"),
        ({"data_points": POINTS[:5, :1], "data_values": np.ones(5)},
         r"`data_points` must be finite points of shape \(n, 2\). Received: shape=\(5, 1\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            _objective(**kwargs)
    with pytest.raises(ValueError, match="`residual` must be a PDEResidual. Received: residual='burgers'"):
        _objective(residual="burgers")
    objective = _objective(residual=BurgersResidual(nu=Unknown(0.02, positive=True)), data_points=POINTS[:5],
                           data_values=np.zeros(5))
    with pytest.raises(ValueError, match=f"`theta` must be a flat vector of {objective.size} parameters"):
        objective.coefficients(objective.theta()[:5])


def test_loss_is_the_mean_squared_residual_plus_data_error():
    data = POINTS[:10], np.ones(10)
    objective = _objective(data_points=data[0], data_values=data[1])
    loss, data_loss, residual_loss = objective.terms(objective.theta())
    network = objective.network
    residual = numpy(BurgersResidual()(network, ops.convert_to_tensor(POINTS)))
    np.testing.assert_allclose(float(residual_loss), np.mean(residual ** 2), rtol=1e-12)
    np.testing.assert_allclose(float(data_loss), np.mean((numpy(network(data[0])).ravel() - 1.0) ** 2), rtol=1e-12)
    np.testing.assert_allclose(float(loss), float(data_loss + residual_loss), rtol=1e-12)


def test_resampling_keeps_the_shape_and_changes_the_loss():
    objective = _objective()
    before = float(objective.value_and_gradient(objective.theta())[0])
    objective.set_collocation(RNG.uniform([0, -1], [1, 1], (200, 2)))
    assert float(objective.value_and_gradient(objective.theta())[0]) != before
    with pytest.raises(ValueError, match=r"resampled collocation points must keep the shape \(200, 2\). "
                                         r"Received: shape=\(10, 2\)"):
        objective.set_collocation(POINTS[:10])
    magnitudes = objective.residual_at(RNG.uniform([0, -1], [1, 1], (70_001, 2)), batch=50_000)
    assert magnitudes.shape == (70_001,) and np.all(magnitudes >= 0)


def test_adam_lowers_the_loss():
    objective = _objective()
    history = objective.adam(60, 1e-2, record_every=20)["history"]
    assert history["iteration"] == [20, 40, 60] and history["loss"][-1] < history["loss"][0]


def test_rad_draws_distinct_points_where_the_residual_is_large():
    candidates = np.column_stack([np.zeros(1000), np.linspace(-1, 1, 1000)])
    residual = np.where(candidates[:, 1] > 0.5, 10.0, 0.1)
    chosen = rad_sample(candidates, residual, 200, np.random.default_rng(1), k=1.0, c=0.0)
    assert len(np.unique(chosen[:, 1])) == 200
    assert np.mean(chosen[:, 1] > 0.5) > 0.75          # a quarter of the candidates, most of the points
    uniform = rad_probabilities(residual, k=0.0, c=1.0)
    np.testing.assert_allclose(uniform, 1 / 1000)
    with pytest.raises(ValueError, match="need at least 200 candidates. Received: 100"):
        rad_sample(candidates[:100], residual[:100], 200, np.random.default_rng(1))
    with pytest.raises(ValueError, match="residual magnitudes must be a non-empty 1-D array"):
        rad_probabilities(np.array([1.0, np.nan]))


def test_heat_equation_solved_to_high_accuracy_by_the_same_machinery():
    set_seed(0)
    kappa = 0.1
    network = pinn_network(hidden_layers=2, units=10, dtype="float64", periodic=True, initial="sin(pi x)")
    points = np.random.default_rng(3).uniform([0, -1], [1, 1], (300, 2))  # not the shared RNG: order-free
    objective = PINNObjective(network, HeatResidual(kappa), points)
    objective.adam(100, 1e-2)
    result = minimize(objective.value_and_gradient, objective.theta(), method="ssbroyden", max_iter=400)
    objective.assign(result.theta)
    t, x = np.meshgrid(np.linspace(0, 1, 21), np.linspace(-1, 1, 41))
    exact = np.exp(-kappa * np.pi ** 2 * t) * np.sin(np.pi * x)
    predicted = numpy(network(np.column_stack([t.ravel(), x.ravel()]))).reshape(exact.shape)
    assert np.linalg.norm(predicted - exact) / np.linalg.norm(exact) < 1e-4


def test_sampling_docstring_example():
    import doctest

    from toolkit.training import sampling

    result = doctest.testmod(sampling)
    assert result.attempted > 0 and result.failed == 0
