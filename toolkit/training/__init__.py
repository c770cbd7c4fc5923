"""Fitting Keras models the same way everywhere: seeds, early stopping, honest timing."""

from __future__ import annotations

import logging
import random
import sys
import time
from dataclasses import dataclass, field

import keras
import numpy as np

# Predicting parts of different lengths retraces Keras' predict function; TensorFlow then
# logs a warning about retracing per call, which says nothing useful to a user.
logging.getLogger("tensorflow").setLevel(logging.ERROR)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend; CPU training is then bit-identical across runs.

    What ``keras.utils.set_random_seed`` does, except that on JAX and PyTorch it does not load
    TensorFlow to seed it (Keras' does, for tf.data: 2.75 s on the first call here, in every
    process): TensorFlow is seeded when it is loaded, if it ever is, or now if it already is.
    """
    import toolkit

    seed = int(seed)
    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
        toolkit._when_tensorflow_loads[:] = []
        keras.utils.set_random_seed(seed)
        return
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    if keras.backend.backend() == "torch":
        import torch

        torch.manual_seed(seed)
    toolkit._when_tensorflow_loads[:] = [lambda: sys.modules["tensorflow"].random.set_seed(seed)]


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
        device: Where it trained (:func:`toolkit.devices.training_device`).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    device: str = ""

    def as_dict(self) -> dict:
        return {"epochs_run": self.epochs_run, "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early, "seconds": round(self.seconds, 3),
                "device": self.device, "history": self.history}


class _StopOnNaN(keras.callbacks.Callback):
    """Stop at the first batch whose loss is not finite and remember where."""

    def on_train_begin(self, logs=None):
        self.where = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.where = (self._epoch + 1, batch + 1, float(loss))
            self.model.stop_training = True


#: Seconds between the lines a log gets from inside a long epoch (``verbose=2``).
HEARTBEAT_SECONDS = 10.0


class _Heartbeat(keras.callbacks.Callback):
    """With one line per epoch (``verbose=2``, a log rather than a terminal), a line every
    ``every`` seconds inside an epoch too, so that a long epoch is never a silence."""

    def __init__(self, every: float):
        super().__init__()
        self.every = every

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._start = epoch, time.perf_counter()
        self._last = self._start

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if now - self._last < self.every:
            return
        self._last = now
        steps = self.params.get("steps")
        loss = (logs or {}).get("loss")
        print(f"  epoch {self._epoch + 1}: batch {batch + 1}{f'/{steps}' if steps else ''}, "
              f"{now - self._start:.0f} s" + ("" if loss is None else f", loss {float(loss):.4g}"), flush=True)


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
    callbacks: list | None = None,
    sample_weight: np.ndarray | None = None,
    shuffle: bool = True,
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
        verbose: Keras progress: 0 silent, 1 a bar moving within each epoch (for a terminal),
            2 one line per epoch and one every 10 s within a longer epoch (for a log). Defaults to 2.
        callbacks: More Keras callbacks (e.g. a learning-rate schedule). Defaults to None.
        sample_weight: Weights of the samples, or of every step of every sequence
            (``(n, steps)``, e.g. 0 on warm-up steps). Defaults to None.
        shuffle: Shuffle the samples every epoch. Defaults to True.

    Returns:
        The :class:`TrainingRecord`.

    Raises:
        TrainingError: The training loss became NaN or infinite; training stops there.
    """
    from toolkit.devices import training_device
    from toolkit.errors import TrainingError

    timer, nan_stop = EpochTimer(), _StopOnNaN()
    callbacks = [timer, nan_stop, *(callbacks or []), *([_Heartbeat(HEARTBEAT_SECONDS)] if verbose == 2 else [])]
    stopper = None
    if validation_data is not None and patience is not None:
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True
        )
        callbacks.append(stopper)
    history = model.fit(
        x, y, validation_data=validation_data, epochs=epochs, batch_size=batch_size,
        shuffle=shuffle, callbacks=callbacks, verbose=verbose, sample_weight=sample_weight,
    )
    if nan_stop.where is not None:
        epoch, batch, loss = nan_stop.where
        raise TrainingError(f"training diverged: the loss became {loss} at epoch {epoch}, batch {batch}; "
                            "lower the learning rate, or check the inputs for extreme or constant values")
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
        device=training_device(),
    )


def fit_recipe(model: keras.Model, x, y, recipe, *, epochs: int | None = None, **kwargs) -> TrainingRecord:
    """Train with a lecture's recipe: its batch (the whole set for full-batch ones) and epochs.

    Build the model with the same ``recipe=`` so that its optimiser is the recipe's; a
    model compiled with another optimiser is refused rather than trained off-recipe.

    Args:
        model: A model built with ``recipe=...``.
        x: Training inputs (an array or a dict of arrays).
        y: Training targets.
        recipe: A name from :data:`toolkit.builders.recipes.RECIPES` or a ``Recipe``.
        epochs: Override the recipe's epochs (tests, quick runs). Defaults to None.
        **kwargs: More :func:`fit` arguments (``validation_data``, ``patience``, ...);
            early stopping is off unless ``patience`` is given.

    Returns:
        The :class:`TrainingRecord`.
    """
    from toolkit.builders.recipes import get_recipe

    recipe = get_recipe(recipe)
    optimizer = getattr(model, "d_optimizer", None) or model.optimizer  # a GAN's discriminator optimiser
    config = optimizer.get_config()
    name = "nesterov" if config.get("nesterov") else type(optimizer).__name__.lower()
    if name != recipe.optimizer or not np.isclose(float(config["learning_rate"]), recipe.learning_rate):
        raise ValueError(f"recipe {recipe.name!r} trains with {recipe.optimizer} at {recipe.learning_rate:g}; "
                         f"build the model with recipe={recipe.name!r}. Received: {name} at "
                         f"{float(config['learning_rate']):g}")
    fixed = recipe.model_options.get("generator_loss")
    if fixed is not None and getattr(model, "generator_loss", fixed) != fixed:
        raise ValueError(f"recipe {recipe.name!r} trains with generator_loss={fixed!r}; build the model with "
                         f"recipe={recipe.name!r}. Received: generator_loss={model.generator_loss!r}")
    n = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    kwargs.setdefault("patience", None)
    return fit(model, x, y, epochs=recipe.epochs if epochs is None else epochs,
               batch_size=recipe.batch_for(n), **kwargs)


from toolkit.training.gradients import gradient_report, layer_gradient_norms  # noqa: E402
from toolkit.training.lr_range import LRRangeResult, lr_range_test  # noqa: E402
