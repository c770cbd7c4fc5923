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
from toolkit.errors import UsageError
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
from toolkit.forecasters import Forecaster
def wide(window, n_features, outputs):
    return keras.Sequential([keras.Input((window, n_features)), keras.layers.Flatten(), keras.layers.Dense(3)])
def raising(window, n_features, outputs):
    raise RuntimeError("out of ideas")
def unshaped(window, n_features, outputs):
    return keras.Sequential([keras.layers.Dense(outputs)])
class FitOnly:
    def fit(self, x, y):
        return self
class NoPredict(Forecaster):
    pass
class Forgetful(Forecaster):
    def __init__(self, halflife=20):
        self.hl = halflife
    def predict(self, data, part):
        return None
"""


@pytest.mark.parametrize("entry, message", [
    ("my model=sklearn.linear_model:Ridge",
     "model name 'my model' must start with a letter and hold only letters, digits, '_' and '-'"),
    ("lstm=sklearn.linear_model:Ridge", "model name 'lstm' is taken by a built-in model; give yours another name"),
    ("Ridge=sklearn.linear_model:Ridge,ridge=sklearn.linear_model:Lasso",
     "model names 'Ridge' and 'ridge' differ only in case or '-'/'_' (they name the same files); rename one"),
    ("r=", "model 'r' is defined with nothing after '='"),
    ("r=sklearn.linear_modl:Ridge", "model 'r': importing sklearn.linear_modl failed (ModuleNotFoundError: No module "
                                    "named 'sklearn.linear_modl'); what it imports must be installed"),
    ("r=nosuchpackage.models:Ridge", "model 'r': cannot import nosuchpackage.models (no module named 'nosuchpackage' "
                                     "installed or in "),
    ("r=sklearn.linear_model:Rige", "model 'r': sklearn.linear_model has no attribute 'Rige'; check the name after ':'"),
    ("r=nowhere/absent.py:f", "model 'r': no file "),
    ("r=stacked_gruu", "model 'r': 'stacked_gruu' is not a toolkit builder that forecasts windows; choose one of "
                       "cnn_lstm, conv1d, gaussian_mlp, mlp_regressor, stacked_gru, stacked_lstm, transformer_forecaster,"),
    ("r=examples/user_models.py", "model 'r': 'examples/user_models.py' names a file but not what in it; add ':'"),
    ("r=sklearn.linear_model:Ridge,r=sklearn.linear_model:Lasso",
     "model 'r' is defined twice (r=sklearn.linear_model:Ridge and r=sklearn.linear_model:Lasso); keep one"),
    ("metrics=sklearn.linear_model:Ridge", "model name 'metrics' is taken by the report folder's own metrics file"),
    ("km=sklearn.cluster:KMeans", "model 'km' is a scikit-learn clusterer (KMeans), not a regressor"),
    ("mine={user}:NoPredict", "model 'mine': NoPredict does not implement predict; a Forecaster forecasts prices"),
    ("mine={user}:Forgetful", "model 'mine': Forgetful cannot be rebuilt from its arguments"),
    ("mine={user}:unshaped", "model 'mine' has no input shape yet: start it with keras.Input(shape="),
    ("mine={exiting}:f", "model 'mine': importing {exiting} exited (SystemExit: 3); a model file runs when imported"),
    ("mine=statsforecast.models:SeasonalNaive", "model 'mine' cannot be created: SeasonalNaive() raised TypeError"),
    ("mine={user}:wide", "model 'mine' outputs shape (None, 3); horizon 1 needs (None, 1)"),
    ("mine={user}:raising", "model 'mine' cannot be built: raising() raised RuntimeError: out of ideas"),
    ("mine={user}:FitOnly", "model 'mine' is the class FitOnly, which has no fit/predict; give a Keras builder"),
    ("mine={user}:missing", "model 'mine': {user} has no attribute 'missing'"),
    ("mine=collections:OrderedDict", "model 'mine' is the class OrderedDict, which has no fit/predict"),
])
def test_bad_models_are_one_line_usage_errors_before_any_data(entry, message, tmp_path, capsys):
    user, exiting = tmp_path / "bad_models.py", tmp_path / "exiting.py"
    user.write_text(BAD_SHAPE)
    exiting.write_text("import sys\nsys.exit(3)\n")  # a script, not a model file
    for key, path in (("{user}", user), ("{exiting}", exiting)):
        entry, message = entry.replace(key, str(path)), message.replace(key, str(path))
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
    assert result.failures["negative"].startswith("fold 1: forecasting: forecast -")
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


HELPERS = {
    "units.py": "UNITS = 3\n",
    "mine.py": "from units import UNITS\nfrom user_models import small_gru\n"
               "def gru(window, n_features, outputs):\n    return small_gru(window, n_features, outputs, units=UNITS)\n",
}


def test_a_model_file_imports_what_lies_beside_it_and_a_module_is_found_from_the_working_folder(tmp_path, monkeypatch,
                                                                                                  capsys):
    folder = tmp_path / "code"
    folder.mkdir()
    for name, text in HELPERS.items():
        (folder / name).write_text(text)
    (folder / "user_models.py").write_text(USER_FILE.read_text())
    assert main(["forecast", *SMALL, "--models", f"naive,mine={folder / 'mine.py'}:gru", "--out",
                 str(tmp_path / "a")]) == 0
    monkeypatch.chdir(folder)
    assert main(["forecast", *SMALL, "--models", "naive,mod=mine:gru", "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "[models] mod: gru from the module mine (imported; its code runs)" in out
    runs = [numbers(only_run(tmp_path / door)) for door in ("a", "b")]
    assert runs[0][0]["step_metrics"]["mine"] == runs[1][0]["step_metrics"]["mod"]


def test_a_model_that_cannot_be_saved_costs_its_file_not_the_report(tmp_path):
    from sklearn.linear_model import Ridge

    class Unsaveable(SklearnForecaster):
        def save(self, folder, name):
            (folder / f"{name}.partial").write_text("half")
            raise OSError("disk says no")

    config = ForecastConfig(window=20, models=("naive", "linear"), verbose=0)
    result = run_forecast(frame_of(random_walk(400, seed=3)), config, {"stuck": Unsaveable(Ridge())}, **QUIET)
    html = write_forecast_report(result, tmp_path)
    assert sorted(p.name for p in html.parent.glob("stuck*")) == []  # no half file left behind
    document = json.loads((html.parent / "metrics.json").read_text())
    assert document["models"]["stuck"]["files"] == "not saved: unexpected OSError: disk says no"
    assert document["models"]["linear"]["files"] == ["linear.skops"]
    assert "not saved: unexpected OSError: disk says no" in html.read_text()


def test_search_spaces_for_a_statsforecast_model_and_a_class_of_yours_from_a_pipeline_file(tmp_path):
    pipeline = tmp_path / "spaces.toml"
    pipeline.write_text(f'''kind = "forecast"
[data]
ticker = "^GSPC"
offline = true
[forecast]
window = 20
models = ["naive"]
[tune]
trials = 2
parallel = 2
splits = 1
[models.ets2]
builder = "statsforecast.models:AutoETS"
[models.ets2.search]
model = ["ANN", "AAN"]
[models.ewma]
builder = "{USER_FILE}:EWMAReturn"
[models.ewma.search]
halflife = {{ low = 5, high = 60 }}
''')
    assert main(["run", str(pipeline), "--quick", "--quiet", "--out", str(tmp_path / "out")]) == 0
    document = json.loads((only_run(tmp_path / "out") / "metrics.json").read_text())
    assert {"ets2_tuned", "ewma_tuned"} <= set(document["ranking"])
    assert document["tuning"]["ets2_tuned"]["chosen"]["model"] in ("ANN", "AAN")
    assert 5 <= document["tuning"]["ewma_tuned"]["chosen"]["halflife"] <= 60
    assert document["models"]["ewma_tuned"]["title"].startswith("EWMA return (half-life ")
    assert document["models"]["ewma_tuned"]["title"].endswith("days), tuned")


def test_compare_marks_a_name_that_is_another_model_in_another_run(tmp_path):
    from toolkit.runs.compare import compare_job

    for door, builder in (("a", "cnn_lstm"), ("b", "conv1d")):
        assert main(["forecast", *SMALL, "--models", f"naive,x={builder}", "--out", str(tmp_path / door)]) == 0
    page = compare_job([only_run(tmp_path / "a"), only_run(tmp_path / "b")], tmp_path / "cmp", log=lambda line: None)
    document = json.loads((page.parent / "metrics.json").read_text())
    assert "redefined models" in document["differing"]
    assert "(another model in another run)" in page.read_text()


@pytest.mark.parametrize("args, message", [
    (["--models", "naive,g=stacked_gru,G_tuned=sklearn.linear_model:Ridge", "--tune", "1"],
     "model names 'g_tuned' and 'G_tuned' differ only in case"),
    (["--models", "naive,linear", "--tune-minutes", "5"], "--tune-minutes 5 limits a search, and none is on"),
])
def test_more_names_and_settings_refused_before_any_data_or_output_folder(args, message, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["forecast", "NOSUCHTICKER", "--offline", "--quick", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()  # a usage error leaves no empty output folder


def test_naive_alone_says_there_was_nothing_to_compare_and_models_must_be_a_mapping():
    config = ForecastConfig(window=20, models=("naive",), verbose=0)
    run = run_forecast(frame_of(random_walk(300, seed=2)), config, **QUIET)
    assert run.verdict == ("Nothing was compared with naive persistence: it is the only model in the run, so there is "
                           "no verdict to give.")
    with pytest.raises(UsageError, match="models must map names to models, e.g."):
        run_forecast(frame_of(random_walk(300, seed=2)), config, ["linear"], **QUIET)
