"""The risk report's sections, its summary in words and its metrics."""

from __future__ import annotations

import numpy as np

from toolkit.reports.risk_plots import ANNUAL, var_band_figure, volatility_figure
from toolkit.reports.science import Section, Table
from toolkit.runs.risk.config import METHOD_TITLES, VAR_METHODS
from toolkit.runs.risk.scoring import STATISTICAL_FAMILY, var_verdict, volatility_verdict

SHOWN = ("hist22", "ewma", "gjr_t", "har", "lstm")  # the volatility figure's lines, with the best model


def _p(value) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.3f}"


def _method(method: str) -> str:
    return METHOD_TITLES[method]


def _volatility_section(prepared, config, paths, scores, network_vs_har) -> Section:
    rows = scores["models"]
    table = Table(
        ["model", "kind", "QLIKE", "MSE (x1e-8)", "DM stat", "Holm p", "beats reference", "MCS p", "in MCS",
         "MZ a (x1e-4)", "MZ b", "MZ R2", "MZ p"],
        [[rows[n]["title"], paths[n].kind, rows[n]["qlike"], 1e8 * rows[n]["mse"],
          rows[n]["dm_statistic"], _p(rows[n]["dm_p_holm"]),
          "—" if rows[n]["beats_reference"] is None else ("yes" if rows[n]["beats_reference"] else "no"),
          _p(rows[n]["mcs_p"]), "yes" if rows[n]["in_mcs"] else "no",
          1e4 * rows[n]["mincer_zarnowitz"]["a"], rows[n]["mincer_zarnowitz"]["b"],
          rows[n]["mincer_zarnowitz"]["r2"], _p(rows[n]["mincer_zarnowitz"]["p_value"])]
         for n in scores["ranking"]],
        caption="Lower QLIKE is better: the mean of ln(forecast) + proxy / forecast, Patton's QLIKE less a term of "
                "the proxy alone (the same differences and ranks; a proxy of 0 is allowed). "
                f"DM: Diebold-Mariano on QLIKE against {rows[config.reference]['title']}, Newey-West variance, "
                f"Holm-adjusted across models. MCS: Hansen-Lunde-Nason p-value, in the set above "
                f"{config.mcs_size:g}. MZ: proxy = a + b forecast, HAC errors; p tests a = 0 and b = 1 jointly.")
    shown = [scores["ranking"][0]] + [n for n in SHOWN if n in paths and n != scores["ranking"][0]]
    figure = volatility_figure(prepared.dates[config.min_train:], prepared.data.proxy[config.min_train:],
                               {rows[n]["title"]: paths[n].variance for n in shown},
                               "One-day-ahead volatility forecasts, annualised")
    text = (f"Every model forecast each day's variance from the days before it only, refitted from the rows before "
            f"each origin: statistical models every {config.refit_every} days, networks "
            + (f"every {config.network_refit_every:,} days" if config.network_refit_every < len(prepared.data) - config.min_train
               else "once, at the first origin") + f". Scored against the {prepared.proxy.replace('_', '-')} proxy "
            f"({len(prepared.data) - config.min_train:,} days).")
    section = Section("Volatility forecasts", text=text, tables=[table])
    section.figure(figure, "Annualised volatility forecasts against the proxy's 22-day mean.")
    if network_vs_har is not None:
        section.notes.append(volatility_verdict(scores, config, network_vs_har)[-1])
    return section


def _var_section(prepared, config, paths, scores, rows, forecasts) -> Section:
    tables = []
    for level in sorted(config.levels, reverse=True):
        header = [f"model ({level:.0%} VaR)", "method", "expected", "violations", "Kupiec p", "independence p",
                  "cond. coverage p", "Basel zone (last 250)", "ES p (McNeil-Frey)", "held"]
        body = []
        for name in scores["ranking"]:
            for method in VAR_METHODS:
                r = rows[name, method, level]
                body.append([paths[name].title, _method(method), r["expected"], r["violations"], _p(r["kupiec_p"]),
                             _p(r["independence_p"]), _p(r["conditional_coverage_p"]),
                             f"{r['zone']} ({r['zone_violations']})" if r["zone"] else "—", _p(r["es_p"]),
                             "yes" if r["passes"] else "no"])
        tables.append(Table(header, body, caption=f"{level:.0%} VaR. Held: Kupiec and Christoffersen independence p "
                                                  "above 0.05. Zone: the Basel traffic light of the last 250 days "
                                                  "(violations in brackets), for the 99% VaR it was made for. ES p: McNeil and Frey's bootstrap, one-sided "
                                                  "(low: the ES understates the tail)."))
    section = Section("Value-at-Risk backtests", tables=tables,
                      text="VaR and expected shortfall of the daily log return from each variance forecast: normal, "
                           "Student-t (unit variance; the model's own degrees of freedom, or fitted to its standardised "
                           "training returns at each refit), filtered historical simulation of those returns, and a "
                           f"split-conformal quantile of the last {config.calibration_days} standardised returns.")
    best, level = scores["ranking"][0], max(config.levels)
    held = [m for m in VAR_METHODS if rows[best, m, level]["passes"]]
    method = held[0] if held else "student_t"
    returns, var = prepared.data.returns[config.min_train:], forecasts[best, method, level].var
    figure = var_band_figure(prepared.dates[config.min_train:], returns, var,
                             f"{paths[best].title}: {level:.0%} VaR ({_method(method)}) and its violations")
    section.figure(figure, f"The best model's {level:.0%} VaR by {_method(method)}, which "
                           f"{'held' if held else 'failed (no method held)'}: {int(np.sum(-returns > var))} violations "
                           f"of {len(var) * (1 - level):.1f} expected.")
    return section


def yearly_series(scores, config, paths) -> list[tuple[str, str]]:
    """The ``(model, method)`` series of the by-year table: the best model by every method, then the
    reference and EWMA with normal errors (RiskMetrics' VaR)."""
    best = scores["ranking"][0]
    shown = [(best, m) for m in VAR_METHODS]
    return shown + [(n, "normal") for n in dict.fromkeys((config.reference, "ewma")) if n in paths and n != best]


def _yearly_section(prepared, config, paths, by_year, series) -> Section:
    level = max(config.levels)
    header = ["year", "days", "expected"] + [f"{paths[n].title} ({_method(m)})" for n, m in series]
    years = sorted(by_year[series[0]])
    body = []
    for year in years:
        first = by_year[series[0]][year]
        body.append([str(year), first["days"], first["expected"]] +
                    [f"{by_year[key][year]['violations']} (p {_p(by_year[key][year]['kupiec_p'])})" for key in series])
    return Section("Violations by year", tables=[Table(header, body, caption=f"{level:.0%} VaR violations per calendar "
                                                                            "year, with Kupiec's p-value for that year "
                                                                            "alone (a crisis year tests the tails).")])


def _tomorrow_section(paths, scores, rows, forecasts, config, tomorrow, calendar, calendar_note) -> Section:
    top = max(config.levels)
    header = ["model", "volatility (%)", "annualised (%)"]
    for level in sorted(config.levels, reverse=True):
        header += [f"VaR {level:.0%} {_method(m)} (%)" for m in VAR_METHODS]
    header += [f"ES {top:.0%} conformal (%)", f"held at {top:.0%}"]
    body = []
    for name in scores["ranking"]:
        sigma = float(np.sqrt(paths[name].tomorrow))
        row = [paths[name].title, 100 * sigma, ANNUAL * sigma]
        for level in sorted(config.levels, reverse=True):
            row += [100 * forecasts[name, m, level].var_tomorrow for m in VAR_METHODS]
        held = ", ".join(_method(m) for m in VAR_METHODS if rows[name, m, top]["passes"]) or "none"
        body.append(row + [100 * forecasts[name, "conformal", top].es_tomorrow, held])
    text = (f"For {tomorrow.date()}, the next session on the {calendar} calendar"
            + (f" ({calendar_note})" if calendar_note else "")
            + ", from each model's latest refit: the one-day volatility, and the loss (percent of log return) "
              "the VaR says is exceeded with 1% or 5% probability. The last column names the methods whose backtest "
              "held: trust those.")
    return Section("Tomorrow", text=text, tables=[Table(header, body)])


def _models_section(paths) -> Section:
    body = [[p.title, p.kind, len(p.blocks), p.seconds, p.floored, p.blocks[-1].description or "—"]
            for p in paths.values()]
    section = Section("Models", tables=[Table(["model", "kind", "fits", "seconds", "forecasts floored", "latest fit"],
                                              body)])
    section.notes.append("Forecasts floored: variance forecasts below a millionth of the mean squared return before "
                         "the first forecast (0, say, from a historical variance over stale prices) raised to it.")
    return section


def build_sections(*, prepared, config, paths, scores, rows, forecasts, network_vs_har, failures, name, tomorrow,
                   calendar, calendar_note):
    from toolkit.runs.risk.var import by_year as count_by_year

    level = max(config.levels)
    series = yearly_series(scores, config, paths)
    returns, dates = prepared.data.returns[config.min_train:], prepared.dates[config.min_train:]
    by_year = {key: count_by_year(dates, returns, forecasts[key[0], key[1], level].var, level) for key in series}
    """``(sections, summary, metrics, warnings)`` of the report."""
    best = scores["ranking"][0]
    lines = volatility_verdict(scores, config, network_vs_har)
    lines.append(var_verdict(rows, scores["models"][best]["title"], best, level, VAR_METHODS))
    passing = [f"{paths[n].title} ({_method(m)})" for n in scores["ranking"] for m in VAR_METHODS
               if rows[n, m, level]["passes"]]
    lines.append(f"{len(passing)} of {len(paths) * len(VAR_METHODS)} {level:.0%} VaR series held"
                 + (f", first by QLIKE: {', '.join(passing[:3])}." if passing else "."))
    sigma = float(np.sqrt(paths[best].tomorrow))
    by_method = ", ".join(f"{100 * forecasts[best, m, level].var_tomorrow:.2f}% {_method(m)} "
                          f"({'held' if rows[best, m, level]['passes'] else 'failed'})" for m in VAR_METHODS)
    when = f"{tomorrow.date()}" + (", the next business day; --calendar names an exchange" if calendar == "business-days"
                                   else f", the next {calendar} session")
    lines.append(f"Tomorrow ({when}): {scores['models'][best]['title']} forecasts a volatility of "
                 f"{100 * sigma:.2f}% ({ANNUAL * sigma:.1f}% annualised); its {level:.0%} VaR: {by_method}.")
    summary = " ".join(lines)
    sections = [
        _volatility_section(prepared, config, paths, scores, network_vs_har),
        _var_section(prepared, config, paths, scores, rows, forecasts),
        _yearly_section(prepared, config, paths, by_year, series),
        _tomorrow_section(paths, scores, rows, forecasts, config, tomorrow, calendar, calendar_note),
        _models_section(paths),
    ]
    warnings = [f"{n} left the comparison: {reason}" for n, reason in failures.items()]
    metrics = {
        "series": name, "days": len(prepared.data), "forecast_days": len(prepared.data) - config.min_train,
        "first_forecast": str(prepared.dates[config.min_train].date()), "last_day": str(prepared.dates[-1].date()),
        "proxy": prepared.proxy, "feature_proxy": prepared.feature_proxy, "ranking": scores["ranking"],
        "volatility": scores["models"],
        "network_vs_har": network_vs_har,
        "by_year": {f"{n}/{m}/{level:g}": {str(y): v for y, v in counts.items()} for (n, m), counts in by_year.items()},
        "var": {f"{n}/{m}/{lv:g}": r for (n, m, lv), r in rows.items()},
        "tomorrow": {"date": str(tomorrow.date()), "calendar": calendar,
                     "models": {n: {"variance": paths[n].tomorrow,
                                    **{f"{m}/{lv:g}": {"var": forecasts[n, m, lv].var_tomorrow,
                                                       "es": forecasts[n, m, lv].es_tomorrow}
                                       for m in VAR_METHODS for lv in config.levels}} for n in paths}},
        "statistical_family": [n for n in STATISTICAL_FAMILY if n in paths],
        "failed_models": failures, "verdict": lines,
    }
    return sections, summary, metrics, warnings
