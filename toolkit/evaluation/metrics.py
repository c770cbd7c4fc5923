"""Forecast metrics in price units and on log returns, and the ranking of models by them."""

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
    """MAE of the in-sample ``horizon``-step naive forecast over ``train_values``; with the
    default one step, MASE's denominator (Hyndman and Koehler, 2006)."""
    train_values = np.asarray(train_values, dtype="float64")
    return float(np.mean(np.abs(train_values[horizon:] - train_values[:-horizon])))


def mase(actual, predicted, scale) -> float:
    """Mean absolute scaled error (Hyndman and Koehler, 2006): each absolute error divided by
    the in-sample one-step naive MAE of the training rows its model was fitted on.

    ``scale`` is one number, or one per forecast when pooled forecasts come from folds with
    their own training rows: pooled and per-fold MASE are then the same definition, and the
    pooled value is the forecast-weighted mean of the folds' values.
    """
    errors = np.abs(np.asarray(actual, dtype="float64") - np.asarray(predicted, dtype="float64"))
    scale = np.broadcast_to(np.asarray(scale, dtype="float64"), errors.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(scale > 0, errors / scale, np.where(errors == 0, 0.0, np.inf))
    return float(np.mean(ratio))


def log_errors(actual, predicted) -> np.ndarray:
    """Errors on the log-return scale, ``log(actual) - log(predicted)``: the error of the
    forecast return from the origin, free of the price level (``nan`` for a non-positive
    forecast)."""
    actual = np.asarray(actual, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(predicted > 0, np.log(actual / np.where(predicted > 0, predicted, 1.0)), np.nan)


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


def forecast_metrics(actual, predicted, origin, scale) -> dict[str, float]:
    """One model on one part: MAE, RMSE, MAPE (%) and MASE in price units; MAE and RMSE of
    the log-return errors in basis points; directional accuracy.

    Args:
        scale: MASE's denominator, one value or one per forecast (see :func:`mase`).
    """
    log_error = log_errors(actual, predicted)
    return {
        "MAE": mae(actual, predicted),
        "RMSE": rmse(actual, predicted),
        "MAPE": mape(actual, predicted),
        "MASE": mase(actual, predicted, scale),
        "MAE_bp": float(1e4 * np.mean(np.abs(log_error))),
        "RMSE_bp": float(1e4 * np.sqrt(np.mean(log_error ** 2))),
        "DirAcc": directional_accuracy(actual, predicted, origin),
    }


def rank_models(metrics: dict[str, dict[str, float]], key: str = "MAE") -> list[str]:
    """Model names from best to worst by ``key`` (lower is better)."""
    return sorted(metrics, key=lambda name: metrics[name][key])
