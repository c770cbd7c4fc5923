"""The quasi-Newton optimisers: the O(n^2) update is the Broyden-family formula, the secant
condition holds, they converge, and they stop when told."""

import time

import keras
import numpy as np
import pytest
from keras import ops

from tests.conftest import float64_ready
from toolkit.training import compiled
from toolkit.training.lbfgs import minimize_lbfgs
from toolkit.training.line_search import strong_wolfe
from toolkit.training.quasi_newton import METHODS, _update, minimize, positive_definite, scaling

pytestmark = pytest.mark.skipif(not float64_ready(), reason="float64 on TensorFlow, or JAX in 64-bit mode "
                                                              "(make test runs these with JAX_ENABLE_X64=1)")
if float64_ready():
    rosenbrock = compiled.jit(compiled.value_and_grad(
        lambda x: (ops.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2),)))
    START = ops.convert_to_tensor(np.full(10, -1.2), dtype="float64")


def _tensors(*arrays):
    return (ops.convert_to_tensor(a, dtype="float64") for a in arrays)


def _random_pair(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    h = a @ a.T / n + np.eye(n)
    s = rng.normal(size=n)
    y = s + 0.3 * rng.normal(size=n)
    g = -rng.normal(size=n)
    return h, s, y, g


@pytest.mark.parametrize("tau, phi", [(1.0, 1.0), (0.5, 1.0), (0.7, 0.3), (1.3, -0.2)])
def test_rank_two_update_equals_the_dense_broyden_family_formula(tau, phi):
    h, s, y, _ = _random_pair(12, 0)
    hy, sy = h @ y, s @ y
    yhy = y @ hy
    v = s / sy - hy / yhy
    dense = (h - np.outer(hy, hy) / yhy + phi * yhy * np.outer(v, v)) / tau + np.outer(s, s) / sy
    got = ops.convert_to_numpy(_update(*_tensors(h, hy, s, sy, yhy, tau, phi)))
    np.testing.assert_allclose(got, dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got @ y, s, rtol=1e-10)             # the secant condition H+ y = s
    if tau == phi == 1.0:                                           # BFGS: SciPy's O(n^3) form
        eye = np.eye(len(s))
        bfgs = (eye - np.outer(s, y) / sy) @ h @ (eye - np.outer(y, s) / sy) + np.outer(s, s) / sy
        np.testing.assert_allclose(got, bfgs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_scaling_keeps_the_update_positive_definite(method):
    for seed in range(20):
        h, s, y, _ = _random_pair(8, seed)
        alpha = 0.7
        g = -np.linalg.solve(h, s / alpha)                          # s = -alpha H g, as after a line search
        tau, phi = scaling(method, 8, alpha, s @ y, y @ h @ y, s @ g)
        assert tau > 0 and np.isfinite(phi)
        if method == "bfgs":
            assert (tau, phi) == (1.0, 1.0)
        updated = _update(*_tensors(h, h @ y, s, s @ y, y @ h @ y, tau, phi))
        assert positive_definite(updated), (method, seed, tau, phi)


@pytest.mark.parametrize("method", METHODS)
def test_each_method_solves_rosenbrock(method):
    result = minimize(rosenbrock, START, method=method, max_iter=3000, gtol=1e-8, record_every=10)
    assert result.message == "gradient below 1e-08"
    np.testing.assert_allclose(ops.convert_to_numpy(result.theta), 1.0, atol=1e-6)
    assert result.evaluations >= result.iterations > 20
    history = result.history
    assert history["iteration"][-1] == result.iterations and history["loss"][-1] < 1e-12
    assert history["loss"][0] > history["loss"][-1] and sorted(history["seconds"]) == history["seconds"]


def test_it_stops_at_the_iteration_and_time_limits_and_continues_from_its_inverse_hessian():
    first = minimize(rosenbrock, START, max_iter=15, record_every=5)
    assert first.iterations == 15 and first.message == "reached 15 iterations"
    assert first.history["iteration"] == [5, 10, 15]
    more = minimize(rosenbrock, first.theta, inverse_hessian=first.inverse_hessian, max_iter=15)
    assert more.history["loss"][-1] < first.history["loss"][-1]

    def slow(x):
        time.sleep(0.02)
        return rosenbrock(x)

    timed = minimize(slow, START, max_iter=10 ** 6, time_limit=0.5)
    assert timed.message == "time limit of 0.5 s" and 0.5 <= timed.seconds < 5 and timed.iterations < 25


def test_callback_sees_each_record():
    seen = []
    minimize(rosenbrock, START, max_iter=20, record_every=10, callback=lambda i, theta, loss: seen.append((i, loss)))
    assert [i for i, _ in seen] == [10, 20] and seen[1][1] < seen[0][1]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="`method` must be one of bfgs, ssbfgs, ssbroyden. Received: method='newton'"):
        minimize(rosenbrock, START, method="newton")


def test_lbfgs_has_the_same_interface():
    result = minimize_lbfgs(rosenbrock, START, max_iter=500, record_every=50)
    np.testing.assert_allclose(ops.convert_to_numpy(result.theta), 1.0, atol=1e-5)
    assert result.inverse_hessian is None and result.history["iteration"][0] == 50


@pytest.mark.parametrize("alpha", [1e-3, 1.0, 50.0])
def test_line_search_step_meets_the_strong_wolfe_conditions(alpha):
    # phi(a) = f(x + a p) for f = sum(x^4) + sum(x^2), from x = 1 along p = -1: minimum past a = 1.
    def phi(a):
        x = 1.0 - a
        return 4 * (x ** 4 + x ** 2), 4 * (-(4 * x ** 3) - 2 * x)

    value0, slope0 = phi(0.0)
    found = strong_wolfe(phi, value0, slope0, alpha=alpha, c1=1e-4, c2=0.9)
    value, slope = phi(found.alpha)
    assert value <= value0 + 1e-4 * found.alpha * slope0
    assert abs(slope) <= 0.9 * abs(slope0)
    assert found.evaluations <= 30


def test_line_search_refuses_an_ascent_direction():
    assert strong_wolfe(lambda a: (a, 1.0), 0.0, 1.0).alpha is None
