"""The forecast report: figures and tables from a ForecastResult, rendered to one HTML page."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from toolkit.evaluation.intervals import LEVELS
from toolkit.reports import plots
from toolkit.reports.html import figure_to_data_uri, render

METHOD_TITLES = {
    "split": "split conformal",
    "adaptive": "adaptive conformal (ACI)",
    "gaussian": "heteroscedastic Gaussian head",
    "mc-dropout": "Monte Carlo dropout + validation noise",
    "model": "the model's own (state-space) interval",
}


def _interval_models(result) -> list[str]:
    """Models drawn with their bands: naive, the LSTM and MLP when run, then the best others (at most 4)."""
    chosen = [name for name in ("naive", "lstm", "mlp") if name in result.models]
    chosen += [name for name in result.ranking if name not in chosen]
    return chosen[:4]


SOURCES = {"built-in": "built-in", "given in Python": "given in Python (a notebook or script)"}


def _lineup_title(result, name: str) -> str:
    if name in result.models:
        return result.titles[name]
    return result.lineup[name].forecaster.title if result.lineup is not None else name


def _model_rows(result) -> list[dict]:
    """Every model compared: its title, kind, where it came from and its size."""
    rows = []
    for name in result.ranking:
        model = result.models[name]
        entry = result.lineup[name] if result.lineup is not None else None
        source = entry.source if entry else "built-in"
        files = result.saved.get(name)
        rows.append({"name": name, "title": model.title, "kind": model.kind, "n_params": model.n_params_,
                     "source": SOURCES.get(source, source), "user": source != "built-in",
                     "tuned_from": entry.tuned_from if entry else None,
                     "saved": ", ".join(files) if isinstance(files, list) else (files or "\u2014")})
    return rows


def _search_row(result, name: str, records: list) -> dict:
    base = result.lineup[name].tuned_from
    last = records[-1]
    return {"name": name, "title": result.titles.get(name, name), "base": base,
            "base_title": result.titles.get(base, base), "records": records, "last": last,
            "settings": last.settings, "test": result.panel.tuning.get(name),
            "mase": result.headline.get(name, {}).get("MASE"), "base_mase": result.headline.get(base, {}).get("MASE"),
            "params": list(last.space)}


def attention_weights(models: dict) -> dict:
    """Each attention model's weights, ``(heads, window)``, for its forecast past the data."""
    weights = {name: getattr(model, "attention_", None) for name, model in models.items()}
    return {name: w["weights"] for name, w in weights.items() if w is not None}


def render_forecast_report(result) -> str:
    """Self-contained HTML of a :class:`~toolkit.runs.forecast.ForecastResult`."""
    cfg, prov, panel = result.config, result.prices.provenance, result.panel
    step = cfg.horizon - 1
    origin_rows, _, actual_all, predictions_all = result.pooled_test()
    target_dates = result.dates[origin_rows + cfg.horizon]
    next_day_dates = result.dates[origin_rows + 1]
    actual = actual_all[:, step]
    predictions = {name: p[:, step] for name, p in predictions_all.items()}
    drawn = _interval_models(result)
    # The test figure: naive and the three lowest-MAE others; every model is in the residual panels.
    drawn_lines = (["naive"] if "naive" in result.ranking else []) + [n for n in result.ranking if n != "naive"][:3]
    bands = {name: {level: (lo[:, step], hi[:, step]) for level, (lo, hi) in panel.bands[name]["adaptive"].items()}
             for name in drawn}
    last_fold = result.folds[-1]
    neural = [(name, record) for name, record in last_fold.training.items()]
    last_price = float(result.series[-1])
    strategy_hold = next(iter(panel.strategy.values()))["buy_and_hold"] if panel.strategy else None
    b = last_fold.bounds
    split_rows = [
        {"part": part, "rows": hi - lo, "first": result.dates[lo].date(), "last": result.dates[hi - 1].date()}
        for part, (lo, hi) in (("train", (b.train_start, b.train_end)), ("validation", (b.train_end, b.val_end)),
                               ("gap", (b.val_end, b.test_start)), ("test", (b.test_start, b.test_end)))
        if hi > lo
    ]
    flagged = {"learned": [], "constant": [], "fixed": []}
    for name, h in panel.honesty.items():
        if name == "naive" or h["move_evidence"]:
            continue
        group = ("fixed" if not result.models[name].learns else
                 "constant" if not np.isfinite(h["move_p"]) else "learned")
        flagged[group].append(result.titles[name] + (f" (p = {h['move_p']:.2f})" if np.isfinite(h["move_p"]) else ""))
    searches = result.searches()
    from toolkit.forecasters.keras_forecaster import has_dropout

    with_dropout = [result.titles[name] for name, _ in neural
                    if getattr(result.models[name], "model_", None) is not None and has_dropout(result.models[name].model_)]
    context = {
        "with_dropout": with_dropout,
        "result": result,
        "model_rows": _model_rows(result),
        "failed": [(name, _lineup_title(result, name), reason) for name, reason in result.failures.items()],
        "searches": [_search_row(result, name, records) for name, records in searches.items()],
        "search_figure": figure_to_data_uri(plots.search_figure(
            {name: records[-1].trials for name, records in searches.items()})) if searches else None,
        "flagged": flagged,
        "panel": panel,
        "honesty": panel.honesty,
        "titles": result.titles,
        "descriptions": result.descriptions,
        "levels": LEVELS,
        "method_titles": METHOD_TITLES,
        "native_method": lambda name: result.models[name].interval_,
        "cfg": cfg,
        "title": f"Forecast report: {prov.name}",
        "provenance": prov,
        "cleaning": result.prices.cleaning,
        # What reading did that the data table does not show already (repeats, dropped leading rows).
        "reading_notes": [line for line in result.prices.notes()
                          if not line.startswith(("file:", "dates:", "intraday:", "missing or unreadable"))
                          and "one-day jump" not in line],
        "split_rows": split_rows,
        "first_date": result.dates[0].date(),
        "last_date": result.dates[-1].date(),
        "last_price": last_price,
        "n_test": len(actual),
        "metric_rows": [(rank + 1, name, result.headline[name]) for rank, name in enumerate(result.ranking)],
        "loss_figures": [(name, record, figure_to_data_uri(plots.loss_curves_figure(
            record.history, result.titles[name], record.best_epoch))) for name, record in neural],
        "split_figure": figure_to_data_uri(plots.price_split_figure(
            result.dates, result.series, [f.bounds for f in result.folds],
            f"{prov.name}: {result.prices.target}, test blocks shaded")),
        "test_figure": figure_to_data_uri(plots.actual_vs_predicted_figure(
            target_dates, actual, {name: predictions[name] for name in drawn_lines},
            f"Test forecasts {cfg.horizon} trading day(s) ahead", result.titles)),
        "drawn_lines": [result.titles[name] for name in drawn_lines],
        "residual_figure": figure_to_data_uri(plots.residuals_figure(
            target_dates, actual, {name: predictions[name] for name in result.ranking}, result.titles)),
        "interval_figure": figure_to_data_uri(plots.interval_figure(
            target_dates, actual, {name: predictions[name] for name in drawn}, bands,
            title="adaptive conformal bands", titles=result.titles)),
        "strategy_figure": figure_to_data_uri(plots.strategy_figure(
            next_day_dates, {name: s["wealth"] for name, s in panel.strategy.items()},
            strategy_hold, cfg.cost_bps, result.titles)) if panel.strategy else None,
        "attention_figures": [(result.titles[name], figure_to_data_uri(plots.attention_figure(
            weights, f"{result.titles[name]}: attention of the forecast past the data",
            [f"t-{lag}" for lag in range(weights.shape[1] - 1, 0, -1)] + ["t"])))
                              for name, weights in attention_weights(result.models).items()],
        "always_long": [result.titles[name] for name in plots.coinciding(
            {name: s["wealth"] for name, s in panel.strategy.items()}, strategy_hold)] if panel.strategy else [],
        "forecast_rows": [(name, values, [100 * (v / last_price - 1) for v in values], result.next_intervals[name])
                          for name, values in result.next_forecasts.items()],
        # Keras' progress style follows the terminal; not a setting of the run
        "config": {key: value for key, value in asdict(cfg).items() if key != "verbose"},
    }
    return render("forecast.html.j2", **context)

