"""Which device trains a model, and how many threads the Keras backend may use.

TensorFlow, JAX and PyTorch each place Keras's work on a GPU when their CUDA build sees one,
so using a GPU needs no code here (``pip install -e '.[gpu]'`` brings TensorFlow's on Linux).
What this module adds: a plain-words name of the device each model trained on, for the
report, and per-process thread settings, so that tasks sharing a machine (Ray workers) do
not each start one thread per core and oversubscribe it.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path


def _backend() -> str:
    from toolkit.backend import requested

    return requested()


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def configure_threads(threads: int) -> None:
    """Limit this process's Keras backend to ``threads`` compute threads (TensorFlow: that
    many intra-op threads and one inter-op thread per two), before its runtime starts.

    A TensorFlow runtime already running with other settings cannot change them (they are
    fixed at start-up), which raises :class:`RuntimeError`. JAX reads its XLA flags when it
    is first imported; PyTorch changes at once.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number of at least 1. Received: threads={threads!r}")
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[name] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(max(1, threads // 2))
    backend = _backend()
    if backend == "jax":
        if threads == 1:  # XLA's CPU client has no thread-count flag; one thread is Eigen's off switch
            flags = os.environ.get("XLA_FLAGS", "")
            if "xla_cpu_multi_thread_eigen" not in flags:
                os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
        return
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        return
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    for gpu in tf.config.list_physical_devices("GPU"):
        # Tasks that share a GPU must not each reserve all of its memory up front.
        tf.config.experimental.set_memory_growth(gpu, True)


@lru_cache(maxsize=1)
def gpus() -> tuple[str, ...]:
    """Names of the GPUs the Keras backend sees in this process (empty on a CPU-only build)."""
    backend = _backend()
    if backend == "jax":
        import jax

        try:
            return tuple(device.device_kind for device in jax.devices("gpu"))
        except RuntimeError:  # no GPU platform in this jaxlib
            return ()
    if backend == "torch":
        import torch

        return tuple(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except (ValueError, RuntimeError):
            details = {}
        names.append(details.get("device_name") or gpu.name)
    return tuple(names)


def _cpu_threads() -> int:
    backend = _backend()
    if backend == "torch":
        import torch

        return torch.get_num_threads()
    if backend == "jax":
        return 1 if "xla_cpu_multi_thread_eigen=false" in os.environ.get("XLA_FLAGS", "") else available_cores()
    import tensorflow as tf

    # 0 means "not set through tf.config": TF_NUM_INTRAOP_THREADS, else one per core
    return (tf.config.threading.get_intra_op_parallelism_threads()
            or _whole(os.environ.get("TF_NUM_INTRAOP_THREADS")) or available_cores())


def _whole(text) -> int:
    try:
        return max(int(text), 0)
    except (TypeError, ValueError):
        return 0


def training_device() -> str:
    """Where Keras trains in this process, e.g. ``"GPU 0 (NVIDIA H100 80GB HBM3) on node-3"`` or
    ``"CPU, 2 threads, on laptop"``."""
    host = socket.gethostname()
    found = gpus()
    if found:
        return f"GPU 0 ({found[0]}) on {host}" + (f", {len(found)} GPUs visible" if len(found) > 1 else "")
    threads = _cpu_threads()
    return f"CPU, {threads} thread{'s' if threads != 1 else ''}, on {host}"


def gpu_hint() -> str:
    """A line to show when this machine has an NVIDIA GPU that the Keras backend does not
    use (a CPU-only build installed), else an empty string."""
    if not Path("/proc/driver/nvidia/version").exists() or gpus():
        return ""
    backend = _backend()
    if backend != "tensorflow":
        return (f"this machine has an NVIDIA GPU but {backend} sees none (a CPU-only build); "
                f"install {backend}'s CUDA build to train on it")
    return ("this machine has an NVIDIA GPU but TensorFlow sees none (a CPU-only build); "
            "make install-gpu (pip install -e '.[gpu]') installs the CUDA build")


#: What the reports say about running the same seed elsewhere (``bench/README.md``, "Same seed,
#: same numbers", has the measurements).
REPRODUCIBILITY = (
    "On a CPU, a rerun on this machine gives the same numbers, bit for bit. Another machine gives them too when its "
    "library versions, Keras backend, thread count and CPU instruction set (the numerics row) are the same: "
    "TensorFlow's oneDNN and JAX's XLA pick their CPU kernels by instruction set, and larger matrix products split "
    "their sums by thread, so a Ray task (one thread unless --cpus-per-task says more) can differ from a local run "
    "in the last digits at large sizes. Where one of these differs, networks' numbers differ in their last digits "
    "and training can carry that further (early stopping may keep another epoch): the forecast's default LSTM "
    "scored a test MAE of 13.08 on one machine and 13.11 on another. Statistical fits (statsforecast, arch) depend "
    "on NumPy's BLAS threads only in their last digits. A GPU's numbers were not checked for bit-for-bit reruns. "
    "TF_NUM_INTRAOP_THREADS sets TensorFlow's thread count to match another machine's.")


def instruction_set() -> str:
    """The widest x86 vector extension of this CPU (``"AVX-512"``, ``"AVX2"``, ``"AVX"``): what
    TensorFlow's oneDNN and JAX's XLA choose their CPU kernels by. Elsewhere the architecture."""
    import platform

    try:
        with open("/proc/cpuinfo") as info:
            flags = next(line for line in info if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return platform.machine() or "unknown"
    return next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")) if flag in flags),
                platform.machine() or "unknown")


def numerics() -> str:
    """What a seeded run's numbers depend on besides the library versions, in words, e.g.
    ``"CPU, 2 threads, AVX-512, oneDNN on"`` (a GPU run names its GPU instead)."""
    device = training_device().split(", on ")[0]
    if device.startswith("GPU"):
        return device
    parts = [device, instruction_set()]
    if _backend() == "tensorflow":
        parts.append("oneDNN off" if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0" else "oneDNN on")
    return ", ".join(parts)
