"""The builders' catalogue: what ``toolkit models`` prints, read without importing Keras.

Building every model to count its parameters took 10-12 s (Keras, TensorFlow and 30 models);
the catalogue is that answer written once to ``catalogue.json`` beside this file: per builder
its name, family, description, parameters at the defaults (the same on every backend) and its
arguments with their defaults (``repr`` of each; None for an argument without one). A test rebuilds it from the registry and fails when the file is
stale; ``python -m toolkit.builders.catalogue`` rewrites it.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

CATALOGUE = Path(__file__).with_name("catalogue.json")


def _default(parameter: inspect.Parameter) -> str | None:
    if parameter.default is inspect.Parameter.empty:
        return None
    value = parameter.default
    return getattr(value, "__name__", None) or repr(value)


def build_catalogue() -> list[dict]:
    """Every registered builder's entry, built now (imports Keras and builds each model)."""
    from toolkit.builders import registered

    entries = []
    for spec in registered():
        arguments = {p.name: _default(p) for p in inspect.signature(spec.build).parameters.values()
                     if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        entries.append({"name": spec.name, "family": spec.family, "description": spec.description,
                        "parameters": int(spec.build().count_params()), "arguments": arguments})
    return entries


def read_catalogue() -> list[dict]:
    """The catalogue as written (``toolkit models`` reads the file directly: importing this package
    imports Keras)."""
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def write_catalogue() -> Path:
    from toolkit.reports.writer import atomic_write_text

    return atomic_write_text(CATALOGUE, json.dumps(build_catalogue(), indent=1) + "\n")


if __name__ == "__main__":
    print(f"wrote {write_catalogue()}")
