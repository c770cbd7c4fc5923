"""Parameter counts of the lectures, argument checks, the output/loss table, the noise model."""

import warnings

import keras
import numpy as np
import pytest

from toolkit.builders import (
    burgers_pinn, cnn_lstm, conv1d_regressor, cvae, dense_autoencoder, denoising_autoencoder, digits_cnn,
    gan, gaussian_mlp, lag_lstm, mlp_classifier, mlp_regressor, narx, sequence_rnn, simple_rnn, split_mean_variance,
    stacked_lstm, vae, wgan,
)
from toolkit.builders.losses import check_output_and_loss
from toolkit.training import set_seed


@pytest.mark.parametrize("build, params", [(digits_cnn, 93_322), (stacked_lstm, 806_017),
                                           (mlp_regressor, 61_601), (narx, 61_601), (burgers_pinn, 3_021)])
def test_lecture_parameter_counts(build, params):
    assert build().count_params() == params


def test_layers_are_named_and_parts_reachable():
    cnn = digits_cnn()
    assert [layer.name for layer in cnn.layers][:5] == ["conv2d_1", "maxpool_1", "conv2d_2", "maxpool_2", "conv2d_3"]
    auto = dense_autoencoder(bottleneck=16)
    assert auto.get_layer("encoder").output.shape == (None, 16)
    assert auto.get_layer("decoder").output.shape == (None, 784)
    codes = auto.get_layer("encoder").predict(np.zeros((2, 784), "float32"), verbose=0)
    assert codes.shape == (2, 16)


def test_regularisers_add_no_parameters():
    assert digits_cnn(dropout=0.3, augmentation=0.1).count_params() == 93_322


def test_denoising_noise_is_training_only():
    model = denoising_autoencoder(input_dim=16, hidden_units=(8,), bottleneck=4, noise_stddev=0.5)
    x = np.random.default_rng(0).uniform(size=(4, 16)).astype("float32")
    run = lambda training: keras.ops.convert_to_numpy(model(x, training=training))  # noqa: E731
    np.testing.assert_array_equal(run(False), run(False))
    assert not np.array_equal(run(True), run(False))


@pytest.mark.parametrize(
    "build, kwargs, message",
    [
        (mlp_regressor, {"hidden_units": (200, -1)}, "`hidden_units` must hold positive integers. Received: hidden_units=(200, -1)"),
        (stacked_lstm, {"units": -1}, "`units` must be a positive integer. Received: units=-1"),
        (dense_autoencoder, {"bottleneck": 1000}, "`bottleneck` must be smaller than the input to compress it (a denoising autoencoder may be over-complete). Received: bottleneck=1000, input_dim=784"),
        (mlp_regressor, {"activation": "swishy"}, "`activation` must be one of relu, leaky_relu, tanh, sigmoid, elu, gelu, selu, swish, linear. Received: activation='swishy'"),
        (mlp_regressor, {"loss": "hinge2"}, "`loss` must be one of"),
        (mlp_regressor, {"kernel_initializer": "zeros"}, "`kernel_initializer` must be one of"),
        (mlp_classifier, {"n_classes": 1}, "`n_classes` must be at least 2. Received: n_classes=1"),
        (simple_rnn, {"lags": 0}, "`lags` must be a positive integer. Received: lags=0"),
        (lag_lstm, {"dropout": 1.0}, "`dropout` must lie in [0, 1). Received: dropout=1.0"),
        (conv1d_regressor, {"window": 3}, "the window shrinks below maxpool_2's 2-wide window (1 left); use padding='same', strides=1 or a larger input. Received: window=3, kernel_size=3, pool_size=2, strides=1, padding='causal'"),
        (cnn_lstm, {"filters": ()}, "`filters` needs at least one layer size. Received: filters=()"),
        (digits_cnn, {"input_shape": (28, 28)}, "`input_shape` must be 3 positive integers. Received: input_shape=(28, 28)"),
        (gaussian_mlp, {"noise": "pink"}, "`noise` must be one of heteroscedastic, homoscedastic. Received: noise='pink'"),
        (narx, {"nb": -1}, "`nb` must be zero or a positive integer. Received: nb=-1"),
        (vae, {"latent_dim": 900}, "`latent_dim` must not exceed the input size. Received: latent_dim=900, input_dim=784"),
        (cvae, {"reconstruction": "binary_crossentropy", "output_activation": "linear"}, "binary cross-entropy reconstruction needs output_activation='sigmoid'"),
        (wgan, {"gradient_penalty": 0}, "the Wasserstein loss needs a Lipschitz constraint"),
        (gan, {"data_dim": 0}, "`data_dim` must be a positive integer. Received: data_dim=0"),
        (burgers_pinn, {"nu": -1.0}, "`nu` must be positive. Received: nu=-1.0"),
        (stacked_lstm, {"optimizer": "adamax2"}, "`optimizer` must be one of"),
        (mlp_regressor, {"clipnorm": -1.0}, "`clipnorm` must be positive. Received: clipnorm=-1.0"),
        (mlp_regressor, {"clipnorm": 1.0, "clipvalue": 0.5}, "clip gradients one way: by clipnorm, clipvalue or global_clipnorm. Received: clipnorm=1.0, clipvalue=0.5"),
        (mlp_regressor, {"clipnorm": 1.0, "global_clipnorm": 2.0}, "clip gradients one way: by clipnorm, clipvalue or global_clipnorm. Received: clipnorm=1.0, global_clipnorm=2.0"),
        (mlp_regressor, {"optimizer": "adam", "momentum": 0.9}, "`momentum` applies to sgd, nesterov, rmsprop. Received: optimizer='adam', momentum=0.9"),
        (mlp_regressor, {"optimizer": "sgd", "momentum": 1.5}, "`momentum` must lie in [0, 1). Received: momentum=1.5"),
        (mlp_regressor, {"recipe": "lecture_9"}, "`recipe` must be one of sysid, keras_mlp, autoencoder_adadelta, gan_saturating, gan_non_saturating. Received: recipe='lecture_9'"),
        (gan, {"recipe": "gan_saturating", "generator_loss": "non_saturating"}, "recipe 'gan_saturating' trains with generator_loss='saturating'. Received: generator_loss='non_saturating'"),
        (denoising_autoencoder, {"noise": "salt"}, "`noise` must be one of gaussian, masking. Received: noise='salt'"),
        (denoising_autoencoder, {"noise": "masking", "mask_rate": 1.0}, "`mask_rate` must lie in (0, 1). Received: mask_rate=1.0"),
        (vae, {"reconstruction": "poisson"}, "`reconstruction` must be one of gaussian, binary_crossentropy, mse. Received: reconstruction='poisson'"),
        (sequence_rnn, {"cell": "transformer"}, "`cell` must be one of simple, lstm, gru. Received: cell='transformer'"),
        (sequence_rnn, {"n_inputs": 0}, "`n_inputs` must be a positive integer. Received: n_inputs=0"),
        (wgan, {"gradient_penalty": 10.0}, None),
    ],
)
def test_bad_arguments_name_what_was_received(build, kwargs, message):
    if message is None:  # a control: valid arguments build
        build(**kwargs)
        return
    with pytest.raises(ValueError) as err:
        build(**kwargs)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("activation, loss, units", [("linear", "binary_crossentropy", 1), ("tanh", "categorical_crossentropy", 10),
                                                     ("softmax", "categorical_crossentropy", 1), ("softmax", "mse", 3),
                                                     ("relu", "kl_divergence", 5), ("linear", "categorical_crossentropy", 10)])
def test_mismatched_output_and_loss_warns(activation, loss, units):
    with pytest.warns(UserWarning, match=f"output_activation='{activation}' with loss='{loss}'"):
        check_output_and_loss(activation, loss, units)


@pytest.mark.parametrize("activation, loss, units", [("linear", "mse", 1), ("linear", "mae", 1), ("sigmoid", "mse", 784),
                                                     ("sigmoid", "binary_crossentropy", 784), ("softmax", "categorical_crossentropy", 10)])
def test_lecture_table_pairs_do_not_warn(activation, loss, units):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_output_and_loss(activation, loss, units)


def test_training_options_reach_the_optimizer_and_layers():
    model = mlp_regressor(activation="leaky_relu", kernel_initializer="he_normal", dropout=0.1,
                          optimizer="sgd", learning_rate=0.05, clipnorm=1.0)
    assert model.optimizer.__class__.__name__ == "SGD"
    assert model.optimizer.clipnorm == 1.0
    assert mlp_regressor(clipvalue=0.5).optimizer.clipvalue == 0.5
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    dense = model.get_layer("dense_1")
    assert dense.activation.__name__ == "leaky_relu"
    # The notes' slope, 0.01 (Keras's own "leaky_relu" is 0.2).
    np.testing.assert_allclose(np.asarray(dense.activation(np.array([-2.0, 3.0], "float32"))), [-0.02, 3.0])
    assert dense.kernel_initializer.__class__.__name__ == "HeNormal"
    assert model.get_layer("dropout_1").rate == 0.1


@pytest.mark.parametrize("noise", ["heteroscedastic", "homoscedastic"])
def test_gaussian_head_recovers_known_noise(noise):
    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (3000, 1)).astype("float32")
    y = (np.sin(2 * x[:, 0]) + rng.normal(0, 0.3, 3000)).astype("float32")
    model = gaussian_mlp(noise=noise, learning_rate=1e-2)
    model.fit(x, y, epochs=30, batch_size=128, verbose=0)
    mean, variance = split_mean_variance(model.predict(x, verbose=0))
    assert np.sqrt(np.median(variance)) == pytest.approx(0.3, rel=0.2)
    assert np.sqrt(np.mean((mean - np.sin(2 * x[:, 0])) ** 2)) < 0.15  # well under the noise
