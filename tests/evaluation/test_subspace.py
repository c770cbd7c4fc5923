"""Principal angles, and the notes' claim that a linear autoencoder learns PCA's subspace."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from toolkit.builders import linear_autoencoder
from toolkit.evaluation.subspace import decoder_subspace, principal_angles
from toolkit.training import set_seed


def test_principal_angles_of_known_planes():
    plane = np.eye(3)[:, :2]
    assert principal_angles(plane, plane @ np.array([[2.0, 1], [1, 3]])) == pytest.approx([0, 0], abs=1e-6)
    tilted = np.array([[1.0, 0], [0, np.cos(np.radians(30))], [0, np.sin(np.radians(30))]])
    assert principal_angles(plane, tilted) == pytest.approx([0, 30])
    with pytest.raises(ValueError, match="same number of rows"):
        principal_angles(np.eye(3)[:, :2], np.eye(4)[:, :2])
    with pytest.raises(ValueError, match=r"has 20 columns in dimension 3: .* pass components_.T"):
        principal_angles(np.ones((3, 20)), plane)
    with pytest.raises(ValueError, match="span only 1 dimensions"):
        principal_angles(np.c_[plane[:, 0], np.zeros(3)], plane)
    with pytest.raises(ValueError, match="must hold real numbers"):
        principal_angles(plane * 1j, plane)


def test_decoder_subspace_refuses_a_nonlinear_decoder():
    from toolkit.builders import dense_autoencoder

    with pytest.raises(ValueError, match="needs a linear autoencoder .* Received: 'dense_autoencoder'"):
        decoder_subspace(dense_autoencoder(input_dim=16, hidden_units=(8,), bottleneck=4))


def test_linear_autoencoder_learns_the_pca_subspace_within_5_degrees():
    x = load_digits().data.astype("float32") / 16
    x = x - x.mean(axis=0)  # centred, as the lectures pipeline does with the training mean
    set_seed(0)
    model = linear_autoencoder(input_dim=64, bottleneck=4, learning_rate=1e-2)
    model.fit(x, x, epochs=12, batch_size=64, verbose=0)
    angles = principal_angles(PCA(4).fit(x).components_.T, decoder_subspace(model))
    assert angles.max() < 5, angles  # measured about 3 degrees; random 4-D subspaces of 64-D sit near 70-90
    assert decoder_subspace(model).shape == (64, 4)
