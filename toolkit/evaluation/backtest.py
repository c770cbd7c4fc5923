"""Walk-forward (rolling-origin) folds over a series, on scikit-learn's TimeSeriesSplit."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import TimeSeriesSplit

from toolkit.errors import DataError, UsageError
from toolkit.pipelines.windowed import (
    MIN_EVAL_TARGETS, MIN_TRAIN_WINDOWS, FoldBounds, single_split_bounds,
)

MODES = ("expanding", "sliding")


def walk_forward_bounds(
    n: int,
    folds: int,
    *,
    window: int,
    horizon: int,
    gap: int | None = None,
    mode: str = "expanding",
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> list[FoldBounds]:
    """Part boundaries of each fold, oldest first.

    ``folds=1`` is the single chronological split (fractions). For more folds the test
    periods are the consecutive blocks of :class:`~sklearn.model_selection.TimeSeriesSplit`
    (``n // (folds + 1)`` rows each); each fold trains on what precedes its test block,
    less the gap, with the newest ``val_fraction`` of that for early stopping. ``sliding``
    keeps every training part as long as the first fold's.

    Raises:
        UsageError: For a bad fold count, mode or a gap shorter than the horizon.
        DataError: When the data cannot hold that many folds; the message names the numbers.
    """
    gap = horizon if gap is None else gap
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 1:
        raise UsageError(f"--folds must be a positive whole number. Received: {folds!r}")
    if mode not in MODES:
        raise UsageError(f"fold mode must be one of {', '.join(MODES)}. Received: {mode!r}")
    if gap < horizon:
        raise UsageError(f"the gap between training and test must be at least the horizon. "
                         f"Received: gap={gap}, horizon={horizon}")
    if folds == 1:
        return [single_split_bounds(n, val_fraction, test_fraction, gap)]
    test_size = n // (folds + 1)
    first_train = n - folds * test_size - gap
    if test_size - horizon + 1 < MIN_EVAL_TARGETS:
        raise DataError(
            f"horizon {horizon} is too long for test blocks of {test_size} rows ({folds} folds of "
            f"{n} rows): each needs at least {horizon + MIN_EVAL_TARGETS - 1} rows; use fewer --folds "
            "or a smaller --horizon"
        )
    # The first fold's training rows must hold its training windows and a validation part.
    need_train = math.ceil((window + horizon + MIN_TRAIN_WINDOWS - 1) / (1 - val_fraction))
    need_val = MIN_EVAL_TARGETS + horizon - 1
    if test_size - horizon + 1 < MIN_EVAL_TARGETS or first_train < max(need_train, need_val + window):
        most = max((k for k in range(1, folds) if (n - k * (n // (k + 1)) - gap) >= need_train), default=1)
        raise DataError(
            f"too many folds: {folds} folds of {test_size} test rows and a gap of {gap} leave "
            f"{max(first_train, 0)} rows to train the first fold, but window {window} + horizon {horizon} "
            f"need at least {need_train}; use --folds {most} or fewer, or a smaller --window"
        )
    splitter = TimeSeriesSplit(n_splits=folds, test_size=test_size, gap=gap,
                               max_train_size=first_train if mode == "sliding" else None)
    bounds = []
    for train_rows, test_rows in splitter.split(np.arange(n)):
        start, end = int(train_rows[0]), int(train_rows[-1]) + 1
        val_rows = max(math.ceil((end - start) * val_fraction), need_val)
        bounds.append(FoldBounds(start, end - val_rows, end, int(test_rows[0]), int(test_rows[-1]) + 1))
    return bounds
