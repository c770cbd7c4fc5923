"""One-day jumps in a price series: found, explained when a known cause fits, and refused,
kept or adjusted as the user says.

A close-only file with an unadjusted 4:1 split, or a London series that switches from pence
to pounds, reads as a one-day fall of 75% or 99%: nothing a model should learn, and enough
to send the drift benchmark below zero. A move beyond ``max_jump`` in absolute log return
(0.5 by default: a 39% fall or a 65% rise) is a jump; its ratio (the price before over the
price after) is compared with split ratios and with 100 (pence and pounds, cents and
dollars) within 3%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from toolkit.errors import DataError

POLICIES = ("refuse", "keep", "adjust")
MAX_JUMP = 0.5
SPLIT_RATIOS = (2, 3, 4, 5, 6, 8, 10, 15, 20, 25, 30, 40, 50)
UNIT_RATIOS = (100, 1000)
TOLERANCE = 0.03


@dataclass(frozen=True)
class Jump:
    """A one-day move beyond the threshold.

    Attributes:
        date: The day of the new price.
        before: The price the day before.
        after: The price that day.
        log_return: ``log(after / before)``.
        ratio: ``before / after`` as it stands (4.02 for a 4:1 split on a day the stock rose 0.5%).
        factor: What an adjustment divides the earlier prices by: the cause's exact ratio (4 for a
            4:1 split, 100 for a unit switch), else ``ratio``.
        cause: The likely cause in words.
    """

    date: pd.Timestamp
    before: float
    after: float
    log_return: float
    ratio: float
    factor: float
    cause: str

    def describe(self) -> str:
        return (f"{self.date.date()} from {self.before:.6g} to {self.after:.6g} (x{1 / self.ratio:.4g}; "
                f"{self.cause})")

    def as_dict(self) -> dict:
        return {**asdict(self), "date": str(self.date.date())}


def likely_cause(ratio: float) -> tuple[str, float]:
    """The likely cause of a jump of ``ratio`` (price before over after) and the exact factor."""
    big = ratio if ratio >= 1 else 1 / ratio
    for unit in UNIT_RATIOS:
        if abs(big / unit - 1) < TOLERANCE:
            kind = "pence to pounds, cents to dollars" if ratio > 1 else "pounds to pence, dollars to cents"
            return f"a {unit}x unit switch ({kind})?", float(unit if ratio > 1 else 1 / unit)
    for split in SPLIT_RATIOS:
        if abs(big / split - 1) < TOLERANCE:
            if ratio > 1:
                return f"an unadjusted {split}:1 split?", float(split)
            return f"an unadjusted 1:{split} reverse split?", float(1 / split)
    return "no split or unit ratio fits: a real move, or an error in the data", float(ratio)


def find_jumps(dates: pd.DatetimeIndex, prices: np.ndarray, max_jump: float = MAX_JUMP) -> list[Jump]:
    """Every one-day move with ``|log return| > max_jump``, oldest first."""
    prices = np.asarray(prices, dtype="float64")
    moves = np.diff(np.log(prices))
    jumps = []
    for row in np.flatnonzero(np.abs(moves) > max_jump) + 1:
        ratio = float(prices[row - 1] / prices[row])
        cause, factor = likely_cause(ratio)
        jumps.append(Jump(dates[row], float(prices[row - 1]), float(prices[row]), float(moves[row - 1]), ratio,
                          factor, cause))
    return jumps


def adjust(frame: pd.DataFrame, jumps: list[Jump], price_columns: list[str], volume_columns: list[str]) -> pd.DataFrame:
    """The frame with every row before each jump divided by its factor (prices) or multiplied
    by it (volumes), as a split adjustment does."""
    frame = frame.copy()
    for jump in jumps:
        earlier = frame.index < jump.date
        frame.loc[earlier, price_columns] = frame.loc[earlier, price_columns] / jump.factor
        if volume_columns:
            frame.loc[earlier, volume_columns] = frame.loc[earlier, volume_columns] * jump.factor
    return frame


def check_policy(policy: str, max_jump) -> None:
    from toolkit.errors import UsageError

    if policy not in POLICIES:
        raise UsageError(f"--jumps must be one of {', '.join(POLICIES)}. Received: {policy!r}")
    if isinstance(max_jump, bool) or not isinstance(max_jump, (int, float)) or not np.isfinite(max_jump) \
            or not 0 < max_jump <= 10:
        raise UsageError(f"--max-jump must be a number in (0, 10] (an absolute one-day log return). "
                         f"Received: {max_jump!r}")


def refusal(name: str, jumps: list[Jump], max_jump: float) -> DataError:
    shown = "; ".join(j.describe() for j in jumps[:3]) + (f"; and {len(jumps) - 3} more" if len(jumps) > 3 else "")
    return DataError(f"{name}: {len(jumps)} one-day move(s) beyond |log return| {max_jump:g}: {shown}. If the prices "
                     "are right, give --jumps keep; to divide the prices before each jump by its ratio, --jumps "
                     "adjust; --max-jump sets the threshold")
