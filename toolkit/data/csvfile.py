"""Read a user's CSV of prices: any file with a date column and a price column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.errors import DataError

DATE_COLUMNS = ("date", "datetime", "timestamp", "time", "day")
PRICE_COLUMNS = ("adj close", "adj_close", "adjclose", "close", "price", "value")


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[w] for w in wanted if w in lowered), None)


def read_price_csv(
    path: str | Path,
    *,
    date_column: str | None = None,
    price_column: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Read a CSV into a frame indexed by date, and name its price column.

    Args:
        path: The CSV file.
        date_column: Column holding dates. Defaults to the first of date, datetime,
            timestamp, time or day (any case).
        price_column: Column to forecast. Defaults to the first of Adj Close, Close, Price
            or Value (any case).

    Returns:
        The frame (not yet validated) and the price column's name.

    Raises:
        DataError: When the file cannot be read or a column cannot be found.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"CSV file not found: {path}; check the --csv path") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable CSV ({str(err).splitlines()[0]})") from None
    columns = [str(c) for c in raw.columns]
    raw.columns = columns
    date_col = date_column or _pick(columns, DATE_COLUMNS)
    if date_col is None or date_col not in columns:
        raise DataError(
            f"{path}: no date column (looked for {date_column or ' / '.join(DATE_COLUMNS)}; "
            f"columns are {columns}); name it with --date-column"
        )
    price_col = price_column or _pick(columns, PRICE_COLUMNS)
    if price_col is None or price_col not in columns:
        raise DataError(
            f"{path}: no price column (looked for {price_column or ' / '.join(PRICE_COLUMNS)}; "
            f"columns are {columns}); name it with --price-column"
        )
    try:
        dates = pd.to_datetime(raw[date_col], format="mixed")
    except (ValueError, TypeError) as err:
        raise DataError(
            f"{path}: column {date_col!r} does not hold dates ({str(err).splitlines()[0]}); "
            "name the date column with --date-column"
        ) from None
    frame = raw.drop(columns=[date_col]).set_index(pd.DatetimeIndex(dates, name="Date"))
    return frame, price_col
