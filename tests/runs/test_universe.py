"""Many tickers: the local and Ray executors, the leaderboard, failures that stay local."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.browser import browser, check_report
from tests.conftest import isolate_dirs, random_walk
from toolkit.cli import main
from toolkit.data.load import PriceRequest
from toolkit.data.universe import build_universe
from toolkit.reports.leaderboard import leaderboard_frame
from toolkit.runs.executors import LocalExecutor, RayExecutor, TickerJob, make_executor
from toolkit.runs.forecast import ForecastConfig
from toolkit.forecasters import MovingAverage
from toolkit.runs.forecast.backtest import plan_forecast
from toolkit.runs.forecast.models import Lineup, LineupEntry
from toolkit.runs.universe import universe_job

ray = pytest.importorskip("ray")

# With the tests spread over processes (pytest -n), every test that starts Ray runs in one of
# them, one after another (the Ctrl-C test counts the machine's Ray instances), beside the
# local run that the Ray run is compared with; the other local-executor tests spread over the
# workers like any others.
ON_RAY = pytest.mark.xdist_group("ray")

TINY = ForecastConfig(window=20, epochs=2, batch_size=64, lstm_units=8, dense_units=4, mc_samples=3, verbose=0,
                      models=("naive", "drift", "linear", "mlp", "lstm"), folds=2, max_rows=400)
QUIET = {"log": lambda line: None}
ROOT = Path(__file__).resolve().parents[2]


def write_csv(path: Path, prices) -> str:
    dates = pd.bdate_range("2012-01-02", periods=len(prices))
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": prices}).to_csv(path, index=False)
    return str(path)


def three_tickers(folder: Path) -> list[str]:
    """Three small tickers: the bundled ^GSPC, a generated random walk, and one too short to run."""
    return ["^GSPC", write_csv(folder / "walk.csv", random_walk(400, seed=3)),
            write_csv(folder / "short.csv", random_walk(30, seed=4))]


@pytest.fixture
def tickers(tmp_path):
    return three_tickers(tmp_path)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The local executor's run of the three tickers and one unknown to every source, made once
    for the module: one test checks what it wrote, another compares Ray's run with it."""
    folder = tmp_path_factory.mktemp("local-universe")
    lines = []
    with pytest.MonkeyPatch.context() as patch:  # as _isolated_dirs does for a single test
        isolate_dirs(patch, folder)
        entries = universe(three_tickers(folder) + ["NOPE"])
        outcome = universe_job(entries, TINY, folder / "out", LocalExecutor(), keep_results=True, log=lines.append)
    return entries, outcome, lines, folder


@pytest.fixture(scope="module")
def local_ray():
    """A real local Ray instance with two CPUs, started here and shut down after."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def universe(entries):
    return build_universe(entries, PriceRequest(offline=True))


@ON_RAY
def test_the_ray_tests_share_one_worker(request):
    # pytest-xdist's loadgroup marks a grouped test's id; where it cannot (pytest 9.2 with
    # xdist 3.8, pytest-xdist#1386) nothing fails but the Ray tests spread over the workers
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@ray"), request.node.nodeid


@ON_RAY  # in the Ray tests' worker, which shares this local run
def test_local_universe_writes_reports_and_a_leaderboard_and_keeps_failures_local(local_run):
    _, outcome, lines, folder = local_run
    out = folder / "out"
    assert sorted(outcome.reports) == ["^GSPC", "walk.csv"]
    assert set(outcome.failures) == {"short.csv", "NOPE"}
    assert outcome.failures["short.csv"].startswith("too many folds: 2 folds of")
    assert outcome.failures["NOPE"].startswith("no prices for NOPE: network not tried (--offline)")
    assert "[progress] 2 done, 2 failed, 0 left" in lines
    folder = outcome.leaderboard.parent
    assert sorted(p.name for p in folder.iterdir()) == ["leaderboard.csv", "leaderboard.html", "metrics.json"]
    with open(folder / "leaderboard.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * len(TINY.models) + 2  # every model of the two good tickers, one row per failure
    failed = {r["ticker"]: r for r in rows if r["status"] == "failed"}
    assert failed["short.csv"]["reason"] == outcome.failures["short.csv"] and failed["NOPE"]["MASE"] == ""
    good = [r for r in rows if r["status"] == "ok"]
    assert {r["model"] for r in good} == set(TINY.models)
    for row in good:  # each ticker links to its own full report, which exists
        assert (folder / row["report"]).resolve().is_file()
        assert 0 <= float(row["coverage_80"]) <= 1 and float(row["MASE"]) > 0
        assert (row["device"].startswith("CPU") if row["model"] in ("mlp", "lstm") else row["device"] == "")
    html = outcome.leaderboard.read_text()
    assert 'table class="sortable" id="leaderboard"' in html and "Failed tickers" in html
    assert "too many folds" in html and "leaderboard.csv" in html
    index = (out / "index.html").read_text()
    assert f"{folder.name}/leaderboard.html" in index  # the reports index lists the leaderboard
    document = json.loads((folder / "metrics.json").read_text())
    assert document["kind"] == "leaderboard" and document["summary"].endswith("failed: short.csv, NOPE")
    # in a real browser, offline: no console errors, every section, sorting by MASE works
    check_report(outcome.leaderboard, ["Every ticker and model", "Tickers", "Failed tickers", "Settings"],
                 "leaderboard")
    assert sorted_column(outcome.leaderboard, header=3) == sorted(float(f"{float(r['MASE']):.4g}") for r in good)


def sorted_column(page: Path, header: int) -> list[float]:
    """Click the leaderboard's header ``header`` and read that column back as numbers."""
    from selenium.webdriver.common.by import By

    driver = browser()
    driver.get(page.resolve().as_uri())
    table = driver.find_element(By.ID, "leaderboard")
    table.find_elements(By.TAG_NAME, "th")[header].click()
    return [float(row.find_elements(By.TAG_NAME, "td")[header].text.replace(",", ""))
            for row in table.find_elements(By.TAG_NAME, "tr")[1:]]


def test_cli_many_tickers_exits_1_when_one_fails_with_one_line(tickers, tmp_path, capsys):
    listing = tmp_path / "universe.txt"
    listing.write_text(f"# two tickers\n{tickers[1]}\n{tickers[2]}  # too short\n")
    code = main(["forecast", "^GSPC", "--tickers-file", str(listing), "--offline", "--quick", "--quiet",
                 "--models", "naive,linear", "--window", "20", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("toolkit: error: 1 of 3 ticker(s) failed (short.csv); their reasons are in ")
    assert captured.err.count("\n") == 1
    assert "[progress] 2 done, 1 failed, 0 left" in captured.out


def test_pipeline_file_with_tickers_runs_a_universe(tickers, tmp_path, capsys):
    pipeline = tmp_path / "universe.toml"
    pipeline.write_text(f"""kind = "forecast"
[data]
tickers = ["{tickers[1]}", "{tickers[2]}"]
offline = true
[forecast]
models = ["naive", "linear"]
window = 20
[executor]
name = "local"
""")
    code = main(["run", str(pipeline), "--quick", "--quiet", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1 and captured.err.startswith("toolkit: error: 1 of 2 ticker(s) failed (short.csv)")
    assert len(list((tmp_path / "out").glob("leaderboard-2-*/leaderboard.csv"))) == 1
    pipeline.write_text(pipeline.read_text().replace('name = "local"', 'name = "dask"'))
    assert main(["run", str(pipeline), "--quick"]) == 2
    assert capsys.readouterr().err.startswith(
        f"toolkit: error: {pipeline}: --executor must be one of local, ray. Received: 'dask'")


@pytest.mark.parametrize("args, message", [
    (["SPY", "QQQ", "--ray-address", "auto"], "--ray-address, --cpus-per-task and --gpus-per-task need --executor ray"),
    (["SPY", "--cpus-per-task", "2"], "--ray-address, --cpus-per-task and --gpus-per-task need --executor ray"),
    (["SPY", "QQQ", "--csv", "x.csv"], "--csv names one file; to forecast several, list the CSV paths as tickers"),
    (["SPY", "bad ticker"], "ticker 'bad ticker' is not a Yahoo Finance symbol"),
    (["--tickers-file", "absent.txt"], "--tickers-file 'absent.txt': no such file; check the path"),
    (["SPY", "--executor", "ray", "--cpus-per-task", "0"], "--cpus-per-task must be a whole number from 1 to 1,024"),
])
def test_universe_usage_errors_come_before_any_data(args, message, capsys):
    assert main(["forecast", "--offline", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {message}") and err.count("\n") == 1


def test_ray_missing_is_a_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(Exception, match=r"--executor ray needs Ray; install it with pip install -e '\.\[ray\]'"):
        make_executor("ray")


@ON_RAY
def test_ray_metrics_equal_local_metrics_for_the_same_seed(local_ray, local_run, tmp_path, monkeypatch):
    entries, local, _, folder = local_run
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(folder / "cache"))  # NOPE's failure names the cache
    lines = []
    executor = RayExecutor()
    remote = universe_job(entries, TINY, tmp_path / "ray", executor, keep_results=True, log=lines.append)
    # one task per (ticker, fold) and one final refit per ticker; short.csv and NOPE failed before any task
    assert "[ray] 6 tasks submitted for 2 ticker(s)" in lines
    assert ray.is_initialized()  # a Ray session it did not start is left running
    assert remote.failures == local.failures and set(remote.reports) == {"^GSPC", "walk.csv"}
    figures = lambda rows: leaderboard_frame(rows).drop(columns=["report", "device"])
    pd.testing.assert_frame_equal(figures(remote.rows), figures(local.rows), check_exact=True)  # every figure
    for label, result in local.results.items():
        other = remote.results[label]
        for name in TINY.models:
            for mine, theirs in zip(result.folds, other.folds):
                np.testing.assert_array_equal(mine.predictions[name], theirs.predictions[name])
            np.testing.assert_array_equal(result.next_forecasts[name], other.next_forecasts[name])
        assert other.folds[0].training["lstm"].device.startswith("CPU, 1 thread,")  # one thread per 1-CPU task


@ON_RAY
def test_a_user_model_and_its_search_on_ray_give_the_local_numbers(local_ray, tickers, tmp_path):
    # the model's file travels to the workers by value (they import nothing of it); the search's
    # rounds of trials run as tasks from inside each fold's task
    user = f"gru16={ROOT / 'examples' / 'user_models.py'}:small_gru"
    config = replace(TINY, models=("naive", user), tune_trials=2, tune_parallel=2, tune_splits=1)
    entries = universe(tickers[1:2])
    local = universe_job(entries, config, tmp_path / "local", LocalExecutor(), keep_results=True, **QUIET)
    remote = universe_job(entries, config, tmp_path / "ray", RayExecutor(), keep_results=True, **QUIET)
    mine, theirs = local.results["walk.csv"], remote.results["walk.csv"]
    assert set(mine.models) == set(theirs.models) == {"naive", "gru16", "gru16_tuned"}
    for a, b in zip(mine.folds, theirs.folds):
        for name in ("gru16", "gru16_tuned"):
            np.testing.assert_array_equal(a.predictions[name], b.predictions[name])
        assert ([(t.params, t.value, t.state) for t in a.tuning["gru16_tuned"].trials]
                == [(t.params, t.value, t.state) for t in b.tuning["gru16_tuned"].trials])
    for name in ("gru16", "gru16_tuned"):
        np.testing.assert_array_equal(mine.next_forecasts[name], theirs.next_forecasts[name])
    rows = [r for r in remote.rows if r["model"] == "gru16_tuned"]
    assert len(rows) == 1 and rows[0]["device"].startswith("CPU, 1 thread,")


@ON_RAY
def test_a_failing_ray_task_fails_its_ticker_only(local_ray, tmp_path):
    from toolkit.data.frame import Provenance, validate_prices

    dates = pd.bdate_range("2012-01-02", periods=300)
    prices = validate_prices(pd.DataFrame({"Close": random_walk(300, seed=5)}, index=dates), "Close",
                             Provenance("csv", "walk", "test"))
    config = replace(TINY, models=("naive", "linear"), folds=3).validate()
    good = plan_forecast(prices, config, **QUIET)
    # naive, the yardstick, cannot fail its own row alone: a broken one fails the ticker, inside the worker
    yardstick = LineupEntry("naive", MovingAverage(days=0), "test")
    broken = replace(good, lineup=Lineup((yardstick, *good.lineup.entries[1:])))
    done = {d.job.label: d for d in RayExecutor().run([TickerJob("good", good), TickerJob("bad", broken)],
                                                      lambda line: None)}
    assert done["bad"].error.startswith("forecast nan (the test part, row 1, step 1) is not "
                                        "a positive finite price") and done["bad"].folds is None
    assert done["good"].error is None and len(done["good"].folds) == 3 and set(done["good"].final.models) == {
        "naive", "linear"}


def _raylets() -> int:
    """Running Ray node managers (one per Ray instance on this machine), read from /proc."""
    count = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            count += b"raylet" in cmdline.read_bytes().split(b"\0")[0]
        except OSError:
            continue  # the process ended while we looked
    return count


@pytest.mark.skipif(sys.platform != "linux", reason="counts Ray processes in /proc")
@ON_RAY
def test_ctrl_c_stops_the_ray_workers_and_leaves_no_leaderboard(tmp_path):
    before = _raylets()
    walk = write_csv(tmp_path / "walk.csv", random_walk(3000, seed=6))
    out = tmp_path / "out"
    env = {**os.environ, "TOOLKIT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "forecast", "^GSPC", walk, "--offline",
                              "--executor", "ray", "--folds", "3", "--epochs", "50", "--patience", "50",
                              "--models", "naive,lstm", "--quiet", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                             # as from a terminal: a shell without job control (CI started with `&`)
                             # hands its background commands SIGINT ignored, and the child would inherit that
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    for line in child.stdout:
        if line.startswith("[ray]") or time.monotonic() > deadline:
            break
    time.sleep(3)  # the tasks are training
    ignored = [line for line in Path(f"/proc/{child.pid}/status").read_text().splitlines() if line.startswith("SigIgn")]
    child.send_signal(signal.SIGINT)
    try:
        _, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        _, err = child.communicate()
        pytest.fail(f"still running 60 s after Ctrl-C (SIGINT here: {signal.getsignal(signal.SIGINT)}, "
                    f"ignored there: {ignored}); its stderr ends: {err[-1500:]}")
    assert child.returncode == 130, err
    assert err.strip().splitlines()[-1] == "toolkit: interrupted"
    assert not list(out.glob("leaderboard-*")) and not list(out.glob("forecast-*"))
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
    for _ in range(30):  # the Ray instance started for the run is gone with its workers
        if _raylets() <= before:
            break
        time.sleep(1)
    assert _raylets() <= before
