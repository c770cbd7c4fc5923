"""A universe of series to forecast: Yahoo Finance symbols and CSV paths, checked once.

Entries come from the command line (``toolkit forecast SPY QQQ prices/gold.csv``) and from a
tickers file (``--tickers-file FILE``: one entry a line, ``#`` starts a comment). An entry
ending in ``.csv`` is a file of prices; anything else is a symbol. Every entry is checked
before any price is loaded: a malformed symbol or a missing file stops the command with one
line naming the entry, while a well-formed symbol that has no data fails alone later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from toolkit.data.load import PriceRequest, check_ticker
from toolkit.errors import UsageError

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class UniverseEntry:
    """One series of a universe: its label (symbol or file name) and the request that loads it."""

    label: str
    request: PriceRequest


def read_tickers_file(path: str | Path) -> list[str]:
    """Entries of a tickers file: one per line, blank lines and ``#`` comments skipped
    (a comment may follow an entry on its line)."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--tickers-file {str(path)!r} is a folder; give a text file with one symbol a line")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"--tickers-file {str(path)!r}: no such file; check the path") from None
    except UnicodeDecodeError:
        raise UsageError(f"--tickers-file {str(path)!r} is not UTF-8 text; give a text file with one symbol "
                         "a line") from None
    except OSError as err:
        raise UsageError(f"--tickers-file {str(path)!r} cannot be read ({err.strerror or err})") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if len(entry.split()) > 1:
            raise UsageError(f"--tickers-file {path.name} line {number}: {entry!r} holds more than one entry; "
                             "put one symbol a line")
        entries.append(entry)
    if not entries:
        raise UsageError(f"--tickers-file {str(path)!r} lists no symbols; put one symbol a line (# for comments)")
    return entries


def build_universe(entries: list[str], template: PriceRequest) -> list[UniverseEntry]:
    """Check every entry and give each its own request (dates, columns and cache from
    ``template``). Duplicates are dropped, keeping the first; raises :class:`UsageError`."""
    if not entries:
        raise UsageError("no tickers given; name symbols (toolkit forecast SPY QQQ) or a --tickers-file")
    if len(entries) > MAX_ENTRIES:
        raise UsageError(f"at most {MAX_ENTRIES:,} tickers a run. Received: {len(entries):,}; split the list")
    if template.csv is not None:
        raise UsageError("--csv names one file; to forecast several, list the CSV paths as tickers")
    universe: dict[str, UniverseEntry] = {}
    for entry in entries:
        if entry.lower().endswith(".csv"):
            request = replace(template, ticker=None, csv=entry)
            label = Path(entry).name
        else:
            request = replace(template, ticker=check_ticker(entry), csv=None)
            label = request.ticker
        try:
            request.validate()
        except UsageError as err:
            raise UsageError(f"ticker list entry {entry!r}: {err}") from None
        key = str(Path(entry).resolve()) if request.csv is not None else label
        if key not in universe:
            universe[key] = UniverseEntry(label, request)
    labels = [u.label for u in universe.values()]
    clashes = sorted({label for label in labels if labels.count(label) > 1})
    if clashes:
        raise UsageError(f"two CSV files share the name {clashes[0]!r}; rename one so their reports can be told apart")
    return list(universe.values())


def collect_universe(tickers, tickers_file, template: PriceRequest) -> list[UniverseEntry]:
    """The universe of a command or pipeline file: ``tickers`` (symbols or CSV paths), then
    the entries of ``tickers_file``; a lone ``template.csv`` is a universe of one; nothing
    given is the bundled ^GSPC."""
    entries = list(tickers or []) + (read_tickers_file(tickers_file) if tickers_file else [])
    if template.csv is not None:
        if entries:
            raise UsageError("--csv names one file; to forecast several, list the CSV paths as tickers")
        entries, template = [str(template.csv)], replace(template, csv=None)
    if template.ticker is not None:
        entries, template = [template.ticker, *entries], replace(template, ticker=None)
    return build_universe(entries or ["^GSPC"], template)
