"""The notes' filters: their worked examples and the Sobel operator on a step, by hand."""

import numpy as np
import pytest

from toolkit.builders import FILTER_NAMES, KERNELS, filter_bank


def test_the_notes_worked_examples_come_out_exactly():
    vertical = np.zeros((1, 6, 6, 1), "float32")
    vertical[:, :, :3] = 10
    out = np.asarray(filter_bank(["vertical_edge"], input_shape=(6, 6, 1))(vertical))[0, ..., 0]
    assert out.tolist() == [[0, 30, 30, 0]] * 4
    horizontal = np.zeros((1, 6, 6, 1), "float32")
    horizontal[:, :3, :3] = 10
    horizontal[:, 3:, 3:] = 10
    out = np.asarray(filter_bank(["horizontal_edge"], input_shape=(6, 6, 1))(horizontal))[0, ..., 0]
    assert out.tolist() == [[0, 0, 0, 0], [30, 10, -10, -30], [30, 10, -10, -30], [0, 0, 0, 0]]


def test_sobel_on_a_step_equals_the_hand_result():
    # A 5 x 6 image: 0 in columns 0-2, 1 in columns 3-5 (a dark-to-bright vertical step).
    step = np.zeros((1, 5, 6, 1), "float32")
    step[:, :, 3:] = 1
    out = np.asarray(filter_bank(["sobel_x", "sobel_y"], input_shape=(5, 6, 1))(step))[0]
    # By hand: a window straddling the step sums (1 + 2 + 1) * (0 - 1) = -4 in each row it covers;
    # windows wholly on one side give 0; sobel_y sees no horizontal change anywhere.
    assert out[..., 0].tolist() == [[0, -4, -4, 0]] * 3
    assert out[..., 1].tolist() == [[0, 0, 0, 0]] * 3


def test_bank_is_frozen_with_one_channel_per_filter_and_same_padding_keeps_the_size():
    bank = filter_bank(input_shape=(28, 28, 1), padding="same")
    assert bank.output_shape == (None, 28, 28, len(FILTER_NAMES)) and not bank.trainable_weights
    flat = np.full((1, 28, 28, 1), 0.5, "float32")
    interior = np.asarray(bank(flat))[0, 1:-1, 1:-1]
    sums = np.array([np.sum(KERNELS[n][0]) for n in FILTER_NAMES])
    assert np.allclose(interior, 0.5 * sums)  # a flat image gives each kernel's sum times the level
    assert sums[FILTER_NAMES.index("edge_detect")] == 0 and sums[FILTER_NAMES.index("sharpen")] == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"names": ["sobel"]}, "`name` must be one of vertical_edge, horizontal_edge, prewitt_x, prewitt_y, sobel_x, "
                           "sobel_y, scharr_x, scharr_y, sharpen, edge_detect, strong_edge. Received: name='sobel'"),
    ({"names": []}, "`names` must hold at least one filter name. Received: names=[]"),
    ({"names": None}, "`names` must hold at least one filter name. Received: names=None"),
    ({"input_shape": 28}, "`input_shape` must be (height, width, 1), a grey image. Received: input_shape=28"),
    ({"input_shape": (28, 28, 3)}, "`input_shape` must be (height, width, 1), a grey image. "
                                   "Received: input_shape=(28, 28, 3)"),
    ({"input_shape": (2, 8, 1)}, "a 3x3 filter needs an image of at least 3 x 3 with padding='valid'. "
                                 "Received: input_shape=(2, 8, 1)"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError) as err:
        filter_bank(**kwargs)
    assert str(err.value) == message
