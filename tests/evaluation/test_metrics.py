import math

import numpy as np
import pytest

from toolkit.evaluation.metrics import (
    directional_accuracy, forecast_metrics, mae, mape, mase, naive_scale, rank_models, rmse,
)

ACTUAL = [10.0, 12.0, 11.0, 13.0]
PRED = [11.0, 11.0, 12.0, 13.0]
ORIGIN = [9.0, 10.0, 12.0, 11.0]


def test_values_by_hand():
    assert mae(ACTUAL, PRED) == 0.75
    assert rmse(ACTUAL, PRED) == pytest.approx(math.sqrt(3 / 4))
    assert mape(ACTUAL, PRED) == pytest.approx(100 * (1 / 10 + 1 / 12 + 1 / 11 + 0) / 4)
    assert naive_scale([1.0, 3.0, 2.0, 6.0]) == pytest.approx((2 + 1 + 4) / 3)
    assert naive_scale([1.0, 3.0, 2.0, 6.0], horizon=2) == pytest.approx((1 + 3) / 2)
    assert mase(ACTUAL, PRED, 0.5) == 1.5
    # moves: actual +1 +2 -1 +2, predicted +2 +1 0 +2 -> 3 called, all right
    assert directional_accuracy(ACTUAL, PRED, ORIGIN) == 1.0
    assert directional_accuracy(ACTUAL, [10.0, 9.0, 13.0, 10.0], ORIGIN) == 0.25
    assert math.isnan(directional_accuracy(ACTUAL, ORIGIN, ORIGIN))
    assert set(forecast_metrics(ACTUAL, PRED, ORIGIN, 1.0)) == {"MAE", "RMSE", "MAPE", "MASE", "MAE_bp", "RMSE_bp",
                                                                "DirAcc"}


def test_mase_pooled_is_the_same_definition_as_per_fold():
    # Two folds, each error scaled by its own fold's in-sample one-step naive MAE.
    fold1 = naive_scale([10.0, 11.0, 10.0, 12.0])             # (1 + 1 + 2) / 3
    fold2 = naive_scale([100.0, 104.0, 100.0])                # 4
    actual, predicted = np.array([12.0, 13.0, 101.0]), np.array([11.0, 13.5, 105.0])
    scale = np.array([fold1, fold1, fold2])
    per_fold = [mase(actual[:2], predicted[:2], fold1), mase(actual[2:], predicted[2:], fold2)]
    assert per_fold == [pytest.approx((1 + 0.5) / 2 / fold1), pytest.approx(1.0)]
    assert mase(actual, predicted, scale) == pytest.approx((2 * per_fold[0] + per_fold[1]) / 3)


def test_log_return_errors_in_basis_points():
    m = forecast_metrics([110.0, 100.0], [100.0, 100.0], [100.0, 100.0], 1.0)
    assert m["MAE_bp"] == pytest.approx(1e4 * np.log(1.1) / 2)
    assert m["RMSE_bp"] == pytest.approx(1e4 * np.log(1.1) / np.sqrt(2))


def test_ranking():
    metrics = {"naive": {"MAE": 2.0}, "lstm": {"MAE": 3.0}, "linear": {"MAE": 2.5}}
    assert rank_models(metrics) == ["naive", "linear", "lstm"]
    metrics["lstm"]["MAE"] = 1.0
    assert rank_models(metrics) == ["lstm", "naive", "linear"]
