"""Autoencoders: the lecture's output/loss comparison at bottlenecks 64 and 16, denoising with
Gaussian and masking noise (over-complete too), and the notes' Adadelta against Keras 3's."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from toolkit.errors import UsageError
from toolkit.reports import plots
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.common import positive

VARIANTS = (("linear", "mse"), ("sigmoid", "mse"), ("sigmoid", "binary_crossentropy"))


@dataclass(frozen=True)
class AutoencoderConfig:
    """Settings of the autoencoder pipeline.

    Attributes:
        source: Digits source (see the digits pipeline). Defaults to ``mnist5k``.
        mnist_path: For ``source = "mnist"``.
        bottlenecks: Code sizes compared. Defaults to [64, 16].
        hidden_units: Units between input and code. Defaults to 128 (the lecture's ~200K parameters).
        epochs: Defaults to 30.
        batch_size: Defaults to 128.
        noise_stddev: Gaussian training noise of the denoising autoencoder. Defaults to 0.3.
        mask_rate: Share of pixels zeroed by the masking-noise denoiser. Defaults to 0.3.
        overcomplete_code: Code size of the over-complete denoiser (wider than the 784
            pixels, no hidden layer); 0 skips it. Defaults to 1,024.
        adadelta_comparison: Also train the sigmoid + BCE model with the notes' Adadelta
            (learning rate 1.0, ``recipe="autoencoder_adadelta"``), with Keras 3's default
            Adadelta (1e-3) and with Adam, same epochs, batch 256. Defaults to true.
        test_size: Held-out images. Defaults to 1,000.
        max_images: Use at most this many (0: all). Defaults to 0.
        seed: Defaults to 42.
    """

    source: str = "mnist5k"
    mnist_path: str = ""
    bottlenecks: tuple = (64, 16)
    hidden_units: int = 128
    epochs: int = 30
    batch_size: int = 128
    noise_stddev: float = 0.3
    mask_rate: float = 0.3
    overcomplete_code: int = 1024
    adadelta_comparison: bool = True
    test_size: int = 1000
    max_images: int = 0
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "AutoencoderConfig":
        return replace(self, epochs=2, max_images=600, test_size=100, overcomplete_code=800, quick=True)

    def validate(self) -> "AutoencoderConfig":
        positive(self, "hidden_units", "epochs", "batch_size", "noise_stddev", "test_size")
        if not 0 < self.mask_rate < 1 or (self.overcomplete_code and self.overcomplete_code <= 784):
            raise UsageError(f"mask_rate must lie in (0, 1) and overcomplete_code be 0 or above 784. "
                             f"Received: mask_rate={self.mask_rate}, overcomplete_code={self.overcomplete_code}")
        if not self.bottlenecks or any(not isinstance(b, int) or not 0 < b < 784 for b in self.bottlenecks):
            raise UsageError(f"bottlenecks must be whole numbers between 1 and 783. Received: {list(self.bottlenecks)}")
        return replace(self, bottlenecks=tuple(self.bottlenecks))


def still_falling(losses: list[float], tolerance: float = 0.01) -> bool:
    """Whether the last epoch still cut the training loss by more than ``tolerance`` (relative)."""
    return len(losses) >= 2 and (losses[-2] - losses[-1]) > tolerance * abs(losses[-2])


def run_autoencoder(config: AutoencoderConfig, *, log=print) -> ScienceResult:
    from sklearn.decomposition import PCA

    from toolkit.builders import dense_autoencoder, denoising_autoencoder
    from toolkit.pipelines.images import stratified_split
    from toolkit.runs.digits import digits_settings, load_images
    from toolkit.training import fit, set_seed

    images, labels, source = load_images(digits_settings(config))
    split = stratified_split(images, labels, test_size=config.test_size, val_size=0.1, seed=config.seed)
    flat = {part: x.reshape(len(x), -1) for part, x in split.x.items()}
    test = flat["test"]
    rows, histories, reconstructions, models = [], {}, {}, {}
    for bottleneck in config.bottlenecks:
        for activation, loss in VARIANTS:
            name = f"{activation}+{'bce' if loss != 'mse' else 'mse'} / {bottleneck}"
            set_seed(config.seed)
            model = dense_autoencoder(hidden_units=(config.hidden_units,), bottleneck=bottleneck,
                                      output_activation=activation, loss=loss)
            record = fit(model, flat["train"], flat["train"], validation_data=(flat["validation"], flat["validation"]),
                         epochs=config.epochs, batch_size=config.batch_size, patience=None, verbose=config.verbose)
            output = model.predict(test, verbose=0)
            clipped = np.clip(output, 1e-7, 1 - 1e-7)
            mse = float(np.mean((output - test) ** 2))
            bce = float(np.mean(-(test * np.log(clipped) + (1 - test) * np.log(1 - clipped))))
            falling = still_falling(record.history["loss"])
            rows.append([name, model.count_params(), mse, bce, "still falling" if falling else "flat"])
            histories[name], reconstructions[name] = record.history, output
            models[f"ae_{activation}_{loss}_{bottleneck}".replace("binary_crossentropy", "bce")] = model
            log(f"[{name}] test MSE {mse:.4f}, BCE {bce:.4f}" + (" (loss still falling)" if falling else ""))

    rng = np.random.default_rng(config.seed)
    corrupted = {"Gaussian noise": np.clip(test + rng.normal(0, config.noise_stddev, test.shape), 0, 1).astype("float32"),
                 "masking noise": np.where(rng.uniform(size=test.shape) < config.mask_rate, 0.0, test).astype("float32")}
    noisy = corrupted["Gaussian noise"]
    denoisers = {"Gaussian denoiser": dict(noise="gaussian", noise_stddev=config.noise_stddev),
                 "masking denoiser": dict(noise="masking", mask_rate=config.mask_rate)}
    if config.overcomplete_code:
        denoisers[f"over-complete Gaussian denoiser (code {config.overcomplete_code})"] = dict(
            noise="gaussian", noise_stddev=config.noise_stddev, hidden_units=(), bottleneck=config.overcomplete_code)
    plain_name = f"sigmoid+bce / {config.bottlenecks[0]}"
    plain_key = f"ae_sigmoid_bce_{config.bottlenecks[0]}"
    plain_outputs = {name: models[plain_key].predict(c, verbose=0) for name, c in corrupted.items()}
    denoise_rows = [["the corrupted input itself", ""] + [float(np.mean((c - test) ** 2)) for c in corrupted.values()],
                    [f"plain autoencoder ({plain_name})", models[plain_key].count_params()]
                    + [float(np.mean((out - test) ** 2)) for out in plain_outputs.values()]]
    outputs = {}
    for label, options in denoisers.items():
        set_seed(config.seed)
        kwargs = {"hidden_units": (config.hidden_units,), "bottleneck": config.bottlenecks[0], **options}
        denoiser = denoising_autoencoder(**kwargs)
        record = fit(denoiser, flat["train"], flat["train"], validation_data=(flat["validation"], flat["validation"]),
                     epochs=config.epochs, batch_size=config.batch_size, patience=None, verbose=config.verbose)
        outputs[label] = {name: denoiser.predict(c, verbose=0) for name, c in corrupted.items()}
        denoise_rows.append([label, denoiser.count_params()]
                            + [float(np.mean((outputs[label][name] - test) ** 2)) for name in corrupted])
        key = label.split(" (")[0].lower().replace(" ", "_").replace("-", "_")
        models[key], histories[label] = denoiser, record.history
        log(f"[{label}] MSE to the clean images: " + ", ".join(f"{n} {v:.4f}" for n, v in zip(corrupted, denoise_rows[-1][2:])))
    denoised = outputs["Gaussian denoiser"]["Gaussian noise"]
    plain_on_noisy = plain_outputs["Gaussian noise"]

    optimizer_rows = []
    if config.adadelta_comparison:
        # The notes compiled with optimizer="adadelta": 1.0 in Keras 2, 1e-3 in Keras 3.
        for label, options in (("Adadelta at 1.0 (the notes', recipe autoencoder_adadelta)", {"recipe": "autoencoder_adadelta"}),
                               ("Adadelta at 1e-3 (Keras 3's default)", {"optimizer": "adadelta", "learning_rate": 1e-3}),
                               ("Adam at 1e-3", {"optimizer": "adam"})):
            set_seed(config.seed)
            model = dense_autoencoder(hidden_units=(config.hidden_units,), bottleneck=config.bottlenecks[0], **options)
            record = fit(model, flat["train"], flat["train"], validation_data=(flat["validation"], flat["validation"]),
                         epochs=config.epochs, batch_size=256, patience=None, verbose=config.verbose)
            output = model.predict(test, verbose=0)
            optimizer_rows.append([label, record.history["loss"][0], record.history["loss"][-1],
                                   float(np.mean((output - test) ** 2))])
            histories[f"optimizer: {label}"] = record.history
            log(f"[{label}] test MSE {optimizer_rows[-1][3]:.4f}")

    smallest = config.bottlenecks[-1]
    encoder = models[f"ae_sigmoid_bce_{smallest}"].get_layer("encoder")
    codes = encoder.predict(test, verbose=0)
    view = PCA(n_components=2, random_state=config.seed).fit_transform(codes)
    show = np.arange(10)
    grid = [test[show]] + [reconstructions[row[0]][show] for row in rows]
    best = min(rows, key=lambda r: r[2])
    sections = [
        Section("Reconstruction error",
                f"Dense autoencoders 784 -> {config.hidden_units} -> code -> {config.hidden_units} -> 784 (ReLU) on "
                f"{len(test)} held-out digits from {source}, {config.epochs} epochs each.",
                tables=[Table(["output + loss / bottleneck", "parameters", "test MSE", "test BCE", "last epoch"], rows,
                              "\"still falling\": the last epoch cut the training loss by more than 1%: not converged; "
                              "more epochs would lower the error.")]),
        Section("Originals and reconstructions",
                "First row: test originals; then one row per model, in the table's order.")
        .figure(plots.image_grid_figure(np.concatenate(grid).reshape(-1, 28, 28), ncols=10)),
        Section("Loss curves").figure(plots.history_figure(
            {name: histories[name]["loss"] for name in (row[0] for row in rows)}, "training loss per model")),
        Section("Denoising", f"Test images corrupted by Gaussian noise (sd {config.noise_stddev}) or by masking noise "
                f"(each pixel zeroed with probability {config.mask_rate}), the notes' two corruptions; error measured "
                "against the clean images. Each denoiser trains on one corruption; the over-complete one has a code "
                "wider than the image, which only the corruption keeps from learning the identity.",
                tables=[Table(["input to", "parameters", *[f"MSE, {name}" for name in corrupted]], denoise_rows)])
        .figure(plots.image_grid_figure(np.concatenate([test[show], noisy[show], plain_on_noisy[show], denoised[show],
                                                        corrupted["masking noise"][show],
                                                        outputs["masking denoiser"]["masking noise"][show]])
                                        .reshape(-1, 28, 28), ncols=10,
                                        title="clean / Gaussian noise / plain / Gaussian denoiser / masked / masking denoiser")),
        Section("Latent space", f"The {smallest}-number codes of the test digits (sigmoid + BCE model), "
                "projected on their two principal components and coloured by label.")
        .figure(plots.scatter_figure({"codes": view}, "latent codes, first two principal components", colours=split.labels["test"])),
    ]
    if optimizer_rows:
        sections.insert(4, Section(
            "Optimisers: Adadelta as the notes ran it",
            f"The sigmoid + BCE autoencoder (code {config.bottlenecks[0]}) trained {config.epochs} epochs at batch 256 "
            "with three optimisers. The notes compile with optimizer='adadelta', which ran at learning rate 1.0 in "
            "Keras 2; Keras 3's Adadelta defaults to 1e-3 and barely moves in the same epochs.",
            tables=[Table(["optimiser", "first-epoch loss", "last-epoch loss", "test MSE"], optimizer_rows)]))
    summary = (f"Lowest test MSE: {best[0]} ({best[2]:.4f}); the Gaussian denoiser brings noisy inputs to "
               f"MSE {denoise_rows[2][2]:.4f} against {denoise_rows[1][2]:.4f} for the plain autoencoder.")
    warnings = [f"{r[0]}: training loss still falling at the last epoch (not converged)." for r in rows if r[4] != "flat"]
    metrics = {"models": {r[0]: {"params": r[1], "test_mse": r[2], "test_bce": r[3], "converged": r[4] == "flat"}
                          for r in rows},
               "denoising": {r[0]: dict(zip(corrupted, r[2:])) for r in denoise_rows},
               "optimizers": {r[0]: {"first_loss": r[1], "last_loss": r[2], "test_mse": r[3]} for r in optimizer_rows}}
    return ScienceResult(kind="autoencoder", title="Autoencoders: output activation, loss and bottleneck",
                         summary=summary, sections=sections, metrics=metrics, config={}, models=models,
                         warnings=warnings)

