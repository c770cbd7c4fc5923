"""Names -> builders, for the CLI, pipeline files and ``toolkit models``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from toolkit.errors import UsageError


@dataclass(frozen=True)
class BuilderSpec:
    name: str
    family: str
    description: str
    build: Callable


_REGISTRY: dict[str, BuilderSpec] = {}


def register(name: str, family: str, description: str) -> Callable:
    """Class or function decorator adding a builder to the registry under ``name``."""

    def decorate(build: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"builder name {name!r} is registered twice")
        _REGISTRY[name] = BuilderSpec(name, family, description, build)
        return build

    return decorate


def get_builder(name: str) -> BuilderSpec:
    """The builder registered as ``name``; a :class:`UsageError` listing the names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UsageError(
            f"unknown model {name!r}; choose one of {', '.join(sorted(_REGISTRY))} "
            "(see `toolkit models`)"
        ) from None


def registered() -> list[BuilderSpec]:
    """All builders, by family then name."""
    return sorted(_REGISTRY.values(), key=lambda spec: (spec.family, spec.name))
