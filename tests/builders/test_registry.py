"""Every registered builder: trains, predicts the right shape, and survives save / load."""

import keras
import numpy as np
import pytest

from toolkit.builders import registered
from toolkit.pipelines.lags import lagged_samples, narx_regressors
from toolkit.training import set_seed

RNG = np.random.default_rng(0)
SINE = np.sin(np.arange(400) / 6).astype("float32")


def regression(n=256, d=4):
    x = RNG.normal(size=(n, d)).astype("float32")
    return x, (np.sin(x[:, 0]) + x[:, 1] * x[:, -1]).astype("float32")


def windows(window=20):
    series = np.sin(np.arange(300) / 5).astype("float32")
    x, y = lagged_samples(series, window)
    return x, y


def classes(n=256, d=16):
    x = RNG.normal(size=(n, d)).astype("float32")
    return x, np.eye(10, dtype="float32")[x[:, :10].argmax(axis=1)]


def students(n=256):
    marks = RNG.normal(size=(n, 3)).astype("float32")
    return marks, (marks.sum(axis=1) + RNG.normal(0, 0.5, n) > 0).astype("float32")


def digits(n=128):
    labels = np.arange(n) % 10
    images = RNG.uniform(0, 0.2, size=(n, 28, 28, 1)).astype("float32")
    for i, label in enumerate(labels):
        images[i, 2 * label:2 * label + 6, 4:24, 0] = 1.0  # a bar whose height is the class
    return images, np.eye(10, dtype="float32")[labels]


def pictures(n=256, d=64):
    base = RNG.uniform(size=(4, d)).astype("float32")
    return np.clip(base[np.arange(n) % 4] + RNG.normal(0, 0.05, (n, d)), 0, 1).astype("float32")


def narx_data():
    u = RNG.uniform(-1, 1, 400).astype("float32")
    y = np.zeros(400, dtype="float32")
    for k in range(2, 400):  # a small nonlinear system to identify
        y[k] = 0.5 * y[k - 1] - 0.2 * y[k - 2] + np.tanh(u[k] + 0.5 * u[k - 1])
    return narx_regressors(y, u, 2, 1)


def pinn_data():
    x0 = RNG.uniform(-1, 1, 50)
    points = np.stack([np.r_[np.zeros(50), RNG.uniform(0, 1, 50)],
                       np.r_[x0, np.where(RNG.uniform(size=50) < 0.5, -1.0, 1.0)]], 1).astype("float32")
    u = np.r_[-np.sin(np.pi * x0), np.zeros(50)].astype("float32")
    return points, u


def sequences():
    from toolkit.pipelines.sequences import subsequences

    u = RNG.uniform(-1, 1, (500, 2)).astype("float32")
    y = np.zeros(500, "float32")
    for k in range(1, 500):  # a system with memory: the output needs the state
        y[k] = 0.8 * y[k - 1] + np.tanh(u[k, 0] - u[k, 1])
    cut = subsequences(u, y, length=40, stride=40, warmup=5)
    return {"x": cut.inputs, "y": cut.targets, "sample_weight": cut.weights, "batch_size": 4}, cut.inputs


def multi_step_windows(window=20, steps=3):
    series = np.sin(np.arange(300) / 5).astype("float32")
    x, _ = lagged_samples(series, window)
    rows = np.arange(len(series) - window - steps + 1)
    targets = np.stack([series[rows + window + k] for k in range(steps)], 1)
    return x[: len(rows)], targets


def teacher_forced():
    from toolkit.builders.seq2seq import teacher_inputs

    x, y = multi_step_windows()
    inputs = {"window": x, "decoder_input": teacher_inputs(y)}
    return {"x": inputs, "y": y, "batch_size": 32}, inputs


def simulator_records():
    from toolkit.builders.seq2seq import split_record

    fit_args, _ = sequences()
    inputs, targets = split_record(fit_args["x"], fit_args["y"], 5)
    return {"x": inputs, "y": targets, "batch_size": 4}, inputs


def shapes_to_classify(n=240, steps=20):
    labels = np.arange(n) % 3  # a rising, a falling and an oscillating sequence, with noise
    t = np.linspace(0, 1, steps)
    shapes = np.stack([t, 1 - t, np.sin(6 * np.pi * t)])
    x = (shapes[labels] + RNG.normal(0, 0.3, (n, steps)))[..., None].astype("float32")
    return x, np.eye(3, dtype="float32")[labels]


def small_images(n=64, size=8):
    """Pixels on the 256-level grid: a bright bar at one of four heights, on a dim background."""
    images = np.round(RNG.uniform(0, 0.2, (n, size, size, 1)) * 255) / 255
    for i in range(n):
        row = 2 * (i % 4)
        images[i, row:row + 2, 1:size - 1, 0] = 1.0
    return images.astype("float32")


def diffusion_inputs(n=16, size=8):
    return {"x": RNG.normal(size=(n, size, size, 1)).astype("float32"),
            "t": RNG.integers(0, 50, (n, 1)).astype("float32")}


def supervised(x, y, batch=32):
    return {"x": x, "y": y, "batch_size": batch}, x


def case(kwargs, make, output_shape, loss_key="loss", epochs=2):
    return {"kwargs": kwargs, "make": make, "shape": output_shape, "loss_key": loss_key, "epochs": epochs}


IMAGES = pictures()
LABELS = np.eye(10, dtype="float32")[np.arange(256) % 10]
CASES = {
    "mlp_regressor": case({}, lambda: supervised(*regression()), (256, 1)),
    "mlp_classifier": case({"input_dim": 16, "hidden_units": (32,)}, lambda: supervised(*classes()), (256, 10)),
    "gaussian_mlp": case({"input_dim": 4}, lambda: supervised(*regression()), (256, 2)),
    "narx": case({}, lambda: supervised(*narx_data()), (398, 1)),
    "simple_rnn": case({}, lambda: supervised(*lagged_samples(SINE, 5)), (395, 1)),
    "lag_lstm": case({"num_layers": 2, "bidirectional": True}, lambda: supervised(*lagged_samples(SINE, 10)), (390, 1)),
    "stacked_lstm": case({"window": 20, "units": 8, "dense_units": 4}, lambda: supervised(*windows()), (280, 1)),
    "stacked_gru": case({"window": 20, "units": 8, "dense_units": 4}, lambda: supervised(*windows()), (280, 1)),
    "conv1d": case({"window": 20, "filters": (8, 8), "dense_units": 8}, lambda: supervised(*windows()), (280, 1)),
    "cnn_lstm": case({"window": 20, "filters": (8,), "lstm_units": 8, "dense_units": 4},
                     lambda: supervised(*windows()), (280, 1)),
    "digits_cnn": case({}, lambda: supervised(*digits()), (128, 10)),
    "bernoulli_classifier": case({}, lambda: supervised(*students()), (256, 1)),
    "linear_autoencoder": case({"input_dim": 64, "bottleneck": 8}, lambda: supervised(IMAGES, IMAGES), (256, 64)),
    "dense_autoencoder": case({"input_dim": 64, "hidden_units": (32,), "bottleneck": 8},
                              lambda: supervised(IMAGES, IMAGES), (256, 64)),
    "denoising_autoencoder": case({"input_dim": 64, "hidden_units": (32,), "bottleneck": 8, "noise_stddev": 0.2},
                                  lambda: supervised(IMAGES, IMAGES), (256, 64)),
    "vae": case({"input_dim": 64, "hidden_units": (32,), "seed": 0}, lambda: ({"x": IMAGES, "batch_size": 32}, IMAGES),
                (256, 64)),
    "cvae": case({"input_dim": 64, "hidden_units": (32,), "seed": 0},
                 lambda: ({"x": {"data": IMAGES, "condition": LABELS}, "batch_size": 32},
                          {"data": IMAGES, "condition": LABELS}), (256, 64)),
    "sequence_rnn": case({"n_inputs": 2, "units": 8, "num_layers": 2}, lambda: sequences(), (12, 40, 1)),
    "sequence_lstm": case({"n_inputs": 2, "units": 8}, lambda: sequences(), (12, 40, 1)),
    "sequence_gru": case({"n_inputs": 2, "units": 8}, lambda: sequences(), (12, 40, 1)),
    "bidirectional_smoother": case({"n_inputs": 2, "units": 8}, lambda: sequences(), (12, 40, 1)),
    "gan": case({"seed": 0}, lambda: ({"x": RNG.normal(3, 0.5, (512, 2)).astype("float32"), "batch_size": 64},
                                      RNG.normal(size=(16, 8)).astype("float32")), (16, 2), "d_loss", 10),
    "wgan": case({"seed": 0, "learning_rate": 1e-3}, lambda: ({"x": RNG.normal(3, 0.5, (512, 2)).astype("float32"), "batch_size": 64},
                                       RNG.normal(size=(16, 8)).astype("float32")), (16, 2), "d_loss", 10),
    "transformer_forecaster": case({"window": 20, "outputs": 3, "d_model": 16, "num_heads": 2, "ff_units": 16},
                                   lambda: supervised(*multi_step_windows()), (278, 3), epochs=3),
    "seq2seq_lstm": case({"window": 20, "outputs": 3, "units": 8}, lambda: teacher_forced(), (278, 3), epochs=3),
    "seq2seq_simulator": case({"n_inputs": 2, "warmup": 5, "units": 8}, lambda: simulator_records(), (12, 35, 1), epochs=3),
    "transformer_classifier": case({"steps": 20, "classes": 3, "d_model": 16, "num_heads": 2, "ff_units": 16,
                                    "mlp_units": 8}, lambda: supervised(*shapes_to_classify()), (240, 3), epochs=3),
    "realnvp": case({"dim": 2, "hidden_units": (16,), "coupling_layers": 4, "seed": 0},
                    lambda: ({"x": RNG.normal(3, 0.5, (512, 2)).astype("float32"), "batch_size": 64},
                             RNG.normal(size=(16, 2)).astype("float32")), (16, 2), epochs=3),
    "flow_prior_vae": case({"input_dim": 64, "hidden_units": (32,), "latent_dim": 4, "prior_units": (8,), "seed": 0},
                           lambda: ({"x": IMAGES, "batch_size": 32}, IMAGES), (256, 64)),
    "ddpm": case({"image_shape": (8, 8, 1), "widths": (8, 16), "embedding_dim": 16, "timesteps": 50,
                  "learning_rate": 2e-3, "seed": 0},
                 lambda: ({"x": small_images(), "batch_size": 16}, diffusion_inputs()), (16, 8, 8, 1), epochs=4),
    "burgers_pinn": case({"hidden_layers": 2, "units": 8}, lambda: supervised(*pinn_data(), batch=25), (100, 1)),
}


def test_every_registered_builder_has_a_case():
    assert sorted(spec.name for spec in registered()) == sorted(CASES)


def build(name):
    # Each case draws its data from a fresh generator, so a test's data does not depend on which
    # tests ran before it in the same worker (pytest-xdist hands out tests in no fixed order).
    global RNG
    RNG = np.random.default_rng(0)
    set_seed(0)
    spec = next(spec for spec in registered() if spec.name == name)
    model = spec.build(**CASES[name]["kwargs"])
    fit_args, predict_input = CASES[name]["make"]()
    if name == "burgers_pinn":
        model.set_collocation(np.stack([RNG.uniform(0, 1, 256), RNG.uniform(-1, 1, 256)], 1))
    return model, fit_args, predict_input


@pytest.mark.parametrize("name", sorted(CASES))
def test_trains_predicts_and_round_trips(name, tmp_path):
    model, fit_args, predict_input = build(name)
    if name in ("gan", "wgan"):
        distance_before = abs(model.generate(512, seed=1).mean() - 3)
    history = model.fit(**fit_args, epochs=CASES[name]["epochs"], verbose=0).history
    losses = history[CASES[name]["loss_key"]]
    assert np.isfinite(losses).all()
    if name in ("gan", "wgan"):
        # Adversarial losses need not fall; the generator must move toward the data (mean 3).
        samples = model.generate(512, seed=1)
        assert samples.shape == (512, 2)
        assert abs(samples.mean() - 3) < 0.85 * distance_before
    else:
        assert losses[-1] < losses[0], losses
    predicted = model.predict(predict_input, verbose=0)
    assert predicted.shape == CASES[name]["shape"]
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    if keras.backend.backend() == "torch":
        # Same weights bit for bit; PyTorch's CPU matmul may sum in another order for a
        # freshly created parameter than for one updated in place by training.
        np.testing.assert_allclose(loaded.predict(predict_input, verbose=0), predicted, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(loaded.predict(predict_input, verbose=0), predicted)
    for mine, theirs in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("name", ["vae", "cvae", "gan", "wgan", "flow_prior_vae", "realnvp"])
def test_generative_models_sample_the_right_shape(name):
    model, _, _ = build(name)
    assert model.generate(7, seed=0).shape == (7, 2 if name in ("gan", "wgan", "realnvp") else 64)
    np.testing.assert_array_equal(model.generate(3, seed=5), model.generate(3, seed=5))
    if name == "cvae":
        assert model.generate_for([4, 4, 9], seed=0).shape == (3, 64)
