"""toolkit: Keras 3 builders, leak-free pipelines and honest reports for finance and science.

Importing the package is cheap: TensorFlow loads only when a builder, training or a run
needs it. The environment default below keeps TensorFlow's start-up quiet (set it yourself
before importing to override). TensorFlow's oneDNN kernels stay on, as TensorFlow ships them:
they train the stacked LSTM about 15% faster on a CPU than its Eigen kernels, and a seeded
run repeats bit for bit on the same machine with either (``bench/README.md``, "Same seed,
same numbers"). On TensorFlow, Keras' pipeline for array inputs runs without
tf.data autotuning, whose iterators stalled seconds at epoch boundaries
(:mod:`toolkit.input_pipelines`; ``TOOLKIT_TF_DATA_AUTOTUNE=1`` keeps it), and a new model's
optimizer is built before its training step is traced, which is then traced once instead of
twice (Keras' own training step and the toolkit's models, without compiled metrics:
:mod:`toolkit.single_trace`; ``TOOLKIT_TF_LAZY_OPTIMIZER=1`` keeps Keras' lazy build).

Saved toolkit models (``.keras`` files of custom layers and models) load with plain
``keras.models.load_model`` once ``toolkit`` is imported, before or after Keras: the
toolkit's serialisable classes are registered as soon as Keras itself is imported.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import sys

# TensorFlow's C++ log lines below FATAL stay hidden: they are not the run's errors (with
# oneDNN on, a DDPM's training printed "E0000 ... oneDNN supports DT_INT32 only on platforms
# with AVX-512" on an AVX-512 machine); the toolkit reports its own failures in one line.
# TF_CPP_MIN_LOG_LEVEL=2 shows TensorFlow's errors again, 0 everything.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"

from toolkit.errors import DataError, ToolkitError, UsageError  # noqa: E402

__all__ = ["DataError", "ToolkitError", "UsageError", "__version__"]


def _switched_on(name: str) -> bool:
    """Whether the environment variable ``name`` says yes (``1``, ``true``, ``yes`` or ``on``):
    the switches that keep Keras' own behaviour where the toolkit changes it."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _register_with_keras() -> None:
    import toolkit.builders  # noqa: F401 - importing the builders registers every custom class
    from toolkit.input_pipelines import steady_array_pipelines
    from toolkit.single_trace import build_optimizer_before_tracing

    steady_array_pipelines()
    build_optimizer_before_tracing()


class _OnLoad(importlib.abc.MetaPathFinder):
    """Runs a module's loading through ``around(load)`` the first time it is imported.

    It stays in place until the module actually loads: a mere ``importlib.util.find_spec``
    (is it installed?) does not use it up.
    """

    def __init__(self, name: str, around):
        self.name, self.around, self._finding = name, around, False

    def find_spec(self, name, path=None, target=None):
        if name != self.name or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            self.around(lambda: execute(module))

        spec.loader.exec_module = exec_module
        return spec


def _keras_then_register(load) -> None:
    """``import keras``, then :func:`_register_with_keras`: so that ``import toolkit`` stays free
    of TensorFlow until Keras is wanted anyway."""
    load()
    _register_with_keras()


#: What TensorFlow writes to stderr as it loads with oneDNN on, before its logging starts (so
#: TF_CPP_MIN_LOG_LEVEL cannot hide it): two lines, twice.
_ONEDNN_BANNER = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
                  "oneDNN custom operations are on.")


_FILTER = """
import sys
banners = [b.encode() for b in sys.argv[1:]]
out = sys.stderr.buffer
for line in sys.stdin.buffer:
    if not any(banner in line for banner in banners):
        out.write(line)
        out.flush()
"""


@contextlib.contextmanager
def _without_onednn_banner():
    """While TensorFlow loads, pass what the process writes to stderr on as it comes, line by
    line, without TensorFlow's oneDNN banner: a one-line error stays one line. The filter is
    a small process of its own, so a fatal message (an unsupported CPU, a broken CUDA set-up)
    still reaches the terminal when TensorFlow aborts the process right after writing it."""
    import subprocess

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no file descriptor 2 to borrow
        yield
        return
    try:
        lines = subprocess.Popen([sys.executable, "-I", "-S", "-c", _FILTER, *_ONEDNN_BANNER],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=saved)
    except OSError:
        os.close(saved)
        yield
        return
    os.dup2(lines.stdin.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        lines.stdin.close()  # the filter reads to the end, passes the rest on and exits
        try:
            lines.wait(timeout=10)
        except subprocess.TimeoutExpired:
            lines.kill()


#: Called once TensorFlow has loaded: :func:`toolkit.training.set_seed` seeds it there on the
#: other backends, which do not load it themselves.
_when_tensorflow_loads: list = []


def _tensorflow_without_banner(load) -> None:
    """Loads TensorFlow inside :func:`_without_onednn_banner`, unless TF_CPP_MIN_LOG_LEVEL=0 asks
    for every message; then runs :data:`_when_tensorflow_loads`."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        load()
    else:
        with _without_onednn_banner():
            load()
    for action in _when_tensorflow_loads:
        action()


def _install(name: str, around) -> None:
    if name not in sys.modules and not any(isinstance(f, _OnLoad) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _OnLoad(name, around))


if "keras" in sys.modules:
    _register_with_keras()
_install("keras", _keras_then_register)
_install("tensorflow", _tensorflow_without_banner)
