"""Burgers PINN benchmarks: evaluations per second, optimisers at equal wall time, backends, discovery.

    .venv/bin/python bench/bench_pinn.py evals            # tape against Taylor-mode residual
    .venv/bin/python bench/bench_pinn.py optimizers --minutes 3
    .venv/bin/python bench/bench_pinn.py backends --minutes 5     # the forward run on TensorFlow, then JAX
    .venv/bin/python bench/bench_pinn.py discovery --minutes 6    # Raissi's identification table, row by row

Each part runs its cases one after another (the backends in one child process each), so
their ratios are comparable on this shared machine. ``backends`` and ``discovery`` write
their rows to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def evaluations_per_second(hidden_layers, units, points, dtype, method, hard, seconds=8.0):
    from toolkit.builders.pde import BurgersResidual
    from toolkit.builders.pinn import pinn_network
    from toolkit.training.pinn import PINNObjective

    rng = np.random.default_rng(0)
    network = pinn_network(hidden_layers=hidden_layers, units=units, dtype=dtype, periodic=hard,
                           initial="-sin(pi x)" if hard else None)
    residual = BurgersResidual()
    residual.derivative_method = method
    collocation = rng.uniform([0, -1], [1, 1], (points, 2))
    data = None if hard else (collocation[:100], np.zeros(100))
    objective = PINNObjective(network, residual, collocation, *(data or (None, None)))
    theta = objective.theta()
    from keras import ops

    ops.convert_to_numpy(objective.value_and_gradient(theta)[0])  # compile
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        loss, gradient = objective.value_and_gradient(theta)
        ops.convert_to_numpy(gradient)
        count += 1
    return count / (time.perf_counter() - started), objective.size


def evals(args):
    rows = []
    for layers, units, points, hard in [(8, 20, 10_100, False), (3, 20, 10_000, True)]:
        for dtype in ("float32", "float64"):
            rates = {}
            for method in ("tape", "taylor"):
                rate, size = evaluations_per_second(layers, units, points, dtype, method, hard, args.seconds)
                rates[method] = rate
            row = {"network": f"{layers} x {units}{' hard' if hard else ''}", "parameters": size, "points": points,
                   "dtype": dtype, "tape_per_s": round(rates["tape"], 1), "taylor_per_s": round(rates["taylor"], 1),
                   "speed_up": round(rates["taylor"] / rates["tape"], 2)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def optimizers(args):
    """Each optimiser with and without RAD for the same wall time (Adam included), default network."""
    from toolkit.runs.burgers import BurgersConfig, run_burgers

    rows = []
    for optimizer in args.optimizers.split(","):
        for sampling in ("fixed", "rad"):
            config = BurgersConfig(optimizer=optimizer, sampling=sampling, time_limit_minutes=args.minutes,
                                   verbose=0).validate()
            result = run_burgers(config, log=lambda line: None)
            stages = result.metrics["stages"]
            last = list(stages.values())[-1]
            row = {"optimizer": optimizer, "sampling": sampling, "minutes": args.minutes,
                   "relative_l2": float(f"{result.metrics['relative_l2']:.4g}"),
                   "iterations": last["iterations"], "evaluations": result.metrics["evaluations"],
                   "seconds": round(result.metrics["train_seconds"], 1)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def forward(args):
    """One backend (this process's): evaluations per second of the default network, then the forward run."""
    import keras

    from toolkit.runs.burgers import BurgersConfig, run_burgers
    rate, size = evaluations_per_second(3, 20, 10_000, "float64", "auto", True, args.seconds)
    config = BurgersConfig(time_limit_minutes=args.minutes, verbose=0).validate()
    result = run_burgers(config, log=lambda line: None)
    row = {"backend": keras.backend.backend(), "evaluations_per_s": round(rate, 1), "parameters": size,
           "minutes": args.minutes, "relative_l2": float(f"{result.metrics['relative_l2']:.4g}"),
           "run_evaluations_per_s": round(result.metrics["evaluations_per_second"], 1),
           "iterations": list(result.metrics["stages"].values())[-1]["iterations"]}
    print("ROW " + json.dumps(row), flush=True)
    return [row]


def backends(args):
    """The forward Burgers run and its evaluation rate on TensorFlow, then on JAX, in child processes."""
    rows = []
    for backend in args.backends.split(","):
        env = {**os.environ, "KERAS_BACKEND": backend, "JAX_ENABLE_X64": "1"}
        done = subprocess.run([sys.executable, __file__, "forward", "--minutes", str(args.minutes), "--seconds",
                               str(args.seconds)], env=env, capture_output=True, text=True, check=True)
        row = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("ROW "))[4:])
        print(json.dumps(row), flush=True)
        rows.append(row)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pde_backends.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows


#: Raissi et al.'s identification table: (N_u, noise) rows.
DISCOVERY_ROWS = ((2000, 0.0), (2000, 0.01), (2000, 0.05), (2000, 0.10), (500, 0.0))


def discovery(args):
    """``toolkit run burgers-discovery`` at each of the published (N_u, noise) rows."""
    from toolkit.runs.burgers import PUBLISHED_DISCOVERY, BurgersDiscoveryConfig, run_burgers_discovery

    rows = []
    wanted = [tuple(float(v) for v in r.split(":")) for r in args.rows.split(",")] if args.rows else DISCOVERY_ROWS
    for count, noise in wanted:
        config = BurgersDiscoveryConfig(data_points=int(count), noise=noise, time_limit_minutes=args.minutes,
                                        bootstrap_minutes=args.bootstrap_minutes, seed=args.seed, verbose=0).validate()
        started = time.perf_counter()
        result = run_burgers_discovery(config, log=lambda line: None)
        coefficients = result.metrics["coefficients"]
        published = PUBLISHED_DISCOVERY[(int(count), noise)]
        row = {"N_u": int(count), "noise": noise, "seed": args.seed, "minutes": args.minutes,
               "bootstrap_minutes": args.bootstrap_minutes, "wall_seconds": round(time.perf_counter() - started, 1),
               "relative_l2": float(f"{result.metrics['relative_l2']:.4g}")}
        for name, label in (("advection", "lambda1"), ("nu", "lambda2")):
            c = coefficients[name]
            row |= {f"{label}": c["estimate"], f"{label}_error_pct": float(f"{100 * c['relative_error']:.4g}"),
                    f"{label}_bootstrap_sd": c["bootstrap_sd"], f"{label}_published_pct": published[name]}
        print(json.dumps(row), flush=True)
        rows.append(row)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "discovery.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    e = sub.add_parser("evals")
    e.add_argument("--seconds", type=float, default=8.0)
    o = sub.add_parser("optimizers")
    o.add_argument("--minutes", type=float, default=3.0)
    o.add_argument("--optimizers", default="lbfgs,bfgs,ssbfgs,ssbroyden")
    f = sub.add_parser("forward")
    f.add_argument("--minutes", type=float, default=5.0)
    f.add_argument("--seconds", type=float, default=8.0)
    b = sub.add_parser("backends")
    b.add_argument("--minutes", type=float, default=5.0)
    b.add_argument("--seconds", type=float, default=8.0)
    b.add_argument("--backends", default="tensorflow,jax")
    d = sub.add_parser("discovery")
    d.add_argument("--minutes", type=float, default=6.0)
    d.add_argument("--bootstrap-minutes", type=float, default=2.0)
    d.add_argument("--rows", default="", help="N_u:noise pairs, e.g. 2000:0.05,500:0 (default: the published rows)")
    d.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    {"evals": evals, "optimizers": optimizers, "forward": forward, "backends": backends,
     "discovery": discovery}[args.part](args)


if __name__ == "__main__":
    main()
