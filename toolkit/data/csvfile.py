"""Read a user's CSV of prices: any file with a date column and a price column.

The date column is found by name or by content and read with one interpretation for the
whole file (:mod:`toolkit.data.dates`); the interpretation travels with the data so the
console and the report can state it. Rows must be in time order (oldest or newest first);
a file whose dates jump back and forth is refused rather than re-sorted, because that is
what a misread date column looks like.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.data.dates import DATE_NAMES, find_date_column, read_dates
from toolkit.errors import DataError

PRICE_COLUMNS = ("adj close", "adj_close", "adjclose", "close", "price", "value")


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[w] for w in wanted if w in lowered), None)


def _single_numeric_column(raw: pd.DataFrame, date_col: str) -> str | None:
    """A file of dates and one numeric series (FRED's layout) names its price column itself."""
    numeric = [c for c in raw.columns if c != date_col
               and pd.to_numeric(raw[c], errors="coerce").notna().mean() > 0.9]
    return numeric[0] if len(numeric) == 1 else None


def read_price_csv(
    path: str | Path,
    *,
    date_column: str | None = None,
    price_column: str | None = None,
    date_format: str | None = None,
) -> tuple[pd.DataFrame, str, str]:
    """Read a CSV into a frame indexed by date, and name its price column.

    Args:
        path: The CSV file.
        date_column: Column holding dates. Defaults to one named like a date (date,
            datetime, timestamp, time, day, observation_date; any case), else the first
            column whose values all read as dates.
        price_column: Column to forecast. Defaults to the first of Adj Close, Close, Price
            or Value (any case), else the only numeric column beside the dates.
        date_format: ``strftime`` pattern of the dates. Defaults to detection.

    Returns:
        The frame (oldest row first, not yet validated), the price column's name, and how
        the dates were read.

    Raises:
        DataError: When the file cannot be read, a column cannot be found, the dates
            cannot be read with certainty, or the rows are not in time order.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, na_values=["."])  # FRED writes a missing value as "."
    except FileNotFoundError:
        raise DataError(f"CSV file not found: {path}; check the --csv path") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"{path}: not a readable CSV ({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
    columns = [str(c) for c in raw.columns]
    raw.columns = columns
    date_col = find_date_column(raw, date_column)
    if date_col is None:
        raise DataError(
            f"{path}: no date column (looked for {date_column or ' / '.join(DATE_NAMES)}, and no column "
            f"holds only dates; columns are {columns}); name it with --date-column"
        )
    price_col = price_column or _pick(columns, PRICE_COLUMNS) or _single_numeric_column(raw, date_col)
    if price_col is None or price_col not in columns:
        raise DataError(
            f"{path}: no price column (looked for {price_column or ' / '.join(PRICE_COLUMNS)}; "
            f"columns are {columns}); name it with --price-column"
        )
    reading = read_dates(raw[date_col], date_format=date_format, where=f"{path} column {date_col!r}")
    dates = reading.dates
    steps = np.diff(dates.asi8)
    interpretation = f"column {date_col!r}: {reading.interpretation}"
    if len(steps) and (steps <= 0).all() and (steps < 0).any():
        raw, dates = raw.iloc[::-1], dates[::-1]
        interpretation += "; newest row first in the file, reversed"
    elif (steps < 0).any():
        row = int(np.argmax(steps < 0)) + 1
        raise DataError(
            f"{path}: dates are not in time order: row {row + 2} ({dates[row].date()}) comes after row {row + 1} "
            f"({dates[row - 1].date()}); a misread date column looks like this. Sort the file, or give "
            "--date-format if the dates are read wrongly"
        )
    frame = raw.drop(columns=[date_col]).set_index(pd.DatetimeIndex(dates, name="Date"))
    return frame, price_col, interpretation
