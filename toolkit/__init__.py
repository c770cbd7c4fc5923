"""toolkit: Keras 3 builders, leak-free pipelines and honest reports for finance and science.

Importing the package is cheap: TensorFlow loads only when a builder, training or a run
needs it. The two environment defaults below keep TensorFlow's start-up quiet and its CPU
numerics reproducible (oneDNN's reordered float sums differ run to run); set them yourself
before importing to override.

Saved toolkit models (``.keras`` files of custom layers and models) load with plain
``keras.models.load_model`` once ``toolkit`` is imported, before or after Keras: the
toolkit's serialisable classes are registered as soon as Keras itself is imported.
"""

import importlib.abc
import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"

from toolkit.errors import DataError, ToolkitError, UsageError  # noqa: E402

__all__ = ["DataError", "ToolkitError", "UsageError", "__version__"]


def _register_with_keras() -> None:
    import toolkit.builders  # noqa: F401 - importing the builders registers every custom class


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Runs :func:`_register_with_keras` right after ``import keras`` completes, so that
    ``import toolkit`` stays free of TensorFlow until Keras is wanted anyway."""

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _register_with_keras()

        spec.loader.exec_module = exec_module
        return spec


if "keras" in sys.modules:
    _register_with_keras()
elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AfterKerasImport())
