"""Long histories: ETS and ARIMA forecasts from every origin, statsforecast's forward() per origin
against one pass of the filter, and the whole statistical-models run on 60 years of prices.

A seeded random walk with drift of 15,600 business days (1966-2025, about 60 years) is
written as a CSV. For ETS and ARIMA fitted on its default training rows, the forecasts from
every validation and test origin (5 steps ahead, 80% and 95% bands) are made both ways in
this process and compared; then `toolkit forecast --csv FILE --models
naive,drift,linear,ets,arima` runs as a user would, timed from start to exit.

Run: .venv/bin/python bench/bench_long_history.py [--rows 15600]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def write_series(folder: Path, rows: int) -> Path:
    rng = np.random.default_rng(60)
    dates = pd.bdate_range("1966-01-03", periods=rows)
    prices = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, rows)))
    path = folder / "sixty_years.csv"
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": np.round(prices, 4)}).to_csv(path, index=False)
    return path


def both_ways(path: Path, horizon: int = 5) -> dict:
    from statsforecast.models import AutoARIMA, AutoETS

    from toolkit.data import PriceRequest, load_prices
    from toolkit.forecasters import StatsForecaster
    from toolkit.pipelines.windowed import single_split_bounds

    series = load_prices(PriceRequest(csv=path)).prices.to_numpy()
    bounds = single_split_bounds(len(series), 0.15, 0.15, horizon)
    history = np.log(series)
    lengths = np.arange(bounds.train_end, len(series) - horizon) + 1  # every origin with all its targets
    out = {"rows": len(series), "origins": int(len(lengths))}
    for name, model in (("ets", AutoETS(model="ZZN")), ("arima", AutoARIMA(seasonal=False))):
        forecaster = StatsForecaster(model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.perf_counter()
            forecaster.estimator_ = model.fit(history[: bounds.train_end])
            fit = time.perf_counter() - started
            started = time.perf_counter()
            fast = forecaster._one_pass(history, lengths, horizon, [80, 95])
            one_pass = time.perf_counter() - started
            started = time.perf_counter()
            slow = forecaster._forward_each(history, lengths, horizon, [80, 95])
            each = time.perf_counter() - started
        difference = max(float(np.max(np.abs(fast[0] - slow[0]) / np.abs(slow[0]))),
                         *(float(np.max(np.abs(fast[1][p][i] - slow[1][p][i]) / np.abs(slow[1][p][i])))
                           for p in (80, 95) for i in (0, 1)))
        out[name] = {"model": str(forecaster.estimator_), "fit_s": fit, "forward_each_s": each, "one_pass_s": one_pass,
                     "speed_up": each / one_pass, "largest_relative_difference": difference}
        print(f"{name}: fit {fit:.1f} s; forward per origin {each:.1f} s, one pass {one_pass:.2f} s "
              f"({each / one_pass:.0f}x); largest relative difference {difference:.1e}", flush=True)
    return out


def end_to_end(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "toolkit.cli", "forecast", "--csv", str(path), "--models",
                   "naive,drift,linear,ets,arima", "--quiet", "--out", out]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        (metrics,) = Path(out).glob("forecast-*/metrics.json")
        parts = json.loads(metrics.read_text())["seconds"]
    print(f"toolkit forecast --csv (60 years) --models naive,drift,linear,ets,arima: {seconds:.1f} s "
          f"(backtest {parts['backtest']:.1f} s, all models {parts['models']:.1f} s)", flush=True)
    return {"wall_s": seconds, "seconds": parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=15_600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = write_series(Path(folder), args.rows)
        results = {"both_ways": both_ways(path), "end_to_end": end_to_end(path)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "long_history.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
