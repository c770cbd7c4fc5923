"""The generative yardstick, full profile: every model on the ring and on digits, one run.

Run: .venv/bin/python bench/bench_generative.py [--backend NAME] [extra `toolkit run` flags]
Runs `toolkit run generative` (the full profile of pipelines/generative.toml) in its own process,
then prints the report's tables as Markdown and checks the issue's goals:

* the DDPM's Frechet distance below the VAE's and the GAN's;
* the flow's exact test NLL on the ring below the VAE's bound;
* the learned-prior VAE's Frechet distance below the Gaussian-prior VAE's.

The report lands in bench/results/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    out = Path(__file__).resolve().parent / "results"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "toolkit.cli", "run", "generative", "--out", str(out), *sys.argv[1:]],
                          capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seconds = time.perf_counter() - started
    print(done.stdout[-4000:])
    report = re.search(r"\[done\] report: (\S+)", done.stdout)
    if done.returncode or not report:
        sys.exit(f"the run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    metrics = json.loads((Path(report.group(1)).parent / "metrics.json").read_text())["metrics"]
    print(f"\nwall time {seconds:.0f} s on {os.cpu_count()} cores\n")
    print("| ring | parameters | energy distance | test NLL (nats) |\n|---|---|---|---|")
    for name, row in metrics["toy"].items():
        nll = "—" if row["test_nll"] is None else f"{row['test_nll']:.3f}"
        print(f"| {name} | {row['params']:,} | {row['energy_distance']:.4f} | {nll} |")
    print(f"\nreal vs real energy distance {metrics['toy_real_vs_real']:.4f}; judge test accuracy "
          f"{metrics['judge_accuracy']:.1%}; real digits' Frechet distance {metrics['real_frechet']:.2f}\n")
    print("| digits | parameters | Frechet distance | confidence | class spread | test NLL (bits/dim) | training (s) | "
          "sampling (s) |\n|---|---|---|---|---|---|---|---|")
    digits = metrics["digits"]
    for name, row in digits.items():
        nll = "—" if row["nll"] is None else f"{row['nll'][0]:.3f} ± {row['nll'][1]:.3f}"
        print(f"| {name} | {row['params']:,} | {row['frechet']:.2f} | {row['confidence']:.3f} | "
              f"{row['class_spread']:.3f} | {nll} | {row['train_seconds']:.0f} | {row['sample_seconds']:.1f} |")
    fd = {name: row["frechet"] for name, row in digits.items()}
    toy = metrics["toy"]
    goals = {
        "DDPM's Frechet distance below the VAE's and the GAN's": fd["DDPM"] < min(fd["VAE"], fd["GAN"]),
        "flow's exact ring NLL below the VAE's bound": toy["RealNVP"]["test_nll"] < toy["VAE"]["test_nll"],
        "flow-prior VAE's Frechet distance below the Gaussian-prior VAE's": fd["VAE, flow prior"] < fd["VAE"],
    }
    print()
    for goal, met in goals.items():
        print(f"{'met' if met else 'NOT met'}: {goal}")


if __name__ == "__main__":
    main()
