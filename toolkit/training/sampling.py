"""Residual-based adaptive distribution (RAD) of collocation points (Wu et al., 2023).

Every so often the collocation points are redrawn from a dense set of candidates with
probability proportional to |r|^k / mean(|r|^k) + c: where the PDE holds worst, more
points; c > 0 keeps some everywhere. k = 1, c = 1 is the papers' choice.
"""

from __future__ import annotations

import numpy as np


def rad_probabilities(residual: np.ndarray, k: float = 1.0, c: float = 1.0) -> np.ndarray:
    """Sampling probabilities of candidates with residual magnitudes ``residual``.

    Args:
        residual: |r| at each candidate (m,), finite and non-negative.
        k: Exponent; larger concentrates the points. Defaults to 1.
        c: Uniform share (relative to the mean density). Defaults to 1.

    Example:
        >>> rad_probabilities(np.array([0.0, 1.0, 3.0]), k=1.0, c=1.0).round(3).tolist()
        [0.167, 0.292, 0.542]
    """
    residual = np.asarray(residual, dtype="float64")
    if residual.ndim != 1 or residual.size == 0 or not np.all(np.isfinite(residual)) or np.any(residual < 0):
        raise ValueError("residual magnitudes must be a non-empty 1-D array of finite, non-negative numbers")
    if not k >= 0 or not c >= 0:
        raise ValueError(f"k and c must not be negative. Received: k={k!r}, c={c!r}")
    weight = residual ** k
    mean = weight.mean()
    density = (weight / mean if mean > 0 else np.zeros_like(weight)) + c
    if density.sum() == 0:
        density = np.ones_like(density)
    return density / density.sum()


def rad_sample(candidates: np.ndarray, residual: np.ndarray, count: int, rng: np.random.Generator, *,
               k: float = 1.0, c: float = 1.0) -> np.ndarray:
    """``count`` distinct candidates drawn by RAD.

    Args:
        candidates: Points (m, d), m >= count.
        residual: |r| at the candidates (m,).
        count: Points to draw.
        rng: NumPy generator.
        k: See :func:`rad_probabilities`. Defaults to 1.
        c: See :func:`rad_probabilities`. Defaults to 1.
    """
    candidates = np.asarray(candidates)
    if len(candidates) < count:
        raise ValueError(f"need at least {count} candidates. Received: {len(candidates)}")
    chosen = rng.choice(len(candidates), size=count, replace=False, p=rad_probabilities(residual, k, c))
    return candidates[np.sort(chosen)]
