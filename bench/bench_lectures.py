"""The learning-rate range test's suggestion against a sweep of short trainings, as the lectures pipeline runs it.

Run: .venv/bin/python bench/bench_lectures.py [--seeds 6] [--epochs-cnn 3] [--epochs-lstm 2]

For the digits CNN (the lectures pipeline's 3,600 training digits) and the lecture's stacked
LSTM (windows of the bundled S&P 500's first 80%, scaled on them): the range test's suggestion
at the pipeline's settings (100 batches of 32, 1e-7 to 10, smoothing 0.98) for several seeds,
then Adam at each rate of a half-decade grid for a few epochs. "Trains best" is the lowest
training loss after those epochs (the loss on all training rows, inference mode): what the
range test reads. The validation loss (held-out digits; the last fifth of the windows, in
time order) is recorded beside it. Prints JSON rows and writes bench/results/lectures.json
(with each range test's rates and losses).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def digits_data():
    from toolkit.pipelines.images import stratified_split
    from toolkit.runs.digits import DigitsConfig, load_images

    images, labels, _ = load_images(DigitsConfig())
    split = stratified_split(images, labels, test_size=0.2, val_size=0.1, seed=42)
    return split.x["train"], split.y("train"), split.x["validation"], split.y("validation")


def lstm_data():
    from toolkit.runs.lectures.learning_rate import price_windows

    x, y, _ = price_windows(60)
    cut = int(len(x) * 0.8)
    return x[:cut], y[:cut], x[cut:], y[cut:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--epochs-cnn", type=int, default=3)
    parser.add_argument("--epochs-lstm", type=int, default=2)
    parser.add_argument("--models", default="cnn,lstm")
    args = parser.parse_args()
    import keras

    from toolkit.builders import digits_cnn, stacked_lstm
    from toolkit.training import lr_range_test, set_seed

    cases = {"cnn": ("digits CNN", digits_cnn, digits_data, args.epochs_cnn),
             "lstm": ("stacked LSTM (256 units, window 60)", lambda **k: stacked_lstm(window=60, **k), lstm_data,
                      args.epochs_lstm)}
    rows = []
    for key in args.models.split(","):
        label, build, data, epochs = cases[key]
        x, y, x_val, y_val = data()
        suggestions = []
        for seed in range(args.seeds):
            set_seed(seed)
            started = time.perf_counter()
            result = lr_range_test(build(), x, y, steps=100, batch_size=32, seed=seed)
            suggestions.append({"seed": seed, "suggested": result.suggested, "lowest_loss_rate": result.lowest_loss_rate,
                                "seconds": round(time.perf_counter() - started, 1), "stopped": result.stopped})
            print(json.dumps({"model": label, **suggestions[-1]}), flush=True)
            suggestions[-1].update(rates=result.rates.tolist(), losses=result.losses.tolist())
        sweep = []
        for rate in GRID:
            set_seed(0)
            model = build(learning_rate=rate)
            started = time.perf_counter()
            history = model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, verbose=0).history
            scores = model.evaluate(x, y, batch_size=256, verbose=0)  # [loss, accuracy] for the CNN
            sweep.append({"rate": rate, "train_loss": float(scores[0] if isinstance(scores, list) else scores),
                          "val_loss": float(history["val_loss"][-1]),
                          "seconds": round(time.perf_counter() - started, 1)})
            print(json.dumps({"model": label, **sweep[-1]}), flush=True)
            keras.backend.clear_session()
        best = min((s for s in sweep if np.isfinite(s["train_loss"])), key=lambda s: s["train_loss"])["rate"]
        best_val = min((s for s in sweep if np.isfinite(s["val_loss"])), key=lambda s: s["val_loss"])["rate"]
        decades = [abs(np.log10(s["suggested"] / best)) for s in suggestions]
        rows.append({"model": label, "training_rows": len(x), "validation_rows": len(x_val), "epochs": epochs,
                     "suggestions": suggestions, "sweep": sweep, "best_rate": best, "best_rate_by_validation": best_val,
                     "decades_from_best": [round(d, 2) for d in decades],
                     "within_a_decade": all(d <= 1 for d in decades)})
        print(json.dumps({k: v for k, v in rows[-1].items() if k not in ("suggestions", "sweep")}), flush=True)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "lectures.json").write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
