"""Minimal reproduction: TensorFlow's epochs stall at their start while tf.data autotunes.

Plain Keras on TensorFlow, a two-layer LSTM on NumPy arrays. Keras feeds arrays through a
tf.data pipeline whose gather is a ``map(num_parallel_calls=AUTOTUNE)`` and makes a new
iterator of it every epoch; destroying the old one waits for tf.data's autotuning thread.
For every epoch this prints its wall time, the wait between ``on_epoch_begin`` and the first
batch, and the CPU seconds the whole process used during that wait (near zero: an idle
wait, not work). It runs twice, each in its own process: with Keras' pipeline as it is,
and with ``tf.data.Options().autotune.enabled = False`` added to it (what
``toolkit.input_pipelines`` does).

Run: .venv/bin/python bench/tf_epoch_stall.py [--epochs 8] [--samples 2560]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def worker(epochs: int, samples: int, autotune: bool) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    if not autotune:
        from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

        original = ArrayDataAdapter.get_tf_dataset

        def get_tf_dataset(self):
            options = tf.data.Options()
            options.autotune.enabled = False
            return original(self).with_options(options)

        ArrayDataAdapter.get_tf_dataset = get_tf_dataset

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 60, 1)).astype("float32")
    y = x[:, -5:, 0].mean(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((60, 1)), keras.layers.LSTM(256, return_sequences=True),
                              keras.layers.LSTM(256), keras.layers.Dense(1)])
    model.compile("adam", "mse")

    class Watch(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.rows = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start, self.cpu, self.wait = time.perf_counter(), time.process_time(), None

        def on_train_batch_begin(self, batch, logs=None):
            if self.wait is None:
                self.wait = (time.perf_counter() - self.start, time.process_time() - self.cpu)

        def on_epoch_end(self, epoch, logs=None):
            self.rows.append({"seconds": round(time.perf_counter() - self.start, 2),
                              "wait": round(self.wait[0], 2), "cpu_in_wait": round(self.wait[1], 2)})

    watch = Watch()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, callbacks=[watch])
    return {"autotune": autotune, "epochs": watch.rows}


def _stall(row: dict) -> str:
    return f"{row['wait']:.1f} s waited, {row['cpu_in_wait']:.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--samples", type=int, default=2560)
    parser.add_argument("--worker", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.epochs, args.samples, args.worker == "on")))
        return
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    for mode in ("on", "off"):
        done = subprocess.run([sys.executable, __file__, "--worker", mode, "--epochs", str(args.epochs),
                               "--samples", str(args.samples)], capture_output=True, text=True, env=env, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        counted = [row["seconds"] for row in result["epochs"][1:]]
        stalls = [row for row in result["epochs"][1:] if row["wait"] > 0.5]
        print(f"autotune {mode:3}: epochs {' '.join(f'{s:.1f}' for s in counted)} s; "
              f"median/best {statistics.median(counted) / min(counted):.2f}; "
              f"stalled starts {len(stalls)} of {len(counted)} "
              f"({', '.join(_stall(r) for r in stalls) or 'none'})")


if __name__ == "__main__":
    main()
