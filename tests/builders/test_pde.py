"""Residual derivatives: Taylor mode equals nested tapes; hard constraints hold exactly."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from toolkit.builders.pde import BurgersResidual, HeatResidual, derivatives, tape_jet, taylor_jet
from toolkit.builders.pinn import PINN, INITIAL_CONDITIONS, pinn_network

POINTS = tf.constant(np.random.default_rng(0).uniform([0, -1], [1, 1], (64, 2)))


@pytest.mark.parametrize("options", [
    {}, {"activation": "sigmoid"}, {"periodic": True}, {"initial": "-sin(pi x)"},
    {"periodic": True, "initial": "x^2 cos(pi x)"}, {"periodic": True, "initial": "sin(pi x)", "activation": "linear"},
])
def test_taylor_mode_equals_nested_tapes(options):
    keras.utils.set_random_seed(1)
    network = pinn_network(hidden_layers=3, units=16, dtype="float64", **options)
    forward, backward = taylor_jet(network, POINTS), tape_jet(network, POINTS)
    assert forward is not None
    for a, b in zip(forward, backward):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_uncovered_layers_fall_back_to_tapes():
    network = pinn_network(hidden_layers=2, units=8, activation="gelu", dtype="float64")
    assert taylor_jet(network, POINTS) is None
    np.testing.assert_allclose(derivatives(network, POINTS).u_xx.numpy(), tape_jet(network, POINTS).u_xx.numpy())
    with pytest.raises(ValueError, match="network 'u' has layers the forward rules do not cover; use method='tape'"):
        derivatives(network, POINTS, method="taylor")


def test_hard_constraints_hold_exactly():
    network = pinn_network(hidden_layers=2, units=8, dtype="float64", periodic=True, initial="-sin(pi x)")
    x = np.linspace(-1, 1, 11)
    initial = network(np.column_stack([np.zeros_like(x), x])).numpy().ravel()
    np.testing.assert_allclose(initial, -np.sin(np.pi * x), atol=1e-15)
    t = np.linspace(0, 1, 7)
    left = network(np.column_stack([t, -np.ones_like(t)])).numpy()
    right = network(np.column_stack([t, np.ones_like(t)])).numpy()
    np.testing.assert_allclose(left, right, atol=1e-13)


@pytest.mark.parametrize("name", sorted(INITIAL_CONDITIONS))
def test_initial_conditions_derivatives(name):
    x = tf.constant(np.linspace(-1, 1, 9))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            g, first, second = INITIAL_CONDITIONS[name](x)
        slope = inner.gradient(g, x)
    np.testing.assert_allclose(first.numpy(), slope.numpy(), atol=1e-12)
    np.testing.assert_allclose(second.numpy(), outer.gradient(slope, x).numpy(), atol=1e-11)


def test_heat_residual_vanishes_on_the_exact_solution():
    kappa = 0.1
    points = keras.Input((2,), dtype="float64")
    exact = keras.layers.Lambda(lambda p: tf.exp(-kappa * np.pi ** 2 * p[:, :1]) * tf.sin(np.pi * p[:, 1:]),
                                dtype="float64")(points)
    residual = HeatResidual(kappa)(keras.Model(points, exact), POINTS)
    assert float(tf.reduce_max(tf.abs(residual))) < 1e-13
    assert float(tf.reduce_max(tf.abs(HeatResidual(2 * kappa)(keras.Model(points, exact), POINTS)))) > 0.1


def test_hard_constrained_pinn_saves_and_loads(tmp_path):
    network = pinn_network(hidden_layers=2, units=8, periodic=True, initial="-sin(pi x)")
    model = PINN(network, BurgersResidual(0.02))
    model.compile(optimizer="adam")
    model.save(tmp_path / "pinn.keras")
    loaded = keras.models.load_model(tmp_path / "pinn.keras")
    points = POINTS.numpy().astype("float32")
    np.testing.assert_allclose(loaded.predict(points, verbose=0), model.predict(points, verbose=0), rtol=1e-6)
    assert loaded.residual.nu == 0.02


def test_residual_arguments_are_checked():
    with pytest.raises(ValueError, match="`kappa` must be positive. Received: kappa=0"):
        HeatResidual(0)
    with pytest.raises(ValueError, match="`initial` must be one of -sin"):
        pinn_network(initial="cos(x)")
