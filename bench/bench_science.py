"""Full profiles of the science pipelines, one process each, as `toolkit run NAME` runs them.

Run: .venv/bin/python bench/bench_science.py [NAME ...]   (default: all six)
Prints each run's wall time and the report's summary line; the reports land in
bench/results/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

NAMES = ("digits", "sine", "autoencoder", "generative", "burgers", "lectures")


def main() -> None:
    names = sys.argv[1:] or NAMES
    out = Path(__file__).resolve().parent / "results"
    runs = []
    for name in names:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "toolkit.cli", "run", name, "--quiet", "--out", str(out)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        seconds = time.perf_counter() - started
        summary = re.search(r"\[result\] (.*)", done.stdout)
        report = re.search(r"\[done\] report: (\S+)", done.stdout)
        runs.append({"pipeline": name, "exit": done.returncode, "wall_seconds": round(seconds, 1),
                     "summary": summary.group(1) if summary else done.stderr.strip()[-300:],
                     "report": report.group(1) if report else None})
        print(json.dumps(runs[-1]), flush=True)
    print(json.dumps({"cpus": os.cpu_count(), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
