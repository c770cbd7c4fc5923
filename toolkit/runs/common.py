"""What the science pipelines share: settings from a pipeline file, timing, the job wrapper."""

from __future__ import annotations

import time
from dataclasses import asdict, fields
from typing import Callable

from toolkit.errors import UsageError


def settings_keys(config_class) -> dict:
    """Pipeline-file keys of a settings dataclass: every field but the run-time ones."""
    return {f.name: f.default for f in fields(config_class) if f.name not in ("quick", "verbose")}


def build_config(config_class, pipeline, section: str, *, quick: bool, seed: int | None, verbose: int):
    """Settings from a checked pipeline file, with ``--quick`` and ``--seed`` applied."""
    values = dict(pipeline.sections.get(section, {}))
    if seed is not None:
        values["seed"] = seed
    try:
        config = config_class(**values, verbose=verbose)
        if quick:
            config = config.quick_profile()
        return config.validate()
    except UsageError as err:
        raise UsageError(f"{pipeline.path}: {err}") from None


def science_job(run: Callable, config, out_dir, *, log: Callable[[str], None] = print):
    """Run a science pipeline and write its report; returns ``(report_path, result)``."""
    from toolkit.reports.science import write_science_report
    from toolkit.reports.writer import ensure_writable_dir
    from toolkit.runs.forecast.backtest import library_versions

    out_dir = ensure_writable_dir(out_dir)
    started = time.perf_counter()
    result = run(config, log=log)
    result.seconds = {"run": time.perf_counter() - started, **result.seconds}
    result.versions = library_versions()
    result.config = asdict(config)
    result.quick = getattr(config, "quick", False)
    log("[report] writing ...")
    path = write_science_report(result, out_dir)
    log(f"[result] {result.summary}")
    log(f"[done] report: {path}  ({time.perf_counter() - started:.1f} s)")
    return path, result


def positive(config, *names) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise UsageError(f"{name} must be positive. Received: {name}={value!r}")

