"""Atomic output: a run's files appear all at once under their final name, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from toolkit.atomic import atomic_write
from toolkit.errors import UsageError


def ensure_writable_dir(path: str | Path, flag: str = "--out") -> Path:
    """Create ``path`` if needed and prove it takes files; a one-line error otherwise."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise UsageError(
            f"cannot write to output folder {str(path)!r} ({err.strerror or err}); "
            f"choose a writable folder with {flag}"
        ) from None
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def new_run_folder(out_dir: Path, stem: str) -> Path:
    """``<out_dir>/<stem>-<UTC timestamp>``, numbered when that name is taken (not created)."""
    base = f"{stem}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"
    final, counter = out_dir / base, 1
    while final.exists():
        counter += 1
        final = out_dir / f"{base}-{counter}"
    return final


def to_jsonable(value):
    """Plain JSON data from nested dicts, lists, NumPy arrays and scalars (nan -> null)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


@contextmanager
def staged_directory(final: str | Path):
    """Yield a hidden temporary folder beside ``final``; rename it to ``final`` on success.

    A run that fails half-way leaves nothing behind, and a reader never sees a report
    folder without its models or metrics.
    """
    final = Path(final)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".tmp-{final.name}-"))
    try:
        yield staging
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
