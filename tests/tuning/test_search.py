"""The search: inner splits inside a fold's training rows, pruning from learning curves, the
budgets, and that nothing after a fold's last training row reaches a trial."""

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from tests.conftest import random_walk
from toolkit.data.frame import Provenance, validate_prices
from toolkit.errors import DataError
from toolkit.forecasters import FitContext, KerasForecaster, SklearnForecaster
from toolkit.pipelines.windowed import FoldBounds, make_windowed_data
from toolkit.runs.forecast import ForecastConfig
from toolkit.runs.forecast.backtest import plan_forecast, run_fold
from toolkit.tuning import Float, Int
from toolkit.tuning.search import STRIDE, TrialTask, inner_bounds, run_trial

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from user_models import small_gru  # noqa: E402

QUIET = {"log": lambda line: None}
CONFIG = ForecastConfig(window=20, epochs=2, patience=2, batch_size=64, verbose=0, mc_samples=0, folds=2,
                        models=("naive",), tune_trials=2, tune_parallel=2, tune_splits=2)


def frame_of(prices):
    dates = pd.bdate_range("2010-01-01", periods=len(prices))
    return validate_prices(pd.DataFrame({"Close": prices}, index=dates), "Close", Provenance("csv", "walk", "test"))


def ridge():
    from sklearn.linear_model import Ridge

    return SklearnForecaster(Ridge(), space={"alpha": Float(1e-3, 100.0, log=True)})


def test_inner_splits_lie_inside_the_training_rows_and_end_at_the_last_one():
    outer = FoldBounds(10, 510, 600, 601, 700)
    splits = inner_bounds(outer, 3, window=20, horizon=2, val_fraction=0.15)
    assert [(b.train_start, b.train_end, b.val_end) for b in splits] == [(10, 285, 360), (10, 360, 435), (10, 435, 510)]
    assert splits[-1].val_end == outer.train_end  # the fold's validation rows (510-600) are never used
    with pytest.raises(DataError, match="tuning: 6 inner split"):
        inner_bounds(FoldBounds(0, 120, 140, 141, 160), 6, window=20, horizon=1)


def test_the_median_rule_prunes_a_trial_worse_than_completed_ones_at_the_same_epoch():
    data = make_windowed_data(random_walk(300, seed=2), window=20, horizon=1)
    distributions = {"learning_rate": Float(1e-4, 1e-2, log=True).distribution()}
    # Five completed trials that reached a running objective of 0 at every epoch of the first split
    completed = tuple(optuna.trial.create_trial(params={"learning_rate": 1e-3}, distributions=distributions,
                                                value=0.0, intermediate_values={e: 0.0 for e in range(1, 9)})
                      for _ in range(5))
    model = KerasForecaster(small_gru, units=4, epochs=8, patience=8)
    context = FitContext(horizon=1, batch_size=64, verbose=0, mc_samples=0, log=lambda line: None)
    task = TrialTask(model, {"learning_rate": 1e-3}, 5, lambda b: data, (data.bounds,), context, distributions,
                     completed, pruning=True)
    pruned = run_trial(task)
    assert pruned.state == "pruned" and pruned.value is None
    assert sorted(pruned.curve) == [1, 2, 3]  # the first two epochs are warm-up; stopped at the third
    done = run_trial(replace(task, pruning=False))
    assert done.state == "complete" and done.value == pytest.approx(done.curve[STRIDE])
    assert sorted(done.curve)[:8] == list(range(1, 9)) and done.value > 0


def test_search_is_reproducible_and_perturbing_rows_after_training_changes_no_trial():
    prices = random_walk(500, seed=4)
    plan = plan_forecast(frame_of(prices), CONFIG, {"ridge": ridge(), "tiny": KerasForecaster(
        small_gru, units=4, space={"units": Int(2, 8), "learning_rate": Float(1e-3, 1e-2, log=True)})}, **QUIET)
    first = run_fold(plan, 0, **QUIET)
    bounds = first.bounds
    after_training = prices.copy()
    after_training[bounds.train_end:] *= np.exp(np.random.default_rng(1).normal(0, 0.05, len(prices) - bounds.train_end))
    moved = run_fold(plan_forecast(frame_of(after_training), CONFIG, plan.lineup, **QUIET), 0, **QUIET)
    after_test = prices.copy()
    after_test[bounds.test_end:] *= 1.5
    late = run_fold(plan_forecast(frame_of(after_test), CONFIG, plan.lineup, **QUIET), 0, **QUIET)
    for name in ("ridge_tuned", "tiny_tuned"):
        trials = [(t.number, t.params, t.value, t.state) for t in first.tuning[name].trials]
        assert len(trials) == CONFIG.tune_trials and all(state == "complete" for *_, state in trials)
        # the validation and test rows moved: not one trial's objective did, nor the choice (and a
        # rerun on the same rows repeats every trial: `late` searched the same training rows)
        assert [(t.number, t.params, t.value, t.state) for t in moved.tuning[name].trials] == trials
        assert moved.tuning[name].chosen == first.tuning[name].chosen
        assert [(t.params, t.value) for t in late.tuning[name].trials] == [(p, v) for _, p, v, _ in trials]
        np.testing.assert_array_equal(late.predictions[name], first.predictions[name])  # nor the fold's forecasts
        assert first.tuning[name].chosen == min((t for t in first.tuning[name].trials), key=lambda t: t.value).params
    assert not np.array_equal(moved.predictions["ridge_tuned"], first.predictions["ridge_tuned"])


def test_time_budget_stops_after_the_round_running_and_failing_trials_fail_the_copy_only():
    from toolkit.runs.forecast import run_forecast

    prices = frame_of(random_walk(500, seed=4))
    quick = replace(CONFIG, folds=1, tune_trials=8, tune_minutes=1e-6)
    plan = plan_forecast(prices, quick, {"ridge": ridge()}, **QUIET)
    record = run_fold(plan, 0, **QUIET).tuning["ridge_tuned"]
    assert record.stopped == "minutes" and len(record.trials) == quick.tune_parallel

    def flaky(window, n_features, outputs, units=2):  # builds at 2 units only
        if units != 2:
            raise ValueError(f"no model of {units} units")
        return small_gru(window, n_features, outputs, units=units)

    result = run_forecast(prices, replace(quick, tune_minutes=None, tune_trials=2),
                          {"flaky": KerasForecaster(flaky, space={"units": Int(2, 1000)})}, **QUIET)
    assert "flaky" in result.ranking and "flaky_tuned" not in result.models
    assert result.failures["flaky_tuned"].startswith("fold 1: tuning: no trial completed (unexpected ValueError: "
                                                     "cannot be built: ")
    assert all(t.state == "failed" and "no model of" in t.reason
               for t in result.folds[0].tuning["flaky_tuned"].trials)
