"""``toolkit compare RUN [RUN ...]``: the same models side by side across forecast runs.

Each RUN is a forecast report folder (or its ``report.html`` / ``metrics.json``). The
comparison page sets every model's MAE, MASE, Holm-adjusted Diebold-Mariano p-value and
adaptive-conformal 80% coverage next to each other, one column per run, marks the best
run of each model, and lists the settings that differ between the runs (series, seed,
window, target, folds, ...). It is written like any report: atomically, into its own
folder, and listed in the index.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from toolkit.errors import UsageError

SETTINGS = ("profile", "ticker", "target", "window", "horizon", "folds", "fold_mode", "refit", "features", "models",
            "redefined models", "epochs", "lstm_units", "tune_trials", "seed", "multistep", "quick", "max_rows",
            "first_date", "last_date", "backend")


def _metrics_path(run: str | Path) -> Path:
    path = Path(run)
    if path.is_file():
        path = path.parent
    metrics = path / "metrics.json"
    if not metrics.is_file():
        raise UsageError(f"{str(run)!r} is not a forecast report folder (no metrics.json in {path}); "
                         "give folders written by toolkit forecast")
    return metrics


def load_run(run: str | Path) -> dict:
    """The metrics document of one forecast run; :class:`UsageError` for anything else."""
    metrics = _metrics_path(run)
    try:
        document = json.loads(metrics.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"{metrics}: not readable JSON ({err}); give folders written by toolkit forecast") from None
    if not isinstance(document, dict) or "ranking" not in document or "step_metrics" not in document:
        raise UsageError(f"{metrics.parent}: not a forecast run (a science report?); compare forecast runs")
    document["_folder"] = metrics.parent
    return document


def _settings(document: dict) -> dict:
    config = dict(document.get("config") or {})
    config["ticker"] = document.get("ticker")
    config["profile"] = document.get("profile") or ("quick profile (--quick)" if config.get("quick") else None)
    config["backend"] = document.get("backend")  # the Keras backend (absent in runs before it was recorded)
    folds = document.get("folds") or [{}]
    config["first_date"] = (folds[0].get("audit") or {}).get("train_first")
    config["last_date"] = (folds[-1].get("audit") or {}).get("test_last")
    return {key: config.get(key) for key in SETTINGS}


def _definition(document: dict, name: str) -> str:
    model = (document.get("models") or {}).get(name) or {}
    return json.dumps([model.get("source"), model.get("definition")], sort_keys=True, default=str)


def _redefined(documents: list[dict], models: list[str]) -> list[str]:
    """Names of yours that stand for different models in different runs (an "x" once a GRU, once
    a Ridge); a built-in model differs only through the settings, which are compared anyway."""
    def yours(document, name):
        return ((document.get("models") or {}).get(name) or {}).get("source", "built-in") != "built-in"

    return [name for name in models
            if any(yours(d, name) for d in documents)
            and len({_definition(d, name) for d in documents if name in (d.get("models") or {})}) > 1]


def comparison(documents: list[dict]) -> dict:
    """Tables of the comparison: per-model rows across runs, and the settings that differ."""
    names = [f"run {i + 1}: {d.get('ticker')} ({d['_folder'].name})" for i, d in enumerate(documents)]
    models = list(dict.fromkeys(m for d in documents for m in d["ranking"]))
    rows = []
    for model in models:
        cells = []
        for d in documents:
            steps = d["step_metrics"].get(model)
            if not steps:
                cells.append(None)
                continue
            honesty = (d.get("honesty") or {}).get(model, {})
            adaptive = ((d.get("intervals") or {}).get(model, {}).get("adaptive") or {}).get("0.8") or {}
            cells.append({"MAE": steps[-1].get("MAE"), "MASE": steps[-1].get("MASE"),
                          "dm_p_holm": honesty.get("dm_p_holm"), "coverage80": adaptive.get("coverage")})
        mases = [c["MASE"] for c in cells if c and c["MASE"] is not None]
        best = min(mases) if len(mases) > 1 else None
        rows.append({"model": model, "cells": cells, "best": best})
    settings = [_settings(d) for d in documents]
    redefined = _redefined(documents, models)
    for document, setting in zip(documents, settings):
        shown = [f"{name}: {(document.get('models') or {}).get(name, {}).get('source', '-')}" for name in redefined
                 if name in (document.get("models") or {})]
        setting["redefined models"] = "; ".join(shown) or None
    for row in rows:
        row["redefined"] = row["model"] in redefined
    differing = [key for key in SETTINGS if len({json.dumps(s[key], sort_keys=True) for s in settings}) > 1
                 or (key == "redefined models" and redefined)]
    return {"runs": names, "rows": rows, "settings": settings, "keys": SETTINGS, "differing": differing,
            "verdicts": [d.get("verdict", "") for d in documents]}


def compare_job(runs: list[str], out_dir, *, log=print) -> Path:
    """Read the runs, write ``<out>/compare-<UTC time>/report.html`` (and ``metrics.json``)."""
    from toolkit.reports.html import render
    from toolkit.reports.index import update_index
    from toolkit.reports.writer import atomic_write_text, ensure_writable_dir, run_folder, to_jsonable

    if len(runs) < 2:
        raise UsageError(f"compare needs at least two forecast runs. Received: {len(runs)}")
    documents = [load_run(run) for run in runs]
    folders = [d["_folder"].resolve() for d in documents]
    twice = sorted({str(f) for f in folders if folders.count(f) > 1})
    if twice:
        raise UsageError(f"compare got the same run more than once ({', '.join(twice)}); give each run once")
    out_dir = ensure_writable_dir(out_dir)
    tables = comparison(documents)
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    log(f"[compare] {len(documents)} runs, {len(tables['rows'])} models; settings that differ: "
        + (", ".join(tables["differing"]) or "none"))
    with run_folder(out_dir, "compare") as (staging, final):
        html = render("compare.html.j2", title="Comparison of forecast runs", finished=finished, **tables)
        document = {"kind": "compare", "title": "Comparison of forecast runs", "finished_at": finished,
                    "summary": f"{len(documents)} runs; settings that differ: {', '.join(tables['differing']) or 'none'}",
                    "runs": [str(d["_folder"]) for d in documents], "rows": tables["rows"],
                    "differing": tables["differing"]}
        atomic_write_text(staging / "metrics.json", json.dumps(to_jsonable(document), indent=2, default=str))
        atomic_write_text(staging / "report.html", html)
    update_index(final.parent)
    log(f"[done] comparison: {final / 'report.html'}")
    return final / "report.html"
