"""Atomic output: a run's files appear all at once under their final name, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

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
    path = Path(path)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
