"""The checked price frame every downstream step trusts.

Raw frames from any source go through :func:`validate_prices` once. The rules, which the
report quotes through :class:`CleaningReport`:

* the index becomes a sorted, unique, timezone-naive ``DatetimeIndex`` of dates; for a
  repeated date the last row wins;
* columns are coerced to ``float64``; a target column with text in it is an error, other
  non-numeric columns are dropped;
* rows before the first valid target value are dropped; later missing target values are
  forward-filled from the previous trading day (uses only the past, so it cannot leak);
* prices must be finite, within float32 (what the networks compute in), positive (returns
  and MAPE need it), and not all equal (a constant series has nothing to forecast); the
  first offending row is named;
* missing business days (holidays, halts) are counted, not filled: the models treat
  consecutive rows as consecutive steps, as the lectures do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from toolkit.errors import DataError

SOURCES = ("network", "cache", "bundled", "csv")
FLOAT32_MAX = float(np.finfo(np.float32).max)  # the networks compute in float32


@dataclass(frozen=True)
class Provenance:
    """Where a price series came from.

    Attributes:
        source: One of ``"network"``, ``"cache"``, ``"bundled"`` or ``"csv"``.
        name: The ticker, or the CSV file name.
        detail: A sentence for people: which service, file or cache entry.
        fetched_at: ISO-8601 UTC time the data left its origin, when known.
        adjustment: How prices are adjusted for splits and dividends.
        note: Why this source served (e.g. the network error), empty when unremarkable.
        dates: How the dates were read (a CSV's column and order; a service's own dates).
    """

    source: str
    name: str
    detail: str
    fetched_at: str | None = None
    adjustment: str = "unknown"
    note: str = ""
    dates: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CleaningReport:
    """What :func:`validate_prices` changed, for the report."""

    rows_received: int
    duplicate_dates_dropped: int
    leading_missing_dropped: int
    missing_filled: int
    columns_dropped: tuple[str, ...]
    rows_outside_range: int
    business_days_missing: int
    largest_gap_days: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PriceFrame:
    """A validated daily price frame.

    Attributes:
        frame: Rows by date (sorted, unique ``DatetimeIndex``), ``float64`` columns.
        target: The column models forecast.
        provenance: Where the data came from.
        cleaning: What validation changed.
    """

    frame: pd.DataFrame
    target: str
    provenance: Provenance
    cleaning: CleaningReport

    @property
    def prices(self) -> pd.Series:
        return self.frame[self.target]

    @property
    def dates(self) -> pd.DatetimeIndex:
        return self.frame.index

    def __len__(self) -> int:
        return len(self.frame)


def _to_date_index(index: pd.Index, name: str) -> pd.DatetimeIndex:
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(index))
    except (ValueError, TypeError) as err:
        raise DataError(
            f"{name}: the dates could not be parsed ({err}); give dates like 2020-01-31"
        ) from None
    if dates.tz is not None:
        # Exchange-local dates: drop the zone rather than convert, so a close stays on its day.
        dates = dates.tz_localize(None)
    if dates.hasnans:
        raise DataError(f"{name}: {int(dates.isna().sum())} rows have no date; remove them")
    return dates.normalize()


def validate_prices(
    raw: pd.DataFrame,
    target: str,
    provenance: Provenance,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> PriceFrame:
    """Validate a raw frame indexed by date into a :class:`PriceFrame`.

    Args:
        raw: Frame indexed by dates (strings, datetimes, any time zone).
        target: Column to forecast; must be present and numeric.
        provenance: Where ``raw`` came from.
        start: First date to keep (inclusive). Defaults to the first row.
        end: Last date to keep (inclusive). Defaults to the last row.

    Returns:
        The checked frame.

    Raises:
        DataError: When the target column is missing, holds text or non-positive prices, or
            fewer than two rows remain.
    """
    name = provenance.name
    if target not in raw.columns:
        raise DataError(
            f"{name}: no price column {target!r}; columns are {list(map(str, raw.columns))}. "
            "Name the price column with --price-column"
        )
    frame = raw.copy()
    frame.index = _to_date_index(frame.index, name)
    frame.index.name = "Date"
    rows_received = len(frame)

    duplicated = frame.index.duplicated(keep="last")
    frame = frame[~duplicated].sort_index()

    numeric = frame.apply(pd.to_numeric, errors="coerce")
    target_text = numeric[target].isna() & frame[target].notna()
    if target_text.any():
        first = target_text.idxmax()
        raise DataError(
            f"{name}: price column {target!r} holds non-numeric values "
            f"(e.g. {frame.loc[first, target]!r} on {first.date()}); fix or remove those rows"
        )
    fully_text = [c for c in frame.columns if numeric[c].isna().all() and frame[c].notna().any()]
    frame = numeric.drop(columns=fully_text).astype("float64")

    start_ts = pd.Timestamp(start) if start is not None else None
    end_ts = pd.Timestamp(end) if end is not None else None
    in_range = np.ones(len(frame), dtype=bool)
    if start_ts is not None:
        in_range &= frame.index >= start_ts
    if end_ts is not None:
        in_range &= frame.index <= end_ts
    rows_outside = int((~in_range).sum())
    frame = frame[in_range]

    valid = frame[target].notna().to_numpy()
    leading = int(np.argmax(valid)) if valid.any() else len(frame)
    frame = frame.iloc[leading:]
    missing = int(frame[target].isna().sum())
    frame = frame.ffill()

    if len(frame) < 2:
        raise DataError(
            f"{name}: only {len(frame)} usable rows"
            + (f" between {start_ts.date() if start_ts is not None else 'start'} and "
               f"{end_ts.date() if end_ts is not None else 'end'}" if rows_outside else "")
            + "; give a longer date range or more data"
        )
    values = frame[target].to_numpy()
    bad = ~np.isfinite(values) | (np.abs(values) > FLOAT32_MAX)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{name}: price {float(values[row])!r} on {frame.index[row].date()} is not a finite number the models can "
            f"hold (float32 reaches {FLOAT32_MAX:.3g}); fix or remove that row"
        )
    nonpositive = frame[target] <= 0
    if nonpositive.any():
        first = nonpositive.idxmax()
        raise DataError(
            f"{name}: prices must be positive, got {frame.loc[first, target]} on {first.date()}; "
            "check the price column"
        )

    if np.ptp(values) == 0:
        raise DataError(
            f"{name}: the price never changes ({values[0]:g} on all {len(values)} rows); there is nothing to "
            "forecast and every scaled metric would divide by zero. Check the price column or the date range"
        )
    business_days = pd.bdate_range(frame.index[0], frame.index[-1])
    gaps = np.diff(frame.index.to_numpy()).astype("timedelta64[D]").astype(int)
    cleaning = CleaningReport(
        rows_received=rows_received,
        duplicate_dates_dropped=int(duplicated.sum()),
        leading_missing_dropped=leading,
        missing_filled=missing,
        columns_dropped=tuple(map(str, fully_text)),
        rows_outside_range=rows_outside,
        business_days_missing=int(len(business_days.difference(frame.index))),
        largest_gap_days=int(gaps.max()) if len(gaps) else 0,
    )
    return PriceFrame(frame=frame, target=target, provenance=provenance, cleaning=cleaning)
