"""Atomic output: a run's files appear all at once under their final name, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from toolkit.atomic import OWNER_FILE, atomic_write, publish_mode, remove_stale
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


def _reserve(out_dir: Path, stem: str) -> tuple[Path, Path]:
    """Claim ``<stem>-<UTC time>[-N]`` for this process: a reservation file created
    exclusively (``O_EXCL``), so concurrent runs never pick the same name."""
    base = f"{stem}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"
    for counter in range(1, 10_000):
        name = base if counter == 1 else f"{base}-{counter}"
        final, claim = out_dir / name, out_dir / f".tmp-{name}.reserved"  # one claim file per name
        if final.exists():
            continue
        try:
            handle = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(handle, "w") as file:
            file.write(f"{os.getpid()}\n")  # the owner, for the clean-up of a killed run's claim
        if final.exists():  # made by something that does not reserve: leave it alone
            claim.unlink(missing_ok=True)
            continue
        return final, claim
    raise UsageError(f"cannot find a free report folder name for {base} in {out_dir}; clean the folder")


@contextmanager
def run_folder(out_dir: str | Path, stem: str):
    """Yield ``(staging, final)``: write a run's files into ``staging``; on success it is
    renamed to ``final`` = ``<out_dir>/<stem>-<UTC time>`` (numbered when taken), atomically.

    The name is reserved before any work, so any number of concurrent runs into one folder
    all land. A run that fails, or is interrupted (Ctrl-C, SIGTERM), leaves nothing behind;
    one killed outright (SIGKILL) leaves a hidden staging folder that the next run removes
    once it is older than five minutes and its process is gone.
    """
    out_dir = Path(out_dir)
    remove_stale(out_dir)
    final, claim = _reserve(out_dir, stem)
    try:
        staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".tmp-{final.name}-"))
        (staging / OWNER_FILE).write_text(f"{os.getpid()}\n")
        try:
            yield staging, final
            (staging / OWNER_FILE).unlink()
            publish_mode(staging, directory=True)
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        claim.unlink(missing_ok=True)
