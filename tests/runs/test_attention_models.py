"""The Transformer and the encoder-decoder in the forecast: multi-step, scored like every model,
and blind to prices after what each fold's models saw."""

from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import price_table
from tests.runs.test_forecast import QUIET, TINY, frame_of
from toolkit.runs.forecast import run_forecast, write_forecast_report

CONFIG = replace(TINY, models=("naive", "transformer", "seq2seq"), horizon=3, epochs=2, mc_samples=3)


@pytest.fixture(scope="module")
def run():
    return run_forecast(frame_of(price_table(360)["Close"].to_numpy()), CONFIG, **QUIET)


def test_both_forecast_the_whole_horizon_and_are_scored_like_any_model(run, tmp_path):
    fold = run.folds[0]
    for name in ("transformer", "seq2seq"):
        assert fold.predictions[name].shape == (len(fold.origin), 3) and np.isfinite(fold.predictions[name]).all()
        assert {"split", "adaptive"} <= set(run.panel.coverage[name]) and np.isfinite(run.panel.honesty[name]["dm_p"])
        assert run.next_forecasts[name].shape == (3,)
    assert run.models["transformer"].interval_ == "mc-dropout" and run.models["seq2seq"].interval_ is None
    assert run.models["transformer"].attention_["weights"].shape == (4, TINY.window)
    np.testing.assert_allclose(run.models["transformer"].attention_["weights"].sum(-1), 1.0, rtol=1e-5)
    html = write_forecast_report(run, tmp_path).read_text()
    assert "Transformer encoder-decoder (attention): attention of the forecast past the data" not in html  # in the PNG
    assert 'alt="attention weights of Transformer encoder-decoder (attention)"' in html
    assert "Encoder-decoder LSTM (teacher forcing)" in html


def test_prices_after_what_the_models_saw_change_no_forecast_made_before_them(run):
    # Change every price from the middle of the test part on: every forecast whose window ends
    # before that point (and the models, fitted on earlier rows) must stay bit for bit the same.
    prices = price_table(360)["Close"].to_numpy().copy()
    fold = run.folds[0]
    middle = int(fold.origin[len(fold.origin) // 2])
    changed = prices.copy()
    changed[middle + 1:] *= np.exp(np.linspace(0, 0.3, len(prices) - middle - 1))
    again = run_forecast(frame_of(changed), CONFIG, **QUIET)
    before = fold.origin <= middle - CONFIG.horizon  # windows and targets entirely before the change
    for name in ("transformer", "seq2seq"):
        np.testing.assert_array_equal(again.folds[0].predictions[name][before], fold.predictions[name][before])
        assert not np.array_equal(again.folds[0].predictions[name][~before], fold.predictions[name][~before])
