"""Burgers' equation by a physics-informed network, scored against the exact solution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.errors import UsageError
from toolkit.runs.pde import PDEConfig, PDEProblem, run_pde

PUBLISHED_L2 = 6.7e-4  # Raissi, Perdikaris and Karniadakis (2019), the soft-constrained set-up


@dataclass(frozen=True)
class BurgersConfig(PDEConfig):
    """Settings of the Burgers PINN pipeline (``[burgers]`` in a pipeline file); see :class:`PDEConfig`.

    Attributes:
        nu: Viscosity. Defaults to 0.01 / pi, the benchmark's.
    """

    nu: float = 0.01 / np.pi

    def validate(self):
        super().validate()
        if not self.nu > 0:
            raise UsageError(f"nu must be positive. Received: nu={self.nu!r}")
        return self


def burgers_problem(nu: float = 0.01 / np.pi) -> PDEProblem:
    from toolkit.builders.pde import BurgersResidual
    from toolkit.evaluation.burgers import benchmark_grid, burgers_exact

    return PDEProblem(
        kind="burgers", title="Burgers' equation: physics-informed network against the exact solution",
        equation=(f"u_t + u u_x - nu u_xx = 0 with nu = {nu:.6g} for x in [-1, 1], t in [0, 1]; u(0, x) = -sin(pi x); "
                  "u(t, -1) = u(t, 1) = 0. The exact solution is the toolkit's own Cole-Hopf transform with "
                  "Gauss-Hermite quadrature (toolkit.evaluation.burgers)."),
        residual=BurgersResidual(nu), initial="-sin(pi x)", initial_values=lambda x: -np.sin(np.pi * x),
        exact=lambda t, x: burgers_exact(t, x, nu=nu), grid=benchmark_grid(),
        published=PUBLISHED_L2 if np.isclose(nu, 0.01 / np.pi) else None,
        published_source="Raissi, Perdikaris and Karniadakis, 2019")


def run_burgers(config: BurgersConfig, *, log=print):
    return run_pde(burgers_problem(config.nu), config, log=log)
