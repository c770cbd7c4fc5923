"""The exact Burgers solution: conditions, symmetry and the benchmark's known shock."""

import numpy as np
import pytest

from toolkit.evaluation.burgers import benchmark_grid, burgers_exact

T, X = benchmark_grid()


def test_initial_and_boundary_conditions():
    np.testing.assert_allclose(burgers_exact(0.0, X), -np.sin(np.pi * X), atol=1e-14)
    np.testing.assert_allclose(burgers_exact(T, -1.0), 0.0, atol=1e-12)
    np.testing.assert_allclose(burgers_exact(T, 1.0), 0.0, atol=1e-12)


def test_zero_at_the_centre_and_odd():
    np.testing.assert_allclose(burgers_exact(T, 0.0), 0.0, atol=1e-12)
    grid_t, grid_x = np.meshgrid(T, X)
    np.testing.assert_allclose(burgers_exact(grid_t, grid_x), -burgers_exact(grid_t, -grid_x), atol=1e-12)


def test_the_shock_forms_at_zero_with_the_published_slope():
    # Basdevant et al. (1986): the steepest slope, 152.00516, is reached at x = 0, t = 1.6037 / pi.
    t = np.linspace(0.45, 0.6, 601)
    h = 1e-7
    slope = (burgers_exact(t, h) - burgers_exact(t, -h)) / (2 * h)
    steepest = np.argmax(np.abs(slope))
    assert slope[steepest] == pytest.approx(-152.00516, rel=1e-6)
    assert t[steepest] * np.pi == pytest.approx(1.6037, abs=2e-3)
    x = np.linspace(-1, 1, 2001)
    assert abs(x[np.argmax(np.abs(np.gradient(burgers_exact(1.0, x), x)))]) < 1e-9  # steepest at x = 0


def test_quadrature_has_converged():
    grid_t, grid_x = np.meshgrid(T, X)
    np.testing.assert_allclose(burgers_exact(grid_t, grid_x, nodes=100), burgers_exact(grid_t, grid_x), atol=1e-12)
