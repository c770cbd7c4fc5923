"""How close two subspaces are: principal angles, and PCA's subspace to compare a linear autoencoder with."""

from __future__ import annotations

import numpy as np


def principal_angles(a, b) -> np.ndarray:
    """Principal angles in degrees between the spans of the columns of ``a`` and of ``b``.

    The k-th angle is the smallest angle between the two subspaces once the first k - 1
    pairs of closest directions are set aside (Björck and Golub 1973); all zero means the
    same subspace, whatever the basis. Computed by :func:`scipy.linalg.subspace_angles`.

    Args:
        a: ``(d, k)``: k vectors of dimension d as columns.
        b: ``(d, m)``: m vectors of the same dimension.

    Returns:
        ``min(k, m)`` angles in degrees, smallest first.

    Raises:
        ValueError: For arrays that are not 2-D, of different dimension d, or not finite.

    Example:
        >>> import numpy as np
        >>> principal_angles(np.eye(3)[:, :2], np.array([[1.0, 1], [1, -1], [0, 0]])).round(6).tolist()
        [0.0, 0.0]
    """
    from scipy.linalg import subspace_angles

    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(f"`a` and `b` must be 2-D with the same number of rows (the dimension). "
                         f"Received: shapes {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("`a` and `b` must be finite")
    return np.sort(np.degrees(subspace_angles(a, b)))


def decoder_subspace(model) -> np.ndarray:
    """The ``(input_dim, bottleneck)`` basis a linear autoencoder reconstructs in: its decoder's
    ``reconstruction`` kernel, transposed (see :func:`toolkit.builders.linear_autoencoder`)."""
    kernel = model.get_layer("decoder").get_layer("reconstruction").kernel
    return np.asarray(kernel).T
