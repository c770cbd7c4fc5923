"""Generative models on a 2-D toy distribution and on digits, judged by one yardstick.

Bianco's notes end their list of generative families (GANs, VAEs, flows, diffusion) on
"Which generative AI is right for you??". This run answers on the user's machine: every
family trained on the same digits, each judged by the same numbers (the Frechet distance in
the toolkit's own digits CNN's features, that classifier's reading, a likelihood where the
family has one, and wall times), beside a grid of its samples.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from toolkit.errors import UsageError
from toolkit.evaluation.generative import classifier_reading, diversity, energy_distance, frechet_distance
from toolkit.reports import plots
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.common import positive

MODELS = ("gan", "wgan", "vae", "flow_prior_vae", "cvae", "realnvp", "ddpm")
TITLES = {"gan": "GAN", "wgan": "WGAN-GP", "vae": "VAE", "flow_prior_vae": "VAE, flow prior", "cvae": "CVAE",
          "realnvp": "RealNVP", "ddpm": "DDPM"}
#: Models with a likelihood of 2-D points (nats): exact for the flow, a bound for the VAEs.
TOY_LIKELIHOOD = {"realnvp": "exact", "vae": "bound", "flow_prior_vae": "bound"}


@dataclass(frozen=True)
class GenerativeConfig:
    """Settings of the generative pipeline.

    Attributes:
        models: Which of gan, wgan, vae, flow_prior_vae, cvae, realnvp, ddpm to train.
            Defaults to all.
        toy_points: Samples of the 2-D ring of eight Gaussians. Defaults to 2,000.
        toy_epochs: Epochs on the toy data. Defaults to 150.
        digit_epochs: Epochs of the GANs and VAEs on the digits. Defaults to 20.
        flow_epochs: Epochs of RealNVP on the digits. Defaults to 20.
        flow_layers: RealNVP's coupling layers on the digits. Defaults to 8.
        toy_flow_layers: Coupling layers of RealNVP on the ring. Defaults to 10.
        prior_layers: Coupling layers of the flow-prior VAE's prior. Defaults to 4.
        diffusion_epochs: Epochs of the DDPM on the digits. Defaults to 25.
        diffusion_widths: The DDPM U-Net's channels per resolution. Defaults to (32, 64, 128).
        diffusion_learning_rate: Adam's rate for the DDPM: higher than Ho et al.'s 2e-4, which
            needs far more steps than a CPU run takes. Defaults to 1e-3.
        diffusion_steps: DDIM steps when sampling. Defaults to 20.
        ancestral_samples: Digits also drawn by the DDPM's 1,000-step ancestral sampler, for
            the report's grid (0: none). Defaults to 20.
        samples: Digits each model generates for the yardstick. Defaults to 1,000.
        nll_draws: Diffusion steps drawn per test digit for the DDPM's likelihood bound.
            Defaults to 4.
        latent_dim: Noise / code size of the GANs and VAEs on the digits. Defaults to 16.
        cvae_latent_dim: Code size of the CVAE on the digits; a small code leaves the class to
            the label, so each requested digit comes out as asked. Defaults to 2.
        classifier_epochs: Epochs of the digits CNN that judges the samples. Defaults to 8.
        source: Digits source. Defaults to ``mnist5k``.
        mnist_path: For ``source = "mnist"``.
        max_images: Use at most this many digits (0: all). Defaults to 0.
        batch_size: Defaults to 64.
        seed: Defaults to 42.
    """

    models: tuple = MODELS
    toy_points: int = 2000
    toy_epochs: int = 150
    digit_epochs: int = 20
    flow_epochs: int = 20
    flow_layers: int = 8
    toy_flow_layers: int = 10
    prior_layers: int = 4
    diffusion_epochs: int = 25
    diffusion_widths: tuple = (32, 64, 128)
    diffusion_learning_rate: float = 1e-3
    diffusion_steps: int = 20
    ancestral_samples: int = 20
    samples: int = 1000
    nll_draws: int = 4
    latent_dim: int = 16
    cvae_latent_dim: int = 2
    classifier_epochs: int = 8
    source: str = "mnist5k"
    mnist_path: str = ""
    max_images: int = 0
    batch_size: int = 64
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "GenerativeConfig":
        return replace(self, toy_points=200, toy_epochs=1, digit_epochs=1, flow_epochs=1, diffusion_epochs=1,
                       flow_layers=2, toy_flow_layers=2, prior_layers=2,
                       diffusion_widths=(8, 16), diffusion_steps=3, ancestral_samples=0, samples=100, nll_draws=1,
                       classifier_epochs=1, max_images=500, quick=True)

    def validate(self) -> "GenerativeConfig":
        positive(self, "toy_points", "toy_epochs", "digit_epochs", "flow_epochs", "flow_layers", "toy_flow_layers", "prior_layers",
                 "diffusion_epochs",
                 "diffusion_learning_rate", "diffusion_steps", "samples", "nll_draws", "latent_dim", "cvae_latent_dim", "classifier_epochs",
                 "batch_size")
        models = (self.models,) if isinstance(self.models, str) else tuple(self.models)
        unknown = [m for m in models if m not in MODELS]
        if unknown or not models or len(set(models)) != len(models):
            raise UsageError(f"models must name some of {', '.join(MODELS)}, each once. Received: {list(models)}")
        widths = (self.diffusion_widths,) if isinstance(self.diffusion_widths, int) else tuple(self.diffusion_widths)
        if not widths or any(isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 512 for w in widths) \
                or len(widths) > 3:
            raise UsageError("diffusion_widths must be one to three whole numbers from 1 to 512 (28 halves "
                             f"twice at most). Received: {list(widths)}")
        for name, low, high in (("diffusion_steps", 1, 1000), ("ancestral_samples", 0, 1000),
                                ("samples", 10, 100_000), ("nll_draws", 1, 1000)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise UsageError(f"{name} must be a whole number from {low:,} to {high:,}. Received: {value!r}")
        if "flow_prior_vae" in models and self.latent_dim < 2:
            raise UsageError(f"latent_dim must be at least 2 for flow_prior_vae (its flow splits the code in two). "
                             f"Received: {self.latent_dim}")
        if isinstance(self.max_images, bool) or not isinstance(self.max_images, int) or self.max_images < 0:
            raise UsageError(f"max_images must be 0 (all) or a positive whole number. Received: {self.max_images!r}")
        from toolkit.runs.digits import digits_settings

        digits_settings(self).validate()  # the digits source, before anything trains
        return replace(self, models=models, diffusion_widths=widths)


def ring_of_gaussians(n: int, rng, modes: int = 8, radius: float = 2.0, sd: float = 0.1):
    """The classic GAN toy: ``modes`` Gaussians on a circle; returns points and mode labels."""
    labels = rng.integers(0, modes, n)
    angles = 2 * np.pi * labels / modes
    centres = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return (centres + rng.normal(0, sd, (n, 2))).astype("float32"), labels


@dataclass
class Trained:
    """One model's run: the model, its samples and the yardstick's numbers."""

    name: str
    model: object
    history: dict
    train_seconds: float
    samples: np.ndarray = None
    sample_seconds: float = 0.0
    numbers: dict = field(default_factory=dict)


def _builders(config):
    from toolkit.builders import cvae, ddpm, flow_prior_vae, gan, realnvp, vae, wgan

    seed = config.seed
    return {
        "gan": lambda k: gan(data_dim=k["dim"], latent_dim=k["latent"], generator_units=k["units"],
                             discriminator_units=k["units"], output_activation=k["out"], seed=seed),
        "wgan": lambda k: wgan(data_dim=k["dim"], latent_dim=k["latent"], generator_units=k["units"],
                               discriminator_units=k["units"], output_activation=k["out"], seed=seed),
        "vae": lambda k: vae(input_dim=k["dim"], hidden_units=k["vae_units"], latent_dim=k["latent"],
                             output_activation=k["out"], reconstruction=k["recon"], seed=seed),
        "flow_prior_vae": lambda k: flow_prior_vae(input_dim=k["dim"], hidden_units=k["vae_units"],
                                                   latent_dim=k["latent"], output_activation=k["out"],
                                                   reconstruction=k["recon"], prior_layers=config.prior_layers,
                                                   seed=seed),
        "cvae": lambda k: cvae(input_dim=k["dim"], condition_dim=k["classes"], hidden_units=k["vae_units"],
                               latent_dim=k["cvae_latent"], output_activation=k["out"], reconstruction=k["recon"],
                               seed=seed),
        "realnvp": lambda k: realnvp(dim=k["dim"], coupling_layers=k["flow_layers"], hidden_units=k["flow_units"],
                                     preprocessing=k["flow_pre"], image_shape=k["image_shape"], seed=seed),
        "ddpm": lambda k: ddpm(widths=config.diffusion_widths, learning_rate=config.diffusion_learning_rate, seed=seed),
    }


def parameters(model) -> int:
    """Trainable parameters (a DDPM's moving-average copy and a flow's fixed masks excluded)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def _train(name, build, data, epochs, config, log, label) -> Trained:
    from toolkit.training import set_seed

    set_seed(config.seed)
    model = build()
    started = time.perf_counter()
    record = model.fit(data, epochs=epochs, batch_size=config.batch_size, verbose=0, shuffle=True)
    seconds = time.perf_counter() - started
    history = {k: [float(v) for v in vs] for k, vs in record.history.items()}
    log(f"[{label}] {epochs} epochs in {seconds:.1f} s: " + ", ".join(f"{k} {v[-1]:.4g}" for k, v in history.items()))
    return Trained(name, model, history, seconds)


def _sample(trained: Trained, n: int, config, *, toy: bool) -> None:
    kwargs = {}
    if trained.name in ("vae", "flow_prior_vae", "cvae") and toy:
        kwargs["sample"] = True  # the Gaussian decoder's noise belongs to the toy samples
    if trained.name == "ddpm":
        kwargs["steps"] = config.diffusion_steps
    started = time.perf_counter()
    trained.samples = trained.model.generate(n, seed=config.seed, **kwargs)
    trained.sample_seconds = time.perf_counter() - started


def _toy(config, builders, log):
    rng = np.random.default_rng(config.seed)
    toy, toy_labels = ring_of_gaussians(config.toy_points, rng)
    reference, _ = ring_of_gaussians(1000, np.random.default_rng(config.seed + 1))
    held_out, _ = ring_of_gaussians(1000, np.random.default_rng(config.seed + 3))
    onehot = np.eye(8, dtype="float32")[toy_labels]
    kwargs = dict(dim=2, latent=2, cvae_latent=2, units=(64, 64), vae_units=(64, 64), out="linear",
                  recon="gaussian", classes=8, flow_layers=config.toy_flow_layers, flow_units=(128, 128), flow_pre="none",
                  image_shape=None)
    rows, runs = [], {}
    for name in (m for m in config.models if m != "ddpm"):
        data = {"data": toy, "condition": onehot} if name == "cvae" else toy
        trained = _train(name, lambda: builders[name](kwargs), data, config.toy_epochs, config, log, f"toy {name}")
        _sample(trained, 1000, config, toy=True)
        nll = None
        if name == "realnvp":
            nll = float(-trained.model.log_prob(held_out).mean())
        elif name in TOY_LIKELIHOOD:
            nll = float(trained.model.nll_bound(held_out, draws=10).mean())
        runs[name] = trained
        rows.append([TITLES[name], parameters(trained.model), energy_distance(trained.samples, reference),
                     "—" if nll is None else nll, TOY_LIKELIHOOD.get(name, "none")])
    floor = energy_distance(ring_of_gaussians(1000, np.random.default_rng(config.seed + 2))[0], reference)
    return rows, runs, reference, floor


def _digit_kwargs(config):
    return dict(dim=784, latent=config.latent_dim, cvae_latent=config.cvae_latent_dim, units=(256, 512),
                vae_units=(512,), out="sigmoid", recon="binary_crossentropy", classes=10, flow_layers=config.flow_layers,
                flow_units=(512,), flow_pre="logit", image_shape=(28, 28))


def _digit_data(name, images, labels_onehot):
    if name == "ddpm":
        return images
    flat = images.reshape(len(images), -1)
    return {"data": flat, "condition": labels_onehot} if name == "cvae" else flat


def _likelihood(trained: Trained, test_images, config, on_grid: bool):
    """Test NLL in bits per dimension and its standard error, or None where the family has none
    of pixels (GANs; the Bernoulli decoder of the VAEs, not a likelihood of grey levels)."""
    if not on_grid:
        return None
    if trained.name == "realnvp":
        per_image = trained.model.bits_per_image(test_images.reshape(len(test_images), -1), seed=config.seed)
        return float(per_image.mean()), float(per_image.std(ddof=1) / np.sqrt(len(per_image)))
    if trained.name == "ddpm":
        return trained.model.nll_bound(test_images, seed=config.seed, draws=config.nll_draws)
    return None


def run_generative(config: GenerativeConfig, *, log=print) -> ScienceResult:
    import keras

    from toolkit.builders import digits_cnn
    from toolkit.pipelines.images import one_hot, stratified_split
    from toolkit.runs.digits import digits_settings, load_images
    from toolkit.training import fit, set_seed

    builders = _builders(config)
    toy_rows, toy_runs, reference, floor = _toy(config, builders, log)

    images, labels, source = load_images(digits_settings(config))
    split = stratified_split(images, labels, test_size=min(1000, len(images) // 5), val_size=0.1, seed=config.seed)
    train, test = split.x["train"], split.x["test"]
    on_grid = bool(np.allclose(images * 255, np.round(images * 255), atol=1e-4))
    set_seed(config.seed)
    judge = digits_cnn(dropout=0.3)
    fit(judge, train, split.y("train"), validation_data=(split.x["validation"], split.y("validation")),
        epochs=config.classifier_epochs, batch_size=config.batch_size, patience=3, verbose=0)
    features = keras.Model(judge.inputs, judge.get_layer("dense_1").output, name="judge_features")
    judge_accuracy = float((judge.predict(test, verbose=0).argmax(1) == split.labels["test"]).mean())
    real_features = features.predict(test, verbose=0)
    log(f"[judge] digits CNN test accuracy {judge_accuracy:.2%}; the Frechet distance uses its {real_features.shape[1]} "
        "last hidden features")

    def judged(pictures):
        pictures = np.asarray(pictures, "float32").reshape(-1, 28, 28, 1)
        return (frechet_distance(features.predict(pictures, verbose=0), real_features),
                classifier_reading(judge.predict(pictures, verbose=0)))

    real_fd, real_reading = judged(train[:len(test)])
    kwargs = _digit_kwargs(config)
    epochs = {"realnvp": config.flow_epochs, "ddpm": config.diffusion_epochs}
    runs, models = {}, {}
    for name in config.models:
        trained = _train(name, lambda: builders[name](kwargs), _digit_data(name, train, one_hot(split.labels["train"])),
                         epochs.get(name, config.digit_epochs), config, log, f"digits {name}")
        _sample(trained, config.samples, config, toy=False)
        fd, reading = judged(trained.samples)
        trained.numbers = {"frechet": fd, **reading, "nll": _likelihood(trained, test, config, on_grid)}
        log(f"[digits {name}] Frechet distance {fd:.2f}, confidence {reading['confidence']:.2f}, "
            f"{config.samples:,} samples in {trained.sample_seconds:.1f} s")
        runs[name] = trained
        models[f"digits_{name}"] = trained.model
    return _result(config, toy_rows, toy_runs, reference, floor, runs, real_fd, real_reading, judge, judge_accuracy,
                   split, source, len(train), on_grid)


def _yardstick_rows(runs, real_fd, real_reading):
    rows = [["real digits (training set)", "—", real_fd, real_reading["confidence"], real_reading["class_spread"],
             "—", "—", "—", "—"]]
    for name, trained in runs.items():
        n = trained.numbers
        nll = n["nll"]
        rows.append([TITLES[name], parameters(trained.model), n["frechet"], n["confidence"], n["class_spread"],
                     "—" if nll is None else nll[0], "—" if nll is None else nll[1],
                     trained.train_seconds, trained.sample_seconds])
    return rows


def _toy_text(models, floor) -> str:
    text = ("A ring of eight Gaussians (sd 0.1, radius 2). Energy distance between 1,000 generated and 1,000 fresh "
            f"real samples; two independent real samples score {floor:.4f}, the floor. Test NLL: nats per point on "
            "1,000 fresh points")
    kinds = []
    if "realnvp" in models:
        kinds.append("exact for RealNVP")
    if {"vae", "flow_prior_vae"} & set(models):
        kinds.append("an upper bound for the VAEs (the negative ELBO, 10 codes per point; their Gaussian decoder's "
                     "noise is part of their samples)")
    text += (", " + " and ".join(kinds) if kinds else "") + "; a dash where the model defines none."
    if "cvae" in models:
        text += (" The CVAE is told each point's mode, so its distance is not comparable with the unconditional "
                 "models' (and it is left out of the summary's ranking).")
    if "ddpm" in models:
        text += " The DDPM is an image model and runs on the digits only."
    return text


def _likelihood_text(config) -> str:
    parts = []
    if "realnvp" in config.models:
        parts.append("for the flow (dequantised)")
    if "ddpm" in config.models:
        parts.append(f"for the DDPM (the variational bound, estimated from {config.nll_draws} steps per digit)")
    text = ("Test NLL: bits per pixel of the 256 grey levels, an upper bound " + " and ".join(parts)
            + ", standard error beside it; a dash where the family defines no likelihood of grey levels (GANs; the "
            "VAEs' Bernoulli decoder). ") if parts else ""
    if "cvae" in config.models:
        text += "The CVAE draws each class equally often by construction. "
    return text


def _verdict(runs) -> str:
    if not runs:
        return ""
    best = min(runs.values(), key=lambda r: r.numbers["frechet"])
    fastest = min(runs.values(), key=lambda r: r.sample_seconds)
    likelihoods = {name: r.numbers["nll"][0] for name, r in runs.items() if r.numbers["nll"] is not None}
    text = (f"Closest to real digits: {TITLES[best.name]} (Frechet distance {best.numbers['frechet']:.2f}). "
            f"Fastest to sample: {TITLES[fastest.name]} ({fastest.sample_seconds:.2f} s for the set).")
    if likelihoods:
        name = min(likelihoods, key=likelihoods.get)
        text += f" Best likelihood of held-out digits: {TITLES[name]} ({likelihoods[name]:.2f} bits per pixel)."
    return text


def _result(config, toy_rows, toy_runs, reference, floor, runs, real_fd, real_reading, judge, judge_accuracy,
            split, source, n_train, on_grid) -> ScienceResult:
    yardstick = _yardstick_rows(runs, real_fd, real_reading)
    verdict = _verdict(runs)
    grids = Section("Digits: samples", "The first 30 digits each model drew for the yardstick"
                    + (f"; the DDPM's with DDIM in {config.diffusion_steps} steps." if "ddpm" in runs else "."))
    for name, trained in runs.items():
        grids.figure(plots.image_grid_figure(trained.samples[:30].reshape(-1, 28, 28), ncols=10,
                                             title=f"{TITLES[name]} samples"))
    if "ddpm" in runs and config.ancestral_samples:
        started = time.perf_counter()
        ancestral = runs["ddpm"].model.generate(config.ancestral_samples, seed=config.seed, sampler="ddpm")
        grids.figure(plots.image_grid_figure(ancestral.reshape(-1, 28, 28), ncols=10,
                                             title=f"DDPM, ancestral sampler (1,000 steps, "
                                                   f"{time.perf_counter() - started:.0f} s)"))
    sections = [
        Section("2-D toy distribution", _toy_text(config.models, floor),
                tables=[Table(["model", "parameters", "energy distance", "test NLL (nats)", "likelihood"], toy_rows)])
        .figure(plots.scatter_figure({"real": reference, **{TITLES[n]: r.samples for n, r in toy_runs.items()}},
                                     "real and generated samples")),
        Section("Digits: one yardstick",
                f"{n_train:,} training digits from {source}; every model draws {config.samples:,} digits, compared "
                f"with {len(split.x['test']):,} held-out ones. Frechet distance: between Gaussians fitted to the "
                f"features of the toolkit's digits CNN (last hidden layer, 64 values; the 'Frechet LeNet distance'), "
                f"trained here on the training digits, test accuracy {judge_accuracy:.1%}; lower is better, and "
                f"{real_fd:.2f} (real training digits against the held-out ones) is the floor. Confidence: the "
                "CNN's mean top probability. Class spread: entropy of the classes it reads over log 10 (1 = all ten "
                "equally often; low = mode collapse). " + _likelihood_text(config) + verdict
                + ("" if on_grid else " The pixels are not on a 256-level grid (resized images): no likelihood is "
                   "reported."),
                tables=[Table(["model", "parameters", "Frechet distance", "confidence", "class spread",
                               "test NLL (bits/dim)", "NLL s.e.", "training (s)", f"sampling {config.samples:,} (s)"],
                              yardstick)]),
        grids,
    ]
    metrics = {"toy": {r[0]: {"params": r[1], "energy_distance": r[2], "test_nll": None if r[3] == "—" else r[3]}
                       for r in toy_rows},
               "toy_real_vs_real": floor, "judge_accuracy": judge_accuracy, "real_frechet": real_fd,
               "digits": {TITLES[n]: {"params": parameters(r.model), **r.numbers, "train_seconds": r.train_seconds,
                                      "sample_seconds": r.sample_seconds} for n, r in runs.items()}}
    if "cvae" in runs:
        cvae_section, cvae_metrics = _cvae_section(runs["cvae"].model, judge, judge_accuracy, split)
        sections.append(cvae_section)
        metrics.update(cvae_metrics)
    curves = Section("Loss curves")
    for name, trained in runs.items():
        curves.figure(plots.history_figure(trained.history, f"{TITLES[name]} on digits", log=False))
    sections.append(curves)
    unconditional = [r for r in toy_rows if r[0] != TITLES["cvae"]]
    best_toy = min(unconditional, key=lambda r: r[2]) if unconditional else None
    summary = ((f"2-D ring: lowest energy distance {best_toy[2]:.4f} ({best_toy[0]}; real-vs-real {floor:.4f}). "
                if best_toy else "") + "Digits: " + verdict)
    return ScienceResult(kind="generative", title="Generative models: which is right for you", summary=summary,
                         sections=sections, metrics=metrics, config={},
                         models={f"digits_{n}": r.model for n, r in runs.items()})


def _cvae_section(model, judge, judge_accuracy, split):
    requested = np.repeat(np.arange(10), 50)
    drawn = model.generate_for(requested, seed=0)
    read = judge.predict(drawn.reshape(-1, 28, 28, 1), verbose=0).argmax(1)
    train = split.x["train"].reshape(len(split.x["train"]), -1)
    per_class = [[str(d), float((read[requested == d] == d).mean()),
                  diversity(drawn[requested == d]) / diversity(train[split.labels["train"] == d][:200])]
                 for d in range(10)]
    accuracy = float((read == requested).mean())
    grid = model.generate_for(np.repeat(np.arange(10), 10), seed=1).reshape(-1, 28, 28)
    section = Section("Conditional VAE: each requested digit",
                      f"50 samples of each digit from the CVAE, read by the digits CNN (test accuracy "
                      f"{judge_accuracy:.1%}). Overall {accuracy:.1%} read as requested. Relative diversity: mean "
                      "pairwise distance of the samples over that of real digits of the class.",
                      tables=[Table(["digit", "read as requested", "relative diversity"], per_class)])
    section.figure(plots.image_grid_figure(grid[np.argsort(np.tile(np.arange(10), 10), kind="stable")], ncols=10,
                                           title="CVAE: columns 0 to 9 requested"))
    return section, {"cvae_requested_accuracy": accuracy,
                     "cvae_per_class": {r[0]: {"accuracy": r[1], "relative_diversity": r[2]} for r in per_class}}
