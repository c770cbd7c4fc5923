"""From one price series to scaled, windowed train / validation / test arrays.

Leakage rules this module guarantees (and the tests check):

* a sample belongs to the part that holds its *target* row, so every training input and
  target lies in the training rows;
* the scalers are fitted on the training rows alone (``sklearn`` scalers, fitted once);
* validation and test windows may reach back into earlier rows: that past is known at
  forecast time, and nothing after a target's row is ever an input to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from toolkit.errors import DataError, UsageError
from toolkit.pipelines.split import ChronologicalSplit, check_fractions, chronological_split
from toolkit.pipelines.windows import check_window_horizon, sliding_windows

TARGETS = ("price", "log-return")
PARTS = ("train", "validation", "test")
MIN_TRAIN_WINDOWS = 20
MIN_EVAL_TARGETS = 5


@dataclass
class WindowedData:
    """Model-ready arrays and what is needed to map outputs back to prices.

    Attributes:
        x: Per part, inputs of shape ``(m, window, 1)`` in ``float32``.
        y: Per part, scaled targets of shape ``(m,)`` in ``float32``.
        target_index: Per part, the row of each target.
        x_next: The newest window, shape ``(1, window, 1)``, for the forecast past the data.
        feature_scaler: Scaler of the inputs, fitted on training rows only.
        target_scaler: Scaler of the targets, fitted on training targets only.
    """

    prices: np.ndarray
    window: int
    horizon: int
    target: str
    split: ChronologicalSplit
    feature_scaler: object
    target_scaler: object
    x: dict[str, np.ndarray] = field(default_factory=dict)
    y: dict[str, np.ndarray] = field(default_factory=dict)
    target_index: dict[str, np.ndarray] = field(default_factory=dict)
    x_next: np.ndarray | None = None

    def last_input_index(self, part: str) -> np.ndarray:
        """Row of the last input step of each sample (the forecast origin)."""
        return self.target_index[part] - self.horizon

    def actual(self, part: str) -> np.ndarray:
        """Target prices of a part, in price units."""
        return self.prices[self.target_index[part]]

    def origin_prices(self, part: str) -> np.ndarray:
        """Price at each sample's forecast origin (what naive persistence predicts)."""
        return self.prices[self.last_input_index(part)]

    def to_price(self, outputs: np.ndarray, origin_prices: np.ndarray) -> np.ndarray:
        """Map scaled model outputs back to prices.

        Args:
            outputs: Scaled outputs, shape ``(m,)`` or ``(m, 1)``.
            origin_prices: Price at each forecast origin (used by return targets).
        """
        unscaled = self.target_scaler.inverse_transform(np.asarray(outputs, "float64").reshape(-1, 1))[:, 0]
        if self.target == "price":
            return unscaled
        return np.asarray(origin_prices, "float64") * np.exp(unscaled)


def _enough(split: ChronologicalSplit, window: int, horizon: int) -> bool:
    n_train, n_val, n_test = split.sizes
    return (n_train >= window + horizon + MIN_TRAIN_WINDOWS - 1
            and n_val >= MIN_EVAL_TARGETS and n_test >= MIN_EVAL_TARGETS)


def _minimum_rows(window: int, horizon: int, val_fraction: float, test_fraction: float) -> int:
    """Fewest rows whose split satisfies :func:`_enough` (the split rounds, so search up)."""
    train_fraction = 1 - val_fraction - test_fraction
    n = math.floor((window + horizon + MIN_TRAIN_WINDOWS - 1) / train_fraction)
    while not _enough(chronological_split(n, val_fraction, test_fraction), window, horizon):
        n += 1
    return n


def make_windowed_data(
    prices: np.ndarray,
    *,
    window: int = 60,
    horizon: int = 1,
    target: str = "price",
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> WindowedData:
    """Split, scale and window a price series for one-target forecasting.

    Args:
        prices: Positive prices in time order, shape ``(n,)``.
        window: Input steps per sample. Defaults to 60 (the lecture's).
        horizon: Steps ahead of the last input that the target lies. Defaults to 1.
        target: ``"price"`` (inputs and target are min-max scaled prices, as in the
            lecture) or ``"log-return"`` (inputs are standardised daily log returns, the
            target the log return over the horizon). Defaults to ``"price"``.
        val_fraction: Share of rows for validation. Defaults to 0.15.
        test_fraction: Share of rows for the final test. Defaults to 0.15.

    Returns:
        The arrays and scalers.

    Raises:
        UsageError: For a bad window, horizon, fraction or target name.
        DataError: When the series is too short for the window, horizon and the three parts.
    """
    check_window_horizon(window, horizon)
    check_fractions(val_fraction, test_fraction)
    if target not in TARGETS:
        raise UsageError(f"target must be one of {', '.join(TARGETS)}. Received: target={target!r}")
    prices = np.asarray(prices, dtype="float64").reshape(-1)
    n = len(prices)
    split = chronological_split(n, val_fraction, test_fraction)
    n_train, n_val, n_test = split.sizes
    if not _enough(split, window, horizon):
        need = _minimum_rows(window, horizon, val_fraction, test_fraction)
        raise DataError(
            f"series too short: {n} rows split into train {n_train} / validation {n_val} / "
            f"test {n_test}, but window {window} + horizon {horizon} need at least {need} rows "
            f"({MIN_TRAIN_WINDOWS} training windows, {MIN_EVAL_TARGETS} validation and test "
            "targets); use a longer date range or a smaller --window"
        )

    if target == "price":
        features = prices
        feature_scaler = MinMaxScaler().fit(prices[:n_train, None])
        target_scaler = feature_scaler
    else:
        # Row 0 has no previous price; its return is set to 0 (a flat first day).
        features = np.concatenate([[0.0], np.diff(np.log(prices))])
        feature_scaler = StandardScaler().fit(features[1:n_train, None])
    scaled = feature_scaler.transform(features[:, None]).astype("float32")

    windows, target_index = sliding_windows(scaled, window, horizon)
    if target == "price":
        raw_targets = prices[target_index]
    else:
        raw_targets = np.log(prices[target_index] / prices[target_index - horizon])
        target_scaler = StandardScaler().fit(raw_targets[target_index < n_train, None])
    scaled_targets = target_scaler.transform(raw_targets[:, None])[:, 0].astype("float32")

    data = WindowedData(
        prices=prices, window=window, horizon=horizon, target=target, split=split,
        feature_scaler=feature_scaler, target_scaler=target_scaler,
    )
    part = np.searchsorted([split.train_end, split.val_end], target_index, side="right")
    for code, name in enumerate(PARTS):
        chosen = part == code
        # One contiguous copy per part: Keras then reads plain arrays, no Python per sample.
        data.x[name] = np.ascontiguousarray(windows[chosen])
        data.y[name] = scaled_targets[chosen]
        data.target_index[name] = target_index[chosen]
    data.x_next = np.ascontiguousarray(scaled[None, n - window:, :])
    return data
