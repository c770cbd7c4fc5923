"""A physics-informed network for an evolution equation u_t = F(u, u_x, u_xx) on (t, x), end to end.

One run for every such problem (Burgers, heat, ...): build the network (hard or soft
initial and boundary conditions), Adam, then a quasi-Newton optimiser from
``toolkit.training`` with the collocation points resampled by residual (RAD) on a
schedule, scoring the network against the exact solution as it trains, so the report
shows the error against wall time for each stage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from toolkit.errors import UsageError
from toolkit.reports import plots
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.common import positive

OPTIMIZERS = ("ssbroyden", "ssbfgs", "bfgs", "lbfgs")
OPTIMIZER_TITLES = {"ssbroyden": "SSBroyden", "ssbfgs": "SSBFGS", "bfgs": "BFGS", "lbfgs": "L-BFGS-B (SciPy)"}


@dataclass(frozen=True)
class PDEProblem:
    """A (t, x) problem with a known solution.

    Attributes:
        kind: Pipeline name (``"burgers"``).
        title: Report title.
        equation: The problem in words and symbols, for the report.
        residual: The :class:`toolkit.builders.pde.PDEResidual`.
        initial: Name of u(t0, x) in :data:`toolkit.builders.pinn.INITIAL_CONDITIONS`.
        initial_values: u(t0, x) in NumPy (the soft constraints' data).
        exact: u(t, x) in NumPy, on broadcast arrays.
        grid: (times, positions) where the error is measured.
        lower: (t0, x0). upper: (t1, x1). Zero boundary values at x0 and x1, the solution
            periodic in x (so a periodic network imposes them).
        published: A published relative L2 error to compare with, or None.
        published_source: Who published it.
    """

    kind: str
    title: str
    equation: str
    residual: object
    initial: str
    initial_values: Callable
    exact: Callable
    grid: tuple
    lower: tuple = (0.0, -1.0)
    upper: tuple = (1.0, 1.0)
    published: float | None = None
    published_source: str = ""


@dataclass(frozen=True)
class PDEConfig:
    """Settings of a PINN run (the fields of its pipeline-file section).

    Attributes:
        constraints: ``"hard"`` (the network satisfies the initial and periodic boundary
            conditions by construction; only the residual is trained) or ``"soft"``
            (Raissi's set-up: ``boundary_points`` with data in the loss).
        hidden_layers: Tanh layers. units: Their width.
        precision: ``"float64"`` (the quasi-Newton methods' reach) or ``"float32"``.
        collocation_points: Points where the residual is penalised.
        boundary_points: Initial / boundary points with data (soft constraints only).
        adam_steps: Full-batch Adam steps first. learning_rate: Adam's.
        optimizer: ``"ssbroyden"``, ``"ssbfgs"``, ``"bfgs"`` or ``"lbfgs"``.
        iterations: Most quasi-Newton iterations.
        sampling: ``"rad"`` (resample by residual) or ``"fixed"``.
        resample_every: Iterations between resamplings. rad_k, rad_c: RAD's exponent and
            uniform share. rad_candidates: Random candidates scored at each resampling.
        time_limit_minutes: The whole run's limit (Adam and the optimiser).
        record_every: Iterations between error measurements.
        seed: Seeds the network, the points and the resampling.
    """

    constraints: str = "hard"
    hidden_layers: int = 3
    units: int = 20
    precision: str = "float64"
    collocation_points: int = 10_000
    boundary_points: int = 100
    adam_steps: int = 1000
    learning_rate: float = 1e-3
    optimizer: str = "ssbroyden"
    iterations: int = 1_000_000
    sampling: str = "rad"
    resample_every: int = 500
    rad_k: float = 1.0
    rad_c: float = 1.0
    rad_candidates: int = 50_000
    time_limit_minutes: float = 14.0
    record_every: int = 100
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self):
        return replace(self, collocation_points=500, adam_steps=30, iterations=60, resample_every=20,
                       rad_candidates=2000, record_every=10, quick=True)

    def validate(self):
        for name, choices in (("constraints", ("hard", "soft")), ("precision", ("float64", "float32")),
                              ("optimizer", OPTIMIZERS), ("sampling", ("rad", "fixed"))):
            if getattr(self, name) not in choices:
                raise UsageError(f"{name} must be one of {', '.join(choices)}. Received: {getattr(self, name)!r}")
        positive(self, "hidden_layers", "units", "collocation_points", "boundary_points", "learning_rate",
                 "resample_every", "rad_candidates", "time_limit_minutes", "record_every")
        for name in ("adam_steps", "iterations", "rad_k", "rad_c"):
            if isinstance(getattr(self, name), bool) or not getattr(self, name) >= 0:
                raise UsageError(f"{name} must not be negative. Received: {name}={getattr(self, name)!r}")
        if self.sampling == "rad" and self.rad_candidates < self.collocation_points:
            raise UsageError(f"rad_candidates must be at least collocation_points ({self.collocation_points}). "
                             f"Received: rad_candidates={self.rad_candidates}")
        return self


#: The PDE coefficients the pipelines accept, and why there: (low, high, reason).
COEFFICIENT_RANGES = {"nu": (1e-3, 1.0, "the Cole-Hopf quadrature of the exact solution holds there"),
                      "kappa": (1e-3, 1.0, "beyond 1 the solution decays below 1e-4 before t = 1")}


def check_coefficient(name: str, value) -> None:
    """A one-line :class:`UsageError` unless ``value`` lies in :data:`COEFFICIENT_RANGES`."""
    low, high, why = COEFFICIENT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise UsageError(f"{name} must be from {low:g} to {high:g} ({why}). Received: {name}={value!r}")


def _training_points(problem: PDEProblem, config: PDEConfig, rng):
    """Latin-hypercube collocation points; for soft constraints also Raissi's data points (drawn
    from the initial line and both boundaries) with their values, appended to the collocation."""
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=2, seed=rng)
    collocation = qmc.scale(sampler.random(config.collocation_points), problem.lower, problem.upper)
    if config.constraints == "hard":
        return collocation, None, None
    t, x = problem.grid
    (t0, x0), (_, x1) = problem.lower, problem.upper
    initial = np.column_stack([np.full_like(x, t0), x])
    boundary = np.vstack([np.column_stack([t, np.full_like(t, x0)]), np.column_stack([t, np.full_like(t, x1)])])
    candidates = np.vstack([initial, boundary])
    chosen = candidates[rng.choice(len(candidates), min(config.boundary_points, len(candidates)), replace=False)]
    values = np.where(chosen[:, 0] == t0, problem.initial_values(chosen[:, 1]), 0.0)
    return np.vstack([collocation, chosen]), chosen, values


class _Scorer:
    """The relative L2 error on the problem's grid, timed from the run's start, per stage."""

    def __init__(self, problem, objective, started):
        t, x = problem.grid
        grid_t, grid_x = np.meshgrid(t, x)                       # rows are x
        self.exact = problem.exact(grid_t, grid_x)
        self.norm = float(np.linalg.norm(self.exact))
        self.points = np.column_stack([grid_t.ravel(), grid_x.ravel()])
        self.objective, self.started = objective, started
        self.lower, self.upper = problem.lower, problem.upper
        self.curves: dict[str, tuple[list, list]] = {}
        # Per stage, each unknown coefficient's value at each record (an inverse problem's).
        self.coefficients: dict[str, dict[str, list]] | None = {} if objective.coefficient_names else None

    def field(self, theta=None) -> np.ndarray:
        """The network's u on the grid at ``theta`` (defaults to the variables')."""
        return self.objective.predict(self.points, theta).reshape(self.exact.shape).astype("float64")

    def error(self, field: np.ndarray | None = None) -> float:
        """Relative L2 error of ``field`` (defaults to the network's now)."""
        field = self.field() if field is None else field
        return float(np.linalg.norm(field - self.exact) / self.norm)

    def callback(self, stage: str):
        seconds, errors = self.curves.setdefault(stage, ([], []))

        def record(iteration, theta, loss):
            seconds.append(time.perf_counter() - self.started)
            errors.append(self.error(self.field(theta)))
            if self.coefficients is not None:
                for name, value in self.objective.coefficients(theta).items():
                    self.coefficients.setdefault(stage, {}).setdefault(name, []).append(value)

        return record


def _quasi_newton(objective, config, scorer, deadline, rng, log):
    """The optimiser in chunks of ``resample_every`` iterations, RAD between chunks; H carried over."""
    from keras import ops

    from toolkit.training.lbfgs import minimize_lbfgs
    from toolkit.training.quasi_newton import minimize, positive_definite
    from toolkit.training.sampling import rad_sample

    title = OPTIMIZER_TITLES[config.optimizer]
    theta, inverse_hessian = objective.theta(), None
    stage = {"iterations": 0, "evaluations": 0, "seconds": 0.0, "resamplings": 0, "message": "",
             "history": {"iteration": [], "loss": []}}
    callback = scorer.callback(title)
    started = time.perf_counter()
    chunk = config.resample_every if config.sampling == "rad" else config.iterations
    while stage["iterations"] < config.iterations:
        left = deadline - time.perf_counter()
        if left <= 0:
            stage["message"] = f"the run's time limit of {config.time_limit_minutes:g} minutes"
            break
        steps = min(chunk, config.iterations - stage["iterations"])
        if config.optimizer == "lbfgs":
            result = minimize_lbfgs(objective.value_and_gradient, theta, max_iter=steps, time_limit=left,
                                    record_every=config.record_every, callback=callback)
        else:
            result = minimize(objective.value_and_gradient, theta, method=config.optimizer,
                              inverse_hessian=inverse_hessian, max_iter=steps, time_limit=left,
                              record_every=config.record_every, callback=callback)
            inverse_hessian = result.inverse_hessian
        theta = result.theta
        base = stage["iterations"]
        stage["history"]["iteration"] += [base + i for i in result.history["iteration"]]
        stage["history"]["loss"] += result.history["loss"]
        stage["iterations"] += result.iterations
        stage["evaluations"] += result.evaluations
        stage["message"] = result.message
        if result.message.startswith("time limit"):
            stage["message"] = f"the run's time limit of {config.time_limit_minutes:g} minutes"
        if result.iterations < steps:
            break
        if config.sampling == "rad" and stage["iterations"] < config.iterations:
            candidates = rng.uniform(scorer.lower, scorer.upper, (config.rad_candidates, 2))
            kept = ops.convert_to_numpy(objective.collocation)[config.collocation_points:]  # data points stay
            drawn = rad_sample(candidates, objective.residual_at(candidates, theta=theta), config.collocation_points,
                               rng, k=config.rad_k, c=config.rad_c)
            objective.set_collocation(np.vstack([drawn, kept]))
            stage["resamplings"] += 1
            if inverse_hessian is not None:
                inverse_hessian = (inverse_hessian + ops.transpose(inverse_hessian)) / 2
                if not positive_definite(inverse_hessian):
                    inverse_hessian = None
        if log and stage["iterations"] % max(chunk, 1000) < chunk:
            log(f"[{config.optimizer}] iteration {stage['iterations']}: loss {stage['history']['loss'][-1]:.3e}, "
                f"relative L2 {scorer.curves[title][1][-1]:.3e} after {time.perf_counter() - scorer.started:.0f} s")
    if stage["iterations"] >= config.iterations:
        stage["message"] = f"reached {config.iterations:,} iterations"  # not the last chunk's own limit
    objective.assign(theta)
    stage["seconds"] = time.perf_counter() - started
    stage["inverse_hessian"] = inverse_hessian  # for a warm start (not a metric)
    return title, stage


def train_stages(objective, config, scorer, deadline, rng, log) -> dict:
    """Adam for ``config.adam_steps``, then the quasi-Newton stage; each stage's record by title."""
    stages = {}
    if config.adam_steps:
        adam = objective.adam(config.adam_steps, config.learning_rate, time_limit=deadline - time.perf_counter(),
                              record_every=config.record_every, callback=scorer.callback("Adam"))
        adam["evaluations"] = adam["iterations"]
        stages["Adam"] = adam
        log(f"[adam] loss {adam['history']['loss'][-1]:.3e}, relative L2 {scorer.curves['Adam'][1][-1]:.3e} "
            f"after {adam['seconds']:.0f} s")
    if config.iterations:
        title, stage = _quasi_newton(objective, config, scorer, deadline, rng, log)
        stages[title] = stage
    return stages


def run_pde(problem: PDEProblem, config: PDEConfig, *, log=print) -> ScienceResult:
    """Train a PINN on ``problem`` as ``config`` says and score it against the exact solution."""
    import keras

    from toolkit.builders.pinn import PINN, pinn_network
    from toolkit.training import set_seed
    from toolkit.training.pinn import PINNObjective

    started = time.perf_counter()
    deadline = started + config.time_limit_minutes * 60
    set_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    hard = config.constraints == "hard"
    collocation, data_points, data_values = _training_points(problem, config, rng)
    network = pinn_network(hidden_layers=config.hidden_layers, units=config.units, lower=problem.lower,
                           upper=problem.upper, dtype=config.precision, periodic=hard,
                           initial=problem.initial if hard else None)
    objective = PINNObjective(network, problem.residual, collocation, data_points, data_values)
    scorer = _Scorer(problem, objective, started)
    log(f"[pinn] {network.count_params():,} parameters ({config.precision}, {config.constraints} constraints); "
        f"{len(collocation):,} collocation points; Adam for {config.adam_steps} steps, then "
        f"{OPTIMIZER_TITLES[config.optimizer]}" + (f" with RAD every {config.resample_every} iterations"
                                                   if config.sampling == "rad" else ""))
    stages = train_stages(objective, config, scorer, deadline, rng, log)
    train_seconds = time.perf_counter() - started

    predicted = scorer.field()
    exact = scorer.exact
    l2 = scorer.error(predicted)
    log(f"[pinn] relative L2 error {l2:.3e} on the {exact.shape[0]} x {exact.shape[1]} grid after {train_seconds:.0f} s")
    final = PINN(network, problem.residual, name=f"{problem.kind}_pinn")
    final.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    return _result(problem, config, stages, scorer, predicted, l2, train_seconds, len(collocation), final)


def _result(problem, config, stages, scorer, predicted, l2, train_seconds, collocation_count, final):
    exact = scorer.exact
    t, x = problem.grid
    evaluations = sum(s["evaluations"] for s in stages.values())
    rows = []
    for name, stage in stages.items():
        seconds, errors = scorer.curves.get(name, ([], []))
        loss = stage["history"]["loss"]
        rows.append([name, stage["iterations"], stage["evaluations"], stage["seconds"],
                     loss[-1] if loss else float("nan"), errors[-1] if errors else float("nan")])
    if problem.published is not None:
        verdict = ("beats" if l2 < problem.published else "does not reach") + \
            f" the published {problem.published:.1e} ({problem.published_source})"
    else:
        verdict = "no published figure to compare with"
    constraint_text = ("hard constraints: u = g(x) + t n(t, cos pi x, sin pi x), so the initial condition and the "
                       "periodic boundary hold exactly and the loss is the mean squared residual alone"
                       if config.constraints == "hard" else
                       f"soft constraints: {config.boundary_points} initial/boundary points with data in the loss "
                       "(Raissi's set-up)")
    sampling_text = (f"collocation points redrawn every {config.resample_every} iterations by residual (RAD, k = "
                     f"{config.rad_k:g}, c = {config.rad_c:g}, from {config.rad_candidates:,} random candidates)"
                     if config.sampling == "rad" else "collocation points fixed (Latin hypercube)")
    sections = [
        Section("Problem and set-up",
                f"{problem.equation} A tanh network of {config.hidden_layers} hidden layers x {config.units} units "
                f"in {config.precision}, {constraint_text}; {collocation_count:,} collocation points, {sampling_text}. "
                f"Adam, then {OPTIMIZER_TITLES[config.optimizer]} "
                + ("(SciPy's own line search)" if config.optimizer == "lbfgs"
                   else "with a strong-Wolfe line search (toolkit.training.quasi_newton)")
                + ", the loss and gradient one compiled function with the residual's derivatives propagated "
                "forwards (Taylor mode).",
                tables=[Table(["stage", "iterations", "loss evaluations", "seconds", "final loss",
                               "relative L2 at the end"], rows)]),
        Section("Accuracy against the exact solution",
                f"Relative L2 error over the {exact.shape[0]} x {exact.shape[1]} grid: {l2:.3e}, which {verdict}.")
        .figure(plots.heatmaps_figure({"PINN u(t, x)": predicted, "exact u(t, x)": exact, "error": predicted - exact},
                                      (t[0], t[-1], x[0], x[-1]))),
        Section("Error against wall time",
                "The relative L2 error measured every "
                f"{config.record_every} iterations, against seconds since the run started, one line per stage.")
        .figure(plots.error_time_figure({n: (np.asarray(s), np.asarray(e)) for n, (s, e) in scorer.curves.items()},
                                        "Relative L2 error against wall time", problem.published,
                                        f"published ({problem.published_source})" if problem.published else "")),
    ]
    slices = Section("Slices")
    for when in (0.25, 0.5, 0.75):
        column = int(np.argmin(np.abs(t - (t[0] + when * (t[-1] - t[0])))))
        slices.figure(plots.series_figure(x, {"exact": exact[:, column], "PINN": predicted[:, column]},
                                          f"u(t = {t[column]:.2f}, x)", xlabel="x"))
    sections.append(slices)
    losses = {name: stage["history"]["loss"] for name, stage in stages.items() if stage["history"]["loss"]}
    sections.append(Section("Loss terms").figure(
        plots.history_figure(losses, "Training loss at each record"),
        f"x axis: records, every {config.record_every} iterations"))
    summary = f"Relative L2 error {l2:.3e} in {train_seconds / 60:.1f} minutes of training; it {verdict}."
    metrics = {
        "relative_l2": l2, "published_relative_l2": problem.published, "train_seconds": train_seconds,
        "evaluations": evaluations, "evaluations_per_second": evaluations / train_seconds if train_seconds else None,
        "stages": {name: {k: stage[k] for k in ("iterations", "evaluations", "seconds", "message") if k in stage}
                   | {"resamplings": stage.get("resamplings", 0),
                      "final_loss": stage["history"]["loss"][-1] if stage["history"]["loss"] else None}
                   for name, stage in stages.items()},
        "error_curve": {name: {"seconds": [round(v, 3) for v in s], "relative_l2": e}
                        for name, (s, e) in scorer.curves.items()},
    }
    return ScienceResult(kind=problem.kind, title=problem.title, summary=summary, sections=sections, metrics=metrics,
                         config={}, models={"pinn": final})
