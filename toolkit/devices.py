"""Which device trains a model, and how many threads TensorFlow may use.

TensorFlow places Keras's work on a GPU whenever its CUDA build sees one, so using a GPU
needs no code here (``pip install -e '.[gpu]'`` brings that build on Linux). What this
module adds: a plain-words name of the device each model trained on, for the report, and
per-process thread settings, so that tasks sharing a machine (Ray workers) do not each
start one thread per core and oversubscribe it.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def configure_threads(threads: int) -> None:
    """Limit this process's TensorFlow to ``threads`` intra-op threads and one inter-op pool
    thread per two of them, before TensorFlow starts its runtime.

    A process whose runtime already runs with the same settings is left alone; one that
    runs with other settings cannot change them (TensorFlow fixes them at start-up), which
    raises :class:`RuntimeError`.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number of at least 1. Received: threads={threads!r}")
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[name] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(max(1, threads // 2))
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    for gpu in tf.config.list_physical_devices("GPU"):
        # Tasks that share a GPU must not each reserve all of its memory up front.
        tf.config.experimental.set_memory_growth(gpu, True)


@lru_cache(maxsize=1)
def gpus() -> tuple[str, ...]:
    """Names of the GPUs TensorFlow sees in this process (empty on a CPU-only build)."""
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except (ValueError, RuntimeError):
            details = {}
        names.append(details.get("device_name") or gpu.name)
    return tuple(names)


def training_device() -> str:
    """Where Keras trains in this process, e.g. ``"GPU 0 (NVIDIA H100 80GB HBM3) on node-3"`` or
    ``"CPU, 2 threads, on laptop"``."""
    host = socket.gethostname()
    found = gpus()
    if found:
        return f"GPU 0 ({found[0]}) on {host}" + (f", {len(found)} GPUs visible" if len(found) > 1 else "")
    import tensorflow as tf

    threads = tf.config.threading.get_intra_op_parallelism_threads() or available_cores()
    return f"CPU, {threads} thread{'s' if threads != 1 else ''}, on {host}"


def gpu_hint() -> str:
    """A line to show when this machine has an NVIDIA GPU that TensorFlow does not use
    (a CPU-only build installed), else an empty string."""
    if not Path("/proc/driver/nvidia/version").exists() or gpus():
        return ""
    return ("this machine has an NVIDIA GPU but TensorFlow sees none (a CPU-only build); "
            "make install-gpu (pip install -e '.[gpu]') installs the CUDA build")
