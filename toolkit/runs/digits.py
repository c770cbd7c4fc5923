"""Digits: the lecture CNN against an MLP and a logistic regression on real handwritten digits."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from toolkit.errors import UsageError
from toolkit.reports import plots
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.common import positive

SOURCES = ("mnist5k", "sklearn", "mnist")


@dataclass(frozen=True)
class DigitsConfig:
    """Settings of the digits pipeline.

    Attributes:
        source: ``mnist5k`` (bundled 5,000 images), ``sklearn`` (8x8, resized to 28x28) or
            ``mnist`` (a local file at ``mnist_path``). Defaults to ``mnist5k``.
        mnist_path: Keras' ``mnist.npz`` or a pixel CSV, for ``source = "mnist"``.
        test_size: Held-out test images, stratified. Defaults to 1,000.
        val_fraction: Validation share of the rest (early stopping, schedule). Defaults to 0.1.
        epochs: Most epochs. Defaults to 40.
        batch_size: Defaults to 64.
        patience: Early-stopping patience. Defaults to 8.
        dropout: CNN dropout before its dense layers. Defaults to 0.3.
        augmentation: CNN random shifts / rotations (fraction of the size). Defaults to 0.08.
        learning_rate: Adam's, halved when validation loss stalls 3 epochs. Defaults to 1e-3.
        max_images: Use at most this many images (0: all). Defaults to 0.
        seed: Defaults to 42.
    """

    source: str = "mnist5k"
    mnist_path: str = ""
    test_size: int = 1000
    val_fraction: float = 0.1
    epochs: int = 40
    batch_size: int = 64
    patience: int = 8
    dropout: float = 0.3
    augmentation: float = 0.08
    learning_rate: float = 1e-3
    max_images: int = 0
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "DigitsConfig":
        return replace(self, epochs=min(self.epochs, 12), max_images=600, test_size=200, quick=True)

    def validate(self) -> "DigitsConfig":
        if self.source not in SOURCES:
            raise UsageError(f"source must be one of {', '.join(SOURCES)}. Received: {self.source!r}")
        positive(self, "test_size", "epochs", "batch_size", "patience", "learning_rate")
        if not 0 < self.val_fraction < 1 or not 0 <= self.dropout < 1 or not 0 <= self.augmentation < 0.5:
            raise UsageError("val_fraction must lie in (0, 1), dropout in [0, 1), augmentation in [0, 0.5). "
                             f"Received: {self.val_fraction}, {self.dropout}, {self.augmentation}")
        return self


def digits_settings(config) -> DigitsConfig:
    """The image-loading settings of another pipeline's config (source, path, size, seed)."""
    return DigitsConfig(source=config.source, mnist_path=config.mnist_path, max_images=config.max_images,
                        seed=config.seed)


def load_images(config: DigitsConfig):
    """28x28x1 images in [0, 1] and labels, from the configured source."""
    from toolkit.data.images import load_digits_source
    from toolkit.pipelines.images import frame_to_tensors, resize

    frame = load_digits_source(config.source, config.mnist_path)
    images, labels = frame_to_tensors(frame)
    if images.shape[1:3] != (28, 28):
        images = resize(images, (28, 28))
    if config.max_images and config.max_images < len(images):
        from sklearn.model_selection import train_test_split

        images, _, labels, _ = train_test_split(images, labels, train_size=config.max_images,
                                                stratify=labels, random_state=config.seed)
    return images, labels, frame.attrs["source"]


def run_digits(config: DigitsConfig, *, log=print) -> ScienceResult:
    import keras
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, confusion_matrix

    from toolkit.builders import digits_cnn, mlp_classifier
    from toolkit.pipelines.images import stratified_split
    from toolkit.training import fit, set_seed

    images, labels, source = load_images(config)
    split = stratified_split(images, labels, test_size=config.test_size, val_size=config.val_fraction,
                             seed=config.seed)
    log(f"[data] {len(images):,} images from {source}: train {len(split.labels['train']):,} / validation "
        f"{len(split.labels['validation']):,} / test {len(split.labels['test']):,} (stratified)")
    flat = {part: x.reshape(len(x), -1) for part, x in split.x.items()}
    results, histories, models = {}, {}, {}

    def schedule():
        return [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=1e-5)]

    for name, build, inputs in (
        ("cnn", lambda: digits_cnn(dropout=config.dropout, augmentation=config.augmentation,
                                   learning_rate=config.learning_rate), split.x),
        ("mlp", lambda: mlp_classifier(784, hidden_units=(256, 128), dropout=0.2,
                                       learning_rate=config.learning_rate), flat),
    ):
        set_seed(config.seed)
        model = build()
        log(f"[{name}] training ({model.count_params():,} parameters), up to {config.epochs} epochs")
        record = fit(model, inputs["train"], split.y("train"),
                     validation_data=(inputs["validation"], split.y("validation")),
                     epochs=config.epochs, batch_size=config.batch_size, patience=config.patience,
                     verbose=config.verbose, callbacks=schedule())
        predicted = model.predict(inputs["test"], verbose=0).argmax(axis=1)
        results[name] = {"accuracy": accuracy_score(split.labels["test"], predicted), "predicted": predicted,
                         "params": model.count_params(), "epochs": record.epochs_run, "seconds": record.seconds}
        histories[name], models[name] = record.history, model
        log(f"[{name}] test accuracy {results[name]['accuracy']:.4f} after {record.epochs_run} epochs")
    started = time.perf_counter()
    logistic = LogisticRegression(max_iter=300, C=0.1).fit(flat["train"], split.labels["train"])
    predicted = logistic.predict(flat["test"])
    results["logistic"] = {"accuracy": accuracy_score(split.labels["test"], predicted), "predicted": predicted,
                           "params": int(logistic.coef_.size + logistic.intercept_.size), "epochs": None,
                           "seconds": time.perf_counter() - started}
    log(f"[logistic] test accuracy {results['logistic']['accuracy']:.4f}")

    titles = {"cnn": "Digits CNN (lecture; dropout, augmentation, schedule)", "mlp": "MLP 784-256-128-10",
              "logistic": "Logistic regression (scikit-learn)"}
    truth = split.labels["test"]
    matrix = confusion_matrix(truth, results["cnn"]["predicted"], labels=range(10))
    wrong = np.flatnonzero(results["cnn"]["predicted"] != truth)[:30]
    counts = [[str(digit)] + [int((split.labels[p] == digit).sum()) for p in ("train", "validation", "test")]
              for digit in range(10)]
    ranking = sorted(results, key=lambda n: -results[n]["accuracy"])
    summary = (f"Test accuracy on {len(truth):,} held-out digits: "
               + ", ".join(f"{titles[n].split(' (')[0]} {results[n]['accuracy']:.2%}" for n in ranking) + ".")
    sections = [
        Section("Data", f"{source}; 28x28 grey images scaled to [0, 1]; stratified split (seed {config.seed}).",
                tables=[Table(["digit", "train", "validation", "test"], counts)])
        .figure(plots.image_grid_figure(split.x["train"][:20], [str(v) for v in split.labels["train"][:20]],
                                        title="training examples")),
        Section("Accuracy", tables=[Table(
            ["model", "test accuracy", "parameters", "epochs", "training seconds"],
            [[titles[n], f"{results[n]['accuracy']:.2%}", results[n]["params"], results[n]["epochs"] or "\u2014",
              results[n]["seconds"]] for n in ranking])],
            notes=["The CNN is the lecture's network (93,322 parameters); dropout and augmentation add none. "
                   "Networks keep the weights of their best validation epoch."]),
        Section("Loss curves")
        .figure(plots.history_figure(histories["cnn"], "CNN", ("loss", "val_loss")))
        .figure(plots.history_figure(histories["cnn"], "CNN accuracy", ("accuracy", "val_accuracy"), log=False))
        .figure(plots.history_figure(histories["mlp"], "MLP", ("loss", "val_loss"))),
        Section("Confusion matrix").figure(plots.confusion_figure(matrix, "CNN on the test digits")),
        Section("Misclassified examples",
                f"{len(np.flatnonzero(results['cnn']['predicted'] != truth))} of {len(truth)} test digits are wrong; "
                "the first 30, as true -> predicted.")
        .figure(plots.image_grid_figure(split.x["test"][wrong],
                                        [f"{truth[i]}->{results['cnn']['predicted'][i]}" for i in wrong])),
    ]
    metrics = {name: {"accuracy": r["accuracy"], "params": r["params"], "epochs": r["epochs"]}
               for name, r in results.items()}
    metrics["cnn"]["confusion_matrix"] = matrix
    metrics["test_images"] = len(truth)
    return ScienceResult(kind="digits", title="Digits: CNN against MLP and logistic regression", summary=summary,
                         sections=sections, metrics=metrics, config={}, models=models)
