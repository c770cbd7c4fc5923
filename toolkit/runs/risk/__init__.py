"""The risk run: volatility and Value-at-Risk forecasts, backtested as regulators and econometricians do.

``toolkit risk TICKER`` (or ``toolkit run risk``) walks volatility models forward over daily
bars (historical variance, EWMA, the GARCH family, HAR, an LSTM on log variance, and yours),
scores them against a variance proxy with QLIKE and MSE (Diebold-Mariano with Holm,
Mincer-Zarnowitz, the model confidence set), turns each into VaR and expected shortfall at
95% and 99% four ways, backtests those (Kupiec, Christoffersen, Basel traffic light,
McNeil-Frey), and forecasts tomorrow on the exchange's next session.
"""

from toolkit.runs.risk.config import DEFAULT_MODELS, MODELS, VAR_METHODS, RiskConfig

__all__ = ["DEFAULT_MODELS", "MODELS", "VAR_METHODS", "RiskConfig", "RiskResult", "run_risk"]


def __getattr__(name):  # the run imports NumPy and pandas: only when asked for (the CLI's help stays light)
    if name in ("RiskResult", "run_risk"):
        from toolkit.runs.risk import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
