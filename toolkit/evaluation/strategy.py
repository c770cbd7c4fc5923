"""A long/flat trading sanity check of forecast directions (not advice)."""

from __future__ import annotations

import numpy as np

TRADING_DAYS = 252


def max_drawdown(wealth: np.ndarray) -> float:
    """Largest fall from a running peak, as a positive fraction."""
    peaks = np.maximum.accumulate(wealth)
    return float(np.max(1 - wealth / peaks)) if len(wealth) else 0.0


def sharpe(returns: np.ndarray) -> float:
    """Annualised Sharpe ratio of daily returns (zero risk-free rate)."""
    sd = returns.std(ddof=1) if len(returns) > 1 else 0.0
    return float(np.sqrt(TRADING_DAYS) * returns.mean() / sd) if sd > 0 else float("nan")


def long_flat(origin_prices, next_prices, predicted_next, cost_bps: float = 5.0) -> dict:
    """Hold the asset for the next day when the forecast says it rises, else hold cash.

    Each change of position costs ``cost_bps`` basis points of wealth. Days are the
    consecutive one-step test samples.

    Returns:
        ``wealth``, ``buy_and_hold`` (growth of 1), ``position``, and the summary
        ``total_return``, ``sharpe``, ``max_drawdown``, ``trades`` for both.
    """
    origin = np.asarray(origin_prices, dtype="float64")
    asset = np.asarray(next_prices, dtype="float64") / origin - 1
    position = (np.asarray(predicted_next, dtype="float64") > origin).astype("float64")
    trades = np.abs(np.diff(np.concatenate([[0.0], position])))
    returns = position * asset - trades * cost_bps / 1e4
    wealth = np.cumprod(1 + returns)
    hold = np.cumprod(1 + asset)
    return {
        "wealth": wealth, "buy_and_hold": hold, "position": position,
        "strategy": {"total_return": float(wealth[-1] - 1), "sharpe": sharpe(returns),
                     "max_drawdown": max_drawdown(wealth), "trades": int(trades.sum()),
                     "time_in_market": float(position.mean())},
        "hold": {"total_return": float(hold[-1] - 1), "sharpe": sharpe(asset),
                 "max_drawdown": max_drawdown(hold), "trades": 1, "time_in_market": 1.0},
    }
