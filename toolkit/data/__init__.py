"""Edge of the toolkit that touches data: Yahoo Finance, the parquet cache, bundled files and
user CSVs, all ending in one checked :class:`PriceFrame`."""

from toolkit.data.bundled import BUNDLED, bundled_data_dir
from toolkit.data.frame import CleaningReport, PriceFrame, Provenance, validate_prices
from toolkit.data.load import PriceRequest, load_prices

__all__ = [
    "BUNDLED",
    "CleaningReport",
    "PriceFrame",
    "PriceRequest",
    "Provenance",
    "bundled_data_dir",
    "load_prices",
    "validate_prices",
]
