"""Burgers PINN benchmarks: loss-and-gradient evaluations per second, and optimisers at equal wall time.

    .venv/bin/python bench/bench_pinn.py evals            # tape against Taylor-mode residual
    .venv/bin/python bench/bench_pinn.py optimizers --minutes 3

Each part runs its cases in one process, one after another, so their ratios are comparable
on this shared machine.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


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
    objective.value_and_gradient(theta)[0].numpy()  # compile
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        loss, gradient = objective.value_and_gradient(theta)
        gradient.numpy()
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    e = sub.add_parser("evals")
    e.add_argument("--seconds", type=float, default=8.0)
    o = sub.add_parser("optimizers")
    o.add_argument("--minutes", type=float, default=3.0)
    o.add_argument("--optimizers", default="lbfgs,bfgs,ssbfgs,ssbroyden")
    args = parser.parse_args()
    {"evals": evals, "optimizers": optimizers}[args.part](args)


if __name__ == "__main__":
    main()
