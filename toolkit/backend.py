"""The Keras backend the toolkit runs on: TensorFlow, JAX or PyTorch, chosen the Keras way.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, so the choice has to be made
before that: ``toolkit forecast --backend jax``, ``backend = "jax"`` in a pipeline file, or
``KERAS_BACKEND=jax`` in the environment (in that order of precedence). TensorFlow is the
default and what ``pip install toolkit`` brings; JAX and PyTorch come from the ``jax`` and
``torch`` extras.

Nothing here imports Keras or a numerical library until :func:`describe` is called, so the
CLI can check a choice before any data is read.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from toolkit.errors import UsageError

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT = "tensorflow"
#: The key under which every run's library versions (and ``metrics.json``) name the backend.
VERSIONS_KEY = "keras backend"
#: Where the compiled PDE machinery (toolkit.training.compiled) runs, and why not elsewhere.
PDE_BACKENDS = ("tensorflow", "jax")
PDE_WHY = ("its quasi-Newton optimisers are XLA-compiled, on TensorFlow or JAX; Keras on PyTorch computes float64 "
           "matrix products in float32")
#: How to install each backend (the setup.cfg extras; TensorFlow comes with the package).
INSTALL = {"tensorflow": "pip install -e .", "jax": "pip install -e '.[jax]' (or make install-jax)",
           "torch": "pip install -e '.[torch]' (or make install-torch)"}


def requested() -> str:
    """The backend Keras will use (or uses): ``KERAS_BACKEND`` if set, else the default."""
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    return os.environ.get("KERAS_BACKEND") or DEFAULT


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def check_backend(name: str, source: str = "--backend") -> str:
    """``name`` if it is a backend that is installed, else a :class:`UsageError` saying what to do."""
    if name not in BACKENDS:
        raise UsageError(f"{source} must be one of {', '.join(BACKENDS)}. Received: {name!r}")
    if not installed(name):
        raise UsageError(f"{source} {name}: {name} is not installed; install it with {INSTALL[name]}")
    return name


def select_backend(name: str | None, source: str = "--backend") -> str:
    """Make ``name`` Keras's backend for this process (``None`` keeps the requested one).

    Raises:
        UsageError: an unknown or missing backend, or Keras already imported on another one
            (the backend cannot change inside a process).
    """
    if name is None:
        name = requested()
        source = "KERAS_BACKEND"
    check_backend(name, source)
    if "keras" in sys.modules:
        active = requested()
        if active != name:
            raise UsageError(f"{source} {name}: Keras already runs on {active} in this process and cannot switch; "
                             f"start a new process with KERAS_BACKEND={name}")
        return name
    os.environ["KERAS_BACKEND"] = name
    return name


def describe() -> dict:
    """The backend in use, as reports record it: name, its version and Keras's."""
    import keras

    name = keras.backend.backend()  # also the name of the backend's module
    version = getattr(sys.modules.get(name) or importlib.import_module(name), "__version__", "unknown")
    return {"name": name, "version": version, "keras": keras.__version__}


def label(info: dict | None = None) -> str:
    """``"jax 0.10.2 (Keras 3.15.0)"``."""
    info = info or describe()
    return f"{info['name']} {info['version']} (Keras {info['keras']})"


def require_backend(what: str, backends: tuple[str, ...]) -> None:
    """A one-line :class:`UsageError` when ``what`` cannot run on the backend in use."""
    active = requested()
    if active not in backends:
        names = " or ".join(backends)
        raise UsageError(f"{what} runs on {names} only; this process runs Keras on {active}. "
                         f"Rerun with --backend {backends[0]} (or KERAS_BACKEND={backends[0]})")

