"""One interface for every forecasting model, built-in or yours.

Every model of a forecast run is a :class:`Forecaster`: the benchmarks, ETS and ARIMA, the
linear model and the lecture networks, and any model you bring::

    from sklearn.linear_model import Ridge
    from statsforecast.models import AutoTheta
    from toolkit.builders import stacked_gru
    from toolkit.forecasters import KerasForecaster, SklearnForecaster, StatsForecaster
    from toolkit.runs.forecast import run_forecast

    result = run_forecast(prices, models={
        "gru64": KerasForecaster(stacked_gru, units=64),   # any function returning a keras.Model
        "ridge": SklearnForecaster(Ridge(alpha=1.0)),       # any scikit-learn regressor
        "theta": StatsForecaster(AutoTheta()),              # any statsforecast model with forward()
    })

Each is cloned per walk-forward fold, fitted on that fold's rows and scored with the same
honesty panel, conformal intervals, strategy check and report as the lecture's LSTM. A model
of your own is a small subclass of :class:`WindowForecaster` (``fit_windows`` and
``predict_windows``) or of :class:`Forecaster` (``fit`` and ``predict`` on prices).
"""

from toolkit.forecasters.adapt import as_forecaster
from toolkit.forecasters.base import FitContext, Forecaster, InputShape, WindowForecaster, clone, part_inputs
from toolkit.forecasters.benchmarks import Drift, MeanReturn, MovingAverage, Naive
from toolkit.forecasters.keras_forecaster import KerasForecaster
from toolkit.forecasters.seq2seq_forecaster import Seq2SeqForecaster
from toolkit.forecasters.sklearn_forecaster import SklearnForecaster
from toolkit.forecasters.statistical import StatsForecaster

__all__ = [
    "Drift", "FitContext", "Forecaster", "InputShape", "KerasForecaster", "MeanReturn", "MovingAverage", "Naive",
    "Seq2SeqForecaster", "SklearnForecaster", "StatsForecaster", "WindowForecaster", "as_forecaster", "clone", "part_inputs",
]
