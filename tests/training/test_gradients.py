"""Per-layer gradient norms: the notes' vanishing gradients appear in a deep sigmoid network, not in ReLU/He."""

import numpy as np
import pytest

from toolkit.builders import mlp_classifier, mlp_regressor
from toolkit.training import gradient_report, layer_gradient_norms, set_seed

RNG = np.random.default_rng(0)
X = RNG.normal(size=(256, 32)).astype("float32")
Y = np.eye(10, dtype="float32")[RNG.integers(0, 10, 256)]


def deep(activation, initializer):
    set_seed(0)
    return mlp_classifier(input_dim=32, hidden_units=(32,) * 10, activation=activation,
                          kernel_initializer=initializer, dropout=0.0)


def test_deep_sigmoid_gradients_vanish_towards_the_input_and_relu_he_ones_do_not():
    sigmoid = list(layer_gradient_norms(deep("sigmoid", "uniform_fan_in"), X, Y).values())
    relu = list(layer_gradient_norms(deep("relu", "he_normal"), X, Y).values())
    assert len(sigmoid) == len(relu) == 11
    # Measured: first / last = 2e-8 for sigmoid (each layer multiplies by at most 1/4 times a
    # weight below 1), about 1 for ReLU/He; asserted with margins of 10^5 and 10.
    assert sigmoid[0] / sigmoid[-1] < 1e-3
    assert 0.1 < relu[0] / relu[-1] < 10
    assert np.all(np.diff(np.log(sigmoid)) > 0)  # shrinking layer by layer, towards the input


def test_norms_match_a_finite_difference_and_leave_the_weights_alone():
    set_seed(0)
    model = mlp_regressor(input_dim=3, hidden_units=(4,), activation="tanh")
    x, y = RNG.normal(size=(16, 3)).astype("float32"), RNG.normal(size=(16, 1)).astype("float32")
    before = [np.array(v) for v in model.weights]
    loss, norms = gradient_report(model, x, y)
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.weights))
    kernel = model.get_layer("output").kernel
    value = np.asarray(kernel)
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):  # central differences in float64 of the MSE
        for sign in (1, -1):
            shifted = value.copy()
            shifted[index] += sign * 1e-3
            kernel.assign(shifted)
            grad[index] += sign * float(np.mean((model.predict(x, verbose=0).astype("float64") - y) ** 2)) / 2e-3
    kernel.assign(value)
    assert norms["output"] == pytest.approx(np.linalg.norm(grad), rel=1e-2)
    assert loss == pytest.approx(float(np.mean((model.predict(x, verbose=0) - y) ** 2)), rel=1e-4)


def test_layers_inside_nested_models_keep_their_paths():
    from toolkit.builders import dense_autoencoder

    x = RNG.uniform(size=(8, 16)).astype("float32")
    norms = layer_gradient_norms(dense_autoencoder(input_dim=16, hidden_units=(8,), bottleneck=4), x, x)
    assert list(norms) == ["encoder/encoder_dense_1", "encoder/code", "decoder/decoder_dense_1",
                           "decoder/reconstruction"]


def test_recurrent_and_attention_layers_are_measured_and_batch_norm_statistics_kept():
    import keras

    from toolkit.builders import stacked_lstm, transformer_forecaster

    x = RNG.normal(size=(16, 10, 1)).astype("float32")
    assert list(layer_gradient_norms(stacked_lstm(window=10, units=4), x, x[:, -1])) == \
        ["lstm_1", "lstm_2", "dense_1", "output"]
    norms = layer_gradient_norms(transformer_forecaster(window=10, outputs=2, d_model=8, num_heads=2, ff_units=8),
                                 x, np.ones((16, 2), "float32"))
    assert "encoder_1_attention" in norms and "decoder_1_cross_attention" in norms
    normed = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    normed.compile(loss="mse")
    before = [np.array(v) for v in normed.non_trainable_variables]
    layer_gradient_norms(normed, RNG.normal(5, 2, (32, 3)), np.ones((32, 1)))
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(before, normed.non_trainable_variables))


def test_bad_input_is_refused():
    import keras

    bare = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="must be compiled with a loss"):
        layer_gradient_norms(bare, np.ones((2, 3)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="same number"):
        layer_gradient_norms(mlp_regressor(input_dim=3), np.ones((2, 3)), np.ones((3, 1)))
    with pytest.raises(TypeError, match="keras.Model"):
        layer_gradient_norms("model", np.ones((2, 3)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="must be one array"):
        layer_gradient_norms(mlp_regressor(input_dim=3), {"a": np.ones((2, 3))}, np.ones((2, 1)))
    with pytest.raises(ValueError, match="must be real numbers"):
        layer_gradient_norms(mlp_regressor(input_dim=3), np.full((2, 3), "a"), np.ones((2, 1)))


def test_the_loss_is_trainings_own_with_regularisers_and_added_losses_and_repeats():
    import keras
    from keras import ops

    class Penalised(keras.layers.Layer):
        """Passes its input on and adds 0.25 * sum(h^2) to the loss, as ``add_loss`` does."""

        def call(self, h):
            self.add_loss(0.25 * ops.sum(ops.square(h)))
            return h

    x, y = RNG.normal(size=(16, 3)).astype("float32"), RNG.normal(size=(16, 1)).astype("float32")
    w = np.array([[0.5], [-1.0], [2.0]], "float32")
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(1, use_bias=False, kernel_regularizer=keras.regularizers.L2(0.5), name="dense")
    model = keras.Model(inputs, Penalised(name="penalty")(dense(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    dense.kernel.assign(w)
    h = x.astype("float64") @ w
    # loss = mean((xw - y)^2) + 0.5 sum(w^2) + 0.25 sum((xw)^2), and its gradient in w
    loss = np.mean((h - y) ** 2) + 0.5 * np.sum(w.astype("float64") ** 2) + 0.25 * np.sum(h ** 2)
    grad = 2 / len(x) * x.T @ (h - y) + w + 0.5 * x.T @ h
    first = gradient_report(model, x, y)
    assert first[0] == pytest.approx(loss, rel=1e-5)
    assert first[1] == pytest.approx({"dense": float(np.linalg.norm(grad))}, rel=1e-5)
    assert gradient_report(model, x, y) == first  # compiled once on JAX; the same numbers again
    np.testing.assert_array_equal(ops.convert_to_numpy(dense.kernel), w)  # the weights left as they were


def test_models_of_several_outputs_are_refused_by_name():
    import keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, [keras.layers.Dense(1)(inputs), keras.layers.Dense(1)(inputs)])
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    with pytest.raises(ValueError, match=r"must have one input and one output.*Received: a model with 2 outputs"):
        layer_gradient_norms(model, np.ones((4, 3)), np.ones((4, 1)))
