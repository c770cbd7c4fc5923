"""Dates read, never guessed: the date column of a user's file and how its values are written.

:func:`read_dates` decides one interpretation for a whole column and says which, so a file
is never half day-first and half month-first:

* ``--date-format`` (a ``strftime`` pattern) when given; every value must match it.
* Year-first text (``2020-01-31``, ``2020/01/31``, with or without a time or an offset).
* Day and month first (``31/01/2020`` or ``01/31/2020``): a first field above 12 anywhere in
  the column settles day-first, a second field above 12 month-first; a column where neither
  happens is ambiguous and refused with a message that names ``--date-format``.
* Month names (``31 Jan 2020``, ``Jan 31, 2020``): unambiguous.
* Whole numbers: ``YYYYMMDD``, or Unix epoch seconds or milliseconds when every value is a
  plausible time between 1971 and 2100.

:func:`find_date_column` looks for the date column by name first, then by content: the
first column whose values all read as dates (a FRED download's ``observation_date``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import DataError

DATE_NAMES = ("date", "datetime", "timestamp", "time", "day", "observation_date")
_YEAR_FIRST = re.compile(r"^\s*(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T\s].*)?$")
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})(?:[T\s].*)?$")
_MONTH_NAME = re.compile(r"[A-Za-z]{3}")
_EPOCH_SECONDS = (31_536_000, 4_102_444_800)          # 1971-01-01 .. 2100-01-01
_EPOCH_MS = tuple(1000 * v for v in _EPOCH_SECONDS)


@dataclass(frozen=True)
class DateReading:
    """Parsed dates and a sentence saying how they were read."""

    dates: pd.DatetimeIndex
    interpretation: str


def _fail(where: str, message: str) -> DataError:
    return DataError(f"{where}: {message}")


def _first_bad(parsed: pd.Series, values: pd.Series) -> str:
    bad = parsed.isna() & values.notna()
    row = int(np.argmax(bad.to_numpy())) if bad.any() else 0
    return f"row {row + 2} ({values.iloc[row]!r})"  # +2: a header line and 1-based rows


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _numeric_dates(values: pd.Series, where: str) -> DateReading | None:
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    try:
        numbers = numbers.astype("float64")
    except (TypeError, ValueError, OverflowError):
        return None
    if numbers.isna().any() or not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
        return None
    if (numbers.abs() > _EPOCH_MS[1]).any():  # past 2100 in milliseconds: no date, and no int64 either
        return None
    whole = numbers.astype("int64")
    as_text = whole.astype(str)
    if as_text.str.fullmatch(r"(19|20)\d{6}").all():
        parsed = pd.to_datetime(as_text, format="%Y%m%d", errors="coerce")
        if parsed.notna().all():
            return DateReading(pd.DatetimeIndex(parsed), "whole numbers read as YYYYMMDD")
    for unit, (low, high), label in (("s", _EPOCH_SECONDS, "Unix epoch seconds"),
                                     ("ms", _EPOCH_MS, "Unix epoch milliseconds")):
        if whole.between(low, high).all():
            parsed = pd.to_datetime(whole, unit=unit, utc=True).dt.tz_localize(None)
            return DateReading(pd.DatetimeIndex(parsed), f"whole numbers read as {label} (UTC)")
    return None


def _strip_zone(parsed: pd.Series) -> pd.Series:
    """Exchange-local dates: drop any offset rather than convert, so a close stays on its day."""
    if getattr(parsed.dt, "tz", None) is not None:
        return parsed.dt.tz_localize(None)
    return parsed


def _parse_text(text: pd.Series, fmt: str | None, where: str, **kwargs) -> pd.Series:
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", **kwargs)
    except (ValueError, TypeError, OverflowError):
        raise _fail(where, "mixes time zones or formats that cannot be read as one column; "
                           "name the pattern with --date-format, e.g. %Y-%m-%d") from None
    if parsed.isna().any():
        raise _fail(where, f"{_first_bad(parsed, text)} is not a date like the others; fix the row or give "
                           "--date-format")
    return parsed


def read_dates(values: pd.Series, *, date_format: str | None = None, where: str = "dates") -> DateReading:
    """Read a column of dates with one interpretation for the whole column.

    Args:
        values: The column as read (text or numbers).
        date_format: A ``strftime`` pattern every value must match. Defaults to None
            (detect, see the module docstring).
        where: What to call the column in messages, e.g. ``"prices.csv column 'Date'"``.

    Raises:
        DataError: When a value is not a date, the order of day and month cannot be settled,
            or the values are not dates at all. The message says what to do.
    """
    values = pd.Series(values).reset_index(drop=True)
    if values.isna().any():
        row = int(np.argmax(values.isna().to_numpy()))
        raise _fail(where, f"row {row + 2} has no date; remove it or fill it in")
    if date_format:
        try:
            parsed = pd.to_datetime(_as_text(values), format=date_format, errors="coerce")
        except (ValueError, TypeError):
            raise _fail(where, f"--date-format {date_format!r} is not a strftime pattern such as %d/%m/%Y") from None
        if parsed.isna().any():
            raise _fail(where, f"{_first_bad(parsed, values)} does not match --date-format {date_format!r}")
        return DateReading(pd.DatetimeIndex(_strip_zone(parsed)), f"dates read with --date-format {date_format!r}")
    if pd.api.types.is_numeric_dtype(values):
        reading = _numeric_dates(values, where)
        if reading is None:
            raise _fail(where, "holds numbers that are neither YYYYMMDD dates nor plausible Unix epoch seconds or "
                               "milliseconds; name the date column with --date-column")
        return reading
    text = _as_text(values)
    if text.str.fullmatch(r"\d+").all():
        reading = _numeric_dates(text, where)
        if reading is not None:
            return reading
    year_first = text.str.match(_YEAR_FIRST)
    if year_first.all():
        separator = text.str.extract(_YEAR_FIRST)[1].iloc[0]
        iso = text if separator == "-" else text.str.replace(separator, "-", n=2, regex=False)
        parsed = _parse_text(iso, "ISO8601", where)
        return DateReading(pd.DatetimeIndex(_strip_zone(parsed)), "year-first dates (YYYY-MM-DD)")
    day_month = text.str.match(_DAY_MONTH)
    if day_month.all():
        parts = text.str.extract(_DAY_MONTH)
        first, second = parts[0].astype(int), parts[2].astype(int)
        separator = parts[1].iloc[0]
        year = "%Y" if parts[3].str.len().eq(4).all() else "%y"
        if (first > 12).any() and (second > 12).any():
            raise _fail(where, "has values with a day above 12 in the first field and others in the second: "
                               "not one date order; fix the file or give --date-format")
        if (first > 12).any():
            order, fmt = "day-first (DD/MM/YYYY)", f"%d{separator}%m{separator}{year}"
            witness = int(np.argmax((first > 12).to_numpy()))
        elif (second > 12).any():
            order, fmt = "month-first (MM/DD/YYYY)", f"%m{separator}%d{separator}{year}"
            witness = int(np.argmax((second > 12).to_numpy()))
        else:
            raise _fail(where, f"dates such as {values.iloc[0]!r} could be day-first or month-first and no day above "
                               f"12 settles it; give --date-format %d{separator}%m{separator}{year} (day first) "
                               f"or %m{separator}%d{separator}{year} (month first)")
        if text.str.contains(r"[T\s]").any():
            fmt = None  # with a time part: fix the order through dayfirst, the rest as written
            parsed = _parse_text(text, "mixed", where, dayfirst=order.startswith("day"))
        else:
            parsed = _parse_text(text, fmt, where)
        return DateReading(pd.DatetimeIndex(_strip_zone(parsed)),
                           f"{order} dates: row {witness + 2} ({values.iloc[witness]!r}) settles the order")
    if text.str.contains(_MONTH_NAME).all():
        parsed = _parse_text(text, "mixed", where)
        return DateReading(pd.DatetimeIndex(_strip_zone(parsed)), "dates with month names")
    if (year_first | day_month).all():
        a, b = int(np.argmax(year_first.to_numpy())), int(np.argmax(day_month.to_numpy()))
        raise _fail(where, f"mixes date forms: row {a + 2} ({values.iloc[a]!r}) is year-first, row {b + 2} "
                           f"({values.iloc[b]!r}) is not; write every date one way or give --date-format")
    bad = ~(year_first | day_month)
    row = int(np.argmax(bad.to_numpy()))
    raise _fail(where, f"row {row + 2} ({values.iloc[row]!r}) is not a date in a form the toolkit reads "
                       "(YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, month names, YYYYMMDD, epoch seconds); give "
                       "--date-format or name the date column with --date-column")


def looks_like_dates(values: pd.Series) -> bool:
    """Whether a column reads as dates under :func:`read_dates` (for finding the column)."""
    values = pd.Series(values)
    if len(values) == 0 or values.isna().all():
        return False
    if pd.api.types.is_numeric_dtype(values):
        # Numbers only count when strictly increasing: a volume column of large whole
        # numbers must not pass for epoch seconds.
        numbers = pd.to_numeric(values, errors="coerce")
        return bool(numbers.is_monotonic_increasing and numbers.is_unique
                    and _numeric_dates(values, "") is not None)
    try:
        read_dates(values)
    except DataError as err:
        return "could be day-first or month-first" in str(err)  # dates, just ambiguous: still the column
    return True


def find_date_column(frame: pd.DataFrame, requested: str | None = None) -> str | None:
    """The date column: ``requested``, else a known name (any case), else the first whose
    values all read as dates; None when there is none."""
    columns = [str(c) for c in frame.columns]
    if requested:
        return requested if requested in columns else None
    lowered = {c.strip().lower(): c for c in columns}
    for name in DATE_NAMES:
        if name in lowered:
            return lowered[name]
    for column in columns:
        if looks_like_dates(frame[column]):
            return column
    return None
