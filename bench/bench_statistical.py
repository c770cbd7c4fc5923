"""Automatic ETS and ARIMA: statsforecast against statsmodels, same data, same task.

The task is the forecast run's: fit on the training rows (70%) of the log prices, then
forecast one day ahead from every test origin (the newest 15%) with the fitted parameters.

* statsforecast: ``AutoARIMA`` (Hyndman-Khandakar stepwise search) and ``AutoETS``
  (``ZZN``: every error and trend type, no season), applied per origin with ``forward``.
* statsmodels: no automatic selection of its own, so the same search spaces by AICc:
  ``SARIMAX(p, 1, q)`` for p, q in 0..2 with and without drift, and the state-space
  ``ExponentialSmoothing`` with no, additive or damped trend; one-step forecasts of every
  origin from one Kalman filter pass over the whole series (``apply``).

Prints fit and forecast seconds and the test MAE of each. Run:
.venv/bin/python bench/bench_statistical.py
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np

from toolkit.data.bundled import find_bundled, read_bundled


def split(prices: np.ndarray) -> tuple[int, int]:
    n = len(prices)
    return n - 2 * int(np.ceil(0.15 * n)), n - int(np.ceil(0.15 * n))


def statsforecast_models(y: np.ndarray, train_end: int, test_start: int) -> dict:
    from statsforecast.models import AutoARIMA, AutoETS

    out = {}
    for name, model in (("arima", AutoARIMA(seasonal=False)), ("ets", AutoETS(model="ZZN"))):
        started = time.perf_counter()
        fitted = model.fit(y[:train_end])
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        forecasts = np.array([fitted.forward(y=y[:origin + 1], h=1)["mean"][0]
                              for origin in range(test_start - 1, len(y) - 1)])
        if name == "arima":
            p, q, _, _, _, d, _ = fitted.model_["arma"]
            chosen = f"ARIMA({p},{d},{q})"
        else:
            chosen = fitted.model_["method"]
        out[name] = {"fit_s": fit_seconds, "forecast_s": time.perf_counter() - started, "forecasts": forecasts,
                     "chosen": chosen}
    return out


def _aicc_best(candidates) -> tuple:
    best = None
    for label, make in candidates:
        result = make()
        if best is None or result.aicc < best[1].aicc:
            best = (label, result)
    return best


def statsmodels_models(y: np.ndarray, train_end: int, test_start: int) -> dict:
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    spaces = {
        "arima": [(f"ARIMA({p},1,{q}){' + drift' if trend == 'c' else ''}",
                   lambda p=p, q=q, trend=trend: SARIMAX(y[:train_end], order=(p, 1, q), trend=trend).fit(disp=False))
                  for p in range(3) for q in range(3) for trend in ("n", "c")],
        "ets": [(label, lambda trend=trend, damped=damped: ExponentialSmoothing(
                    y[:train_end], trend=trend, damped_trend=damped).fit(disp=False))
                for label, trend, damped in (("ETS(A,N,N)", False, False), ("ETS(A,A,N)", True, False),
                                             ("ETS(A,Ad,N)", True, True))],
    }
    out = {}
    for name, candidates in spaces.items():
        started = time.perf_counter()
        label, result = _aicc_best(candidates)
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        applied = result.apply(y)
        forecasts = applied.get_prediction(start=test_start, end=len(y) - 1).predicted_mean
        out[name] = {"fit_s": fit_seconds, "forecast_s": time.perf_counter() - started,
                     "forecasts": np.asarray(forecasts), "chosen": label}
    return out


def main() -> None:
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ticker in ("^GSPC", "^IXIC"):
            prices = read_bundled(find_bundled(ticker))["Adj Close"].to_numpy()
            y = np.log(prices)
            train_end, test_start = split(prices)
            actual = prices[test_start:]
            for library, run in (("statsforecast", statsforecast_models), ("statsmodels", statsmodels_models)):
                for name, r in run(y, train_end, test_start).items():
                    rows.append({"ticker": ticker, "library": library, "model": name, "chosen": r["chosen"],
                                 "fit_s": round(r["fit_s"], 2), "forecast_s": round(r["forecast_s"], 2),
                                 "origins": len(actual),
                                 "test_MAE": round(float(np.mean(np.abs(np.exp(r["forecasts"]) - actual))), 3)})
                    print(json.dumps(rows[-1]), flush=True)
    for ticker in ("^GSPC", "^IXIC"):
        for model in ("arima", "ets"):
            a, b = (next(r for r in rows if r["ticker"] == ticker and r["model"] == model and r["library"] == lib)
                    for lib in ("statsforecast", "statsmodels"))
            print(f"{ticker} {model}: statsmodels/statsforecast total time "
                  f"{(b['fit_s'] + b['forecast_s']) / (a['fit_s'] + a['forecast_s']):.1f}x, "
                  f"MAE ratio {b['test_MAE'] / a['test_MAE']:.4f}")


if __name__ == "__main__":
    main()
