"""How fast the command line answers --help: each help in a fresh process, as a user runs it.

Help imports nothing numerical (the forecast settings module is plain Python; everything
else loads when a command runs). Run: .venv/bin/python bench/bench_help.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COMMANDS = (["--help"], ["forecast", "--help"], ["run", "--help"], ["compare", "--help"], ["models", "--help"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for command in COMMANDS:
        seconds = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "toolkit.cli", *command], capture_output=True, check=True)
            seconds.append(time.perf_counter() - started)
        rows.append({"command": "toolkit " + " ".join(command), "median_s": round(statistics.median(seconds), 3),
                     "max_s": round(max(seconds), 3)})
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
