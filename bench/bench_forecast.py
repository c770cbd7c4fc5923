"""Wall time of the README's forecast commands on this machine, as a user runs them.

Each profile runs as its own process (`toolkit forecast --offline [...]`), timed from
start to exit, TensorFlow's import included. Run: .venv/bin/python bench/bench_forecast.py
[--profiles default quick]
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

PROFILES = {"default": [], "quick": ["--quick"]}


LSTM_EPOCHS = re.compile(r"\[lstm\] (\d+) epoch\(s\) in ([\d.]+) s")


def timed_forecast(options: list[str], out: str) -> tuple[float, str]:
    """Seconds from start to exit of ``toolkit forecast --offline --quiet OPTIONS``, and its stdout."""
    command = [sys.executable, "-m", "toolkit.cli", "forecast", "--offline", "--quiet", "--out", out, *options]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"toolkit forecast {' '.join(options)} failed: {done.stderr.strip()[-2000:]}")
    return seconds, done.stdout


def result_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("[result]")]


def run(profile: str, out: str) -> dict:
    seconds, stdout = timed_forecast(PROFILES[profile], out)
    epochs = LSTM_EPOCHS.search(stdout)  # the backtest's training (the final refit follows)
    return {"profile": profile, "wall_seconds": round(seconds, 1),
            "lstm_epochs": int(epochs.group(1)), "lstm_train_seconds": float(epochs.group(2)),
            "result": result_lines(stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", nargs="+", choices=sorted(PROFILES), default=["quick", "default"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        results = [run(profile, out) for profile in args.profiles]
    print(json.dumps({"cpus": os.cpu_count(), "runs": results}, indent=2))


if __name__ == "__main__":
    main()
