"""toolkit: Keras 3 builders, leak-free pipelines and honest reports for finance and science.

Importing the package is cheap: TensorFlow loads only when a builder, training or a run
needs it. The environment default below keeps TensorFlow's start-up quiet (set it yourself
before importing to override). TensorFlow's oneDNN kernels stay on, as TensorFlow ships them:
they train the stacked LSTM about 15% faster on a CPU than its Eigen kernels, and a seeded
run repeats bit for bit on the same machine with either (``bench/README.md``, "Same seed,
same numbers"). On TensorFlow, Keras' pipeline for array inputs runs without
tf.data autotuning, whose iterators stalled seconds at epoch boundaries
(:mod:`toolkit.input_pipelines`; ``TOOLKIT_TF_DATA_AUTOTUNE=1`` keeps it).

Saved toolkit models (``.keras`` files of custom layers and models) load with plain
``keras.models.load_model`` once ``toolkit`` is imported, before or after Keras: the
toolkit's serialisable classes are registered as soon as Keras itself is imported.
"""

import importlib.abc
import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from toolkit.errors import DataError, ToolkitError, UsageError  # noqa: E402

__all__ = ["DataError", "ToolkitError", "UsageError", "__version__"]


def _register_with_keras() -> None:
    import toolkit.builders  # noqa: F401 - importing the builders registers every custom class
    from toolkit.input_pipelines import steady_array_pipelines

    steady_array_pipelines()


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
