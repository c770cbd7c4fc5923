"""From one price series to scaled, windowed train / validation / test arrays.

A sample has an *origin* row ``o`` (its last input), inputs ``o - window + 1 .. o`` and
targets ``o + 1 .. o + horizon`` (one per step ahead). Leakage rules this module
guarantees, and the tests check:

* a sample belongs to a part only when all its targets lie in that part's rows, so every
  training target lies in the training rows;
* the scalers are fitted on the training rows alone (scikit-learn scalers, fitted once);
* a gap of rows separates the last validation target from the first test target;
* validation and test windows may reach back into earlier rows: that past is known at
  forecast time, and nothing after a sample's origin is ever one of its inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from toolkit.errors import DataError, UsageError
from toolkit.pipelines.split import check_fractions, chronological_split
from toolkit.pipelines.windows import check_window_horizon, sliding_windows

TARGETS = ("log-return", "price")
PARTS = ("train", "validation", "test")
MIN_TRAIN_WINDOWS = 20
MIN_EVAL_TARGETS = 5


@dataclass(frozen=True)
class FoldBounds:
    """Rows of each part's targets: train ``[train_start, train_end)``, validation
    ``[train_end, val_end)``, test ``[test_start, test_end)``; rows
    ``[val_end, test_start)`` are the gap."""

    train_start: int
    train_end: int
    val_end: int
    test_start: int
    test_end: int

    @property
    def gap(self) -> int:
        return self.test_start - self.val_end

    @property
    def sizes(self) -> tuple[int, int, int]:
        return (self.train_end - self.train_start, self.val_end - self.train_end,
                self.test_end - self.test_start)


def single_split_bounds(n: int, val_fraction: float = 0.15, test_fraction: float = 0.15,
                        gap: int = 0) -> FoldBounds:
    """One chronological split: oldest rows train, then validation, the gap, then test."""
    split = chronological_split(n, val_fraction, test_fraction)
    return FoldBounds(0, split.train_end, split.val_end, min(split.val_end + gap, n), n)


@dataclass
class WindowedData:
    """Model-ready arrays and what is needed to map outputs back to prices.

    Attributes:
        x: Per part, inputs of shape ``(m, window, features)`` in ``float32``.
        y: Per part, scaled targets of shape ``(m, horizon)`` in ``float32``.
        origin: Per part, the origin row of each sample.
        x_next: The newest window, shape ``(1, window, features)``, for the forecast past the data.
        feature_scaler: Scaler of the inputs, fitted on training rows only.
        target_scaler: Scaler of the targets (all steps share it), fitted on training targets only.
    """

    prices: np.ndarray
    window: int
    horizon: int
    target: str
    bounds: FoldBounds
    feature_scaler: object
    target_scaler: object
    n_features: int = 1
    x: dict[str, np.ndarray] = field(default_factory=dict)
    y: dict[str, np.ndarray] = field(default_factory=dict)
    origin: dict[str, np.ndarray] = field(default_factory=dict)
    x_next: np.ndarray | None = None

    def target_rows(self, part: str) -> np.ndarray:
        """Rows of each sample's targets, shape ``(m, horizon)``."""
        return self.origin[part][:, None] + np.arange(1, self.horizon + 1)

    def actual(self, part: str) -> np.ndarray:
        """Target prices of a part, shape ``(m, horizon)``."""
        return self.prices[self.target_rows(part)]

    def origin_prices(self, part: str) -> np.ndarray:
        """Price at each sample's forecast origin (what naive persistence predicts)."""
        return self.prices[self.origin[part]]

    def to_price(self, outputs: np.ndarray, origin_prices: np.ndarray) -> np.ndarray:
        """Map scaled outputs for steps ``1..k`` (shape ``(m, k)`` or ``(m,)``) to prices ``(m, k)``."""
        outputs = np.asarray(outputs, dtype="float64")
        outputs = outputs.reshape(len(outputs), -1)
        unscaled = self.target_scaler.inverse_transform(outputs.reshape(-1, 1)).reshape(outputs.shape)
        if self.target == "price":
            return unscaled
        return np.asarray(origin_prices, "float64").reshape(-1, 1) * np.exp(unscaled)

    def recursive_prices(self, predict_step, x: np.ndarray, origin_prices: np.ndarray) -> np.ndarray:
        """Free-running forecast: a one-step model fed its own predictions ``horizon`` times.

        Args:
            predict_step: Maps windows ``(m, window, 1)`` to scaled one-step outputs ``(m,)``.
            x: Starting windows (only the ``close`` feature: recursion has no future of
                other columns to feed).
            origin_prices: Price at each window's end.

        Returns:
            Prices of shape ``(m, horizon)``.
        """
        if self.n_features != 1:
            raise UsageError("recursive forecasts need the close price as the only feature. "
                             f"Received: {self.n_features} features")
        windows = np.array(x, dtype="float32", copy=True)
        previous = np.asarray(origin_prices, "float64")
        steps = []
        for _ in range(self.horizon):  # a loop over steps ahead; samples stay vectorised
            step_price = self.to_price(predict_step(windows), previous)[:, 0]
            raw = step_price if self.target == "price" else np.log(step_price / previous)
            scaled = self.feature_scaler.transform(raw[:, None]).astype("float32")
            windows = np.concatenate([windows[:, 1:, :], scaled[:, None, :]], axis=1)
            steps.append(step_price)
            previous = step_price
        return np.column_stack(steps)


def _fit_scalers(features, prices, bounds, target, horizon, origins):
    lo, hi = bounds.train_start, bounds.train_end
    if target == "price":
        feature_scaler = MinMaxScaler().fit(features[lo:hi])
        target_scaler = MinMaxScaler().fit(prices[lo:hi, None])
    else:
        # Row 0's changes are a placeholder 0, not data: leave it out of the statistics.
        feature_scaler = StandardScaler().fit(features[max(lo, 1):hi])
        train = origins[(origins + 1 >= lo) & (origins + horizon < hi)]
        rows = train[:, None] + np.arange(1, horizon + 1)
        target_scaler = StandardScaler().fit(np.log(prices[rows] / prices[train, None]).reshape(-1, 1))
    return feature_scaler, target_scaler


def minimum_rows(window: int, horizon: int, val_fraction: float, test_fraction: float, gap: int) -> int:
    """Fewest rows whose single split holds enough samples in every part."""
    n = math.floor((window + horizon + MIN_TRAIN_WINDOWS - 1) / (1 - val_fraction - test_fraction))
    while _shortfall(single_split_bounds(n, val_fraction, test_fraction, gap), window, horizon):
        n += 1
    return n


def _shortfall(bounds: FoldBounds, window: int, horizon: int) -> bool:
    train_rows, val_rows, test_rows = bounds.sizes
    return (train_rows - window - horizon + 1 < MIN_TRAIN_WINDOWS
            or val_rows - horizon + 1 < MIN_EVAL_TARGETS
            or test_rows - horizon + 1 < MIN_EVAL_TARGETS)


def make_windowed_data(
    prices: np.ndarray,
    *,
    features: np.ndarray | None = None,
    window: int = 60,
    horizon: int = 1,
    target: str = "log-return",
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    gap: int | None = None,
    bounds: FoldBounds | None = None,
    scalers: tuple | None = None,
) -> WindowedData:
    """Split, scale and window a price series for forecasting ``horizon`` steps ahead.

    Args:
        prices: Positive prices in time order, shape ``(n,)``.
        features: Raw inputs ``(n, f)`` from :func:`toolkit.pipelines.features.feature_matrix`
            (close first). Defaults to the prices (or their log returns) alone.
        window: Input steps per sample. Defaults to 60 (the lecture's).
        horizon: Steps ahead forecast, each its own target column. Defaults to 1.
        target: ``"log-return"`` (standardised log returns: the target of each step is the
            log price relative to the window's last price, free of the price level) or
            ``"price"`` (min-max scaled levels, as in the lecture; a test period outside the
            training range is extrapolation). Defaults to ``"log-return"``.
        val_fraction: Share of rows for validation (single split). Defaults to 0.15.
        test_fraction: Share of rows for the test (single split). Defaults to 0.15.
        gap: Rows between the last validation target and the first test target; at least
            ``horizon``. Defaults to ``horizon``.
        bounds: Explicit part boundaries (a walk-forward fold); overrides the fractions.
        scalers: ``(feature_scaler, target_scaler)`` already fitted (a frozen model's);
            None fits new ones on this split's training rows. Defaults to None.

    Returns:
        The arrays and scalers.

    Raises:
        UsageError: For a bad window, horizon, gap, fraction or target name.
        DataError: When the series is too short for the window, horizon and the three parts.
    """
    check_window_horizon(window, horizon)
    check_fractions(val_fraction, test_fraction)
    if target not in TARGETS:
        raise UsageError(f"target must be one of {', '.join(TARGETS)}. Received: target={target!r}")
    gap = horizon if gap is None else gap
    if gap < horizon:
        raise UsageError(f"the gap between training and test must be at least the horizon. "
                         f"Received: gap={gap}, horizon={horizon}")
    prices = np.asarray(prices, dtype="float64").reshape(-1)
    n = len(prices)
    if features is None:
        features = (prices if target == "price" else np.concatenate([[0.0], np.diff(np.log(prices))]))[:, None]
    features = np.asarray(features, dtype="float64")
    if bounds is None:
        bounds = single_split_bounds(n, val_fraction, test_fraction, gap)
        test_rows = chronological_split(n, val_fraction, test_fraction).sizes[2]
        if horizon + gap > test_rows - MIN_EVAL_TARGETS + 1 and n >= window + horizon + MIN_TRAIN_WINDOWS:
            raise DataError(
                f"horizon {horizon} (plus a gap of {gap}) is too long for the test part of {test_rows} rows: "
                f"it needs at least {horizon + gap + MIN_EVAL_TARGETS - 1} rows to score "
                f"{MIN_EVAL_TARGETS} forecasts; use a smaller --horizon or more data"
            )
        if _shortfall(bounds, window, horizon):
            need = minimum_rows(window, horizon, val_fraction, test_fraction, gap)
            n_train, n_val, n_test = chronological_split(n, val_fraction, test_fraction).sizes
            raise DataError(
                f"series too short: {n} rows split into train {n_train} / validation {n_val} / "
                f"test {n_test}, but window {window} + horizon {horizon} (gap {gap}) need at least "
                f"{need} rows ({MIN_TRAIN_WINDOWS} training windows, {MIN_EVAL_TARGETS} validation "
                "and test targets); use a longer date range or a smaller --window"
            )

    origins_all = np.arange(window - 1, n - 1)  # the origins sliding_windows(..., 1) yields
    keep = origins_all + horizon < n  # every target exists
    if scalers is None:
        scalers = _fit_scalers(features, prices, bounds, target, horizon, origins_all[keep])
    feature_scaler, target_scaler = scalers
    scaled = feature_scaler.transform(features).astype("float32")
    windows_all, _ = sliding_windows(scaled, window, 1)

    data = WindowedData(prices=prices, window=window, horizon=horizon, target=target, bounds=bounds,
                        feature_scaler=feature_scaler, target_scaler=target_scaler,
                        n_features=features.shape[1])
    first, last = origins_all + 1, origins_all + horizon
    chosen = {
        "train": (first >= bounds.train_start) & (last < bounds.train_end),
        "validation": (first >= bounds.train_end) & (last < bounds.val_end),
        "test": (first >= bounds.test_start) & (last < bounds.test_end),
    }
    for part in PARTS:
        origins = origins_all[chosen[part]]
        rows = origins[:, None] + np.arange(1, horizon + 1)
        raw = prices[rows] if target == "price" else np.log(prices[rows] / prices[origins, None])
        # One contiguous copy per part: Keras then reads plain arrays, no Python per sample.
        data.x[part] = np.ascontiguousarray(windows_all[chosen[part]])
        data.y[part] = (target_scaler.transform(raw.reshape(-1, 1)).reshape(raw.shape).astype("float32")
                        if raw.size else np.empty(raw.shape, dtype="float32"))  # a part may be empty (final fit)
        data.origin[part] = origins
    data.x_next = np.ascontiguousarray(scaled[None, n - window:, :])
    return data
