"""Figures of the lectures' mechanics: feature maps, gradient norms by depth, the learning-rate test,
principal angles, calibration. Each returns a matplotlib ``Figure`` (Agg); none shows it."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from toolkit.reports.plots import PALETTE, _figure


def feature_maps_figure(image: np.ndarray, maps: np.ndarray, names: list[str], title: str = "") -> Figure:
    """The image, then one panel per filter output (its own symmetric grey scale, zero mid-grey)."""
    count = 1 + len(names)
    figure, axes = _figure(width=min(1.5 * count, 18), height=2.0, ncols=count)
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title("image", fontsize=8)
    for axis, index in zip(axes[1:], range(len(names))):
        panel = maps[..., index]
        scale = float(np.abs(panel).max()) or 1.0
        axis.imshow(panel, cmap="gray", vmin=-scale, vmax=scale)
        axis.set_title(names[index].replace("_", " "), fontsize=8)
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    if title:
        figure.suptitle(title)
    return figure


def gradient_norms_figure(norms: dict[str, list[float]], title: str, colours: dict[str, str] | None = None) -> Figure:
    """Kernel gradient norm (log scale) against layer depth, one line per network (``colours``
    keeps each network's colour from one figure to the next)."""
    figure, (axis,) = _figure()
    for index, (label, values) in enumerate(norms.items()):
        colour = (colours or {}).get(label, PALETTE[index % len(PALETTE)])
        axis.plot(np.arange(1, len(values) + 1), values, marker="o", color=colour, label=label)
    axis.set_yscale("log")
    axis.set_xlabel("layer (1 = next to the input)")
    axis.set_ylabel("|d loss / d weights|")
    axis.set_title(title)
    axis.legend(fontsize=8)
    return figure


def lr_range_figure(result, title: str = "learning-rate range test") -> Figure:
    """Loss against learning rate (log axis) with the suggested rate marked."""
    figure, (axis,) = _figure()
    axis.plot(result.rates, result.losses, color="0.75", linewidth=0.8, label="batch loss")
    axis.plot(result.rates, result.smoothed, color=PALETTE[0], label="centred average, one decade wide")
    axis.axvline(result.suggested, color=PALETTE[1], linestyle="--", label=f"suggested {result.suggested:.2g}")
    axis.set_xscale("log")
    finite = result.smoothed[np.isfinite(result.smoothed)]
    if len(finite):
        low, high = float(finite.min()), float(finite[: int(np.argmin(finite)) + 1].max())
        pad = max(high - low, 1e-12)
        axis.set_ylim(low - 0.1 * pad, high + 0.6 * pad)
    axis.set_xlabel("learning rate")
    axis.set_ylabel("training loss")
    axis.set_title(title)
    axis.legend(fontsize=8)
    return figure


def principal_angles_figure(angles: np.ndarray, title: str) -> Figure:
    """Principal angles (degrees) between two subspaces, smallest first."""
    figure, (axis,) = _figure(height=3.0)
    axis.bar(np.arange(1, len(angles) + 1), angles, color=PALETTE[0])
    axis.set_xlabel("principal angle")
    axis.set_ylabel("degrees")
    axis.set_title(title)
    return figure


def calibration_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Figure:
    """Observed frequency against mean predicted probability per bin, with the diagonal."""
    figure, (axis,) = _figure(width=5.0, height=4.5)
    axis.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="perfectly calibrated")
    for colour, (label, (predicted, observed)) in zip(PALETTE, curves.items()):
        axis.plot(predicted, observed, marker="o", color=colour, label=label)
    axis.set_xlabel("mean predicted probability")
    axis.set_ylabel("observed frequency of y = 1")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_title(title)
    axis.legend(fontsize=8)
    return figure
