"""On-disk parquet cache of fetched prices, with provenance kept in the file itself.

Every entry carries a SHA-256 checksum of its data, the ticker and the fetch time. A read
verifies all three; an entry that fails (damaged file, checksum mismatch, unreadable or
future fetch time, another ticker's data) is moved aside as ``<name>.rejected-<UTC time>``
and reported as a :class:`CacheProblem`, never used.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from toolkit.atomic import atomic_write, remove_stale
from toolkit.errors import UsageError

CACHE_ENV = "TOOLKIT_CACHE_DIR"
CLOCK_SKEW = timedelta(minutes=5)


class CacheProblem(Exception):
    """A cache entry that cannot be trusted; ``str()`` is one line for the user."""


def data_checksum(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's dates, column names and values (not of the file's bytes, which
    depend on the parquet writer)."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


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

    def read(self, ticker, start, end, now: datetime | None = None) -> CachedPrices | None:
        """The verified entry, None when there is none.

        Raises:
            CacheProblem: The entry exists but cannot be trusted; it has been moved aside.
        """
        path = self.path_for(ticker, start, end)
        if not path.is_file():
            return None
        try:
            entry = self._verified(path, ticker, now or datetime.now(timezone.utc))
        except CacheProblem as problem:
            aside = path.with_name(f"{path.name}.rejected-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}")
            try:
                os.replace(path, aside)
                where = f"moved aside to {aside.name}"
            except OSError as err:
                where = f"could not be moved aside ({err.strerror})"
            raise CacheProblem(f"cache entry {path.name} not used: {problem}; {where}") from None
        return entry

    @staticmethod
    def _verified(path: Path, ticker: str, now: datetime) -> CachedPrices:
        try:
            frame = pd.read_parquet(path)
        except Exception as err:  # noqa: BLE001 - pyarrow raises many types for a damaged file
            raise CacheProblem(f"the file is damaged ({type(err).__name__})") from None
        attrs = dict(frame.attrs)
        frame.attrs = {}
        stored = attrs.get("sha256")
        if stored != data_checksum(frame):
            raise CacheProblem("its data does not match its checksum" if stored else "it carries no checksum")
        if str(attrs.get("ticker", "")).upper() != ticker.upper():
            raise CacheProblem(f"it holds {attrs.get('ticker')!r}, not {ticker!r}")
        fetched_at = str(attrs.get("fetched_at", ""))
        try:
            fetched = datetime.fromisoformat(fetched_at)
        except ValueError:
            raise CacheProblem(f"its fetch time {fetched_at!r} is not an ISO-8601 time") from None
        if fetched.tzinfo is None:
            raise CacheProblem(f"its fetch time {fetched_at!r} has no time zone")
        if fetched > now + CLOCK_SKEW:
            raise CacheProblem(f"its fetch time {fetched_at} is in the future")
        return CachedPrices(frame=frame, fetched_at=fetched_at, adjustment=attrs.get("adjustment", "unknown"),
                            path=path)

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
        remove_stale(self.root)  # temporary files of writers killed mid-write
        stored = frame.copy()
        stored.attrs = {"source": "yahoo", "ticker": ticker, "fetched_at": fetched_at,
                        "adjustment": adjustment, "sha256": data_checksum(stored)}
        return atomic_write(path, stored.to_parquet)
