"""Keras builders by family; importing this package fills the registry."""

from toolkit.builders import recurrent  # noqa: F401  (registers its builders)
from toolkit.builders.recurrent import stacked_lstm
from toolkit.builders.registry import BuilderSpec, get_builder, register, registered

__all__ = ["BuilderSpec", "get_builder", "register", "registered", "stacked_lstm"]
