"""Hyperparameter search inside one walk-forward fold's training rows, with Optuna.

The objective of a trial is the mean validation loss over ``splits`` inner walk-forward
splits of the fold's **training** rows (each inner split fits its own scalers on its own
training rows): the fold's validation part, which stops training early and calibrates the
conformal intervals, and its test part are never seen, so the search cannot leak them into
the comparison. Poor trials are pruned from their learning curves (Optuna's median rule:
stop a trial whose running objective is worse than the median of completed trials at the
same epoch of the same inner split).

Trials run in rounds of ``parallel``: Optuna's TPE sampler proposes a round's trials at once
(its constant-liar mode keeps them apart), they run (side by side on Ray, or one after another
in one process), and their results are told back in trial order. A trial is pruned only
against trials completed in earlier rounds, so the search is the same function of its seed
wherever and in whatever order its trials run.

Why Optuna and not KerasTuner: ``bench/bench_tuning.py`` and ``bench/README.md``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable

from toolkit.errors import DataError
from toolkit.pipelines.windowed import MIN_EVAL_TARGETS, MIN_TRAIN_WINDOWS, FoldBounds

#: Steps of one inner split in a trial's learning curve: split ``s``, epoch ``e`` reports at
#: ``s * STRIDE + e``; the running objective after split ``s`` at ``(s + 1) * STRIDE``.
STRIDE = 100_000
STATES = ("complete", "pruned", "failed")


@dataclass(frozen=True)
class SearchSettings:
    """How one search runs.

    Attributes:
        trials: Most trials. Defaults to 20.
        minutes: Most wall-clock minutes; a round started in time finishes. Defaults to None.
        splits: Inner walk-forward splits of the fold's training rows. Defaults to 2.
        pruning: Stop poor trials from their learning curves. Defaults to True.
        parallel: Trials per round (side by side on Ray). Defaults to 4.
        seed: Seeds the sampler and every trial's model. Defaults to 42.
        val_fraction: Each inner validation block's share of the training rows. Defaults to 0.15.
    """

    trials: int = 20
    minutes: float | None = None
    splits: int = 2
    pruning: bool = True
    parallel: int = 4
    seed: int = 42
    val_fraction: float = 0.15


@dataclass
class TrialRecord:
    """One trial: its parameters, objective (None unless complete), state, seconds, and why it
    failed; ``curve`` holds the running objective it reported, by step."""

    number: int
    params: dict
    value: float | None
    state: str
    seconds: float
    reason: str = ""
    curve: dict[int, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"number": self.number, "params": self.params, "value": self.value, "state": self.state,
                "seconds": round(self.seconds, 3), "reason": self.reason,
                "epochs_reported": len(self.curve)}


@dataclass
class SearchRecord:
    """A finished search of one model on one fold."""

    fold: int
    space: dict
    trials: list[TrialRecord]
    chosen: dict
    best_value: float | None
    importances: dict[str, float]
    inner: list[FoldBounds]
    seconds: float
    stopped: str
    settings: SearchSettings

    @property
    def counts(self) -> dict[str, int]:
        return {state: sum(t.state == state for t in self.trials) for state in STATES}

    def as_dict(self) -> dict:
        return {"fold": self.fold, "space": {k: d.describe() for k, d in self.space.items()},
                "trials": [t.as_dict() for t in self.trials], "chosen": self.chosen, "best_value": self.best_value,
                "importances": self.importances, "counts": self.counts, "seconds": round(self.seconds, 3),
                "stopped": self.stopped,
                "inner_splits": [{"train": [b.train_start, b.train_end], "validation": [b.train_end, b.val_end]}
                                 for b in self.inner],
                "settings": {"trials": self.settings.trials, "minutes": self.settings.minutes,
                             "splits": self.settings.splits, "pruning": self.settings.pruning,
                             "parallel": self.settings.parallel, "seed": self.settings.seed}}


def inner_bounds(outer: FoldBounds, splits: int, *, window: int, horizon: int,
                 val_fraction: float = 0.15) -> list[FoldBounds]:
    """``splits`` expanding walk-forward splits of ``outer``'s training rows, oldest first.

    Each validation block holds ``val_fraction`` of the training rows (at least enough for
    :data:`MIN_EVAL_TARGETS` targets); the last block ends at the fold's last training row.

    Raises:
        DataError: When the first inner split would be too short to train on.
    """
    start, end = outer.train_start, outer.train_end
    rows = end - start
    block = max(math.ceil(rows * val_fraction), MIN_EVAL_TARGETS + horizon - 1)
    first = rows - splits * block
    need = window + horizon + MIN_TRAIN_WINDOWS - 1
    if first < need:
        raise DataError(f"tuning: {splits} inner split(s) of {block} validation rows leave {max(first, 0)} of the fold's "
                        f"{rows:,} training rows to train on, but window {window} + horizon {horizon} need at least "
                        f"{need}; use fewer tune splits, fewer folds or more data")
    cuts = [start + first + i * block for i in range(splits + 1)]
    return [FoldBounds(start, cuts[i], cuts[i + 1], cuts[i + 1], cuts[i + 1]) for i in range(splits)]


@dataclass(frozen=True)
class TrialTask:
    """Everything one trial needs, picklable for a Ray worker.

    Attributes:
        prototype: The unfitted forecaster; the trial fits clones with ``params`` set.
        params: The trial's values.
        number: The trial's number in the search.
        make_data: Maps inner-split bounds to their :class:`~toolkit.pipelines.WindowedData`.
        inner: The inner splits.
        context: How to fit (quiet, seeded).
        distributions: Optuna's distributions of the space.
        completed: Trials completed in earlier rounds (Optuna ``FrozenTrial``), the median
            rule's reference.
        pruning: Whether to prune.
    """

    prototype: object
    params: dict
    number: int
    make_data: Callable
    inner: tuple
    context: object
    distributions: dict
    completed: tuple
    pruning: bool


class _Pruned(Exception):
    pass


def run_trial(task: TrialTask) -> TrialRecord:
    """Fit and score one trial on every inner split (a pure function of ``task``)."""
    import numpy as np
    import optuna

    from toolkit.forecasters.base import clone

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=_pruner(task.pruning))
    study.add_trials(list(task.completed))
    study.enqueue_trial(task.params)
    trial = study.ask(task.distributions)
    losses, curve = [], {}
    started = time.perf_counter()

    def report(step: int, value: float) -> None:
        curve[step] = value
        trial.report(value, step)
        if trial.should_prune():
            raise _Pruned()

    state, reason = "complete", ""
    try:
        for split, bounds in enumerate(task.inner):
            data = task.make_data(bounds)
            model = clone(task.prototype).set_params(**task.params)
            on_epoch = (lambda epoch, loss, s=split: report(s * STRIDE + epoch, (sum(losses) + loss) / (len(losses) + 1)))
            model.fit(data, replace(task.context, on_epoch=on_epoch))
            losses.append(model.validation_loss(data))
            if not np.isfinite(losses[-1]):
                raise FloatingPointError(f"validation loss {losses[-1]} on inner split {split + 1}")
            report((split + 1) * STRIDE, float(np.mean(losses)))
    except _Pruned:
        state = "pruned"
    except Exception as err:  # noqa: BLE001 - a failing trial is recorded with its reason, not the run's end
        from toolkit.errors import describe_error

        state, reason = "failed", describe_error(err)
    value = float(np.mean(losses)) if state == "complete" else None
    return TrialRecord(task.number, dict(task.params), value, state, time.perf_counter() - started, reason, curve)


def _pruner(pruning: bool):
    import optuna

    if not pruning:
        return optuna.pruners.NopPruner()
    # Median rule against completed trials only; the first two epochs are noise, and the first
    # five completed trials set the reference.
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3)


def sequential_map(function: Callable, tasks: list) -> list:
    """Run trials one after another in this process (the local executor)."""
    return [function(task) for task in tasks]


def search(prototype, space: dict, make_data: Callable, outer: FoldBounds, context, settings: SearchSettings, *,
           fold: int, window: int, horizon: int, map_trials: Callable = sequential_map, name: str = "search",
           log: Callable[[str], None] = print) -> SearchRecord:
    """Search ``space`` for ``prototype`` on the training rows of the fold ``outer``.

    Args:
        prototype: The unfitted forecaster to tune.
        space: ``{name: Int | Float | Choice}``.
        make_data: Inner-split bounds -> windowed data (the run's :meth:`ForecastPlan.windowed`).
        outer: The fold's bounds (only its training rows are used).
        context: The run's fit context; trials run it quietly.
        settings: Trials, minutes, splits, pruning, parallel and seed.
        fold: The fold's number (1-based), for the record.
        window: Input steps, to size the inner splits.
        horizon: Steps ahead, to size the inner splits.
        map_trials: Runs a round: ``map_trials(run_trial, tasks) -> records`` in order.
        name: The tuned model's name, for the log lines.
        log: Receives one line per round.

    Returns:
        The :class:`SearchRecord`; ``chosen`` is empty when no trial completed.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    inner = inner_bounds(outer, settings.splits, window=window, horizon=horizon, val_fraction=settings.val_fraction)
    distributions = {name: dimension.distribution() for name, dimension in space.items()}
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=settings.seed),
                                pruner=optuna.pruners.NopPruner())
    quiet = replace(context.quiet(), seed=settings.seed, on_epoch=None)
    started, stopped, records = time.perf_counter(), "trials", []
    while len(study.trials) < settings.trials:
        # The first round always runs: a budget spent before it (a busy machine) would leave nothing to choose.
        if settings.minutes is not None and study.trials and time.perf_counter() - started > 60 * settings.minutes:
            stopped = "minutes"
            break
        batch = [study.ask(distributions) for _ in range(min(settings.parallel, settings.trials - len(study.trials)))]
        completed = tuple(study.get_trials(deepcopy=True, states=(optuna.trial.TrialState.COMPLETE,)))
        tasks = [TrialTask(prototype, trial.params, trial.number, make_data, tuple(inner), quiet, distributions,
                           completed, settings.pruning) for trial in batch]
        for trial, record in zip(batch, map_trials(run_trial, tasks)):
            for step, value in sorted(record.curve.items()):
                trial.report(value, step)
            trial.set_user_attr("seconds", record.seconds)
            if record.state == "complete":
                study.tell(trial, record.value)
            else:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED if record.state == "pruned"
                           else optuna.trial.TrialState.FAIL)
            records.append(record)
        best = min((r.value for r in records if r.value is not None), default=None)
        log(f"[{name}] search on fold {fold}: {len(records)}/{settings.trials} trials, "
            + ", ".join(f"{n} {s}" for s, n in _count(records).items() if n)
            + (f"; best objective {best:.5g}" if best is not None else ""))
    complete = [r for r in records if r.state == "complete"]
    chosen = dict(min(complete, key=lambda r: (r.value, r.number)).params) if complete else {}
    return SearchRecord(fold=fold, space=dict(space), trials=records, chosen=chosen,
                        best_value=min((r.value for r in complete), default=None),
                        importances=_importances(study, settings.seed), inner=inner,
                        seconds=time.perf_counter() - started, stopped=stopped, settings=settings)


def _count(records) -> dict[str, int]:
    return {state: sum(r.state == state for r in records) for state in STATES}


def _importances(study, seed: int) -> dict[str, float]:
    """fANOVA importances of the parameters over the completed trials ({} with too few)."""
    import optuna

    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < 2:
        return {}
    try:
        importances = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed))
    except (RuntimeError, ValueError):
        return {}
    return {name: float(value) for name, value in importances.items()}
