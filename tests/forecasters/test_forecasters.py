"""The forecaster interface and its adapters: parameters and clones, what a Keras builder is
called with and how its model is read, scikit-learn and statsforecast models, and the errors."""

import doctest
import importlib

import keras
import numpy as np
import pytest
from keras import layers

from tests.conftest import random_walk
from toolkit.builders import GaussianHead, stacked_gru, stacked_lstm
from toolkit.forecasters import (
    FitContext, Forecaster, InputShape, KerasForecaster, MovingAverage, Naive, SklearnForecaster, StatsForecaster,
    WindowForecaster, as_forecaster, clone,
)
from toolkit.pipelines.windowed import make_windowed_data

QUIET = FitContext(horizon=1, epochs=2, batch_size=64, patience=2, verbose=0, mc_samples=4, log=lambda line: None)
SHAPE = InputShape(window=20, n_features=1, horizon=1)


@pytest.fixture(scope="module")
def data():
    return make_windowed_data(random_walk(400, seed=5), window=20, horizon=1)


def test_clone_is_unfitted_with_the_same_arguments():
    model = KerasForecaster(stacked_gru, units=8, dropout=0.1, epochs=3, title="my GRU")
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert copy.get_params() == {"builder": stacked_gru, "epochs": 3, "batch_size": None, "patience": None,
                                 "learning_rate": None, "intervals": "auto", "space": None, "title": "my GRU",
                                 "units": 8, "dropout": 0.1}
    copy.set_params(units=16)
    assert model.builder_kwargs["units"] == 8 and copy.builder_kwargs["units"] == 16  # the copy owns its arguments
    assert repr(model).startswith("KerasForecaster(builder=stacked_gru, epochs=3")
    assert KerasForecaster(stacked_gru, units=8).title == "stacked_gru(units=8)"
    with pytest.raises(ValueError, match=r"stacked_lstm\(\) takes no argument 'unitz'"):
        KerasForecaster(stacked_lstm).set_params(unitz=3)
    ridge = SklearnForecaster(__import__("sklearn.linear_model").linear_model.Ridge(alpha=2.0))
    twin = clone(ridge).set_params(alpha=5.0)  # a regressor's own parameters reach it through the adapter
    assert ridge.regressor.alpha == 2.0 and twin.regressor.alpha == 5.0


def test_keras_builder_gets_window_features_and_outputs_and_an_uncompiled_model_gets_adam_and_mse():
    seen = {}

    def builder(window, n_features, outputs, units=4):
        seen.update(window=window, n_features=n_features, outputs=outputs, units=units)
        return keras.Sequential([keras.Input((window, n_features)), layers.LSTM(units), layers.Dense(outputs)])

    model = KerasForecaster(builder, units=6, learning_rate=3e-3).build(InputShape(30, 2, horizon=4))
    assert seen == {"window": 30, "n_features": 2, "outputs": 4, "units": 6}
    assert type(model.optimizer).__name__ == "Adam" and model.loss == "mse"
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-3)
    recursive = InputShape(30, 2, horizon=4, multistep="recursive")
    assert KerasForecaster(builder).build(recursive).output_shape == (None, 1)  # one step, fed its own forecasts
    compiled = KerasForecaster(stacked_lstm, units=4, dense_units=2, learning_rate=5e-3).build(SHAPE)
    assert float(compiled.optimizer.learning_rate) == pytest.approx(5e-3)  # passed to a builder that takes it


def test_flat_input_gaussian_head_and_dropout_set_how_the_model_is_read(data):
    def flat(window, n_features, outputs):
        inputs = keras.Input((window * n_features,))
        return keras.Model(inputs, GaussianHead(noise="heteroscedastic", outputs=outputs)(layers.Dense(8)(inputs)))

    model = KerasForecaster(flat, epochs=2).fit(data, QUIET)
    assert (model.flat_, model.gaussian_, model.interval_) == (True, True, "gaussian")
    assert model.predict_windows(data.x["test"]).shape == (len(data.x["test"]), 1)  # the means only
    lower, upper = model.predict_interval(data, "test")[0.8]
    forecast = model.predict(data, "test")
    assert (lower < forecast).all() and (forecast < upper).all()
    gru = KerasForecaster(stacked_gru, units=4, dense_units=2).fit(data, QUIET)
    assert gru.interval_ == "mc-dropout" and gru.n_params_ == gru.model_.count_params()
    assert 0.8 in gru.predict_interval(data, "test")
    plain = KerasForecaster(stacked_lstm, units=4, dense_units=2, dropout=0.0).fit(data, QUIET)
    assert plain.interval_ is None and plain.predict_interval(data, "test") == {}


@pytest.mark.parametrize("builder, message", [
    (lambda window, n_features, outputs: keras.Sequential([keras.Input((window, n_features)), layers.Flatten(),
                                                           layers.Dense(3)]),
     "outputs shape (None, 3); horizon 1 needs (None, 1)"),
    (lambda window, n_features, outputs: keras.Sequential([keras.Input((30, 1)), layers.Flatten(), layers.Dense(1)]),
     "takes inputs of shape (None, 30, 1); the run feeds windows of shape (None, 20, 1), or (None, 20) flattened"),
    (lambda window, n_features, outputs: "not a model", "cannot be built: <lambda>() returned str, not a keras.Model"),
    (lambda window, n_features, outputs: 1 / 0, "cannot be built: <lambda>() raised ZeroDivisionError: division by zero"),
    (lambda window, outputs: None, "cannot be built: <lambda>() takes no argument 'n_features'; a builder takes window"),
])
def test_keras_shape_and_builder_errors_are_one_line(builder, message):
    with pytest.raises(ValueError) as err:
        KerasForecaster(builder).check(SHAPE)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


@pytest.mark.parametrize("options, message", [
    ({"epochs": -5}, "needs epochs as a whole number from 1 to 10,000, or left out for the run's. Received: epochs=-5"),
    ({"epochs": "3"}, "needs epochs as a whole number from 1 to 10,000"),
    ({"batch_size": 0}, "needs batch_size as a whole number from 1 to 65,536"),
    ({"patience": 1.5}, "needs patience as a whole number from 1 to 10,000"),
    ({"learning_rate": -1.0}, "needs learning_rate as a number in (0, 10], or left out. Received: learning_rate=-1.0"),
])
def test_a_keras_models_own_training_settings_are_checked(options, message):
    with pytest.raises(ValueError) as err:
        KerasForecaster(stacked_lstm, units=4, dense_units=2, **options).check(SHAPE)
    assert str(err.value).startswith(message)


def test_a_model_without_an_input_shape_is_named():
    with pytest.raises(ValueError, match=r"has no input shape yet: start it with keras.Input\(shape="):
        KerasForecaster(lambda window, n_features, outputs: keras.Sequential([layers.Dense(outputs)])).check(SHAPE)


def test_run_owned_arguments_and_bad_intervals_are_refused():
    with pytest.raises(ValueError, match="sets window, which the run sets from the data; leave it out"):
        KerasForecaster(stacked_lstm, window=30).check(SHAPE)
    with pytest.raises(ValueError, match="intervals must be one of auto, gaussian, mc-dropout or None"):
        KerasForecaster(stacked_lstm, intervals="bootstrap").check(SHAPE)


def test_sklearn_regressor_one_output_per_step_seeded_and_saved_without_pickle(data, tmp_path):
    import skops.io
    from sklearn.ensemble import GradientBoostingRegressor

    three = make_windowed_data(random_walk(400, seed=5), window=20, horizon=3)
    boost = SklearnForecaster(GradientBoostingRegressor(n_estimators=5, subsample=0.8))
    fitted = boost.fit(three, FitContext(horizon=3, seed=7, log=lambda line: None))
    assert type(fitted.estimator_).__name__ == "MultiOutputRegressor" and len(fitted.estimator_.estimators_) == 3
    assert fitted.estimator_.estimators_[0].random_state == 7  # None becomes the run's seed: reruns agree
    assert boost.regressor.random_state is None  # the definition is untouched
    again = clone(boost).fit(three, FitContext(horizon=3, seed=7, log=lambda line: None))
    np.testing.assert_array_equal(again.predict(three, "test"), fitted.predict(three, "test"))
    assert fitted.predict(three, "test").shape == (len(three.origin["test"]), 3)
    assert fitted.save(tmp_path, "boost") == ["boost.skops"]
    untrusted = skops.io.get_untrusted_types(file=tmp_path / "boost.skops")
    assert "sklearn.tree._tree.Tree" in untrusted  # loading asks you to trust them by name: no blind unpickling
    with pytest.raises(Exception, match="Untrusted types"):
        skops.io.load(tmp_path / "boost.skops")
    loaded = skops.io.load(tmp_path / "boost.skops", trusted=untrusted)
    flat = three.x["test"].reshape(len(three.x["test"]), -1).astype("float64")
    np.testing.assert_array_equal(loaded.predict(flat), fitted.estimator_.predict(flat))


def test_statsforecast_model_runs_forward_from_every_origin_and_one_without_forward_is_refused(data):
    from statsforecast.models import AutoTheta, HistoricAverage

    theta = StatsForecaster(AutoTheta()).fit(data, QUIET)
    forecast = theta.predict(data, "test")
    assert forecast.shape == (len(data.origin["test"]), 1) and (forecast > 0).all()
    lower, upper = theta.predict_interval(data, "test")[0.95]
    assert (lower <= forecast).all() and (forecast <= upper).all() and theta.interval_ == "model"
    assert theta.title == "AutoTheta (log prices)"
    with pytest.raises(ValueError, match=r"is statsforecast's HistoricAverage, which has no forward\(\)"):
        StatsForecaster(HistoricAverage()).check(SHAPE)


def test_as_forecaster_adapts_every_kind_and_refuses_the_rest():
    from sklearn.linear_model import Ridge
    from statsforecast.models import AutoETS

    assert isinstance(as_forecaster(stacked_gru, {"units": 8}), KerasForecaster)
    ridge = as_forecaster(Ridge, {"alpha": 0.5, "title": "ridge"})
    assert isinstance(ridge, SklearnForecaster) and ridge.regressor.alpha == 0.5 and ridge.title == "ridge"
    instance = Ridge(alpha=3.0)
    assert as_forecaster(instance).regressor is not instance  # a fresh copy: the run never fits yours
    ets = as_forecaster(AutoETS, {"model": "ANN"})
    assert isinstance(ets, StatsForecaster) and ets.model.model == "ANN"
    rebuilt = clone(ets).set_params(model="AAN")  # a statsforecast model's own argument, for the search
    assert rebuilt.model.model == "AAN" and ets.model.model == "ANN"
    assert as_forecaster(MovingAverage, {"days": 3}).days == 3
    assert as_forecaster(Naive()).get_params() == {"title": None}
    with pytest.raises(ValueError, match="is a built Keras model; give a function that builds the model"):
        as_forecaster(stacked_lstm(units=4, dense_units=2))
    with pytest.raises(ValueError, match="is the Keras class Dense; give a function that builds the model"):
        as_forecaster(keras.layers.Dense)
    from sklearn.cluster import KMeans

    with pytest.raises(ValueError, match=r"is a scikit-learn clusterer \(KMeans\), not a regressor"):
        as_forecaster(KMeans)
    with pytest.raises(ValueError, match="is int 3; give a Keras builder function"):
        as_forecaster(3)
    with pytest.raises(ValueError, match="is the class dict, which has no fit/predict"):
        as_forecaster(dict)
    with pytest.raises(ValueError, match=r"cannot be created: Ridge\(alfa=1\) raised TypeError"):
        as_forecaster(Ridge, {"alfa": 1})


class _Trend(WindowForecaster):
    """A window model of one's own: the mean of the window's scaled returns, at every step."""

    def fit_windows(self, x, y, validation, context):
        self.fitted_on_ = len(x)

    def predict_windows(self, x):
        return np.repeat(x.mean(axis=1), self.steps_, axis=1)


def test_a_small_subclass_is_a_forecaster_direct_and_recursive():
    data = make_windowed_data(random_walk(400, seed=5), window=20, horizon=3)
    direct = _Trend().fit(data, FitContext(horizon=3, log=lambda line: None))
    assert direct.fitted_on_ == len(data.x["train"]) and direct.predict(data, "test").shape[1] == 3
    recursive = _Trend().fit(data, FitContext(horizon=3, multistep="recursive", log=lambda line: None))
    assert recursive.steps_ == 1 and recursive.predict(data, "next").shape == (1, 3)
    assert isinstance(direct, Forecaster) and direct.title == "_Trend"


def test_docstring_examples():
    for name in ("keras_forecaster", "sklearn_forecaster", "statistical"):
        result = doctest.testmod(importlib.import_module(f"toolkit.forecasters.{name}"))
        assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("make", [
    lambda: __import__("statsforecast.models", fromlist=["AutoETS"]).AutoETS(model="ZZN"),
    lambda: __import__("statsforecast.models", fromlist=["AutoETS"]).AutoETS(model="MAN", damped=True),
    lambda: __import__("statsforecast.models", fromlist=["AutoARIMA"]).AutoARIMA(seasonal=False),
    lambda: __import__("statsforecast.models", fromlist=["ARIMA"]).ARIMA(order=(1, 1, 1), include_drift=True),
    lambda: __import__("statsforecast.models", fromlist=["ARIMA"]).ARIMA(order=(2, 0, 0), include_mean=True),
])
def test_one_pass_of_the_filter_gives_forwards_forecasts_from_every_origin(make):
    import warnings

    history = np.log(random_walk(700, seed=12, start=50.0) * np.exp(0.0005 * np.arange(700)))
    forecaster = StatsForecaster(make())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster.estimator_ = forecaster.model.fit(history[:400])
        lengths = np.arange(400, 696) + 1
        fast = forecaster._one_pass(history, lengths, 4, [80, 95])
        slow = forecaster._forward_each(history, lengths, 4, [80, 95])
    assert fast is not None and forecaster.one_pass_  # covered, and checked against forward on this run
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-12, atol=0)
    for pct in (80, 95):
        for side in (0, 1):
            np.testing.assert_allclose(fast[1][pct][side], slow[1][pct][side], rtol=1e-12, atol=0)
