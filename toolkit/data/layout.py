"""How a price file is written, read from the file itself and stated: its encoding, column
separator, header lines, and number convention (decimal mark, thousands separators,
currency symbols).

Nothing is guessed. Each property is either given (``--encoding``, ``--separator``,
``--decimal``) or settled by the file:

* **encoding**: a byte-order mark says UTF-16 or UTF-8 with BOM; otherwise the text must be
  UTF-8, else the file is refused with the byte that failed and ``--encoding``;
* **separator**: the one of ``,`` ``;`` tab ``|`` that splits the first lines into the same
  number of fields (two or more); none or several equally good: refused, naming
  ``--separator``;
* **header**: one line, or the three of a CSV saved from ``yfinance.download`` (``Price`` /
  ``Ticker`` / ``Date`` lines, in either of the two orders yfinance writes);
* **decimal mark**: a point in a comma-separated file (commas inside numbers are then
  thousands separators); otherwise the numeric cells vote: ``1.234,56`` and ``100,35`` say
  comma, ``1,234.56`` and ``100.35`` say point; both, or only cells such as ``1,234`` that
  read either way, are refused, naming ``--decimal``.

:func:`parse_numbers` then reads every numeric column by that one convention: currency
symbols and codes (``$97.11``, ``EUR 12,5``) and thousands separators are stripped, and a
value still not a number is reported by row, never silently turned into another value.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import DataError

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DECIMALS = (".", ",")
MISSING = {"", "nan", "na", "n/a", "null", "none", "-", ".", "#n/a"}  # FRED writes "."
_SYMBOL = re.compile(r"[$€£¥₹]|\b(?:USD|EUR|GBP|JPY|CHF|GBX)\b")
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_SPACES = "\u00a0\u202f "
SAMPLE_LINES = 50


@dataclass(frozen=True)
class FileLayout:
    """How a file is written.

    Attributes:
        encoding: Python codec name the text was decoded with.
        separator: Column separator.
        header_lines: 1, or 3 for a ``yfinance.download`` CSV.
        symbols: The tickers of a ``yfinance`` header, in column order (empty otherwise).
        settled_by: How the separator was settled (``"given"`` or ``"the file"``).
    """

    encoding: str
    separator: str
    header_lines: int = 1
    symbols: tuple[str, ...] = ()
    settled_by: str = "the file"

    def describe(self) -> str:
        parts = [f"{SEPARATORS.get(self.separator, repr(self.separator))}-separated"]
        if self.encoding != "utf-8":
            parts.append({"utf-8-sig": "UTF-8 with a byte-order mark", "utf-16": "UTF-16"}.get(
                self.encoding, self.encoding))
        if self.header_lines == 3:
            parts.append(f"yfinance's three header lines (Price / Ticker / Date; {', '.join(self.symbols)})")
        return ", ".join(parts)


def decode(data: bytes, path, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the codec that read it."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise DataError(f"{path}: --encoding {encoding!r} is not an encoding Python knows; e.g. utf-8, "
                            "utf-16, cp1252, latin-1") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as err:
            raise DataError(f"{path}: not {encoding} text (byte 0x{data[err.start]:02x} at offset {err.start}); "
                            "check --encoding") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        if data[:200].count(b"\x00") > len(data[:200]) // 4:
            raise DataError(f"{path}: looks like UTF-16 text without a byte-order mark; give --encoding utf-16-le "
                            "(or utf-16-be)") from None
        raise DataError(f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); save it as "
                        "UTF-8, or name its encoding with --encoding (e.g. --encoding cp1252)") from None


def _fields(lines: list[str], separator: str) -> list[list[str]]:
    return list(csv.reader(lines, delimiter=separator))


def sniff_separator(lines: list[str], path) -> str:
    """The separator that splits every sampled line into the same number (two or more) of fields."""
    sample = [line for line in lines[:SAMPLE_LINES] if line.strip()]
    consistent = {}
    for separator in SEPARATORS:
        counts = {len(row) for row in _fields(sample, separator)}
        if len(counts) == 1 and min(counts) >= 2:
            consistent[separator] = counts.pop()
    if len(consistent) == 1:
        return next(iter(consistent))
    if len(consistent) > 1:
        widest = max(consistent.values())
        best = [s for s, n in consistent.items() if n == widest]
        if len(best) == 1:
            return best[0]
    seen = ", ".join(f"{SEPARATORS[s]} {sorted({len(r) for r in _fields(sample, s)})}" for s in SEPARATORS)
    first = sample[0][:60] if sample else ""
    raise DataError(f"{path}: cannot tell the column separator (fields per line by {seen}; the first line reads "
                    f"{first!r}); give it with --separator, e.g. --separator ';'")


def _yfinance_header(rows: list[list[str]]) -> tuple[int, int] | None:
    """Rows ``(fields_row, tickers_row)`` of yfinance's three header lines, else None."""
    if len(rows) < 4 or len(rows[2]) < 2:
        return None
    first = [row[0].strip() if row else "" for row in rows[:3]]
    empty_third = all(not cell.strip() for cell in rows[2][1:])
    if first[2].lower() in ("date", "datetime") and empty_third and {first[0], first[1]} == {"Price", "Ticker"}:
        return (0, 1) if first[0] == "Price" else (1, 0)
    return None


def read_table(text: str, path, *, separator: str | None = None, encoding: str = "utf-8",
               symbol: str | None = None) -> tuple[pd.DataFrame, FileLayout]:
    """Every cell of the file as text (columns named by the header), and how it is laid out.

    A yfinance file of several tickers needs ``symbol`` to choose one; of one ticker, its
    columns are that ticker's fields.
    """
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError(f"{path}: the file is empty; give a CSV with a header line and rows of dates and prices")
    settled = "given" if separator is not None else "the file"
    if separator is None:
        separator = sniff_separator(lines, path)
    elif separator not in SEPARATORS:
        raise DataError(f"{path}: --separator must be one of ',', ';', tab ('\\t') or '|'. Received: {separator!r}")
    rows = _fields(lines[:4], separator)
    yfinance = _yfinance_header(rows)
    header_lines = 3 if yfinance else 1
    try:
        body = pd.read_csv(io.StringIO(text), sep=separator, header=None, skiprows=header_lines, dtype=str,
                           keep_default_na=False, skip_blank_lines=True, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path}: not a readable {SEPARATORS[separator]}-separated file "
                        f"({str(err).splitlines()[0]}); check --separator") from None
    if yfinance is None:
        if symbol is not None:
            raise DataError(f"{path}: --symbol {symbol!r} chooses a ticker of a file saved by yfinance.download for "
                            "several tickers; this file has one header line, so leave --symbol out")
        names = [str(name).strip() for name in rows[0]]
        symbols: tuple[str, ...] = ()
    else:
        fields, tickers = (rows[i] for i in yfinance)
        names = [rows[2][0].strip()] + [f.strip() for f in fields[1:]]
        column_symbols = [t.strip() for t in tickers[1:]]
        symbols = tuple(dict.fromkeys(column_symbols))
        if len(symbols) > 1 or symbol is not None:
            if symbol is None:
                raise DataError(f"{path} holds {len(symbols)} tickers ({', '.join(symbols)}); choose one with "
                                f"--symbol {symbols[0]}")
            if symbol not in symbols:
                raise DataError(f"{path}: no ticker {symbol!r}; it holds {', '.join(symbols)}")
            keep = [0] + [i + 1 for i, s in enumerate(column_symbols) if s == symbol]
            body, names = body.iloc[:, keep], [names[i] for i in keep]
    if body.shape[1] != len(names):
        raise DataError(f"{path}: the header names {len(names)} columns but the rows hold {body.shape[1]}; "
                        "check --separator")
    body.columns = _unique(names)
    return body, FileLayout(encoding, separator, header_lines, symbols, settled)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name or "unnamed"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


# -- numbers ------------------------------------------------------------------------------

def _core(text: pd.Series) -> pd.Series:
    """Cells without currency symbols or codes and without surrounding spaces."""
    return text.str.replace(_SYMBOL, "", regex=True).str.strip()


def _decimal_vote(cell: str) -> str | None:
    """``"."``, ``","``, ``"?"`` (reads either way) or None (no vote) for one numeric-looking cell."""
    digits = cell.lstrip("+-")
    for space in _SPACES + "'":
        digits = digits.replace(space, "")
    if not digits or not re.fullmatch(r"[\d.,]+", digits) or not any(c.isdigit() for c in digits):
        return None
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        return "." if digits.rfind(".") > digits.rfind(",") else ","
    for mark, count in ((".", dots), (",", commas)):
        if count > 1:
            return "," if mark == "." else "."
        if count == 1:
            return "?" if len(digits) - digits.index(mark) - 1 == 3 else mark
    return None


def sniff_decimal(columns: dict[str, pd.Series], separator: str, path) -> tuple[str, str]:
    """The decimal mark of the numeric cells (given ``columns`` of text) and why."""
    if separator == ",":
        return ".", "a comma-separated file"
    votes: dict[str, list[str]] = {".": [], ",": [], "?": []}
    for values in columns.values():
        for cell in _core(values.dropna().astype(str)).head(2_000):
            vote = _decimal_vote(cell)
            if vote is not None and len(votes[vote]) < 3:
                votes[vote].append(cell)
    if votes["."] and votes[","]:
        raise DataError(f"{path}: numbers are written two ways ({votes['.'][0]!r} reads with a decimal point, "
                        f"{votes[','][0]!r} with a decimal comma); give --decimal . or --decimal ,")
    for mark in DECIMALS:
        if votes[mark]:
            return mark, f"values such as {votes[mark][0]!r}"
    if votes["?"]:
        raise DataError(f"{path}: values such as {votes['?'][0]!r} read either as {votes['?'][0].replace(',', '.')} "
                        "or as a whole number; give --decimal . or --decimal ,")
    return ".", "whole numbers only"


@dataclass(frozen=True)
class ParsedColumn:
    """One column read as numbers: the values (NaN where missing or unreadable), which cells
    could not be read, and the currency symbols stripped."""

    values: np.ndarray
    unreadable: np.ndarray
    currencies: tuple[str, ...]

    @property
    def numeric(self) -> bool:
        """Whether the column holds numbers at all (some readable, non-missing cell)."""
        return bool((~np.isnan(self.values)).any())


def parse_numbers(values: pd.Series, decimal: str) -> ParsedColumn:
    """Read text cells as numbers with one convention: ``decimal`` mark, the other mark (or a
    space, an apostrophe) between groups of three digits, currency symbols and codes
    stripped. Missing markers (empty, NaN, N/A, null, ``-``, ``.``) are NaN; anything else
    that is not a number is flagged in ``unreadable``."""
    text = values.astype("string").fillna("")
    stripped = text.str.strip()
    missing = stripped.str.lower().isin(MISSING).to_numpy()
    currencies = tuple(sorted({m for m in stripped.str.findall(_SYMBOL).explode().dropna() if m}))
    core = _core(stripped)
    thousands = "," if decimal == "." else "."
    for space in _SPACES + "'":
        core = core.str.replace(space, "", regex=False)
    sign = core.str.extract(r"^([-+]?)", expand=False).fillna("")
    body = core.str.lstrip("+-")
    integer = body.str.split(re.escape(decimal), n=1, regex=True).str[0].fillna("")
    grouped = integer.str.contains(re.escape(thousands), regex=True)
    well_grouped = integer.str.fullmatch(r"\d{1,3}(?:" + re.escape(thousands) + r"\d{3})+")
    cleaned = body.where(~grouped, body.str.replace(thousands, "", regex=False))
    if decimal == ",":
        cleaned = cleaned.str.replace(",", ".", regex=False)
    cleaned = sign + cleaned
    ok = cleaned.str.fullmatch(_NUMBER.pattern).fillna(False).to_numpy() & ~(grouped & ~well_grouped).to_numpy()
    numbers = pd.to_numeric(cleaned.where(pd.Series(ok, index=cleaned.index)), errors="coerce").to_numpy("float64")
    unreadable = ~ok & ~missing
    numbers[~ok] = np.nan
    return ParsedColumn(numbers, unreadable, currencies)
