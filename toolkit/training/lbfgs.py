"""SciPy's L-BFGS-B on a compiled loss-and-gradient function, with the quasi-Newton result type.

The limited-memory method keeps 50 pairs (s, y) rather than a dense H, so it suits large
networks; SciPy runs on the host, so each evaluation copies the parameters and the
gradient between the device and NumPy (negligible on a CPU, not on a GPU).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
from keras import ops

from toolkit.training.quasi_newton import QuasiNewtonResult


def minimize_lbfgs(fun: Callable, theta0, *, max_iter: int = 1000, time_limit: float | None = None,
                   memory: int = 50, record_every: int = 100,
                   callback: Callable[[int, object, float], None] | None = None) -> QuasiNewtonResult:
    """Minimise ``fun`` with SciPy's L-BFGS-B (same arguments and result as ``quasi_newton.minimize``).

    Args:
        fun: Maps a flat parameter tensor to ``(loss, gradient)`` tensors.
        theta0: Starting point, a 1-D float tensor.
        max_iter: Most iterations. Defaults to 1,000.
        time_limit: Stop after this many seconds. Defaults to None.
        memory: Pairs kept (SciPy's ``maxcor``). Defaults to 50.
        record_every: Record every this many iterations. Defaults to 100.
        callback: ``callback(iteration, theta, loss)`` at each record. Defaults to None.
    """
    from scipy.optimize import minimize

    theta0 = ops.convert_to_tensor(theta0)
    dtype = theta0.dtype
    started = time.perf_counter()
    result = QuasiNewtonResult(theta0, None)
    history = result.history
    latest = {}

    def objective(x):
        loss, gradient = fun(ops.convert_to_tensor(x, dtype=dtype))
        result.evaluations += 1
        latest.update(loss=float(loss), gradient=gradient)
        return float(loss), ops.convert_to_numpy(gradient).astype("float64")

    def record(iteration, x):
        history["iteration"].append(iteration)
        history["seconds"].append(time.perf_counter() - started)
        history["loss"].append(latest["loss"])
        history["gradient_norm"].append(float(ops.norm(latest["gradient"])))
        if callback is not None:
            callback(iteration, ops.convert_to_tensor(x, dtype=dtype), latest["loss"])

    def on_iteration(intermediate_result):
        result.iterations += 1
        if record_every and result.iterations % record_every == 0:
            record(result.iterations, intermediate_result.x)
        if time_limit is not None and time.perf_counter() - started > time_limit:
            raise StopIteration

    outcome = minimize(objective, ops.convert_to_numpy(theta0).astype("float64"), jac=True, method="L-BFGS-B",
                       callback=on_iteration,
                       options={"maxiter": max_iter, "maxfun": int(max_iter * 1.25) + 10, "maxcor": memory,
                                "maxls": 50, "ftol": float(np.finfo(float).eps), "gtol": 0.0})
    objective(outcome.x)  # the loss and gradient at the point returned
    if not history["iteration"] or history["iteration"][-1] != result.iterations:
        record(result.iterations, outcome.x)
    result.theta = ops.convert_to_tensor(outcome.x, dtype=dtype)
    result.message = ("time limit" if time_limit is not None and time.perf_counter() - started > time_limit
                      else str(outcome.message))
    result.seconds = time.perf_counter() - started
    return result
