"""The learning-rate section: Smith's range test on the stacked LSTM and the digits CNN."""

from __future__ import annotations

import warnings

import numpy as np

from toolkit.errors import TrainingError
from toolkit.reports.science import Section, Table


def price_windows(window: int, train_share: float = 0.8) -> tuple[np.ndarray, np.ndarray, str]:
    """Windows of the bundled S&P 500 closes from the training share only, min-max scaled on it."""
    from toolkit.data.bundled import BUNDLED, read_bundled
    from toolkit.pipelines.lags import lagged_samples

    frame = read_bundled(BUNDLED["^GSPC"])
    close = frame["Close"].to_numpy(dtype="float64")
    train = close[: int(len(close) * train_share)]
    low, high = train.min(), train.max()
    x, y = lagged_samples((train - low) / (high - low), window)
    period = f"{frame.index[0]:%Y-%m-%d} to {frame.index[len(train) - 1]:%Y-%m-%d}"
    return x, y, f"bundled S&P 500 closes, {period} (the first {train_share:.0%}), scaled to [0, 1] on them"


def learning_rate_section(images: np.ndarray, labels: np.ndarray, config, log) -> tuple[Section, dict]:
    from toolkit.builders import digits_cnn, stacked_lstm
    from toolkit.training import lr_range_test, set_seed

    x, y, described = price_windows(config.lstm_window)
    cases = {
        f"stacked LSTM ({config.lstm_units} units, window {config.lstm_window})":
            (lambda: stacked_lstm(window=config.lstm_window, units=config.lstm_units), x, y),
        "digits CNN (the lecture's 93,322 parameters)": (lambda: digits_cnn(), images,
                                                          np.eye(10, dtype="float32")[labels]),
    }
    section = Section(
        "Choosing the learning rate",
        "Singaravelu's notes: a small rate converges slowly, a large one overshoots and diverges. Smith's range "
        f"test (toolkit.training.lr_range_test) trains {config.lr_steps} batches of {config.lr_batch_size} with "
        f"Adam while the rate grows exponentially from {config.min_lr:g} to {config.max_lr:g}, stopping once an "
        "exponential average of the loss passes 4 times its best. The suggested rate is a tenth of the rate where a "
        "centred average of the loss, one decade of rates wide, is lowest (the minimum itself sits at the edge of "
        "divergence); the first tenth of the batches is left out. The weights "
        f"are restored afterwards. LSTM data: {described}; CNN data: the bundled digits.")
    rows, metrics = [], {}
    for label, (build, inputs, targets) in cases.items():
        set_seed(config.seed)
        with warnings.catch_warnings():  # its notes go to the report's warnings instead
            warnings.simplefilter("ignore", UserWarning)
            try:
                result = lr_range_test(build(), inputs, targets, min_lr=config.min_lr, max_lr=config.max_lr,
                                       steps=config.lr_steps, batch_size=config.lr_batch_size, seed=config.seed)
            except ValueError as err:
                raise TrainingError(f"learning-rate range test of the {label}: {err}") from None
        lowest = result.lowest_loss_rate
        rows.append([label, len(result.losses), f"{lowest:.2e}", f"{result.suggested:.2e}", result.stopped])
        section.figure(result.figure(label))
        metrics[label] = {"suggested": result.suggested, "lowest_loss_rate": lowest, "notes": result.notes,
                          "batches": len(result.losses), "stopped": result.stopped}
        log(f"[learning rate] {label}: suggested {result.suggested:.2e} (lowest smoothed loss at {lowest:.2e})")
    section.tables.append(Table(["model", "batches", "rate at lowest loss", "suggested rate", "ended by"], rows,
                                "Adam's default of 1e-3 for comparison. bench/bench_lectures.py checks the suggestion "
                                "against a sweep of short trainings."))
    return section, metrics
