"""One entry point for prices: network, then cache, then bundled data, or a user CSV.

The order, and what the report says about it:

1. ``--csv PATH``: the file, nothing else.
2. A cache entry for the same (ticker, start, end) that is fresh (younger than
   ``max_age_hours``, or fetched after the requested end date, so complete) serves directly.
3. Yahoo Finance (unless ``offline``), from ``start`` or else the last 20 years; the
   answer is cached atomically.
4. When the network fails: a stale cache entry, then the bundled series, each with the
   network error in :attr:`Provenance.note`.
5. Otherwise a :class:`DataError` that says what was tried and what to do.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from toolkit.data import bundled as bundled_data
from toolkit.data.cache import CacheProblem, PriceCache
from toolkit.data.csvfile import read_price_csv
from toolkit.data.layout import SEPARATORS
from toolkit.data.frame import PriceFrame, Provenance, validate_prices
from toolkit.data.yahoo import ADJUSTMENT as YAHOO_ADJUSTMENT
from toolkit.data.yahoo import NetworkUnavailable, fetch_yahoo
from toolkit.errors import DataError, UsageError

NETWORK_YEARS = 20
TICKER_PATTERN = re.compile(r"^\^?[A-Za-z0-9][A-Za-z0-9.=\-]{0,14}$")


@dataclass(frozen=True)
class PriceRequest:
    """What the user asked for.

    Attributes:
        ticker: Yahoo Finance symbol. Defaults to ``^GSPC`` (bundled).
        csv: A user CSV instead of a ticker.
        start: First date (inclusive), ``YYYY-MM-DD``.
        end: Last date (inclusive), ``YYYY-MM-DD``.
        offline: Skip the network.
        cache_dir: Cache folder. Defaults to ``$TOOLKIT_CACHE_DIR`` or ``data/cache``.
        price_column: Column to forecast. Defaults to ``Adj Close`` or ``Close``.
        date_column: Date column of a CSV. Defaults to one named like a date, else the
            first column holding only dates.
        date_format: ``strftime`` pattern of a CSV's dates. Defaults to detection (one
            reading for the whole column; an ambiguous day/month order is refused).
        separator: A CSV's column separator. Defaults to the one its lines agree on.
        decimal: A CSV's decimal mark (``"."`` or ``","``). Defaults to the one its numbers show.
        encoding: A CSV's text encoding. Defaults to UTF-8 (UTF-16 and UTF-8 with a
            byte-order mark are recognised).
        symbol: The ticker to read from a file or frame of several (a multi-ticker
            ``yfinance.download``). Defaults to None.
        jumps: One-day moves beyond ``max_jump``: ``"refuse"``, ``"keep"`` or ``"adjust"``
            (divide the earlier prices by each jump's ratio). Defaults to ``"refuse"``.
        max_jump: The jump threshold, an absolute one-day log return. Defaults to 0.5.
        max_age_hours: Age after which a cache entry is refreshed from the network.
        timeout: Seconds to wait for Yahoo Finance per request.
    """

    ticker: str | None = None
    csv: str | Path | None = None
    start: str | None = None
    end: str | None = None
    offline: bool = False
    cache_dir: str | Path | None = None
    price_column: str | None = None
    date_column: str | None = None
    date_format: str | None = None
    separator: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    symbol: str | None = None
    jumps: str = "refuse"
    max_jump: float = 0.5
    max_age_hours: float = 12.0
    timeout: float = 10.0

    def __post_init__(self):
        if self.separator in ("tab", "TAB", "\\t"):  # as typed on a command line or in a pipeline file
            object.__setattr__(self, "separator", "\t")

    def dates(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """Parsed start and end (a time zone is dropped: the date is what counts); a
        :class:`UsageError` when unparsable or reversed."""
        parsed = []
        for flag, text in (("--start", self.start), ("--end", self.end)):
            if text is None:
                parsed.append(None)
                continue
            try:
                stamp = pd.Timestamp(str(text))
            except (ValueError, TypeError, OverflowError):
                stamp = pd.NaT
            if pd.isna(stamp):
                raise UsageError(f"{flag} {text!r} is not a date; use YYYY-MM-DD")
            if stamp.tz is not None:
                stamp = stamp.tz_localize(None)
            parsed.append(stamp.normalize())
        start, end = parsed
        if start is not None and end is not None and end < start:
            raise UsageError(
                f"--end {end.date()} is before --start {start.date()}; swap them"
            )
        return start, end

    def validate(self) -> "PriceRequest":
        """Check every value before anything is read; raises :class:`UsageError`."""
        self.dates()
        if self.ticker is not None:
            if self.csv is not None:
                raise UsageError(f"give a ticker or --csv, not both. Received: {self.ticker!r} and --csv {self.csv}")
            check_ticker(self.ticker)
        if self.csv is not None:
            path = Path(self.csv)
            if str(self.csv).strip() == "":
                raise UsageError("--csv is empty; give the path of a CSV file")
            if path.is_dir():
                raise UsageError(f"--csv {str(path)!r} is a folder, not a file; give the path of a CSV file")
            if not path.is_file():
                raise UsageError(f"--csv {str(path)!r}: no such file; check the path")
        if self.cache_dir is not None and Path(self.cache_dir).exists() and not Path(self.cache_dir).is_dir():
            raise UsageError(f"--cache-dir {str(self.cache_dir)!r} is a file, not a folder; choose a folder")
        if self.date_format is not None and "%" not in str(self.date_format):
            raise UsageError(f"--date-format must be a strftime pattern such as %d/%m/%Y. "
                             f"Received: {self.date_format!r}")
        for flag, value in (("--price-column", self.price_column), ("--date-column", self.date_column),
                            ("--symbol", self.symbol), ("--encoding", self.encoding)):
            if value is not None and not str(value).strip():
                raise UsageError(f"{flag} is empty; give a value or leave the option out")
        if self.separator is not None and self.separator not in SEPARATORS:
            raise UsageError(f"--separator must be one of ',', ';', tab ('\\t' or 'tab') or '|'. "
                             f"Received: {self.separator!r}")
        if self.decimal is not None and self.decimal not in (".", ","):
            raise UsageError(f"--decimal must be '.' or ','. Received: {self.decimal!r}")
        for flag, value in (("--separator", self.separator), ("--decimal", self.decimal), ("--encoding", self.encoding),
                            ("--symbol", self.symbol)):
            if value is not None and self.csv is None:
                what = f"not the ticker {self.ticker}" if self.ticker else "give --csv PATH"
                raise UsageError(f"{flag} reads a CSV file ({what}); leave {flag} out for tickers")
        if self.encoding is not None:
            try:
                codecs.lookup(str(self.encoding))
            except LookupError:
                raise UsageError(f"--encoding {self.encoding!r} is not an encoding Python knows; e.g. utf-8, utf-16, "
                                 "utf-16-le, cp1252, latin-1") from None
        from toolkit.data.jumps import check_policy

        check_policy(self.jumps, self.max_jump)
        return self


def check_ticker(ticker: str) -> str:
    if not isinstance(ticker, str) or not ticker.strip():
        raise UsageError("the ticker is empty; give a Yahoo Finance symbol such as ^GSPC, or leave it out "
                         "for the bundled ^GSPC")
    if not TICKER_PATTERN.match(ticker):
        raise UsageError(
            f"ticker {ticker!r} is not a Yahoo Finance symbol (letters, digits, '.', '-', '=', "
            "an optional leading '^'); e.g. SPY, ^GSPC, BRK-B"
        )
    return ticker.upper()


def _default_target(frame: pd.DataFrame, wanted: str | None) -> str:
    if wanted:
        return wanted
    return "Adj Close" if "Adj Close" in frame.columns else "Close"


def load_prices(
    request: PriceRequest,
    *,
    fetcher: Callable | None = None,
    now: datetime | None = None,
) -> PriceFrame:
    """Resolve ``request`` into a validated :class:`PriceFrame`; see the module docstring.

    ``fetcher`` replaces :func:`fetch_yahoo` (same signature), e.g. in tests.
    """
    fetcher = fetcher or fetch_yahoo
    request.validate()
    start, end = request.dates()
    checks = dict(start=start, end=end, jumps=request.jumps, max_jump=request.max_jump)
    if request.csv is not None:
        path = Path(request.csv)
        reading = read_price_csv(
            path, date_column=request.date_column, price_column=request.price_column,
            date_format=request.date_format, separator=request.separator, decimal=request.decimal,
            encoding=request.encoding, symbol=request.symbol,
        )
        provenance = Provenance(
            source="csv", name=path.name, detail=f"user CSV {path}", adjustment="as given in the file",
            dates=reading.dates, layout=reading.layout,
        )
        return validate_prices(reading.frame, reading.price_column, provenance, unreadable=reading.unreadable,
                               dropped=reading.text_columns, **checks)

    ticker = check_ticker(request.ticker if request.ticker is not None else bundled_data.DEFAULT_TICKER)
    cache = PriceCache(request.cache_dir)
    now = now or datetime.now(timezone.utc)
    cache_note = ""
    try:
        cached = cache.read(ticker, start, end, now=now)
    except CacheProblem as problem:
        cached, cache_note = None, f"{problem}; "

    def from_cache(note: str) -> PriceFrame:
        provenance = Provenance(
            source="cache", name=ticker, detail=f"parquet cache {cached.path}",
            fetched_at=cached.fetched_at, adjustment=cached.adjustment, note=note,
            dates="exchange dates as served by Yahoo Finance (checksum verified)",
        )
        return validate_prices(cached.frame, _default_target(cached.frame, request.price_column), provenance,
                               **checks)

    if cached is not None:
        complete = end is not None and datetime.fromisoformat(cached.fetched_at).date() > end.date()
        age = cached.age_hours(now)
        if complete or age < request.max_age_hours:
            why = "the requested range had ended when it was fetched" if complete else (
                f"fetched {age:.1f} h ago, refreshed after {request.max_age_hours:g} h")
            return from_cache(f"served from cache: {why}")

    if request.offline:
        network_note = f"{cache_note}network not tried (--offline)"
    else:
        try:
            # Without --start, the last NETWORK_YEARS years: ^GSPC's full history since 1927
            # would make the default run five times longer for no better forecast.
            fetch_start = start if start is not None else (
                (end or pd.Timestamp(now.date())) - pd.DateOffset(years=NETWORK_YEARS))
            raw, fetched_at = fetcher(ticker, fetch_start, end, timeout=request.timeout)
        except NetworkUnavailable as err:
            network_note = f"{cache_note}Yahoo Finance unreachable ({err})"
        else:
            note = cache_note.rstrip("; ")
            try:
                cache.write(ticker, start, end, raw, fetched_at=fetched_at, adjustment=YAHOO_ADJUSTMENT)
            except (OSError, UsageError) as err:
                note = f"not cached: {err}"
            provenance = Provenance(
                source="network", name=ticker, detail="Yahoo Finance via yfinance",
                fetched_at=fetched_at, adjustment=YAHOO_ADJUSTMENT, note=note,
                dates="exchange dates as served by Yahoo Finance",
            )
            return validate_prices(raw, _default_target(raw, request.price_column), provenance, **checks)

    if cached is not None:
        return from_cache(f"{network_note}; serving the cached copy fetched {cached.fetched_at}")

    series = bundled_data.find_bundled(ticker)
    if series is not None:
        raw = bundled_data.read_bundled(series)
        first, last = raw.index[0], raw.index[-1]
        if (start is not None and start > last) or (end is not None and end < first):
            raise DataError(
                f"{network_note}, and the bundled {series.ticker} covers only "
                f"{first.date()} to {last.date()}; choose --start/--end inside that range"
            )
        provenance = Provenance(
            source="bundled", name=series.ticker,
            detail=f"bundled {series.title} daily OHLCV, data/{series.file} (Yahoo Finance via "
                   "the arch package's datasets; see data/README.md)",
            adjustment=bundled_data.ADJUSTMENT, note=f"{network_note}; serving bundled data",
            dates="MM/DD/YYYY as written in the bundled file (data/README.md)",
        )
        return validate_prices(raw, _default_target(raw, request.price_column), provenance, **checks)

    raise DataError(
        f"no prices for {ticker}: {network_note}, and it is neither cached in {cache.root} nor "
        f"bundled (bundled: {', '.join(bundled_data.BUNDLED)}); connect to the internet, "
        "pass --csv PATH, or use a bundled ticker"
    )
