"""How a price file is written, read from the file itself and stated: its compression,
encoding, column separator and header lines (the number convention is
:mod:`toolkit.data.numbers`).

Nothing is guessed. Each property is either given (``--encoding``, ``--separator``) or
settled by the file:

* **what it is**: gzip is read through (and said); a zip archive or Excel workbook is
  refused (save it as CSV);
* **encoding**: a byte-order mark says UTF-16 or UTF-8 with BOM; text that is one NUL byte
  in two is UTF-16 without a mark, refused naming ``--encoding utf-16-le`` / ``utf-16-be``;
  otherwise the text must be UTF-8, else the file is refused with the byte that failed and
  ``--encoding``; a NUL byte left in the text is refused (it would cut a value short);
* **separator**: the one of ``,`` ``;`` tab ``|`` that splits the first lines into the same
  number of fields (two or more); none or several equally good: refused, naming
  ``--separator``;
* **header**: one line, or the three of a CSV saved from ``yfinance.download`` (``Price`` /
  ``Ticker`` / ``Date`` lines, in either of the two orders yfinance writes). Blank lines
  above it are skipped; so are the lines of a preamble (Bloomberg's ``Security,...`` /
  ``Start Date,...``) when exactly one line below them names a date column and the lines
  after it all split into as many fields; the note says how many lines were skipped.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass

import pandas as pd

from toolkit.data.dates import DATE_NAMES
from toolkit.errors import DataError, UsageError

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_LINES = 50
FOOTER_LINES = 5  # the most trailing lines told apart as a footer
PREAMBLE_LINES = 30  # how far down a header is looked for below a preamble


@dataclass(frozen=True)
class FileLayout:
    """How a file is written.

    Attributes:
        encoding: Python codec name the text was decoded with.
        separator: Column separator.
        header_lines: 1, or 3 for a ``yfinance.download`` CSV.
        symbols: The tickers of a ``yfinance`` header, in column order (empty otherwise).
        settled_by: How the separator was settled (``"given"`` or ``"the file"``).
        skipped_lines: Blank or preamble lines above the header.
        gzipped: Whether the file was gzip-compressed.
    """

    encoding: str
    separator: str
    header_lines: int = 1
    symbols: tuple[str, ...] = ()
    settled_by: str = "the file"
    skipped_lines: int = 0
    gzipped: bool = False

    @property
    def lines_before_rows(self) -> int:
        """Lines of the file above its first row of data."""
        return self.skipped_lines + self.header_lines

    def describe(self) -> str:
        parts = [f"{SEPARATORS.get(self.separator, repr(self.separator))}-separated"]
        if self.gzipped:
            parts.insert(0, "gzip-compressed")
        if self.encoding != "utf-8":
            parts.append({"utf-8-sig": "UTF-8 with a byte-order mark", "utf-16": "UTF-16"}.get(
                self.encoding, self.encoding))
        if self.skipped_lines:
            parts.append(f"{self.skipped_lines} line(s) above the header skipped")
        if self.header_lines == 3:
            parts.append(f"yfinance's three header lines (Price / Ticker / Date; {', '.join(self.symbols)})")
        return ", ".join(parts)


def unwrap(data: bytes, path) -> tuple[bytes, bool]:
    """The file's bytes, decompressed when gzip (and whether it was); a zip archive (an
    Excel workbook is one) is refused."""
    if data.startswith(b"PK\x03\x04"):
        raise DataError(f"{path}: is an Excel workbook or zip archive, not a CSV: save it as CSV (in Excel: File > "
                        "Save As > CSV UTF-8), or unzip it")
    if data.startswith(b"\x1f\x8b"):
        try:
            return gzip.decompress(data), True
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"{path}: is gzip-compressed but cannot be decompressed ({err}); decompress it "
                            "yourself or download it again") from None
    return data, False


def decode(data: bytes, path, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the codec that read it."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"--encoding {encoding!r} is not an encoding Python knows; e.g. utf-8, utf-16, "
                             "cp1252, latin-1") from None
        try:
            return _no_nul(data.decode(encoding), path), encoding
        except UnicodeDecodeError as err:
            raise DataError(f"{path}: not {encoding} text (byte 0x{data[err.start]:02x} at offset {err.start}); "
                            "check --encoding") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _no_nul(data.decode("utf-16"), path), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return _no_nul(data.decode("utf-8-sig"), path), "utf-8-sig"
    head = data[:400]
    if head.count(b"\x00") > len(head) // 4:
        odd = head[1::2].count(b"\x00") > head[0::2].count(b"\x00")
        raise DataError(f"{path}: looks like UTF-16 text without a byte-order mark (one NUL byte in two); give "
                        f"--encoding {'utf-16-le' if odd else 'utf-16-be'}")
    try:
        return _no_nul(data.decode("utf-8"), path), "utf-8"
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); save it as "
                        "UTF-8, or name its encoding with --encoding (e.g. --encoding cp1252)") from None


def _no_nul(text: str, path) -> str:
    """The text, refused when it holds a NUL character: a reader would end the value there."""
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        start = text.rfind("\n", 0, at) + 1
        shown = text[start:text.find("\n", at) if text.find("\n", at) >= 0 else len(text)][:60]
        raise DataError(f"{path}: line {line} holds a NUL byte ({shown!r}); the file is damaged or not text: remove "
                        "the byte, or export the file again")
    return text


def _fields(lines: list[str], separator: str) -> list[list[str]]:
    return list(csv.reader(lines, delimiter=separator))


def sniff_separator(lines: list[str], path) -> str:
    """The separator that splits every sampled line into the same number (two or more) of fields
    (in a short file, but for a footer of up to ``FOOTER_LINES`` lines, refused later by name)."""
    sample = [line for line in lines[:SAMPLE_LINES] if line.strip()]
    found = _consistent(sample)
    whole = len(sample) < SAMPLE_LINES
    for cut in range(1, FOOTER_LINES + 1 if whole and found is None else 1):
        if len(sample) - cut >= 2:
            found = found or _consistent(sample[:-cut])
    if found:
        return found
    seen = ", ".join(f"{SEPARATORS[s]} {sorted({len(r) for r in _fields(sample, s)})}" for s in SEPARATORS)
    first = sample[0][:60] if sample else ""
    raise DataError(f"{path}: cannot tell the column separator (fields per line by {seen}; the first line reads "
                    f"{first!r}); give it with --separator, e.g. --separator ';'")


def _consistent(sample: list[str]) -> str | None:
    """The separator that splits every line of ``sample`` into the same number (two or more) of
    fields; of several, the one that gives the most; None when none or a tie."""
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
    return None


def _date_header(field: str) -> bool:
    name = field.strip().strip("<>").strip().lower()
    return name in DATE_NAMES or re.search(r"\bdate\b", name) is not None


def _header_at(lines: list[str], row: int, separator: str) -> bool:
    """Whether ``lines[row]`` reads as a header naming a date column, with the lines after it
    (the first ``SAMPLE_LINES`` not blank, at least one) split into as many fields."""
    (fields,) = _fields([lines[row]], separator) or [[]]
    if len(fields) < 2 or not any(_date_header(f) for f in fields):
        return False
    below = [line for line in lines[row + 1:row + 1 + 2 * SAMPLE_LINES] if line.strip()][:SAMPLE_LINES]
    return bool(below) and all(len(r) == len(fields) for r in _fields(below, separator))


def locate_header(lines: list[str], separator: str | None, path) -> tuple[int, str]:
    """The line of the header (blank and preamble lines above it skipped) and the separator."""
    start = next(i for i, line in enumerate(lines) if line.strip())
    try:
        found = separator or sniff_separator(lines[start:], path)
    except DataError as err:
        found, refusal = None, err
    if found is not None:
        first = _fields([lines[start]], found)
        if _yfinance_header(_fields(lines[start:start + 4], found)) or (first and any(map(_date_header, first[0]))):
            return start, found
    for row in range(start + 1, min(len(lines), start + PREAMBLE_LINES)):
        if not lines[row].strip():
            continue
        fits = [s for s in ([separator] if separator else SEPARATORS) if _header_at(lines, row, s)]
        if len(fits) == 1:
            return row, fits[0]
        if fits:
            break
    if found is None:
        raise refusal
    return start, found


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
    if separator is not None and separator not in SEPARATORS:
        raise UsageError(f"--separator must be one of ',', ';', tab ('\\t') or '|'. Received: {separator!r}")
    start, separator = locate_header(lines, separator, path)
    rows = _fields(lines[start:start + 4], separator)
    yfinance = _yfinance_header(rows)
    header_lines = 3 if yfinance else 1
    if not any(line.strip() for line in lines[start + header_lines:]):
        raise DataError(f"{path}: has a header but no rows (it reads {lines[start][:80]!r}); give a file with rows of "
                        "dates and prices below the header")
    try:
        body = pd.read_csv(io.StringIO(text), sep=separator, header=None, skiprows=start + header_lines, dtype=str,
                           keep_default_na=False, skip_blank_lines=True, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        line = re.search(r"line (\d+), saw", str(err))
        if line and int(line.group(1)) > len(lines) - FOOTER_LINES:
            count = len(lines) - int(line.group(1)) + 1
            raise DataError(f"{path}: the last {count} line(s) are not data (e.g. a footer; line {line.group(1)} reads "
                            f"{lines[int(line.group(1)) - 1][:60]!r}): delete them") from None
        raise DataError(f"{path}: not a readable {SEPARATORS[separator]}-separated file "
                        f"({str(err).splitlines()[0]}); check --separator") from None
    if yfinance is None:
        if symbol is not None:
            raise UsageError(f"{path}: --symbol {symbol!r} chooses a ticker of a file saved by yfinance.download for "
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
                raise UsageError(f"{path} holds {len(symbols)} tickers ({', '.join(symbols)}); choose one with "
                                 f"--symbol {symbols[0]}")
            if symbol not in symbols:
                raise UsageError(f"{path}: no ticker {symbol!r}; it holds {', '.join(symbols)}")
            keep = [0] + [i + 1 for i, s in enumerate(column_symbols) if s == symbol]
            body, names = body.iloc[:, keep], [names[i] for i in keep]
    if body.shape[1] != len(names):
        raise DataError(f"{path}: the header names {len(names)} columns but the rows hold {body.shape[1]}; "
                        "check --separator")
    body.columns = _unique(names)
    return body, FileLayout(encoding, separator, header_lines, symbols, settled, skipped_lines=start)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name or "unnamed"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out
