"""What the science pipelines share: settings from a pipeline file, timing, the job wrapper."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, fields
from typing import Callable

from toolkit.errors import UsageError


def settings_keys(config_class) -> dict:
    """Pipeline-file keys of a settings dataclass: every field but the run-time ones and those
    the class lists in ``NOT_SETTINGS`` (inherited fields it does not use: a file that sets
    one is refused as an unknown key, never ignored)."""
    hidden = ("quick", "verbose", *getattr(config_class, "NOT_SETTINGS", ()))
    return {f.name: f.default for f in fields(config_class) if f.name not in hidden}


# Upper bounds by the ending of a setting's name: they keep any pipeline within a 2-core,
# 24 GB machine (a number past them is a typo or a different machine's job).
LIMITS = (("units", 4_096), ("layers", 64), ("dim", 1_024), ("epochs", 10_000), ("steps", 10_000_000),
          ("iterations", 10_000_000), ("batch_size", 65_536), ("points", 10_000_000), ("size", 10_000_000),
          ("images", 10_000_000), ("minutes", 24 * 60))


def check_bounds(config) -> None:
    """Every number of a settings dataclass finite, every seed in NumPy's range, every size
    within :data:`LIMITS`; one :class:`UsageError` naming the key otherwise."""
    for f in fields(config):
        value = getattr(config, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            raise UsageError(f"{f.name} must be a finite number. Received: {value!r}")
        if f.name == "seed" and not (isinstance(value, int) and 0 <= value < 2 ** 32):
            raise UsageError(f"seed must be a whole number from 0 to 4,294,967,295. Received: {value!r}")
        limit = next((high for ending, high in LIMITS if f.name.endswith(ending)), None)
        if limit is not None and value > limit:
            raise UsageError(f"{f.name} must be at most {limit:,} on this machine. Received: {value!r}")


def build_config(config_class, pipeline, section: str, *, quick: bool, seed: int | None, verbose: int,
                 extra: dict | None = None):
    """Settings from a checked pipeline file, with ``--quick`` and ``--seed`` applied; ``extra``
    adds settings read from other sections."""
    values = {**pipeline.sections.get(section, {}), **(extra or {})}
    if seed is not None:
        values["seed"] = seed
    try:
        config = config_class(**values, verbose=verbose)
        if quick:  # the file's own values are checked too: a broken file fails a quick run as well
            check_bounds(config.validate())
            config = config.quick_profile()
        config = config.validate()
        check_bounds(config)
        return config
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
    hidden = getattr(type(config), "NOT_SETTINGS", ())
    result.config = {key: value for key, value in asdict(config).items() if key not in hidden}
    result.quick = getattr(config, "quick", False)
    log("[report] writing ...")
    path = write_science_report(result, out_dir)
    log(f"[result] {result.summary}")
    log(f"[done] report: {path}  ({time.perf_counter() - started:.1f} s)")
    return path, result


def positive(config, *names) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise UsageError(f"{name} must be a positive finite number. Received: {name}={value!r}")

