"""The Keras backend: chosen before Keras starts, refused clearly, recorded in every report.

Runs in every backend pass of ``make test`` (TensorFlow, JAX, PyTorch when installed): the
forecast run below trains its networks, MC dropout included, on the backend of the pass.
"""

import json
import os
import subprocess
import sys
from dataclasses import replace
from importlib.util import find_spec

import keras
import numpy as np
import pytest

from tests.conftest import price_table
from tests.runs.test_forecast import QUIET, TINY, frame_of
from toolkit.backend import BACKENDS, check_backend, require_backend, select_backend
from toolkit.cli import main
from toolkit.errors import UsageError
from toolkit.runs.forecast import run_forecast, write_forecast_report
from toolkit.runs.pipeline_file import load_pipeline

ACTIVE = keras.backend.backend()
OTHER_INSTALLED = [name for name in BACKENDS if name != ACTIVE and find_spec(name)]


def test_forecast_trains_on_this_backend_and_records_it(tmp_path):
    config = replace(TINY, models=("naive", "mlp", "lstm"), folds=1, mc_samples=4)
    result = run_forecast(frame_of(price_table(300)["Close"].to_numpy()), config, **QUIET)
    lower, upper = result.folds[0].intervals["lstm"][0.8]
    assert np.isfinite(lower).all() and (lower < upper).all()  # MC dropout draws differ
    folder = write_forecast_report(result, tmp_path).parent
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["backend"].startswith(f"{ACTIVE} ") and metrics["versions"]["keras backend"] == metrics["backend"]
    assert f"<td class=\"l\">{metrics['backend']}</td>" in (folder / "report.html").read_text()
    loaded = keras.models.load_model(folder / "lstm.keras", safe_mode=True)
    x = np.random.default_rng(0).normal(size=(4, 20, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), result.models["lstm"].model_.predict(x, verbose=0),
                               rtol=1e-6)


def test_unknown_and_missing_backends_are_usage_errors():
    with pytest.raises(UsageError, match=r"^--backend must be one of tensorflow, jax, torch. Received: 'mxnet'$"):
        check_backend("mxnet")
    for name in BACKENDS:
        if not find_spec(name):
            with pytest.raises(UsageError, match=f"{name} is not installed; install it with pip install"):
                check_backend(name)


@pytest.mark.skipif(not OTHER_INSTALLED, reason="needs a second installed backend")
def test_switching_backend_inside_a_process_is_refused():
    other = OTHER_INSTALLED[0]
    with pytest.raises(UsageError, match=f"Keras already runs on {ACTIVE} in this process and cannot switch; "
                                         f"start a new process with KERAS_BACKEND={other}"):
        select_backend(other)
    assert select_backend(ACTIVE) == ACTIVE


def test_pde_pipelines_name_the_backend_they_need(monkeypatch, capsys, tmp_path):
    if ACTIVE != "torch":
        # TensorFlow and JAX run them (tests/runs/test_discovery.py runs them on JAX in float64)
        require_backend("anything", ("tensorflow", "jax"))
        with pytest.raises(UsageError, match=f"runs on torch only; this process runs Keras on {ACTIVE}"):
            require_backend("anything", ("torch",))
        return
    for kind in ("heat", "burgers-discovery"):
        assert main(["run", kind, "--quick", "--out", str(tmp_path)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"toolkit: error: the {kind} pipeline (its quasi-Newton optimisers are XLA-compiled, on TensorFlow or "
            "JAX; Keras on PyTorch computes float64 matrix products in float32) runs on tensorflow or jax only; this "
            "process runs Keras on torch. Rerun with --backend tensorflow (or KERAS_BACKEND=tensorflow)")
    assert not list(tmp_path.iterdir())


def test_pipeline_file_backend_key_is_checked(tmp_path):
    kinds = {"forecast": {"forecast": {"window": 60}}}
    path = tmp_path / "p.toml"
    path.write_text('kind = "forecast"\nbackend = "jax"\n')
    if find_spec("jax"):
        assert load_pipeline(path, kinds).backend == "jax"
    path.write_text('kind = "forecast"\nbackend = "theano"\n')
    with pytest.raises(UsageError, match=f"^{path}: backend must be one of tensorflow, jax, torch. Received: 'theano'$"):
        load_pipeline(path, kinds)
    path.write_text('kind = "forecast"\nbackend = 3\n')
    with pytest.raises(UsageError, match="Received: 3$"):
        load_pipeline(path, kinds)


@pytest.mark.skipif(ACTIVE != "tensorflow" or not OTHER_INSTALLED, reason="once, from the default backend's pass")
@pytest.mark.parametrize("backend", OTHER_INSTALLED)
def test_cli_backend_flag_beats_the_environment_in_a_fresh_process(backend):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run([sys.executable, "-m", "toolkit.cli", "models", "--backend", backend],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(f"Keras backend: {backend} ")
    assert "806,017" in done.stdout


def test_cli_bad_backend_is_one_line_before_any_work(capsys):
    assert main(["forecast", "--backend", "nope", "--offline"]) == 2
    assert capsys.readouterr().err == "toolkit: error: --backend must be one of tensorflow, jax, torch. Received: 'nope'\n"


@pytest.mark.skipif(ACTIVE != "tensorflow" or not find_spec("jax"), reason="needs Keras on tensorflow, jax installed")
def test_run_takes_the_file_backend_and_the_flag_over_it(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text('kind = "sine"\nbackend = "jax"\n')
    assert main(["run", str(path), "--quick", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"toolkit: error: {path}: backend jax: Keras already runs on tensorflow in this process and cannot switch; "
        "start a new process with KERAS_BACKEND=jax")
    path.write_text('kind = "sine"\nbackend = "tensorflow"\n')
    assert main(["run", str(path), "--quick", "--backend", "jax", "--out", str(tmp_path / "out")]) == 2
    assert "error: --backend jax: Keras already runs on tensorflow" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
