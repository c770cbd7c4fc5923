"""Conformal coverage of every model, walk-forward: bundled ^GSPC and ^IXIC, and i.i.d. returns.

Runs ``toolkit forecast --folds 5`` (all default models, each refitted per fold) as a user
would, one process per series, timed from start to exit, then prints from ``metrics.json``
each model's pooled coverage and its worst fold, per method and level. The synthetic series
has i.i.d. N(0, 0.01^2) daily log returns (seed 7, 3,000 business days from 2000-01-03).
Run: .venv/bin/python bench/bench_coverage.py [--series gspc ixic iid] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SERIES = {"gspc": ["^GSPC", "--offline"], "ixic": ["^IXIC", "--offline"], "iid": None}


def iid_csv(folder: Path) -> Path:
    rng = np.random.default_rng(7)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 3000)))
    path = folder / "iid_returns.csv"
    pd.DataFrame({"Date": pd.bdate_range("2000-01-03", periods=3000).strftime("%Y-%m-%d"),
                  "Close": prices}).to_csv(path, index=False)
    return path


def run(series: str, folds: int, out: Path) -> dict:
    args = SERIES[series] or ["--csv", str(iid_csv(out))]
    command = [sys.executable, "-m", "toolkit.cli", "forecast", *args, "--folds", str(folds), "--quiet",
               "--out", str(out / series)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{series} failed: {done.stderr.strip()}")
    report = Path(re.search(r"\[done\] report: (\S+)", done.stdout).group(1))
    metrics = json.loads((report.parent / "metrics.json").read_text())
    return {"series": series, "wall_seconds": round(seconds, 1), "metrics": metrics}


def table(result: dict) -> list[str]:
    lines = [f"## {result['series']}: --folds 5, {result['wall_seconds']} s wall",
             "| model | method | 80% pooled | 80% worst fold | 95% pooled | 95% worst fold | 80% width % | 95% Winkler |",
             "|---|---|---|---|---|---|---|---|"]
    worst = 0.0
    for model, methods in result["metrics"]["intervals"].items():
        for method, levels in methods.items():
            a, b = levels["0.8"], levels["0.95"]
            if method in ("split", "adaptive"):
                worst = max(worst, abs(a["coverage"] - 0.8), abs(b["coverage"] - 0.95))
            lines.append(f"| {model} | {method} | {100 * a['coverage']:.1f} | {100 * min(a['by_fold']):.1f} | "
                         f"{100 * b['coverage']:.1f} | {100 * min(b['by_fold']):.1f} | {a['width_pct']:.2f} | "
                         f"{b['winkler']:.4g} |")
    lines.append(f"largest distance of a conformal coverage from nominal: {100 * worst:.1f} points")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", nargs="+", choices=sorted(SERIES), default=["gspc", "ixic", "iid"])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        for series in args.series:
            result = run(series, args.folds, Path(out))
            print("\n".join(table(result)), flush=True)
            print(f"verdict: {result['metrics']['verdict']}\n", flush=True)


if __name__ == "__main__":
    main()
