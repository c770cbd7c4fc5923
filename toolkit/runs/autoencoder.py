"""Autoencoders: the lecture's output/loss comparison at bottlenecks 64 and 16, and denoising."""

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
        noise_stddev: Training noise of the denoising autoencoder. Defaults to 0.3.
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
    test_size: int = 1000
    max_images: int = 0
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "AutoencoderConfig":
        return replace(self, epochs=2, max_images=600, test_size=100, quick=True)

    def validate(self) -> "AutoencoderConfig":
        positive(self, "hidden_units", "epochs", "batch_size", "noise_stddev", "test_size")
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
    noisy = np.clip(test + rng.normal(0, config.noise_stddev, test.shape), 0, 1).astype("float32")
    set_seed(config.seed)
    denoiser = denoising_autoencoder(hidden_units=(config.hidden_units,), bottleneck=config.bottlenecks[0],
                                     noise_stddev=config.noise_stddev)
    record = fit(denoiser, flat["train"], flat["train"], validation_data=(flat["validation"], flat["validation"]),
                 epochs=config.epochs, batch_size=config.batch_size, patience=None, verbose=config.verbose)
    plain_name = f"sigmoid+bce / {config.bottlenecks[0]}"
    plain_key = f"ae_sigmoid_bce_{config.bottlenecks[0]}"
    denoised = denoiser.predict(noisy, verbose=0)
    plain_on_noisy = models[plain_key].predict(noisy, verbose=0)
    denoise_rows = [["noisy input itself", float(np.mean((noisy - test) ** 2))],
                    [f"plain autoencoder ({plain_name})", float(np.mean((plain_on_noisy - test) ** 2))],
                    ["denoising autoencoder", float(np.mean((denoised - test) ** 2))]]
    models["denoising"] = denoiser
    histories["denoising"] = record.history
    log(f"[denoising] MSE to the clean test images {denoise_rows[2][1]:.4f} (plain: {denoise_rows[1][1]:.4f})")

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
            {name: h["loss"] for name, h in histories.items() if name != "denoising"}, "training loss per model")),
        Section("Denoising", f"Gaussian noise of standard deviation {config.noise_stddev} on the test images; "
                "error measured against the clean images.",
                tables=[Table(["input to", "MSE to the clean image"], denoise_rows)])
        .figure(plots.image_grid_figure(np.concatenate([test[show], noisy[show], plain_on_noisy[show], denoised[show]])
                                        .reshape(-1, 28, 28), ncols=10,
                                        title="clean / noisy / plain autoencoder / denoising autoencoder")),
        Section("Latent space", f"The {smallest}-number codes of the test digits (sigmoid + BCE model), "
                "projected on their two principal components and coloured by label.")
        .figure(plots.scatter_figure({"codes": view}, "latent codes, first two principal components", colours=split.labels["test"])),
    ]
    summary = (f"Lowest test MSE: {best[0]} ({best[2]:.4f}); the denoising autoencoder brings noisy inputs to "
               f"MSE {denoise_rows[2][1]:.4f} against {denoise_rows[1][1]:.4f} for the plain one.")
    warnings = [f"{r[0]}: training loss still falling at the last epoch (not converged)." for r in rows if r[4] != "flat"]
    metrics = {"models": {r[0]: {"params": r[1], "test_mse": r[2], "test_bce": r[3], "converged": r[4] == "flat"}
                          for r in rows},
               "denoising": {r[0]: r[1] for r in denoise_rows}}
    return ScienceResult(kind="autoencoder", title="Autoencoders: output activation, loss and bottleneck",
                         summary=summary, sections=sections, metrics=metrics, config={}, models=models,
                         warnings=warnings)

