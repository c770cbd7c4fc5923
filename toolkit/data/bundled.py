"""Real daily prices shipped in the repository's ``data/`` folder for offline use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.errors import DataError


@dataclass(frozen=True)
class BundledSeries:
    ticker: str
    file: str
    title: str


BUNDLED = {
    "^GSPC": BundledSeries("^GSPC", "gspc.csv.gz", "S&P 500 index"),
    "^IXIC": BundledSeries("^IXIC", "ixic.csv.gz", "NASDAQ Composite index"),
}
DEFAULT_TICKER = "^GSPC"
ADJUSTMENT = "indices pay no dividends: Adj Close equals Close"


def bundled_data_dir() -> Path:
    """The folder holding bundled data: ``$TOOLKIT_DATA_DIR`` or the repository's ``data/``."""
    override = os.environ.get("TOOLKIT_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "data"


def find_bundled(ticker: str) -> BundledSeries | None:
    """The bundled series for ``ticker`` (case-insensitive, the caret optional)."""
    key = ticker.upper()
    return BUNDLED.get(key) or BUNDLED.get("^" + key)


def read_bundled(series: BundledSeries) -> pd.DataFrame:
    """Read a bundled OHLCV file into a frame indexed by date."""
    path = bundled_data_dir() / series.file
    if not path.is_file():
        raise DataError(
            f"bundled data file {path} is missing; reinstall from a full clone "
            "(pip install -e .) or set TOOLKIT_DATA_DIR to the folder holding it"
        )
    frame = pd.read_csv(path, parse_dates=["Date"], date_format="%m/%d/%Y", index_col="Date")
    return frame
