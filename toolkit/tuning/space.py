"""Search spaces: whole numbers, real numbers (on a log scale where that is how they vary)
and choices, declared in a notebook or a pipeline file, and the lectures' default spaces.

The lectures list what to tune: "number of hidden layers, number of neurons, choice of
activation, number of epochs, learning rate, mini-batch size, regularization parameters"
(singaravelu-intro-deep-learning.txt). :data:`RECURRENT_SPACE` is that list for the stacked
LSTM / GRU; :data:`TRAINING_SPACE` (epochs, learning rate, batch size) fits any Keras model.

In a pipeline file a space is a table under the model::

    [models.gru64.search]
    units = { low = 16, high = 256, log = true }      # a whole number (both bounds whole)
    dropout = { low = 0, high = 0.5 }                 # a real number (a bound with a point)
    momentum = { low = 0, high = 1, type = "float" }  # whole bounds, real values
    learning_rate = { low = 1e-4, high = 1e-2, log = true }
    activation = { choices = ["relu", "tanh"] }
    batch_size = [32, 64, 128]                         # a list is a choice too
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from toolkit.errors import UsageError

SIMPLE = (bool, int, float, str)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Int:
    """A whole number in ``[low, high]``, sampled uniformly or, with ``log=True``, on a log
    scale (for sizes such as units, where 16 to 32 matters as much as 128 to 256)."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self):
        for key in ("low", "high"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"Int bounds must be whole numbers. Received: {key}={value!r}")
        if self.low > self.high or (self.log and self.low < 1):
            raise ValueError(f"Int needs low <= high{' and low >= 1 on a log scale' if self.log else ''}. "
                             f"Received: low={self.low}, high={self.high}")

    def distribution(self):
        from optuna.distributions import IntDistribution

        return IntDistribution(self.low, self.high, log=self.log)

    def describe(self) -> dict:
        return {"int": [self.low, self.high], "log": self.log}


@dataclass(frozen=True)
class Float:
    """A real number in ``[low, high]``, uniform or, with ``log=True``, log-uniform (for
    rates, which vary by orders of magnitude)."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self):
        if not (_number(self.low) and _number(self.high)) or self.low >= self.high or (self.log and self.low <= 0):
            raise ValueError(f"Float needs finite low < high{' and low > 0 on a log scale' if self.log else ''}. "
                             f"Received: low={self.low!r}, high={self.high!r}")

    def distribution(self):
        from optuna.distributions import FloatDistribution

        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def describe(self) -> dict:
        return {"float": [self.low, self.high], "log": self.log}


@dataclass(frozen=True)
class Choice:
    """One of a few values (numbers, text or true/false)."""

    options: tuple

    def __init__(self, *options):
        if len(options) == 1 and isinstance(options[0], (list, tuple)):
            options = tuple(options[0])
        if not options or not all(isinstance(o, SIMPLE) for o in options) or len(set(options)) != len(options):
            raise ValueError(f"Choice needs distinct numbers, text or true/false values. Received: {options!r}")
        object.__setattr__(self, "options", tuple(options))

    def distribution(self):
        from optuna.distributions import CategoricalDistribution

        return CategoricalDistribution(self.options)

    def describe(self) -> dict:
        return {"choices": list(self.options)}


DIMENSIONS = (Int, Float, Choice)

#: The lectures' list for the stacked recurrent network (layers, units, activation, epochs,
#: learning rate, mini-batch size, dropout as the regularisation).
RECURRENT_SPACE = {
    "num_layers": Int(1, 3),
    "units": Int(16, 256, log=True),
    "activation": Choice("relu", "tanh", "elu"),
    "epochs": Int(5, 40),  # scaled to the run's --epochs by fit_epochs: 5 to 40 at the default 20
    "learning_rate": Float(1e-4, 1e-2, log=True),
    "batch_size": Choice(32, 64, 128, 256),
    "dropout": Float(0.0, 0.5),
}

#: What any Keras model can be tuned on without knowing its builder.
TRAINING_SPACE = {
    "epochs": Int(5, 40),
    "learning_rate": Float(1e-4, 1e-2, log=True),
    "batch_size": Choice(32, 64, 128, 256),
}


def fit_epochs(space: dict, epochs: int) -> dict:
    """A default space with its epochs scaled to the run's ``epochs`` E: from E/4 to 2E (5 to 40
    at the default 20), so a quick run's search stays quick."""
    if "epochs" not in space:
        return dict(space)
    return {**space, "epochs": Int(max(1, epochs // 4), max(2, 2 * epochs))}


def check_space(space, where: str = "space") -> dict:
    """A search space as ``{name: Int | Float | Choice}``; :class:`UsageError` otherwise."""
    if not isinstance(space, dict):
        raise UsageError(f"{where} must map parameter names to Int, Float or Choice. Received: {space!r}")
    for key, dimension in space.items():
        if not isinstance(key, str) or not isinstance(dimension, DIMENSIONS):
            raise UsageError(f"{where}: {key!r} must be an Int, Float or Choice (toolkit.tuning). "
                             f"Received: {dimension!r}")
    return dict(space)


def parse_space(table: dict, where: str) -> dict:
    """A space from a pipeline file's table (forms in the module docstring)."""
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table of parameters. Received: {table!r}")
    space = {}
    for key, value in table.items():
        try:
            if isinstance(value, list):
                space[key] = Choice(*value)
            elif isinstance(value, dict) and set(value) == {"choices"}:
                space[key] = Choice(*value["choices"]) if isinstance(value["choices"], list) else Choice()
            elif isinstance(value, dict) and {"low", "high"} <= set(value) <= {"low", "high", "log", "type"}:
                low, high, log = value["low"], value["high"], value.get("log", False)
                if not isinstance(log, bool):
                    raise ValueError(f"log must be true or false. Received: {log!r}")
                kind = value.get("type")
                if kind is None:  # whole-number bounds make a whole-number dimension
                    kind = "int" if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) else "float"
                if kind not in ("int", "float"):
                    raise ValueError(f'type must be "int" or "float". Received: {kind!r}')
                space[key] = Int(low, high, log) if kind == "int" else Float(low, high, log)
            else:
                raise ValueError("give { low = ..., high = ..., log = true|false }, { choices = [...] } or a list. "
                                 f"Received: {value!r}")
        except ValueError as err:
            raise UsageError(f"{where}: {key}: {err}") from None
    return space
