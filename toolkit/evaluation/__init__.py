"""Metrics, backtests and tests of forecasts: pure numpy / scikit-learn / SciPy, no I/O."""

from toolkit.evaluation.metrics import forecast_metrics, rank_models
from toolkit.evaluation.significance import diebold_mariano, verdict

__all__ = ["diebold_mariano", "forecast_metrics", "rank_models", "verdict"]
