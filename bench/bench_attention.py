"""The Transformer against the stacked LSTM at about the same size: training samples per second
on each Keras backend, each run in its own process, one after the other in this one run.

Both take 60-step windows of one feature (random data: only the speed matters), batch 128:
``transformer_forecaster()`` (30,049 parameters) and ``stacked_lstm(units=48,
dense_units=16)`` (29,025). The first epoch compiles and is not counted; the best and the
median of the others are reported.

Run: .venv/bin/python bench/bench_attention.py [--samples 5120] [--epochs 4]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BACKENDS = ("tensorflow", "jax", "torch")


def worker(model_name: str, samples: int, epochs: int) -> dict:
    import keras
    import numpy as np

    from toolkit.builders import stacked_lstm, transformer_forecaster
    from toolkit.training import EpochTimer

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 60, 1)).astype("float32")
    y = (x[:, -5:, 0].mean(axis=1, keepdims=True) + 0.1 * rng.normal(size=(samples, 1))).astype("float32")
    model = transformer_forecaster() if model_name == "transformer" else stacked_lstm(units=48, dense_units=16)
    timer = EpochTimer()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, callbacks=[timer])
    counted = sorted(timer.epoch_seconds[1:])
    return {"backend": keras.backend.backend(), "model": model_name, "params": model.count_params(),
            "best": samples / counted[0], "median": samples / counted[len(counted) // 2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5120)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))))
        return
    rows = []
    for backend in (b for b in BACKENDS if importlib.util.find_spec(b)):
        for model in ("lstm", "transformer"):
            env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
            done = subprocess.run([sys.executable, __file__, "--worker", model, str(args.samples), str(args.epochs)],
                                  capture_output=True, text=True, env=env, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{backend:10s} {model:11s} {row['params']:>7,} parameters  best {row['best']:7.0f} samples/s  "
                  f"median {row['median']:7.0f}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "attention.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
