import numpy as np
import pytest

from toolkit.data.images import load_mnist_5k
from toolkit.pipelines.images import frame_to_tensors, images_frame, one_hot, resize, stratified_split, tensors_to_frame


@pytest.fixture(scope="module")
def digits():
    return load_mnist_5k()


def test_frame_to_tensors_and_back_is_exact(digits):
    images, labels = frame_to_tensors(digits)
    assert images.shape == (5000, 28, 28, 1) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    back = tensors_to_frame(images, labels)
    assert back.columns.tolist() == digits.columns.tolist()
    np.testing.assert_array_equal(back.to_numpy(), digits.to_numpy())


def test_pixels_are_row_by_row(digits):
    images, _ = frame_to_tensors(digits)
    row = digits.iloc[0]
    assert images[0, 5, 7, 0] == pytest.approx(row[f"p{5 * 28 + 7}"] / 255)


def test_stratified_split_keeps_class_proportions():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), [50, 100, 150, 200, 250, 300, 350, 400, 450, 500])
    images = rng.uniform(size=(len(labels), 4, 4, 1)).astype("float32")
    split = stratified_split(images, labels, test_size=0.2, val_size=0.1, seed=0)
    whole = np.bincount(labels) / len(labels)
    for part in ("train", "validation", "test"):
        share = np.bincount(split.labels[part], minlength=10) / len(split.labels[part])
        np.testing.assert_allclose(share, whole, atol=0.01)
    assert sum(len(v) for v in split.labels.values()) == len(labels)
    assert split.y("test").shape == (len(split.labels["test"]), 10)


def test_resize_eight_by_eight_to_lecture_size():
    small = np.zeros((2, 8, 8, 1), dtype="float32")
    small[:, 2:6, 3:5] = 1.0
    big = resize(small, (28, 28))
    assert big.shape == (2, 28, 28, 1) and 0 <= big.min() and big.max() <= 1
    assert big[:, 14, 14, 0].min() > 0.5 and big[:, 0, 0, 0].max() == 0  # the stroke stays, the border stays blank


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


def test_images_frame_layout():
    frame = images_frame(np.arange(8).reshape(2, 4), [1, 0], (2, 2), 7.0, "test")
    assert frame.columns.tolist() == ["label", "p0", "p1", "p2", "p3"]
    assert frame.attrs == {"shape": (2, 2), "max_value": 7.0, "source": "test"}
