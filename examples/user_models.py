"""Models of your own, for the honest comparison: any door takes them.

    toolkit forecast --models naive,lstm,gru16=examples/user_models.py:small_gru
    toolkit forecast --models naive,boost=examples/user_models.py:boosting,ewma=examples/user_models.py:EWMAReturn

    # a pipeline file
    [models.gru16]
    builder = "../examples/user_models.py:small_gru"   # relative to the pipeline file
    units = 16

    # a notebook
    from examples.user_models import small_gru
    run_forecast(prices, config, models={"gru16": KerasForecaster(small_gru, units=16)})

Naming this file runs it (as ``import`` does): keep it to model definitions.
"""

import keras
import numpy as np
from keras import layers
from sklearn.ensemble import GradientBoostingRegressor

from toolkit.forecasters import Forecaster, part_inputs


def small_gru(window: int, n_features: int, outputs: int, units: int = 16, dropout: float = 0.1) -> keras.Model:
    """A one-layer GRU: windows ``(None, window, n_features)`` -> ``(None, outputs)``.

    Returned uncompiled: the toolkit compiles it with Adam and the mean squared error (and
    the run's learning rate when one is given or searched).
    """
    return keras.Sequential([
        keras.Input(shape=(window, n_features), name="window"),
        layers.GRU(units, name="gru"),
        layers.Dropout(dropout, name="dropout"),
        layers.Dense(outputs, name="output"),
    ], name="small_gru")


def window_mlp(window: int, n_features: int, outputs: int, units: int = 32) -> keras.Model:
    """A plain MLP on the flattened window (its input is flat, so the run flattens windows)."""
    model = keras.Sequential([
        keras.Input(shape=(window * n_features,), name="flat_window"),
        layers.Dense(units, activation="relu", name="hidden"),
        layers.Dense(outputs, name="output"),
    ], name="window_mlp")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mae")  # compiled: the toolkit keeps its choice
    return model


#: A scikit-learn regressor, configured here: the run fits a fresh copy per fold.
boosting = GradientBoostingRegressor(n_estimators=50, max_depth=2, learning_rate=0.05)


class EWMAReturn(Forecaster):
    """A rule of your own on prices: the last price grown at an exponentially weighted mean of
    the training rows' log returns (``halflife`` days).

    The whole interface: store the arguments, learn in ``fit`` (attributes ending in ``_``),
    forecast prices ``(m, horizon)`` in ``predict``.
    """

    def __init__(self, halflife: int = 20, title=None):
        self.halflife = halflife
        self.title = title

    def default_title(self):
        return f"EWMA return (half-life {self.halflife} days)"

    def fit(self, data, context):
        b = data.bounds
        returns = np.diff(np.log(data.prices[b.train_start:b.train_end]))
        weights = 0.5 ** (np.arange(len(returns))[::-1] / self.halflife)
        self.mean_ = float(weights @ returns / weights.sum())
        self.n_params_ = 1
        return self

    def predict(self, data, part):
        _, origin = part_inputs(data, part)
        steps = np.arange(1, data.horizon + 1)
        return data.prices[origin][:, None] * np.exp(self.mean_ * steps)
