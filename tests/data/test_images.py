import numpy as np
import pytest

from toolkit.data.images import load_digits_source, load_mnist_5k, load_mnist_file, load_sklearn_digits
from toolkit.errors import DataError


def test_bundled_subset_is_balanced_mnist():
    frame = load_mnist_5k()
    assert frame.shape == (5000, 785)
    assert np.bincount(frame["label"]).tolist() == [500] * 10
    assert frame.attrs["shape"] == (28, 28) and frame.drop(columns="label").to_numpy().max() == 255


def test_sklearn_digits_are_eight_by_eight():
    frame = load_sklearn_digits()
    assert frame.shape == (1797, 65) and frame.attrs["max_value"] == 16.0


def test_keras_npz_is_read_without_pickle(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), y_train=np.arange(6),
             x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), y_test=np.arange(4))
    frame = load_mnist_file(path)
    assert frame.shape == (10, 785) and frame["label"].tolist() == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]


def test_pickled_npz_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.array([{"evil": 1}], dtype=object), y_train=np.arange(1),
             x_test=np.zeros((1, 28, 28)), y_test=np.arange(1))
    with pytest.raises(DataError, match="not Keras' mnist.npz layout"):
        load_mnist_file(path)


def test_missing_mnist_file_says_where_to_put_it(tmp_path):
    with pytest.raises(DataError) as err:
        load_mnist_file(tmp_path / "mnist.npz")
    assert str(err.value).startswith(f"MNIST file not found: {tmp_path / 'mnist.npz'}; put Keras' mnist.npz")


def test_unknown_source():
    with pytest.raises(DataError, match="unknown digits source 'emnist'"):
        load_digits_source("emnist")
