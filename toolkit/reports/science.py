"""Reports of the science pipelines: sections of tables and figures in one HTML page."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from toolkit.backend import VERSIONS_KEY
from toolkit.reports.html import figure_to_data_uri, render


@dataclass
class Table:
    header: list[str]
    rows: list[list]
    caption: str = ""

    def decimals(self) -> list[int]:
        """Per column, the decimals its floats are written with (one format per column)."""
        from toolkit.reports.html import column_decimals

        return [column_decimals([row[i] for row in self.rows if i < len(row) and isinstance(row[i], float)])
                for i in range(len(self.header))]


@dataclass
class Section:
    title: str
    text: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)  # (data URI, caption)
    notes: list[str] = field(default_factory=list)
    figure_objects: list = field(default_factory=list, repr=False)  # the matplotlib Figures, for notebooks

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")

    def figure(self, figure, caption: str = "") -> "Section":
        self.figures.append((figure_to_data_uri(figure), caption))
        self.figure_objects.append(figure)
        return self


@dataclass
class ScienceResult:
    """What a science pipeline run produced, ready to write."""

    kind: str
    title: str
    summary: str
    sections: list[Section]
    metrics: dict
    config: dict
    models: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    quick: bool = False
    finished_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def metrics_frame(self):
        """The run's metrics as a pandas DataFrame: one row per (flattened) metric name."""
        import pandas as pd

        flat = pd.json_normalize(self.metrics, sep=".").T
        flat.columns = ["value"]
        flat.index.name = "metric"
        return flat

    def tables(self) -> dict:
        """Every table of the report as a pandas DataFrame, keyed by section and caption."""
        import pandas as pd

        return {f"{s.title}: {t.caption}" if t.caption else s.title: pd.DataFrame(t.rows, columns=t.header)
                for s in self.sections for t in s.tables}

    def figures(self) -> dict:
        """Every figure of the report as a matplotlib Figure, keyed by section and caption."""
        return {f"{s.title} {i + 1}: {caption}".rstrip(": "): figure for s in self.sections
                for i, (figure, (_, caption)) in enumerate(zip(s.figure_objects, s.figures))}

    def _repr_html_(self) -> str:
        from html import escape

        first = next(iter(self.tables().values()), None)
        table = first.to_html(border=0, index=False) if first is not None else ""
        return (f"<div><strong>{escape(self.title)}</strong><br><em>{escape(self.summary)}</em>{table}"
                "<small>Also: metrics_frame(), tables(), figures(); write_science_report(result, folder) for "
                "the full report.</small></div>")


def write_science_report(result: ScienceResult, out_dir) -> Path:
    """``<out_dir>/<kind>-<UTC time>/`` with ``report.html``, ``metrics.json`` and each model's
    ``.keras`` file, written to a temporary folder and renamed. Returns the HTML path."""
    from toolkit.reports.index import update_index
    from toolkit.reports.writer import (
        atomic_write_text, ensure_writable_dir, run_folder, to_jsonable,
    )

    started = time.perf_counter()
    with run_folder(ensure_writable_dir(out_dir), result.kind) as (staging, final):
        for name, model in result.models.items():
            model.save(staging / f"{name}.keras")
        html = render("science.html.j2", result=result, title=result.title)
        result.seconds["report"] = time.perf_counter() - started
        document = {"kind": result.kind, "title": result.title, "summary": result.summary,
                    "metrics": result.metrics, "config": result.config, "warnings": result.warnings,
                    "seconds": result.seconds,
                    "backend": result.versions.get(VERSIONS_KEY), "versions": result.versions,
                    "finished_at": result.finished_at}
        atomic_write_text(staging / "metrics.json", json.dumps(to_jsonable(document), indent=2, default=str))
        atomic_write_text(staging / "report.html", html)
    update_index(final.parent)
    return final / "report.html"
