"""Input features from a price frame's columns, in the form each target needs.

Names: ``close`` (the target column itself), ``open``, ``high``, ``low``, ``volume`` and
``return`` (the target's daily log return). For a ``price`` target every feature is
used at its level (min-max scaled later); for a ``log-return`` target, price-like columns
become daily log changes and volume its daily log change, so all inputs are stationary.
The first row has no previous value: its changes are set to 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.errors import DataError, UsageError

FEATURES = ("close", "open", "high", "low", "volume", "return")
_COLUMNS = {"open": "Open", "high": "High", "low": "Low", "volume": "Volume"}


def check_features(features) -> tuple[str, ...]:
    features = tuple(dict.fromkeys(f.strip().lower() for f in features))
    unknown = [f for f in features if f not in FEATURES]
    if unknown or not features:
        raise UsageError(f"features must be chosen from {', '.join(FEATURES)}. Received: {', '.join(features) or 'none'}")
    if features[0] != "close":
        features = ("close",) + tuple(f for f in features if f != "close")
    return features


def feature_columns(features) -> dict[str, str]:
    """The frame column each feature other than the close reads."""
    return {name: _COLUMNS[name] for name in check_features(features) if name in _COLUMNS}


def _log_change(values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.diff(np.log(values))])


def feature_matrix(frame: pd.DataFrame, target: str, features=("close",), kind: str = "price") -> np.ndarray:
    """Raw (unscaled) features, shape ``(n, len(features))``, ``close`` first.

    Args:
        frame: A validated price frame's ``frame``.
        target: Its target column.
        features: Names from :data:`FEATURES`. Defaults to ``("close",)``.
        kind: ``"price"`` or ``"log-return"``: the target the features feed.

    Raises:
        UsageError: For an unknown feature or a column the data does not have.
    """
    features = check_features(features)
    close = frame[target].to_numpy(dtype="float64")
    columns = []
    for name in features:
        if name in ("close", "return"):
            values = close if (name == "close" and kind == "price") else _log_change(close)
        else:
            column = _COLUMNS[name]
            if column not in frame.columns:
                raise UsageError(f"feature {name!r} needs a {column!r} column; the data has "
                                 f"{', '.join(map(str, frame.columns))}")
            raw = frame[column].to_numpy(dtype="float64")
            if kind == "price":
                values = raw
            elif name == "volume":
                values = _log_change(raw + 1.0)
            else:  # open / high / low relative to the previous close
                values = np.concatenate([[0.0], np.log(raw[1:] / close[:-1])])
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(f"feature {name!r} is not finite on {frame.index[row].date()} (row {row + 1}); "
                            "fix that row or leave the feature out of --features")
        columns.append(values)
    return np.column_stack(columns)
