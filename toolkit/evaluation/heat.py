"""Exact solution of the heat-equation test problem."""

from __future__ import annotations

import numpy as np


def heat_exact(t, x, kappa: float = 0.1) -> np.ndarray:
    """u(t, x) = exp(-kappa pi^2 t) sin(pi x): solves u_t = kappa u_xx with u(0, x) = sin(pi x), u(t, +-1) = 0."""
    t, x = np.broadcast_arrays(np.asarray(t, dtype="float64"), np.asarray(x, dtype="float64"))
    return np.exp(-kappa * np.pi ** 2 * t) * np.sin(np.pi * x)
