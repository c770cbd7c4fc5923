"""The notes' hand-made image filters as fixed Conv2D kernels.

Singaravelu's notes ("Vertical Edge Detection", "Other Common Filters", "Producing Feature
Maps") show what a convolution computes before any training: a 3x3 kernel slid over the
image, multiplied element-wise and summed (cross-correlation, which is what ``Conv2D`` does).
Each kernel is written as the notes print it, rows top to bottom. A CNN learns such kernels
("Parametric Filter (using back propagation)"); here they are set by hand and frozen.
"""

from __future__ import annotations

import numpy as np

#: name -> (3x3 kernel as the notes print it, what it responds to).
KERNELS: dict[str, tuple[tuple[tuple[float, ...], ...], str]] = {
    "vertical_edge": (((1, 0, -1), (1, 0, -1), (1, 0, -1)), "bright left of dark (the notes' vertical edge)"),
    "horizontal_edge": (((1, 1, 1), (0, 0, 0), (-1, -1, -1)), "bright above dark (the notes' horizontal edge)"),
    "prewitt_x": (((1, 0, -1), (1, 0, -1), (1, 0, -1)), "Prewitt, vertical edges"),
    "prewitt_y": (((1, 1, 1), (0, 0, 0), (-1, -1, -1)), "Prewitt, horizontal edges"),
    "sobel_x": (((1, 0, -1), (2, 0, -2), (1, 0, -1)), "Sobel, vertical edges (centre row weighted 2)"),
    "sobel_y": (((1, 2, 1), (0, 0, 0), (-1, -2, -1)), "Sobel, horizontal edges"),
    "scharr_x": (((3, 0, -3), (10, 0, -10), (3, 0, -3)), "Scharr, vertical edges (better rotation symmetry)"),
    "scharr_y": (((3, 10, 3), (0, 0, 0), (-3, -10, -3)), "Scharr, horizontal edges"),
    "sharpen": (((-1, -1, -1), (-1, 9, -1), (-1, -1, -1)), "sharpen: the pixel minus its neighbours, plus itself"),
    # The notes print the middle row as (-1, -4, 1), which does not sum to zero (a flat image
    # would not map to zero): a sign lost in print. This is the Laplacian it is meant to be.
    "edge_detect": (((0, 1, 0), (1, -4, 1), (0, 1, 0)), "edge detect (the Laplacian): any change, any direction"),
    "strong_edge": (((-1, -2, -1), (0, 0, 0), (1, 2, 1)), "the notes' 'strong' edge detect (dark above bright)"),
}
FILTER_NAMES = tuple(KERNELS)


def kernel(name: str) -> np.ndarray:
    """The 3x3 kernel ``name`` (see :data:`KERNELS`) as a float32 array, rows as printed.

    Raises:
        ValueError: For a name not in :data:`KERNELS`.
    """
    if not isinstance(name, str) or name not in KERNELS:
        raise ValueError(f"`name` must be one of {', '.join(FILTER_NAMES)}. Received: name={name!r}")
    return np.asarray(KERNELS[name][0], dtype="float32")


def filter_bank(names=FILTER_NAMES, input_shape=(28, 28, 1), padding: str = "valid", name: str = "filter_bank"):
    """A frozen ``Conv2D`` whose output channels are the named filters applied to a grey image.

    Args:
        names: Filter names (:data:`FILTER_NAMES`), one output channel each. Defaults to all.
        input_shape: Height, width and one channel. Defaults to (28, 28, 1).
        padding: ``"valid"`` (an n x n image gives (n - 2) x (n - 2), as in the notes) or
            ``"same"``. Defaults to ``"valid"``.
        name: Defaults to ``"filter_bank"``.

    Returns:
        A ``keras.Model`` mapping images ``(batch, height, width, 1)`` to feature maps
        ``(batch, height', width', len(names))``, with no trainable weights and no bias.

    Raises:
        ValueError: For an unknown name, no names, a bad shape or padding.

    Example:
        >>> import numpy as np
        >>> step = np.zeros((1, 6, 6, 1), "float32"); step[:, :, :3] = 10  # the notes' 6 x 6 image
        >>> np.asarray(filter_bank(["vertical_edge"], input_shape=(6, 6, 1))(step))[0, 0, :, 0].tolist()
        [0.0, 30.0, 30.0, 0.0]
    """
    import keras
    from keras import layers

    from toolkit.builders._common import is_whole

    if isinstance(names, str):
        names = (names,)
    if not isinstance(names, (list, tuple)) or not names:
        raise ValueError(f"`names` must hold at least one filter name. Received: names={names!r}")
    names = tuple(names)
    stacked = np.stack([kernel(n) for n in names], axis=-1)[:, :, None, :]  # (3, 3, 1, filters)
    shape = tuple(input_shape) if hasattr(input_shape, "__iter__") and not isinstance(input_shape, str) else None
    if shape is None or len(shape) != 3 or shape[2] != 1 or any(not is_whole(v) or v < 1 for v in shape):
        raise ValueError(f"`input_shape` must be (height, width, 1), a grey image. Received: "
                         f"input_shape={input_shape!r}")
    shape = tuple(int(v) for v in shape)
    if not isinstance(padding, str) or padding not in ("valid", "same"):
        raise ValueError(f"`padding` must be one of valid, same. Received: padding={padding!r}")
    if padding == "valid" and min(shape[:2]) < 3:
        raise ValueError(f"a 3x3 filter needs an image of at least 3 x 3 with padding='valid'. "
                         f"Received: input_shape={shape!r}")
    conv = layers.Conv2D(len(names), 3, padding=padding, use_bias=False, trainable=False, name="filters",
                         kernel_initializer=keras.initializers.Constant(stacked))
    inputs = keras.Input(shape=shape, name="image")
    return keras.Model(inputs, conv(inputs), name=name)
