"""Monte Carlo dropout on every Keras backend: dropout left on at prediction.

The draws come from one ``predict`` over the inputs repeated ``samples`` times: each row
gets its own dropout masks, and the backend's compiled predict function (``tf.function``,
``jax.jit`` or PyTorch's) does the work in large batches, with no per-draw Python loop.
"""

from __future__ import annotations

import keras
import numpy as np


class _AlwaysTraining(keras.Model):
    """``model`` called with ``training=True`` whatever ``predict`` asks (dropout stays on)."""

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.inner = model

    def call(self, inputs, training=None):
        return self.inner(inputs, training=True)


def mc_dropout_draws(model: keras.Model, x: np.ndarray, samples: int, batch_size: int = 4096) -> np.ndarray:
    """``samples`` stochastic forward passes of ``model`` on ``x``: shape ``(samples, *output)``.

    Args:
        model: A Keras model with dropout (or any layer that behaves differently in training).
        x: Inputs, ``(n, ...)``.
        samples: How many passes. Must be at least 1.
        batch_size: Rows per compiled predict step. Defaults to 4096.
    """
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"`samples` must be a whole number of at least 1. Received: samples={samples!r}")
    x = np.asarray(x)
    repeated = np.broadcast_to(x, (samples, *x.shape)).reshape(samples * len(x), *x.shape[1:])
    draws = _AlwaysTraining(model, name="mc_dropout").predict(repeated, batch_size=batch_size, verbose=0)
    return np.asarray(draws).reshape(samples, len(x), *np.shape(draws)[1:])
