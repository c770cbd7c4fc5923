"""Your model in the honest comparison: the same model through the notebook, the command line
and a pipeline file, the errors a user meets before any training, and a model that fails
alone."""

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from tests.browser import check_report
from tests.conftest import random_walk
from toolkit.cli import main
from toolkit.data.frame import Provenance, validate_prices
from toolkit.data.load import PriceRequest
from toolkit.forecasters import KerasForecaster, SklearnForecaster
from toolkit.runs.forecast import ForecastConfig, forecast_job, run_forecast, write_forecast_report

ROOT = Path(__file__).resolve().parents[2]
USER_FILE = ROOT / "examples" / "user_models.py"
SMALL = ["--offline", "--quick", "--quiet", "--window", "20", "--epochs", "2", "--mc-samples", "3"]
QUIET = {"log": lambda line: None}


def frame_of(prices):
    dates = pd.bdate_range("2010-01-01", periods=len(prices))
    return validate_prices(pd.DataFrame({"Close": prices}, index=dates), "Close", Provenance("csv", "walk", "test"))


def user_module():
    sys.path.insert(0, str(USER_FILE.parent))
    try:
        import user_models
    finally:
        sys.path.remove(str(USER_FILE.parent))
    return user_models


def numbers(folder: Path) -> tuple[dict, str]:
    document = json.loads((folder / "metrics.json").read_text())
    keep = {key: document[key] for key in ("ranking", "step_metrics", "honesty", "intervals", "strategy", "verdict")}
    keep["next"] = document["next_forecast"]["models"]
    return keep, (folder / "forecasts.csv").read_text()


def only_run(out: Path) -> Path:
    (folder,) = list(out.glob("forecast-*"))
    return folder


def test_the_same_model_through_notebook_command_line_and_pipeline_file_gives_identical_numbers(tmp_path, capsys):
    # command line: a file reference, imported (and said so) before any data is read
    assert main(["forecast", *SMALL, "--models", f"naive,linear,gru16={USER_FILE}:small_gru",
                 "--out", str(tmp_path / "cli")]) == 0
    out = capsys.readouterr().out
    assert f"[models] gru16: small_gru from {USER_FILE} (importing that file runs its code)" in out
    assert out.index("[models] gru16") < out.index("[data] loading")
    # pipeline file: a [models.NAME] table, the path relative to the file's folder
    pipeline = tmp_path / "pipelines" / "mine.toml"
    pipeline.parent.mkdir()
    relative = os.path.relpath(USER_FILE, pipeline.parent)  # read from the pipeline file's folder
    pipeline.write_text(f'''kind = "forecast"
[data]
ticker = "^GSPC"
offline = true
[forecast]
window = 20
epochs = 2
mc_samples = 3
models = ["naive", "linear", "gru16"]
[models.gru16]
builder = "{relative}:small_gru"
''')
    assert main(["run", str(pipeline), "--quick", "--quiet", "--out", str(tmp_path / "file")]) == 0
    # notebook: the function itself
    config = ForecastConfig(window=20, epochs=2, mc_samples=3, models=("naive", "linear"), verbose=0).quick_profile()
    forecast_job(PriceRequest(ticker="^GSPC", offline=True), config, tmp_path / "notebook",
                 models={"gru16": KerasForecaster(user_module().small_gru)}, **QUIET)
    runs = [only_run(tmp_path / door) for door in ("cli", "file", "notebook")]
    cli, file, notebook = (numbers(folder) for folder in runs)
    assert cli == file == notebook  # every figure and every forecast, bit for bit
    assert "gru16" in cli[0]["step_metrics"] and "native" in cli[0]["intervals"]["gru16"]  # MC dropout bands too
    for folder in runs:
        assert (folder / "gru16.keras").is_file()
        model = json.loads((folder / "metrics.json").read_text())["models"]["gru16"]
        assert model["kind"] == "neural" and model["n_params"] > 0
    sources = [json.loads((folder / "metrics.json").read_text())["models"]["gru16"]["source"] for folder in runs]
    assert sources == [f"{USER_FILE}:small_gru", f"{USER_FILE}:small_gru", "given in Python"]
    html = (runs[0] / "report.html").read_text()
    assert "small_gru()" in html and f"{USER_FILE}:small_gru" in html
    check_report(runs[0] / "report.html", ["Models compared", "Honesty panel"], "forecast-user-model")


def test_scikit_learn_ridge_on_the_windows_gives_the_linear_models_forecasts():
    from sklearn.linear_model import Ridge

    config = ForecastConfig(window=20, folds=2, models=("naive", "linear"), verbose=0, horizon=3)
    result = run_forecast(frame_of(random_walk(600, seed=8)), config, {"ridge": SklearnForecaster(Ridge(alpha=0.0))},
                          **QUIET)
    for fold in result.folds:
        np.testing.assert_allclose(fold.predictions["ridge"], fold.predictions["linear"], rtol=1e-9)
    np.testing.assert_allclose(result.next_forecasts["ridge"], result.next_forecasts["linear"], rtol=1e-9)


BAD_SHAPE = """
import keras
def wide(window, n_features, outputs):
    return keras.Sequential([keras.Input((window, n_features)), keras.layers.Flatten(), keras.layers.Dense(3)])
def raising(window, n_features, outputs):
    raise RuntimeError("out of ideas")
class FitOnly:
    def fit(self, x, y):
        return self
"""


@pytest.mark.parametrize("entry, message", [
    ("my model=sklearn.linear_model:Ridge",
     "model name 'my model' must start with a letter and hold only letters, digits, '_' and '-'"),
    ("lstm=sklearn.linear_model:Ridge", "model name 'lstm' is taken by a built-in model; give yours another name"),
    ("Ridge=sklearn.linear_model:Ridge,ridge=sklearn.linear_model:Lasso",
     "model names 'Ridge' and 'ridge' differ only in case or '-'/'_' (they name the same files); rename one"),
    ("r=", "model 'r' is defined with nothing after '='"),
    ("r=sklearn.linear_modl:Ridge", "model 'r': cannot import sklearn.linear_modl (ModuleNotFoundError: No module "
                                    "named 'sklearn.linear_modl'); check the module path or install it"),
    ("r=sklearn.linear_model:Rige", "model 'r': sklearn.linear_model has no attribute 'Rige'; check the name after ':'"),
    ("r=nowhere/absent.py:f", "model 'r': no file "),
    ("r=stacked_gruu", "model 'r': unknown model 'stacked_gruu'; choose one of "),
    ("mine={user}:wide", "model 'mine' outputs shape (None, 3); horizon 1 needs (None, 1)"),
    ("mine={user}:raising", "model 'mine' cannot be built: raising() raised RuntimeError: out of ideas"),
    ("mine={user}:FitOnly", "model 'mine' is the class FitOnly, which has no fit/predict; give a Keras builder"),
    ("mine={user}:missing", "model 'mine': {user} has no attribute 'missing'"),
    ("mine=collections:OrderedDict", "model 'mine' is the class OrderedDict, which has no fit/predict"),
])
def test_bad_models_are_one_line_usage_errors_before_any_data(entry, message, tmp_path, capsys):
    user = tmp_path / "bad_models.py"
    user.write_text(BAD_SHAPE)
    entry, message = entry.replace("{user}", str(user)), message.replace("{user}", str(user))
    # NOSUCHTICKER has no data offline: the model's error comes first, with exit code 2
    assert main(["forecast", "NOSUCHTICKER", *SMALL, "--models", f"naive,{entry}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {message}") and err.count("\n") == 1, err


def test_names_keep_their_case_and_a_statsforecast_model_and_a_forecaster_class_run(tmp_path, capsys):
    models = (f"naive,MyRidge=sklearn.linear_model:Ridge,theta=statsforecast.models:AutoTheta,"
              f"ewma={USER_FILE}:EWMAReturn")
    assert main(["forecast", *SMALL, "--models", models, "--out", str(tmp_path)]) == 0
    document = json.loads((only_run(tmp_path) / "metrics.json").read_text())
    assert sorted(document["ranking"]) == ["MyRidge", "ewma", "naive", "theta"]
    assert document["models"]["MyRidge"]["definition"]["params"]["regressor"] == "Ridge()"
    assert document["models"]["theta"]["interval"] == "model"
    assert document["models"]["ewma"]["title"] == "EWMA return (half-life 20 days)"
    assert (only_run(tmp_path) / "MyRidge.skops").is_file()


def _nan_loss(window, n_features, outputs):
    model = keras.Sequential([keras.Input((window, n_features)), keras.layers.Flatten(), keras.layers.Dense(outputs)])
    model.compile(optimizer="adam", loss=lambda y_true, y_pred: keras.ops.mean(y_pred) * float("nan"))
    return model


class _Negative(SklearnForecaster):
    """A regressor whose price forecasts are negative: a bug the run must catch, not score."""

    def predict(self, data, part):
        return -super().predict(data, part)


def test_a_model_that_diverges_or_forecasts_nonsense_fails_its_own_row_only(tmp_path):
    from sklearn.linear_model import Ridge

    config = ForecastConfig(window=20, folds=2, epochs=2, models=("naive", "drift", "linear"), verbose=0)
    result = run_forecast(frame_of(random_walk(500, seed=9)), config,
                          {"diverges": KerasForecaster(_nan_loss), "negative": _Negative(Ridge())}, **QUIET)
    assert sorted(result.ranking) == ["drift", "linear", "naive"]
    assert result.failures["diverges"].startswith(
        "fold 1: _nan_loss(): training diverged: the loss became nan at epoch 1, batch 1")
    assert result.failures["negative"].startswith("fold 1: forecasting: unexpected ValueError: forecast -")
    assert result.failures["negative"].endswith("is not a positive finite price")
    assert "for the 2 models compared" in result.verdict  # Holm over the models that ran
    html = write_forecast_report(result, tmp_path)
    document = json.loads((html.parent / "metrics.json").read_text())
    assert document["failed_models"] == result.failures
    assert "Left out of the comparison" in html.read_text() and "training diverged" in html.read_text()
    check_report(html, ["Models compared"], "forecast-failed-model")


def test_tuning_without_a_model_to_tune_is_a_usage_error(capsys):
    assert main(["forecast", "--offline", "--models", "naive,linear", "--tune", "5"]) == 2
    assert capsys.readouterr().err == ("toolkit: error: --tune 5: no model of the run to tune (no network, and no model "
                                       "with a declared search space); add one to --models or leave --tune out\n")
