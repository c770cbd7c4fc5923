"""The lectures' mechanics, shown: convolution arithmetic and filters, vanishing gradients, the
learning-rate range test, a linear autoencoder against PCA, and a Bernoulli classifier."""

from __future__ import annotations

from dataclasses import dataclass, replace

from toolkit.errors import UsageError
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.common import positive

#: Images of the digit sources whose size is known (a user's MNIST file is checked when read).
SOURCE_IMAGES = {"mnist5k": 5_000, "sklearn": 1_797}

#: The recurrent input/output patterns of the notes, and the builders that follow each.
PATTERNS = (
    ("one-to-one", "one input vector, one output", "mlp_regressor, mlp_classifier, bernoulli_classifier"),
    ("many-to-one", "a window of steps in, the next value out", "stacked_lstm, stacked_gru, lag_lstm, simple_rnn, "
                                                                 "transformer_classifier"),
    ("many-to-many, equal lengths", "an output at every input step", "sequence_rnn, sequence_lstm, sequence_gru, "
                                                                       "bidirectional_smoother"),
    ("one-to-many / many-to-many, unequal lengths", "an encoded window decoded into a horizon of another length",
     "seq2seq_lstm, transformer_forecaster, seq2seq_simulator"),
)


@dataclass(frozen=True)
class LecturesConfig:
    """Settings of the lectures pipeline.

    Attributes:
        source: Digits source (see the digits pipeline). Defaults to ``mnist5k``.
        mnist_path: For ``source = "mnist"``.
        max_images: Use at most this many digits (0: all). Defaults to 0.
        filters: Filter names shown (``toolkit.builders.FILTER_NAMES``). Defaults to all.
        depth: Hidden layers of the vanishing-gradient network. Defaults to 10.
        width: Units per hidden layer (at most 4,096). Defaults to 64.
        gradient_steps: Plain SGD steps before the second measurement. Defaults to 100.
        sgd_rate: Their learning rate. Defaults to 0.1.
        explode_scale: Factor on He's kernels of the exploding network (> 1). Defaults to 2.
        batch_size: Batch of the SGD steps, the autoencoder and the Bernoulli classifier.
            Defaults to 64.
        lstm_window: Window of the stacked LSTM's range test (2 to 1,000). Defaults to 60.
        lstm_units: Its units per layer (the lecture's 256). Defaults to 256.
        lr_steps: Batches of each range test. Defaults to 100.
        lr_batch_size: Defaults to 32.
        min_lr: First rate of the range test. Defaults to 1e-7.
        max_lr: Last rate, 10 times min_lr or more, at most 100. Defaults to 10.
        pca_code: Code size of the linear autoencoder and PCA components (at most half the
            digits used). Defaults to 16.
        pca_epochs: Autoencoder epochs. Defaults to 40.
        pca_learning_rate: Adam's starting rate (cosine decay to 1% of it). Defaults to 3e-3.
        students: Simulated students of the Bernoulli classifier. Defaults to 2,000.
        epochs: Its most epochs (early stopping, patience 20). Defaults to 300.
        calibration_bins: Bins of equal count in the calibration curve. Defaults to 10.
        seed: Defaults to 42.
    """

    source: str = "mnist5k"
    mnist_path: str = ""
    max_images: int = 0
    filters: tuple = ("vertical_edge", "horizontal_edge", "prewitt_x", "prewitt_y", "sobel_x", "sobel_y",
                      "scharr_x", "scharr_y", "sharpen", "edge_detect", "strong_edge")
    depth: int = 10
    width: int = 64
    gradient_steps: int = 100
    sgd_rate: float = 0.1
    explode_scale: float = 2.0
    batch_size: int = 64
    lstm_window: int = 60
    lstm_units: int = 256
    lr_steps: int = 100
    lr_batch_size: int = 32
    min_lr: float = 1e-7
    max_lr: float = 10.0
    pca_code: int = 16
    pca_epochs: int = 40
    pca_learning_rate: float = 3e-3
    students: int = 2000
    epochs: int = 300
    calibration_bins: int = 10
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "LecturesConfig":
        return replace(self, max_images=600, gradient_steps=min(self.gradient_steps, 20), lstm_units=32,
                       lr_steps=min(self.lr_steps, 30), pca_code=min(self.pca_code, 4), pca_epochs=min(self.pca_epochs, 60),
                       pca_learning_rate=max(self.pca_learning_rate, 1e-2),
                       students=min(self.students, 600), epochs=min(self.epochs, 40), quick=True)

    def validate(self) -> "LecturesConfig":
        from toolkit.builders.filters import FILTER_NAMES
        from toolkit.runs.digits import SOURCES

        if self.source not in SOURCES:
            raise UsageError(f"source must be one of {', '.join(SOURCES)}. Received: {self.source!r}")
        filters = (self.filters,) if isinstance(self.filters, str) else self.filters
        if not isinstance(filters, (list, tuple)) or not filters \
                or any(not isinstance(name, str) or name not in FILTER_NAMES for name in filters):
            raise UsageError(f"filters must name one or more of {', '.join(FILTER_NAMES)}. "
                             f"Received: {list(filters) if isinstance(filters, (list, tuple)) else filters!r}")
        filters = tuple(filters)
        positive(self, "gradient_steps", "sgd_rate", "batch_size", "lstm_units",
                 "lr_batch_size", "min_lr", "max_lr", "pca_epochs", "pca_learning_rate", "epochs")
        for name, low, high in (("depth", 2, 50), ("width", 1, 4_096), ("lstm_window", 2, 1_000),
                                ("lr_steps", 10, 100_000), ("pca_code", 1, 783),
                                ("students", 200, 1_000_000), ("calibration_bins", 2, 50)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise UsageError(f"{name} must be a whole number from {low:,} to {high:,}. Received: {value!r}")
        if not 10 * self.min_lr <= self.max_lr <= 100:
            raise UsageError(f"max_lr must be at least 10 times min_lr and at most 100. "
                             f"Received: min_lr={self.min_lr}, max_lr={self.max_lr}")
        images = self.max_images or SOURCE_IMAGES.get(self.source, 0)
        if images and self.pca_code > images // 2:
            raise UsageError(f"pca_code must be at most half the digits used ({images:,}; PCA needs more training "
                             f"images than components). Received: pca_code={self.pca_code}")
        if self.source == "mnist":
            from pathlib import Path

            if not self.mnist_path or not Path(self.mnist_path).is_file():
                raise UsageError(f"source \"mnist\" needs mnist_path = \"path/to/mnist.npz\" in [lectures], a file "
                                 f"that exists. Received: mnist_path={self.mnist_path!r}")
        if isinstance(self.explode_scale, bool) or not isinstance(self.explode_scale, (int, float)) \
                or not 1 < self.explode_scale <= 10:
            raise UsageError(f"explode_scale must lie in (1, 10]. Received: {self.explode_scale!r}")
        if self.max_images and self.max_images < 200:
            raise UsageError(f"max_images must be 0 (all) or at least 200. Received: {self.max_images}")
        return replace(self, filters=filters)


def patterns_section() -> Section:
    return Section("Recurrent input and output patterns",
                   "The notes' patterns of sequence models, and the builders that follow each (their training is "
                   "shown by the forecast, sine and sysid pipelines).",
                   tables=[Table(["pattern", "what goes in and out", "builders"], [list(row) for row in PATTERNS])])


def run_lectures(config: LecturesConfig, *, log=print) -> ScienceResult:
    from toolkit.pipelines.images import stratified_split
    from toolkit.runs.digits import digits_settings, load_images
    from toolkit.runs.lectures.bernoulli import bernoulli_section
    from toolkit.runs.lectures.convolution import arithmetic_section, filters_section
    from toolkit.runs.lectures.gradients import gradients_section
    from toolkit.runs.lectures.learning_rate import learning_rate_section
    from toolkit.runs.lectures.pca import pca_section

    images, labels, source = load_images(digits_settings(config))
    split = stratified_split(images, labels, test_size=0.2, val_size=0.1, seed=config.seed)
    train, train_labels = split.x["train"], split.labels["train"]
    flat_train = train.reshape(len(train), -1)
    log(f"[data] {len(images):,} digits from {source}: {len(train):,} for training, "
        f"{len(split.labels['test']):,} held out")
    metrics, models = {}, {}
    arithmetic, metrics["convolution"] = arithmetic_section()
    log(f"[convolution] formula matches Keras's shapes: {metrics['convolution']['formula_matches_keras']}")
    filters, metrics["filters"] = filters_section(train, config.filters)
    gradients, metrics["gradients"], gradient_warnings = gradients_section(flat_train, split.y("train"), config, log)
    rates, metrics["learning_rate"] = learning_rate_section(train, train_labels, config, log)
    pca, metrics["pca"] = pca_section(flat_train, split.x["test"].reshape(len(split.x["test"]), -1), config, log,
                                     models)
    bernoulli, metrics["bernoulli"] = bernoulli_section(config, log, models)
    sigmoid = next(iter(metrics["gradients"].values()))
    relu = list(metrics["gradients"].values())[1]
    network = next(iter(metrics["bernoulli"].values()))
    summary = (f"Deep sigmoid network: layer 1's gradient is {sigmoid['first_over_last']:.1e} of the last layer's "
               f"(ReLU/He: {relu['first_over_last']:.1f}); the linear autoencoder's largest principal angle to PCA's "
               f"subspace: {metrics['pca']['largest_angle_degrees']:.1f} degrees; Bernoulli network accuracy "
               f"{network['accuracy']:.1%}; suggested learning rates "
               + ", ".join(f"{m['suggested']:.1e}" for m in metrics["learning_rate"].values()) + ".")
    warnings = list(gradient_warnings)
    if not metrics["convolution"]["formula_matches_keras"] or not metrics["filters"]["notes_examples_match"]:
        warnings.append("A convolution size or a worked example differs from the notes; see the first sections.")
    if metrics["pca"]["diverged"]:
        warnings.append(f"The linear autoencoder's training diverged (test error above the mean's alone); lower "
                        f"pca_learning_rate (now {config.pca_learning_rate:g}).")
    elif metrics["pca"]["largest_angle_degrees"] > 5:
        warnings.append(f"The linear autoencoder ended {metrics['pca']['largest_angle_degrees']:.1f} degrees from "
                        "PCA's subspace (more than 5): more epochs, or a larger gap between the K-th and next "
                        "variance, bring it closer.")
    for label, found in metrics["learning_rate"].items():
        warnings.extend(f"Range test, {label}: {note}." for note in found["notes"])
    return ScienceResult(kind="lectures", title="The lectures' mechanics, shown", summary=summary,
                         sections=[arithmetic, filters, gradients, rates, pca, bernoulli, patterns_section()],
                         metrics=metrics, config={}, models=models, warnings=warnings)
