"""The leaderboard of a universe run: every ticker x model with the honesty panel's key
figures, one sortable page with each ticker linked to its own full report, and the same
rows as ``leaderboard.csv``."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from toolkit.backend import VERSIONS_KEY
from toolkit.reports.html import render

COLUMNS = ("ticker", "status", "rank", "model", "title", "MASE", "MAE", "dm_p_holm", "beats_naive", "direction",
           "base_rate", "pt_p", "direction_skill", "coverage_80", "coverage_95", "device", "report", "reason")


def result_rows(label: str, result, report: str) -> list[dict]:
    """One row per model of a ticker's result, best first; ``report`` is the link to its page."""
    panel = result.panel
    rows = []
    for rank, name in enumerate(result.ranking, start=1):
        honesty, headline = panel.honesty[name], result.headline[name]
        adaptive = panel.coverage[name].get("adaptive", {})
        training = result.models[name].training_
        rows.append({
            "ticker": label, "status": "ok", "rank": rank, "model": name, "title": result.titles[name],
            "MASE": headline["MASE"], "MAE": headline["MAE"], "dm_p_holm": honesty["dm_p_holm"],
            "beats_naive": bool(honesty["dm_beats"]), "direction": honesty["DirAcc"],
            "base_rate": honesty["base_rate"], "pt_p": honesty["pt_p"],
            "direction_skill": bool(honesty["dir_skilled"]),
            "coverage_80": adaptive.get(0.8, {}).get("coverage"), "coverage_95": adaptive.get(0.95, {}).get("coverage"),
            "device": training.device if training is not None else "", "report": report, "reason": "",
        })
    for name, reason in result.failures.items():  # a model that failed its own row, not the ticker's
        rows.append({**{key: None for key in COLUMNS}, "ticker": label, "status": "model failed", "model": name,
                     "title": result.lineup[name].forecaster.title if result.lineup is not None else name,
                     "device": "", "report": report, "reason": reason})
    return rows


def failure_row(label: str, reason: str) -> dict:
    return {**{key: None for key in COLUMNS}, "ticker": label, "status": "failed", "reason": reason,
            "device": "", "report": "", "model": "", "title": ""}


def leaderboard_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as the CSV holds them, in :data:`COLUMNS` order."""
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def render_leaderboard(rows: list[dict], tickers: list[dict], *, settings: dict, executor: str,
                       seconds: dict[str, float]) -> str:
    """Self-contained HTML of the leaderboard."""
    ok = [t for t in tickers if t["status"] == "ok"]
    failed = [t for t in tickers if t["status"] != "ok"]
    best = [r for r in rows if r["status"] == "ok" and r["model"] != "naive"]
    beating = sorted({r["ticker"] for r in best if r["beats_naive"]})
    return render(
        "leaderboard.html.j2", title=f"Leaderboard: {len(tickers)} ticker(s)",
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"), rows=[r for r in rows if r["status"] == "ok"],
        failed_models=[r for r in rows if r["status"] == "model failed"],
        tickers=tickers, ok=ok, failed=failed, beating=beating, settings=settings, executor=executor,
        seconds=seconds)


def leaderboard_document(rows: list[dict], tickers: list[dict], *, settings: dict, executor: str,
                         seconds: dict[str, float], versions: dict[str, str]) -> dict:
    """``metrics.json`` of the leaderboard folder (the reports index lists it)."""
    failed = [t["ticker"] for t in tickers if t["status"] != "ok"]
    summary = (f"{len(tickers) - len(failed)} of {len(tickers)} ticker(s) forecast"
               + (f"; failed: {', '.join(failed)}" if failed else ""))
    return {"kind": "leaderboard", "title": f"Leaderboard of {len(tickers)} ticker(s)", "summary": summary,
            "page": "leaderboard.html", "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "executor": executor, "config": settings, "tickers": tickers,
            "rows": [{k: _clean(v) for k, v in row.items()} for row in rows], "seconds": seconds,
            "backend": versions.get(VERSIONS_KEY), "versions": versions}


def write_leaderboard(folder: Path, rows: list[dict], tickers: list[dict], *, settings: dict, executor: str,
                      seconds: dict[str, float], versions: dict[str, str]) -> Path:
    """Write ``leaderboard.html``, ``leaderboard.csv`` and ``metrics.json`` into ``folder``
    (a staging folder of :func:`toolkit.reports.writer.run_folder`)."""
    from toolkit.reports.writer import atomic_write_text, to_jsonable

    atomic_write_text(folder / "leaderboard.csv",
                      leaderboard_frame(rows).to_csv(index=False, float_format="%.6g"))
    atomic_write_text(folder / "metrics.json", json.dumps(to_jsonable(leaderboard_document(
        rows, tickers, settings=settings, executor=executor, seconds=seconds, versions=versions)), indent=2))
    html = render_leaderboard(rows, tickers, settings=settings, executor=executor, seconds=seconds)
    atomic_write_text(folder / "leaderboard.html", html)
    return folder / "leaderboard.html"
