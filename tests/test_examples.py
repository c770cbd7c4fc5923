"""The example notebooks run top to bottom with a real Jupyter kernel, on bundled data."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need the dev extra (nbclient, ipykernel)")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need the dev extra (nbclient, ipykernel)")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("name", ["analyst.ipynb", "science.ipynb"])
def test_notebook_runs_top_to_bottom(name, tmp_path):
    book = nbformat.read(EXAMPLES / name, as_version=4)
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [output for cell in book.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors
    if name == "analyst.ipynb":
        assert list((tmp_path / "reports").glob("forecast-GSPC-*/report.html"))   # saved by the notebook
        html = [o for cell in book.cells for o in cell.get("outputs", [])
                if "text/html" in o.get("data", {}) and "Forecast of ^GSPC" in o["data"]["text/html"]]
        assert html, "the result's HTML summary is displayed"
