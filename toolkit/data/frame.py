"""The checked price frame every downstream step trusts.

Raw frames from any source go through :func:`validate_prices` once. The rules, which the
report quotes through :class:`CleaningReport`:

* a frame of several tickers (two-level columns, as ``yfinance.download`` returns) gives the
  one ``symbol`` names; of one ticker, its fields;
* the index becomes a sorted, unique, timezone-naive ``DatetimeIndex`` of dates; an index of
  text is read by the CSV reader's date rules (an ambiguous day/month order is refused); a
  row repeated exactly is dropped; for a date repeated with different values the last row
  wins and the notes say how many, and many such dates are refused (intraday rows without
  their times); several rows a day at different times (intraday data) become one row a
  day: the last price, the first open, the day's high and low, the summed volume, and the
  report says so (:mod:`toolkit.data.rows`);
* columns are coerced to ``float64``; a target column with text in it is an error, other
  non-numeric columns are dropped; a cell of another column that is not a number becomes
  missing and is counted;
* rows before the first valid target value are dropped and counted (the notes name another
  price column that has values there); later missing values are forward-filled from the
  previous trading day (uses only the past, so it cannot leak) and counted per column; a
  target with more than 5% of its values filled is refused, as a feature column is;
* prices must be finite, within float32 (what the networks compute in), positive (returns
  and MAPE need it), and not all equal (a constant series has nothing to forecast); the
  first offending row is named;
* missing business days (holidays, halts) are counted, not filled: the models treat
  consecutive rows as consecutive steps, as the lectures do;
* one-day moves beyond ``max_jump`` (an unadjusted split, a pence-to-pounds switch) are
  refused with their dates and likely cause, kept, or adjusted away, as ``jumps`` says
  (:mod:`toolkit.data.jumps`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from toolkit.data import jumps as jump_rules
from toolkit.data.rows import daily, drop_repeats, single_ticker, to_timestamps
from toolkit.errors import DataError

SOURCES = ("network", "cache", "bundled", "csv")
FLOAT32_MAX = float(np.finfo(np.float32).max)  # the networks compute in float32
MOST_FILLED = 0.05  # a target or feature column with more values carried forward is refused


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
        layout: How a file is written (separator, encoding, header, number convention).
    """

    source: str
    name: str
    detail: str
    fetched_at: str | None = None
    adjustment: str = "unknown"
    note: str = ""
    dates: str = ""
    layout: str = ""

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
    filled: dict = field(default_factory=dict)
    unreadable: dict = field(default_factory=dict)
    intraday: str = ""
    jumps: tuple = ()
    jump_policy: str = "refuse"
    dates: str = ""
    repeated_rows_dropped: int = 0
    conflicting_dates: int = 0
    conflicting_rows: int = 0
    leading_alternative: str = ""

    def as_dict(self) -> dict:
        return {**asdict(self), "jumps": [j.as_dict() for j in self.jumps]}

    def describe_columns(self) -> str:
        """Per column, the values carried forward and the cells that were not numbers, in words."""
        parts = [f"{name} {count} filled" + (f" ({self.unreadable[name]} of them not numbers)"
                                             if (self.unreadable or {}).get(name) else "")
                 for name, count in (self.filled or {}).items() if count]
        return ", ".join(parts) or "none"


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

    def notes(self) -> list[str]:
        """What reading and cleaning did, a line each, for the console (empty when nothing was
        remarkable)."""
        c, p = self.cleaning, self.provenance
        lines = [f"file: {p.layout}"] if p.layout else []
        if c.dates:
            lines.append(f"dates: {c.dates}")
        if c.repeated_rows_dropped:
            lines.append(f"{c.repeated_rows_dropped} repeated row(s) (same date, same values) dropped")
        if c.conflicting_dates:
            times = "twice" if c.conflicting_rows <= 2 else "more than once"
            lines.append(f"{c.conflicting_dates} date(s) appeared {times} with different values; the last row of "
                         "each was kept")
        if c.leading_missing_dropped:
            target = self.target
            line = f"{c.leading_missing_dropped} leading row(s) without a {target!r} price dropped"
            if c.leading_alternative:
                alt = c.leading_alternative
                line += (f"; column {alt!r} has prices there: --price-column "
                         f"{alt if alt.isidentifier() else repr(alt)} would keep them")
            lines.append(line)
        if c.intraday:
            lines.append(f"intraday: {c.intraday}")
        if any(c.filled.values()):
            lines.append(f"missing or unreadable values carried forward from the previous row: {c.describe_columns()}")
        if c.jumps:
            verb = {"keep": "kept as they are", "adjust": "adjusted away (earlier prices divided by the ratio)"}[
                c.jump_policy]
            lines.append(f"{len(c.jumps)} one-day jump(s) {verb}: " + "; ".join(j.describe() for j in c.jumps))
        return lines

    def check_feature_columns(self, columns: dict[str, str], most_filled: float = MOST_FILLED) -> None:
        """Refuse a feature whose column holds values that are not numbers, or had more than
        ``most_filled`` of its values carried forward (missing): it would teach the models a
        flat line.

        Args:
            columns: Feature name -> column name.
            most_filled: The largest share allowed. Defaults to 5%.
        """
        for feature, column in columns.items():
            count = self.cleaning.filled.get(column, 0)
            unreadable = self.cleaning.unreadable.get(column, 0)
            if unreadable:
                raise DataError(f"{self.provenance.name}: feature {feature!r} reads column {column!r}, which holds "
                                f"{unreadable:,} value(s) that are not numbers in the file's convention; fix them, or "
                                f"leave {feature!r} out of --features")
            if count > most_filled * len(self.frame):
                raise DataError(
                    f"{self.provenance.name}: feature {feature!r} would be {count:,} of {len(self.frame):,} values "
                    f"({100 * count / len(self.frame):.0f}%) carried forward in column {column!r} (missing in the "
                    f"data); fix the column, or leave {feature!r} out of --features")


PRICE_LIKE = ("open", "high", "low", "close", "adj close")
PREFERRED_ALTERNATIVES = ("close", "adj close", "price", "last", "close/last")


def _alternative(leading: pd.DataFrame, target: str) -> str:
    """A price column other than the target with values in the leading rows the target lacks."""
    if leading.empty:
        return ""
    names = {str(c).strip().lower(): c for c in leading.columns if c != target and leading[c].notna().any()}
    return next((names[n] for n in PREFERRED_ALTERNATIVES if n in names), "")


def validate_prices(
    raw: pd.DataFrame,
    target: str,
    provenance: Provenance,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    symbol: str | None = None,
    jumps: str = "refuse",
    max_jump: float = jump_rules.MAX_JUMP,
    unreadable: dict[str, int] | None = None,
    dropped: tuple[str, ...] = (),
) -> PriceFrame:
    """Validate a raw frame indexed by date into a :class:`PriceFrame`.

    Args:
        raw: Frame indexed by dates (strings, datetimes, any time zone); two-level columns
            (field, ticker) as ``yfinance.download`` returns them are read for one ticker.
        target: Column to forecast; must be present and numeric.
        provenance: Where ``raw`` came from.
        start: First date to keep (inclusive). Defaults to the first row.
        end: Last date to keep (inclusive). Defaults to the last row.
        symbol: The ticker of a frame of several. Defaults to None (the only one).
        jumps: One-day moves beyond ``max_jump``: ``"refuse"`` them, ``"keep"`` them, or
            ``"adjust"`` the earlier prices by each one's ratio. Defaults to ``"refuse"``.
        max_jump: The threshold, an absolute one-day log return. Defaults to 0.5.
        unreadable: Cells per column a reader could not read as numbers (already missing in
            ``raw``), to count with the rest. Defaults to None.
        dropped: Columns a reader left out as text, for the report. Defaults to ().

    Returns:
        The checked frame.

    Raises:
        DataError: When the target column is missing, holds text or non-positive prices, or
            fewer than two rows remain, or (``jumps="refuse"``) the prices jump.
    """
    name = provenance.name
    jump_rules.check_policy(jumps, max_jump)
    raw = single_ticker(raw, symbol, name)
    if target not in raw.columns:
        same = [c for c in raw.columns if str(c).strip().lower() == str(target).strip().lower()]
        target = same[0] if len(same) == 1 else target
    if target not in raw.columns:
        raise DataError(
            f"{name}: no price column {target!r}; columns are {list(map(str, raw.columns))}. "
            "Name the price column with --price-column"
        )
    frame = raw.copy()
    frame.columns = [str(c) for c in frame.columns]
    stamps, dates_read = to_timestamps(frame.index, name)
    rows_received = len(frame)
    frame, stamps, repeats = drop_repeats(frame, stamps, name)
    order = np.argsort(stamps.asi8, kind="stable")
    frame, stamps = frame.iloc[order], stamps[order]

    numeric = frame.apply(pd.to_numeric, errors="coerce")
    target_text = numeric[target].isna() & frame[target].notna()
    if target_text.any():
        first = int(np.argmax(target_text.to_numpy()))
        raise DataError(
            f"{name}: price column {target!r} holds non-numeric values "
            f"(e.g. {frame[target].iloc[first]!r} on {stamps[first].date()}); fix or remove those rows"
        )
    fully_text = [c for c in frame.columns if numeric[c].isna().all() and frame[c].notna().any()]
    not_numbers = {c: int((numeric[c].isna() & frame[c].notna()).sum()) for c in frame.columns if c not in fully_text}
    for column, count in (unreadable or {}).items():
        not_numbers[column] = not_numbers.get(column, 0) + count
    frame = numeric.drop(columns=fully_text).astype("float64")
    frame, intraday = daily(frame, stamps)
    if not intraday:
        frame.index = stamps.normalize()
    frame.index.name = "Date"

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
    alternative = _alternative(frame.iloc[:leading], target)
    frame = frame.iloc[leading:]
    filled = {str(c): int(frame[c].isna().sum() - (frame[c].isna().cumprod().sum())) for c in frame.columns}
    missing = filled.get(target, 0)
    frame = frame.ffill()
    if missing > MOST_FILLED * len(frame):
        raise DataError(
            f"{name}: price column {target!r} would be {missing:,} of {len(frame):,} values "
            f"({100 * missing / len(frame):.0f}%) carried forward (missing in the data; at most "
            f"{100 * MOST_FILLED:.0f}% are filled); fill the gaps in the data, or choose a complete column with "
            "--price-column")

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
    found = jump_rules.find_jumps(frame.index, values, max_jump)
    if found and jumps == "refuse":
        raise jump_rules.refusal(name, found, max_jump)
    if found and jumps == "adjust":
        prices = [target] + [c for c in frame.columns if c != target and c.strip().lower() in PRICE_LIKE]
        volumes = [c for c in frame.columns if c.strip().lower() == "volume"]
        frame = jump_rules.adjust(frame, found, prices, volumes)
    business_days = pd.bdate_range(frame.index[0], frame.index[-1])
    gaps = np.diff(frame.index.to_numpy()).astype("timedelta64[D]").astype(int)
    cleaning = CleaningReport(
        rows_received=rows_received,
        duplicate_dates_dropped=repeats.dropped,
        leading_missing_dropped=leading,
        missing_filled=missing,
        columns_dropped=tuple(map(str, (*dropped, *fully_text))),
        rows_outside_range=rows_outside,
        business_days_missing=int(len(business_days.difference(frame.index))),
        largest_gap_days=int(gaps.max()) if len(gaps) else 0,
        filled=filled,
        unreadable={c: n for c, n in not_numbers.items() if n and c in frame.columns},
        intraday=intraday,
        jumps=tuple(found),
        jump_policy=jumps,
        dates=dates_read,
        repeated_rows_dropped=repeats.exact,
        conflicting_dates=repeats.conflicting_dates,
        conflicting_rows=repeats.most_rows,
        leading_alternative=alternative,
    )
    return PriceFrame(frame=frame, target=target, provenance=provenance, cleaning=cleaning)
