"""Many tickers: the local executor (one after another) against Ray on this machine, in one run.

Two workloads, each run by both executors with the same settings and seed:

* ``tickers``: N tickers with one split each (the bundled ^GSPC and ^IXIC and generated
  random walks), tasks per (ticker, fold) and a final refit each;
* ``folds``: one ticker with ``--folds 4``, so only its folds run side by side.

The profile is the default models and network at a reduced budget (``--profile bench``:
newest 2,500 rows, 128-unit LSTM, 5 epochs), so the whole comparison takes minutes rather
than the hour the default profile would. Ray's start-up (``ray.init`` of a local instance and
the version check) is timed apart and included in the Ray wall time. The two executors'
leaderboards are compared figure by figure: a speed-up that changed a number would not count.

Run: .venv/bin/python bench/bench_universe.py [--tickers 4] [--profile bench|quick]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

PROFILES = {"bench": dict(max_rows=2500, lstm_units=128, dense_units=64, epochs=5),
            "quick": dict(max_rows=1000, lstm_units=32, dense_units=16, epochs=3)}


def generated_csv(folder: Path, seed: int) -> str:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2008-01-02", periods=2600)
    prices = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, len(dates))))
    path = folder / f"walk{seed}.csv"
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": prices}).to_csv(path, index=False)
    return str(path)


def timed(entries, config, out, executor) -> dict:
    from toolkit.runs.universe import universe_job

    started = time.perf_counter()
    outcome = universe_job(entries, config, out, executor, log=lambda line: None, keep_results=True)
    wall = time.perf_counter() - started
    if outcome.failures:
        raise SystemExit(f"failed: {outcome.failures}")
    reports = [result.seconds["report"] for result in outcome.results.values()]
    return {"wall": wall, "startup": outcome.seconds["executor_start"], "rows": outcome.rows,
            "report_s": sum(reports) / len(reports)}


def same_figures(a: list[dict], b: list[dict]) -> bool:
    from toolkit.reports.leaderboard import leaderboard_frame

    drop = ["report", "device"]
    return leaderboard_frame(a).drop(columns=drop).equals(leaderboard_frame(b).drop(columns=drop))


def compare(name: str, entries, config, out: Path) -> dict:
    from toolkit.runs.executors import LocalExecutor, RayExecutor

    local = timed(entries, config, out / f"{name}-local", LocalExecutor())
    remote = timed(entries, config, out / f"{name}-ray", RayExecutor())
    cores = os.cpu_count() or 1
    speedup = local["wall"] / remote["wall"]
    return {"workload": name, "tickers": len(entries), "folds": config.folds,
            "local_s": round(local["wall"], 1), "ray_s": round(remote["wall"], 1),
            "ray_startup_s": round(remote["startup"], 1), "speedup": round(speedup, 2),
            "speedup_without_startup": round(local["wall"] / (remote["wall"] - remote["startup"]), 2),
            "scaling_efficiency": round(speedup / cores, 2), "identical_figures": same_figures(local["rows"], remote["rows"]),
            "report_writing_s_per_ticker": round(local["report_s"], 2)}


LSTM_EPOCHS = """
import sys, time
import numpy as np
from toolkit.devices import configure_threads
configure_threads(int(sys.argv[1]))
from toolkit.builders.recurrent import stacked_lstm
from toolkit.training import set_seed
set_seed(0)
x = np.random.default_rng(0).normal(size=(2000, 60, 1)).astype("float32")
y = x[:, -1, :]
model = stacked_lstm(window=60, n_features=1, units=int(sys.argv[2]))
times = []
for _ in range(3):
    started = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    times.append(time.perf_counter() - started)
print(len(x) / min(times[1:]))
"""


def thread_scaling(units: int) -> dict:
    """The stacked LSTM's training samples/s with 1 and 2 TensorFlow threads, each in its own process."""
    import subprocess
    import sys

    rates = {}
    for threads in (1, 2):
        done = subprocess.run([sys.executable, "-c", LSTM_EPOCHS, str(threads), str(units)], capture_output=True,
                              text=True, check=True)
        rates[threads] = float(done.stdout.split()[-1])
    return {"lstm_units": units, "samples_per_s_1_thread": round(rates[1]), "samples_per_s_2_threads": round(rates[2]),
            "two_threads_over_one": round(rates[2] / rates[1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=int, default=4)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="bench")
    args = parser.parse_args()
    from toolkit.data.load import PriceRequest
    from toolkit.data.universe import build_universe
    from toolkit.runs.forecast import ForecastConfig

    config = replace(ForecastConfig(verbose=0), **PROFILES[args.profile])
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        symbols = ["^GSPC", "^IXIC"] + [generated_csv(folder, seed) for seed in range(max(0, args.tickers - 2))]
        universe = build_universe(symbols[: args.tickers], PriceRequest(offline=True))
        results = [compare("tickers", universe, config, folder),
                   compare("folds", universe[:1], replace(config, folds=4), folder)]
    print(json.dumps({"cpus": os.cpu_count(), "profile": args.profile, **PROFILES[args.profile],
                      "results": results, "threads": thread_scaling(config.lstm_units)}, indent=2))


if __name__ == "__main__":
    main()
