"""Pipeline kinds the `toolkit run` command knows: their file sections and their runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from toolkit.runs import forecast


@dataclass(frozen=True)
class PipelineKind:
    sections: dict[str, dict]
    run: Callable


PIPELINE_KINDS = {
    "forecast": PipelineKind(forecast.PIPELINE_SECTIONS, forecast.pipeline_job),
}
