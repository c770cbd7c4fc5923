import json
from dataclasses import replace

import keras
import numpy as np
import pandas as pd
import pytest

from tests.conftest import price_table, random_walk
from toolkit.data.frame import Provenance, validate_prices
from toolkit.errors import DataError, UsageError
from toolkit.evaluation.baselines import WindowLinear
from toolkit.runs.forecast import ForecastConfig, run_forecast, write_forecast_report

TINY = ForecastConfig(window=20, epochs=2, batch_size=64, lstm_units=8, dense_units=4, mc_samples=5, verbose=0,
                      models=("naive", "moving_average", "linear", "mlp", "lstm"))
QUIET = {"log": lambda line: None}


def frame_of(prices, name="synthetic.csv"):
    dates = pd.bdate_range("2010-01-01", periods=len(prices))
    table = pd.DataFrame({"Close": prices, "Volume": np.linspace(1e6, 2e6, len(prices))}, index=dates)
    return validate_prices(table, "Close", Provenance("csv", name, "test"))


@pytest.fixture(scope="module")
def result():
    return run_forecast(frame_of(price_table(400)["Close"].to_numpy()), replace(TINY, folds=2), **QUIET)


def test_result_holds_every_model_fold_and_panel(result):
    assert set(result.models) == {"naive", "moving_average", "linear", "mlp", "lstm"}
    assert len(result.folds) == 2 and sorted(result.ranking) == sorted(result.models)
    n = sum(len(f.origin) for f in result.folds)
    for name, predicted in result.pooled["predictions"].items():
        assert predicted.shape == (n, 1)
        assert set(result.headline[name]) == {"MAE", "RMSE", "MAPE", "MASE", "DirAcc"}
        assert np.isfinite(result.next_forecasts[name]).all()
    np.testing.assert_allclose(result.pooled["predictions"]["naive"][:, 0], result.pooled["origin_prices"])
    for name in ("linear", "mlp", "lstm"):
        panel = result.honesty[name]
        assert {"MASE", "theil_u", "dir_p", "dm_stat", "dm_p", "lag_best"} <= set(panel)
    assert set(result.coverage) == {"mlp", "lstm"}
    assert set(result.strategy) == {"moving_average", "linear", "mlp", "lstm"}
    assert result.next_dates[0] > result.dates[-1]


def test_leakage_audit_orders_every_fold(result):
    for fold in result.folds:
        audit = fold.audit
        assert audit["train_first"] <= audit["scaler_last"] < audit["model_last"] < audit["test_first"] <= audit["test_last"]


def test_same_seed_same_metrics(result):
    again = run_forecast(result.prices, replace(TINY, folds=2), **QUIET)
    assert repr(again.step_metrics) == repr(result.step_metrics)  # repr: nan == nan


def test_changing_values_after_a_folds_cutoff_leaves_its_forecasts_unchanged(result):
    first = result.folds[0]
    prices = result.series.copy()
    prices[first.bounds.test_end:] *= 1.5  # rewrite everything after fold 1's test block
    altered = run_forecast(frame_of(prices), replace(TINY, folds=2), **QUIET)
    for name in result.models:
        np.testing.assert_array_equal(altered.folds[0].predictions[name], first.predictions[name])
    assert not np.array_equal(altered.folds[1].predictions["linear"], result.folds[1].predictions["linear"])


def test_frozen_models_keep_the_first_folds_fit():
    prices = frame_of(price_table(400)["Close"].to_numpy())
    frozen = run_forecast(prices, replace(TINY, folds=2, refit=False, models=("linear",)), **QUIET)
    assert frozen.folds[1].audit["scaler_last"] == frozen.folds[0].audit["scaler_last"]
    assert frozen.folds[1].audit["model_last"] == frozen.folds[0].audit["model_last"]


def test_recursive_and_multi_step_shapes():
    prices = frame_of(price_table(400)["Close"].to_numpy())
    run = run_forecast(prices, replace(TINY, horizon=3, multistep="recursive", models=("linear", "lstm")), **QUIET)
    assert run.pooled["predictions"]["lstm"].shape[1] == 3
    assert len(run.step_metrics["linear"]) == 3 and len(run.next_dates) == 3
    assert run.coverage == {}  # recursive forecasts carry no intervals


def test_random_walk_verdict_says_nobody_beats_naive():
    run = run_forecast(frame_of(random_walk(700, seed=11)), replace(TINY, target="log-return"), **QUIET)
    assert run.verdict.startswith("No model beats naive persistence at the 5% level")


def test_gaussian_head_intervals_cover_known_noise():
    # Log returns are i.i.d. N(0, 0.01^2): the best forecast is no change, its spread known.
    prices = frame_of(random_walk(2500, seed=12))
    config = replace(TINY, target="log-return", models=("mlp",), epochs=25, patience=25, learning_rate=3e-3)
    run = run_forecast(prices, config, **QUIET)
    assert run.coverage["mlp"][0.8] == pytest.approx(0.8, abs=0.07)
    assert run.coverage["mlp"][0.95] == pytest.approx(0.95, abs=0.05)


def test_report_folder_and_model_round_trip(result, tmp_path):
    html = write_forecast_report(result, tmp_path)
    folder = html.parent
    assert folder.name.startswith("forecast-synthetic.csv-")
    assert sorted(p.name for p in folder.iterdir()) == ["linear.json", "lstm.keras", "metrics.json", "mlp.keras",
                                                        "report.html"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    x = np.random.default_rng(0).normal(size=(16, 20, 1)).astype("float32")
    for name in ("lstm", "mlp"):
        loaded = keras.models.load_model(folder / f"{name}.keras", safe_mode=True)
        inputs = x if name == "lstm" else x.reshape(16, -1)
        np.testing.assert_array_equal(loaded.predict(inputs, verbose=0),
                                      result.models[name].model.predict(inputs, verbose=0))
    linear = WindowLinear.from_dict(json.loads((folder / "linear.json").read_text()))
    np.testing.assert_array_equal(linear.predict(x), result.models["linear"].estimator.predict(x))
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["ranking"] == result.ranking and len(metrics["folds"]) == 2
    assert metrics["honesty"]["lstm"]["dm_p"] == pytest.approx(result.honesty["lstm"]["dm_p"])


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"epochs": 0}, UsageError, "--epochs must be a positive whole number. Received: 0"),
        ({"target": "levels"}, UsageError, "--target must be one of price, log-return"),
        ({"gap": 1, "horizon": 3}, UsageError, "--gap must be at least the horizon"),
        ({"models": ("lstm", "prophet")}, UsageError, "models must be chosen from"),
        ({"features": ("close", "volume"), "multistep": "recursive"}, UsageError,
         "--multistep recursive feeds forecasts back as inputs"),
        ({"folds": 30}, DataError, "too many folds: 30 folds of 12 test rows"),
        ({"horizon": 60}, DataError, "horizon 60 (plus a gap of 60) is too long for the test part of 60 rows"),
    ],
)
def test_bad_settings(change, error, message):
    with pytest.raises(error) as err:
        run_forecast(frame_of(price_table(400)["Close"].to_numpy()), replace(TINY, **change), **QUIET)
    assert str(err.value).startswith(message)


def test_quick_profile_is_small():
    quick = ForecastConfig().quick_profile()
    assert quick.quick and quick.epochs == 3 and quick.lstm_units == 32 and quick.max_rows == 1000


def test_naive_and_moving_average_baselines_by_hand():
    from toolkit.pipelines.windowed import make_windowed_data
    from toolkit.runs.forecast_models import MovingAverage, Naive

    prices = np.arange(1.0, 201.0)
    data = make_windowed_data(prices, window=10, horizon=2)
    origin = data.origin["test"]
    np.testing.assert_array_equal(Naive(TINY).predict_prices(data, "test"), np.repeat(prices[origin][:, None], 2, 1))
    average = MovingAverage(TINY, days=5).predict_prices(data, "test")
    np.testing.assert_allclose(average[:, 0], prices[origin] - 2.0)  # mean of the last five of a ramp
    assert Naive(TINY).predict_prices(data, "next").tolist() == [[200.0, 200.0]]
