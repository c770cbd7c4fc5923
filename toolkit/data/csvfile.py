"""Read a user's file of prices: any text table with a date column and a price column, as the
exports analysts have write them (yfinance's three header lines, semicolons and decimal
commas, tabs, UTF-16, currency symbols, thousands separators).

How the file is written is read from the file and stated (:mod:`toolkit.data.layout`); the
date column is found by name or by content and read with one interpretation for the whole
file (:mod:`toolkit.data.dates`); every other column is read as numbers with the file's one
convention. Rows must be in time order (oldest or newest first); a file whose dates jump
back and forth is refused rather than re-sorted, because that is what a misread date column
looks like. The price column is never replaced by another: when the named or usual one
cannot be read as numbers, the file is refused, naming the row. A time of day kept in a
column of its own (TradeStation's ``Time``, MetaTrader's ``<TIME>``) is added to the dates,
so that bars of one day are told apart (and then made one daily row), not taken for repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.data.dates import (DATE_NAMES, find_date_column, find_time_column, looks_like_dates, read_dates,
                                 read_times)
from toolkit.data.layout import FOOTER_LINES, FileLayout, decode, read_table, unwrap
from toolkit.data.numbers import parse_numbers, sniff_decimal
from toolkit.errors import DataError, UsageError

# Price columns by name, in order of preference (any case): Yahoo's, then the common exports'
# (Nasdaq's "Close/Last", brokers' "Last" / "Last Price", FRED's "value", Bloomberg's "PX_LAST").
PRICE_COLUMNS = ("adj close", "adj_close", "adjclose", "close", "close/last", "closing price", "close price", "last",
                 "last price", "price", "value", "px_last")


@dataclass(frozen=True)
class CsvReading:
    """A price file read into a frame, and everything said about how.

    Attributes:
        frame: Rows by date (oldest first, not yet validated), float64 columns; a cell that was
            missing or could not be read as a number is NaN.
        price_column: The column to forecast.
        dates: How the dates were read.
        layout: How the file is written: separator, encoding, header, number convention.
        unreadable: Cells per column that were not numbers (NaN in ``frame``), by column.
        text_columns: Columns holding no numbers at all, left out.
    """

    frame: pd.DataFrame
    price_column: str
    dates: str
    layout: str
    unreadable: dict[str, int] = field(default_factory=dict)
    text_columns: tuple[str, ...] = ()


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[w] for w in wanted if w in lowered), None)


def _probe(raw: pd.DataFrame) -> pd.DataFrame:
    """Columns as numbers where every cell is one (as a plain reader would type them), else
    text: what the date column's search by content looks at."""
    probe = {}
    for name, values in raw.items():
        values = values.mask(values.str.strip() == "")
        numbers = pd.to_numeric(values, errors="coerce")
        probe[name] = numbers if numbers.notna().all() and len(numbers) else values
    return pd.DataFrame(probe, index=raw.index)


def _first_unreadable(values: pd.Series, mask: np.ndarray, lines_before: int) -> str:
    row = int(np.argmax(mask))
    return f"row {row + lines_before + 1} ({values.iloc[row]!r})"


def _column(wanted: str, columns: list[str]) -> str | None:
    """``wanted`` as named, else the one column named so in another case or with spaces around."""
    if wanted in columns:
        return wanted
    matches = [c for c in columns if c.strip().lower() == wanted.strip().lower()]
    return matches[0] if len(matches) == 1 else None


def _when(stamp: pd.Timestamp) -> str:
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def _refuse_footer(dates: pd.Series, layout: FileLayout, path) -> None:
    """Refuse trailing lines (a total, a disclaimer) whose date cell is no date, when the row
    above them is one: a footer, not a misread column."""
    n, count = len(dates), 0
    while count < min(FOOTER_LINES, n - 1) and not looks_like_dates(dates.iloc[[n - 1 - count]]):
        count += 1
    if count and looks_like_dates(dates.iloc[[n - 1 - count]]):
        row = n - count
        raise DataError(f"{path}: the last {count} line(s) are not data (e.g. a footer; line "
                        f"{row + layout.lines_before_rows + 1} starts {str(dates.iloc[row])[:60]!r}): delete them")


def read_price_csv(
    path: str | Path,
    *,
    date_column: str | None = None,
    price_column: str | None = None,
    date_format: str | None = None,
    separator: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    symbol: str | None = None,
) -> CsvReading:
    """Read a price file.

    Args:
        path: The file.
        date_column: Column holding dates. Defaults to one named like a date (date,
            datetime, timestamp, time, day, observation_date; any case), else the first
            column whose values all read as dates.
        price_column: Column to forecast. Defaults to the first of Adj Close, Close,
            Close/Last, Closing Price, Close Price, Last, Last Price, Price, Value or PX_LAST (any
            case), else the only numeric column beside the dates.
        date_format: ``strftime`` pattern of the dates. Defaults to detection.
        separator: Column separator. Defaults to the one the file's lines agree on.
        decimal: Decimal mark, ``"."`` or ``","``. Defaults to the one the numbers show.
        encoding: Text encoding. Defaults to UTF-8, or UTF-16 / UTF-8 with a byte-order mark.
        symbol: The ticker to read from a yfinance file of several. Defaults to None.

    Returns:
        The :class:`CsvReading`.

    Raises:
        DataError: When the file cannot be read for certain: its encoding, separator or
            decimal mark, a column that cannot be found, a price that is not a number, dates
            that cannot be read with certainty, or rows out of time order. Each message says
            what was seen and which option reads the file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"CSV file not found: {path}; check the --csv path") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from None
    if decimal is not None and decimal not in (".", ","):
        raise UsageError(f"{path}: --decimal must be '.' or ','. Received: {decimal!r}")
    data, gzipped = unwrap(data, path)
    text, used_encoding = decode(data, path, encoding)
    raw, layout = read_table(text, path, separator=separator, encoding=used_encoding, symbol=symbol)
    layout = replace(layout, gzipped=gzipped)
    columns = list(raw.columns)
    probe = _probe(raw)
    date_col = find_date_column(probe, (_column(date_column, columns) or date_column) if date_column else None)
    if date_col is None:
        raise DataError(
            f"{path}: no date column (looked for {date_column or ' / '.join(DATE_NAMES)}, and no column "
            f"holds only dates; the {layout.describe()} header reads {columns}); name it with --date-column"
        )
    _refuse_footer(raw[date_col], layout, path)
    time_col = find_time_column(raw, date_col)
    others = {name: raw[name] for name in columns if name not in (date_col, time_col)}
    if decimal is None:
        decimal, why = sniff_decimal(others, layout.separator, path)
    else:
        why = "given"
    parsed = {name: parse_numbers(values, decimal) for name, values in others.items()}
    text_columns = tuple(name for name, column in parsed.items() if not column.numeric)
    price_col = (_column(price_column, columns) or price_column) if price_column else _pick(columns, PRICE_COLUMNS)
    if price_col is None:
        numeric = [name for name in others if name not in text_columns]
        price_col = numeric[0] if len(numeric) == 1 else None
    if price_col is None or price_col not in columns or price_col == date_col:
        raise DataError(
            f"{path}: no price column (looked for {price_column or ' / '.join(PRICE_COLUMNS)}; "
            f"columns are {columns}); name it with --price-column"
        )
    price = parsed[price_col]
    if not price.numeric or price.unreadable.any():
        where = _first_unreadable(raw[price_col], price.unreadable | ~price.numeric, layout.lines_before_rows)
        raise DataError(f"{path}: price column {price_col!r} holds a value that is not a number with this file's "
                        f"{_convention(decimal)}: {where}; fix that row, or give --decimal / --price-column")
    reading = read_dates(probe[date_col], date_format=date_format, where=f"{path} column {date_col!r}",
                         first_line=layout.lines_before_rows + 1)
    dates = reading.dates
    interpretation = f"column {date_col!r}: {reading.interpretation}"
    if time_col is not None and (dates == dates.normalize()).all():
        times = read_times(raw[time_col], named=True)
        dates = dates + times
        interpretation += (f"; times of day from column {time_col!r}" if times.any() else
                           f"; column {time_col!r} holds times of day, all 00:00")
    elif time_col is not None:
        interpretation += f"; column {time_col!r} left out (the dates carry their own times)"
    steps = np.diff(dates.asi8)
    kept = [name for name in others if name not in text_columns]
    frame = pd.DataFrame({name: parsed[name].values for name in kept}, index=raw.index)
    if len(steps) and (steps <= 0).all() and (steps < 0).any():
        order = np.argsort(dates.asi8, kind="stable")  # oldest first; rows of one date keep their file order
        frame, dates = frame.iloc[order], dates[order]
        interpretation += "; newest row first in the file, reversed"
    elif (steps < 0).any():
        row = int(np.argmax(steps < 0)) + 1
        line = row + layout.lines_before_rows + 1
        raise DataError(
            f"{path}: dates are not in time order: row {line} ({_when(dates[row])}) comes after row {line - 1} "
            f"({_when(dates[row - 1])}); a misread date column looks like this. Sort the file, or give "
            "--date-format if the dates are read wrongly"
        )
    frame.index = pd.DatetimeIndex(dates, name="Date")
    currencies = sorted({c for name in kept for c in parsed[name].currencies})
    described = f"{layout.describe()}; numbers with a {_convention(decimal)} ({why})"
    if currencies:
        described += f"; currency {', '.join(currencies)} stripped"
    unreadable = {name: int(parsed[name].unreadable.sum()) for name in kept if parsed[name].unreadable.any()}
    return CsvReading(frame=frame, price_column=price_col, dates=interpretation, layout=described,
                      unreadable=unreadable, text_columns=text_columns)


def _convention(decimal: str) -> str:
    return "decimal point (',' between thousands)" if decimal == "." else "decimal comma ('.' between thousands)"
