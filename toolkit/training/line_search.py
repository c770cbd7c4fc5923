"""A strong-Wolfe line search on a scalar function of the step length.

Nocedal and Wright, *Numerical Optimization* (2nd ed.), algorithms 3.5 (bracketing) and
3.6 (zoom), with safeguarded cubic interpolation. The search only sees phi(a) and
phi'(a) as Python floats: the vectors behind them stay wherever the caller keeps them
(on the accelerator, for the quasi-Newton optimisers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable


@dataclass
class LineSearchResult:
    """The accepted step (``alpha`` is None when no step met the conditions) and its cost."""

    alpha: float | None
    value: float
    derivative: float
    evaluations: int


def _cubic_minimizer(a, fa, da, b, fb, db):
    """Minimiser of the cubic through (a, fa, da) and (b, fb, db), or None where it has none."""
    if a == b:
        return None
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    radicand = d1 * d1 - da * db
    if not math.isfinite(radicand) or radicand < 0:
        return None
    d2 = math.copysign(math.sqrt(radicand), b - a)
    denominator = db - da + 2.0 * d2
    if denominator == 0 or not math.isfinite(denominator):
        return None
    return b - (b - a) * (db + d2 - d1) / denominator


def strong_wolfe(phi: Callable[[float], tuple[float, float]], value0: float, derivative0: float, *,
                 alpha: float = 1.0, c1: float = 1e-4, c2: float = 0.9, max_evaluations: int = 30,
                 alpha_max: float = 1e10) -> LineSearchResult:
    """A step a > 0 with phi(a) <= phi(0) + c1 a phi'(0) and |phi'(a)| <= c2 |phi'(0)|.

    Args:
        phi: Returns (phi(a), phi'(a)) for a step a; it may keep what it computed for the
            step finally accepted (the caller's point and gradient there).
        value0: phi(0).
        derivative0: phi'(0), negative (a descent direction).
        alpha: First step tried. Defaults to 1 (the quasi-Newton step).
        c1: Sufficient-decrease constant. Defaults to 1e-4.
        c2: Curvature constant. Defaults to 0.9, the usual value for quasi-Newton methods.
        max_evaluations: Most evaluations of phi. Defaults to 30.
        alpha_max: Largest step. Defaults to 1e10.

    Returns:
        A :class:`LineSearchResult`; the last call of ``phi`` was at the accepted step.
    """
    if not derivative0 < 0:
        return LineSearchResult(None, value0, derivative0, 0)
    evaluations = 0

    def probe(a):
        nonlocal evaluations
        evaluations += 1
        value, derivative = phi(a)
        if not (math.isfinite(value) and math.isfinite(derivative)):
            return math.inf, math.inf  # treated as "too far": the bracket shrinks towards 0
        return value, derivative

    def armijo(a, value):
        return value <= value0 + c1 * a * derivative0

    def curvature(derivative):
        return abs(derivative) <= -c2 * derivative0

    def zoom(lo, f_lo, d_lo, hi, f_hi, d_hi):
        last = None
        while evaluations < max_evaluations:
            width = hi - lo
            trial = None
            if math.isfinite(f_hi) and math.isfinite(d_hi):
                trial = _cubic_minimizer(lo, f_lo, d_lo, hi, f_hi, d_hi)
            # Safeguard: stay inside the bracket, away from its ends; bisect otherwise.
            low, high = sorted((lo + 0.1 * width, hi - 0.1 * width))
            if trial is None or not low <= trial <= high:
                trial = lo + 0.5 * width
            value, derivative = probe(trial)
            last = (trial, value, derivative)
            if not armijo(trial, value) or value >= f_lo:
                hi, f_hi, d_hi = trial, value, derivative
            else:
                if curvature(derivative):
                    return LineSearchResult(trial, value, derivative, evaluations)
                if derivative * (hi - lo) >= 0:
                    hi, f_hi, d_hi = lo, f_lo, d_lo
                lo, f_lo, d_lo = trial, value, derivative
            if abs(hi - lo) <= 1e-16 * max(1.0, abs(lo)):
                break
        # No strong-Wolfe step found: the caller decides (the best Armijo point is lo).
        if last is not None and lo > 0 and last[0] != lo:
            value, derivative = probe(lo)  # leave phi's state at the point we report
        return LineSearchResult(lo if lo > 0 else None, f_lo, d_lo, evaluations)

    previous, f_previous, d_previous = 0.0, value0, derivative0
    current = min(alpha, alpha_max)
    first = True
    while evaluations < max_evaluations:
        value, derivative = probe(current)
        if not armijo(current, value) or (not first and value >= f_previous):
            return zoom(previous, f_previous, d_previous, current, value, derivative)
        if curvature(derivative):
            return LineSearchResult(current, value, derivative, evaluations)
        if derivative >= 0:
            return zoom(current, value, derivative, previous, f_previous, d_previous)
        previous, f_previous, d_previous = current, value, derivative
        current = min(2.0 * current, alpha_max)
        first = False
    if previous > 0:  # out of evaluations while still extending: keep the last decrease
        value, derivative = phi(previous)
        return LineSearchResult(previous, value, derivative, evaluations + 1)
    return LineSearchResult(None, value0, derivative0, evaluations)
