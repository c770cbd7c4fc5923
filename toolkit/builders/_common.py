"""Argument checks shared by the builders (the training options live in :mod:`options`)."""

from __future__ import annotations

from numbers import Integral

from toolkit.builders.losses import check_output_and_loss, OUTPUT_ACTIVATIONS  # noqa: F401
from toolkit.builders.options import (  # noqa: F401
    ACTIVATIONS, INITIALIZERS, OPTIMIZERS, activation, check_choice, compile_model, dense_kwargs, initializer,
    make_optimizer,
)


def is_whole(value) -> bool:
    """A Python or NumPy integer (not a bool)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_positive_int(name: str, value) -> None:
    if not is_whole(value) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


#: Largest sizes the attention and encoder-decoder builders accept: far above what 2 cores
#: train, far below what exhausts memory (units as the forecast's lstm_units).
MAX_SIZES = {"d_model": 1024, "num_heads": 64, "ff_units": 8192, "window": 10_000, "outputs": 1_000, "steps": 10_000,
             "n_features": 1_000, "mlp_units": 8192, "units": 4096}


def check_sizes(**sizes) -> None:
    """Each size a positive integer no larger than :data:`MAX_SIZES` allows."""
    for key, value in sizes.items():
        check_positive_int(key, value)
        if key in MAX_SIZES and value > MAX_SIZES[key]:
            raise ValueError(f"`{key}` must be at most {MAX_SIZES[key]:,}. Received: {key}={value}")


def default_clip(clipnorm, clipvalue, global_clipnorm, norm: float = 1.0):
    """``global_clipnorm``, or ``norm`` when no clip at all was asked for: the default of models
    that train unevenly without one (attention, encoder-decoders), which still combines with
    any clip the caller gives."""
    return norm if clipnorm is None and clipvalue is None and global_clipnorm is None else global_clipnorm


def check_units(name: str, values, allow_empty: bool = False) -> tuple[int, ...]:
    """A layer-size argument as a tuple of positive integers."""
    if isinstance(values, (Integral, str)) or not hasattr(values, "__iter__"):
        values = (values,)
    values = tuple(values)
    if not values and not allow_empty:
        raise ValueError(f"`{name}` needs at least one layer size. Received: {name}={values!r}")
    for value in values:
        if not is_whole(value) or value < 1:
            raise ValueError(f"`{name}` must hold positive integers. Received: {name}={values!r}")
    return tuple(int(value) for value in values)


def check_rate(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must lie in [0, 1). Received: {name}={value!r}")


def check_nonnegative(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"`{name}` must be zero or positive. Received: {name}={value!r}")


def check_dense_options(activation: str, kernel_initializer: str, dropout: float) -> None:
    check_choice("activation", activation, ACTIVATIONS)
    check_choice("kernel_initializer", kernel_initializer, INITIALIZERS)
    check_rate("dropout", dropout)
