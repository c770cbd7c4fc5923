"""A PINN's loss as one compiled function of a flat parameter vector, and the stages that train it.

:class:`PINNObjective` holds a network, a PDE residual, the collocation points (a
variable, so resampling them does not recompile anything) and optional data points. It
gives the loss and its gradient for a flat parameter tensor (what quasi-Newton methods
and SciPy want), Adam steps on the same loss, and the residual at any points (what
residual-based sampling needs), each one XLA-compiled function.
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf


class PINNObjective:
    """mean(r^2) at the collocation points (+ ``data_weight`` x mean squared data error).

    Args:
        network: The network u(points); its dtype is the computation's.
        residual: A :class:`toolkit.builders.pde.PDEResidual`.
        collocation: Points (n, d) where the residual is penalised.
        data_points: Points with known values (soft constraints). Defaults to None (hard
            constraints: the network satisfies them by construction).
        data_values: Their values (n,). Defaults to None.
        residual_weight: Weight of the residual term. Defaults to 1.
    """

    def __init__(self, network, residual, collocation, data_points=None, data_values=None,
                 residual_weight: float = 1.0):
        from toolkit.backend import require_backend
        from toolkit.builders.pinn import network_dtype

        require_backend("PINNObjective (an XLA-compiled TensorFlow function)", ("tensorflow",))
        self.network = network
        self.residual = residual
        self.dtype = network_dtype(network)
        self.variables = list(network.trainable_variables)
        self.shapes = [tuple(v.shape) for v in self.variables]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.size = sum(self.sizes)
        self.collocation = tf.Variable(np.asarray(collocation), dtype=self.dtype, trainable=False)
        self.has_data = data_points is not None and len(data_points) > 0
        if self.has_data:
            self.data_points = tf.constant(np.asarray(data_points), dtype=self.dtype)
            self.data_values = tf.constant(np.asarray(data_values).reshape(-1, 1), dtype=self.dtype)
        self.residual_weight = tf.constant(float(residual_weight), dtype=self.dtype)
        self.value_and_gradient = tf.function(self._value_and_gradient, jit_compile=True)
        self.terms = tf.function(self._terms, jit_compile=True)
        self._residual_at = tf.function(self._residual_values, jit_compile=True)

    # -- the loss -----------------------------------------------------------------------------
    def _loss_terms(self):
        residual = self.residual(self.network, self.collocation)
        residual_loss = tf.reduce_mean(tf.square(residual))
        if self.has_data:
            data_loss = tf.reduce_mean(tf.square(self.network(self.data_points) - self.data_values))
        else:
            data_loss = tf.zeros((), dtype=self.dtype)
        return data_loss + self.residual_weight * residual_loss, data_loss, residual_loss

    def assign(self, theta) -> None:
        """Set the network's weights from a flat vector."""
        for variable, part, shape in zip(self.variables, tf.split(theta, self.sizes), self.shapes):
            variable.assign(tf.reshape(part, shape))

    def theta(self):
        """The network's weights as one flat tensor."""
        return tf.concat([tf.reshape(v, [-1]) for v in self.variables], 0)

    def _value_and_gradient(self, theta):
        self.assign(theta)
        with tf.GradientTape() as tape:
            loss, _, _ = self._loss_terms()
        gradients = tape.gradient(loss, self.variables)
        return loss, tf.concat([tf.reshape(g, [-1]) for g in gradients], 0)

    def _terms(self, theta):
        self.assign(theta)
        return self._loss_terms()

    def _residual_values(self, points):
        return self.residual(self.network, points)

    # -- points ---------------------------------------------------------------------------------
    def set_collocation(self, points) -> None:
        """Replace the collocation points (same count: nothing is recompiled)."""
        points = np.asarray(points)
        if points.shape != tuple(self.collocation.shape):
            raise ValueError(f"resampled collocation points must keep the shape {tuple(self.collocation.shape)}. "
                             f"Received: shape={points.shape}")
        self.collocation.assign(points.astype(self.dtype))

    def residual_at(self, points, batch: int = 50_000) -> np.ndarray:
        """|r| at ``points`` (m, d) for the current weights, in batches of equal size (one trace)."""
        points = np.asarray(points, dtype=self.dtype)
        count = len(points)
        padded = np.concatenate([points, np.repeat(points[-1:], -count % batch, axis=0)]) if count > batch else points
        parts = [self._residual_at(tf.constant(padded[i:i + batch])) for i in range(0, len(padded), batch)]
        return np.abs(np.concatenate([p.numpy() for p in parts]).reshape(-1))[:count]

    # -- Adam -------------------------------------------------------------------------------------
    def adam(self, steps: int, learning_rate: float = 1e-3, *, time_limit: float | None = None,
             record_every: int = 100, callback=None) -> dict:
        """Full-batch Adam on the loss; returns the stage's history (as :func:`toolkit.training.quasi_newton.minimize`).

        Args:
            steps: Adam steps.
            learning_rate: Defaults to 1e-3.
            time_limit: Stop after this many seconds. Defaults to None.
            record_every: Record every this many steps. Defaults to 100.
            callback: ``callback(step, theta, loss)`` at each record. Defaults to None.
        """
        import keras

        optimizer = keras.optimizers.Adam(learning_rate)
        optimizer.build(self.variables)

        @tf.function(jit_compile=True)
        def step():
            with tf.GradientTape() as tape:
                loss, _, _ = self._loss_terms()
            optimizer.apply(tape.gradient(loss, self.variables), self.variables)
            return loss

        history = {"iteration": [], "seconds": [], "loss": []}
        started = time.perf_counter()
        done = 0
        while done < steps:
            loss = step()
            done += 1
            last = done == steps or (time_limit is not None and time.perf_counter() - started >= time_limit)
            if done % record_every == 0 or last:
                history["iteration"].append(done)
                history["seconds"].append(time.perf_counter() - started)
                history["loss"].append(float(loss))
                if callback is not None:
                    callback(done, self.theta(), float(loss))
            if last:
                break
        return {"history": history, "iterations": done, "seconds": time.perf_counter() - started,
                "message": f"{done} steps"}
