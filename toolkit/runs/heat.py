"""The heat equation by the same PINN machinery as Burgers': a test of its generality with a closed-form answer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from toolkit.errors import UsageError
from toolkit.runs.discovery import DiscoveryConfig, DiscoveryProblem, run_discovery
from toolkit.runs.pde import PDEConfig, PDEProblem, check_coefficient, run_pde


@dataclass(frozen=True)
class HeatConfig(PDEConfig):
    """Settings of the heat pipeline (``[heat]``); see :class:`PDEConfig`. A smooth solution needs
    fewer points and less time than Burgers'.

    Attributes:
        kappa: Diffusivity. Defaults to 0.1.
    """

    kappa: float = 0.1
    collocation_points: int = 2000
    adam_steps: int = 500
    time_limit_minutes: float = 2.0

    def validate(self):
        super().validate()
        check_coefficient("kappa", self.kappa)
        return self

    def quick_profile(self):
        return replace(super().quick_profile(), collocation_points=200)


def heat_problem(kappa: float = 0.1) -> PDEProblem:
    from toolkit.builders.pde import HeatResidual
    from toolkit.evaluation.heat import heat_exact

    return PDEProblem(
        kind="heat", title="The heat equation: physics-informed network against the exact solution",
        equation=(f"u_t = kappa u_xx with kappa = {kappa:g} for x in [-1, 1], t in [0, 1]; u(0, x) = sin(pi x); "
                  "u(t, -1) = u(t, 1) = 0. Exact solution: u = exp(-kappa pi^2 t) sin(pi x)."),
        residual=HeatResidual(kappa), initial="sin(pi x)", initial_values=lambda x: np.sin(np.pi * x),
        exact=lambda t, x: heat_exact(t, x, kappa), grid=(np.linspace(0.0, 1.0, 101), np.linspace(-1.0, 1.0, 201)))


def run_heat(config: HeatConfig, *, log=print):
    return run_pde(heat_problem(config.kappa), config, log=log)


@dataclass(frozen=True)
class HeatDiscoveryConfig(DiscoveryConfig):
    """Settings of ``toolkit run heat-discovery`` (``[heat-discovery]``): kappa identified from data.

    Attributes:
        kappa: The true diffusivity of the data. Defaults to 0.1.
    """

    GRID_POINTS: ClassVar[int] = 101 * 201

    kappa: float = 0.1
    hidden_layers: int = 2
    data_points: int = 500
    collocation_points: int = 2000
    adam_steps: int = 500
    time_limit_minutes: float = 2.0
    bootstrap_minutes: float = 1.0

    def validate(self):
        super().validate()
        check_coefficient("kappa", self.kappa)
        return self


def heat_discovery_problem(kappa: float = 0.1) -> DiscoveryProblem:
    """u_t = kappa u_xx with kappa unknown, first guessed at 1 (ten times the default truth)."""
    from toolkit.builders.pde import HeatResidual, Unknown

    return DiscoveryProblem(pde=heat_problem(kappa), truth={"kappa": float(kappa)},
                            equation=(f"u_t = kappa u_xx for x in [-1, 1], t in [0, 1], with kappa unknown; the data "
                                      f"come from u = exp(-kappa pi^2 t) sin(pi x) with kappa = {kappa:g}."),
                            make_residual=lambda: HeatResidual(kappa=Unknown(1.0, positive=True)),
                            labels={"kappa": "kappa"})


def run_heat_discovery(config: HeatDiscoveryConfig, *, log=print):
    return run_discovery(heat_discovery_problem(config.kappa), config, log=log)
