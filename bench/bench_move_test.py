"""The move test's size and power, before (Newey-West errors, normal p-value) and after (the
same statistic, moving-block bootstrap p-value), on simulated daily prices.

Size: random walks (1% daily volatility), where no forecast can add to the last value,
tested with forecasts that carry nothing: a lagging 5-day average (the issue's case) and
naive plus noise. Power: the oracle forecast of log returns that follow an AR(1) with
phi = 0.05, 0.1 and 0.2 (the best any model could do). 750 test forecasts per sample, the
issue's "750 test days"; horizons 1 and 5 (overlapping 5-day moves). Each cell is the share
of samples the test calls "evidence that it adds to the last value" at the 5% level.

Run: .venv/bin/python bench/bench_move_test.py [--samples 500]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy import stats

from toolkit.evaluation.significance import _slopes, move_test

RESULTS = Path(__file__).resolve().parent / "results"
N = 750


def before(actual, predicted, origin, horizon) -> float:
    """The p-value the toolkit gave until this round: Newey-West t, standard normal."""
    y, x = actual / origin - 1, predicted / origin - 1
    slope, se = _slopes(y, x, horizon)
    return float(stats.norm.sf(slope / se))


def sample(rng, horizon: int, phi: float, forecast: str):
    length = N + horizon + 30
    eps = rng.normal(0, 0.01, length)
    returns = np.zeros(length)
    for t in range(1, length):
        returns[t] = phi * returns[t - 1] + eps[t]
    prices = 100 * np.exp(np.cumsum(returns))
    origin_rows = np.arange(20, 20 + N)
    origin = prices[origin_rows]
    if forecast == "lagging 5-day average":
        predicted = np.array([prices[i - 4:i + 1].mean() for i in origin_rows])
    elif forecast == "naive plus noise":
        predicted = origin * (1 + rng.normal(0, 0.002, N))
    else:  # the oracle: E[log move over h steps | r_t] = r_t (phi + ... + phi^h)
        predicted = origin * np.exp(returns[origin_rows] * sum(phi ** k for k in range(1, horizon + 1)))
    return prices[origin_rows + horizon], predicted, origin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    cases = [("size", 0.0, "lagging 5-day average"), ("size", 0.0, "naive plus noise"),
             ("power", 0.05, "oracle AR(1)"), ("power", 0.1, "oracle AR(1)"), ("power", 0.2, "oracle AR(1)")]
    rows = []
    for horizon in (1, 5):
        for kind, phi, forecast in cases:
            rng = np.random.default_rng(1000 * horizon + int(100 * phi))
            started, old, new = time.perf_counter(), 0, 0
            for _ in range(args.samples):
                actual, predicted, origin = sample(rng, horizon, phi, forecast)
                old += before(actual, predicted, origin, horizon) < 0.05
                new += move_test(actual, predicted, origin, horizon).evidence(0.05)
            row = {"kind": kind, "horizon": horizon, "phi": phi, "forecast": forecast, "samples": args.samples,
                   "before": old / args.samples, "after": new / args.samples,
                   "seconds": round(time.perf_counter() - started, 1)}
            rows.append(row)
            print(f"{kind:5s} h={horizon} phi={phi:<4} {forecast:22s} before {row['before']:.3f}  "
                  f"after {row['after']:.3f}  ({row['seconds']} s)", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "move_test.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
