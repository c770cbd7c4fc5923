"""Forecast metrics in price units, and the ranking of models by them."""

from __future__ import annotations

import numpy as np


def mae(actual, predicted) -> float:
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))))


def rmse(actual, predicted) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(predicted)) ** 2)))


def mape(actual, predicted) -> float:
    """Mean absolute percentage error, in percent."""
    actual = np.asarray(actual, dtype="float64")
    return float(100 * np.mean(np.abs((actual - np.asarray(predicted)) / actual)))


def naive_scale(train_values, horizon: int = 1) -> float:
    """MAE of the in-sample ``horizon``-step naive forecast: MASE's denominator
    (Hyndman and Koehler, 2006)."""
    train_values = np.asarray(train_values, dtype="float64")
    return float(np.mean(np.abs(train_values[horizon:] - train_values[:-horizon])))


def mase(actual, predicted, scale: float) -> float:
    return mae(actual, predicted) / scale


def directional_accuracy(actual, predicted, origin) -> float:
    """Share of forecasts whose predicted move from the origin has the actual move's sign.

    Forecasts of no move (as naive persistence always makes) are undefined: ``nan`` when
    every forecast is flat, and those samples are left out otherwise.
    """
    actual_move = np.sign(np.asarray(actual) - np.asarray(origin))
    predicted_move = np.sign(np.asarray(predicted) - np.asarray(origin))
    called = predicted_move != 0
    if not called.any():
        return float("nan")
    return float(np.mean(actual_move[called] == predicted_move[called]))


def forecast_metrics(actual, predicted, origin, scale: float) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), MASE and directional accuracy of one model on one part."""
    return {
        "MAE": mae(actual, predicted),
        "RMSE": rmse(actual, predicted),
        "MAPE": mape(actual, predicted),
        "MASE": mase(actual, predicted, scale),
        "DirAcc": directional_accuracy(actual, predicted, origin),
    }


def rank_models(metrics: dict[str, dict[str, float]], key: str = "MAE") -> list[str]:
    """Model names from best to worst by ``key`` (lower is better)."""
    return sorted(metrics, key=lambda name: metrics[name][key])
