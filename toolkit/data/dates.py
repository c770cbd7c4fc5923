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
  plausible time between 1971 and 2100. Excel serial day numbers are refused by name.

A time written with a UTC offset (``2023-03-24 00:00:00-04:00``, as ``Ticker.history()``
saves daily bars; the offset changes with daylight saving) is read as the local time as
written: the offset is dropped, never converted, so a daily bar stays on its trading date.

:func:`find_date_column` looks for the date column by name first, then by content: the
first column whose values all read as dates (a FRED download's ``observation_date``).
:func:`find_time_column` finds a time of day kept in a column of its own (TradeStation's
``Time``, MetaTrader's ``<TIME>``) for :func:`read_times` to add to the dates.
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
_ZONED = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*$")
_EPOCH_SECONDS = (31_536_000, 4_102_444_800)          # 1971-01-01 .. 2100-01-01
_EPOCH_MS = tuple(1000 * v for v in _EPOCH_SECONDS)
_EXCEL_SERIAL = (20_000, 80_000)                     # 1954 .. 2119 as days since 1899-12-30
FIX = "give --date-format"


@dataclass(frozen=True)
class DateReading:
    """Parsed dates and a sentence saying how they were read."""

    dates: pd.DatetimeIndex
    interpretation: str


@dataclass(frozen=True)
class _Where:
    """How refusals name the column, its rows (``first_line``: the line of the first value)
    and the fix (``advice`` replaces each message's own, e.g. for a frame's index)."""

    name: str
    first_line: int = 2
    advice: str | None = None

    def fail(self, what: str, fix: str = "") -> DataError:
        fix = self.advice or fix
        return DataError(f"{self.name}: {what}" + (f"; {fix}" if fix else ""))

    def row(self, values: pd.Series, row: int) -> str:
        return f"row {row + self.first_line} ({values.iloc[row]!r})"


def _first_bad(parsed: pd.Series, values: pd.Series, where: _Where) -> str:
    bad = parsed.isna() & values.notna()
    return where.row(values, int(np.argmax(bad.to_numpy())) if bad.any() else 0)


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _numeric_dates(values: pd.Series) -> DateReading | None:
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


def _refuse_numbers(values: pd.Series, where: _Where) -> DataError:
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    if numbers.notna().all() and (numbers == np.round(numbers)).all() and numbers.between(*_EXCEL_SERIAL).all():
        return where.fail(f"holds whole numbers such as {int(numbers.iloc[0])} that look like Excel serial day numbers "
                          "(days since 1899-12-30), not dates",
                          "format the column as dates in Excel (e.g. YYYY-MM-DD) before saving the CSV")
    return where.fail("holds numbers that are neither YYYYMMDD dates nor plausible Unix epoch seconds or milliseconds",
                      "name the date column with --date-column")


def _offsets(text: pd.Series) -> np.ndarray | None:
    """Minutes east of UTC written after each value's time (0 for ``Z`` or none), or None
    when no value carries an offset."""
    parts = text.str.extract(_ZONED)
    if not (parts[0].notna() | parts[1].notna()).any():
        return None
    hours, mins = (pd.to_numeric(parts[i], errors="coerce").to_numpy("float64") for i in (2, 3))
    minutes = np.nan_to_num(hours * 60 + mins)
    return np.where(parts[1].fillna("").to_numpy(dtype=object) == "-", -minutes, minutes)


def _offset_label(minutes: float) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{int(abs(minutes)) // 60:02d}:{int(abs(minutes)) % 60:02d}"


def _parse(text: pd.Series, fmt: str | None, where: _Where, *, fix: str, **kwargs) -> tuple[pd.Series, str]:
    """Naive local times as written (any UTC offset dropped, not converted), and a note on the
    offsets when there were any. Values that do not parse are refused."""
    offsets = _offsets(text)
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=offsets is not None, **kwargs)
    except (ValueError, TypeError, OverflowError):
        raise where.fail("mixes time zones or formats that cannot be read as one column",
                         "name the pattern with --date-format, e.g. %Y-%m-%d") from None
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        raise where.fail("mixes time zones that cannot be read as one column", "name the pattern with --date-format")
    if parsed.isna().any():
        raise where.fail(f"{_first_bad(parsed, text, where)} is not a date like the others", fix)
    if offsets is None:
        return (parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed), ""
    wall = parsed.dt.tz_localize(None) + pd.to_timedelta(offsets, unit="min")
    labels = [_offset_label(m) for m in sorted(set(offsets.tolist()))]
    return wall, f"; local times as written (UTC offset{'s' if len(labels) > 1 else ''} {', '.join(labels)} dropped)"


def read_dates(values: pd.Series, *, date_format: str | None = None, where: str = "dates", first_line: int = 2,
               advice: str | None = None) -> DateReading:
    """Read a column of dates with one interpretation for the whole column.

    Args:
        values: The column as read (text or numbers).
        date_format: A ``strftime`` pattern every value must match. Defaults to None
            (detect, see the module docstring).
        where: What to call the column in messages, e.g. ``"prices.csv column 'Date'"``.
        first_line: The row number messages give the first value. Defaults to 2 (a header line).
        advice: What every refusal says to do, in place of its own (which names the command-line
            options). Defaults to None.

    Raises:
        DataError: When a value is not a date, the order of day and month cannot be settled,
            or the values are not dates at all. The message says what to do.
    """
    at = _Where(where, first_line, advice)
    values = pd.Series(values).reset_index(drop=True)
    if values.isna().any():
        row = int(np.argmax(values.isna().to_numpy()))
        raise at.fail(f"row {row + first_line} has no date", "remove it or fill it in")
    if date_format:
        text = _as_text(values)
        offsets = _offsets(text) if "%z" in date_format else None
        try:
            parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=offsets is not None)
        except (ValueError, TypeError):
            raise DataError(f"{where}: --date-format {date_format!r} is not a strftime pattern such as "
                            "%d/%m/%Y") from None
        if parsed.isna().any():
            raise DataError(f"{where}: {_first_bad(parsed, values, at)} does not match --date-format {date_format!r}")
        note = ""
        if offsets is not None:
            parsed = parsed.dt.tz_localize(None) + pd.to_timedelta(offsets, unit="min")
            labels = [_offset_label(m) for m in sorted(set(offsets.tolist()))]
            note = f"; local times as written (UTC offset{'s' if len(labels) > 1 else ''} {', '.join(labels)} dropped)"
        elif parsed.dt.tz is not None:
            parsed = parsed.dt.tz_localize(None)
        return DateReading(pd.DatetimeIndex(parsed), f"dates read with --date-format {date_format!r}{note}")
    if pd.api.types.is_numeric_dtype(values):
        reading = _numeric_dates(values)
        if reading is None:
            raise _refuse_numbers(values, at)
        return reading
    text = _as_text(values)
    if text.str.fullmatch(r"\d+").all():
        reading = _numeric_dates(text)
        if reading is not None:
            return reading
        if text.str.fullmatch(r"\d{5}").all():
            raise _refuse_numbers(text, at)
    year_first = text.str.match(_YEAR_FIRST)
    if year_first.all():
        separator = text.str.extract(_YEAR_FIRST)[1].iloc[0]
        iso = text if separator == "-" else text.str.replace(separator, "-", n=2, regex=False)
        parsed, note = _parse(iso, "ISO8601", at, fix="fix the row or give --date-format")
        return DateReading(pd.DatetimeIndex(parsed), f"year-first dates (YYYY-MM-DD){note}")
    day_month = text.str.match(_DAY_MONTH)
    if day_month.all():
        parts = text.str.extract(_DAY_MONTH)
        first, second = parts[0].astype(int), parts[2].astype(int)
        separator = parts[1].iloc[0]
        year = "%Y" if parts[3].str.len().eq(4).all() else "%y"
        if (first > 12).any() and (second > 12).any():
            raise at.fail("has values with a day above 12 in the first field and others in the second: not one "
                          "date order", "fix the file or give --date-format")
        if (first > 12).any():
            order, fmt = "day-first (DD/MM/YYYY)", f"%d{separator}%m{separator}{year}"
            witness = int(np.argmax((first > 12).to_numpy()))
        elif (second > 12).any():
            order, fmt = "month-first (MM/DD/YYYY)", f"%m{separator}%d{separator}{year}"
            witness = int(np.argmax((second > 12).to_numpy()))
        else:
            raise at.fail(f"dates such as {values.iloc[0]!r} could be day-first or month-first and no day above 12 "
                          "settles it", f"give --date-format %d{separator}%m{separator}{year} (day first) or "
                                        f"%m{separator}%d{separator}{year} (month first)")
        if text.str.contains(r"[T\s]").any():
            # with a time part: fix the order through dayfirst, the rest as written
            parsed, note = _parse(text, "mixed", at, fix="fix the row or give --date-format",
                                  dayfirst=order.startswith("day"))
        else:
            parsed, note = _parse(text, fmt, at, fix="fix the row or give --date-format")
        return DateReading(pd.DatetimeIndex(parsed),
                           f"{order} dates: {at.row(values, witness)} settles the order{note}")
    if text.str.contains(_MONTH_NAME).all():
        parsed, note = _parse(text, "mixed", at, fix="fix the row or give --date-format")
        return DateReading(pd.DatetimeIndex(parsed), f"dates with month names{note}")
    if (year_first | day_month).all():
        a, b = int(np.argmax(year_first.to_numpy())), int(np.argmax(day_month.to_numpy()))
        raise at.fail(f"mixes date forms: {at.row(values, a)} is year-first, {at.row(values, b)} is not",
                      "write every date one way or give --date-format")
    row = int(np.argmax((~(year_first | day_month)).to_numpy()))
    raise at.fail(f"{at.row(values, row)} is not a date in a form the toolkit reads (YYYY-MM-DD, DD/MM/YYYY, "
                  "MM/DD/YYYY, month names, YYYYMMDD, epoch seconds)",
                  "give --date-format or name the date column with --date-column")


def read_times(values: pd.Series, *, named: bool = False) -> pd.TimedeltaIndex | None:
    """Times of day (``09:31``, ``14:00:00``; when ``named`` a time column, also MetaStock's
    ``093100``) as offsets from midnight, or None when the values are not all times."""
    text = pd.Series(values).astype("string").str.strip()
    if len(text) == 0 or text.isna().any() or not (named or _CLOCK.match(str(text.iloc[0]))):
        return None
    clock = text.str.extract(_CLOCK)
    if clock[0].isna().any():
        if not (named and text.str.fullmatch(r"\d{1,6}").all()):
            return None
        digits = text.str.zfill(6)
        clock = pd.DataFrame({0: digits.str[:2], 1: digits.str[2:4], 2: digits.str[4:]})
    hours, minutes = clock[0].astype(int), clock[1].astype(int)
    seconds = clock[2].fillna("0").astype(int)
    if (hours > 23).any() or (minutes > 59).any() or (seconds > 59).any():
        return None
    return pd.to_timedelta((hours * 3600 + minutes * 60 + seconds).to_numpy(), unit="s")


def find_time_column(frame: pd.DataFrame, date_column: str) -> str | None:
    """A column beside the dates that holds the time of day: one named Time (``<TIME>``, any
    case) whose values are times, else the first whose values are all ``HH:MM[:SS]``."""
    others = [str(c) for c in frame.columns if str(c) != date_column]
    for column in others:
        if column.strip().strip("<>").strip().lower() == "time" and read_times(frame[column], named=True) is not None:
            return column
    for column in others:
        if read_times(frame[column]) is not None:
            return column
    return None


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
                    and _numeric_dates(values) is not None)
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
