"""Fitting Keras models the same way everywhere: seeds, early stopping, honest timing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend; CPU training is then bit-identical across runs."""
    keras.utils.set_random_seed(int(seed))


class EpochTimer(keras.callbacks.Callback):
    """Wall time spent inside epochs: ``fit()`` itself can return seconds after the last one."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._started)


@dataclass
class TrainingRecord:
    """What one ``fit`` did.

    Attributes:
        history: Per-epoch metrics (``loss``, ``val_loss``, ...).
        epochs_run: Epochs actually trained.
        best_epoch: 1-based epoch whose weights were kept (lowest ``val_loss``).
        stopped_early: Whether early stopping ended training.
        seconds: Wall time inside the epochs.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"epochs_run": self.epochs_run, "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early, "seconds": round(self.seconds, 3),
                "history": self.history}


def fit(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    epochs: int = 20,
    batch_size: int = 64,
    patience: int | None = 5,
    verbose: int = 2,
) -> TrainingRecord:
    """Train a compiled model, keeping the weights of its best validation epoch.

    Args:
        model: A compiled model.
        x: Training inputs.
        y: Training targets.
        validation_data: ``(x, y)`` watched by early stopping. Defaults to None (no stopping).
        epochs: Most epochs to train. Defaults to 20.
        batch_size: Defaults to 64.
        patience: Epochs without a better ``val_loss`` before stopping; ``None`` disables
            early stopping. Defaults to 5.
        verbose: Keras progress: 0 silent, 1 bar, 2 one line per epoch. Defaults to 2.

    Returns:
        The :class:`TrainingRecord`.
    """
    timer = EpochTimer()
    callbacks = [timer]
    stopper = None
    if validation_data is not None and patience is not None:
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True
        )
        callbacks.append(stopper)
    history = model.fit(
        x, y, validation_data=validation_data, epochs=epochs, batch_size=batch_size,
        shuffle=True, callbacks=callbacks, verbose=verbose,
    )
    hist = {key: [float(v) for v in values] for key, values in history.history.items()}
    epochs_run = len(timer.epoch_seconds)
    if "val_loss" in hist:
        best_epoch = int(np.argmin(hist["val_loss"])) + 1
    else:
        best_epoch = epochs_run
    return TrainingRecord(
        history=hist,
        epochs_run=epochs_run,
        best_epoch=best_epoch,
        stopped_early=bool(stopper is not None and stopper.stopped_epoch > 0),
        seconds=float(sum(timer.epoch_seconds)),
    )
