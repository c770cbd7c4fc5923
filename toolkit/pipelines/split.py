"""Chronological train / validation / test split of a series (never shuffled)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from toolkit.errors import UsageError


@dataclass(frozen=True)
class ChronologicalSplit:
    """Row boundaries: train ``[0, train_end)``, validation ``[train_end, val_end)``,
    test ``[val_end, n)``."""

    n: int
    train_end: int
    val_end: int

    @property
    def sizes(self) -> tuple[int, int, int]:
        return self.train_end, self.val_end - self.train_end, self.n - self.val_end


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    for flag, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 < value < 1:
            raise UsageError(f"{flag} must lie strictly between 0 and 1. Received: {flag}={value!r}")
    if val_fraction + test_fraction >= 1:
        raise UsageError(
            "val_fraction + test_fraction must leave rows for training. "
            f"Received: val_fraction={val_fraction}, test_fraction={test_fraction}"
        )


def chronological_split(n: int, val_fraction: float = 0.15, test_fraction: float = 0.15) -> ChronologicalSplit:
    """Split ``n`` time-ordered rows: the oldest train, then validation, the newest test.

    Sizes round towards the test part so it never shrinks below its fraction.
    """
    check_fractions(val_fraction, test_fraction)
    n_test = math.ceil(n * test_fraction)
    n_val = math.ceil(n * val_fraction)
    return ChronologicalSplit(n=n, train_end=max(n - n_test - n_val, 0), val_end=max(n - n_test, 0))
