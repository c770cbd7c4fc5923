"""Atomic file writes shared by the edges (cache, reports): temporary file, then rename.

Temporary names start with ``.tmp-<pid>-`` (a staging folder holds an ``owner.pid`` file
instead, a name reservation its owner's pid), so what a killed process left behind can be told from what a live one is
writing, and :func:`remove_stale` clears it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

STALE_SECONDS = 300
OWNER_FILE = "owner.pid"
_PID_IN_NAME = re.compile(r"^\.tmp-(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's live process, or we cannot tell: leave its files alone
    return True


def _owner(path: Path) -> int | None:
    if path.is_dir():
        try:
            return int((path / OWNER_FILE).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
    match = _PID_IN_NAME.match(path.name)
    if match:
        return int(match.group(1))
    try:  # a small claim file holding its owner's pid
        return int(path.read_text()[:20].split()[0])
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return None


def remove_stale(folder: str | Path, older_than: float = STALE_SECONDS) -> list[str]:
    """Delete what killed processes left in ``folder``: ``.tmp-*`` files and folders older
    than ``older_than`` seconds whose owning process is gone. Returns their names."""
    removed, now = [], time.time()
    for path in Path(folder).glob(".tmp-*"):
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        owner = _owner(path)
        if age <= older_than or (owner is not None and _alive(owner)):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish_mode(path: str | Path, directory: bool = False) -> None:
    """Give a temporary file (0600) or folder (0700) the mode an ordinary one would have, so
    reports and cache entries are as readable as the user's other files."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Readers see the old file or the new one, never half of one; a failed write leaves
    no temporary file behind.
    """
    path = Path(path)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{os.getpid()}-", suffix=path.suffix)
    os.close(handle)
    try:
        write(Path(tmp))
        publish_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
