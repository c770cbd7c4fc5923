"""Numbers as a price file writes them: one convention per file (decimal mark, thousands
separators, currency symbols), settled by the file or given, then applied to every column.

* In a file separated by semicolons, tabs or pipes the numeric cells vote: ``1.234,56`` and
  ``100,35`` say decimal comma, ``1,234.56`` and ``100.35`` decimal point; both, or only
  cells such as ``1,234`` that read either way, are refused, naming ``--decimal``.
* In a comma-separated file the decimal mark is a point, so a comma inside a (quoted) number
  is a thousands separator, unless nothing shows it: when the only commas are in values of
  the form ``100,126`` (no ``1,234,567``, no ``1,234.56``, no plain ``100.35`` anywhere), the
  file may be a decimal-comma export (a German-locale spreadsheet) and is refused, naming
  ``--decimal``, rather than read 1000 times too high.

:func:`parse_numbers` then reads every numeric column by that one convention: currency
symbols and codes (``$97.11``, ``EUR 12,5``) and thousands separators are stripped, and a
value still not a number is reported by row, never silently turned into another value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import DataError

DECIMALS = (".", ",")
MISSING = {"", "nan", "na", "n/a", "null", "none", "-", ".", "#n/a"}  # FRED writes "."
_SYMBOL = re.compile(r"[$€£¥₹]|\b(?:USD|EUR|GBP|JPY|CHF|GBX)\b")
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_SPACES = "\u00a0\u202f "
_EXAMPLES = 3


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


def _votes(columns: dict[str, pd.Series]) -> dict[str, list[tuple[str, str]]]:
    """Up to three (column, cell) examples per vote; ``"?,"`` for the either-way cells that
    hold a comma (``100,126``)."""
    votes: dict[str, list[tuple[str, str]]] = {".": [], ",": [], "?": [], "?,": []}
    for name, values in columns.items():
        for cell in _core(values.dropna().astype(str)).head(2_000):
            vote = _decimal_vote(cell)
            if vote is None:
                continue
            keys = (vote, "?,") if vote == "?" and "," in cell else (vote,)
            for key in keys:
                if len(votes[key]) < _EXAMPLES:
                    votes[key].append((name, cell))
    return votes


def sniff_decimal(columns: dict[str, pd.Series], separator: str, path) -> tuple[str, str]:
    """The decimal mark of the numeric cells (given ``columns`` of text) and why."""
    votes = _votes(columns)
    if separator == ",":
        if votes["?,"] and not votes["."] and not votes[","]:
            name, cell = votes["?,"][0]
            raise DataError(f"{path}: column {name!r} holds values such as {cell!r} that read either as "
                            f"{cell.replace(',', '.')} (a decimal comma) or as {cell.replace(',', '')} (a comma "
                            "between thousands), and no other value in this comma-separated file settles which; "
                            "give --decimal . or --decimal ,")
        return ".", "a comma-separated file"
    if votes["."] and votes[","]:
        raise DataError(f"{path}: numbers are written two ways ({votes['.'][0][1]!r} reads with a decimal point, "
                        f"{votes[','][0][1]!r} with a decimal comma); give --decimal . or --decimal ,")
    for mark in DECIMALS:
        if votes[mark]:
            return mark, f"values such as {votes[mark][0][1]!r}"
    if votes["?"]:
        cell = votes["?"][0][1]
        raise DataError(f"{path}: values such as {cell!r} read either as {cell.replace(',', '.')} or as a whole "
                        "number; give --decimal . or --decimal ,")
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
