"""Full-memory quasi-Newton minimisation on the device: BFGS and its self-scaled variants.

All of them keep a dense inverse-Hessian estimate H (n x n) and update it after each
step s = x_{k+1} - x_k, y = g_{k+1} - g_k by a member of the scaled Broyden family

    H+ = (H - (Hy)(Hy)^T / (y^T H y) + phi (y^T H y) v v^T) / tau + s s^T / (y^T s),
    v  = s / (y^T s) - Hy / (y^T H y),

written out as rank-one terms so one update costs O(n^2) (SciPy's ``BFGS`` forms two dense
n x n products, O(n^3)). ``phi = 1, tau = 1`` is BFGS. The self-scaled methods choose
``tau`` (and ``phi``) from the step so that H's scale follows the loss's curvature, which
is what lets them go orders of magnitude further than BFGS on PINN losses:

- ``"ssbfgs"``: phi = 1, tau = min(1, 1 / b) with b = -alpha s^T g / (y^T s)
  (Al-Baali's self-scaled BFGS; Urban, Stefanou and Pons, 2024; Kiyani et al., 2025).
- ``"ssbroyden"``: phi and tau of the self-scaled Broyden family (Al-Baali and Khalfan),
  the ``SSBroyden2`` choice of the papers' code.

H, the iterate and the gradient stay on the device; each iteration brings back only a
few scalars (the line search's values and slopes, and three dot products). The linear
algebra is ``keras.ops``, XLA-compiled on TensorFlow or JAX (:mod:`toolkit.training.compiled`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from functools import lru_cache

from keras import ops

from toolkit.training import compiled
from toolkit.training.line_search import strong_wolfe

METHODS = ("bfgs", "ssbfgs", "ssbroyden")


@dataclass
class QuasiNewtonResult:
    """What :func:`minimize` did.

    Attributes:
        theta: The last iterate (a tensor on the device).
        inverse_hessian: The last H, to continue from (e.g. after resampling points).
        iterations: Steps taken.
        evaluations: Loss-and-gradient evaluations (line searches included).
        seconds: Wall time.
        message: Why it stopped.
        history: ``iteration``, ``seconds``, ``loss`` and ``gradient_norm`` every ``record_every`` steps.
    """

    theta: object
    inverse_hessian: object
    iterations: int = 0
    evaluations: int = 0
    seconds: float = 0.0
    message: str = ""
    history: dict = field(default_factory=lambda: {"iteration": [], "seconds": [], "loss": [], "gradient_norm": []})


def scaling(method: str, n: int, alpha: float, sy: float, yhy: float, sg: float) -> tuple[float, float]:
    """(tau, phi) of the update for ``method``, from alpha, s^T y, y^T H y and s^T g (g before the step)."""
    if method == "bfgs":
        return 1.0, 1.0
    rho = 1.0 / sy
    b = -alpha * rho * sg  # s^T H^-1 s / s^T y >= 0: how much H over- or under-estimates the step
    if not (math.isfinite(b) and b > 0):
        return 1.0, 1.0
    if method == "ssbfgs":
        return min(1.0, 1.0 / b), 1.0
    h = yhy * rho
    a = b * h - 1.0  # >= 0 by Cauchy-Schwarz; 0 where H is exact along s
    if not (math.isfinite(a) and a > 1e-12):
        return min(1.0, 1.0 / b), 1.0
    rho_minus = min(1.0, h * (1.0 - math.sqrt(a / (1.0 + a))))
    theta_minus = (rho_minus - 1.0) / a
    theta_plus = 1.0 / rho_minus if rho_minus > 0 else math.inf
    theta = max(theta_minus, min(theta_plus, (1.0 - b) / b))
    sigma = 1.0 + theta * a
    sigma_root = abs(sigma) ** (1.0 / (1.0 - n)) if n > 1 else 1.0
    rho_b = min(1.0, 1.0 / b)
    tau = min(rho_b * sigma_root, sigma) if theta <= 0 else rho_b * min(sigma_root, 1.0 / theta)
    phi = (1.0 - theta) / (1.0 + a * theta)
    if not (math.isfinite(tau) and tau > 0 and math.isfinite(phi)):
        return min(1.0, 1.0 / b), 1.0
    return tau, phi


def _curvature(h, s, y, g):
    hy = ops.matmul(h, y)
    return hy, ops.dot(s, y), ops.dot(y, hy), ops.dot(s, g)


def _update(h, hy, s, sy, yhy, tau, phi):
    # H+ = (H + c1 u u^T + c3 (s u^T + u s^T)) / tau + (c2 / tau + rho) s s^T, u = Hy:
    # the Broyden-family formula above multiplied out, so no n x n product is formed.
    rho = 1.0 / sy
    c1 = (phi - 1.0) / yhy
    c2 = phi * rho * rho * yhy
    c3 = -phi * rho
    hy_col, s_col = hy[:, None], s[:, None]
    hy_row, s_row = hy[None, :], s[None, :]
    return ((h + c1 * hy_col * hy_row + c3 * (s_col * hy_row + hy_col * s_row)) / tau
            + (c2 / tau + rho) * s_col * s_row)


def _direction(h, g):
    return -ops.matmul(h, g)


@lru_cache(maxsize=None)
def _kernels(backend: str):
    """The compiled curvature, update and direction for ``backend`` (compiled once per process)."""
    return compiled.jit(_curvature), compiled.jit(_update), compiled.jit(_direction)


def positive_definite(h) -> bool:
    """Whether H is (numerically) positive definite: a Cholesky factorisation succeeds."""
    try:
        factor = ops.cholesky((h + ops.transpose(h)) / 2)
    except Exception:  # TensorFlow raises where JAX returns NaNs
        return False
    return bool(ops.all(ops.isfinite(factor)))


def minimize(fun: Callable, theta0, *, method: str = "ssbroyden", inverse_hessian=None, max_iter: int = 1000,
             time_limit: float | None = None, gtol: float = 0.0, c1: float = 1e-4, c2: float = 0.9,
             max_evaluations: int = 30, record_every: int = 100,
             callback: Callable[[int, object, float], None] | None = None) -> QuasiNewtonResult:
    """Minimise ``fun`` from ``theta0`` with a full-memory quasi-Newton method and a strong-Wolfe line search.

    Args:
        fun: Maps a flat parameter tensor to ``(loss, gradient)`` tensors (compile it).
        theta0: Starting point, a 1-D float tensor (float64 for the self-scaled methods' reach).
        method: One of :data:`METHODS`. Defaults to ``"ssbroyden"``.
        inverse_hessian: H to start from (a previous result's). Defaults to None: the identity,
            with the first step scaled to length ~1 as SciPy does.
        max_iter: Most iterations. Defaults to 1,000.
        time_limit: Stop after this many seconds. Defaults to None.
        gtol: Stop when the gradient's largest entry is at most this. Defaults to 0 (never).
        c1: Sufficient-decrease constant of the line search. Defaults to 1e-4.
        c2: Curvature constant. Defaults to 0.9.
        max_evaluations: Most evaluations in one line search. Defaults to 30.
        record_every: Record loss and gradient norm every this many iterations. Defaults to 100.
        callback: Called as ``callback(iteration, theta, loss)`` at each record (e.g. to score
            the iterate). Defaults to None.

    Returns:
        A :class:`QuasiNewtonResult`.
    """
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(METHODS)}. Received: method={method!r}")
    curvature, update, find_direction = _kernels(compiled.backend())
    started = time.perf_counter()
    theta = ops.convert_to_tensor(theta0)
    n = int(theta.shape[0])
    dtype = theta.dtype
    h = ops.eye(n, dtype=dtype) if inverse_hessian is None else ops.convert_to_tensor(inverse_hessian)
    fresh = inverse_hessian is None
    loss, gradient = fun(theta)
    result = QuasiNewtonResult(theta, h, evaluations=1)
    value = float(loss)

    def record(iteration):
        result.history["iteration"].append(iteration)
        result.history["seconds"].append(time.perf_counter() - started)
        result.history["loss"].append(value)
        result.history["gradient_norm"].append(float(ops.norm(gradient)))
        if callback is not None:
            callback(iteration, theta, value)

    retried = False
    message = f"reached {max_iter} iterations"
    iteration = 0
    while iteration < max_iter:
        if not math.isfinite(value):
            message = "the loss is not finite"
            break
        if gtol > 0 and float(ops.max(ops.abs(gradient))) <= gtol:
            message = f"gradient below {gtol:g}"
            break
        if time_limit is not None and time.perf_counter() - started >= time_limit:
            message = f"time limit of {time_limit:.3g} s"
            break
        direction = find_direction(h, gradient)
        slope = float(ops.dot(gradient, direction))
        if not slope < 0:  # H lost positive definiteness numerically: restart from the identity
            h, fresh = ops.eye(n, dtype=dtype), True
            direction, slope = -gradient, -float(ops.dot(gradient, gradient))
            if slope == 0:
                message = "the gradient vanished"
                break
        trial = {}

        def phi(alpha):
            point = theta + alpha * direction
            trial_loss, trial_gradient = fun(point)
            trial.update(point=point, gradient=trial_gradient)
            return float(trial_loss), float(ops.dot(trial_gradient, direction))

        first = min(1.0, 1.01 / math.sqrt(-slope)) if fresh else 1.0
        search = strong_wolfe(phi, value, slope, alpha=first, c1=c1, c2=c2, max_evaluations=max_evaluations)
        result.evaluations += search.evaluations
        if search.alpha is None:
            if fresh or retried:
                message = "the line search found no step that lowers the loss"
                break
            h, fresh, retried = ops.eye(n, dtype=dtype), True, True
            continue
        retried = False
        step = trial["point"] - theta
        change = trial["gradient"] - gradient
        hy, sy, yhy, sg = curvature(h, step, change, gradient)
        sy, yhy, sg = float(sy), float(yhy), float(sg)
        if sy > 1e-300 and yhy > 0:  # skip an update that would lose positive definiteness
            tau, phi_k = scaling(method, n, search.alpha, sy, yhy, sg)
            h = update(h, hy, step, *(ops.convert_to_tensor(v, dtype=dtype) for v in (sy, yhy, tau, phi_k)))
        fresh = False
        theta, gradient, value = trial["point"], trial["gradient"], search.value
        iteration += 1
        if record_every and iteration % record_every == 0:
            record(iteration)
    if not result.history["iteration"] or result.history["iteration"][-1] != iteration:
        record(iteration)
    result.theta, result.inverse_hessian = theta, h
    result.iterations, result.message = iteration, message
    result.seconds = time.perf_counter() - started
    return result
