"""Scoring the pooled test forecasts of every fold: metrics, the honesty panel, calibrated
intervals and the strategy check. Pure functions of the folds' forecasts; no I/O.

Every model is scored the same way, benchmarks included:

* metrics in price units and on log returns; MASE scales each error by the in-sample
  one-step naive MAE of its own fold's training rows (Hyndman and Koehler), so the pooled
  and per-fold values are one definition;
* Diebold-Mariano against naive persistence, Holm-adjusted over the models compared;
* Pesaran-Timmermann direction skill beside the base rate of up moves;
* the move test: does the predicted move explain the actual move at all?
* split and adaptive conformal intervals from each model's validation residuals, beside
  the model's own bands, with coverage per level x fold x step, width and Winkler score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.evaluation import conformal
from toolkit.evaluation.intervals import LEVELS, coverage_interval
from toolkit.evaluation.metrics import forecast_metrics, rank_models
from toolkit.evaluation.significance import (
    diebold_mariano, holm, move_test, pesaran_timmermann, theil_u, verdict,
)
from toolkit.evaluation.strategy import long_flat

SIGNIFICANCE = 0.05
METHODS = ("split", "adaptive")


@dataclass
class Panel:
    """Everything the report and ``metrics.json`` show about the pooled test forecasts."""

    step_metrics: dict[str, list[dict[str, float]]]
    fold_summary: dict[str, dict[str, tuple[float, float]]]
    honesty: dict[str, dict]
    bands: dict[str, dict[str, dict[float, tuple[np.ndarray, np.ndarray]]]]
    coverage: dict[str, dict[str, dict[float, dict]]]
    adaptive_state: dict[str, dict[float, conformal.AdaptiveState]]
    strategy: dict[str, dict]
    ranking: list[str]
    verdict: str
    tuning: dict[str, dict] = field(default_factory=dict)


def _step_metrics(actual, predicted, origin_prices, scale) -> list[dict[str, float]]:
    return [forecast_metrics(actual[:, h], predicted[:, h], origin_prices, scale) for h in range(actual.shape[1])]


def fold_metrics(fold, series) -> dict[str, dict[str, float]]:
    """Last-step metrics of each model on one fold."""
    origin_prices = series[fold.origin]
    return {name: _step_metrics(fold.actual, p, origin_prices, fold.scale)[-1]
            for name, p in fold.predictions.items()}


def _binomial(inside_last: np.ndarray, horizon: int) -> dict:
    """Coverage at the last step with its 95% Clopper-Pearson interval. Overlapping h-step
    targets share moves, so the interval is that of the same coverage over ``ceil(n / h)``
    independent forecasts (the effective count): centred on the coverage shown, as wide as
    the information in it."""
    n = len(inside_last)
    scored = -(-n // horizon)
    covered = int(round(float(inside_last.mean()) * scored)) if n else 0
    low, high = coverage_interval(covered, scored)
    return {"scored": scored, "ci": (low, high)}


def _interval_table(actual, lower, upper, level, fold_of) -> dict:
    """Coverage pooled, by fold, by step and by fold x step, with binomial intervals; mean
    width; Winkler score."""
    inside = (actual >= lower) & (actual <= upper)
    folds = np.unique(fold_of)
    horizon = actual.shape[1]
    pooled = _binomial(inside[:, -1], horizon)
    return {
        "coverage": float(inside.mean()),
        "last_step": float(inside[:, -1].mean()),
        "scored": pooled["scored"], "ci": pooled["ci"],
        "miscalibrated": bool(not pooled["ci"][0] <= level <= pooled["ci"][1]),
        "by_fold": [float(inside[fold_of == f].mean()) for f in folds],
        "by_fold_last": [float(inside[fold_of == f, -1].mean()) for f in folds],
        "by_fold_ci": [_binomial(inside[fold_of == f, -1], horizon)["ci"] for f in folds],
        "by_step": [float(inside[:, h].mean()) for h in range(actual.shape[1])],
        "fold_step": [[float(inside[fold_of == f, h].mean()) for h in range(actual.shape[1])] for f in folds],
        "width": float(np.mean(upper - lower)),
        "width_pct": float(100 * np.mean((upper - lower) / actual)),
        "winkler": conformal.winkler_score(actual, lower, upper, level),
    }


def conformal_bands(folds, sigma, name: str, horizon: int):
    """Split and adaptive conformal bands of one model over the pooled test forecasts.

    Returns:
        ``(bands, states)``: ``bands[method][level] = (lower, upper)`` pooled, and the
        adaptive state after the last test target, per level.
    """
    segments, split_bands = [], {level: [] for level in LEVELS}
    for fold in folds:
        val = fold.validation
        calibration = conformal.scores(val["actual"], val["predictions"][name], sigma[val["origin"]])
        test = conformal.scores(fold.actual, fold.predictions[name], sigma[fold.origin])
        segments.append({"calibration": calibration, "scores": test, "origin": fold.origin,
                         "predicted": fold.predictions[name]})
        for level in LEVELS:
            q = conformal.split_conformal(calibration, level)
            split_bands[level].append(conformal.band(fold.predictions[name], sigma[fold.origin], q))
    bands = {"split": {level: tuple(np.concatenate([b[i] for b in parts]) for i in (0, 1))
                       for level, parts in split_bands.items()}, "adaptive": {}}
    states = {}
    last_row = len(sigma) - 1
    for level in LEVELS:
        quantiles, states[level] = conformal.adaptive_conformal(segments, level, horizon=horizon, last_row=last_row)
        parts = [conformal.band(s["predicted"], sigma[s["origin"]], q) for s, q in zip(segments, quantiles)]
        bands["adaptive"][level] = tuple(np.concatenate([p[i] for p in parts]) for i in (0, 1))
    return bands, states


def pool_folds(folds) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The folds' test forecasts in time order (their test blocks do not overlap): origin rows
    ``(m,)``, fold numbers ``(m,)``, actual prices ``(m, horizon)`` and each model's forecasts."""
    origin = np.concatenate([f.origin for f in folds])
    fold_of = np.concatenate([np.full(len(f.origin), f.index) for f in folds])
    actual = np.concatenate([f.actual for f in folds])
    predictions = {name: np.concatenate([f.predictions[name] for f in folds]) for name in folds[0].predictions}
    return origin, fold_of, actual, predictions


def tuning_tests(actual, predictions, pairs: dict[str, str], horizon: int) -> dict[str, dict]:
    """Diebold-Mariano of each tuned copy against its untuned model on the pooled test
    targets: did tuning help where the search never looked?"""
    tests = {}
    for tuned, base in pairs.items():
        if tuned in predictions and base in predictions:
            dm = diebold_mariano(actual[:, -1], predictions[tuned][:, -1], predictions[base][:, -1], horizon)
            tests[tuned] = {"base": base, "dm_stat": dm.statistic, "dm_p": dm.p_value, "tuned_better": dm.model_better,
                            "significant": bool(dm.model_better and dm.p_value < SIGNIFICANCE)}
    return tests


def score(folds, series, horizon: int, cost_bps: float, sigma, pairs: dict[str, str] | None = None) -> Panel:
    """Pool the folds' test forecasts and score them; ``pairs`` maps each tuned copy to the
    model it tunes."""
    origin_rows, fold_of, actual, predictions = pool_folds(folds)
    models = list(predictions)
    origin_prices = series[origin_rows]
    scale = np.concatenate([np.full(len(f.origin), f.scale) for f in folds])
    step_metrics = {name: _step_metrics(actual, p, origin_prices, scale) for name, p in predictions.items()}

    naive_last = predictions["naive"][:, -1]
    honesty = {}
    for name, predicted in predictions.items():
        dm = diebold_mariano(actual[:, -1], predicted[:, -1], naive_last, horizon)
        # Overlapping h-step moves share days: the direction test counts every h-th forecast
        # only (independent under the null), newest first.
        keep = slice(None, None, -horizon)
        tested = pesaran_timmermann(actual[keep, -1], predicted[keep, -1], origin_prices[keep])
        direction = pesaran_timmermann(actual[:, -1], predicted[:, -1], origin_prices)
        moves = move_test(actual[:, -1], predicted[:, -1], origin_prices, horizon)
        last = step_metrics[name][-1]
        honesty[name] = {
            "MASE": last["MASE"], "MAE_bp": last["MAE_bp"],
            "theil_u": theil_u(actual[:, -1], predicted[:, -1], naive_last),
            "DirAcc": direction.hit_rate, "base_rate": direction.base_rate, "up_calls": direction.up_calls,
            "dir_calls": direction.calls, "pt_stat": tested.statistic, "pt_p": tested.p_value,
            "pt_calls": tested.calls, "dir_skilled": tested.skilled(SIGNIFICANCE),
            "dm_stat": dm.statistic, "dm_p": dm.p_value, "dm_better": dm.model_better,
            "move_slope": moves.slope, "move_stat": moves.statistic, "move_p": moves.p_value,
            "move_r2": moves.r_squared, "move_evidence": moves.evidence(SIGNIFICANCE),
        }
    adjusted = holm({name: h["dm_p"] for name, h in honesty.items() if name != "naive"})
    for name, h in honesty.items():
        h["dm_p_holm"] = adjusted.get(name, float("nan"))
        h["dm_beats"] = bool(h["dm_better"] and np.isfinite(h["dm_p_holm"]) and h["dm_p_holm"] < SIGNIFICANCE)

    bands, coverage_table, states = {}, {}, {}
    for name in models:
        bands[name], states[name] = conformal_bands(folds, sigma, name, horizon)
        if all(f.intervals.get(name) for f in folds):
            bands[name]["native"] = {level: tuple(np.concatenate([f.intervals[name][level][i] for f in folds])
                                                  for i in (0, 1)) for level in LEVELS}
        coverage_table[name] = {method: {level: _interval_table(actual, *bands[name][method][level], level, fold_of)
                                         for level in LEVELS} for method in bands[name]}

    strategy = {name: long_flat(origin_prices, actual[:, 0], predicted[:, 0], cost_bps)
                for name, predicted in predictions.items() if name != "naive"}
    fold_summary = {name: {key: (float(np.mean([f.metrics[name][key] for f in folds])),
                                 float(np.std([f.metrics[name][key] for f in folds])))
                           for key in ("MAE", "RMSE", "MASE", "MAE_bp", "DirAcc")} for name in models}
    headline = {name: steps[-1] for name, steps in step_metrics.items()}
    return Panel(step_metrics=step_metrics, fold_summary=fold_summary, honesty=honesty, bands=bands,
                 coverage=coverage_table, adaptive_state=states, strategy=strategy,
                 ranking=rank_models(headline), verdict=verdict(honesty, horizon, SIGNIFICANCE),
                 tuning=tuning_tests(actual, predictions, pairs or {}, horizon))
