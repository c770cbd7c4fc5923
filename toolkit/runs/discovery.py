"""Data-driven discovery: a PDE's unknown coefficients identified from scattered, noisy data.

Raissi, Perdikaris and Karniadakis (2019), "Physics-informed neural networks ... forward and
inverse problems", section 4.1.2 (continuous-time identification): N_u points of the exact
solution, with noise, are the only knowledge of u; the network fits them while the residual
of u_t + lambda1 u u_x - lambda2 u_xx, with lambda1 and lambda2 trained alongside the weights,
is asked to vanish. This run does the same through the toolkit's PDE machinery (float64,
Adam then a self-scaled quasi-Newton method, residual-based resampling of the collocation
points), reports the coefficients against the truth with their error over the optimisation,
and refits on bootstrap resamples of the data, so each estimate carries its spread: a
coefficient the data do not pin down shows a wide one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Callable, ClassVar

import numpy as np

from toolkit.errors import UsageError
from toolkit.reports import plots
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.pde import OPTIMIZER_TITLES, PDEConfig, PDEProblem, _Scorer, train_stages

#: A bootstrap spread (standard deviation / |estimate|) above this says "not identified by these data".
IDENTIFIED_SPREAD = 0.05
#: Fewest bootstrap refits, iterations of each, and quasi-Newton iterations of the fit, for a verdict.
VERDICT_REFITS, VERDICT_REFIT_ITERATIONS, VERDICT_FIT_ITERATIONS = 3, 50, 200


@dataclass(frozen=True)
class DiscoveryProblem:
    """An inverse problem: a :class:`PDEProblem` whose residual has unknown coefficients.

    Attributes:
        pde: The problem (grid, exact solution, domain, initial condition for hard constraints).
        equation: The PDE with its unknowns named, and their true values, for the report.
        make_residual: A fresh residual with :class:`toolkit.builders.pde.Unknown` coefficients
            (each fit gets its own variables).
        truth: The coefficients' true values, name -> value.
        labels: Their names in the report, name -> label.
        published: Published errors in percent, (N_u, noise) -> {name: error}, or None.
        published_source: Who published them.
    """

    pde: PDEProblem
    equation: str
    make_residual: Callable
    truth: dict
    labels: dict
    published: dict | None = None
    published_source: str = ""


@dataclass(frozen=True)
class DiscoveryConfig(PDEConfig):
    """Settings of a discovery run; see :class:`toolkit.runs.pde.PDEConfig` for the shared ones.

    Attributes:
        constraints: ``"soft"``: the data are the only knowledge of u (Raissi's set-up);
            ``"hard"``: the initial and periodic boundary conditions are built into the network too.
        data_points: N_u, points of the exact solution drawn from the evaluation grid.
        noise: Gaussian noise added to the data, as a fraction of their standard deviation
            (Raissi's definition: 0.01 is "1% noise").
        bootstrap: Refits on resamples (with replacement) of the data, for each coefficient's spread.
        bootstrap_iterations: Quasi-Newton iterations of each refit, warm-started from the fit.
        bootstrap_minutes: Time for all refits together, on top of ``time_limit_minutes``.
        residual_weight: Weight of the mean squared residual against the data's mean squared
            error: larger holds the network closer to a solution of the PDE, so it fits less
            noise, but stiffens the optimisation (measured at 5% noise and 2,000 points: lambda2
            1.30% off at weight 1 after 6 minutes; at 10, -0.72% and settled after 3 minutes; at
            100, still moving between +1.4% and +0.6% at 4 minutes; bench/README.md).
    """

    NOT_SETTINGS: ClassVar[tuple] = ("boundary_points",)
    #: Points of the problem's evaluation grid, where the data are drawn from (set by each problem's config).
    GRID_POINTS: ClassVar[int] = 100 * 256

    constraints: str = "soft"
    hidden_layers: int = 4
    units: int = 20
    data_points: int = 2000
    noise: float = 0.0
    bootstrap: int = 4
    bootstrap_iterations: int = 1000
    time_limit_minutes: float = 10.0
    bootstrap_minutes: float = 3.0
    residual_weight: float = 10.0

    def quick_profile(self):
        return replace(super().quick_profile(), data_points=min(self.data_points, 300), bootstrap=min(self.bootstrap, 2),
                       bootstrap_iterations=20, bootstrap_minutes=1.0)

    def validate(self):
        super().validate()
        if isinstance(self.data_points, bool) or not 10 <= self.data_points <= self.GRID_POINTS:
            raise UsageError(f"data_points must be from 10 to the {self.GRID_POINTS:,} points of the evaluation grid. "
                             f"Received: data_points={self.data_points!r}")
        if not (math.isfinite(self.noise) and 0 <= self.noise <= 1):
            raise UsageError(f"noise must be a fraction from 0 to 1 of the data's standard deviation (0.01 is 1%). "
                             f"Received: noise={self.noise!r}")
        if isinstance(self.bootstrap, bool) or not 0 <= self.bootstrap <= 100:
            raise UsageError(f"bootstrap must be a whole number from 0 to 100. Received: bootstrap={self.bootstrap!r}")
        from toolkit.runs.common import positive

        positive(self, "bootstrap_iterations", "bootstrap_minutes", "residual_weight")
        if self.residual_weight > 1e6:
            raise UsageError(f"residual_weight must be at most 1,000,000. Received: residual_weight={self.residual_weight!r}")
        return self


def _data(problem: DiscoveryProblem, config: DiscoveryConfig, rng):
    """N_u grid points, their exact values and the noisy values the fit sees."""
    t, x = problem.pde.grid
    grid_t, grid_x = np.meshgrid(t, x)
    points = np.column_stack([grid_t.ravel(), grid_x.ravel()])
    chosen = points[rng.choice(len(points), config.data_points, replace=False)]
    exact = problem.pde.exact(chosen[:, 0], chosen[:, 1])
    noisy = exact + config.noise * np.std(exact) * rng.standard_normal(len(exact))
    return chosen, exact, noisy


def _bootstrap(problem, config, network, collocation, data, values, theta, inverse_hessian, log):
    """Refits on resampled data, warm-started at ``theta`` with the fit's inverse-Hessian estimate
    (so a refit reaches its own optimum in a few hundred iterations, where one started from the
    identity barely moves): each coefficient's values across them."""
    from toolkit.training.lbfgs import minimize_lbfgs
    from toolkit.training.pinn import PINNObjective
    from toolkit.training.quasi_newton import minimize

    rng = np.random.default_rng(config.seed + 1)
    draws: dict[str, list] = {"iterations": []}
    seconds = config.bootstrap_minutes * 60 / max(config.bootstrap, 1)
    for draw in range(config.bootstrap):
        rows = rng.integers(0, len(data), len(data))
        objective = PINNObjective(network, problem.make_residual(), collocation, data[rows], values[rows],
                                  residual_weight=config.residual_weight)
        if config.optimizer == "lbfgs":
            result = minimize_lbfgs(objective.value_and_gradient, theta, max_iter=config.bootstrap_iterations,
                                    time_limit=seconds)
        else:
            result = minimize(objective.value_and_gradient, theta, method=config.optimizer,
                              inverse_hessian=inverse_hessian, max_iter=config.bootstrap_iterations,
                              time_limit=seconds)
        for name, value in objective.coefficients(result.theta).items():
            draws.setdefault(name, []).append(value)
        draws["iterations"].append(result.iterations)
        log(f"[bootstrap] refit {draw + 1} of {config.bootstrap}: " + ", ".join(
            f"{problem.labels[n]} {draws[n][-1]:.7g}" for n in problem.labels) + f" ({result.iterations} iterations)")
    return draws


def run_discovery(problem: DiscoveryProblem, config: DiscoveryConfig, *, log=print) -> ScienceResult:
    """Identify ``problem``'s unknown coefficients from noisy data as ``config`` says."""
    import keras
    from keras import ops
    from scipy.stats import qmc

    from toolkit.builders.pinn import PINN, pinn_network
    from toolkit.training import set_seed
    from toolkit.training.pinn import PINNObjective

    started = time.perf_counter()
    deadline = started + config.time_limit_minutes * 60
    set_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    data, _, values = _data(problem, config, rng)
    pde = problem.pde
    hard = config.constraints == "hard"
    # The residual is asked to vanish at random points of the domain and at the data points (Raissi's).
    sampler = qmc.LatinHypercube(d=2, seed=rng)
    collocation = np.vstack([qmc.scale(sampler.random(config.collocation_points), pde.lower, pde.upper), data])
    network = pinn_network(hidden_layers=config.hidden_layers, units=config.units, lower=pde.lower, upper=pde.upper,
                           dtype=config.precision, periodic=hard, initial=pde.initial if hard else None)
    residual = problem.make_residual()
    first_guesses = residual.coefficients()
    objective = PINNObjective(network, residual, collocation, data, values, residual_weight=config.residual_weight)
    scorer = _Scorer(pde, objective, started)
    log(f"[discovery] {len(data):,} data points with {_percent(config.noise)} noise; {network.count_params():,} weights "
        f"and {len(objective.unknowns)} unknown coefficients ({config.precision}, {keras.backend.backend()}); "
        f"Adam for {config.adam_steps} steps, then {OPTIMIZER_TITLES[config.optimizer]}")
    stages = train_stages(objective, config, scorer, deadline, rng, log)
    train_seconds = time.perf_counter() - started
    theta = objective.theta()
    estimates = objective.coefficients()
    predicted = scorer.field()
    l2 = scorer.error(predicted)
    log("[discovery] " + ", ".join(f"{problem.labels[n]} {v:.7g} (truth {problem.truth[n]:.7g}, error "
                                   f"{_error(v, problem.truth[n]):.3%})" for n, v in estimates.items())
        + f"; field relative L2 {l2:.3e} after {train_seconds:.0f} s")
    inverse_hessian = stages.get(OPTIMIZER_TITLES[config.optimizer], {}).pop("inverse_hessian", None)
    draws = _bootstrap(problem, config, network, ops.convert_to_numpy(objective.collocation), data, values, theta, inverse_hessian,
                       log) if config.bootstrap else {}
    objective.assign(theta)
    final = PINN(network, residual, name=f"{pde.kind}_pinn")
    final.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    return _result(problem, config, stages, scorer, first_guesses, estimates, draws, predicted, l2, train_seconds,
                   len(collocation), final)


def _error(estimate: float, truth: float) -> float:
    return abs(estimate - truth) / abs(truth)


def _verdict(config, sample: np.ndarray, estimate: float, refit_iterations: list, fit_iterations: int) -> str:
    """Whether the bootstrap says the data pin the coefficient down, or why it cannot say."""
    if config.quick:
        return "no verdict: quick profile"
    if len(sample) < VERDICT_REFITS:
        return f"no verdict: {len(sample)} refit{'' if len(sample) == 1 else 's'} (needs {VERDICT_REFITS})"
    if fit_iterations < VERDICT_FIT_ITERATIONS:
        return f"no verdict: the fit ran {fit_iterations} quasi-Newton iterations (needs {VERDICT_FIT_ITERATIONS})"
    if min(refit_iterations) < VERDICT_REFIT_ITERATIONS:
        return f"no verdict: a refit ran {min(refit_iterations)} iterations (needs {VERDICT_REFIT_ITERATIONS})"
    spread = float(np.std(sample, ddof=1))
    if abs(float(np.mean(sample)) - estimate) > 3 * spread + 1e-12 * abs(estimate):
        return "no verdict: the refits moved away from the fit (it had not converged)"
    if estimate == 0 or spread > IDENTIFIED_SPREAD * abs(estimate):
        return "not identified by these data"
    return "identified"


def _number(value: float) -> str:
    """A coefficient in scientific notation: lambda1 ~ 1 and lambda2 ~ 0.003 share a column."""
    return "-" if value is None or not math.isfinite(value) else f"{value:.6e}"


def _coefficient_rows(problem, config, first_guesses, estimates, draws, fit_iterations):
    rows, metrics = [], {}
    for name, estimate in estimates.items():
        truth = problem.truth[name]
        sample = np.asarray(draws.get(name, []), dtype="float64")
        spread = float(np.std(sample, ddof=1)) if len(sample) > 1 else float("nan")
        verdict = _verdict(config, sample, estimate, draws.get("iterations", []), fit_iterations)
        rows.append([problem.labels[name], _number(truth), _number(first_guesses[name]), _number(estimate),
                     100 * _error(estimate, truth), _number(spread),
                     _number(float(sample.min()) if len(sample) else None),
                     _number(float(sample.max()) if len(sample) else None), verdict])
        metrics[name] = {"label": problem.labels[name], "truth": truth, "first_guess": first_guesses[name],
                         "estimate": estimate, "relative_error": _error(estimate, truth), "bootstrap": sample.tolist(),
                         "bootstrap_sd": spread if math.isfinite(spread) else None, "verdict": verdict}
    return rows, metrics


def _published_table(problem, config, metrics):
    rows = []
    for (count, noise), errors in problem.published.items():
        here = count == config.data_points and math.isclose(noise, config.noise) and config.constraints == "soft"
        row = [count, _percent(noise)] + [float(errors[n]) for n in problem.truth]
        row += [100 * metrics[n]["relative_error"] if here else "not this run" for n in problem.truth]
        rows.append(row)
    header = ["N_u", "noise"] + [f"{problem.labels[n]} error %, published" for n in problem.truth] \
        + [f"{problem.labels[n]} error %, this run" for n in problem.truth]
    return Table(header, rows, caption=f"Published: {problem.published_source}. This run fills the row of its own "
                                       "N_u and noise; bench/README.md lists the toolkit's figures for the other rows.")


def _percent(fraction: float) -> str:
    return f"{100 * fraction:g}%"


def _result(problem, config, stages, scorer, first_guesses, estimates, draws, predicted, l2, train_seconds,
            collocation_count, final):
    pde = problem.pde
    t, x = pde.grid
    exact = scorer.exact
    fit_iterations = stages.get(OPTIMIZER_TITLES[config.optimizer], {}).get("iterations", 0)
    rows, coefficient_metrics = _coefficient_rows(problem, config, first_guesses, estimates, draws, fit_iterations)
    evaluations = sum(s["evaluations"] for s in stages.values())
    stage_rows = [[name, stage["iterations"], stage["evaluations"], stage["seconds"],
                   f"{stage['history']['loss'][-1]:.3e}" if stage["history"]["loss"] else "-", stage["message"]]
                  for name, stage in stages.items()]
    guesses = ", ".join(f"{problem.labels[n]} = {v:.6g}" for n, v in first_guesses.items())
    setup = (f"{problem.equation} The unknowns are trained with the network's weights from first guesses {guesses}. "
             f"The data: {config.data_points:,} points drawn from the {exact.shape[1]} x {exact.shape[0]} grid of the "
             f"exact solution, with Gaussian noise of {_percent(config.noise)} of their standard deviation (seed "
             f"{config.seed}). "
             + ("The network knows nothing else of u (Raissi's set-up). " if config.constraints == "soft" else
                "The initial and periodic boundary conditions are built into the network as well. ")
             + f"A tanh network of {config.hidden_layers} x {config.units} in {config.precision}; the residual at "
             f"{collocation_count:,} points ({config.collocation_points:,} in the domain"
             + (f", redrawn by residual every {config.resample_every} iterations" if config.sampling == "rad" else "")
             + f", and the data points); Adam for {config.adam_steps} steps, then {OPTIMIZER_TITLES[config.optimizer]}.")
    sections = [
        Section("Problem and data", setup,
                tables=[Table(["stage", "iterations", "loss evaluations", "seconds", "final loss", "why it stopped"],
                              stage_rows)]),
        Section("Identified coefficients",
                (f"Each estimate beside the spread of {config.bootstrap} refit{'' if config.bootstrap == 1 else 's'} on "
                 "bootstrap resamples of the data (drawn with replacement; each refit starts from the fit and its "
                 f"inverse-Hessian estimate and runs up to {config.bootstrap_iterations:,} iterations). "
                 if config.bootstrap else "No bootstrap refits were asked for (bootstrap = 0). ")
                + f"A spread above {IDENTIFIED_SPREAD:.0%} of the estimate says the data do not pin the coefficient "
                f"down; no verdict is given from fewer than {VERDICT_REFITS} refits, a quick run, a fit of fewer than "
                f"{VERDICT_FIT_ITERATIONS} quasi-Newton iterations, or refits that move away from the fit. The spread "
                "measures the data's uncertainty, not the distance to the truth: with noise-free data the estimate's "
                "error is the optimisation's.",
                tables=[Table(["coefficient", "truth", "first guess", "estimate", "error %", "bootstrap sd",
                               "bootstrap min", "bootstrap max", "verdict"], rows)]),
    ]
    if problem.published is not None:
        sections.append(Section("Against the published errors",
                                "Relative errors of the identified coefficients, in percent. The published set-up "
                                "differs: 8 hidden layers of 20 (maziarraissi/PINNs, Burgers.py), float32, L-BFGS-B, the "
                                "residual only at the N_u data points; and one random draw of the data each.",
                                tables=[_published_table(problem, config, coefficient_metrics)]))
    curves = {}
    for stage, values in (scorer.coefficients or {}).items():
        seconds = scorer.curves[stage][0]
        for name, series in values.items():
            label = f"{problem.labels[name]} ({stage})"
            curves[label] = (np.asarray(seconds),
                             np.maximum(np.abs(np.asarray(series) - problem.truth[name]) / abs(problem.truth[name]), 1e-12))
    sections.append(Section("Coefficients against wall time",
                            f"Each coefficient's relative error every {config.record_every} iterations, against seconds "
                            "since the run started.")
                    .figure(plots.error_time_figure(curves, "Coefficient error against wall time",
                                                    ylabel="relative error of the coefficient")))
    sections.append(Section("The identified field",
                            f"Relative L2 error of the network's u against the exact solution over the grid: {l2:.3e} "
                            f"(the data carried {_percent(config.noise)} noise).")
                    .figure(plots.heatmaps_figure({"PINN u(t, x)": predicted, "exact u(t, x)": exact,
                                                   "error": predicted - exact}, (t[0], t[-1], x[0], x[-1]))))
    losses = {name: stage["history"]["loss"] for name, stage in stages.items() if stage["history"]["loss"]}
    sections.append(Section("Loss").figure(plots.history_figure(losses, "Training loss at each record"),
                                           f"x axis: records, every {config.record_every} iterations"))
    summary = "; ".join(
        f"{problem.labels[n]} = {v:.7g} (truth {problem.truth[n]:.7g}, error {_error(v, problem.truth[n]):.3%}"
        + (f", bootstrap sd {coefficient_metrics[n]['bootstrap_sd']:.3g}" if coefficient_metrics[n]["bootstrap_sd"] else "")
        + f"; {coefficient_metrics[n]['verdict']})" for n, v in estimates.items()) \
        + f", from {config.data_points:,} points with {_percent(config.noise)} noise."
    metrics = {
        "coefficients": coefficient_metrics, "relative_l2": l2, "data_points": config.data_points, "noise": config.noise,
        "train_seconds": train_seconds, "evaluations": evaluations,
        "evaluations_per_second": evaluations / train_seconds if train_seconds else None,
        "stages": {name: {k: stage[k] for k in ("iterations", "evaluations", "seconds", "message") if k in stage}
                   for name, stage in stages.items()},
        "coefficient_curve": {stage: {"seconds": [round(s, 3) for s in scorer.curves[stage][0]], **values}
                              for stage, values in (scorer.coefficients or {}).items()},
    }
    return ScienceResult(kind=f"{pde.kind}-discovery", title=f"{pde.title.split(':')[0]}: discovering the coefficients "
                         "from data", summary=summary, sections=sections, metrics=metrics, config={},
                         models={"pinn": final})
