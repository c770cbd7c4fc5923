"""Baselines and metrics: pure numpy / scikit-learn, no I/O."""

from toolkit.evaluation.baselines import NaivePersistence, WindowLinear
from toolkit.evaluation.metrics import forecast_metrics, rank_models, verdict

__all__ = ["NaivePersistence", "WindowLinear", "forecast_metrics", "rank_models", "verdict"]
