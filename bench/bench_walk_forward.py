"""The same walk-forward backtest in the toolkit, in statsforecast and in Darts.

The task: ^GSPC's bundled closes (5,030 days), the toolkit's five expanding folds (test
blocks of 838 days, each fold fitted on the rows before its validation part), and a
one-step forecast from every origin of every fold with the fold's fitted parameters.

* **toolkit**: ``plan_forecast`` + ``run_folds`` (the forecast run's walk-forward, scoring,
  validation forecasts and conformal inputs included; the final refit on all rows is not part
  of a backtest and is left out).
* **statsforecast**: its own ``StatsForecast.cross_validation`` per fold on the same rows:
  ``refit=False`` (fit at the fold's first cutoff, then ``forward`` at every later window) for
  AutoETS and AutoARIMA; ``RandomWalkWithDrift`` has no ``forward``, so ``refit=True``
  (re-estimated at every origin, where the toolkit's drift on log prices, ``mean_return``,
  keeps the fold's).
* **Darts**: ``historical_forecasts`` per fold: fitted on the same rows, then
  ``retrain=False`` for its ``AutoETS`` and ``AutoARIMA`` (statsforecast's models, wrapped) and its
  ``BlockRNNModel``; ``NaiveDrift`` can only be refitted at every origin.
* **A small network**: the toolkit's ``stacked_lstm`` with one layer of 16 units (and an
  8-unit ReLU layer; window 20, 5 epochs) on every installed Keras backend, against Darts'
  ``BlockRNNModel`` (one LSTM layer of 16 units, input 20, 5 epochs, PyTorch), both trained per
  fold and forecasting every origin with the fold's weights. Different pipelines (the
  toolkit's scales on training rows, keeps its best validation epoch and scores every
  origin): seconds and MAE, not equal forecasts.

ETS and ARIMA are the same statsforecast fits in all three, so their forecasts are compared
origin by origin (largest difference in log price). Each library runs in its own process,
one after the other in this one run. Darts is installed only for this bench, in its own
environment beside ``.venv`` (``make bench-peers`` makes it; ``.venv``'s packages are shared).

Run: make bench-peers   (or .venv-peers/bin/python bench/bench_walk_forward.py)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

FOLDS, WINDOW, UNITS, EPOCHS = 5, 20, 16, 5
BACKENDS = ("tensorflow", "jax", "torch")
RESULTS = Path(__file__).parent / "results" / "walk_forward.json"


def toolkit_worker(models: tuple[str, ...]) -> dict:
    from toolkit.data import PriceRequest, load_prices
    from toolkit.runs.forecast import ForecastConfig
    from toolkit.runs.forecast.backtest import plan_forecast, run_folds

    prices = load_prices(PriceRequest(ticker="^GSPC", offline=True))
    mine = None
    if models == ("lstm",):  # Darts' network's size: one LSTM layer of 16 units (and a small ReLU layer)
        from toolkit.builders import stacked_lstm
        from toolkit.forecasters import KerasForecaster

        mine, models = {"lstm16": KerasForecaster(stacked_lstm, units=UNITS, num_layers=1, dense_units=8,
                                                  dropout=0.0)}, ("naive",)
    config = ForecastConfig(folds=FOLDS, models=models, window=WINDOW, epochs=EPOCHS, patience=EPOCHS,
                            mc_samples=0, verbose=0)
    started = time.perf_counter()
    plan = plan_forecast(prices, config, mine, log=lambda line: None)
    folds = run_folds(plan, log=lambda line: None)
    seconds = time.perf_counter() - started
    out = {"seconds": seconds, "folds": [], "series": np.log(plan.series).tolist()}
    for fold in folds:
        b = fold.bounds
        out["folds"].append({"train_start": b.train_start, "train_end": b.train_end,
                             "origins": fold.origin.tolist(), "actual": fold.actual[:, 0].tolist(),
                             "log_forecasts": {name.removesuffix("16"): np.log(p[:, 0]).tolist()
                                               for name, p in fold.predictions.items()}})
    return out


def statsforecast_worker(plan: dict) -> dict:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, RandomWalkWithDrift

    y = np.asarray(plan["series"])
    out = {"seconds": {}, "log_forecasts": {}}
    groups = {"forward": ([AutoETS(model="ZZN", alias="ets"), AutoARIMA(seasonal=False, alias="arima")], False),
              "refit": ([RandomWalkWithDrift(alias="drift")], True)}
    for label, (models, refit) in groups.items():
        started = time.perf_counter()
        for fold in plan["folds"]:
            start, first, last = fold["train_start"], fold["train_end"], fold["origins"][-1]
            values = y[start:last + 2]
            frame = pd.DataFrame({"unique_id": "GSPC", "ds": np.arange(len(values)), "y": values})
            windows = last + 1 - (first - 1)  # cutoffs first-1 .. last (rows relative to start)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cv = StatsForecast(models=models, freq=1).cross_validation(
                    df=frame, h=1, n_windows=windows, step_size=1, refit=refit)
            cutoff = cv["cutoff"].to_numpy() + start
            keep = np.isin(cutoff, fold["origins"])
            for model in models:
                name = model.alias
                out["log_forecasts"].setdefault(name, []).append(cv[name].to_numpy()[keep].tolist())
        out["seconds"][label] = time.perf_counter() - started
    return out


def darts_worker(plan: dict) -> dict:
    import logging

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    from darts import TimeSeries
    from darts.models import AutoARIMA, AutoETS, BlockRNNModel, NaiveDrift

    y = np.asarray(plan["series"])
    out = {"seconds": {}, "log_forecasts": {}, "versions": {}}
    makers = {
        "ets": (lambda: AutoETS(season_length=1, model="ZZN"), False),
        "arima": (lambda: AutoARIMA(season_length=1, seasonal=False), False),
        "drift": (NaiveDrift, True),
        "lstm": (lambda: BlockRNNModel(model="LSTM", input_chunk_length=WINDOW, output_chunk_length=1,
                                       hidden_dim=UNITS, n_rnn_layers=1, dropout=0.0, n_epochs=EPOCHS,
                                       batch_size=128, random_state=0,
                                       pl_trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False,
                                                          "enable_model_summary": False}), False),
    }
    for name, (make, retrain) in makers.items():
        started = time.perf_counter()
        for fold in plan["folds"]:
            start, first, last = fold["train_start"], fold["train_end"], fold["origins"][-1]
            values = y[start:last + 2]
            if name == "lstm":  # log returns, standardised on the training rows
                returns = np.diff(values)
                mu, sd = returns[:first - start - 1].mean(), returns[:first - start - 1].std()
                series = TimeSeries.from_values(((returns - mu) / sd).astype("float32"))
                model = make()
                model.fit(series[:first - start - 1], verbose=False)
                fc = model.historical_forecasts(series, start=first - start - 1, start_format="position",
                                                forecast_horizon=1, stride=1, retrain=False,
                                                last_points_only=True, verbose=False)
                # a forecast at returns position p is made from prices up to p (origin p + start)
                origin = np.arange(first - 1, first - 1 + len(fc))
                log_fc = values[origin - start] + fc.values()[:, 0] * sd + mu
            else:
                series = TimeSeries.from_values(values)
                model = make()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if not retrain:
                        model.fit(series[:first - start])
                    fc = model.historical_forecasts(series, start=first - start, start_format="position",
                                                    forecast_horizon=1, stride=1, retrain=retrain,
                                                    last_points_only=True, verbose=False)
                origin = np.arange(first - 1, first - 1 + len(fc)) + start
                log_fc = fc.values()[:, 0]
            keep = np.isin(origin, fold["origins"])
            out["log_forecasts"].setdefault(name, []).append(log_fc[keep].tolist())
        out["seconds"][name] = time.perf_counter() - started
    import darts

    out["versions"]["darts"] = darts.__version__
    return out


def _spawn(python: str, args: list[str], stdin: str | None = None, env: dict | None = None) -> dict:
    done = subprocess.run([python, __file__, *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"{args} failed: {done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mae(plan: dict, name: str, forecasts: list[list[float]]) -> float:
    errors = [np.exp(np.asarray(f)) - np.asarray(fold["actual"]) for fold, f in zip(plan["folds"], forecasts)]
    return float(np.mean(np.abs(np.concatenate(errors))))


def _largest_difference(a: list[list[float]], b: list[list[float]]) -> float:
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=("toolkit-stats", "toolkit-lstm", "statsforecast", "darts"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if args.worker.startswith("toolkit"):
            models = ("lstm",) if args.worker == "toolkit-lstm" else ("mean_return", "ets", "arima")
            result = toolkit_worker(models)
        else:
            plan = json.loads(sys.stdin.read())
            result = (statsforecast_worker if args.worker == "statsforecast" else darts_worker)(plan)
        print(json.dumps(result))
        return
    python = sys.executable
    stats = _spawn(python, ["--worker", "toolkit-stats"])
    plan = {"series": stats["series"], "folds": [{k: f[k] for k in ("train_start", "train_end", "origins", "actual")}
                                                 for f in stats["folds"]]}
    networks = {backend: _spawn(python, ["--worker", "toolkit-lstm"], env={"KERAS_BACKEND": backend})
                for backend in BACKENDS if importlib.util.find_spec(backend)}
    sf = _spawn(python, ["--worker", "statsforecast"], json.dumps(plan))
    darts = _spawn(python, ["--worker", "darts"], json.dumps(plan))
    # the toolkit's mean_return is a random walk with drift on log prices, as the peers' drift here
    toolkit_fc = {name: [f["log_forecasts"][key] for f in stats["folds"]]
                  for name, key in (("ets", "ets"), ("arima", "arima"), ("drift", "mean_return"))}
    origins = sum(len(f["origins"]) for f in plan["folds"])
    seconds = {
        "toolkit": {"ETS, ARIMA, drift": stats["seconds"],
                    **{f"LSTM on {backend}": result["seconds"] for backend, result in networks.items()}},
        "statsforecast cross_validation": {"ETS, ARIMA, drift": sf["seconds"]["forward"] + sf["seconds"]["refit"],
                                           "of which drift": sf["seconds"]["refit"]},
        "Darts historical_forecasts": {"ETS, ARIMA, drift": sum(darts["seconds"][k] for k in ("ets", "arima", "drift")),
                                       "of which drift": darts["seconds"]["drift"], "LSTM": darts["seconds"]["lstm"]},
    }
    mae = {"toolkit": {name: _mae(plan, name, fc) for name, fc in toolkit_fc.items()},
           "statsforecast": {name: _mae(plan, name, fc) for name, fc in sf["log_forecasts"].items()},
           "Darts": {name: _mae(plan, name, fc) for name, fc in darts["log_forecasts"].items()}}
    for backend, result in networks.items():
        mae["toolkit"][f"lstm ({backend})"] = _mae(plan, "lstm", [f["log_forecasts"]["lstm"] for f in result["folds"]])
    equal = {f"{name}: toolkit vs {lib}": _largest_difference(toolkit_fc[name], fc[name])
             for name in ("ets", "arima", "drift")
             for lib, fc in (("statsforecast", sf["log_forecasts"]), ("Darts", darts["log_forecasts"]))}
    report = {"origins": origins, "folds": FOLDS, "cpus": os.cpu_count(), "seconds": seconds,
              "test_mae_points": mae, "largest_log_forecast_difference": equal, "darts": darts["versions"]}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
