"""The stacked LSTM on each Keras backend against plain PyTorch, and the forecast per backend.

Throughput: the lecture's 806,017-parameter stacked LSTM (window 60, 256 units, batch 128)
trained on the same random windows by ``toolkit.builders.stacked_lstm`` on TensorFlow,
JAX and PyTorch, and by the same architecture written in plain PyTorch (``nn.LSTM``, what
Darts and NeuralForecast train with). Each runs in its own process, one after the other
in this one run (the machine is shared: compare ratios, not absolute figures). The first
epoch compiles and is not counted; of the others the best (the issue's measure) and the
median (steadier where one framework's epochs jitter) are both reported, with ratios.

Forecast: the wall time of ``toolkit forecast --offline --quiet --backend NAME`` per backend
(the README's default run), each its own process from start to exit.

Run: .venv/bin/python bench/bench_backends.py [--samples 2560] [--epochs 7] [--forecast]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

WINDOW, UNITS, DENSE, BATCH = 60, 256, 64, 128
BACKENDS = ("tensorflow", "jax", "torch")
#: TensorFlow once more with Keras' own autotuned array pipeline (the toolkit's before):
#: toolkit.input_pipelines explains the difference.
AUTOTUNED = "tensorflow-autotuned"


def _data(samples: int):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, WINDOW, 1)).astype("float32")
    y = (x[:, -5:, 0].mean(axis=1, keepdims=True) + 0.1 * rng.normal(size=(samples, 1))).astype("float32")
    return x, y


def keras_worker(samples: int, epochs: int) -> dict:
    """Train the toolkit's builder on this process's backend; samples/s per epoch."""
    import toolkit  # noqa: F401 - first, as in the CLI: its environment defaults apply to TensorFlow

    import keras

    from toolkit.builders import stacked_lstm
    from toolkit.training import EpochTimer

    keras.utils.set_random_seed(0)
    x, y = _data(samples)
    model = stacked_lstm(window=WINDOW, units=UNITS, dense_units=DENSE)
    timer = EpochTimer()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return {"framework": f"toolkit on Keras 3 / {keras.backend.backend()}", "params": model.count_params(),
            "epoch_seconds": timer.epoch_seconds}


def torch_worker(samples: int, epochs: int) -> dict:
    """The same network in plain PyTorch, trained by the usual hand-written loop."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, y = (torch.from_numpy(a) for a in _data(samples))

    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm_1 = nn.LSTM(1, UNITS, batch_first=True)
            self.lstm_2 = nn.LSTM(UNITS, UNITS, batch_first=True)
            self.dropout = nn.Dropout(0.4)
            self.dense = nn.Linear(UNITS, DENSE)
            self.out = nn.Linear(DENSE, 1)

        def forward(self, inputs):
            h, _ = self.lstm_1(inputs)
            h, _ = self.lstm_2(self.dropout(h))
            return self.out(torch.relu(self.dense(self.dropout(h[:, -1]))))

    model = Stacked()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        order = torch.randperm(samples)
        model.train()
        for start in range(0, samples, BATCH):
            index = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - started)
    params = sum(p.numel() for p in model.parameters())
    return {"framework": "plain PyTorch nn.LSTM", "params": params, "epoch_seconds": seconds}


def _spawn(args: list[str], env: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"worker {args} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def throughput(samples: int, epochs: int) -> list[dict]:
    rows = []
    for backend in [AUTOTUNED] + [b for b in BACKENDS if importlib.util.find_spec(b)]:
        env = {**os.environ, "KERAS_BACKEND": backend.split("-")[0]}
        if backend == AUTOTUNED:
            env["TOOLKIT_TF_DATA_AUTOTUNE"] = "1"
        row = _spawn(["--worker", "keras", "--samples", str(samples), "--epochs", str(epochs)], env)
        if backend == AUTOTUNED:
            row["framework"] += " (Keras' autotuned tf.data pipeline)"
        rows.append({"backend": backend, **row})
    if importlib.util.find_spec("torch"):
        rows.append({"backend": "plain-torch", **_spawn(["--worker", "torch", "--samples", str(samples),
                                                         "--epochs", str(epochs)], dict(os.environ))})
    import statistics

    for row in rows:
        counted = row["epoch_seconds"][1:]
        row["samples_per_second"] = round(samples / min(counted), 1)
        row["median_samples_per_second"] = round(samples / statistics.median(counted), 1)
        row["median_over_best_epoch"] = round(statistics.median(counted) / min(counted), 3)
        row["slowest_over_best_epoch"] = round(max(counted) / min(counted), 3)
    for key in ("samples_per_second", "median_samples_per_second"):
        tf = next((r[key] for r in rows if r["backend"] == "tensorflow"), None)
        plain = next((r[key] for r in rows if r["backend"] == "plain-torch"), None)
        prefix = "" if key == "samples_per_second" else "median_"
        for row in rows:
            row[prefix + "vs_tensorflow"] = round(row[key] / tf, 2) if tf else None
            row[prefix + "vs_plain_torch"] = round(row[key] / plain, 2) if plain else None
    return rows


def forecast_wall(backends) -> list[dict]:
    from bench_forecast import LSTM_EPOCHS, result_lines, timed_forecast

    rows = []
    with tempfile.TemporaryDirectory() as out:
        for backend in backends:
            seconds, stdout = timed_forecast(["--backend", backend], out)
            # Early stopping ends each backend's LSTM at its own epoch (their seeds draw other
            # initial weights), so the per-epoch time is the like-for-like figure.
            lstm = [(int(n), float(s)) for n, s in LSTM_EPOCHS.findall(stdout)]
            epochs, train = sum(n for n, _ in lstm), sum(s for _, s in lstm)
            rows.append({"backend": backend, "wall_seconds": round(seconds, 1), "lstm_epochs": epochs,
                         "lstm_train_seconds": round(train, 1),
                         "lstm_seconds_per_epoch": round(train / epochs, 2) if epochs else None,
                         "result": result_lines(stdout)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2560, help="training windows per epoch (default 2560)")
    parser.add_argument("--epochs", type=int, default=7, help="epochs per framework, the first not counted (default 7)")
    parser.add_argument("--forecast", action="store_true", help="also time the default toolkit forecast per backend")
    parser.add_argument("--forecast-only", action="store_true", help="only the forecast wall times")
    parser.add_argument("--worker", choices=("keras", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work = keras_worker if args.worker == "keras" else torch_worker
        print(json.dumps(work(args.samples, args.epochs)))
        return
    report = {"cpus": os.cpu_count(), "samples": args.samples, "batch": BATCH}
    if not args.forecast_only:
        report["throughput"] = throughput(args.samples, args.epochs)
    if args.forecast or args.forecast_only:
        report["forecast"] = forecast_wall([b for b in BACKENDS if importlib.util.find_spec(b)])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
