"""A PINN's loss as one compiled function of a flat parameter vector, and the stages that train it.

:class:`PINNObjective` holds a network, a PDE residual (whose :class:`toolkit.builders.pde.Unknown`
coefficients are trained with the weights: an inverse problem), the collocation points and
optional data points. It gives the loss and its gradient for a flat parameter tensor (what
quasi-Newton methods and SciPy want), Adam steps on the same loss, and the residual at any
points (what residual-based sampling needs), each one XLA-compiled function on TensorFlow
or JAX (:mod:`toolkit.training.compiled`). The loss is a pure function of the flat vector:
the network's and the coefficients' variables read it through ``keras.StatelessScope``.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import ops

from toolkit.training import compiled


def _points(name: str, points, dimension: int) -> np.ndarray:
    points = np.asarray(points, dtype="float64")
    if points.ndim != 2 or points.shape[1] != dimension or not np.all(np.isfinite(points)):
        raise ValueError(f"`{name}` must be finite points of shape (n, {dimension}). Received: shape={points.shape}")
    return points


class PINNObjective:
    """mean(r^2) at the collocation points (+ ``data_weight`` x mean squared data error).

    The flat parameter vector is the network's trainable weights followed by the raw
    values of the residual's unknown coefficients (log values for positive ones), in the
    residual's ``COEFFICIENTS`` order.

    Args:
        network: The network u(points); its dtype is the computation's.
        residual: A :class:`toolkit.builders.pde.PDEResidual`.
        collocation: Points (n, d) where the residual is penalised.
        data_points: Points with known values (soft constraints, or the data of an inverse
            problem). Defaults to None (hard constraints: the network satisfies them by construction).
        data_values: Their values (n,). Defaults to None.
        residual_weight: Weight of the residual term. Defaults to 1.

    Raises:
        UsageError: on PyTorch (see :mod:`toolkit.training.compiled`).
        ValueError: points of the wrong shape or not finite, data values that do not match
            the data points, a negative weight, or unknown coefficients without data.
    """

    def __init__(self, network, residual, collocation, data_points=None, data_values=None,
                 residual_weight: float = 1.0):
        from toolkit.builders.pde import PDEResidual
        from toolkit.builders.pinn import network_dtype

        compiled.backend()
        if not isinstance(residual, PDEResidual):
            raise ValueError(f"`residual` must be a PDEResidual. Received: residual={residual!r}")
        if isinstance(residual_weight, bool) or not (math.isfinite(residual_weight) and residual_weight >= 0):
            raise ValueError(f"`residual_weight` must be a finite number >= 0. Received: residual_weight={residual_weight!r}")
        dimension = network.inputs[0].shape[-1]
        collocation = _points("collocation", collocation, dimension)
        if data_points is not None:
            data_points = _points("data_points", data_points, dimension)
            data_values = np.asarray(data_values if data_values is not None else [], dtype="float64").reshape(-1)
            if len(data_values) != len(data_points) or not np.all(np.isfinite(data_values)):
                raise ValueError(f"`data_values` must hold one finite value per data point ({len(data_points)}). "
                                 f"Received: {len(data_values)} values")
        if residual.unknowns() and (data_points is None or len(data_points) == 0):
            raise ValueError(f"unknown coefficients ({', '.join(residual.unknowns())}) are identified from data: "
                             "give data_points and data_values")
        self.network = network
        self.residual = residual
        self.dtype = network_dtype(network)
        self.weights = list(network.trainable_variables)
        self.unknowns = residual.build(self.dtype)
        self.coefficient_names = list(residual.unknowns())
        self.variables = self.weights + self.unknowns
        self.shapes = [tuple(v.shape) for v in self.variables]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.size = sum(self.sizes)
        self.collocation = ops.convert_to_tensor(np.asarray(collocation), dtype=self.dtype)
        self.has_data = data_points is not None and len(data_points) > 0
        if self.has_data:
            self.data_points = ops.convert_to_tensor(np.asarray(data_points), dtype=self.dtype)
            self.data_values = ops.convert_to_tensor(np.asarray(data_values).reshape(-1, 1), dtype=self.dtype)
        self.residual_weight = float(residual_weight)
        self._gradient = compiled.value_and_grad(self._loss_terms)
        self._value_and_gradient = compiled.jit(lambda theta, points: self._gradient(theta, points)[:2])
        self._terms = compiled.jit(self._loss_terms)
        self._residual_at = compiled.jit(self._residual_values)
        self._predict = compiled.jit(self._network_values)
        self._adam_step = compiled.jit(self._adam)  # traced on first use

    # -- the loss -----------------------------------------------------------------------------
    def _mapping(self, theta):
        parts = ops.split(theta, list(np.cumsum(self.sizes)[:-1]))
        return [(v, ops.reshape(p, s)) for v, p, s in zip(self.variables, parts, self.shapes)]

    def _loss_terms(self, theta, collocation):
        with keras.StatelessScope(state_mapping=self._mapping(theta)):
            residual_loss = ops.mean(ops.square(self.residual(self.network, collocation)))
            if self.has_data:
                data_loss = ops.mean(ops.square(self.network(self.data_points) - self.data_values))
            else:
                data_loss = ops.zeros((), dtype=self.dtype)
        return data_loss + self.residual_weight * residual_loss, data_loss, residual_loss

    def _residual_values(self, theta, points):
        with keras.StatelessScope(state_mapping=self._mapping(theta)):
            return self.residual(self.network, points)

    def _network_values(self, theta, points):
        with keras.StatelessScope(state_mapping=self._mapping(theta)):
            return self.network(points)

    def predict(self, points, theta=None) -> np.ndarray:
        """u at ``points`` (m, d) for ``theta`` (defaults to the variables'), as a NumPy array (m, 1)."""
        theta = self.theta() if theta is None else theta
        return ops.convert_to_numpy(self._predict(theta, ops.convert_to_tensor(points, dtype=self.dtype)))

    def value_and_gradient(self, theta):
        """(loss, gradient) at the flat parameters ``theta`` (a 1-D tensor of :attr:`size`)."""
        return self._value_and_gradient(theta, self.collocation)

    def terms(self, theta):
        """(loss, data loss, residual loss) at ``theta``."""
        return self._terms(theta, self.collocation)

    def assign(self, theta) -> None:
        """Set the network's weights and the unknown coefficients from a flat vector."""
        for variable, value in self._mapping(ops.convert_to_tensor(theta)):
            variable.assign(value)

    def theta(self):
        """The network's weights and the unknowns' raw values as one flat tensor."""
        return ops.concatenate([ops.reshape(ops.convert_to_tensor(v), (-1,)) for v in self.variables], 0)

    def coefficients(self, theta=None) -> dict:
        """The unknown coefficients' values at ``theta`` (defaults to the variables'), name -> float."""
        if theta is None:
            return {name: self.residual.unknowns()[name].value() for name in self.coefficient_names}
        theta = ops.convert_to_numpy(theta)
        if theta.shape != (self.size,):
            raise ValueError(f"`theta` must be a flat vector of {self.size} parameters. Received: shape={theta.shape}")
        raw = theta[self.size - len(self.unknowns):]
        unknowns = self.residual.unknowns()
        return {name: (math.exp(r) if unknowns[name].positive else float(r))
                for name, r in zip(self.coefficient_names, raw)}

    # -- points ---------------------------------------------------------------------------------
    def set_collocation(self, points) -> None:
        """Replace the collocation points (same count: nothing is recompiled)."""
        points = np.asarray(points)
        if points.shape != tuple(self.collocation.shape):
            raise ValueError(f"resampled collocation points must keep the shape {tuple(self.collocation.shape)}. "
                             f"Received: shape={points.shape}")
        self.collocation = ops.convert_to_tensor(points, dtype=self.dtype)

    def residual_at(self, points, batch: int = 50_000, theta=None) -> np.ndarray:
        """|r| at ``points`` (m, d) for ``theta`` (defaults to the variables'), in batches of equal size (one trace)."""
        theta = self.theta() if theta is None else theta
        points = np.asarray(points, dtype=self.dtype)
        count = len(points)
        padded = np.concatenate([points, np.repeat(points[-1:], -count % batch, axis=0)]) if count > batch else points
        parts = [self._residual_at(theta, ops.convert_to_tensor(padded[i:i + batch])) for i in range(0, len(padded), batch)]
        return np.abs(np.concatenate([ops.convert_to_numpy(p) for p in parts]).reshape(-1))[:count]

    # -- Adam -------------------------------------------------------------------------------------
    def _adam(self, theta, m, v, step, collocation, learning_rate):
        # Keras's Adam (beta1 0.9, beta2 0.999, epsilon 1e-7) on the flat vector, so the whole
        # step is one compiled function of arrays on either backend.
        loss, gradient = self._gradient(theta, collocation)[:2]
        m = 0.9 * m + 0.1 * gradient
        v = 0.999 * v + 0.001 * gradient * gradient
        rate = learning_rate * ops.sqrt(1.0 - 0.999 ** step) / (1.0 - 0.9 ** step)
        return theta - rate * m / (ops.sqrt(v) + 1e-7), m, v, loss

    def adam(self, steps: int, learning_rate: float = 1e-3, *, time_limit: float | None = None,
             record_every: int = 100, callback=None) -> dict:
        """Full-batch Adam on the loss from the variables' values; leaves the result in them.

        Returns the stage's history (as :func:`toolkit.training.quasi_newton.minimize`).

        Args:
            steps: Adam steps.
            learning_rate: Defaults to 1e-3.
            time_limit: Stop after this many seconds. Defaults to None.
            record_every: Record every this many steps. Defaults to 100.
            callback: ``callback(step, theta, loss)`` at each record. Defaults to None.
        """
        theta = self.theta()
        m = ops.zeros_like(theta)
        v = ops.zeros_like(theta)
        rate = ops.convert_to_tensor(learning_rate, dtype=self.dtype)
        history = {"iteration": [], "seconds": [], "loss": []}
        started = time.perf_counter()
        done = 0
        while done < steps:
            theta, m, v, loss = self._adam_step(theta, m, v, ops.convert_to_tensor(done + 1, dtype=self.dtype),
                                                self.collocation, rate)
            done += 1
            last = done == steps or (time_limit is not None and time.perf_counter() - started >= time_limit)
            if done % record_every == 0 or last:
                history["iteration"].append(done)
                history["seconds"].append(time.perf_counter() - started)
                history["loss"].append(float(loss))
                if callback is not None:
                    callback(done, theta, float(loss))
            if last:
                break
        self.assign(theta)
        message = f"{done} steps" if done == steps else f"time limit after {done} of {steps} steps"
        return {"history": history, "iterations": done, "seconds": time.perf_counter() - started, "message": message}
