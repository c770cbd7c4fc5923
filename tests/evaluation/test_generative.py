"""The generative yardstick: the Frechet distance and the classifier's reading."""

import numpy as np
import pytest
from scipy import linalg

from toolkit.evaluation.generative import classifier_reading, frechet_distance, frechet_from_moments


def test_frechet_distance_of_identical_sets_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_matches_the_closed_form():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    cov_a, cov_b = a @ a.T, b @ b.T
    mean_a, mean_b = rng.normal(size=6), rng.normal(size=6)
    expected = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(linalg.sqrtm(cov_a @ cov_b)))
    assert frechet_from_moments(mean_a, cov_a, mean_b, cov_b) == pytest.approx(expected, rel=1e-9)
    # Between two Gaussians of the same covariance, the squared distance of the means.
    assert frechet_from_moments([0, 0], np.eye(2), [3, 4], np.eye(2)) == pytest.approx(25.0)


def test_frechet_distance_grows_with_noise_on_digits():
    from toolkit.data.images import load_digits_source
    from toolkit.pipelines.images import frame_to_tensors

    images, _ = frame_to_tensors(load_digits_source("mnist5k", ""))
    order = np.random.default_rng(1).permutation(len(images))[:1200]  # the file is not in random order
    flat = images[order].reshape(1200, -1).astype("float64")
    real, other = flat[:600], flat[600:]
    mean = real.mean(0)
    _, _, components = np.linalg.svd(real - mean, full_matrices=False)
    project = lambda x: (x - mean) @ components[:20].T  # noqa: E731 - 20 principal components as features
    rng = np.random.default_rng(0)
    distances = [frechet_distance(project(real), project(np.clip(other + rng.normal(0, sd, other.shape), 0, 1)))
                 for sd in (0.0, 0.1, 0.2, 0.4)]
    assert distances == sorted(distances) and distances[-1] > 5 * distances[0], distances


def test_frechet_distance_refuses_mismatched_sets():
    with pytest.raises(ValueError, match=r"both feature sets must be \(rows > 1, same width\). Received: \(3, 2\) and \(3, 4\)"):
        frechet_distance(np.zeros((3, 2)), np.zeros((3, 4)))


def test_classifier_reading_by_hand():
    probabilities = np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    reading = classifier_reading(probabilities)
    assert reading["confidence"] == pytest.approx((0.9 + 0.6 + 0.7 + 0.8) / 4)
    # Classes read: 0, 0, 1, 2 -> shares 1/2, 1/4, 1/4.
    entropy = -(0.5 * np.log(0.5) + 2 * 0.25 * np.log(0.25))
    assert reading["class_spread"] == pytest.approx(entropy / np.log(3))
    assert reading["top_class_share"] == 0.5
    assert classifier_reading(np.eye(3)[[1, 1, 1]])["class_spread"] == 0.0
