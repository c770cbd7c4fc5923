import json
from dataclasses import replace

import keras
import numpy as np
import pytest

from toolkit.errors import UsageError
from toolkit.evaluation.baselines import WindowLinear
from toolkit.runs.forecast import ForecastConfig, run_forecast, write_forecast_report

TINY = ForecastConfig(window=20, epochs=2, batch_size=32, lstm_units=8, dense_units=4, verbose=0)


@pytest.fixture(scope="module")
def result():
    from tests.conftest import price_table
    from toolkit.data.frame import Provenance, validate_prices

    prices = validate_prices(price_table(300), "Close", Provenance("csv", "synthetic.csv", "test"))
    return run_forecast(prices, TINY, log=lambda line: None)


def test_result_holds_every_model_and_part(result):
    assert set(result.outcomes) == {"naive", "linear", "lstm"}
    assert sorted(result.ranking) == ["linear", "lstm", "naive"]
    for outcome in result.outcomes.values():
        assert outcome.predictions["test"].shape == result.data.actual("test").shape
        assert set(outcome.metrics["test"]) == {"MAE", "RMSE", "MAPE", "MASE", "DirAcc"}
        assert np.isfinite(outcome.next_forecast)
    naive = result.outcomes["naive"]
    np.testing.assert_allclose(naive.predictions["test"], result.data.origin_prices("test"))
    assert result.next_date > result.dates[-1]
    assert result.outcomes["lstm"].training.epochs_run == 2


def test_same_seed_same_metrics(result):
    again = run_forecast(result.prices, TINY, log=lambda line: None)
    assert again.outcomes["lstm"].metrics == result.outcomes["lstm"].metrics


def test_report_folder_and_model_round_trip(result, tmp_path):
    html = write_forecast_report(result, tmp_path)
    folder = html.parent
    assert folder.name.startswith("forecast-synthetic.csv-")
    assert sorted(p.name for p in folder.iterdir()) == ["linear.json", "lstm.keras", "metrics.json", "report.html"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    lstm = keras.models.load_model(folder / "lstm.keras", safe_mode=True)
    x = result.data.x["test"]
    np.testing.assert_array_equal(lstm.predict(x, verbose=0),
                                  result.outcomes["lstm"].estimator.predict(x, verbose=0))
    linear = WindowLinear.from_dict(json.loads((folder / "linear.json").read_text()))
    np.testing.assert_array_equal(linear.predict(x), result.outcomes["linear"].estimator.predict(x))
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["ranking"] == result.ranking
    assert metrics["models"]["lstm"]["metrics"]["test"]["MAE"] == pytest.approx(
        result.outcomes["lstm"].metrics["test"]["MAE"])


def test_config_is_checked_first():
    with pytest.raises(UsageError, match="Received: 0"):
        replace(TINY, epochs=0).validate()
    with pytest.raises(UsageError, match="--target must be one of price, log-return"):
        replace(TINY, target="levels").validate()


def test_quick_profile_is_small():
    quick = ForecastConfig().quick_profile()
    assert quick.quick and quick.epochs == 3 and quick.lstm_units == 32 and quick.max_rows == 1000
