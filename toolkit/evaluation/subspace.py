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
        ValueError: For arrays that are not 2-D and real, with as many columns as rows or more
            (rows of vectors where columns were meant), linearly dependent columns, of
            different dimension d, or not finite.

    Example:
        >>> import numpy as np
        >>> principal_angles(np.eye(3)[:, :2], np.array([[1.0, 1], [1, -1], [0, 0]])).round(6).tolist()
        [0.0, 0.0]
    """
    from scipy.linalg import subspace_angles

    a, b = _basis("a", a), _basis("b", b)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"`a` and `b` must have the same number of rows (the dimension). "
                         f"Received: shapes {a.shape} and {b.shape}")
    return np.sort(np.degrees(subspace_angles(a, b)))


def _basis(name: str, value) -> np.ndarray:
    """``value`` as a ``(d, k)`` float64 array of k < d linearly independent, finite columns."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"`{name}` must hold real numbers. Received: dtype {array.dtype}")
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"`{name}` must be 2-D, vectors as columns. Received: shape {array.shape}")
    if array.shape[1] >= array.shape[0]:
        raise ValueError(f"`{name}` has {array.shape[1]} columns in dimension {array.shape[0]}: pass vectors as columns, "
                         f"fewer than the dimension (PCA's components_ are rows: pass components_.T). "
                         f"Received: shape {array.shape}")
    array = array.astype("float64")
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` must be finite")
    rank = np.linalg.matrix_rank(array)
    if rank < array.shape[1]:
        raise ValueError(f"the {array.shape[1]} columns of `{name}` span only {rank} dimensions; give linearly "
                         "independent columns")
    return array


def decoder_subspace(model) -> np.ndarray:
    """The ``(input_dim, bottleneck)`` basis a linear autoencoder reconstructs in: its decoder's
    ``reconstruction`` kernel, transposed (see :func:`toolkit.builders.linear_autoencoder`).

    Raises:
        ValueError: For a model that is not a linear autoencoder (a decoder of more than the
            one linear ``reconstruction`` layer spans no fixed subspace).
    """
    import keras

    decoder = None
    if isinstance(model, keras.Model):
        decoder = next((layer for layer in model.layers if layer.name == "decoder"), None)
    dense = [layer for layer in getattr(decoder, "layers", []) if isinstance(layer, keras.layers.Dense)]
    if len(dense) != 1 or dense[0].name != "reconstruction" or dense[0].get_config()["activation"] != "linear":
        raise ValueError("decoder_subspace needs a linear autoencoder (toolkit.builders.linear_autoencoder): a decoder "
                         f"of one linear Dense layer. Received: {getattr(model, 'name', type(model).__name__)!r}")
    return np.asarray(dense[0].kernel).T
