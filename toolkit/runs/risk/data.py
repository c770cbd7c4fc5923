"""From a checked price frame to the risk run's :class:`~toolkit.forecasters.variance.RiskData`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.errors import DataError
from toolkit.evaluation.volatility import variance_proxy
from toolkit.forecasters.variance import RiskData

#: The columns each proxy reads.
NEEDS = {"close_to_close": ("Close",), "parkinson": ("High", "Low"),
         "garman_klass": ("Open", "High", "Low", "Close"), "rogers_satchell": ("Open", "High", "Low", "Close"),
         "yang_zhang": ("Open", "High", "Low", "Close")}
FAKE_OPEN_SHARE = 0.5  # an Open equal to the previous close this often is not a real open


@dataclass
class PreparedData:
    """The run's series: the data the models see, its dates (row ``i`` is ``dates[i]``), the
    proxies used, and notes for the report."""

    data: RiskData
    dates: pd.DatetimeIndex
    proxy: str
    feature_proxy: str
    notes: list[str] = field(default_factory=list)


def prepare(frame: pd.DataFrame, config) -> PreparedData:
    """Returns and proxies from daily bars (``Close``; ``Open``, ``High``, ``Low`` for the range
    proxies), the newest ``config.max_rows`` rows. A proxy whose columns the file lacks falls
    back to close-to-close, and says so.

    Raises:
        DataError: For a file without ``Close``, an exogenous column it lacks or cannot read,
            or fewer rows than ``min_train`` plus 250 forecast days.
    """
    notes = []
    if "Close" not in frame.columns:
        raise DataError(f"the risk run needs a Close column (daily bars); the data has {list(frame.columns)}. "
                        "Name the columns Open, High, Low, Close")
    if config.max_rows:
        frame = frame.iloc[-(config.max_rows + 1):]
    chosen = {}
    for role in ("proxy", "feature_proxy"):
        kind = getattr(config, role)
        missing = [c for c in NEEDS[kind] if c not in frame.columns]
        if missing:
            notes.append(f"the data has no {', '.join(missing)} column, so the {role.replace('_', ' ')} is "
                         f"close-to-close (squared returns) instead of {kind.replace('_', '-')}")
            kind = "close_to_close"
        chosen[role] = kind
    if "Open" in frame.columns and any("Open" in NEEDS[k] for k in chosen.values()):
        same = float((frame["Open"].to_numpy()[1:] == frame["Close"].to_numpy()[:-1]).mean())
        if same > FAKE_OPEN_SHARE:
            notes.append(f"the Open equals the previous Close on {same:.0%} of days (not a real open), so the "
                         "proxies that read the Open mix in the overnight move; parkinson reads High and Low only")
    series = {}
    for role, kind in chosen.items():
        try:
            series[role] = variance_proxy(frame, kind).to_numpy()[1:]
        except ValueError as err:
            if kind == "close_to_close":
                raise DataError(f"the closes cannot give a variance proxy: {err}") from None
            # A bad bar (a High below the Close) must not cost the run: squared returns need the closes only.
            notes.append(f"the {role.replace('_', ' ')} is close-to-close instead of {kind.replace('_', '-')}: {err}")
            chosen[role] = "close_to_close"
            series[role] = variance_proxy(frame, "close_to_close").to_numpy()[1:]
    returns = np.diff(np.log(frame["Close"].to_numpy(dtype="float64")))
    exog = None
    if config.exog_column:
        if config.exog_column not in frame.columns:
            raise DataError(f"exog_column {config.exog_column!r} is not a column of the data; it has "
                            f"{list(frame.columns)}")
        exog = pd.to_numeric(frame[config.exog_column], errors="coerce").to_numpy(dtype="float64")[1:]
    usable = np.isfinite(series["proxy"]) & np.isfinite(series["feature_proxy"])
    if exog is not None:
        usable &= np.isfinite(exog)
    first = int(np.argmax(usable)) if usable.any() else len(usable)
    if not usable[first:].all():
        bad = first + int(np.argmax(~usable[first:]))
        raise DataError(f"row {frame.index[bad + 1].date()} has no usable proxy or exogenous value after the first "
                        "usable one; fill or drop it")
    dates = frame.index[1:][first:]
    data = RiskData(returns[first:], series["proxy"][first:], series["feature_proxy"][first:],
                    None if exog is None else exog[first:])
    if len(data) < config.min_train + 250:
        raise DataError(f"{len(data):,} days of returns leave fewer than 250 forecast days after min_train="
                        f"{config.min_train:,}; use more data or a smaller min_train")
    return PreparedData(data, dates, chosen["proxy"], chosen["feature_proxy"], notes)
