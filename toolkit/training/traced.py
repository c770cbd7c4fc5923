"""Train a new model through an already traced twin: the same numbers, without tracing again.

A walk-forward builds a new network per fold (and once more for the forecast past the data),
and a model's first ``fit`` traces its training, validation and prediction steps: on
TensorFlow a 2-epoch fit of a small LSTM took 2.5-2.9 s on a new model and 0.27-0.29 s on the
same model fitted again (``bench/README.md``, "Walk-forward"). :class:`TracedTwins` keeps, per
process, one trained model of each architecture and compile settings; the next model built
the same way trains on that twin instead: the twin takes all of the new model's state first
(weights, dropout seeds: every ``model.variables``) and its optimiser goes back to its state
before any step, so the steps, and the numbers, are the new model's own. When the twin
moves on to another model, the one it last trained for gets every variable back and is
itself again.

The key is the model's class, ``get_config()`` and ``get_compile_config()``; a model whose
configuration cannot be read, or whose variables do not line up, simply trains itself.

TensorFlow only: there the twin gives the model's own numbers bit for bit (tested, Ray
against local included). On JAX and PyTorch the same tests found the twin's numbers
different from the model's own (PyTorch: up to 0.15 in a forecast run), so models there
train themselves; PyTorch traces nothing anyway, and JAX's compile cost stays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import keras
import numpy as np


def _key(model: keras.Model) -> str | None:
    try:
        compile_config = model.get_compile_config()
        if not compile_config or model.optimizer is None:
            return None
        optimizer = compile_config.get("optimizer")
        if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict):
            # Keras numbers each new optimiser's name (adam, adam_1, ...): not part of what it does
            optimizer = {**optimizer, "config": {k: v for k, v in optimizer["config"].items() if k != "name"}}
            compile_config = {**compile_config, "optimizer": optimizer}
        return json.dumps([type(model).__module__, type(model).__qualname__, keras.backend.backend(),
                           model.get_config(), compile_config], sort_keys=True, default=repr)
    except Exception:  # noqa: BLE001 - any model Keras cannot describe trains itself
        return None


def _copy(source: list, target: list) -> None:
    for to, value in zip(target, source):
        to.assign(value)


@dataclass
class _Twin:
    model: keras.Model
    optimizer_start: list[np.ndarray]
    hand_back: object = None  # called with a model holding the state of the one the twin last trained for


@dataclass
class TracedTwins:
    """One traced twin per architecture and compile settings, in this process."""

    twins: dict[str, _Twin] = field(default_factory=dict)
    #: Twins kept (the least recently used goes first; its last user keeps it as its model).
    most: int = 8

    def take(self, model: keras.Model, hand_back=None) -> keras.Model:
        """The model to train in place of ``model``: a traced twin holding ``model``'s state,
        or ``model`` itself, which then becomes the twin of later models built the same way.

        The twin's previous user gets a model of its own back: ``model``'s object, given the
        twin's every variable and optimiser state first, is passed to that user's
        ``hand_back``. So a forecaster that called ``take`` must keep using what it gets,
        until ``hand_back`` gives it another object with the same state.

        Args:
            model: A freshly built, compiled model.
            hand_back: Called with the model that holds this training's state once the twin
                moves on to another model (e.g. to point a forecaster at it). Defaults to None.
        """
        key = _key(model) if keras.backend.backend() == "tensorflow" else None
        if key is None:
            return model
        twin = self.twins.pop(key, None)
        if twin is not None:
            self.twins[key] = twin  # the most recently used last
        while len(self.twins) > self.most:
            self.twins.pop(next(iter(self.twins)))
        if twin is None or not _lines_up(twin.model, model):
            if not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            self.twins[key] = _Twin(model, [np.array(v) for v in model.optimizer.variables], hand_back)
            return model
        start = [np.array(v) for v in model.variables]
        if twin.hand_back is not None:  # the last user keeps its state, in model's object
            _copy(twin.model.variables, model.variables)
            _copy(twin.model.optimizer.variables, model.optimizer.variables)
            twin.hand_back(model)
        _copy(start, twin.model.variables)
        _copy(twin.optimizer_start, twin.model.optimizer.variables)
        twin.hand_back = hand_back
        return twin.model

    def clear(self) -> None:
        """Forget every twin (their last users keep them)."""
        self.twins.clear()


def _lines_up(twin: keras.Model, model: keras.Model) -> bool:
    if len(twin.variables) != len(model.variables):
        return False
    if any(tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype for a, b in zip(twin.variables, model.variables)):
        return False
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return len(twin.optimizer.variables) == len(model.optimizer.variables)


#: This process's twins (each Ray worker and test process has its own).
TWINS = TracedTwins()
