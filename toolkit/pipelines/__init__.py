"""Pure numpy/pandas steps from a checked series to model-ready arrays (no I/O)."""

from toolkit.pipelines.split import ChronologicalSplit, chronological_split
from toolkit.pipelines.windowed import WindowedData, make_windowed_data
from toolkit.pipelines.windows import sliding_windows, window_count

__all__ = [
    "ChronologicalSplit",
    "WindowedData",
    "chronological_split",
    "make_windowed_data",
    "sliding_windows",
    "window_count",
]
