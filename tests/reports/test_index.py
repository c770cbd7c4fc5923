"""reports/index.html lists every run, and two runs finishing at once both end up in it."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from toolkit.reports.index import index_rows, update_index

ROOT = Path(__file__).resolve().parents[2]


def fake_run(folder: Path, name: str, document: dict) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "metrics.json").write_text(json.dumps(document))
    (folder / name / "report.html").write_text("<html></html>")


def forecast_document(winner: bool, quick: bool = False) -> dict:
    return {"ticker": "SPY", "ranking": ["lstm", "naive"], "finished_at": "2026-11-20T10:00:00+00:00",
            "verdict": "Beating naive persistence ..." if winner else "No model beats naive persistence ...",
            "honesty": {"lstm": {"dm_beats": winner}, "naive": {"dm_beats": False}},
            "step_metrics": {"lstm": [{"MAE": 1.5, "MASE": 0.9}], "naive": [{"MAE": 1.6, "MASE": 0.96}]},
            "profile": "quick profile (--quick: newest 1,000 rows, 3 epochs, 32-unit LSTM; ...)" if quick
            else "default profile",
            "models": {"naive": {"n_params": None}, "lstm": {"n_params": 52801}},
            "config": {"target": "log-return", "window": 60, "horizon": 1, "folds": 1, "seed": 42, "quick": quick}}


def test_index_lists_forecast_and_science_runs_newest_first(tmp_path):
    fake_run(tmp_path, "forecast-SPY-1", forecast_document(winner=True))
    fake_run(tmp_path, "digits-1", {"kind": "digits", "title": "Digits", "summary": "CNN 97.6%",
                                    "finished_at": "2026-11-21T10:00:00+00:00", "config": {"quick": True}})
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metrics.json").write_text("{not json")
    page = update_index(tmp_path).read_text()
    rows = index_rows(tmp_path)
    assert [r["folder"] for r in rows] == ["digits-1", "forecast-SPY-1"]
    assert rows[1]["best"] == "lstm" and rows[1]["figure"] == "lstm: MAE 1.500, MASE 0.900"
    assert rows[1]["settings"].startswith("default profile; models: naive, lstm (52,801 parameters); target log-return, "
                                       "features close, window 60, horizon 1 (direct), 1 fold, seed 42")
    assert rows[0]["quick"] and "digits (quick)" in page
    assert 'href="forecast-SPY-1/report.html"' in page and 'href="digits-1/report.html"' in page
    assert "Beating naive" in page and "CNN 97.6%" in page and 'class="sortable"' in page


def test_index_names_no_best_model_when_nothing_beat_naive(tmp_path):
    # The lowest MAE is not "best" when the verdict says no model beats naive persistence.
    fake_run(tmp_path, "forecast-SPY-1", forecast_document(winner=False, quick=True))
    row = index_rows(tmp_path)[0]
    assert row["best"] == "none beat naive" and row["figure"] == "naive: MAE 1.600, MASE 0.960"
    assert row["quick"] and row["settings"].startswith("quick profile (--quick: newest 1,000 rows, 3 epochs")
    assert ">none beat naive<" in update_index(tmp_path).read_text()


WRITER = """
    import json, sys, time
    from pathlib import Path
    from toolkit.reports.index import update_index
    from toolkit.reports.writer import run_folder
    print("ready", flush=True)
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
    with run_folder(Path(sys.argv[1]), "digits") as (staging, final):
        (staging / "metrics.json").write_text(json.dumps({"kind": "digits", "title": "t", "summary": final.name,
                                                          "finished_at": "2026-11-24T00:00:00+00:00"}))
        (staging / "report.html").write_text("<html></html>")
    update_index(final.parent)
"""


def test_runs_finishing_together_all_reach_the_index(tmp_path):
    at = time.time() + 3
    children = []
    for _ in range(5):
        child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(tmp_path), str(at)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert child.stdout.readline().strip() == "ready"
        children.append(child)
    for child in children:
        assert child.wait(timeout=60) == 0, child.stderr.read()
    page = (tmp_path / "index.html").read_text()
    folders = [p.name for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(folders) == 5 and all(f'href="{name}/report.html"' in page for name in folders)


def test_a_run_of_naive_alone_names_no_best_and_no_loser(tmp_path):
    document = forecast_document(winner=False)
    document.update(ranking=["naive"], honesty={"naive": {"dm_beats": False}})
    fake_run(tmp_path, "forecast-SPY-1", document)
    assert index_rows(tmp_path)[0]["best"] == ""   # nothing was compared with naive
