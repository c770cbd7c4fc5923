"""Reports of the science pipelines: sections of tables and figures in one HTML page."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from toolkit.reports.html import figure_to_data_uri, render


@dataclass
class Table:
    header: list[str]
    rows: list[list]
    caption: str = ""


@dataclass
class Section:
    title: str
    text: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)  # (data URI, caption)
    notes: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")

    def figure(self, figure, caption: str = "") -> "Section":
        self.figures.append((figure_to_data_uri(figure), caption))
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


def write_science_report(result: ScienceResult, out_dir) -> Path:
    """``<out_dir>/<kind>-<UTC time>/`` with ``report.html``, ``metrics.json`` and each model's
    ``.keras`` file, written to a temporary folder and renamed. Returns the HTML path."""
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
                    "seconds": result.seconds, "versions": result.versions, "finished_at": result.finished_at}
        atomic_write_text(staging / "metrics.json", json.dumps(to_jsonable(document), indent=2, default=str))
        atomic_write_text(staging / "report.html", html)
    return final / "report.html"
