import json
from dataclasses import replace

import keras
import numpy as np
import pandas as pd
import pytest

from tests.conftest import price_table, random_walk
from toolkit.data.frame import Provenance, validate_prices
from toolkit.errors import DataError, UsageError
from toolkit.forecasters import clone
from toolkit.runs.forecast import DEFAULT_MODELS, ForecastConfig, run_forecast, write_forecast_report

TINY = ForecastConfig(window=20, epochs=2, batch_size=64, lstm_units=8, dense_units=4, mc_samples=5, verbose=0)
BENCHMARKS = ("naive", "drift", "mean_return", "moving_average", "linear", "ets", "arima")
ALL = set(TINY.models)
QUIET = {"log": lambda line: None}


def frame_of(prices, name="synthetic.csv"):
    dates = pd.bdate_range("2010-01-01", periods=len(prices))
    table = pd.DataFrame({"Close": prices, "Volume": np.linspace(1e6, 2e6, len(prices))}, index=dates)
    return validate_prices(table, "Close", Provenance("csv", name, "test"))


@pytest.fixture(scope="module")
def result():
    return run_forecast(frame_of(price_table(400)["Close"].to_numpy()), replace(TINY, folds=2), **QUIET)


def test_result_holds_every_model_fold_and_panel(result):
    assert set(result.models) == ALL == set(DEFAULT_MODELS)
    assert len(result.folds) == 2 and sorted(result.ranking) == sorted(result.models)
    n = sum(len(f.origin) for f in result.folds)
    for name in result.models:
        assert result.folds[0].predictions[name].shape == (len(result.folds[0].origin), 1)
        assert set(result.headline[name]) == {"MAE", "RMSE", "MAPE", "MASE", "MAE_bp", "RMSE_bp", "DirAcc"}
        assert np.isfinite(result.next_forecasts[name]).all()
        for level in (0.8, 0.95):
            lower, upper = result.next_intervals[name][level]
            assert (lower < result.next_forecasts[name]).all() and (result.next_forecasts[name] < upper).all()
    np.testing.assert_allclose(result.folds[0].predictions["naive"][:, 0], result.series[result.folds[0].origin])
    for name in set(result.models) - {"naive"}:
        panel = result.panel.honesty[name]
        assert {"MASE", "theil_u", "pt_p", "base_rate", "dm_stat", "dm_p", "dm_p_holm", "move_p"} <= set(panel)
    for name in result.models:  # every model gets split and adaptive conformal intervals
        assert {"split", "adaptive"} <= set(result.panel.coverage[name])
        for method, levels in result.panel.coverage[name].items():
            assert len(levels[0.8]["by_fold"]) == 2 and levels[0.95]["width"] > levels[0.8]["width"] > 0
            t = levels[0.8]  # coverage with its binomial chance range, for every h-th forecast
            assert t["scored"] == -(-n // result.config.horizon) and t["ci"][0] <= t["last_step"] <= t["ci"][1]
            assert t["miscalibrated"] == (not t["ci"][0] <= 0.8 <= t["ci"][1]) and len(t["by_fold_ci"]) == 2
    assert {name for name, c in result.panel.coverage.items() if "native" in c} == {"ets", "arima", "mlp", "lstm"}
    assert set(result.panel.strategy) == ALL - {"naive"}
    assert result.next_dates[0] > result.dates[-1]
    assert sum(len(b[0.8][0]) for b in [result.panel.bands["naive"]["split"]]) == n


def test_leakage_audit_orders_every_fold(result):
    for fold in result.folds:
        audit = fold.audit
        assert audit["train_first"] <= audit["scaler_last"] < audit["model_last"] < audit["test_first"] <= audit["test_last"]


def test_same_seed_same_metrics(result):
    again = run_forecast(result.prices, replace(TINY, folds=2), **QUIET)
    assert repr(again.panel.step_metrics) == repr(result.panel.step_metrics)  # repr: nan == nan
    assert repr(again.panel.coverage) == repr(result.panel.coverage)


def test_changing_values_after_a_folds_cutoff_leaves_its_forecasts_and_intervals_unchanged(result):
    first = result.folds[0]
    prices = result.series.copy()
    prices[first.bounds.test_end:] *= 1.5  # rewrite everything after fold 1's test block
    altered = run_forecast(frame_of(prices), replace(TINY, folds=2), **QUIET)
    m = len(first.origin)
    for name in result.models:
        np.testing.assert_array_equal(altered.folds[0].predictions[name], first.predictions[name])
        for method in ("split", "adaptive"):
            for level in (0.8, 0.95):
                for before, after in zip(result.panel.bands[name][method][level], altered.panel.bands[name][method][level]):
                    np.testing.assert_array_equal(after[:m], before[:m])
    assert not np.array_equal(altered.folds[1].predictions["linear"], result.folds[1].predictions["linear"])


def test_rewriting_test_targets_leaves_earlier_adaptive_intervals_bit_identical(result):
    # Within one fold: forecasts made before a target is observed cannot depend on it.
    fold = result.folds[-1]
    cut = int(fold.origin[len(fold.origin) // 2])
    prices = result.series.copy()
    prices[cut + 1:] *= np.exp(np.random.default_rng(9).normal(0, 0.05, len(prices) - cut - 1))
    altered = run_forecast(frame_of(prices), replace(TINY, folds=2, models=BENCHMARKS), **QUIET)
    origin = np.concatenate([f.origin for f in result.folds])
    for name in BENCHMARKS:
        for level in (0.8, 0.95):
            for before, after in zip(result.panel.bands[name]["adaptive"][level],
                                     altered.panel.bands[name]["adaptive"][level]):
                np.testing.assert_array_equal(after[origin <= cut], before[origin <= cut])


def test_final_models_have_seen_the_last_date_and_next_dates_follow_the_exchange(result):
    n = len(result.series)
    assert result.models["drift"].drift_ == pytest.approx((result.series[-1] - result.series[0]) / (n - 1))
    assert result.models["lstm"].training_.epochs_run == result.folds[-1].training["lstm"].best_epoch
    assert result.calendar.name == "business-days"  # a CSV
    table = price_table(300)
    table.index = pd.bdate_range(end="2018-12-31", periods=300)
    bundled = validate_prices(table, "Close", Provenance("bundled", "^GSPC", "test"))
    run = run_forecast(bundled, replace(TINY, horizon=3, models=("naive", "drift")), **QUIET)
    assert run.calendar.name == "XNYS"
    assert [str(d.date()) for d in run.next_dates] == ["2019-01-02", "2019-01-03", "2019-01-04"]


def iid_returns_frame(n=3000, seed=21):
    return frame_of(random_walk(n, seed=seed))


def test_conformal_coverage_on_iid_returns_is_nominal_for_every_model():
    run = run_forecast(iid_returns_frame(), replace(TINY, folds=5, models=BENCHMARKS), **QUIET)
    for name, methods in run.panel.coverage.items():
        for method in ("split", "adaptive"):
            for level, table in methods[method].items():
                assert table["coverage"] == pytest.approx(level, abs=0.03), (name, method, level)
                assert min(table["by_fold"]) >= level - 0.10, (name, method, level)


def test_known_answer_drifted_walk_drift_beats_naive_without_direction_skill():
    rng = np.random.default_rng(4)
    drifted = frame_of(100 * np.exp(np.cumsum(rng.normal(0.003, 0.01, 3000))))
    run = run_forecast(drifted, replace(TINY, models=("drift", "mean_return")), **QUIET)
    for name in ("drift", "mean_return"):
        h = run.panel.honesty[name]
        assert h["dm_beats"], name            # the trend is real: smaller squared errors than naive
        assert h["DirAcc"] == pytest.approx(h["base_rate"]) and not h["dir_skilled"]  # always up: no skill
    walk = run_forecast(frame_of(random_walk(3000, seed=4)), replace(TINY, models=("drift", "mean_return")), **QUIET)
    assert not any(walk.panel.honesty[name]["dm_beats"] for name in ("drift", "mean_return"))


def test_known_answers_sine_and_ar1():
    t = np.arange(1200)
    sine = frame_of(100 * np.exp(0.05 * np.sin(2 * np.pi * t / 40)
                                 + np.random.default_rng(2).normal(0, 1e-3, len(t))))
    run = run_forecast(sine, replace(TINY, models=("linear", "arima", "moving_average")), **QUIET)
    for name in ("linear", "arima"):
        h = run.panel.honesty[name]
        assert h["dm_beats"] and h["dir_skilled"] and h["move_evidence"], name
    assert "linear" in run.verdict and "arima" in run.verdict
    rng = np.random.default_rng(8)
    r = np.zeros(2500)
    for i in range(1, len(r)):
        r[i] = 0.4 * r[i - 1] + rng.normal(0, 0.01)
    run = run_forecast(frame_of(100 * np.exp(np.cumsum(r))), replace(TINY, models=("arima", "drift")), **QUIET)
    assert run.panel.honesty["arima"]["dm_beats"] and run.panel.honesty["arima"]["move_evidence"]
    assert not run.panel.honesty["drift"]["move_evidence"] and not run.panel.honesty["drift"]["dm_beats"]


def test_frozen_models_keep_the_first_folds_fit():
    prices = frame_of(price_table(400)["Close"].to_numpy())
    frozen = run_forecast(prices, replace(TINY, folds=2, refit=False, models=("linear",)), **QUIET)
    assert frozen.folds[1].audit["scaler_last"] == frozen.folds[0].audit["scaler_last"]
    assert frozen.folds[1].audit["model_last"] == frozen.folds[0].audit["model_last"]


def test_recursive_and_multi_step_shapes():
    prices = frame_of(price_table(400)["Close"].to_numpy())
    run = run_forecast(prices, replace(TINY, horizon=3, multistep="recursive", models=("linear", "lstm")), **QUIET)
    assert run.folds[0].predictions["lstm"].shape[1] == 3
    assert len(run.panel.step_metrics["linear"]) == 3 and len(run.next_dates) == 3
    assert "native" not in run.panel.coverage["lstm"]  # recursive forecasts carry no model bands
    assert run.panel.bands["lstm"]["adaptive"][0.8][0].shape[1] == 3  # conformal ones, per step


def test_random_walk_verdict_says_nobody_beats_naive():
    run = run_forecast(frame_of(random_walk(700, seed=11)), TINY, **QUIET)
    assert run.verdict.startswith("No model beats naive persistence at the 5% level")
    assert "Holm-adjusted for the 8 models compared" in run.verdict


def test_gaussian_head_intervals_cover_known_noise():
    # Log returns are i.i.d. N(0, 0.01^2): the best forecast is no change, its spread known.
    prices = frame_of(random_walk(2500, seed=12))
    config = replace(TINY, target="log-return", models=("mlp",), epochs=25, patience=25, learning_rate=3e-3)
    run = run_forecast(prices, config, **QUIET)
    assert run.panel.coverage["mlp"]["native"][0.8]["coverage"] == pytest.approx(0.8, abs=0.07)
    assert run.panel.coverage["mlp"]["native"][0.95]["coverage"] == pytest.approx(0.95, abs=0.05)


def test_report_folder_and_model_round_trip(result, tmp_path):
    html = write_forecast_report(result, tmp_path)
    folder = html.parent
    assert folder.name.startswith("forecast-synthetic.csv-")
    assert sorted(p.name for p in folder.iterdir()) == ["arima.json", "ets.json", "forecasts.csv", "linear.skops",
                                                        "lstm.keras", "metrics.json", "mlp.keras", "report.html"]
    table = pd.read_csv(folder / "forecasts.csv")
    n = sum(len(f.origin) for f in result.folds)
    assert len(table) == n * len(result.models) and set(table["model"]) == set(result.models)
    lstm = table[table["model"] == "lstm"]
    np.testing.assert_allclose(lstm["forecast"], np.concatenate([f.predictions["lstm"] for f in result.folds])[:, 0],
                               rtol=1e-5)
    assert (lstm["adaptive_95_lower"] <= lstm["adaptive_80_lower"]).all() and "native_95_upper" in lstm
    assert 'href="forecasts.csv"' in html.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    x = np.random.default_rng(0).normal(size=(16, 20, 1)).astype("float32")
    for name in ("lstm", "mlp"):
        loaded = keras.models.load_model(folder / f"{name}.keras", safe_mode=True)
        inputs = x if name == "lstm" else x.reshape(16, -1)
        np.testing.assert_array_equal(loaded.predict(inputs, verbose=0),
                                      result.models[name].model_.predict(inputs, verbose=0))
    import skops.io  # no pickle: only the types it is told to trust load

    linear = skops.io.load(folder / "linear.skops", trusted=[])
    flat = x.reshape(16, -1).astype("float64")
    np.testing.assert_array_equal(linear.predict(flat), result.models["linear"].estimator_.predict(flat))
    # a fresh forecaster loads its saved files and forecasts past the data as the run did
    from toolkit.pipelines.windowed import FoldBounds
    from toolkit.runs.forecast.backtest import plan_forecast
    from toolkit.runs.forecast.models import fit_context

    plan = plan_forecast(result.prices, result.config, result.lineup, **QUIET)
    n = len(plan.series)
    all_rows = plan.windowed(FoldBounds(0, n, n, n, n))
    for name in ("lstm", "mlp", "linear"):
        loaded = clone(result.lineup[name].forecaster).load(folder, name, fit_context(result.config))
        np.testing.assert_array_equal(loaded.predict(all_rows, "next")[0], result.next_forecasts[name])
    with pytest.raises(NotImplementedError, match="Drift saves nothing to load back"):
        clone(result.lineup["drift"].forecaster).load(folder, "drift", fit_context(result.config))
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["ranking"] == result.ranking and len(metrics["folds"]) == 2
    assert metrics["honesty"]["lstm"]["dm_p"] == pytest.approx(result.panel.honesty["lstm"]["dm_p"])
    assert metrics["intervals"]["ets"]["adaptive"]["0.8"]["coverage"] == pytest.approx(
        result.panel.coverage["ets"]["adaptive"][0.8]["coverage"])
    assert metrics["next_forecast"]["dates"] == [str(d.date()) for d in result.next_dates]


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"epochs": 0}, UsageError, "--epochs must be a whole number from 1 to 10,000. Received: 0"),
        ({"seed": -1}, UsageError, "--seed must be a whole number from 0 to 4,294,967,295. Received: -1"),
        ({"cost_bps": float("nan")}, UsageError, "--cost-bps must be a finite number in [0, 10000]. Received: nan"),
        ({"dropout": 1.5}, UsageError, "dropout must be a finite number in [0, 1). Received: 1.5"),
        ({"learning_rate": -1.0}, UsageError, "learning_rate must be a finite number in (0, 10]. Received: -1.0"),
        ({"lstm_units": 100_000_000}, UsageError, "lstm_units must be a whole number from 1 to 4,096. Received: 100000000"),
        ({"models": (1, 2)}, UsageError, "models must be a list of names. Received: (1, 2)"),
        ({"window": 0}, UsageError, "--window must be a whole number from 1 to 2,000. Received: 0"),
        ({"target": "levels"}, UsageError, "--target must be one of log-return, price"),
        ({"calendar": "XXXX"}, UsageError, "--calendar 'XXXX' is not a known exchange calendar"),
        ({"gap": 1, "horizon": 3}, UsageError, "--gap must be at least the horizon"),
        ({"models": ("lstm", "prophet")}, UsageError, "unknown model 'prophet': models are chosen from naive, drift"),
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
    from toolkit.forecasters import Drift, FitContext, MeanReturn, MovingAverage, Naive
    from toolkit.pipelines.windowed import make_windowed_data

    prices = np.arange(1.0, 201.0)
    data = make_windowed_data(prices, window=10, horizon=2)
    context = FitContext(horizon=2, log=lambda line: None)
    origin = data.origin["test"]
    np.testing.assert_array_equal(Naive().predict(data, "test"), np.repeat(prices[origin][:, None], 2, 1))
    average = MovingAverage(days=5).predict(data, "test")
    np.testing.assert_allclose(average[:, 0], prices[origin] - 2.0)  # mean of the last five of a ramp
    assert Naive().predict(data, "next").tolist() == [[200.0, 200.0]]
    train = prices[data.bounds.train_start:data.bounds.train_end]
    drift = Drift().fit(data, context)
    assert drift.drift_ == pytest.approx(1.0)                   # a ramp rises 1 a day
    np.testing.assert_allclose(drift.predict(data, "test"), prices[origin][:, None] + [1.0, 2.0])
    mean = MeanReturn().fit(data, context)
    assert mean.mean_log_return_ == pytest.approx(np.log(train[-1] / train[0]) / (len(train) - 1))
    np.testing.assert_allclose(mean.predict(data, "next"), [[200 * np.exp(mean.mean_log_return_),
                                                             200 * np.exp(2 * mean.mean_log_return_)]])


def test_notebook_api_gives_frames_figures_and_an_html_summary(result):
    from html import escape

    from matplotlib.figure import Figure

    metrics = result.metrics_frame()
    assert list(metrics.index) == result.ranking and {"MAE", "MASE", "MAE_bp"} <= set(metrics.columns)
    assert metrics.loc["lstm", "MAE"] == result.headline["lstm"]["MAE"]
    honesty = result.honesty_frame()
    assert honesty.loc["ets", "dm_p_holm"] == result.panel.honesty["ets"]["dm_p_holm"]
    coverage = result.coverage_frame()
    assert len(coverage) == sum(len(m) * 2 for m in result.panel.coverage.values())
    assert coverage.loc[("lstm", "adaptive", 0.8), "coverage"] == result.panel.coverage["lstm"]["adaptive"][0.8]["coverage"]
    predictions = result.predictions_frame()
    assert len(predictions) == len(result.models) * sum(len(f.origin) for f in result.folds)
    assert (predictions["target_date"] > predictions["origin_date"]).all()
    nxt = result.next_frame()
    assert len(nxt) == len(result.models) and (nxt["lower_95"] < nxt["forecast"]).all()
    assert isinstance(result.plot_test(), Figure) and isinstance(result.plot_intervals(["naive", "lstm"]), Figure)
    html = result._repr_html_()
    assert escape(result.verdict) in html and "<table" in html


def test_a_forecast_that_is_not_a_positive_price_fails_its_model_not_the_run():
    # The random walk with drift extends the training rows' average change in price: on a
    # steady fall it forecasts below zero. That is refused, never scored.
    falling = frame_of(100 * np.exp(-0.02 * np.arange(300)))
    run = run_forecast(falling, replace(TINY, models=("drift", "mean_return")), **QUIET)
    assert run.failures["drift"].startswith("fold 1: forecasting: forecast -")
    assert run.failures["drift"].endswith("is not a positive finite price")
    assert sorted(run.ranking) == ["mean_return", "naive"] and (run.next_forecasts["mean_return"] > 0).all()
