"""The risk run's walk-forward: every model refitted on a schedule from the rows before each origin.

The first forecast is for row ``min_train``. A statistical model is refitted every
``refit_every`` rows, a network every ``network_refit_every``; a fixed rule (historical
variance, EWMA) learns nothing and runs once. A model fitted at origin ``o`` (on rows
``0..o-1``) forecasts rows ``o`` up to the next origin, each from the rows before it, and the
last one also the day after the data (tomorrow). Each fit also gives the model's standardised
training returns ``r / sigma`` (rows ``FIRST_SHOCK .. o-1``), from which the filtered
historical simulation and the Student-t degrees of freedom of its VaR are taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import optimize, special

from toolkit.errors import ModelError, describe_error
from toolkit.forecasters.base import clone
from toolkit.forecasters.variance import RiskContext, RiskData, VarianceForecaster
from toolkit.runs.risk.config import FIRST_SHOCK

#: Variance forecasts below this share of the mean squared return before the first forecast (0,
#: say, from a historical variance over stale prices) are raised to it: QLIKE needs a positive one.
FLOOR = 1e-6


@dataclass
class Block:
    """One fit: its origin, the test rows it forecast (``rows``, absolute), its standardised
    training returns and the Student-t degrees of freedom for its VaR."""

    origin: int
    stop: int
    shocks: np.ndarray
    nu: float
    description: str


@dataclass
class ModelPath:
    """One model's walk-forward: variance forecasts of the test rows and of tomorrow."""

    name: str
    title: str
    kind: str
    variance: np.ndarray  # (n - min_train,), rows min_train..n-1
    tomorrow: float
    blocks: list[Block] = field(default_factory=list)
    seconds: float = 0.0
    floored: int = 0
    model: VarianceForecaster | None = None


def schedule(n: int, first: int, every: int) -> list[tuple[int, int]]:
    """``(origin, stop)`` blocks covering rows ``first..n-1``: a fit at each origin forecasts its block.

    Example:
        >>> schedule(10, 4, 3)
        [(4, 7), (7, 10)]
    """
    origins = list(range(first, n, every))
    return [(o, min(o + every, n)) for o in origins]


def student_t_nu(shocks: np.ndarray) -> float:
    """Degrees of freedom of a Student-t scaled to unit variance, by maximum likelihood on ``shocks``
    (standardised returns), within 2.1 to 100."""
    z2 = np.asarray(shocks, dtype="float64") ** 2

    def negative_loglik(nu):
        scale2 = (nu - 2) / nu
        return -np.sum(special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(np.pi * nu * scale2)
                       - (nu + 1) / 2 * np.log1p(z2 / (nu * scale2)))

    return float(optimize.minimize_scalar(negative_loglik, bounds=(2.1, 100.0), method="bounded").x)


def _check(values: np.ndarray, expected: int, title: str, what: str, floor: float) -> tuple[np.ndarray, int]:
    """The forecasts as floats, those below ``floor`` raised to it (and how many); refused when of
    the wrong length, negative or not finite."""
    values = np.asarray(values, dtype="float64").reshape(-1)
    if values.shape != (expected,) or not (np.isfinite(values).all() and (values >= 0).all()):
        bad = int(np.sum(~(np.isfinite(values) & (values >= 0))))
        raise ModelError(f"{title}'s {what} must be {expected} finite variances of at least 0; received "
                         f"{values.size} values, {bad} negative or not finite")
    return np.maximum(values, floor), int(np.sum(values < floor))


def walk_model(name: str, model: VarianceForecaster, data: RiskData, config,
               log: Callable[[str], None] = print) -> ModelPath:
    """Walk one model forward over ``data``. Raises what the model raises (the run reports it)."""
    started = time.perf_counter()
    n, first_shock = len(data), FIRST_SHOCK
    every = config.network_refit_every if model.kind == "neural" else config.refit_every
    blocks = [(config.min_train, n)] if not model.learns else schedule(n, config.min_train, every)
    context = RiskContext(seed=config.seed, verbose=config.verbose, log=log, name=name)
    floor = FLOOR * float(np.mean(data.returns[:config.min_train] ** 2)) or 1e-16
    forecasts, path = [], ModelPath(name, model.title, model.kind, np.empty(0), float("nan"))
    for origin, stop in blocks:
        fitted = clone(model).fit(data.head(origin), context)
        last = stop == n
        ahead, floored = _check(fitted.predict(data if last else data.head(stop - 1), origin), stop - origin + last,
                                model.title, f"forecasts from row {origin}", floor)
        inside, _ = _check(fitted.predict(data.head(origin - 1), first_shock), origin - first_shock, model.title,
                           "in-sample forecasts", floor)
        path.floored += floored
        shocks = data.returns[first_shock:origin] / np.sqrt(inside)
        nu = fitted.nu_ if fitted.nu_ is not None else student_t_nu(shocks)
        path.blocks.append(Block(origin, stop, shocks, float(nu), fitted.description_))
        forecasts.append(ahead)
        path.model = fitted
        if model.learns and len(blocks) > 1:
            log(f"[fit] {name}: fitted on rows 0-{origin - 1}, forecast {origin}-{stop - 1}"
                + (f" ({fitted.training_.epochs_run} epochs)" if fitted.training_ is not None else ""))
    joined = np.concatenate(forecasts)
    path.variance, path.tomorrow = joined[:-1], float(joined[-1])
    path.seconds = time.perf_counter() - started
    return path


def walk_forward(models: dict[str, VarianceForecaster], data: RiskData, config, *,
                 log: Callable[[str], None] = print) -> tuple[dict[str, ModelPath], dict[str, str]]:
    """Every model's :class:`ModelPath`, and the one-line reason of each model that failed
    (the reference model failing fails the run)."""
    from toolkit.errors import TrainingError

    paths, failures = {}, {}
    for name, model in models.items():
        log(f"[model] {name}: {model.title} ...")
        try:
            paths[name] = walk_model(name, model, data, config, log=log)
        except Exception as err:  # noqa: BLE001 - one model failing must not cost the others
            reason = describe_error(err)
            if name == config.reference:
                raise TrainingError(f"the reference model {name} failed: {reason}") from None
            failures[name] = reason
            log(f"[warning] {name} left the comparison: {reason}")  # once: the job does not repeat it
            continue
        log(f"[model] {name}: done in {paths[name].seconds:.1f} s")
    return paths, failures
