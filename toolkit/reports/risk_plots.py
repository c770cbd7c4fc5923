"""Figures of the risk run: volatility forecasts against the proxy, and a VaR band with its
violations. Each returns a matplotlib ``Figure`` (Agg); none shows it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from toolkit.reports.plots import PALETTE, _figure

ANNUAL = np.sqrt(252) * 100  # daily volatility (log-return units) to annualised percent


def volatility_figure(dates: pd.DatetimeIndex, proxy: np.ndarray, forecasts: dict[str, np.ndarray],
                      title: str, smooth: int = 22) -> Figure:
    """Annualised volatility forecasts (percent) against the proxy's ``smooth``-day mean (grey)."""
    figure, (axis,) = _figure(height=4.0)
    realised = pd.Series(proxy, index=dates).rolling(smooth, min_periods=1).mean()
    axis.plot(dates, ANNUAL * np.sqrt(realised.to_numpy()), color="0.6", lw=1.0,
              label=f"proxy, {smooth}-day mean")
    for index, (label, variance) in enumerate(forecasts.items()):
        axis.plot(dates, ANNUAL * np.sqrt(variance), lw=0.8, color=PALETTE[index % len(PALETTE)], label=label)
    axis.set_ylabel("annualised volatility (%)")
    axis.set_title(title)
    axis.legend(fontsize=7, ncol=2, loc="upper right")
    return figure


def var_band_figure(dates: pd.DatetimeIndex, returns: np.ndarray, var: np.ndarray, title: str) -> Figure:
    """Daily returns (percent), the VaR as a lower band, and every violation marked in red."""
    figure, (axis,) = _figure(height=4.0)
    axis.plot(dates, 100 * returns, color="0.55", lw=0.5, label="daily log return")
    axis.plot(dates, -100 * var, color=PALETTE[0], lw=0.9, label="-VaR")
    hits = -returns > var
    axis.scatter(dates[hits], 100 * returns[hits], color="#d62728", s=12, zorder=3,
                 label=f"violations ({int(hits.sum())})")
    axis.set_ylabel("return (%)")
    axis.set_title(title)
    axis.legend(fontsize=7, loc="lower left")
    return figure
