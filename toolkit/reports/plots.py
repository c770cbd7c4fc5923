"""Plot helpers. Each returns a matplotlib ``Figure`` drawn with the Agg canvas; none shows it.

Figures are made with ``matplotlib.figure.Figure`` directly, not pyplot, so no global state
or GUI backend is involved and nothing needs closing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _figure(width: float = 9.0, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list]:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, ncols, squeeze=False)[0].tolist()
    return figure, axes


def price_split_figure(dates: pd.DatetimeIndex, prices: np.ndarray, train_end: int, val_end: int,
                       title: str) -> Figure:
    """The whole series coloured by train, validation and test part."""
    figure, (ax,) = _figure()
    for (lo, hi), label, colour in zip(((0, train_end), (train_end, val_end), (val_end, len(prices))),
                                       ("train", "validation", "test"), PALETTE):
        ax.plot(dates[lo:hi], prices[lo:hi], color=colour, lw=1, label=label)
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
