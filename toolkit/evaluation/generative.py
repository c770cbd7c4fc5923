"""One yardstick for generative models: distances between generated and real samples.

* :func:`frechet_distance`: the Frechet distance between Gaussians fitted to two sets of
  features (Heusel et al. 2017, "GANs trained by a two time-scale update rule converge to a
  local Nash equilibrium", arXiv 1706.08500). On digits the features are those of the
  toolkit's own digits CNN (its last hidden layer), in place of Inception's: the "Frechet
  LeNet distance" of the MNIST literature, which rises steadily with noise, blur and cropping.
* :func:`classifier_reading`: how confidently that classifier reads the samples and how
  evenly its readings spread over the classes (a collapsed generator draws few classes).
* :func:`energy_distance` and :func:`diversity` for low-dimensional samples.

Pure NumPy and SciPy: the features come in as arrays.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.spatial.distance import cdist


def frechet_from_moments(mean_a, cov_a, mean_b, cov_b) -> float:
    """||m_a - m_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)): the Frechet (2-Wasserstein)
    distance between N(m_a, C_a) and N(m_b, C_b), squared as in FID."""
    mean_a, mean_b = np.asarray(mean_a, "float64"), np.asarray(mean_b, "float64")
    cov_a, cov_b = np.atleast_2d(np.asarray(cov_a, "float64")), np.atleast_2d(np.asarray(cov_b, "float64"))
    # tr (C_a C_b)^(1/2) = sum of the square roots of the eigenvalues of the symmetric
    # C_a^(1/2) C_b C_a^(1/2): no square root of a non-symmetric matrix, no complex round-off.
    values, vectors = linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(values.clip(min=0))) @ vectors.T
    cross = np.sqrt(linalg.eigvalsh(root_a @ cov_b @ root_a).clip(min=0)).sum()
    value = float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)
    return max(value, 0.0)


def frechet_distance(features_a, features_b) -> float:
    """The Frechet distance between Gaussians fitted to two sets of feature rows.

    Args:
        features_a: ``(n_a, d)`` features, n_a > 1.
        features_b: ``(n_b, d)`` features, n_b > 1.

    Returns:
        A non-negative float; 0 for identical sets.

    Raises:
        ValueError: For sets of unequal width or fewer than two rows.
    """
    a, b = np.asarray(features_a, "float64"), np.asarray(features_b, "float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"both feature sets must be (rows > 1, same width). Received: {a.shape} and {b.shape}")
    return frechet_from_moments(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def classifier_reading(probabilities) -> dict:
    """What a classifier makes of generated samples.

    Args:
        probabilities: ``(n, classes)`` predicted class probabilities.

    Returns:
        ``confidence``: mean of the largest probability (real digits read by a good
        classifier: near 1; blurred or broken ones: lower); ``class_spread``: entropy of the
        predicted classes' histogram over its maximum log(classes) (1 = every class equally
        often, 0 = one class only); ``top_class_share``: share of the most frequent class.
    """
    p = np.asarray(probabilities, "float64")
    predicted = p.argmax(1)
    counts = np.bincount(predicted, minlength=p.shape[1]) / len(p)
    nonzero = counts[counts > 0]
    return {"confidence": float(p.max(1).mean()),
            "class_spread": float(max(0.0, -(nonzero * np.log(nonzero)).sum() / np.log(p.shape[1]))),
            "top_class_share": float(counts.max())}


def energy_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Multivariate energy distance 2E|A-B| - E|A-A'| - E|B-B'| (0 for equal distributions)."""
    return float(2 * cdist(a, b).mean() - cdist(a, a).mean() - cdist(b, b).mean())


def diversity(samples: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between samples."""
    return float(cdist(samples, samples).mean())
