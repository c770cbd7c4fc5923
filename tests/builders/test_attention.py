"""The Transformer and the encoder-decoder RNN: sizes by hand, causality, free running, and the
same outputs for the same weights on every backend."""

from pathlib import Path

import keras
import numpy as np
import pytest

from toolkit.builders.attention import (
    attention_maps, decoder_block, encoder_block, transformer_classifier, transformer_forecaster,
)
from toolkit.builders.seq2seq import seq2seq_inference, seq2seq_lstm, teacher_inputs
from toolkit.training import set_seed

REFERENCE = Path(__file__).with_name("data") / "transformer_reference.npz"


def by_hand(d, ff, encoders, decoders, outputs, n_features):
    """Vaswani et al.'s blocks counted weight by weight: an attention layer has four d x d
    projections with biases, a layer norm 2 d, the feed-forward d ff + ff + ff d + d."""
    attention, norm, feed = 4 * d * d + 4 * d, 2 * d, 2 * d * ff + ff + d
    encoder = attention + feed + 2 * norm
    decoder = 2 * attention + feed + 3 * norm
    return (n_features * d + d) + encoders * encoder + outputs * d + decoders * decoder + (d + 1)


@pytest.mark.parametrize("d, heads, ff, encoders, decoders, outputs, n_features",
                         [(32, 4, 64, 2, 1, 1, 1), (16, 2, 32, 1, 2, 5, 3), (64, 8, 128, 3, 1, 10, 2)])
def test_transformer_parameters_match_a_hand_count(d, heads, ff, encoders, decoders, outputs, n_features):
    model = transformer_forecaster(window=30, n_features=n_features, outputs=outputs, d_model=d, num_heads=heads,
                                   ff_units=ff, encoder_layers=encoders, decoder_layers=decoders)
    assert model.count_params() == by_hand(d, ff, encoders, decoders, outputs, n_features)
    assert model.output_shape == (None, outputs)
    attention = [layer.name for layer in model.layers if isinstance(layer, keras.layers.MultiHeadAttention)]
    assert len(attention) == encoders + 2 * decoders and attention[0] == "encoder_1_attention"


def test_classifier_and_seq2seq_parameters_match_a_hand_count():
    d, ff = 32, 64
    encoder = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d
    assert transformer_classifier().count_params() == (d + d) + 2 * encoder + (d * 64 + 64) + (64 * 2 + 2)
    u = 64
    assert seq2seq_lstm().count_params() == 4 * u * (1 + u + 1) * 2 + u + 1            # encoder, decoder, Dense(1)
    assert seq2seq_lstm(cell="gru").count_params() == 3 * u * (1 + u + 2) * 2 + u + 1  # Keras' reset-after GRU


def test_arguments_are_checked_first():
    with pytest.raises(ValueError, match=r"`d_model` must be a multiple of `num_heads`. Received: d_model=30, "
                                         r"num_heads=4"):
        transformer_forecaster(d_model=30)
    with pytest.raises(ValueError, match="`encoder_layers` must be at most 8. Received: encoder_layers=9"):
        transformer_forecaster(encoder_layers=9)
    with pytest.raises(ValueError, match="`classes` must be an integer of at least 2. Received: classes=1"):
        transformer_classifier(classes=1)
    with pytest.raises(ValueError, match="`cell` must be one of"):
        seq2seq_lstm(cell="rnn")
    with pytest.raises(ValueError, match="`d_model` must be at most 1,024. Received: d_model=1000000"):
        transformer_forecaster(d_model=10**6)
    with pytest.raises(ValueError, match="`units` must be at most 4,096. Received: units=100000"):
        seq2seq_lstm(units=10**5)
    with pytest.raises(ValueError, match="`causal_encoder` must be True or False. Received: causal_encoder='yes'"):
        transformer_forecaster(causal_encoder="yes")
    with pytest.raises(ValueError, match=r"`targets` must be a 2-D array \(samples, outputs\). Received: shape=\(4,\)"):
        teacher_inputs(np.zeros(4))
    with pytest.raises(ValueError, match="`model` must be a seq2seq_lstm training model"):
        seq2seq_inference(transformer_forecaster(window=8))
    with pytest.raises(ValueError, match=r"`window` must hold windows of shape \(batch, 8, 1\). Received: shape=\(8, 1\)"):
        attention_maps(transformer_forecaster(window=8), np.zeros((8, 1)))


def _outputs_of(model, layer_name):
    return keras.Model(model.inputs, model.get_layer(layer_name).output)


def test_a_causal_encoder_never_looks_ahead_and_the_default_one_does():
    x = np.random.default_rng(0).normal(size=(2, 12, 1)).astype("float32")
    changed = x.copy()
    changed[:, 7] += 3.0
    for causal in (True, False):
        set_seed(0)
        model = transformer_forecaster(window=12, d_model=8, num_heads=2, ff_units=8, dropout=0.0,
                                       causal_encoder=causal)
        probe = _outputs_of(model, "encoder_2_ffn_norm")
        before, after = probe.predict(x, verbose=0), probe.predict(changed, verbose=0)
        assert not np.allclose(before[:, 7:], after[:, 7:])
        if causal:
            np.testing.assert_allclose(before[:, :7], after[:, :7], atol=1e-6)
        else:
            assert not np.allclose(before[:, :7], after[:, :7])  # the window is all past: each step sees all


def test_decoder_step_k_never_reads_a_later_step():
    set_seed(0)
    tokens, memory = keras.Input((5, 8)), keras.Input((12, 8))
    block = keras.Model([tokens, memory], decoder_block(tokens, memory, 8, 2, 8, 0.0, name="decoder_1"))
    rng = np.random.default_rng(1)
    y, m = rng.normal(size=(3, 5, 8)).astype("float32"), rng.normal(size=(3, 12, 8)).astype("float32")
    later = y.copy()
    later[:, 3] += 2.0
    before, after = block.predict([y, m], verbose=0), block.predict([later, m], verbose=0)
    np.testing.assert_allclose(before[:, :3], after[:, :3], atol=1e-6)
    assert not np.allclose(before[:, 3:], after[:, 3:])
    encoder = keras.Model(tokens, encoder_block(tokens, 8, 2, 8, 0.0, causal=True, name="encoder_1"))
    np.testing.assert_allclose(encoder.predict(y, verbose=0)[:, :3], encoder.predict(later, verbose=0)[:, :3],
                               atol=1e-6)


def test_teacher_forcing_is_causal_and_free_running_feeds_back_its_own_output():
    set_seed(0)
    model = seq2seq_lstm(window=10, outputs=4, units=6)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 10, 1)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")
    teacher = teacher_inputs(y)
    assert teacher.shape == (5, 4, 1) and (teacher[:, 0] == 0).all() and (teacher[:, 1:, 0] == y[:, :-1]).all()
    later = teacher.copy()
    later[:, 2] += 5.0
    before = model.predict({"window": x, "decoder_input": teacher}, verbose=0)
    after = model.predict({"window": x, "decoder_input": later}, verbose=0)
    np.testing.assert_array_equal(before[:, :2], after[:, :2])        # step k reads steps up to k only
    assert not np.allclose(before[:, 2:], after[:, 2:])
    free = seq2seq_inference(model).predict(x, verbose=0)
    fed_back = model.predict({"window": x, "decoder_input": teacher_inputs(free)}, verbose=0)
    np.testing.assert_allclose(free, fed_back, atol=1e-6)


def test_attention_maps_are_distributions_per_head():
    set_seed(0)
    model = transformer_forecaster(window=16, outputs=4, d_model=8, num_heads=2, ff_units=8)
    x = np.random.default_rng(3).normal(size=(2, 16, 1)).astype("float32")
    maps = attention_maps(model, x)
    assert maps.shape == (2, 2, 16, 16)
    np.testing.assert_allclose(maps.sum(-1), 1.0, rtol=1e-5)
    causal = attention_maps(model, x, "decoder_1_self_attention")
    assert causal.shape == (2, 2, 4, 4) and np.allclose(np.triu(causal, 1), 0)
    assert attention_maps(model, x, "decoder_1_cross_attention").shape == (2, 2, 4, 16)
    with pytest.raises(ValueError, match=r"`block` must name an attention layer of the model \(encoder_1_attention, "):
        attention_maps(model, x, "nope")


def _reference_model():
    return transformer_forecaster(window=10, n_features=2, outputs=3, d_model=8, num_heads=2, ff_units=8,
                                  encoder_layers=1, decoder_layers=1, dropout=0.0)


def test_every_backend_gives_the_same_outputs_for_the_same_weights():
    # The weights, inputs and outputs were written once on TensorFlow (make_reference below);
    # this test runs in every backend pass of `make test`.
    stored = np.load(REFERENCE)
    model = _reference_model()
    model.set_weights([stored[f"w{i}"] for i in range(len(model.weights))])
    np.testing.assert_allclose(model.predict(stored["x"], verbose=0), stored["y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(attention_maps(model, stored["x"]), stored["maps"], rtol=1e-5, atol=1e-6)


def make_reference() -> None:  # pragma: no cover - run by hand on TensorFlow to refresh the file
    set_seed(7)
    model = _reference_model()
    x = np.random.default_rng(7).normal(size=(4, 10, 2)).astype("float32")
    weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    REFERENCE.parent.mkdir(exist_ok=True)
    np.savez(REFERENCE, x=x, y=model.predict(x, verbose=0), maps=attention_maps(model, x), **weights)


def test_the_simulator_reads_an_initial_record_and_simulates_any_length():
    from toolkit.builders.seq2seq import seq2seq_simulator, split_record

    set_seed(0)
    model = seq2seq_simulator(warmup=4, units=8)
    assert model.count_params() == 4 * 8 * (1 + 1 + 8 + 1) + 4 * 8 * (1 + 8 + 1) + 8 + 1
    rng = np.random.default_rng(5)
    for steps in (20, 50):
        inputs, targets = split_record(rng.normal(size=(2, steps)), rng.normal(size=(2, steps)), 4)
        assert inputs["past"].shape == (2, 4, 2) and targets.shape == (2, steps - 4, 1)
        assert model.predict(inputs, verbose=0).shape == (2, steps - 4, 1)
    later = {key: value.copy() for key, value in inputs.items()}
    later["inputs"][:, 30] += 3.0                                         # a later input changes no earlier output
    before, after = model.predict(inputs, verbose=0), model.predict(later, verbose=0)
    np.testing.assert_array_equal(before[:, :30], after[:, :30])
    assert not np.allclose(before[:, 30:], after[:, 30:])
