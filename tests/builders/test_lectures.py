"""The lectures, whole: the notes' loss table, their activations, initialisers, optimisers,
clipping and recipes, available in every builder through the same options."""

import re
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from scipy import stats

from toolkit.builders import (
    dense_autoencoder, denoising_autoencoder, gan, gaussian_mlp, mlp_regressor, registered, vae,
)
from toolkit.builders.losses import NOTES_TABLE, check_output_and_loss
from toolkit.builders.options import TRAINING_OPTIONS, initializer, make_optimizer
from toolkit.builders.recipes import RECIPES
from toolkit.builders.vae import gaussian_log_likelihood
from toolkit.training import fit_recipe, set_seed

LECTURES = Path(__file__).resolve().parents[3] / "shared" / "lectures"
# Small sizes for builders whose defaults are big; every other builder builds at its defaults.
SMALL = {"digits_cnn": {}, "stacked_lstm": {"units": 8}, "stacked_gru": {"units": 8},
         "vae": {"input_dim": 16, "hidden_units": (8,)}, "ddpm": {"image_shape": (8, 8, 1), "widths": (8, 16)},
         "flow_prior_vae": {"input_dim": 16, "hidden_units": (8,), "prior_units": (8,)},
         "realnvp": {"hidden_units": (8,), "coupling_layers": 2}, "cvae": {"input_dim": 16, "hidden_units": (8,)},
         "dense_autoencoder": {"input_dim": 16, "hidden_units": (8,), "bottleneck": 4},
         "denoising_autoencoder": {"input_dim": 16, "hidden_units": (8,), "bottleneck": 4}}


def optimizer_of(model):
    return getattr(model, "d_optimizer", None) or model.optimizer


@pytest.mark.parametrize("row", NOTES_TABLE, ids=lambda row: row[0])
def test_every_row_of_the_notes_table_passes_without_warning(row):
    loss, _, activation, size = row
    units = 1 if size == "one node" else 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_output_and_loss(activation, loss, units)


def test_the_table_is_the_notes_table():
    notes = LECTURES / "bianco-pinns-and-generative-ai.txt"
    if not notes.is_file():
        pytest.skip("the lecture notes are not beside this checkout")
    text = notes.read_text()
    block = text[text.index("loss good for activation last layer size last layer"):].splitlines()[1:7]
    rows = [(line.split()[0].lower(), line.split()[-3], " ".join(line.split()[-2:])) for line in block]
    # The notes spell two losses their own way.
    rename = {"mean_squared_logarithmit_error": "mean_squared_logarithmic_error", "kullback_divergence": "kl_divergence"}
    assert [(rename.get(loss, loss), act, size) for loss, act, size in rows] == \
        [(loss, act, size) for loss, _, act, size in NOTES_TABLE]


@pytest.mark.parametrize("spec", registered(), ids=lambda spec: spec.name)
def test_every_builder_takes_the_shared_training_options(spec):
    kwargs = SMALL.get(spec.name, {})
    model = spec.build(**kwargs, optimizer="sgd", momentum=0.8, learning_rate=0.02, global_clipnorm=1.5)
    config = optimizer_of(model).get_config()
    assert (type(optimizer_of(model)).__name__, config["momentum"], config["global_clipnorm"]) == ("SGD", 0.8, 1.5)
    assert config["learning_rate"] == pytest.approx(0.02)
    recipe = "gan_saturating" if spec.name == "gan" else "sysid"
    config = optimizer_of(spec.build(**kwargs, recipe=recipe)).get_config()
    assert config["learning_rate"] == pytest.approx(RECIPES[recipe].learning_rate)


@pytest.mark.parametrize("spec", registered(), ids=lambda spec: spec.name)
def test_every_builder_runs_the_loss_activation_check(spec, monkeypatch):
    calls = []
    for module in {sys.modules[s.build.__module__] for s in registered()}:
        if hasattr(module, "check_output_and_loss"):
            monkeypatch.setattr(module, "check_output_and_loss", lambda *args: calls.append(args))
    spec.build(**SMALL.get(spec.name, {}))
    assert calls, f"{spec.name} never checked its output layer against its loss"


@pytest.mark.parametrize("spec", registered(), ids=lambda s: s.name)
def test_every_builder_takes_the_notes_initialisers(spec):
    model = spec.build(**SMALL.get(spec.name, {}), kernel_initializer="uniform_fan_in")
    initialisers = [layer.kernel_initializer for layer in _layers(model) if hasattr(layer, "kernel_initializer")]
    assert initialisers and any(isinstance(i, keras.initializers.VarianceScaling) and i.scale == pytest.approx(1 / 3)
                                for i in initialisers)


def _layers(model):
    for layer in model._flatten_layers(include_self=False):
        yield layer
        if isinstance(layer, keras.layers.Bidirectional):
            yield layer.forward_layer
        if hasattr(layer, "cell"):
            yield layer.cell


def test_leaky_relu_is_the_notes_slope_everywhere():
    model = gan()
    dense = model.discriminator.get_layer("discriminator_dense_1")
    np.testing.assert_allclose(np.asarray(dense.activation(np.array([-1.0], "float32"))), [-0.01])


@pytest.mark.parametrize("name, std, bound", [
    ("uniform_fan_in", 1 / np.sqrt(3 * 400), 1 / np.sqrt(400)),
    ("glorot_normal_plain", np.sqrt(2 / (400 + 300)), None),
    ("he_normal_plain", np.sqrt(2 / 400), None),
])
def test_initialisers_follow_the_notes_formulas(name, std, bound):
    weights = np.asarray(initializer(name, seed=0)((400, 300)))
    assert weights.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert np.abs(weights).max() <= bound
    else:  # plain normals, not truncated at two standard deviations as Keras's own are
        assert (np.abs(weights) > 2.5 * std).mean() == pytest.approx(2 * stats.norm.sf(2.5), rel=0.15)


def test_optimisers_the_notes_name():
    assert type(make_optimizer("adagrad")).__name__ == "Adagrad"
    nesterov = make_optimizer("nesterov").get_config()
    assert nesterov["nesterov"] and nesterov["momentum"] == 0.9
    # Adadelta at the rate the notes relied on, not Keras 3's 1e-3.
    assert float(make_optimizer("adadelta").learning_rate) == 1.0
    assert float(make_optimizer("sgd").learning_rate) == pytest.approx(0.01)


def test_global_norm_clipping_bounds_the_whole_step():
    weights = [keras.Variable(np.zeros(3, "float32")), keras.Variable(np.zeros(4, "float32"))]
    optimizer = make_optimizer("sgd", 1.0, global_clipnorm=1.0)
    grads = lambda: [keras.ops.convert_to_tensor(np.full(n, sign * 100.0, "float32"))  # noqa: E731
                     for n, sign in ((3, 1), (4, -1))]
    optimizer.apply_gradients(zip(grads(), weights))
    step = np.concatenate([keras.ops.convert_to_numpy(w) for w in weights])
    assert np.linalg.norm(step) == pytest.approx(1.0, rel=1e-5)
    # Per-gradient clipnorm, by contrast, lets the joint step grow with the number of tensors.
    weights = [keras.Variable(np.zeros(3, "float32")), keras.Variable(np.zeros(4, "float32"))]
    make_optimizer("sgd", 1.0, clipnorm=1.0).apply_gradients(zip(grads(), weights))
    assert np.linalg.norm(np.concatenate([keras.ops.convert_to_numpy(w) for w in weights])) == pytest.approx(
        np.sqrt(2), rel=1e-5)


class StepCounter(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


def regression(n, d=4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)).astype("float32")
    return x, (x[:, 0] - 0.5 * x[:, 1]).astype("float32")


def test_recipe_sysid_is_full_batch_sgd():
    set_seed(0)
    model = mlp_regressor(recipe="sysid")
    counter = StepCounter()
    record = fit_recipe(model, *regression(250), "sysid", epochs=5, callbacks=[counter], verbose=0)
    assert counter.steps == 5  # one step per epoch: the whole set at once
    assert type(model.optimizer).__name__ == "SGD" and float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert np.all(np.diff(record.history["loss"]) < 0)


def test_recipe_keras_mlp_is_adam_at_batch_100():
    set_seed(0)
    model = mlp_regressor(hidden_units=(10, 10), activation="relu", recipe="keras_mlp")
    counter = StepCounter()
    record = fit_recipe(model, *regression(250), "keras_mlp", epochs=3, callbacks=[counter], verbose=0)
    assert counter.steps == 3 * 3 and RECIPES["keras_mlp"].epochs == 20
    assert type(model.optimizer).__name__ == "Adam"
    assert record.history["loss"][-1] < record.history["loss"][0]


def test_recipe_autoencoder_adadelta_learns_where_keras3_default_barely_moves():
    images = np.random.default_rng(0).uniform(size=(512, 16)).astype("float32")
    drops = {}
    for options in ({"recipe": "autoencoder_adadelta"}, {"optimizer": "adadelta", "learning_rate": 1e-3}):
        set_seed(0)
        model = dense_autoencoder(input_dim=16, hidden_units=(8,), bottleneck=4, loss="mse", **options)
        if "recipe" in options:
            record = fit_recipe(model, images, images, "autoencoder_adadelta", epochs=5, verbose=0)
            assert float(model.optimizer.learning_rate) == 1.0
        else:
            record = model.fit(images, images, epochs=5, batch_size=256, verbose=0)
        losses = record.history["loss"]
        drops[options.get("recipe", "keras3")] = losses[0] - losses[-1]
    assert drops["autoencoder_adadelta"] > 10 * max(drops["keras3"], 1e-9)


@pytest.mark.parametrize("recipe, sign", [("gan_saturating", -1), ("gan_non_saturating", 1)])
def test_gan_recipes_set_the_generator_loss(recipe, sign):
    set_seed(0)
    model = gan(recipe=recipe, seed=0)
    assert model.generator_loss == RECIPES[recipe].model_options["generator_loss"]
    data = np.random.default_rng(0).normal(3, 0.5, (256, 2)).astype("float32")
    record = fit_recipe(model, data, None, recipe, epochs=2, verbose=0)
    # Saturating: minimise log(1 - D(G(z))) < 0; non-saturating: minimise -log D(G(z)) > 0.
    assert np.sign(record.history["g_loss"][-1]) == sign


def test_fit_recipe_refuses_a_model_built_otherwise():
    with pytest.raises(ValueError, match=r"^recipe 'sysid' trains with sgd at 0.0001; build the model with "
                                         r"recipe='sysid'. Received: adam at 0.001$"):
        fit_recipe(mlp_regressor(), *regression(10), "sysid", epochs=1)


def test_homoscedastic_is_the_tutorials_default():
    model = gaussian_mlp()
    assert model.get_layer("gaussian").noise == "homoscedastic"
    x = np.linspace(-3, 3, 7, dtype="float32")[:, None]
    variance = model.predict(x, verbose=0)[:, 1]
    assert np.ptp(variance) == 0  # one variance for every input


def test_gaussian_log_likelihood_matches_scipy():
    rng = np.random.default_rng(1)
    y, mean = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    log_var = rng.uniform(-2, 2, (5, 3))
    expected = stats.norm.logpdf(y, mean, np.exp(0.5 * log_var)).sum(axis=1)
    np.testing.assert_allclose(np.asarray(gaussian_log_likelihood(y, mean, log_var)), expected, rtol=1e-6)


def test_vae_reconstruction_term_is_the_gaussian_nll():
    set_seed(0)
    model = vae(input_dim=3, hidden_units=(4,), latent_dim=1, seed=0)
    # Make the encoder's variance vanish so that the sampled z is the posterior mean.
    layer = model.encoder.get_layer("z_log_var")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()[:1]] + [np.full(1, -60.0, "float32")])
    y = np.random.default_rng(2).normal(size=(6, 3)).astype("float32")
    z_mean, z_log_var = (keras.ops.convert_to_numpy(v).astype("float64") for v in model.encoder(y))
    mean, log_var = (keras.ops.convert_to_numpy(v).astype("float64") for v in model.decoder(z_mean.astype("float32")))
    nll = -stats.norm.logpdf(y, mean, np.exp(0.5 * log_var)).sum(axis=1).mean()
    kl = np.mean(-0.5 * np.sum(1 + z_log_var - z_mean ** 2 - np.exp(z_log_var), axis=1))
    _, reconstruction, kl_term = model._loss_terms(y, training=False)
    assert float(keras.ops.convert_to_numpy(reconstruction)) == pytest.approx(nll, rel=1e-4)
    assert float(keras.ops.convert_to_numpy(kl_term)) == pytest.approx(kl, rel=1e-4)


def test_gaussian_decoder_has_mean_and_variance_networks():
    model = vae(input_dim=10, hidden_units=(6,), latent_dim=2)
    names = {layer.name for layer in model.decoder.layers}
    assert {"decoder_dense_1", "reconstruction", "variance_dense_1", "log_variance"} <= names
    # Each tower: 2*6+6 then 6*10+10; the Bernoulli decoder has one.
    bernoulli = vae(input_dim=10, hidden_units=(6,), latent_dim=2, reconstruction="binary_crossentropy")
    assert model.decoder.count_params() - bernoulli.decoder.count_params() == 2 * 6 + 6 + 6 * 10 + 10
    samples = model.generate(4, seed=0, sample=True)
    assert samples.shape == (4, 10) and not np.allclose(samples, model.generate(4, seed=0))


def test_cvae_on_a_continuous_condition():
    from toolkit.builders import cvae

    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (512, 1)).astype("float32")
    y = np.concatenate([2 * x, -x], axis=1) + rng.normal(0, 0.05, (512, 2)).astype("float32")
    model = cvae(input_dim=2, condition_dim=1, hidden_units=(32,), latent_dim=1, seed=0, learning_rate=1e-2)
    history = model.fit({"data": y, "condition": x}, epochs=30, batch_size=64, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    drawn = model.generate_for(np.array([[-0.8], [0.8]], "float32"), seed=0)
    # The decoder follows the condition: y's first coordinate moves with 2 x.
    assert drawn[1, 0] - drawn[0, 0] > 1.0


def test_masking_noise_zeroes_a_share_in_training_only_without_rescaling():
    model = denoising_autoencoder(input_dim=400, hidden_units=(), bottleneck=8, noise="masking", mask_rate=0.3)
    layer = model.get_layer("input_noise")
    x = np.full((50, 400), 0.5, "float32")
    masked = np.asarray(layer(x, training=True))
    assert (masked == 0).mean() == pytest.approx(0.3, abs=0.02)
    assert set(np.unique(masked)) == {0.0, 0.5}  # kept pixels keep their value
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)


def test_overcomplete_denoiser_builds_and_learns():
    set_seed(0)
    images = np.random.default_rng(0).uniform(size=(256, 16)).astype("float32")
    model = denoising_autoencoder(input_dim=16, hidden_units=(), bottleneck=32, noise="masking")
    assert model.get_layer("encoder").output.shape == (None, 32)
    losses = model.fit(images, images, epochs=5, batch_size=32, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="bottleneck"):
        dense_autoencoder(input_dim=16, hidden_units=(), bottleneck=32)


def test_every_builder_has_the_shared_options_in_its_documentation():
    for spec in registered():
        doc = spec.build.__doc__ or ""
        if "**kwargs" in doc:
            continue
        missing = [option for option in TRAINING_OPTIONS if not re.search(rf"^\s+{option}:", doc, re.M)]
        assert not missing, f"{spec.name} does not document {missing}"
