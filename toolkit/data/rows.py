"""The rows of a raw price frame before its values are checked: the index read as dates, the
one ticker of a two-level frame, repeated rows, and intraday rows made daily.

* An index of text (``pd.read_csv(path, index_col=0)`` without ``parse_dates``) is read by
  the CSV reader's date rules (:func:`toolkit.data.dates.read_dates`): one interpretation
  for the whole index, stated, and an ambiguous day/month order refused, never guessed.
* A row repeated exactly (same date, same values) is dropped. A date on several rows with
  different values keeps its last row and is counted for the report; many such rows (more
  than one in 20) are refused: that is intraday data without its times, and keeping one
  row a day would take the last bar's high, low and volume for the day's.
* Several rows a day at different times become one: the last price, the first open, the
  day's high and low, the summed volume.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from toolkit.data.dates import read_dates
from toolkit.errors import DataError, UsageError

# How intraday bars make a day, by column name (any case, MetaTrader's <...> stripped).
AGGREGATE = {"open": "first", "high": "max", "low": "min", "volume": "sum", "vol": "sum", "vol.": "sum",
             "tickvol": "sum", "tick volume": "sum", "tick_volume": "sum", "real_volume": "sum"}
REPEATS_REFUSED = 1 / 20  # dates repeated with different values, per row, above which the frame is refused
INDEX_ADVICE = ("parse the index first with the format it is written in, e.g. frame.index = "
                "pd.to_datetime(frame.index, format='%d/%m/%Y') for day-first dates")


def to_timestamps(index: pd.Index, name: str) -> tuple[pd.DatetimeIndex, str]:
    """The index as naive timestamps (a time zone dropped, not converted, so a close stays on
    its day), and how a text index was read (empty otherwise)."""
    how = ""
    if isinstance(index, pd.DatetimeIndex):
        stamps = index
    elif pd.api.types.is_object_dtype(index) or pd.api.types.is_string_dtype(index):
        text = pd.Series(index.to_numpy(dtype=object), dtype=object)
        reading = read_dates(text, where=f"{name}: the index", first_line=1, advice=INDEX_ADVICE)
        stamps, how = reading.dates, f"index of text read as {reading.interpretation}"
    elif pd.api.types.is_integer_dtype(index):
        reading = read_dates(pd.Series(index), where=f"{name}: the index", first_line=1,
                             advice="set the date column as the index, e.g. frame.set_index('Date')")
        stamps, how = reading.dates, f"index of {reading.interpretation}"
    else:
        try:
            stamps = pd.DatetimeIndex(pd.to_datetime(index))
        except (ValueError, TypeError, OverflowError) as err:
            raise DataError(f"{name}: the index could not be read as dates ({str(err).splitlines()[0]}); give an "
                            "index of dates like 2020-01-31") from None
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    if stamps.hasnans:
        raise DataError(f"{name}: {int(stamps.isna().sum())} rows have no date; remove them")
    return stamps, how


def single_ticker(raw: pd.DataFrame, symbol: str | None, name: str) -> pd.DataFrame:
    """A frame with two-level columns (``yfinance.download``: price field and ticker) as the
    fields of one ticker."""
    if not isinstance(raw.columns, pd.MultiIndex):
        return raw
    if raw.columns.nlevels != 2:
        raise DataError(f"{name}: columns have {raw.columns.nlevels} levels; give a frame of one ticker's columns")
    names = list(raw.columns.names)
    level = names.index("Ticker") if "Ticker" in names else 1
    symbols = list(dict.fromkeys(raw.columns.get_level_values(level)))
    if symbol is None and len(symbols) > 1:
        raise UsageError(f"{name}: the frame holds {len(symbols)} tickers ({', '.join(map(str, symbols))}); choose "
                         f"one with symbol={symbols[0]!r}")
    chosen = symbols[0] if symbol is None else symbol
    if chosen not in symbols:
        raise UsageError(f"{name}: no ticker {chosen!r} in the frame; it holds {', '.join(map(str, symbols))}")
    return raw.xs(chosen, axis=1, level=level)


@dataclass(frozen=True)
class Repeats:
    """Rows dropped for a repeated timestamp: exact copies, and dates with different values."""

    dropped: int = 0
    exact: int = 0
    conflicting_dates: int = 0
    most_rows: int = 0  # the most rows one conflicting date had


def drop_repeats(frame: pd.DataFrame, stamps: pd.DatetimeIndex, name: str
                 ) -> tuple[pd.DataFrame, pd.DatetimeIndex, Repeats]:
    """The frame with one row per timestamp (the last), and what was dropped; refused when
    many dates repeat with different values."""
    repeated = stamps.duplicated(keep="last")
    if not repeated.any():
        return frame, stamps, Repeats()
    keyed = pd.DataFrame({i: frame.iloc[:, i].to_numpy() for i in range(frame.shape[1])})
    keyed["stamp"] = stamps.asi8
    exact = keyed.duplicated(keep="last").to_numpy()
    rest = pd.Series(stamps[~exact])
    counts = rest[rest.duplicated(keep=False)].value_counts()
    conflicting = int(counts.sum() - len(counts))  # rows a conflicting date loses
    if conflicting > max(1.0, REPEATS_REFUSED * len(frame)):
        first = counts.index[0]
        day = str(first.date()) if first == first.normalize() else str(first)
        raise DataError(
            f"{name}: {conflicting:,} of {len(frame):,} rows repeat a date with different values ({len(counts):,} "
            f"dates, e.g. {day} on {int(counts.iloc[0])} rows); rows of one day need their times in the dates (the CSV "
            "reader adds a Time column beside the date column) to be made one daily row; else remove the repeated "
            "rows")
    kept = ~repeated
    note = Repeats(int(repeated.sum()), int(exact.sum()), len(counts), int(counts.max()) if len(counts) else 0)
    return frame[kept], stamps[kept], note


def daily(frame: pd.DataFrame, stamps: pd.DatetimeIndex) -> tuple[pd.DataFrame, str]:
    """One row a day from intraday rows (distinct times on one date), and what was done."""
    days = stamps.normalize()
    per_day = pd.Series(1, index=stamps).groupby(days).size()
    if per_day.max() <= 1 or (stamps == days).all():
        return frame, ""
    rules = {column: AGGREGATE.get(str(column).strip().strip("<>").strip().lower(), "last")
             for column in frame.columns}
    result = frame.groupby(days).agg(rules)
    note = (f"{len(frame):,} intraday rows (up to {int(per_day.max())} a day) resampled to {len(result):,} daily rows: "
            "the last price of each day (the first open, the day's high and low, the volume summed)")
    return result, note
