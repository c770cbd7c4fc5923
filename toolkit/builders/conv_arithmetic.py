"""Convolution arithmetic: the output size of a convolution or pooling layer, as the lecture derives it.

Singaravelu's notes ("Padding", "Strided Convolution"): an n x n image convolved with an
f x f filter, padded by p and moved s pixels at a time, gives an output of
floor((n + 2p - f) / s) + 1 per side. "Valid" convolutions pad nothing; "same" convolutions
pad so that a stride of 1 keeps the size (p = (f - 1) / 2 for odd f). Pooling is the same
arithmetic with the pool as the window (Keras pools with a stride equal to the pool size
unless told otherwise). Keras pads "same" layers asymmetrically where f - 1 is odd, so its
"same" output is ceil(n / s) for any f; :func:`conv_output_size` follows Keras, and the tests
check it against Keras's own shapes.
"""

from __future__ import annotations

import math

#: Paddings of the 2-D builders: the notes' two conventions.
PADDINGS = ("valid", "same")
#: Paddings of the 1-D builders: ``"causal"`` pads the past only, so no output sees a later step.
PADDINGS_1D = ("causal", "valid", "same")
#: Pooling kinds: the notes' max pooling and average pooling.
POOLINGS = ("max", "average")


def _positive_int(name: str, value) -> int:
    from toolkit.builders._common import check_positive_int

    check_positive_int(name, value)
    return int(value)


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: str = "valid", dilation: int = 1) -> int:
    """Output length along one axis of a convolution (or pooling) window.

    ``"valid"``: floor((n - d(f - 1) - 1) / s) + 1, the notes' floor((n + 2p - f) / s) + 1
    with p = 0 (and d = 1). ``"same"`` and ``"causal"``: ceil(n / s), Keras's convention
    for any kernel (it pads f - 1 in total, the odd pixel at the end; causal pads the start).

    Args:
        n: Input length (pixels along the axis, or time steps).
        kernel: Filter (or pool) size f along the axis.
        stride: Step s between windows. Defaults to 1.
        padding: ``"valid"``, ``"same"`` or ``"causal"`` (1-D only). Defaults to ``"valid"``.
        dilation: Gap between filter taps (1 = none). Defaults to 1.

    Returns:
        The output length, a positive integer.

    Raises:
        ValueError: For a non-positive size, an unknown padding, or a ``"valid"`` window
            larger than the input (no output at all).

    Example:
        >>> conv_output_size(28, 3)  # the digits CNN's first convolution
        26
        >>> conv_output_size(26, 2, stride=2)  # then 2 x 2 max pooling
        13
        >>> conv_output_size(6, 3, padding="same")  # the notes' padded 6 x 6 image
        6
        >>> conv_output_size(7, 3, stride=2)  # floor((7 - 3) / 2) + 1
        3
    """
    n, kernel, stride, dilation = (_positive_int(key, value) for key, value in
                                   (("n", n), ("kernel", kernel), ("stride", stride), ("dilation", dilation)))
    if not isinstance(padding, str) or padding not in PADDINGS_1D:
        raise ValueError(f"`padding` must be one of {', '.join(PADDINGS_1D)}. Received: padding={padding!r}")
    if padding != "valid":
        return math.ceil(n / stride)
    span = dilation * (kernel - 1) + 1
    if span > n:
        raise ValueError(f"a {span}-wide window does not fit in {n} with padding='valid'; use a smaller kernel, "
                         f"padding='same', or a larger input. Received: n={n}, kernel={kernel}, dilation={dilation}")
    return (n - span) // stride + 1


def pooling_layer(kind: str, size: int, rank: int, name: str):
    """A Keras ``MaxPooling{rank}D`` or ``AveragePooling{rank}D`` of window and stride ``size``."""
    from keras import layers

    if kind not in POOLINGS:
        raise ValueError(f"`pooling` must be one of {', '.join(POOLINGS)}. Received: pooling={kind!r}")
    cls = {("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D,
           ("average", 1): layers.AveragePooling1D, ("average", 2): layers.AveragePooling2D}[(kind, rank)]
    return cls(size, name=name)
