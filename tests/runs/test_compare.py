"""toolkit compare: the same models side by side across runs, differences marked."""

import json
import shutil
from dataclasses import replace

import keras
import pytest

from tests.browser import check_report
from tests.conftest import price_table
from tests.runs.test_forecast import QUIET, TINY, frame_of
from toolkit.cli import main
from toolkit.errors import UsageError
from toolkit.runs.compare import compare_job
from toolkit.runs.forecast import run_forecast, write_forecast_report


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    prices = frame_of(price_table(400)["Close"].to_numpy())
    config = replace(TINY, models=("naive", "drift", "linear", "ets"))
    first = write_forecast_report(run_forecast(prices, config, **QUIET), out)
    second = write_forecast_report(run_forecast(prices, replace(config, seed=7, window=30), **QUIET), out)
    return out, first.parent, second.parent


def test_comparison_sets_models_side_by_side_and_marks_differences(two_runs, tmp_path):
    out, first, second = two_runs
    report = compare_job([str(first), str(second / "report.html")], out, log=lambda line: None)
    html = report.read_text()
    assert first.name in html and second.name in html
    assert "seed (differs)" in html and "window (differs)" in html and "target (differs)" not in html
    assert html.count('class="best"') >= 1
    document = json.loads((report.parent / "metrics.json").read_text())
    assert document["kind"] == "compare" and set(document["differing"]) == {"seed", "window"}
    assert [row["model"] for row in document["rows"]] == json.loads((first / "metrics.json").read_text())["ranking"]
    assert f'href="{report.parent.name}/report.html"' in (out / "index.html").read_text()
    check_report(report, ["Models side by side", "Settings", "Verdicts"], "compare")


def test_a_quick_run_beside_a_full_one_shows_the_profile_as_a_difference(two_runs, tmp_path):
    out, first, _ = two_runs
    prices = frame_of(price_table(400)["Close"].to_numpy())
    config = replace(TINY, models=("naive", "drift", "linear", "ets"))
    quick = write_forecast_report(run_forecast(prices, replace(config.quick_profile(), epochs=TINY.epochs), **QUIET),
                                  tmp_path).parent
    report = compare_job([str(first), str(quick)], tmp_path / "out", log=lambda line: None)
    document = json.loads((report.parent / "metrics.json").read_text())
    assert {"profile", "quick"} <= set(document["differing"])
    html = report.read_text()
    assert "profile (differs)" in html and "quick profile (--quick: newest" in html
    assert json.loads((first / "metrics.json").read_text())["profile"].startswith("custom: ")


def test_runs_on_other_backends_are_marked(two_runs, tmp_path):
    out, first, _ = two_runs
    other = tmp_path / "forecast-on-torch"
    shutil.copytree(first, other)
    metrics = json.loads((other / "metrics.json").read_text())
    assert metrics["backend"].startswith(f"{keras.backend.backend()} ")
    metrics["backend"] = "torch 2.13.0 (Keras 3.15.1)"  # as a run with --backend torch records it
    (other / "metrics.json").write_text(json.dumps(metrics))
    report = compare_job([str(first), str(other)], tmp_path / "out", log=lambda line: None)
    document = json.loads((report.parent / "metrics.json").read_text())
    assert "backend" in document["differing"]
    assert "backend (differs)" in report.read_text()


def test_compare_refuses_what_is_not_two_forecast_runs(two_runs, tmp_path, capsys):
    _, first, _ = two_runs
    with pytest.raises(UsageError, match="compare needs at least two forecast runs. Received: 1"):
        compare_job([str(first)], tmp_path)
    assert main(["compare", str(first), str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: '{tmp_path}' is not a forecast report folder") and err.count("\n") == 1
    science = tmp_path / "digits-1"
    science.mkdir()
    (science / "metrics.json").write_text(json.dumps({"kind": "digits"}))
    with pytest.raises(UsageError, match="not a forecast run"):
        compare_job([str(first), str(science)], tmp_path)


def test_the_same_run_twice_is_refused(two_runs, tmp_path):
    _, first, _ = two_runs
    with pytest.raises(UsageError, match=r"compare got the same run more than once \(.*\); give each run once"):
        compare_job([str(first), str(first / "report.html")], tmp_path)
