"""Windowing 1,000,000 points: strided view (toolkit) against the lecture's Python loop.

Both run in this one process, one after the other, so their ratio is measured under the
same machine load. Peak memory is measured with tracemalloc (NumPy reports its buffers
to it). Run: .venv/bin/python bench/bench_windows.py [--points N] [--window W]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from toolkit.pipelines.windows import sliding_windows


def lecture_loop(values: np.ndarray, window: int, horizon: int = 1):
    x, y = [], []
    for i in range(window, len(values) - horizon + 1):
        x.append(values[i - window:i])
        y.append(values[i + horizon - 1])
    return np.array(x), np.array(y)


def strided(values: np.ndarray, window: int, horizon: int = 1):
    windows, target_index = sliding_windows(values, window, horizon)
    return windows, values[target_index]


def measure(function, values, window, contiguous=False):
    tracemalloc.start()
    started = time.perf_counter()
    x, y = function(values, window)
    if contiguous:  # what the pipeline hands Keras: one contiguous float32 copy
        x = np.ascontiguousarray(x, dtype="float32")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--window", type=int, default=60)
    args = parser.parse_args()
    values = np.cumsum(np.random.default_rng(0).normal(size=args.points))

    view_s, view_peak, view_x = measure(strided, values, args.window)
    copy_s, copy_peak, copy_x = measure(strided, values, args.window, contiguous=True)
    loop_s, loop_peak, loop_x = measure(lecture_loop, values, args.window)
    assert np.array_equal(view_x[:, :, 0], loop_x)
    result = {
        "points": args.points, "window": args.window, "windows": int(len(loop_x)),
        "loop_seconds": round(loop_s, 4), "view_seconds": round(view_s, 6),
        "view_plus_float32_copy_seconds": round(copy_s, 4),
        "speedup_view": round(loop_s / view_s), "speedup_with_copy": round(loop_s / copy_s, 1),
        "loop_peak_mb": round(loop_peak / 2**20, 1), "view_peak_mb": round(view_peak / 2**20, 3),
        "copy_peak_mb": round(copy_peak / 2**20, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
