"""The example notebooks run top to bottom with a real Jupyter kernel, on bundled data, from
their own folder, and leave nothing untracked in the checkout."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need the dev extra (nbclient, ipykernel)")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need the dev extra (nbclient, ipykernel)")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _untracked() -> set[str] | None:
    """Untracked, not ignored files of the checkout (None outside a git checkout)."""
    if shutil.which("git") is None:
        return None
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True,
                          text=True)
    if done.returncode != 0:
        return None
    return {line[3:] for line in done.stdout.splitlines() if line.startswith("??")}


def _texts(book) -> str:
    return "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for cell in book.cells for o in cell.get("outputs", []))


@pytest.mark.parametrize("name", ["analyst.ipynb", "science.ipynb"])
def test_notebook_runs_top_to_bottom(name, monkeypatch):
    # run as a user runs it: from examples/, reports going where the notebook says (not $TOOLKIT_REPORTS_DIR)
    monkeypatch.delenv("TOOLKIT_REPORTS_DIR", raising=False)
    before = _untracked()
    book = nbformat.read(EXAMPLES / name, as_version=4)
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    errors = [output for cell in book.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors
    written = [Path(p) for p in re.findall(r"(\S+/report\.html)", _texts(book))]
    try:
        after = _untracked()
        if before is not None:
            assert after == before, f"the notebook left untracked files: {sorted(after - before)}"
        if name == "analyst.ipynb":
            assert len(written) == 2  # the run's report, and the comparison with your model
            for path in written:
                assert (EXAMPLES / path).resolve().parent.parent == ROOT / "reports" and (EXAMPLES / path).is_file()
            html = [o for cell in book.cells for o in cell.get("outputs", [])
                    if "text/html" in o.get("data", {}) and "Forecast of ^GSPC" in o["data"]["text/html"]]
            assert len(html) == 2, "the results' HTML summaries are displayed"
            assert "gru16_tuned" in _texts(book)  # the tuned copy beside the untuned one
    finally:
        for path in written:
            shutil.rmtree((EXAMPLES / path).resolve().parent, ignore_errors=True)
        if written:
            from toolkit.reports.index import update_index

            update_index(ROOT / "reports")  # the runs index lists what is left
