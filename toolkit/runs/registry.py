"""Pipeline kinds the `toolkit run` command knows: their file sections and their runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from toolkit.backend import BACKENDS, PDE_BACKENDS, PDE_WHY, require_backend
from toolkit.runs import autoencoder, burgers, digits, forecast, generative, heat, lectures, sine, sysid
from toolkit.runs.risk import job as risk
from toolkit.runs.common import build_config, science_job, settings_keys

#: The PDE pipelines' backends, and why (toolkit.training.compiled).
PDE_ONLY_ON = {"backends": PDE_BACKENDS, "why": PDE_WHY}


@dataclass(frozen=True)
class PipelineKind:
    sections: dict[str, dict]
    run: Callable


def _science(kind: str, config_class, run: Callable, backends: tuple[str, ...] = BACKENDS,
             why: str = "") -> PipelineKind:
    def job(pipeline, *, quick, seed, out_dir, verbose=2, log=print):
        require_backend(f"the {kind} pipeline" + (f" ({why})" if why else ""), backends)
        config = build_config(config_class, pipeline, kind, quick=quick, seed=seed, verbose=verbose)
        return science_job(run, config, out_dir, log=log)

    return PipelineKind({kind: settings_keys(config_class)}, job)


PIPELINE_KINDS = {
    "forecast": PipelineKind(forecast.PIPELINE_SECTIONS, forecast.pipeline_job),
    "risk": PipelineKind(risk.PIPELINE_SECTIONS, risk.pipeline_job),
    "digits": _science("digits", digits.DigitsConfig, digits.run_digits),
    "autoencoder": _science("autoencoder", autoencoder.AutoencoderConfig, autoencoder.run_autoencoder),
    "generative": _science("generative", generative.GenerativeConfig, generative.run_generative),
    "sine": _science("sine", sine.SineConfig, sine.run_sine),
    "burgers": _science("burgers", burgers.BurgersConfig, burgers.run_burgers, **PDE_ONLY_ON),
    "heat": _science("heat", heat.HeatConfig, heat.run_heat, **PDE_ONLY_ON),
    "burgers-discovery": _science("burgers-discovery", burgers.BurgersDiscoveryConfig, burgers.run_burgers_discovery,
                                  **PDE_ONLY_ON),
    "heat-discovery": _science("heat-discovery", heat.HeatDiscoveryConfig, heat.run_heat_discovery, **PDE_ONLY_ON),
    "sysid": _science("sysid", sysid.SysidConfig, sysid.run_sysid),
    "lectures": _science("lectures", lectures.LecturesConfig, lectures.run_lectures),
}
