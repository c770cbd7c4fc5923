"""``<reports>/index.html``: every run in a reports folder, newest first, with links.

The index is rebuilt from the run folders' ``metrics.json`` files after each run, under an
exclusive lock (``fcntl.flock`` on ``.index.lock``), and written atomically: two runs that
finish at once both end up listed, and a reader never sees half a page.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from toolkit.atomic import atomic_write
from toolkit.reports.html import render


@contextmanager
def _locked(folder: Path):
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic write alone still keeps the page whole
        yield
        return
    with open(folder / ".index.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _profile(document: dict) -> str:
    """The run's profile as its job recorded it (older runs: from the quick flag)."""
    profile = document.get("profile")
    if isinstance(profile, str) and profile:
        return profile
    return "quick profile (--quick)" if (document.get("config") or {}).get("quick") else "profile not recorded"


def _models(document: dict) -> str:
    """The models compared, each with its size where it has one."""
    models = document.get("models") or {}
    if not isinstance(models, dict) or not models:
        return ", ".join(document.get("ranking") or [])
    parts = []
    for name, entry in models.items():
        size = entry.get("n_params") if isinstance(entry, dict) else None
        parts.append(f"{name} ({size:,} parameters)" if isinstance(size, int) and size > 1 else name)
    return ", ".join(parts)


def _forecast_row(folder: Path, document: dict) -> dict:
    ranking = document.get("ranking") or []
    honesty = document.get("honesty") or {}
    # Name a best model only when it beat naive persistence, as the verdict does.
    winners = [name for name in ranking if name != "naive" and (honesty.get(name) or {}).get("dm_beats")]
    best = winners[0] if winners else ""
    compared = [name for name in ranking if name != "naive"]
    shown = best or ("naive" if "naive" in ranking else (ranking[0] if ranking else ""))
    steps = (document.get("step_metrics") or {}).get(shown) or [{}]
    headline = steps[-1]
    config = document.get("config") or {}
    from toolkit.reports.html import column_decimals

    mae = headline.get("MAE", float("nan"))
    figure = f"MAE {mae:,.{column_decimals([mae])}f}, MASE {headline.get('MASE', float('nan')):.3f}"
    folds = config.get("folds")
    return {
        "kind": "forecast", "series": document.get("ticker", folder.name),
        "finished": document.get("finished_at", ""),
        "best": best or ("none beat naive" if honesty and compared else ""),
        "figure": (f"{shown}: " if shown else "") + figure,
        "verdict": document.get("verdict", ""),
        "quick": bool(config.get("quick")),
        "settings": f"{_profile(document)}; models: {_models(document)}; target {config.get('target')}, "
                    f"features {', '.join(config.get('features') or ['close'])}, window {config.get('window')}, "
                    f"horizon {config.get('horizon')} ({config.get('multistep', 'direct')}), "
                    f"{folds} fold{'' if folds == 1 else 's'}, seed {config.get('seed')}"
                    + (f", tuned ({config.get('tune_trials')} trials)" if config.get("tune_trials") else ""),
    }


def _science_row(folder: Path, document: dict) -> dict:
    config = document.get("config") or {}
    quick = bool(isinstance(config, dict) and config.get("quick"))
    if document.get("kind") == "compare":
        return {"kind": "compare", "series": document.get("title", folder.name), "finished": document.get("finished_at", ""),
                "best": "", "figure": "", "verdict": document.get("summary", ""), "quick": False,
                "settings": f"{len(document.get('runs') or [])} runs compared"}
    return {"kind": document.get("kind", "science"), "series": document.get("title", folder.name),
            "finished": document.get("finished_at", ""), "best": "", "figure": "",
            "verdict": document.get("summary", ""), "quick": quick,
            "settings": "quick profile (--quick: a short check, not the lecture's numbers)" if quick else "default profile"}


def index_rows(folder: str | Path) -> list[dict]:
    """One row per run folder holding a readable ``metrics.json``, newest first."""
    rows = []
    for metrics in Path(folder).glob("*/metrics.json"):
        try:
            document = json.loads(metrics.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a foreign or damaged folder: not a run of ours
        if not isinstance(document, dict):
            continue
        row = (_forecast_row if "ranking" in document else _science_row)(metrics.parent, document)
        page = document.get("page")
        page = page if isinstance(page, str) and page.endswith(".html") and "/" not in page else "report.html"
        row["link"] = f"{metrics.parent.name}/{page}"
        row["folder"] = metrics.parent.name
        rows.append(row)
    return sorted(rows, key=lambda r: (r["finished"], r["folder"]), reverse=True)


def update_index(folder: str | Path) -> Path:
    """Rewrite ``<folder>/index.html`` from the runs it holds; returns its path."""
    folder = Path(folder)
    with _locked(folder):
        html = render("index.html.j2", title="Toolkit runs", rows=index_rows(folder), folder=str(folder))
        return atomic_write(folder / "index.html", lambda tmp: tmp.write_text(html, encoding="utf-8"))
