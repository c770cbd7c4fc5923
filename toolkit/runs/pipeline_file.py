"""Pipeline files: TOML (read with the standard library) naming a run's data and settings.

A file has a top-level ``kind`` (which run executes it), an optional ``description``, an
optional ``backend`` (the Keras backend, as ``--backend``), and one table per section the kind defines. Unknown keys and values of the wrong type are
errors that name the file, the key and what is allowed: a typo must never fall back to a
default silently.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import UsageError

PIPELINES_DIR = Path(__file__).resolve().parents[2] / "pipelines"


@dataclass(frozen=True)
class PipelineFile:
    path: Path
    kind: str
    description: str
    sections: dict[str, dict] = field(default_factory=dict)
    backend: str | None = None


def resolve_pipeline(name_or_path: str) -> Path:
    """A path as given, or a bare name looked up as ``pipelines/<name>.toml`` (here, then the
    repository's)."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise UsageError(f"pipeline file not found: {candidate}; give a path or a name such as 'forecast'")
        return candidate
    for folder in (Path("pipelines"), PIPELINES_DIR):
        if (folder / f"{name_or_path}.toml").is_file():
            return folder / f"{name_or_path}.toml"
    known = sorted(p.stem for p in PIPELINES_DIR.glob("*.toml"))
    raise UsageError(f"no pipeline named {name_or_path!r}; choose one of {', '.join(known)} or give a .toml path")


def _type_name(value) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text",
            list: "a list", tuple: "a list"}.get(type(value), type(value).__name__)


def check_section(path: Path, section: str, values: dict, defaults: dict) -> dict:
    """Check ``values`` against ``defaults`` (key -> default value; None means any type)."""
    if not isinstance(values, dict):
        raise UsageError(f"{path}: [{section}] must be a table of keys")
    checked = {}
    for key, value in values.items():
        if key not in defaults:
            raise UsageError(f"{path}: unknown key {key!r} in [{section}]; allowed: {', '.join(sorted(defaults))}")
        default = defaults[key]
        if default is None or value is None:
            checked[key] = value
            continue
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if expected in (list, tuple) and isinstance(value, list):
            value = tuple(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise UsageError(f"{path}: [{section}] {key} must be {_type_name(default)}. Received: {value!r}")
        checked[key] = value
    return checked


def load_pipeline(path: str | Path, kinds: dict[str, dict[str, dict]]) -> PipelineFile:
    """Read and check a pipeline file.

    Args:
        path: The TOML file.
        kinds: Per kind, its sections and their defaults (``{section: {key: default}}``); a
            section whose defaults are None is a free table of tables (``[models.NAME]``),
            checked by the kind's own run.
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"pipeline file not found: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: a folder, not a pipeline file; give a .toml file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file (TOML is UTF-8 text); give a .toml pipeline file") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot be read ({err.strerror or err})") from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: not valid TOML ({str(err).splitlines()[0]})") from None
    kind = document.pop("kind", None)
    if kind not in kinds:
        raise UsageError(f"{path}: 'kind' must be one of {', '.join(sorted(kinds))}. Received: {kind!r}")
    description = document.pop("description", "")
    backend = document.pop("backend", None)
    if backend is not None:
        from toolkit.backend import BACKENDS, check_backend

        if not isinstance(backend, str):
            raise UsageError(f"{path}: backend must be one of {', '.join(BACKENDS)}. Received: {backend!r}")
        check_backend(backend, f"{path}: backend")
    sections = {}
    for section, values in document.items():
        if section not in kinds[kind]:
            raise UsageError(f"{path}: unknown section [{section}] for kind {kind!r}; allowed: "
                             f"{', '.join(sorted(kinds[kind]))}")
        if kinds[kind][section] is None:
            if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
                raise UsageError(f"{path}: [{section}] holds tables, one per name ([{section}.NAME])")
            sections[section] = values
            continue
        sections[section] = check_section(path, section, values, kinds[kind][section])
    return PipelineFile(path=path, kind=kind, description=str(description), sections=sections, backend=backend)
