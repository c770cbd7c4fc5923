"""toolkit: Keras 3 builders, leak-free pipelines and honest reports for finance and science.

Importing the package is cheap: TensorFlow loads only when a builder, training or a run
needs it. The two environment defaults below keep TensorFlow's start-up quiet and its CPU
numerics reproducible (oneDNN's reordered float sums differ run to run); set them yourself
before importing to override.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"

from toolkit.errors import DataError, ToolkitError, UsageError  # noqa: E402

__all__ = ["DataError", "ToolkitError", "UsageError", "__version__"]
