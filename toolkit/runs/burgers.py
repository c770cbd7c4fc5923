"""Burgers' equation by a physics-informed network, scored against the exact solution; and its coefficients
discovered from data (the inverse problem)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.errors import UsageError
from toolkit.runs.discovery import DiscoveryConfig, DiscoveryProblem, run_discovery
from toolkit.runs.pde import PDEConfig, PDEProblem, check_coefficient, run_pde

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
        check_coefficient("nu", self.nu)
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


#: Raissi, Perdikaris and Karniadakis (2019), table 1 / maziarraissi/PINNs appendix: relative errors (%)
#: of lambda1 and lambda2 identified from N_u points with the stated noise (8 x 40 network, L-BFGS-B).
PUBLISHED_DISCOVERY = {(2000, 0.0): {"advection": 0.096, "nu": 0.469}, (2000, 0.01): {"advection": 0.039, "nu": 0.008},
                       (2000, 0.05): {"advection": 0.190, "nu": 6.216}, (2000, 0.10): {"advection": 0.101, "nu": 6.391},
                       (500, 0.0): {"advection": 0.131, "nu": 13.885}}


@dataclass(frozen=True)
class BurgersDiscoveryConfig(DiscoveryConfig):
    """Settings of ``toolkit run burgers-discovery`` (``[burgers-discovery]``); see :class:`DiscoveryConfig`.

    Attributes:
        nu: The true viscosity of the data. Defaults to 0.01 / pi, the benchmark's.
    """

    nu: float = 0.01 / np.pi

    def validate(self):
        super().validate()
        check_coefficient("nu", self.nu)
        return self


def burgers_discovery_problem(nu: float = 0.01 / np.pi) -> DiscoveryProblem:
    """u_t + lambda1 u u_x - lambda2 u_xx = 0 with lambda1 = 1, lambda2 = nu unknown; Raissi's first
    guesses, lambda1 = 0 and lambda2 = exp(-6) (a log parameterisation)."""
    from toolkit.builders.pde import BurgersResidual, Unknown

    benchmark = bool(np.isclose(nu, 0.01 / np.pi))
    return DiscoveryProblem(
        pde=burgers_problem(nu), truth={"advection": 1.0, "nu": float(nu)},
        equation=(f"u_t + lambda1 u u_x - lambda2 u_xx = 0 for x in [-1, 1], t in [0, 1], with lambda1 and lambda2 "
                  f"unknown; the data come from the exact Cole-Hopf solution with lambda1 = 1 and lambda2 = nu = "
                  f"{nu:.7g}, u(0, x) = -sin(pi x), u(t, -1) = u(t, 1) = 0 (toolkit.evaluation.burgers)."),
        make_residual=lambda: BurgersResidual(nu=Unknown(float(np.exp(-6.0)), positive=True), advection=Unknown(0.0)),
        labels={"advection": "lambda1", "nu": "lambda2"},
        published=PUBLISHED_DISCOVERY if benchmark else None,
        published_source="Raissi, Perdikaris and Karniadakis, 2019 (maziarraissi/PINNs, continuous-time identification)")


def run_burgers_discovery(config: BurgersDiscoveryConfig, *, log=print):
    return run_discovery(burgers_discovery_problem(config.nu), config, log=log)
