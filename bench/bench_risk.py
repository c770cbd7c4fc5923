"""The risk run's goals, measured: the default run on the bundled ^GSPC and ^IXIC, and a simulated
GARCH(1,1)-t series whose true variance is known.

Run: .venv/bin/python bench/bench_risk.py [--days 5000] [--seed 7]

For each bundled index, the default ``RiskConfig()`` (every built-in model, the LSTM included,
walked forward from 2004 with quarterly refits): the wall time, QLIKE and the Holm-adjusted
Diebold-Mariano p-value of every model against the 22-day historical variance, the LSTM against
HAR, every 99% VaR series' backtest, and the normal-EWMA (RiskMetrics) 99% VaR in 2008. Then a
GARCH(1,1) with unit-variance Student-t shocks (omega 2e-6, alpha 0.08, beta 0.90, nu 6), Close
only: the true variance joins as an "oracle" model, and a GARCH(1,1)-t fitted on all of it is
compared with the truth in standard errors. Prints JSON and writes bench/results/risk.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

TRUTH = {"omega": 2e-6, "alpha[1]": 0.08, "beta[1]": 0.90, "nu": 6.0}


def simulate(days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns (days,) and true variances (days + 1,): the last is the day after the data."""
    o, a, b, nu = TRUTH["omega"], TRUTH["alpha[1]"], TRUTH["beta[1]"], TRUTH["nu"]
    rng = np.random.default_rng(seed)
    shocks = rng.standard_t(nu, days) * np.sqrt((nu - 2) / nu)
    variance, returns = np.empty(days + 1), np.empty(days)
    variance[0] = o / (1 - a - b)
    for t in range(days):
        returns[t] = np.sqrt(variance[t]) * shocks[t]
        variance[t + 1] = o + a * returns[t] ** 2 + b * variance[t]
    return returns, variance


def oracle_class():
    from toolkit.forecasters.variance import VarianceForecaster

    class Oracle(VarianceForecaster):
        """The simulation's true conditional variance (RiskData row i = return i)."""

        learns = False

        def __init__(self, truth=None):
            self.truth = truth

        def default_title(self):
            return "Oracle (true variance)"

        def predict(self, data, start):
            return self.truth[start:len(data) + 1]

    return Oracle


def bundled(ticker: str) -> pd.DataFrame:
    from toolkit.data.bundled import find_bundled, read_bundled

    return read_bundled(find_bundled(ticker))


def index_run(ticker: str) -> dict:
    from toolkit.runs.risk import RiskConfig, run_risk

    started = time.perf_counter()
    result = run_risk(bundled(ticker), RiskConfig(), name=ticker, calendar="XNYS", log=lambda line: None)
    seconds = time.perf_counter() - started
    m = result.metrics
    vol = m["volatility"]
    var99 = {key: {k: row[k] for k in ("violations", "expected", "kupiec_p", "independence_p", "passes")}
             for key, row in m["var"].items() if key.endswith("/0.99")}
    ewma_2008 = m["by_year"].get("ewma/normal/0.99", {}).get("2008")
    return {"ticker": ticker, "seconds": round(seconds, 1), "forecast_days": m["forecast_days"],
            "ranking": m["ranking"],
            "qlike": {n: round(v["qlike"], 4) for n, v in vol.items()},
            "holm_p_vs_hist22": {n: v["dm_p_holm"] for n, v in vol.items() if v["dm_p_holm"] is not None},
            "in_mcs": [n for n, v in vol.items() if v["in_mcs"]],
            "lstm_vs_har": m["network_vs_har"], "var99": var99, "ewma_normal_2008": ewma_2008,
            "model_seconds": {k[len("model "):]: round(v, 1) for k, v in result.seconds.items() if k.startswith("model ")},
            "verdict": m["verdict"]}


def simulated_run(days: int, seed: int) -> dict:
    from toolkit.forecasters.garch import GarchVariance
    from toolkit.forecasters.variance import RiskData
    from toolkit.runs.risk import RiskConfig, run_risk

    returns, variance = simulate(days, seed)
    dates = pd.bdate_range("2000-01-03", periods=days + 1)
    frame = pd.DataFrame({"Close": 100 * np.exp(np.r_[0.0, np.cumsum(returns)])}, index=dates)
    config = RiskConfig(models=("hist22", "ewma", "garch", "garch_t", "gjr_t", "har", "lstm"))
    result = run_risk(frame, config, models={"oracle": oracle_class()(variance)}, log=lambda line: None)
    fitted = GarchVariance("garch", "t").fit(RiskData(returns, returns ** 2))
    scale = {"omega": 1e4}  # arch fits percent returns: omega in percent^2
    z = {k: (fitted.params_[k] - scale.get(k, 1) * v) / fitted.std_errors_[k] for k, v in TRUTH.items()}
    return {"days": days, "seed": seed, "ranking": result.metrics["ranking"],
            "qlike": {n: round(v["qlike"], 5) for n, v in result.metrics["volatility"].items()},
            "garch_t_fit": {k: {"estimate": fitted.params_[k], "std_error": fitted.std_errors_[k],
                                "truth": scale.get(k, 1) * TRUTH[k], "z": round(z[k], 2)} for k in TRUTH}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = {"indices": [index_run(t) for t in ("^GSPC", "^IXIC")], "simulated": simulated_run(args.days, args.seed)}
    print(json.dumps(rows, indent=1, default=float))
    out = Path(__file__).resolve().parent / "results" / "risk.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1, default=float))


if __name__ == "__main__":
    main()
