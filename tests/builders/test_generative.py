"""Normalizing flows, diffusion and the learned-prior VAE: the mathematics each one rests on."""

import keras
import numpy as np
import pytest

from toolkit.builders import ddpm, flow_prior_vae, linear_schedule, realnvp, vae
from toolkit.builders.flows import coupling_masks
from toolkit.builders.steps import input_gradient
from toolkit.training import set_seed

# Tests of NumPy-side logic and argument checks run once, on TensorFlow; the backend's own paths
# (training steps, the EMA update, the flow's log-determinant and inverse, save and load in
# tests/builders/test_registry.py) run on every backend.
once = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="backend-neutral: run on TensorFlow")


def _randomised_flow(dim=4, layers=4, seed=0, scale=0.5):
    """A flow whose coupling outputs are not zero (a new flow is the identity)."""
    set_seed(seed)
    model = realnvp(dim=dim, coupling_layers=layers, hidden_units=(8,))
    rng = np.random.default_rng(seed)
    for coupling in model.flow.couplings:
        for layer in (coupling.scale_layer, coupling.shift_layer):
            layer.set_weights([rng.normal(0, scale, w.shape).astype("float32") for w in layer.get_weights()])
    return model


def test_log_determinant_equals_the_jacobians():
    model = _randomised_flow()
    x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    z, log_det = (keras.ops.convert_to_numpy(v) for v in model.flow(keras.ops.convert_to_tensor(x)))
    assert not np.allclose(z, x)
    # Row j of each sample's Jacobian: the gradient of output j (samples are independent).
    rows = [keras.ops.convert_to_numpy(input_gradient(lambda v, j=j: model.flow(v)[0][:, j],
                                                      keras.ops.convert_to_tensor(x))) for j in range(4)]
    jacobians = np.stack(rows, axis=1).astype("float64")  # (sample, output, input)
    np.testing.assert_allclose(log_det, np.log(np.abs(np.linalg.det(jacobians))), rtol=1e-4, atol=1e-4)


def test_inverse_undoes_forward():
    model = _randomised_flow(dim=6, layers=6, scale=0.2)
    x = np.random.default_rng(2).normal(size=(20, 6)).astype("float32")
    z = model.flow(keras.ops.convert_to_tensor(x))[0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.flow.inverse(z)), x, rtol=1e-5, atol=1e-5)


@once
def test_masks_alternate_so_every_entry_moves():
    masks = coupling_masks(784, 4, (28, 28))
    assert masks.shape == (4, 784)
    np.testing.assert_array_equal(masks[0] + masks[1], 1)
    assert masks[0].reshape(28, 28)[0, :2].tolist() == [0, 1] and masks[0].reshape(28, 28)[1, :2].tolist() == [1, 0]
    np.testing.assert_array_equal(masks[2], np.arange(784) < 392)


@once
def test_flow_density_integrates_to_one_on_the_plane():
    model = _randomised_flow(dim=2, layers=4, scale=0.2)
    grid = np.linspace(-10, 10, 401)
    points = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2).astype("float32")
    mass = np.exp(model.log_prob(points)).sum() * (grid[1] - grid[0]) ** 2
    assert mass == pytest.approx(1.0, abs=0.02)


@once
def test_flow_on_pixels_reports_bits_per_dimension_and_samples_pixels():
    set_seed(0)
    model = realnvp(dim=16, hidden_units=(16,), coupling_layers=2, preprocessing="logit", image_shape=(4, 4), seed=0)
    pixels = np.round(np.random.default_rng(0).uniform(size=(50, 16)) * 255) / 255
    # An untrained flow is the identity after the logit: N(0, 1) over the logits, a known density.
    bits = model.bits_per_dim(pixels, seed=0)
    assert 0 < bits < 16
    samples = model.generate(10, seed=0)
    assert samples.shape == (10, 16) and samples.min() >= 0 and samples.max() <= 1
    with pytest.raises(ValueError, match="bits per dimension apply to pixels"):
        realnvp(dim=2).bits_per_dim(np.zeros((2, 2)))


@once
def test_forward_process_matches_its_closed_form():
    schedule = linear_schedule(1000)
    rng = np.random.default_rng(0)
    x0 = np.array([-0.8, 0.1, 0.9])
    draws = np.repeat(x0[None], 20_000, axis=0)
    x = draws.copy()
    for t in range(300):  # the chain x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps, step by step
        x = np.sqrt(1 - schedule["beta"][t]) * x + np.sqrt(schedule["beta"][t]) * rng.normal(size=x.shape)
    abar = schedule["alpha_bar"][299]
    np.testing.assert_allclose(x.mean(0), np.sqrt(abar) * x0, atol=0.015)
    np.testing.assert_allclose(x.var(0), 1 - abar, rtol=0.03)
    set_seed(0)
    model = ddpm(image_shape=(4, 4, 1), widths=(8,), timesteps=1000)
    closed = keras.ops.convert_to_numpy(model.q_sample(
        keras.ops.convert_to_tensor(np.full((20_000, 4, 4, 1), 0.5, "float32")),
        keras.ops.convert_to_tensor(np.full(20_000, 299, "int32")),
        keras.ops.convert_to_tensor(rng.normal(size=(20_000, 4, 4, 1)).astype("float32"))))
    assert closed.mean() == pytest.approx(np.sqrt(abar) * 0.5, abs=0.01)
    assert closed.var() == pytest.approx(1 - abar, rel=0.02)
    assert schedule["alpha_bar"][-1] < 1e-4  # x_T is pure noise


@once
def test_diffusion_samplers_and_their_refusals():
    set_seed(0)
    model = ddpm(image_shape=(8, 8, 1), widths=(8, 16), embedding_dim=16, timesteps=20, seed=0)
    for sampler, steps in (("ddim", 4), ("ddpm", 20)):
        images = model.generate(5, seed=1, steps=steps, sampler=sampler)
        assert images.shape == (5, 8, 8, 1) and images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(model.generate(3, seed=2, steps=3), model.generate(3, seed=2, steps=3))
    with pytest.raises(ValueError, match="`sampler` must be one of ddim, ddpm. Received: sampler='euler'"):
        model.generate(2, sampler="euler")
    with pytest.raises(ValueError, match="`steps` must be a whole number from 1 to 20. Received: steps=50"):
        model.generate(2, steps=50)
    with pytest.raises(ValueError, match="this diffusion model is unconditional"):
        model.generate(2, steps=2, labels=[1, 2])
    bits, error = model.nll_bound(np.round(np.random.default_rng(0).uniform(size=(6, 8, 8, 1)) * 255) / 255,
                                  seed=0, draws=2)
    assert bits > 0 and error > 0  # a bound on a probability mass: never below zero bits


@once
def test_class_conditional_diffusion_samples_given_labels():
    set_seed(0)
    model = ddpm(image_shape=(8, 8, 1), widths=(8, 16), embedding_dim=16, timesteps=20, classes=3, seed=0)
    images = np.random.default_rng(0).uniform(size=(12, 8, 8, 1)).astype("float32")
    model.fit({"x": images, "label": np.arange(12) % 3}, epochs=1, batch_size=6, verbose=0)
    assert model.generate(4, seed=0, steps=2, labels=[0, 1, 2, 2]).shape == (4, 8, 8, 1)
    with pytest.raises(ValueError, match="`labels` must hold 2 whole classes from 0 to 2"):
        model.generate(2, steps=2, labels=[0, 5])


@once
@pytest.mark.parametrize("kwargs, message", [
    ({"image_shape": (28, 28, 1), "widths": (8, 8, 8, 8)}, "divisible by 2 ** (len(widths) - 1) = 8"),
    ({"beta_start": 0.1, "beta_end": 0.01}, "the schedule needs 0 < beta_start < beta_end < 1"),
    ({"ema": 1.0}, "`ema` must lie in [0, 1). Received: ema=1.0"),
])
def test_diffusion_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("*", r"\*")):
        ddpm(**kwargs)


def test_ema_weights_follow_the_warmed_up_average():
    set_seed(0)
    model = ddpm(image_shape=(8, 8, 1), widths=(8,), embedding_dim=8, timesteps=20, ema=0.9, seed=0)
    before = [w.copy() for w in model.ema_network.get_weights()]
    model.fit(np.random.default_rng(0).uniform(size=(8, 8, 8, 1)).astype("float32"), epochs=1, batch_size=8,
              verbose=0)  # one step done: the decay is min(0.9, (1 + 1) / (10 + 1)) = 2 / 11
    trained, averaged = model.network.get_weights(), model.ema_network.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(before, trained))
    for start, end, average in zip(before, trained, averaged):
        np.testing.assert_allclose(average, 2 / 11 * start + 9 / 11 * end, rtol=1e-5, atol=1e-7)


def test_flow_prior_leaves_the_vae_itself_unchanged():
    data = np.random.default_rng(0).uniform(size=(128, 16)).astype("float32")
    histories = {}
    for build in (vae, flow_prior_vae):
        set_seed(0)
        model = build(input_dim=16, hidden_units=(16,), latent_dim=4, seed=0, **({"prior_units": (8,)}
                                                                                 if build is flow_prior_vae else {}))
        histories[build.__name__] = model.fit(data, epochs=3, batch_size=32, verbose=0).history
    # The encoder and decoder train as the Gaussian-prior VAE's; only the prior (and its KL) differ.
    np.testing.assert_allclose(histories["flow_prior_vae"]["reconstruction_loss"],
                               histories["vae"]["reconstruction_loss"], rtol=1e-5)
    assert histories["flow_prior_vae"]["kl_loss"] != histories["vae"]["kl_loss"]


@once
def test_flow_prior_samples_where_the_codes_are():
    set_seed(0)
    model = flow_prior_vae(input_dim=2, hidden_units=(8,), latent_dim=2, prior_units=(16,), seed=0)
    codes = np.random.default_rng(0).normal(loc=[3.0, -2.0], scale=0.3, size=(512, 2)).astype("float32")
    optimizer = keras.optimizers.Adam(0.03)
    for _ in range(60):  # fit the prior alone to codes far from N(0, I)
        def loss():
            return -keras.ops.mean(model.prior.log_prob(keras.ops.convert_to_tensor(codes))), None
        value, _, grads = model.gradients(loss, model.prior.trainable_weights)
        model.apply(optimizer, grads, model.prior.trainable_weights)
    drawn = model.prior_sample(2000, seed=0)
    np.testing.assert_allclose(drawn.mean(0), [3.0, -2.0], atol=0.3)


@once
def test_flow_prior_decoder_noise_is_not_the_prior_draw():
    set_seed(0)
    model = flow_prior_vae(input_dim=2, hidden_units=(16,), latent_dim=2, prior_units=(8,), seed=0)
    mean = model.generate(6, seed=42)
    noisy = model.generate(6, seed=42, sample=True)
    _, log_var = model.decoder.predict(model.prior_sample(6, seed=42), verbose=0)
    noise = (noisy - mean) / np.exp(0.5 * log_var)
    assert not np.allclose(noise, np.random.default_rng(42).normal(size=(6, 2)), atol=1e-3)


@once
def test_wrong_data_is_refused_before_training():
    set_seed(0)
    flow = realnvp(dim=2, hidden_units=(8,))
    with pytest.raises(ValueError, match=r"the flow models rows of 2 values. Received: data of shape \(10, 3\)"):
        flow.fit(np.zeros((10, 3), "float32"), epochs=1, verbose=0)
    pixels = realnvp(dim=4, hidden_units=(8,), preprocessing="logit")
    with pytest.raises(ValueError, match=r"pixels in \[0, 1\] \(divide 0..255 images by 255\). Received: values from 255 to 255"):
        pixels.fit(np.full((4, 4), 255.0, "float32"), epochs=1, verbose=0)
    diffusion = ddpm(image_shape=(8, 8, 1), widths=(8,), embedding_dim=8, timesteps=20)
    with pytest.raises(ValueError, match=r"pixels must lie in \[0, 1\]"):
        diffusion.fit(np.full((4, 8, 8, 1), 255.0, "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"images of shape \(n, 8, 8, 1\). Received: images of shape \(4, 8, 8\)"):
        diffusion.fit(np.zeros((4, 8, 8), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`draws` must be a positive integer. Received: draws=0"):
        diffusion.nll_bound(np.zeros((2, 8, 8, 1)), draws=0)
    conditional = ddpm(image_shape=(8, 8, 1), widths=(8,), embedding_dim=8, timesteps=20, classes=3)
    with pytest.raises(ValueError, match="this model is class-conditional: fit it on"):
        conditional.fit(np.zeros((4, 8, 8, 1), "float32"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`labels` must be class numbers, one per image \\(not one-hot\\)"):
        conditional.fit({"x": np.zeros((3, 8, 8, 1), "float32"), "label": np.eye(3)}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="pass `labels`. Received: labels=None"):
        conditional.nll_bound(np.zeros((2, 8, 8, 1)))


@once
def test_any_width_and_a_short_schedule_sample():
    set_seed(0)
    model = ddpm(image_shape=(8, 8, 1), widths=(12, 6), embedding_dim=8, timesteps=20)  # not multiples of 8
    assert model.generate(2, seed=0).shape == (2, 8, 8, 1)  # default steps: min(50, T)
    assert model.generate(2, seed=0, sampler="ddpm").shape == (2, 8, 8, 1)
    with pytest.raises(ValueError, match="`embedding_dim` must be an even number of at least 2"):
        ddpm(embedding_dim=63)
