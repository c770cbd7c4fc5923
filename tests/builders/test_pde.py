"""Residual derivatives: Taylor mode equals nested reverse mode; hard constraints hold exactly.

Backend-neutral (keras.ops); in float64 where the backend has it (TensorFlow, and JAX in
its 64-bit mode), else in float32 with tolerances to match.
"""

import keras
import numpy as np
import pytest
from keras import ops

from toolkit.builders.pde import BurgersResidual, HeatResidual, Unknown, derivatives, tape_jet, taylor_jet
from toolkit.builders.pinn import PINN, INITIAL_CONDITIONS, pinn_network


def _has_float64() -> bool:
    if keras.backend.backend() != "jax":
        return keras.backend.backend() == "tensorflow"
    import jax

    return bool(jax.config.jax_enable_x64)


DTYPE = "float64" if _has_float64() else "float32"
EXACT = DTYPE == "float64"  # tolerances: float64 checks to ~1e-12, float32 to ~1e-5
POINTS = ops.convert_to_tensor(np.random.default_rng(0).uniform([0, -1], [1, 1], (64, 2)), dtype=DTYPE)
numpy = ops.convert_to_numpy


@pytest.mark.parametrize("options", [
    {}, {"activation": "sigmoid"}, {"periodic": True}, {"initial": "-sin(pi x)"},
    {"periodic": True, "initial": "x^2 cos(pi x)"}, {"periodic": True, "initial": "sin(pi x)", "activation": "linear"},
])
def test_taylor_mode_equals_nested_tapes(options):
    keras.utils.set_random_seed(1)
    network = pinn_network(hidden_layers=3, units=16, dtype=DTYPE, **options)
    forward, backward = taylor_jet(network, POINTS), tape_jet(network, POINTS)
    assert forward is not None
    for a, b in zip(forward, backward):
        np.testing.assert_allclose(numpy(a), numpy(b), rtol=1e-10 if EXACT else 1e-4, atol=1e-12 if EXACT else 1e-5)


def test_uncovered_layers_fall_back_to_tapes():
    network = pinn_network(hidden_layers=2, units=8, activation="gelu", dtype=DTYPE)
    assert taylor_jet(network, POINTS) is None
    np.testing.assert_allclose(numpy(derivatives(network, POINTS).u_xx), numpy(tape_jet(network, POINTS).u_xx))
    with pytest.raises(ValueError, match="network 'u' has layers the forward rules do not cover; use method='tape'"):
        derivatives(network, POINTS, method="taylor")


def test_hard_constraints_hold_exactly():
    network = pinn_network(hidden_layers=2, units=8, dtype=DTYPE, periodic=True, initial="-sin(pi x)")
    x = np.linspace(-1, 1, 11)
    initial = numpy(network(np.column_stack([np.zeros_like(x), x]).astype(DTYPE))).ravel()
    np.testing.assert_allclose(initial, -np.sin(np.pi * x), atol=1e-15 if EXACT else 1e-6)
    t = np.linspace(0, 1, 7)
    left = numpy(network(np.column_stack([t, -np.ones_like(t)]).astype(DTYPE)))
    right = numpy(network(np.column_stack([t, np.ones_like(t)]).astype(DTYPE)))
    np.testing.assert_allclose(left, right, atol=1e-13 if EXACT else 1e-5)


# g, g' and g'' of each initial condition, differentiated by hand.
CLOSED_FORMS = {
    "-sin(pi x)": lambda x: (-np.sin(np.pi * x), -np.pi * np.cos(np.pi * x), np.pi ** 2 * np.sin(np.pi * x)),
    "sin(pi x)": lambda x: (np.sin(np.pi * x), np.pi * np.cos(np.pi * x), -np.pi ** 2 * np.sin(np.pi * x)),
    "x^2 cos(pi x)": lambda x: (x ** 2 * np.cos(np.pi * x), 2 * x * np.cos(np.pi * x) - np.pi * x ** 2 * np.sin(np.pi * x),
                                2 * np.cos(np.pi * x) - 4 * np.pi * x * np.sin(np.pi * x)
                                - np.pi ** 2 * x ** 2 * np.cos(np.pi * x)),
}


@pytest.mark.parametrize("name", sorted(INITIAL_CONDITIONS))
def test_initial_conditions_derivatives(name):
    x = np.linspace(-1, 1, 9)
    for got, expected in zip(INITIAL_CONDITIONS[name](ops.convert_to_tensor(x, dtype=DTYPE)), CLOSED_FORMS[name](x)):
        np.testing.assert_allclose(numpy(got), expected, atol=1e-11 if EXACT else 1e-4)


def test_heat_residual_vanishes_on_the_exact_solution():
    kappa = 0.1
    points = keras.Input((2,), dtype=DTYPE)
    exact = keras.layers.Lambda(lambda p: ops.exp(-kappa * np.pi ** 2 * p[:, :1]) * ops.sin(np.pi * p[:, 1:]),
                                dtype=DTYPE)(points)
    residual = HeatResidual(kappa)(keras.Model(points, exact), POINTS)
    assert np.abs(numpy(residual)).max() < (1e-13 if EXACT else 1e-4)
    assert np.abs(numpy(HeatResidual(2 * kappa)(keras.Model(points, exact), POINTS))).max() > 0.1


def test_hard_constrained_pinn_saves_and_loads(tmp_path):
    network = pinn_network(hidden_layers=2, units=8, periodic=True, initial="-sin(pi x)")
    model = PINN(network, BurgersResidual(0.02))
    model.compile(optimizer="adam")
    model.save(tmp_path / "pinn.keras")
    loaded = keras.models.load_model(tmp_path / "pinn.keras")
    points = numpy(POINTS).astype("float32")
    np.testing.assert_allclose(loaded.predict(points, verbose=0), model.predict(points, verbose=0), rtol=1e-6)
    assert loaded.residual.nu == 0.02


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="the refusal is PyTorch's")
def test_float64_is_refused_on_torch():
    with pytest.raises(ValueError, match="float64 networks run on tensorflow or jax"):
        pinn_network(dtype="float64")


def test_residual_arguments_are_checked():
    with pytest.raises(ValueError, match="`kappa` must be a positive number or an Unknown. Received: kappa=0"):
        HeatResidual(0)
    with pytest.raises(ValueError, match=r"`nu` must be positive: give Unknown\(..., positive=True\). "
                                         r"Received: nu=Unknown\(0.1, positive=False\)"):
        BurgersResidual(nu=Unknown(0.1))
    with pytest.raises(ValueError, match="a positive coefficient needs a positive first guess. Received: initial=0"):
        Unknown(0, positive=True)
    with pytest.raises(ValueError, match="`initial` must be a finite number. Received: initial=nan"):
        Unknown(float("nan"))
    with pytest.raises(ValueError, match="`positive` must be True or False. Received: positive='no'"):
        Unknown(1.0, positive="no")
    assert Unknown(np.float32(0.5)).value() == 0.5 and BurgersResidual(nu=np.float64(0.02)).nu == 0.02
    with pytest.raises(ValueError, match="`initial` must be one of -sin"):
        pinn_network(initial="cos(x)")
