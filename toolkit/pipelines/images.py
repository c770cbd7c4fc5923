"""Image frames to model tensors and back: reshape, scale, one-hot, stratified split, resize.

Pure numpy / pandas / scikit-learn; frames, not sources: :func:`images_frame` defines the
layout (a ``label`` column, then pixel columns row by row, with ``shape`` and ``max_value``
in ``frame.attrs``) that :mod:`toolkit.data.images` reads every source into.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage
from sklearn.model_selection import train_test_split

from toolkit.errors import DataError


def images_frame(pixels: np.ndarray, labels: np.ndarray, shape: tuple[int, int], max_value: float,
                 source: str) -> pd.DataFrame:
    """The layout every image source ends in, from pixel rows ``(n, h*w)`` and labels ``(n,)``:
    a ``label`` column, then one column per pixel (``p0 .. p{h*w-1}``, row by row) holding
    grey levels, and ``frame.attrs`` with the image ``shape``, the ``max_value`` of a pixel
    and the ``source``."""
    frame = pd.DataFrame(pixels, columns=[f"p{i}" for i in range(pixels.shape[1])])
    frame.insert(0, "label", np.asarray(labels, dtype="int64"))
    frame.attrs = {"shape": tuple(shape), "max_value": float(max_value), "source": source}
    return frame


def frame_to_tensors(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, h, w, 1)`` scaled to [0, 1] (``float32``) and integer labels ``(n,)``."""
    h, w = frame.attrs["shape"]
    pixels = frame.drop(columns="label").to_numpy(dtype="float32")
    if pixels.shape[1] != h * w:
        raise DataError(f"{pixels.shape[1]} pixel columns do not make {h}x{w} images")
    return (pixels / frame.attrs["max_value"]).reshape(-1, h, w, 1), frame["label"].to_numpy()


def tensors_to_frame(images: np.ndarray, labels: np.ndarray, max_value: float = 255.0) -> pd.DataFrame:
    """The inverse of :func:`frame_to_tensors`: grey levels rounded back to integers."""
    n, h, w = images.shape[:3]
    pixels = np.rint(images.reshape(n, h * w).astype("float64") * max_value).astype("int64")
    return images_frame(pixels, labels, (h, w), max_value, "tensors")


def one_hot(labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    return np.eye(n_classes, dtype="float32")[np.asarray(labels, dtype="int64")]


def resize(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of ``(n, h, w, 1)`` images to ``size``, clipped to [0, 1]."""
    n, h, w, _ = images.shape
    zoomed = ndimage.zoom(images, (1, size[0] / h, size[1] / w, 1), order=1, grid_mode=True, mode="nearest")
    return np.clip(zoomed, 0.0, 1.0).astype("float32")


@dataclass
class ImageSplit:
    x: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]

    def y(self, part: str, n_classes: int = 10) -> np.ndarray:
        return one_hot(self.labels[part], n_classes)


def stratified_split(images: np.ndarray, labels: np.ndarray, *, test_size: int | float = 1000,
                     val_size: int | float = 0.1, seed: int = 0) -> ImageSplit:
    """Train / validation / test parts with the class proportions of the whole.

    Args:
        test_size: Held-out test images (count or share). Defaults to 1,000.
        val_size: Validation share (or count) of what remains. Defaults to 0.1.
        seed: Shuffling seed. Defaults to 0.
    """
    rest_x, test_x, rest_y, test_y = train_test_split(images, labels, test_size=test_size,
                                                      stratify=labels, random_state=seed)
    train_x, val_x, train_y, val_y = train_test_split(rest_x, rest_y, test_size=val_size,
                                                      stratify=rest_y, random_state=seed)
    return ImageSplit({"train": train_x, "validation": val_x, "test": test_x},
                      {"train": train_y, "validation": val_y, "test": test_y})
