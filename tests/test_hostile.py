"""A hostile user's inputs and a hostile machine's signals: one-line errors, nothing lost.

Processes are killed at controlled points (a writer that has written half a file and
waits), so the tests are deterministic: the old file stays intact, nothing partial is read
back, and what a killed run leaves is cleaned by the next one.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import price_table
from toolkit.atomic import remove_stale
from toolkit.cli import main
from toolkit.data.cache import PriceCache
from toolkit.errors import UsageError
from toolkit.runs.pipeline_file import load_pipeline
from toolkit.runs.registry import PIPELINE_KINDS

ROOT = Path(__file__).resolve().parents[1]
KINDS = {kind: spec.sections for kind, spec in PIPELINE_KINDS.items()}


def start(script: str, *args) -> subprocess.Popen:
    """A Python child that prints 'ready' at its controlled point, then waits to be killed."""
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = child.stdout.readline()
    assert line.strip() == "ready", child.stderr.read()
    return child


CACHE_WRITER = """
    import signal, sys, time
    import pandas as pd
    from toolkit.cli import _terminate
    from toolkit.data.cache import PriceCache
    from tests.conftest import price_table
    signal.signal(signal.SIGTERM, _terminate)
    original = pd.DataFrame.to_parquet
    def half_then_wait(self, path, *args, **kwargs):
        original(self, path, *args, **kwargs)
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])   # half a file on disk
        print("ready", flush=True)
        time.sleep(60)
    pd.DataFrame.to_parquet = half_then_wait
    PriceCache(sys.argv[1]).write("SPY", None, None, price_table(80, seed=1),
                                  fetched_at="2026-11-21T00:00:00+00:00", adjustment="new")
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_cache_write_leaves_the_old_entry_intact(tmp_path, sig):
    cache = PriceCache(tmp_path)
    cache.write("SPY", None, None, price_table(50), fetched_at="2026-11-20T00:00:00+00:00", adjustment="old")
    child = start(CACHE_WRITER, tmp_path)
    child.send_signal(sig)
    child.wait(timeout=30)
    entry = cache.read("SPY", None, None)          # verified by checksum: the old one, whole
    assert entry.adjustment == "old" and len(entry.frame) == 50
    leftovers = list(tmp_path.glob(".tmp-*"))
    if sig == signal.SIGTERM:
        assert leftovers == [] and child.returncode != 0   # cleaned on the way out
    else:
        assert len(leftovers) == 1                        # SIGKILL allows no clean-up...
        assert remove_stale(tmp_path, older_than=0) == [leftovers[0].name]  # ...the next writer does it


REPORT_WRITER = """
    import signal, sys, time
    from pathlib import Path
    from toolkit.cli import _terminate
    from toolkit.reports.writer import run_folder
    signal.signal(signal.SIGTERM, _terminate)
    with run_folder(Path(sys.argv[1]), "forecast-SPY") as (staging, final):
        (staging / "metrics.json").write_text("{}")
        print("ready", flush=True)
        time.sleep(60)
        (staging / "report.html").write_text("<html></html>")
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_report_write_leaves_no_report_and_its_leftovers_are_cleaned(tmp_path, sig):
    (tmp_path / "forecast-OLD").mkdir()
    child = start(REPORT_WRITER, tmp_path)
    child.send_signal(sig)
    child.wait(timeout=30)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in names if not n.startswith(".tmp-")] == ["forecast-OLD"]  # no half report
    if sig == signal.SIGTERM:
        assert names == ["forecast-OLD"]
    else:
        assert any(n.startswith(".tmp-forecast-SPY-") for n in names)
        removed = remove_stale(tmp_path, older_than=0)  # a later run: the owner is dead
        assert removed and sorted(p.name for p in tmp_path.iterdir()) == ["forecast-OLD"]


def test_live_runs_staging_is_never_removed(tmp_path):
    child = start(REPORT_WRITER, tmp_path)
    try:
        assert remove_stale(tmp_path, older_than=0) == []
    finally:
        child.kill()
        child.wait()


CONCURRENT = """
    import sys, time
    from pathlib import Path
    from toolkit.reports.writer import run_folder
    print("ready", flush=True)
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))      # all start the same instant
    with run_folder(Path(sys.argv[1]), "forecast-SPY") as (staging, final):
        (staging / "report.html").write_text(final.name)
        time.sleep(0.3)
"""


def test_concurrent_runs_into_one_folder_all_land(tmp_path):
    at = time.time() + 3
    children = [start(CONCURRENT, tmp_path, at) for _ in range(6)]
    for child in children:
        assert child.wait(timeout=60) == 0, child.stderr.read()
    folders = sorted(p for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert len(folders) == 6 and len({p.name for p in folders}) == 6
    assert all((p / "report.html").read_text() == p.name for p in folders)
    assert not list(tmp_path.glob(".tmp-*"))


@pytest.mark.parametrize(
    "text, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a text file (TOML is UTF-8 text)"),
        (b'kind = "forecast"\n[data]\ncsv = "."\n', "[data] --csv '.' is a folder, not a file"),
        (b'kind = "forecast"\n[forecast]\nmodels = [1, 2]\n', "models must be a list of names. Received: (1, 2)"),
        (b'kind = "forecast"\n[forecast]\ndropout = 1.5\n', "dropout must be a finite number in [0, 1). Received: 1.5"),
        (b'kind = "forecast"\n[forecast]\nlearning_rate = -1\n', "learning_rate must be a finite number in (0, 10]"),
        (b'kind = "forecast"\n[forecast]\nlstm_units = 100000000\n', "lstm_units must be a whole number from 1 to 4,096"),
        (b'kind = "forecast"\n[forecast]\ncost_bps = nan\n', "--cost-bps must be a finite number in [0, 10000]"),
        (b'kind = "forecast"\n[data]\nticker = "SPY"\ncsv = "x.csv"\n', "give ticker or csv in [data], not both"),
        (b'kind = "forecast"\n[models]\nx = 1\n', "[models] holds tables, one per name ([models.NAME])"),
        (b'kind = "forecast"\n[models.mine]\nunits = 3\n', "[models.mine] needs builder = \"...\""),
        (b'kind = "forecast"\n[models.mine]\nbuilder = 3\n', "model 'mine': builder must be text such as"),
        (b'kind = "forecast"\n[models."my model"]\nbuilder = "stacked_gru"\n',
         "model name 'my model' must start with a letter"),
        (b'kind = "forecast"\n[models.mine]\nbuilder = "stacked_gru"\n[models.mine.search]\nunits = 5\n',
         "[models.mine.search]: units: give { low = ..., high = ..., log = true|false }"),
        (b'kind = "forecast"\n[models.mine]\nbuilder = "stacked_gru"\nunitz = 3\n',
         "model 'mine' cannot be built: stacked_gru() raised TypeError: stacked_lstm() got an unexpected keyword "
         "argument 'unitz'"),
        (b'kind = "forecast"\n[tune]\ntrials = -1\n', "--tune ([tune] trials) must be a whole number from 0 to 1,000. Received: -1"),
        (b'kind = "forecast"\n[tune]\nminutes = 0\n', "--tune-minutes ([tune] minutes) must be a finite number in (0, 1440]"),
        (b'kind = "forecast"\n[tune]\nzzz = 1\n', "unknown key 'zzz' in [tune]"),
        (b'kind = "forecast"\n[tune]\ntrials = 2\nmodels = ["ridge"]\n',
         "tune_models names 'ridge', which the run does not compare"),
        (b'kind = "forecast"\n[forecast]\nmodels = ["naive", "mine"]\n', "unknown model 'mine': models are chosen"),
    ],
)
def test_hostile_pipeline_files_are_usage_errors_before_any_work(tmp_path, text, message, capsys):
    path = tmp_path / "bad.toml"
    path.write_bytes(text)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {path}: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_folder_given_as_pipeline_file(tmp_path, capsys):
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    assert main(["run", str(folder)]) == 2
    assert "pipeline file not found" in capsys.readouterr().err


TOML_VALUES = st.recursive(
    st.one_of(st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf")
                                              else repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    return str(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(KINDS) + ["nonsense"]),
       entries=st.lists(st.tuples(st.sampled_from(["window", "horizon", "models", "dropout", "epochs", "seed",
                                                   "learning_rate", "target", "folds", "csv", "ticker", "zzz",
                                                   "levels", "min_train", "mcs_size", "calendar"]),
                                  TOML_VALUES), max_size=4))
def test_fuzzed_pipeline_files_parse_or_give_a_one_line_usage_error(tmp_path, kind, entries):
    from toolkit.runs.common import build_config
    from toolkit.runs.forecast.config import ForecastConfig

    section = "forecast" if kind == "forecast" else kind
    body = "\n".join(f"{key} = {_toml(value)}" for key, value in dict(entries).items())
    path = tmp_path / "fuzz.toml"
    path.write_text(f'kind = "{kind}"\n[{section}]\n{body}\n')
    try:
        pipeline = load_pipeline(path, KINDS)
        if pipeline.kind == "forecast":
            build_config(ForecastConfig, pipeline, "forecast", quick=True, seed=None, verbose=0)
        if pipeline.kind == "risk":
            from toolkit.runs.risk import RiskConfig

            build_config(RiskConfig, pipeline, "risk", quick=True, seed=None, verbose=0)
    except UsageError as err:
        assert "\n" not in str(err) and str(err).startswith(str(path))


def test_a_lambda_layer_is_refused_by_safe_mode(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode"):
        keras.models.load_model(tmp_path / "lambda.keras")


@pytest.mark.parametrize("order", ["import toolkit, keras", "import keras, toolkit"])
def test_saved_toolkit_models_load_with_plain_keras_after_import_toolkit(tmp_path, order):
    from toolkit.builders import gaussian_mlp

    gaussian_mlp(input_dim=3).save(tmp_path / "head.keras")    # a custom GaussianHead layer inside
    done = subprocess.run([sys.executable, "-c", f"{order}; m = keras.models.load_model({str(tmp_path / 'head.keras')!r});"
                           " print(type(m.layers[-1]).__name__)"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "GaussianHead"


def test_keras_is_pinned_past_the_safe_mode_cves():
    from importlib.metadata import version

    major, minor, patch = (int(part) for part in version("keras").split(".")[:3])
    assert (major, minor, patch) >= (3, 11, 3)
    assert "keras>=3.11.3" in (ROOT / "setup.cfg").read_text()


@pytest.mark.parametrize(
    "kind, text, message",
    [
        ("digits", "epochs = 100000000", "epochs must be at most 10,000 on this machine. Received: 100000000"),
        ("burgers", "learning_rate = nan", "learning_rate must be a positive finite number. Received: learning_rate=nan"),
        ("sine", "units = 50000", "units must be at most 4,096 on this machine. Received: 50000"),
        ("generative", "seed = -5", "seed must be a whole number from 0 to 4,294,967,295. Received: -5"),
        ("generative", 'models = ["gan", "diffusion"]', "models must name some of gan, wgan, vae, flow_prior_vae, cvae, "
                                                         "realnvp, ddpm, each once. Received: ['gan', 'diffusion']"),
        ("generative", "diffusion_widths = [32, 64, 128, 256]", "diffusion_widths must be one to three whole numbers"),
        ("generative", "samples = 5", "samples must be a whole number from 10 to 100,000. Received: 5"),
        ("generative", 'source = "bogus"', "source must be one of mnist5k, sklearn, mnist. Received: 'bogus'"),
        ("autoencoder", "noise_stddev = inf", "noise_stddev must be a positive finite number. Received: noise_stddev=inf"),
        ("burgers-discovery", "noise = -0.1", "noise must be a fraction from 0 to 1 of the data's standard deviation"),
        ("burgers-discovery", "bootstrap = 1000000000", "bootstrap must be a whole number from 0 to 100"),
        ("heat-discovery", "data_points = 30000", "data_points must be from 10 to the 20,301 points of the evaluation grid"),
        ("heat-discovery", "kappa = 0.0", "kappa must be from 0.001 to 1 (beyond 1 the solution decays below 1e-4 "
                                           "before t = 1). Received: kappa=0.0"),
        ("burgers-discovery", "nu = 1e300", "nu must be from 0.001 to 1 (the Cole-Hopf quadrature of the exact "
                                            "solution holds there). Received: nu=1e+300"),
        ("burgers-discovery", "residual_weight = 1e308", "residual_weight must be at most 1,000,000"),
        ("lectures", "filters = 5", "[lectures] filters must be a list. Received: 5"),
        ("lectures", "filters = [5]", "filters must name one or more of vertical_edge, horizontal_edge, prewitt_x, "
                                      "prewitt_y, sobel_x, sobel_y, scharr_x, scharr_y, sharpen, edge_detect, "
                                      "strong_edge. Received: [5]"),
        ("lectures", "lstm_window = 5000", "lstm_window must be a whole number from 2 to 1,000. Received: 5000"),
        ("lectures", "width = 100000", "width must be a whole number from 1 to 4,096. Received: 100000"),
        ("lectures", "depth = 2.5", "[lectures] depth must be a whole number. Received: 2.5"),
        ("lectures", "max_images = 50", "max_images must be 0 (all) or at least 200. Received: 50"),
        ("lectures", "min_lr = nan", "min_lr must be a positive finite number. Received: min_lr=nan"),
        ("risk", "mcs_size = nan", "mcs_size must be between 0 and 0.5 (0.10 keeps a 90% set). Received: mcs_size=nan"),
        ("risk", "levels = [0.99, 1e308]", "levels must be VaR confidences between 0.5 and 1, e.g. 0.95,0.99. "
                                            "Received: (0.99, 1e+308)"),
        ("risk", "levels = [0.9999]", "min_train must be at least 100,253 for a 0.9999 VaR"),
        ("risk", "refit_every = 0", "refit_every must be a whole number from 1 to 1,000,000. Received: refit_every=0"),
        ("risk", "max_rows = 1300", "max_rows must leave at least 250 forecast days after min_train=1,260. "
                                    "Received: max_rows=1,300"),
        ("risk", 'proxy = "vix"', "proxy must be one of close_to_close, parkinson, garman_klass, rogers_satchell, "
                                  "yang_zhang. Received: 'vix'"),
        ("risk", "window = 100000", "window must be a whole number from 2 to 1,000. Received: window=100000"),
    ],
)
def test_science_pipeline_values_are_bounded_and_finite(tmp_path, kind, text, message, capsys):
    path = tmp_path / f"{kind}.toml"
    path.write_text(f'kind = "{kind}"\n[{kind}]\n{text}\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {path}: ") and message in err and err.count("\n") == 1


def test_a_quick_run_checks_the_files_own_values(tmp_path, capsys):
    path = tmp_path / "generative.toml"
    path.write_text('kind = "generative"\n[generative]\nsamples = 3\n')
    assert main(["run", str(path), "--quick", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == f"toolkit: error: {path}: samples must be a whole number from 10 to 100,000. Received: 3\n"


def test_reports_and_cache_entries_get_ordinary_permissions(tmp_path):
    from toolkit.reports.writer import atomic_write_text, run_folder

    old = os.umask(0o022)
    try:
        with run_folder(tmp_path, "forecast-X") as (staging, final):
            atomic_write_text(staging / "report.html", "<html></html>")
        PriceCache(tmp_path / "cache").write("SPY", None, None, price_table(20), fetched_at="2026-11-20T00:00:00+00:00",
                                             adjustment="adj")
    finally:
        os.umask(old)
    assert final.stat().st_mode & 0o777 == 0o755
    assert (final / "report.html").stat().st_mode & 0o777 == 0o644
    assert next((tmp_path / "cache").glob("*.parquet")).stat().st_mode & 0o777 == 0o644
