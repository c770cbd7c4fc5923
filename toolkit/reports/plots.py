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

# Enough distinct colours for every forecast model at once (tab10 plus two), so none is dropped.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2", "#7f7f7f",
           "#bcbd22", "#393b79", "#637939")


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
    """Training and validation loss per epoch, best epoch marked; a log scale when every loss
    is positive (a Gaussian negative log-likelihood can be negative: then a linear one, so
    no point is dropped)."""
    figure, (ax,) = _figure(6.5, 3.4)
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    ax.plot(epochs, history.get("loss", []), "o-", ms=3, label="train loss", color=PALETTE[0])
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], "o-", ms=3, label="validation loss", color=PALETTE[1])
    if best_epoch:
        ax.axvline(best_epoch, color="grey", ls="--", lw=1, label=f"kept: epoch {best_epoch}")
    values = [v for key in ("loss", "val_loss") for v in history.get(key, [])]
    if values and min(values) > 0:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled units)")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    return figure


def actual_vs_predicted_figure(dates, actual, predictions: dict[str, np.ndarray], title: str,
                               titles: dict[str, str] | None = None) -> Figure:
    """Test-period prices against each model's forecasts (legend: ``titles`` where given),
    with a zoom on the last 60 days. Give it a few models: more tangle."""
    titles = titles or {}
    figure, (full, zoom) = _figure(11, 4.0, ncols=2)
    tail = slice(-60, None)
    for ax, part in ((full, slice(None)), (zoom, tail)):
        ax.plot(dates[part], actual[part], color="black", lw=1.6, label="actual")
        for (name, predicted), colour in zip(predictions.items(), PALETTE):
            ax.plot(dates[part], predicted[part], lw=1, color=colour, label=titles.get(name, name), alpha=0.85)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30)
    full.set_title(title)
    zoom.set_title("last 60 test days")
    full.set_ylabel("price")
    full.legend(fontsize=8)
    return figure


def residuals_figure(dates, actual, predictions: dict[str, np.ndarray], titles: dict[str, str] | None = None,
                     ncols: int = 3) -> Figure:
    """Small multiples: each model's residuals (actual - forecast) over the test period, one
    panel per model in the order given, naive persistence's drawn in grey behind every panel,
    one shared y axis, the MAE in each panel's title. Legible with a dozen models."""
    titles = titles or {}
    naive = np.asarray(actual) - np.asarray(predictions["naive"]) if "naive" in predictions else None
    names = [name for name in predictions if name != "naive"] or list(predictions)
    ncols = max(1, min(ncols, len(names)))
    nrows = int(np.ceil(len(names) / ncols))
    figure = Figure(figsize=(3.8 * ncols, 2.3 * nrows + 0.3), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel().tolist()
    for ax, name, colour in zip(axes, names, PALETTE[1:] * 3):
        residual = np.asarray(actual) - np.asarray(predictions[name])
        if naive is not None and name != "naive":
            ax.plot(dates, naive, lw=0.7, color="#b0b0b0", label="naive")
        ax.plot(dates, residual, lw=0.7, color=colour, label=name)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(f"{titles.get(name, name)}: MAE {np.mean(np.abs(residual)):.3g}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.tick_params(axis="y", labelsize=8)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    figure.supylabel("actual - forecast", fontsize=9)
    figure.suptitle("Test residuals per model" + (" (grey: naive persistence's)" if naive is not None else ""), fontsize=10)
    return figure


def interval_figure(dates, actual, predictions: dict[str, np.ndarray],
                    bands: dict[str, dict[float, tuple[np.ndarray, np.ndarray]]], last: int = 120,
                    title: str = "", titles: dict[str, str] | None = None) -> Figure:
    """For each model with intervals: its forecast, 80% and 95% bands and the actual prices
    over the last ``last`` test days, two panels a row."""
    names = list(bands)
    ncols = min(max(len(names), 1), 2)
    nrows = int(np.ceil(max(len(names), 1) / ncols))
    figure = Figure(figsize=(5.6 * ncols, 3.4 * nrows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    if title:
        figure.suptitle(title, fontsize=10)
    tail = slice(-last, None)
    for ax, name, colour in zip(axes, names, PALETTE[1:]):
        for level, alpha in zip(sorted(bands[name], reverse=True), (0.18, 0.32)):
            lower, upper = bands[name][level]
            ax.fill_between(dates[tail], lower[tail], upper[tail], color=colour, alpha=alpha,
                            lw=0, label=f"{level:.0%} band")
        ax.plot(dates[tail], predictions[name][tail], color=colour, lw=1, label="forecast")
        ax.plot(dates[tail], actual[tail], color="black", lw=1.2, label="actual")
        ax.set_title(f"{(titles or {}).get(name, name)}: last {min(last, len(dates))} test days", fontsize=9)
        ax.tick_params(axis="x", labelrotation=30)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes[len(names):]:
        ax.set_axis_off()
    return figure


def search_figure(searches: dict[str, list], title: str = "Hyperparameter search") -> Figure:
    """Each search's trials in order: the objective of completed trials (dots), the last running
    objective of pruned ones (crosses) and the best so far (a step line); one panel per model.

    Args:
        searches: ``{model: [TrialRecord, ...]}`` (``number``, ``value``, ``state``, ``curve``).
    """
    figure, axes = _figure(min(4.2 * len(searches), 12.6), 3.3, ncols=max(len(searches), 1))
    for ax, (name, trials) in zip(axes, searches.items()):
        done = [t for t in trials if t.state == "complete"]
        pruned = [t for t in trials if t.state == "pruned" and t.curve]
        ax.plot([t.number for t in done], [t.value for t in done], "o", ms=4, color=PALETTE[0], label="completed")
        if pruned:
            ax.plot([t.number for t in pruned], [t.curve[max(t.curve)] for t in pruned], "x", ms=5, color=PALETTE[1],
                    label="pruned (last running value)")
        if done:
            order = sorted(done, key=lambda t: t.number)
            best = np.minimum.accumulate([t.value for t in order])
            ax.step([t.number for t in order], best, where="post", color=PALETTE[2], lw=1.2, label="best so far")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("trial")
        ax.set_ylabel("objective (inner validation loss)")
        ax.set_title(f"{title}: {name}", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return figure


def coinciding(curves: dict[str, np.ndarray], reference: np.ndarray, tolerance: float = 0.005) -> list[str]:
    """Names whose curve stays within ``tolerance`` (relative) of ``reference`` at every point:
    lines a reader could not tell apart from it on a chart."""
    reference = np.asarray(reference, dtype="float64")
    return [name for name, curve in curves.items()
            if np.all(np.abs(np.asarray(curve, dtype="float64") / reference - 1) <= tolerance)]


def strategy_figure(dates, wealth: dict[str, np.ndarray], buy_and_hold: np.ndarray, cost_bps: float,
                    titles: dict[str, str] | None = None) -> Figure:
    """Growth of 1 for each model's long/flat strategy against buy-and-hold.

    Strategies that coincide with buy-and-hold (within 0.5% throughout: always long) are not
    drawn again; :func:`coinciding` names them for the caption. Buy-and-hold is drawn last,
    dashed, so nothing hides it. The y axis is logarithmic with plain-number ticks.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    titles = titles or {}
    figure, (ax,) = _figure(9, 3.6)
    hidden = set(coinciding(wealth, buy_and_hold))
    for (name, curve), colour in zip(wealth.items(), PALETTE[1:] * 3):
        if name not in hidden:
            ax.plot(dates, curve, lw=1, color=colour, label=f"{titles.get(name, name)}")
    label = "buy and hold" + (f" (and {len(hidden)} always-long strateg{'y' if len(hidden) == 1 else 'ies'})" if hidden else "")
    ax.plot(dates, buy_and_hold, color="black", lw=1.6, ls="--", label=label, zorder=5)
    ax.set_yscale("log")
    values = np.concatenate([np.asarray(buy_and_hold)] + [np.asarray(c) for c in wealth.values()])
    low, high = float(np.min(values)), float(np.max(values))
    if high / low < 20:  # a narrow range: evenly spaced plain ticks read better than powers of ten
        ax.yaxis.set_major_locator(MaxNLocator(6))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2f}" if v < 10 else f"{v:,.0f}"))
    ax.set_ylabel("growth of 1 (log scale)")
    ax.set_title(f"Long when the forecast says up, else flat; {cost_bps:g} bp per trade")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncols=2)
    return figure


def history_figure(history: dict[str, list[float]], title: str, keys: tuple[str, ...] | None = None,
                   log: bool = True) -> Figure:
    """Curves of a training history (every key, or ``keys``), one line each."""
    figure, (ax,) = _figure(6.5, 3.4)
    keys = keys or tuple(history)
    for key, colour in zip(keys, PALETTE * 3):
        values = history.get(key, [])
        ax.plot(np.arange(1, len(values) + 1), values, "-", lw=1.2, color=colour, label=key)
    if log and all(v > 0 for key in keys for v in history.get(key, [1])):
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return figure


def confusion_figure(matrix: np.ndarray, title: str) -> Figure:
    """Confusion matrix with counts in the cells (rows: true class, columns: predicted)."""
    figure, (ax,) = _figure(5.2, 4.6)
    image = ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_yticks(range(matrix.shape[0]))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    figure.colorbar(image, ax=ax, shrink=0.8)
    return figure


def image_grid_figure(images: np.ndarray, titles: list[str] | None = None, ncols: int = 10,
                      title: str = "", cell: float = 0.9) -> Figure:
    """A grid of grey images ``(n, h, w[, 1])`` with optional captions."""
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    figure = Figure(figsize=(cell * ncols, cell * nrows + (0.4 if title else 0) + (0.15 * nrows if titles else 0)),
                    layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < n:
            ax.imshow(np.squeeze(images[index]), cmap="gray_r", vmin=0, vmax=1)
            if titles:
                ax.set_title(titles[index], fontsize=7)
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def scatter_figure(points: dict[str, np.ndarray], title: str, colours: np.ndarray | None = None) -> Figure:
    """2-D scatter of one or more point sets (or one set coloured by ``colours``)."""
    figure, (ax,) = _figure(5.2, 4.4)
    for (name, xy), colour in zip(points.items(), PALETTE):
        if colours is not None:
            image = ax.scatter(xy[:, 0], xy[:, 1], c=colours, cmap="tab10", s=5, alpha=0.8)
            figure.colorbar(image, ax=ax, shrink=0.8, label="label")
        else:
            ax.scatter(xy[:, 0], xy[:, 1], s=4, alpha=0.5, color=colour, label=name)
    if colours is None:
        ax.legend(fontsize=8, markerscale=3)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return figure


def series_figure(x, curves: dict[str, np.ndarray], title: str, bands: dict[str, tuple] | None = None,
                  marker: float | None = None, xlabel: str = "t") -> Figure:
    """Lines over ``x`` with optional shaded bands and a vertical marker (e.g. where
    free-running forecasts start)."""
    figure, (ax,) = _figure(9, 3.4)
    for (name, (lower, upper)), colour in zip((bands or {}).items(), PALETTE[1:]):
        ax.fill_between(x, lower, upper, color=colour, alpha=0.25, lw=0, label=name)
    for (name, values), colour in zip(curves.items(), ("black",) + PALETTE):
        ax.plot(x[: len(values)], values, lw=1.2, color=colour, label=name)
    if marker is not None:
        ax.axvline(marker, color="grey", ls="--", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return figure


def heatmaps_figure(fields: dict[str, np.ndarray], extent, titles_unit: str = "", cmap: str = "RdBu_r") -> Figure:
    """Side-by-side heatmaps of 2-D fields over ``extent`` = (t0, t1, x0, x1); rows are x."""
    figure, axes = _figure(4.2 * len(fields), 3.4, ncols=len(fields))
    for ax, (name, values) in zip(axes, fields.items()):
        image = ax.imshow(values, origin="lower", aspect="auto", extent=extent, cmap=cmap)
        ax.set_title(name)
        ax.set_xlabel("t")
        ax.set_ylabel("x")
        figure.colorbar(image, ax=ax, shrink=0.85)
    return figure


def error_time_figure(stages: dict[str, tuple[np.ndarray, np.ndarray]], title: str, target: float | None = None,
                      target_label: str = "", ylabel: str = "relative L2 error") -> Figure:
    """An error (log scale) against wall time, one line per training stage; an optional target line."""
    figure, (ax,) = _figure(9, 3.6)
    for (name, (seconds, error)), colour in zip(stages.items(), PALETTE):
        ax.plot(seconds, error, lw=1.4, color=colour, label=name, marker="." if len(seconds) < 30 else None)
    if target is not None:
        ax.axhline(target, color="grey", ls="--", lw=1, label=target_label)
    ax.set_yscale("log")
    ax.set_xlabel("seconds since the run started")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return figure


def attention_figure(weights: np.ndarray, title: str, positions: list[str] | None = None) -> Figure:
    """Attention weights as a heat map: one row per head, one column per attended position
    (``weights`` of shape ``(heads, positions)``; each row sums to one)."""
    weights = np.asarray(weights, dtype="float64")
    heads, width = weights.shape
    figure, (ax,) = _figure(min(1.2 + 0.45 * width, 11), 0.9 + 0.45 * heads)
    image = ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0)
    ax.set_yticks(range(heads), [f"head {h + 1}" for h in range(heads)])
    labels = positions or [str(i + 1) for i in range(width)]
    step = max(1, width // 20)
    ticks = list(range(width - 1, -1, -step))[::-1]  # always label the last step
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=45 if width > 12 else 0, fontsize=8)
    ax.set_xlabel("attended input step")
    ax.set_title(title, fontsize=10)
    figure.colorbar(image, ax=ax, shrink=0.9, label="weight")
    return figure
