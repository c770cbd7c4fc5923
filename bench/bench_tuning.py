"""Hyperparameter search: the library choice, and what a 20-trial search of the stacked LSTM costs
and gives on the bundled ^GSPC.

--libraries  Optuna against KerasTuner on one objective (the stacked LSTM on the newest 1,500
             rows of ^GSPC, units and learning rate, 8 trials each, 5 epochs with early
             stopping): wall time, time inside model.fit, the rest (the library's own cost),
             files written, best validation loss. Needs `pip install keras-tuner` (not a
             dependency of the toolkit).
--search     (default) `run_forecast` of naive and the lecture LSTM with a 20-trial search of
             the lectures' space (pruning on), then the same 20-trial search on the same
             training rows with pruning off: each search's wall time and trial states, and the
             tuned LSTM's test MASE and Holm-adjusted Diebold-Mariano p-value against the
             untuned one's.

Run: .venv/bin/python bench/bench_tuning.py [--libraries] [--search] [--trials 20]
Results: bench/results/tuning.json (and the lines printed).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).resolve().parent / "results"


def _gspc():
    from toolkit.data import PriceRequest, load_prices

    return load_prices(PriceRequest(ticker="^GSPC", offline=True))


class _FitClock:
    """Seconds spent inside model.fit, whichever library calls it."""

    def __init__(self):
        import keras

        clock = self

        class Callback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.started = time.perf_counter()

            def on_train_end(self, logs=None):
                clock.seconds += time.perf_counter() - self.started

        self.seconds = 0.0
        self.callback = Callback


def libraries(trials: int = 8) -> dict:
    import keras
    import numpy as np
    import optuna

    from toolkit.builders import stacked_lstm
    from toolkit.pipelines import make_windowed_data
    from toolkit.training import set_seed

    prices = _gspc().prices.to_numpy()[-1500:]
    data = make_windowed_data(prices, window=60)
    x, y = data.x["train"], data.y["train"]
    validation = (data.x["validation"], data.y["validation"])

    def stop():
        return keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)

    out = {}
    # Optuna: the objective trains the model itself
    clock = _FitClock()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        set_seed(0)
        model = stacked_lstm(units=trial.suggest_int("units", 16, 128, log=True),
                             learning_rate=trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True))
        history = model.fit(x, y, validation_data=validation, epochs=5, batch_size=128, verbose=0,
                            callbacks=[stop(), clock.callback()])
        return float(np.min(history.history["val_loss"]))

    started = time.perf_counter()
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=4))
    study.optimize(objective, n_trials=trials)
    wall = time.perf_counter() - started
    out["optuna"] = {"version": optuna.__version__, "wall_s": wall, "fit_s": clock.seconds,
                     "library_s": wall - clock.seconds, "files": 0, "bytes": 0, "best_val_loss": study.best_value}
    try:
        import keras_tuner as kt
    except ImportError:
        out["keras_tuner"] = "not installed: pip install keras-tuner to measure it"
        return out
    clock = _FitClock()

    def build(hp):
        set_seed(0)
        return stacked_lstm(units=hp.Int("units", 16, 128, sampling="log"),
                            learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"))

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        tuner = kt.BayesianOptimization(build, objective="val_loss", max_trials=trials, num_initial_points=4, seed=0,
                                        directory=folder, project_name="bench", overwrite=True)
        tuner.search(x, y, validation_data=validation, epochs=5, batch_size=128, verbose=0,
                     callbacks=[stop(), clock.callback()])
        wall = time.perf_counter() - started
        files = [p for p in Path(folder).rglob("*") if p.is_file()]
        best = tuner.oracle.get_best_trials(1)[0].score
        out["keras_tuner"] = {"version": kt.__version__, "wall_s": wall, "fit_s": clock.seconds,
                              "library_s": wall - clock.seconds, "files": len(files),
                              "bytes": sum(p.stat().st_size for p in files), "best_val_loss": float(best)}
    return out


def searches(trials: int) -> dict:
    from toolkit.runs.forecast import ForecastConfig, run_forecast
    from toolkit.runs.forecast.backtest import plan_forecast
    from toolkit.runs.forecast.fitting import search_settings
    from toolkit.runs.forecast.models import fit_context
    from toolkit.tuning.search import search

    prices = _gspc()
    config = ForecastConfig(models=("naive", "lstm"), tune_trials=trials, tune_models=("lstm",), mc_samples=0,
                            verbose=0)
    started = time.perf_counter()
    result = run_forecast(prices, config, log=lambda line: print(line, flush=True) if "search" in line else None)
    total = time.perf_counter() - started
    pruned = result.folds[0].tuning["lstm_tuned"]
    honesty, headline = result.panel.honesty, result.headline
    out = {"pruned": {"search_s": pruned.seconds, "counts": pruned.counts, "best": pruned.best_value,
                      "chosen": pruned.chosen, "importances": pruned.importances,
                      "trials": [t.as_dict() for t in pruned.trials]},
           "run_s": total,
           "test": {name: {"MASE": headline[name]["MASE"], "dm_p_holm": honesty[name]["dm_p_holm"],
                           "MAE_bp": headline[name]["MAE_bp"]} for name in ("lstm", "lstm_tuned")},
           "tuned_against_untuned": result.panel.tuning["lstm_tuned"]}
    plan = plan_forecast(prices, config, log=lambda line: None)
    entry = plan.lineup["lstm_tuned"]
    settings = search_settings(plan.config)
    settings = type(settings)(**{**settings.__dict__, "pruning": False})
    started = time.perf_counter()
    plain = search(entry.forecaster, entry.space, plan.windowed, plan.bounds[0], fit_context(plan.config), settings,
                   fold=1, window=config.window, horizon=config.horizon, name="lstm_tuned (no pruning)",
                   log=lambda line: print(line, flush=True))
    out["unpruned"] = {"search_s": time.perf_counter() - started, "counts": plain.counts, "best": plain.best_value,
                       "chosen": plain.chosen, "trials": [t.as_dict() for t in plain.trials]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--libraries", action="store_true", help="Optuna against KerasTuner")
    parser.add_argument("--search", action="store_true", help="the 20-trial search with and without pruning")
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    if not args.libraries and not args.search:
        args.search = True
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "tuning.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if args.libraries:
        results["libraries"] = libraries()
        for name, row in results["libraries"].items():
            print(name, row if isinstance(row, str) else
                  f"wall {row['wall_s']:.1f} s, in model.fit {row['fit_s']:.1f} s, the library's own {row['library_s']:.1f} s, "
                  f"{row['files']} files ({row['bytes'] / 1e6:.1f} MB) written, best val loss {row['best_val_loss']:.5f}")
    if args.search:
        results["search"] = found = searches(args.trials)
        for kind in ("pruned", "unpruned"):
            row = found[kind]
            print(f"{kind}: {row['search_s']:.0f} s, {row['counts']}, best objective {row['best']:.5f}, chosen {row['chosen']}")
        for name, row in found["test"].items():
            print(f"{name}: test MASE {row['MASE']:.4f}, Holm-adjusted DM p vs naive {row['dm_p_holm']:.3f}")
        print("tuned against untuned:", found["tuned_against_untuned"])
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"written {path}")


if __name__ == "__main__":
    main()
