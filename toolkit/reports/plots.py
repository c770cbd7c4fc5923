"""Plot helpers. Each returns a matplotlib ``Figure`` drawn with the Agg canvas; none shows it.

Figures are made with ``matplotlib.figure.Figure`` directly, not pyplot, so no global state
or GUI backend is involved and nothing needs closing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _figure(width: float = 9.0, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list]:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, ncols, squeeze=False)[0].tolist()
    return figure, axes


def price_split_figure(dates: pd.DatetimeIndex, prices: np.ndarray, folds, title: str) -> Figure:
    """The whole series; each fold's test block shaded, the last fold's parts coloured.

    Args:
        folds: Objects with ``train_start``, ``train_end``, ``val_end``, ``test_start``,
            ``test_end`` row attributes, oldest first.
    """
    figure, (ax,) = _figure()
    ax.plot(dates, prices, color="#888888", lw=0.8, label="series")
    last = folds[-1]
    for (lo, hi), label, colour in zip(((last.train_start, last.train_end), (last.train_end, last.val_end),
                                        (last.test_start, last.test_end)),
                                       ("train (last fold)", "validation (last fold)", "test (last fold)"), PALETTE):
        ax.plot(dates[lo:hi], prices[lo:hi], color=colour, lw=1, label=label)
    for number, fold in enumerate(folds, start=1):
        ax.axvspan(dates[fold.test_start], dates[fold.test_end - 1], color=PALETTE[2], alpha=0.08)
        if len(folds) > 1:
            ax.text(dates[fold.test_start], ax.get_ylim()[1], f" test {number}", va="top", fontsize=7)
    ax.set_title(title)
    ax.set_ylabel("price")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return figure


def loss_curves_figure(history: dict[str, list[float]], title: str, best_epoch: int | None = None) -> Figure:
    """Training and validation loss per epoch, log scale, best epoch marked."""
    figure, (ax,) = _figure(6.5, 3.4)
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    ax.plot(epochs, history.get("loss", []), "o-", ms=3, label="train loss", color=PALETTE[0])
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], "o-", ms=3, label="validation loss", color=PALETTE[1])
    if best_epoch:
        ax.axvline(best_epoch, color="grey", ls="--", lw=1, label=f"kept: epoch {best_epoch}")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled units)")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    return figure


def actual_vs_predicted_figure(dates, actual, predictions: dict[str, np.ndarray], title: str) -> Figure:
    """Test-period prices against each model's forecasts, with a zoom on the last 60 days."""
    figure, (full, zoom) = _figure(11, 4.0, ncols=2)
    tail = slice(-60, None)
    for ax, part in ((full, slice(None)), (zoom, tail)):
        ax.plot(dates[part], actual[part], color="black", lw=1.6, label="actual")
        for (name, predicted), colour in zip(predictions.items(), PALETTE):
            ax.plot(dates[part], predicted[part], lw=1, color=colour, label=name, alpha=0.85)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30)
    full.set_title(title)
    zoom.set_title("last 60 test days")
    full.set_ylabel("price")
    full.legend(fontsize=8)
    return figure


def residuals_figure(dates, actual, predictions: dict[str, np.ndarray]) -> Figure:
    """Residuals (actual - forecast) over time and their distribution, per model."""
    figure, (time_ax, hist_ax) = _figure(11, 3.6, ncols=2)
    for (name, predicted), colour in zip(predictions.items(), PALETTE):
        residual = np.asarray(actual) - np.asarray(predicted)
        time_ax.plot(dates, residual, lw=0.8, color=colour, label=name, alpha=0.8)
        hist_ax.hist(residual, bins=50, histtype="step", color=colour, label=name)
    time_ax.axhline(0, color="black", lw=0.8)
    time_ax.set_title("residuals over the test period")
    time_ax.set_ylabel("actual - forecast")
    time_ax.tick_params(axis="x", labelrotation=30)
    hist_ax.set_title("residual distribution")
    hist_ax.legend(fontsize=8)
    for ax in (time_ax, hist_ax):
        ax.grid(alpha=0.3)
    return figure


def interval_figure(dates, actual, predictions: dict[str, np.ndarray],
                    bands: dict[str, dict[float, tuple[np.ndarray, np.ndarray]]], last: int = 120) -> Figure:
    """For each model with intervals: its forecast, 80% and 95% bands and the actual prices
    over the last ``last`` test days."""
    names = list(bands)
    figure, axes = _figure(5.6 * max(len(names), 1), 3.6, ncols=max(len(names), 1))
    tail = slice(-last, None)
    for ax, name, colour in zip(axes, names, PALETTE[1:]):
        for level, alpha in zip(sorted(bands[name], reverse=True), (0.18, 0.32)):
            lower, upper = bands[name][level]
            ax.fill_between(dates[tail], lower[tail], upper[tail], color=colour, alpha=alpha,
                            lw=0, label=f"{level:.0%} band")
        ax.plot(dates[tail], predictions[name][tail], color=colour, lw=1, label=f"{name} forecast")
        ax.plot(dates[tail], actual[tail], color="black", lw=1.2, label="actual")
        ax.set_title(f"{name}: last {min(last, len(dates))} test days")
        ax.tick_params(axis="x", labelrotation=30)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return figure


def strategy_figure(dates, wealth: dict[str, np.ndarray], buy_and_hold: np.ndarray, cost_bps: float) -> Figure:
    """Growth of 1 for each model's long/flat strategy against buy-and-hold."""
    figure, (ax,) = _figure(9, 3.6)
    ax.plot(dates, buy_and_hold, color="black", lw=1.4, label="buy and hold")
    for (name, curve), colour in zip(wealth.items(), PALETTE[1:]):
        ax.plot(dates, curve, lw=1, color=colour, label=f"{name} long/flat")
    ax.set_yscale("log")
    ax.set_ylabel("growth of 1 (log scale)")
    ax.set_title(f"Long when the forecast says up, else flat; {cost_bps:g} bp per trade")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return figure
