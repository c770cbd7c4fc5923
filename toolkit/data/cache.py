"""On-disk parquet cache of fetched prices, with provenance kept in the file itself."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from toolkit.atomic import atomic_write
from toolkit.errors import UsageError

CACHE_ENV = "TOOLKIT_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$TOOLKIT_CACHE_DIR``, else the git-ignored ``data/cache`` of the repository."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "data" / "cache"


@dataclass(frozen=True)
class CachedPrices:
    frame: pd.DataFrame
    fetched_at: str
    adjustment: str
    path: Path

    def age_hours(self, now: datetime | None = None) -> float:
        now = now or datetime.now(timezone.utc)
        return (now - datetime.fromisoformat(self.fetched_at)).total_seconds() / 3600


class PriceCache:
    """Parquet files, one per (ticker, start, end) request, written atomically.

    The provenance (source, fetch time, adjustment) travels inside each file as
    ``DataFrame.attrs``, which pandas stores in the parquet metadata.
    """

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    def path_for(self, ticker: str, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", ticker.upper())
        first = start.date().isoformat() if start is not None else "first"
        last = end.date().isoformat() if end is not None else "latest"
        return self.root / f"{safe}_{first}_{last}.parquet"

    def read(self, ticker, start, end) -> CachedPrices | None:
        path = self.path_for(ticker, start, end)
        if not path.is_file():
            return None
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError):
            return None  # a damaged entry is as good as none; the next fetch replaces it
        attrs = dict(frame.attrs)
        frame.attrs = {}
        return CachedPrices(
            frame=frame,
            fetched_at=attrs.get("fetched_at", "1970-01-01T00:00:00+00:00"),
            adjustment=attrs.get("adjustment", "unknown"),
            path=path,
        )

    def write(self, ticker, start, end, frame: pd.DataFrame, *, fetched_at: str, adjustment: str) -> Path:
        """Store ``frame``; readers see the old file or the new one, never half of one."""
        path = self.path_for(ticker, start, end)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UsageError(
                f"cannot create cache folder {self.root} ({err.strerror}); "
                f"choose another with --cache-dir or {CACHE_ENV}"
            ) from None
        stored = frame.copy()
        stored.attrs = {"source": "yahoo", "ticker": ticker, "fetched_at": fetched_at,
                        "adjustment": adjustment}
        return atomic_write(path, stored.to_parquet)
