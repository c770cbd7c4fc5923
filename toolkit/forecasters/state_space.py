"""ETS and ARIMA forecasts from every origin in one pass of their state-space filter.

statsforecast's ``forward(y)`` applies a fitted model to a history by running its filter over
the whole history again, so forecasting from each of m origins of an n-row series costs
O(n m): 698 s for 60 years of daily prices. Both filters are recursions, so the state after
the first k rows is the same whichever longer history follows: one pass that keeps the state
at each origin gives the same forecasts in O(n + m h). This module runs statsforecast's own
filter (``pegelsresid_C`` for ETS, ``arima_like`` fed one row at a time for ARIMA, with the
fixed parameters and the initial state ``forward`` uses) and statsforecast's own forecast
and interval code on each kept state, so the numbers are ``forward``'s to rounding
(``tests/forecasters`` compare them; the statistical forecaster checks two origins against
``forward`` on every run and falls back to it on any difference).

Covered: statsforecast's ``AutoETS`` / ``ETS`` models without seasonality (the run's
``ZZN``) and non-seasonal ``AutoARIMA`` / ``ARIMA`` models with at most an intercept and a
drift as regressors. Anything else returns None, and the caller uses ``forward``.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np


_PATCH_LOCK = threading.Lock()
_PATCH_USERS = [0]


@contextlib.contextmanager
def _quantiles_once():
    """statsforecast's interval code asks for the same normal quantiles at every origin, and
    each ask builds a new scipy distribution (about 0.6 ms: 13 of the 16 s that forecasting
    ETS and ARIMA from 4,190 origins took in ``bench/bench_walk_forward.py``). Inside this
    block it gets each set of levels computed once, the same numbers, bit for bit. Blocks may
    nest and overlap across threads: the first in puts the cache in place, the last out
    restores statsforecast's own function."""
    from statsforecast import arima, ets, utils

    with _PATCH_LOCK:
        if _PATCH_USERS[0] == 0:
            original = utils._quantiles
            known: dict = {}

            def quantiles(level, distribution="normal", dist_params=None):
                if dist_params is not None:
                    return original(level, distribution, dist_params)
                key = (tuple(np.asarray(level, dtype="float64").ravel().tolist()), distribution)
                if key not in known:
                    known[key] = original(level, distribution, dist_params)
                return known[key].copy()

            quantiles.original = original
            for module in (utils, arima, ets):
                if getattr(module, "_quantiles", None) is original:
                    module._quantiles = quantiles
        _PATCH_USERS[0] += 1
    try:
        yield
    finally:
        with _PATCH_LOCK:
            _PATCH_USERS[0] -= 1
            if _PATCH_USERS[0] == 0:
                patched = utils._quantiles
                for module in (utils, arima, ets):
                    if getattr(module, "_quantiles", None) is patched:
                        module._quantiles = patched.original


def _bands(out: dict, levels: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    if "lower" in out:  # ARIMA: frames with a column per level, read as arrays once (not per column)
        frames = out["lower"], out["upper"]
        if any(list(frame.columns) != [f"{pct}%" for pct in levels] for frame in frames):
            return {pct: (np.asarray(frames[0][f"{pct}%"]), np.asarray(frames[1][f"{pct}%"])) for pct in levels}
        lower, upper = (frame.to_numpy() for frame in frames)
        return {pct: (lower[:, j], upper[:, j]) for j, pct in enumerate(levels)}
    return {pct: (np.asarray(out[f"lo-{pct}"]), np.asarray(out[f"hi-{pct}"])) for pct in levels}


def ets_paths(estimator, y: np.ndarray, lengths: np.ndarray, h: int, levels: list[int]):
    """Forecasts of a fitted ETS model from the first ``k`` values of ``y``, for each ``k`` in
    ``lengths``: ``(means (m, h), {level: (lower, upper)})``, or None when not covered."""
    from statsforecast import ets

    model = getattr(estimator, "model_", None)
    if not isinstance(model, dict) or "components" not in model or model["components"][2] != "N":
        return None
    errortype, trendtype, seasontype = model["components"][:3]
    damped = model["components"][3] != "N"
    alpha, beta, gamma, phi = model["par"][:4]
    y = np.asarray(y[: int(lengths.max())], dtype="float64")
    _, errors, states, _ = ets.pegelsresid_C(y=y, m=model["m"], init_state=model["par"][4:], errortype=errortype,
                                             trendtype=trendtype, seasontype=seasontype, damped=damped, alpha=alpha,
                                             beta=beta, gamma=gamma, phi=phi, nmse=3)
    squared = errors ** 2
    sums = np.cumsum(np.where(np.isinf(squared), 0.0, squared))
    lowest, highest = np.minimum.accumulate(y), np.maximum.accumulate(y)
    parameters = model["n_params"]
    means, bands = np.empty((len(lengths), h)), {pct: (np.empty((len(lengths), h)), np.empty((len(lengths), h)))
                                                 for pct in levels}
    with _quantiles_once():
        for i, k in enumerate(lengths):
            if lowest[k - 1] == highest[k - 1]:
                return None  # a constant history: statsforecast fits another model there
            state = {"states": states[k:k + 1], "components": model["components"], "par": model["par"],
                     "m": model["m"], "sigma2": sums[k - 1] / (k - parameters - 1), "residuals": None, "fitted": None}
            out = ets.forecast_ets(state, h=h, level=levels)
            means[i] = out["mean"]
            for pct in levels:
                bands[pct][0][i], bands[pct][1][i] = out[f"lo-{pct}"], out[f"hi-{pct}"]
    return means, bands


def arima_paths(estimator, y: np.ndarray, lengths: np.ndarray, h: int, levels: list[int]):
    """As :func:`ets_paths`, for a fitted non-seasonal ARIMA model (intercept and drift allowed)."""
    from statsforecast import arima

    model = getattr(estimator, "model_", None)
    if not isinstance(model, dict) or "arma" not in model:
        return None
    arma = model["arma"]
    names = list(model["coef"])
    narma = sum(arma[:4])
    regressors = names[narma:]
    seasonal = arma[4] > 1 and any(arma[i] for i in (2, 3, 6))
    if seasonal or any(name not in ("intercept", "drift") for name in regressors) or model.get("lambda") is not None:
        return None
    if model["xreg"] is not None and "drift" not in regressors:
        return None
    coef = np.array(list(model["coef"].values()), dtype="float64")
    n = int(lengths.max())
    y = np.asarray(y[:n], dtype="float64")
    columns = {"intercept": np.ones(n), "drift": np.arange(1, n + 1, dtype="float64")}
    x = y - (np.column_stack([columns[r] for r in regressors]) @ coef[narma:] if regressors else 0.0)
    delta = np.array([1.0])
    for _ in range(arma[5]):
        delta = np.convolve(delta, np.array([1.0, -1.0]))
    delta = -delta[1:]
    phi, theta = arima.arima_transpar(coef, np.array(arma, dtype=np.intc), False)[:2]
    mod = arima.make_arima(phi, theta, delta, 1e6, "Gardner1980")
    a, P, Pn, T, V = mod["a"], mod["P"], mod["Pn"].copy(), mod["T"], mod["V"]
    wanted = {int(k): i for i, k in enumerate(lengths)}
    kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k in range(1, n + 1):  # the filter, one row at a time: its state after each row
        # arima_like predicts the first row's covariance from Pn (the initial one, then T P T' + V)
        arima.arima_like(x[k - 1:k], phi, theta, delta, a, P, Pn, 0, False)
        Pn[:] = T @ P @ T.T + V
        if k in wanted:
            kept[k] = (a.copy(), P.copy())
    lowest, highest = np.minimum.accumulate(y), np.maximum.accumulate(y)
    means, bands = np.empty((len(lengths), h)), {pct: (np.empty((len(lengths), h)), np.empty((len(lengths), h)))
                                                 for pct in levels}
    with _quantiles_once():
        for k, i in wanted.items():
            if lowest[k - 1] == highest[k - 1]:
                return None
            state = {**model, "model": {**mod, "a": kept[k][0], "P": kept[k][1]}, "x": y[:k],
                     "xreg": columns["drift"][:k].reshape(-1, 1) if "drift" in regressors else None,
                     "coef": dict(model["coef"])}
            out = arima.forecast_arima(state, h=h, level=levels)
            means[i] = out["mean"]
            for pct, (lower, upper) in _bands(out, levels).items():
                bands[pct][0][i], bands[pct][1][i] = lower, upper
    return means, bands
