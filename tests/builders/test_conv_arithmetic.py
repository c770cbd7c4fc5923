"""Convolution arithmetic against Keras's own shapes, and the conv builders' stride, padding and pooling."""

import itertools

import keras
import numpy as np
import pytest

from toolkit.builders import cnn_lstm, conv1d_regressor, conv_output_size, digits_cnn


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_output_size_equals_keras_conv2d_and_pooling(padding):
    checked = 0
    for n, kernel, stride in itertools.product((5, 6, 7, 12, 28), (1, 2, 3, 5), (1, 2, 3)):
        if padding == "valid" and kernel > n:
            continue
        inputs = keras.Input((n, n + 1, 1))
        conv = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)(inputs)
        pool = keras.layers.MaxPooling2D(kernel, strides=stride, padding=padding)(inputs)
        expected = (conv_output_size(n, kernel, stride, padding), conv_output_size(n + 1, kernel, stride, padding))
        assert tuple(conv.shape[1:3]) == expected == tuple(pool.shape[1:3]), (n, kernel, stride, padding)
        checked += 1
    assert checked >= 50


def test_conv_output_size_equals_keras_conv1d_causal_and_dilated():
    for n, kernel, stride, dilation in itertools.product((8, 9, 20), (2, 3), (1, 2), (1, 2)):
        inputs = keras.Input((n, 1))
        for padding in ("causal", "valid", "same"):
            if stride > 1 and dilation > 1:
                continue  # Keras refuses strides and dilation together
            out = keras.layers.Conv1D(1, kernel, strides=stride, padding=padding, dilation_rate=dilation)(inputs)
            assert out.shape[1] == conv_output_size(n, kernel, stride, padding, dilation), (n, kernel, stride, padding)


def test_the_notes_formulas():
    assert conv_output_size(6, 3) == 4            # n - f + 1
    assert conv_output_size(6, 3, padding="same") == 6
    assert conv_output_size(7, 3, stride=2) == 3  # floor((7 + 0 - 3) / 2) + 1


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 3, "kernel": 5}, "a 5-wide window does not fit in 3 with padding='valid'; use a smaller kernel, "
                            "padding='same', or a larger input. Received: n=3, kernel=5, dilation=1"),
    ({"n": 8, "kernel": 3, "padding": "full"}, "`padding` must be one of causal, valid, same. Received: padding='full'"),
    ({"n": 0, "kernel": 3}, "`n` must be a positive integer. Received: n=0"),
    ({"n": 8, "kernel": 3, "stride": 1.5}, "`stride` must be a positive integer. Received: stride=1.5"),
])
def test_conv_output_size_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as err:
        conv_output_size(**kwargs)
    assert str(err.value) == message


def test_digits_cnn_defaults_keep_the_lecture_count_and_options_change_the_shapes():
    assert digits_cnn().count_params() == 93_322
    same = digits_cnn(padding="same", pooling="average")
    assert [layer.name for layer in same.layers][:5] == ["conv2d_1", "avgpool_1", "conv2d_2", "avgpool_2", "conv2d_3"]
    assert same.get_layer("conv2d_3").output.shape[1:3] == (7, 7)
    strided = digits_cnn(strides=2, padding="same")
    # 28 -> conv s2: 14 -> pool: 7 -> conv s2: 4 -> pool: 2 -> conv s2: 1
    assert strided.get_layer("conv2d_3").output.shape[1:3] == (1, 1)
    # conv 32 (320) + conv 64 (18,496) + conv 64 (36,928) + dense 64 -> 64 (4,160) + softmax (650)
    assert strided.count_params() == 320 + 18_496 + 36_928 + 1 * 1 * 64 * 64 + 64 + 650
    x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype("float32")
    assert strided.predict(x, verbose=0).shape == (4, 10)


def test_average_pooling_averages():
    model = digits_cnn(pooling="average")
    pool = model.get_layer("avgpool_1")
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    assert np.asarray(pool(x))[0, :, :, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]


@pytest.mark.parametrize("build, kwargs, message", [
    (digits_cnn, {"strides": 2}, "the image height shrinks below conv2d_3's 3-wide window (1 left); use "
                                 "padding='same', strides=1 or a larger input. Received: input_shape=(28, 28, 1), "
                                 "strides=2, padding='valid'"),
    (digits_cnn, {"padding": "causal"}, "`padding` must be one of valid, same. Received: padding='causal'"),
    (digits_cnn, {"pooling": "min"}, "`pooling` must be one of max, average. Received: pooling='min'"),
    (digits_cnn, {"strides": 0}, "`strides` must be a positive integer. Received: strides=0"),
    (conv1d_regressor, {"padding": "full"}, "`padding` must be one of causal, valid, same. Received: padding='full'"),
])
def test_conv_options_are_checked_before_building(build, kwargs, message):
    with pytest.raises(ValueError) as err:
        build(**kwargs)
    assert str(err.value) == message


def test_conv1d_builders_take_strides_padding_and_pooling():
    assert conv1d_regressor().get_layer("conv1d_1").output.shape[1] == 60  # causal keeps the length
    model = conv1d_regressor(window=40, strides=2, padding="valid", pooling="average")
    # 40 -> conv 3 stride 2: 19 -> pool: 9 -> conv: 4 -> pool: 2
    assert model.get_layer("avgpool_2").output.shape[1] == conv_output_size(conv_output_size(
        conv_output_size(conv_output_size(40, 3, 2), 2, 2), 3, 2), 2, 2) == 2
    assert cnn_lstm(window=30, padding="same", pooling="average").get_layer("avgpool_1").output.shape[1] == 15


def test_numpy_integers_are_whole_numbers():
    assert conv_output_size(np.int64(28), np.int32(3), np.int64(2)) == 13
    assert digits_cnn(strides=np.int64(2), padding="same").count_params() == digits_cnn(strides=2, padding="same").count_params()
    assert conv1d_regressor(strides=np.int64(2), kernel_size=np.int64(3)).output_shape == (None, 1)
