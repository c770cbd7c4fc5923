"""Scoring the walk-forward's variance forecasts against the proxy, and the verdict in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.evaluation.significance import holm
from toolkit.evaluation.variance_tests import diebold_mariano_losses, mincer_zarnowitz, model_confidence_set
from toolkit.evaluation.volatility import qlike, variance_mse
from toolkit.runs.risk.config import METHOD_TITLES

STATISTICAL_FAMILY = ("garch", "garch_t", "gjr", "gjr_t", "egarch", "egarch_t", "har", "harx")


def score(paths: dict, proxy: np.ndarray, config) -> dict:
    """Per model: mean QLIKE and MSE, the DM test on QLIKE against the reference (Holm-adjusted
    across models), the Mincer-Zarnowitz regression, and the MCS p-value; plus the ranking."""
    # One form for every series (a proxy of 0, an unchanged close, is allowed in it): ln(forecast) +
    # proxy / forecast, Patton's QLIKE less a term of the proxy alone, so differences and ranks are his.
    losses = {name: qlike(proxy, p.variance, normalised=False) for name, p in paths.items()}
    reference = losses[config.reference]
    tests = {name: diebold_mariano_losses(loss, reference) for name, loss in losses.items() if name != config.reference}
    adjusted = holm({name: t.p_value for name, t in tests.items()})
    if len(losses) > 1:
        mcs = model_confidence_set(pd.DataFrame(losses), size=config.mcs_size, seed=config.seed)
    else:  # one model left: the set is that model
        mcs = {name: 1.0 for name in losses}
    rows = {}
    for name, path in paths.items():
        test = tests.get(name)
        rows[name] = {
            "title": path.title, "qlike": float(losses[name].mean()),
            "mse": float(variance_mse(proxy, path.variance).mean()),
            "dm_statistic": test.statistic if test else None, "dm_p": test.p_value if test else None,
            "dm_p_holm": adjusted.get(name), "beats_reference": bool(test.beats(0.05, adjusted[name])) if test else None,
            "mcs_p": mcs[name], "in_mcs": mcs[name] > config.mcs_size,
            "mincer_zarnowitz": mincer_zarnowitz(proxy, path.variance),
        }
    ranking = sorted(rows, key=lambda n: rows[n]["qlike"])
    return {"models": rows, "ranking": ranking, "losses": losses}


def pairwise(losses: dict, name: str, other: str) -> dict:
    """The DM test of ``name`` against ``other`` on QLIKE (e.g. the network against HAR)."""
    test = diebold_mariano_losses(losses[name], losses[other])
    return {"statistic": test.statistic, "p_value": test.p_value, "mean_difference": test.mean_difference,
            "better": test.mean_difference < 0}


def _p(value: float) -> str:
    return "below 0.001" if value < 0.001 else f"{value:.3f}"


def volatility_verdict(scores: dict, config, network_vs_har: dict | None) -> list[str]:
    """Sentences on the volatility forecasts: the best, who beats the reference, the network against HAR."""
    rows, ranking = scores["models"], scores["ranking"]
    best = ranking[0]
    ref_title = rows[config.reference]["title"]
    members = [rows[n]["title"] for n in ranking if rows[n]["in_mcs"]]
    lines = [f"Best volatility forecast by QLIKE: {rows[best]['title']} ({rows[best]['qlike']:.4f}); the "
             f"{1 - config.mcs_size:.0%} model confidence set holds {', '.join(members)}."]
    if len(rows) == 1:
        return lines
    beating = [n for n in ranking if rows[n]["beats_reference"]]
    if beating:
        lines.append(f"Beat the {ref_title} on QLIKE (Diebold-Mariano, Holm-adjusted p < 0.05): "
                     + ", ".join(f"{rows[n]['title']} (p {_p(rows[n]['dm_p_holm'])})" for n in beating) + ".")
    else:
        lines.append(f"No model beat the {ref_title} on QLIKE at Holm-adjusted p < 0.05.")
    if network_vs_har is not None:
        verdict = "beats" if network_vs_har["better"] and network_vs_har["p_value"] < 0.05 else (
            "is beaten by" if not network_vs_har["better"] and network_vs_har["p_value"] < 0.05 else "ties")
        lines.append(f"The LSTM {verdict} HAR on QLIKE (mean difference {network_vs_har['mean_difference']:+.4f}, "
                     f"DM p {_p(network_vs_har['p_value'])}).")
    return lines


def var_verdict(rows: dict, title: str, name: str, level: float, methods) -> str:
    """A sentence on one model's VaR at ``level`` by every method: held or failed, and why."""
    parts = []
    for method in methods:
        r = rows[name, method, level]
        held = "held" if r["passes"] else "failed"
        parts.append(f"{METHOD_TITLES[method]} {held} ({r['expected']:.1f} violations expected, "
                     f"{r['violations']} seen, Kupiec p {_p(r['kupiec_p'])}, independence p "
                     f"{_p(r['independence_p'])})")
    return f"{title}'s {level:.0%} VaR: " + "; ".join(parts) + "."
