"""Where a universe's forecasts run: one after another in this process, or as Ray tasks.

Both executors run the same steps of :mod:`toolkit.runs.forecast.backtest` on the same
plans; only the place differs. With models refitted per fold, Ray gets one task per
(ticker, fold) and one for the final refit on all rows, which waits on the ticker's last
fold (its early-stopping epochs set the final training length), so one ticker's folds also
run side by side. Every model is seeded when it is fitted, so where a task runs does not
change its numbers. A ticker whose task fails is reported with its one-line reason and its
other tasks are cancelled; the other tickers go on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from toolkit.backend import VERSIONS_KEY
from toolkit.errors import UsageError, describe_error

EXECUTORS = ("local", "ray")


@dataclass
class TickerJob:
    """One ticker's work: its label and the plan of its run."""

    label: str
    plan: object  # toolkit.runs.forecast.backtest.ForecastPlan


@dataclass
class TickerDone:
    """What came back for one ticker: its folds and final fit, or the reason it failed."""

    job: TickerJob
    folds: list | None = None
    final: object | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class TaskDone:
    """What came back for one task of :meth:`LocalExecutor.map`: its value or the reason it failed."""

    label: str
    value: object = None
    error: str | None = None
    seconds: float = 0.0


class LocalExecutor:
    """One ticker after another in this process (the default)."""

    name = "local"

    def check(self) -> None:
        """Nothing to check: the local executor needs nothing beyond the toolkit."""

    def start(self) -> float:
        return 0.0

    def stop(self) -> None:
        """Nothing to stop."""

    @property
    def description(self) -> str:
        return "this process, one ticker after another"

    def run(self, jobs: list[TickerJob], log: Callable[[str], None]) -> Iterator[TickerDone]:
        from toolkit.runs.forecast.backtest import fit_final, run_folds

        for job in jobs:
            started = time.perf_counter()
            log(f"[{job.label}] backtesting {job.plan.n_folds} fold(s)")
            try:
                folds = run_folds(job.plan, log=log)
                final = fit_final(job.plan, folds[-1], log=log)
            except Exception as err:  # noqa: BLE001 - one ticker's failure must not stop the others
                yield TickerDone(job, error=describe_error(err), seconds=time.perf_counter() - started)
                continue
            yield TickerDone(job, folds=folds, final=final, seconds=time.perf_counter() - started)

    def map(self, function: Callable, tasks: list[tuple[str, tuple]], log: Callable[[str], None]) -> Iterator[TaskDone]:
        """``function(*args)`` for each ``(label, args)``, one after another; a failure is its task's alone."""
        for label, args in tasks:
            started = time.perf_counter()
            log(f"[{label}] running")
            try:
                value = function(*args)
            except Exception as err:  # noqa: BLE001 - one task's failure must not stop the others
                yield TaskDone(label, error=describe_error(err), seconds=time.perf_counter() - started)
                continue
            yield TaskDone(label, value, seconds=time.perf_counter() - started)


# Ray tasks: module-level functions, so workers import them by name. Each sets its
# process's TensorFlow threads to its CPU share before any model is built.

def _prepare_worker(threads: int) -> None:
    from toolkit.devices import configure_threads

    try:
        configure_threads(threads)
    except RuntimeError:
        pass  # a reused worker whose TensorFlow already runs: its threads are fixed


def _quiet(plan):
    return replace(plan, config=replace(plan.config, verbose=0))


def _trial_task(function, task, threads: int):
    _prepare_worker(threads)
    return function(task)


def _ray_trials(threads: int):
    """Runs a search's round of trials as Ray tasks, side by side (from inside a fold task:
    Ray lends the waiting fold task's CPU to its trials)."""

    def map_trials(function, tasks):
        import ray

        remote = ray.remote(_trial_task).options(num_cpus=threads)
        return ray.get([remote.remote(function, task, threads) for task in tasks])

    return map_trials


def _fold_task(plan, index: int, threads: int):
    _prepare_worker(threads)
    from toolkit.runs.forecast.backtest import run_fold

    return run_fold(_quiet(plan), index, log=lambda line: None, map_trials=_ray_trials(threads))


def _frozen_task(plan, threads: int):
    _prepare_worker(threads)
    from toolkit.runs.forecast.backtest import run_folds

    return run_folds(_quiet(plan), log=lambda line: None, map_trials=_ray_trials(threads))


def _final_task(plan, last_fold, threads: int):
    _prepare_worker(threads)
    from toolkit.runs.forecast.backtest import fit_final

    if isinstance(last_fold, list):
        last_fold = last_fold[-1]
    return fit_final(_quiet(plan), last_fold, log=lambda line: None)


def _call_task(function, args: tuple, threads: int):
    _prepare_worker(threads)
    return function(*args)


def _versions_task():
    from toolkit import __version__
    from toolkit.runs.forecast.backtest import library_versions

    return {"toolkit": __version__, **library_versions()}


# What must match between the driver and the workers for the numbers to be the same.
MATCHING = ("toolkit", "python", VERSIONS_KEY, "keras", "tensorflow", "tensorflow-cpu", "numpy", "statsforecast")


class RayExecutor:
    """Tasks on a Ray cluster: an existing one at ``address``, else a local Ray started for
    the run (and stopped after it).

    Args:
        address: A Ray cluster address (``ray://host:10001`` or ``host:6379``), or ``"auto"``.
            Defaults to None: a Ray instance already started in this process (a notebook's),
            else a local one with every core.
        cpus_per_task: Cores each task asks for; its TensorFlow gets as many threads.
            Defaults to 1.
        gpus_per_task: GPU share each task asks for. Defaults to None: 0.5 when the cluster
            has GPUs (two tasks share one; a batch-128 LSTM does not fill a GPU), else 0.
    """

    name = "ray"

    def __init__(self, address: str | None = None, cpus_per_task: int = 1, gpus_per_task: float | None = None):
        if isinstance(cpus_per_task, bool) or not isinstance(cpus_per_task, int) or not 1 <= cpus_per_task <= 1024:
            raise UsageError(f"--cpus-per-task must be a whole number from 1 to 1,024. Received: {cpus_per_task!r}")
        if gpus_per_task is not None and not (isinstance(gpus_per_task, (int, float)) and 0 <= gpus_per_task <= 8):
            raise UsageError(f"--gpus-per-task must be a number from 0 to 8 (0.5: two tasks share a GPU). "
                             f"Received: {gpus_per_task!r}")
        self.address = address
        self.cpus_per_task = cpus_per_task
        self.gpus_per_task = gpus_per_task
        self._started_here = False
        self.resources: dict[str, float] = {}

    def check(self) -> None:
        """Fail fast, before any data is loaded, when Ray is not installed."""
        try:
            import ray  # noqa: F401
        except ImportError:
            raise UsageError("--executor ray needs Ray; install it with pip install -e '.[ray]' "
                             "(or use --executor local)") from None

    @property
    def description(self) -> str:
        where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
        cpus = int(self.resources.get("CPU", 0))
        gpus = self.resources.get("GPU", 0)
        return (f"{where} ({cpus} CPUs" + (f", {gpus:g} GPUs" if gpus else "") +
                f"; {self.cpus_per_task} CPU(s)" + (f" and {self._gpu_share():g} GPU" if self._gpu_share() else "")
                + " a task)")

    def _gpu_share(self) -> float:
        if self.gpus_per_task is not None:
            return float(self.gpus_per_task)
        return 0.5 if self.resources.get("GPU", 0) > 0 else 0.0

    def start(self) -> float:
        """Connect to (or start) Ray and check the workers run the driver's versions; returns
        the seconds it took."""
        import ray

        from toolkit.devices import available_cores

        started = time.perf_counter()
        if not ray.is_initialized():
            from toolkit.backend import requested

            # The workers import Keras on the driver's backend (checked below with the versions).
            kwargs = dict(include_dashboard=False, log_to_driver=False, configure_logging=False,
                          runtime_env={"env_vars": {"KERAS_BACKEND": requested()}})
            try:
                if self.address:
                    ray.init(address=self.address, **kwargs)
                else:
                    ray.init(num_cpus=available_cores(), **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as err:
                raise UsageError(f"cannot start or reach Ray at {self.address or 'a local instance'}: "
                                 f"{describe_error(err)}; check --ray-address") from None
            self._started_here = True
        self.resources = dict(ray.cluster_resources())
        if self.resources.get("CPU", 0) < self.cpus_per_task:
            raise UsageError(f"--cpus-per-task {self.cpus_per_task} is more than the cluster's "
                             f"{self.resources.get('CPU', 0):g} CPUs; ask for fewer")
        theirs = ray.get(ray.remote(_versions_task).options(num_cpus=0).remote())
        from toolkit import __version__
        from toolkit.runs.forecast.backtest import library_versions

        ours = {"toolkit": __version__, **library_versions()}
        differ = [f"{name} {ours.get(name)} here, {theirs.get(name)} there" for name in MATCHING
                  if ours.get(name) != theirs.get(name)]
        if differ:
            self.stop()
            raise UsageError("the Ray workers run other versions than this driver (" + "; ".join(differ) +
                             "); install the same versions on every node")
        return time.perf_counter() - started

    def stop(self) -> None:
        import ray

        if self._started_here and ray.is_initialized():
            ray.shutdown()
        self._started_here = False

    def run(self, jobs: list[TickerJob], log: Callable[[str], None]) -> Iterator[TickerDone]:
        import ray
        from ray import cloudpickle

        from toolkit.runs.forecast.references import ship_by_value

        ship_by_value(cloudpickle)  # model files imported here travel with the tasks: workers do not have them
        options = dict(num_cpus=self.cpus_per_task, num_gpus=self._gpu_share())
        fold_task = ray.remote(_fold_task).options(**options)
        frozen_task = ray.remote(_frozen_task).options(**options)
        final_task = ray.remote(_final_task).options(**options)
        threads = self.cpus_per_task
        owner, refs, started = {}, {}, {}
        for job in jobs:
            plan = ray.put(job.plan)  # one copy in the object store, shared by the ticker's tasks
            if job.plan.config.refit:
                folds = [fold_task.remote(plan, index, threads) for index in range(job.plan.n_folds)]
                final = final_task.remote(plan, folds[-1], threads)
                job_refs = [*folds, final]
            else:
                folds = frozen_task.remote(plan, threads)
                job_refs = [folds, final_task.remote(plan, folds, threads)]
            refs[job.label] = job_refs
            started[job.label] = time.perf_counter()
            owner.update({ref: job for ref in job_refs})
        log(f"[ray] {len(owner)} tasks submitted for {len(jobs)} ticker(s)")
        pending, values = set(owner), {}
        try:
            while pending:
                # A bounded wait hands control back to Python every second, so Ctrl-C and
                # SIGTERM are acted on at once rather than when the next task ends.
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                if not ready:
                    continue
                job = owner[ready[0]]
                job_refs = refs[job.label]
                try:
                    values[ready[0]] = ray.get(ready[0])
                except Exception as err:  # noqa: BLE001 - one ticker's failure must not stop the others
                    # The ticker's other tasks are dropped, not cancelled: Ray 2.60's driver aborts
                    # (exit 1, "Tried to complete task that was not pending") when a force-cancelled
                    # task's reply races its cancellation. Their results are never fetched; a
                    # final task waiting on a failed fold fails at once.
                    pending.difference_update(job_refs)
                    yield TickerDone(job, error=describe_error(err), seconds=time.perf_counter() - started[job.label])
                    continue
                pending.discard(ready[0])
                if not any(ref in pending for ref in job_refs):
                    *folds, final = (values.pop(ref) for ref in job_refs)
                    if not job.plan.config.refit:
                        folds = folds[0]
                    yield TickerDone(job, folds=list(folds), final=final,
                                     seconds=time.perf_counter() - started[job.label])
        finally:
            # Ctrl-C, SIGTERM or an error in the driver: stop the workers' tasks. An instance
            # started here goes down with stop(), tasks and all; on a cluster, cancel them.
            if not self._started_here:
                for ref in pending:
                    ray.cancel(ref, force=True)

    def map(self, function: Callable, tasks: list[tuple[str, tuple]], log: Callable[[str], None]) -> Iterator[TaskDone]:
        """``function(*args)`` for each ``(label, args)`` as one Ray task each, yielded as each finishes."""
        import ray
        from ray import cloudpickle

        from toolkit.runs.forecast.references import ship_by_value

        ship_by_value(cloudpickle)  # model files imported here travel with the tasks
        remote = ray.remote(_call_task).options(num_cpus=self.cpus_per_task, num_gpus=self._gpu_share())
        refs = {remote.remote(function, args, self.cpus_per_task): (label, time.perf_counter())
                for label, args in tasks}
        log(f"[ray] {len(refs)} tasks submitted")
        pending = set(refs)
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)  # bounded: Ctrl-C acts at once
                if not ready:
                    continue
                pending.discard(ready[0])
                label, started = refs[ready[0]]
                try:
                    value = ray.get(ready[0])
                except Exception as err:  # noqa: BLE001 - one task's failure must not stop the others
                    yield TaskDone(label, error=describe_error(err), seconds=time.perf_counter() - started)
                    continue
                yield TaskDone(label, value, seconds=time.perf_counter() - started)
        finally:
            if not self._started_here:  # on a cluster the tasks outlive us: cancel them (a local Ray stops)
                for ref in pending:
                    ray.cancel(ref, force=True)


def make_executor(name: str, *, address: str | None = None, cpus_per_task: int = 1,
                  gpus_per_task: float | None = None):
    """The executor named on the command line, checked before any data is loaded."""
    if name not in EXECUTORS:
        raise UsageError(f"--executor must be one of {', '.join(EXECUTORS)}. Received: {name!r}")
    if name == "local":
        if address or gpus_per_task is not None or cpus_per_task != 1:
            raise UsageError("--ray-address, --cpus-per-task and --gpus-per-task need --executor ray")
        return LocalExecutor()
    executor = RayExecutor(address, cpus_per_task, gpus_per_task)
    executor.check()
    return executor
