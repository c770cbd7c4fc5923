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

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from toolkit.data import bundled as bundled_data
from toolkit.data.cache import PriceCache
from toolkit.data.csvfile import read_price_csv
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
        date_column: Date column of a CSV. Defaults to one named like a date.
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
    max_age_hours: float = 12.0
    timeout: float = 10.0

    def dates(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """Parsed start and end; a :class:`UsageError` when unparsable or reversed."""
        parsed = []
        for flag, text in (("--start", self.start), ("--end", self.end)):
            if text is None:
                parsed.append(None)
                continue
            try:
                parsed.append(pd.Timestamp(text).normalize())
            except (ValueError, TypeError):
                raise UsageError(f"{flag} {text!r} is not a date; use YYYY-MM-DD") from None
        start, end = parsed
        if start is not None and end is not None and end < start:
            raise UsageError(
                f"--end {end.date()} is before --start {start.date()}; swap them"
            )
        return start, end


def _check_ticker(ticker: str) -> str:
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
    start, end = request.dates()
    if request.csv is not None:
        path = Path(request.csv)
        raw, column = read_price_csv(
            path, date_column=request.date_column, price_column=request.price_column
        )
        provenance = Provenance(
            source="csv", name=path.name, detail=f"user CSV {path}", adjustment="as given in the file"
        )
        return validate_prices(raw, column, provenance, start=start, end=end)

    ticker = _check_ticker(request.ticker or bundled_data.DEFAULT_TICKER)
    cache = PriceCache(request.cache_dir)
    cached = cache.read(ticker, start, end)
    now = now or datetime.now(timezone.utc)

    def from_cache(note: str) -> PriceFrame:
        provenance = Provenance(
            source="cache", name=ticker, detail=f"parquet cache {cached.path}",
            fetched_at=cached.fetched_at, adjustment=cached.adjustment, note=note,
        )
        return validate_prices(
            cached.frame, _default_target(cached.frame, request.price_column), provenance,
            start=start, end=end,
        )

    if cached is not None:
        complete = end is not None and datetime.fromisoformat(cached.fetched_at).date() > end.date()
        age = cached.age_hours(now)
        if complete or age < request.max_age_hours:
            why = "the requested range had ended when it was fetched" if complete else (
                f"fetched {age:.1f} h ago, refreshed after {request.max_age_hours:g} h")
            return from_cache(f"served from cache: {why}")

    if request.offline:
        network_note = "network not tried (--offline)"
    else:
        try:
            # Without --start, the last NETWORK_YEARS years: ^GSPC's full history since 1927
            # would make the default run five times longer for no better forecast.
            fetch_start = start if start is not None else (
                (end or pd.Timestamp(now.date())) - pd.DateOffset(years=NETWORK_YEARS))
            raw, fetched_at = fetcher(ticker, fetch_start, end, timeout=request.timeout)
        except NetworkUnavailable as err:
            network_note = f"Yahoo Finance unreachable ({err})"
        else:
            note = ""
            try:
                cache.write(ticker, start, end, raw, fetched_at=fetched_at, adjustment=YAHOO_ADJUSTMENT)
            except (OSError, UsageError) as err:
                note = f"not cached: {err}"
            provenance = Provenance(
                source="network", name=ticker, detail="Yahoo Finance via yfinance",
                fetched_at=fetched_at, adjustment=YAHOO_ADJUSTMENT, note=note,
            )
            return validate_prices(raw, _default_target(raw, request.price_column), provenance,
                                   start=start, end=end)

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
        )
        return validate_prices(raw, _default_target(raw, request.price_column), provenance,
                               start=start, end=end)

    raise DataError(
        f"no prices for {ticker}: {network_note}, and it is neither cached in {cache.root} nor "
        f"bundled (bundled: {', '.join(bundled_data.BUNDLED)}); connect to the internet, "
        "pass --csv PATH, or use a bundled ticker"
    )
