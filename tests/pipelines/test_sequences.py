"""Records cut into sub-sequences for sequence training: shapes, overlap, warm-up, and the
warm-up really left out of the loss."""

import numpy as np
import pytest

from toolkit.builders import bidirectional_smoother, sequence_lstm, sequence_rnn
from toolkit.pipelines.sequences import subsequences
from toolkit.training import set_seed

T = np.arange(100, dtype="float32")


def test_back_to_back_overlapping_and_whole():
    cut = subsequences(T, -T, length=30)
    assert cut.inputs.shape == (3, 30, 1) and cut.starts.tolist() == [0, 30, 60] and cut.dropped == 10
    np.testing.assert_array_equal(cut.inputs[1, :, 0], T[30:60])
    np.testing.assert_array_equal(cut.targets[1, :, 0], -T[30:60])
    overlap = subsequences(T, T, length=30, stride=10)
    assert overlap.starts.tolist() == [0, 10, 20, 30, 40, 50, 60, 70] and overlap.dropped == 0
    whole = subsequences(np.stack([T, 2 * T], 1), T, warmup=5)
    assert whole.inputs.shape == (1, 100, 2) and whole.weights.sum() == 95


def test_warmup_weights():
    cut = subsequences(T, T, length=10, stride=5, warmup=3)
    assert (cut.weights[:, :3] == 0).all() and (cut.weights[:, 3:] == 1).all()


@pytest.mark.parametrize("kwargs, message", [
    ({"length": 0}, "`length` must be a positive whole number of steps. Received: length=0"),
    ({"length": 101}, "`length` must not exceed the record's 100 steps. Received: length=101"),
    ({"length": 10, "warmup": 10}, "`warmup` must be a whole number from 0 to length - 1 = 9"),
    ({"length": 10, "stride": -1}, "`stride` must be a positive whole number of steps. Received: stride=-1"),
])
def test_bad_cuts_say_what_was_received(kwargs, message):
    with pytest.raises(ValueError) as err:
        subsequences(T, T, **kwargs)
    assert str(err.value).startswith(message)


def test_records_must_align_and_be_finite():
    with pytest.raises(ValueError, match="same number of steps. Received: 100 and 99"):
        subsequences(T, T[:-1])
    with pytest.raises(ValueError, match="NaN"):
        subsequences(np.r_[T[:-1], np.nan], T)


def test_warmup_steps_do_not_enter_the_loss():
    set_seed(0)
    model = sequence_lstm(units=4)
    rng = np.random.default_rng(0)
    u, y = rng.normal(size=200).astype("float32"), rng.normal(size=200).astype("float32")
    cut = subsequences(u, y, length=20, warmup=5)
    garbage = cut.targets.copy()
    garbage[:, :5] = 1e6  # wild targets on the warm-up steps only
    clean = model.evaluate(cut.inputs, cut.targets, sample_weight=cut.weights, verbose=0)
    assert model.evaluate(cut.inputs, garbage, sample_weight=cut.weights, verbose=0) == pytest.approx(clean)
    # And the weighted loss is the per-step squared error averaged over every step, warm-up weighted 0.
    predicted = model.predict(cut.inputs, verbose=0)
    expected = np.mean(((predicted - cut.targets) ** 2)[..., 0] * cut.weights)
    assert clean == pytest.approx(expected, rel=1e-5)


def test_the_notes_lstm_example_shapes_and_any_length():
    model = sequence_lstm(n_inputs=10, units=20)
    assert model.count_params() == 2501
    for steps in (5, 37):
        assert model.predict(np.zeros((3, steps, 10), "float32"), verbose=0).shape == (3, steps, 1)


def test_simulators_are_causal_and_the_smoother_is_not():
    u = np.random.default_rng(0).normal(size=(1, 30, 1)).astype("float32")
    later = u.copy()
    later[0, -1, 0] += 5.0  # change only the last input
    for build, causal in ((sequence_rnn, True), (sequence_lstm, True), (bidirectional_smoother, False)):
        set_seed(0)
        model = build(units=6)
        before, after = model.predict(u, verbose=0), model.predict(later, verbose=0)
        assert np.allclose(before[0, :-1], after[0, :-1]) == causal, build.__name__


def test_sequence_training_lowers_the_loss_on_a_system_with_memory():
    set_seed(0)
    rng = np.random.default_rng(0)
    u = rng.uniform(-1, 1, 600).astype("float32")
    y = np.zeros(600, "float32")
    for k in range(1, 600):
        y[k] = 0.9 * y[k - 1] + 0.5 * u[k]
    cut = subsequences(u, y, length=50, stride=25, warmup=5)
    model = sequence_rnn(units=8, learning_rate=1e-2)
    losses = model.fit(cut.inputs, cut.targets, sample_weight=cut.weights, epochs=20, batch_size=8,
                       verbose=0).history["loss"]
    assert losses[-1] < 0.3 * losses[0]
