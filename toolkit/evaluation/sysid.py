"""System identification: a benchmark system to simulate, free-run simulation of an
identified model, and the scores the field reports.

Narendra and Li (1996, "Neural networks in control systems") give a second-order
nonlinear system that has become a standard identification benchmark:

    x1(k+1) = (x1(k) / (1 + x1(k)^2) + 1) sin(x2(k))
    x2(k+1) = x2(k) cos(x2(k)) + x1(k) exp(-(x1(k)^2 + x2(k)^2) / 8)
              + u(k)^3 / (1 + u(k)^2 + 0.5 cos(x1(k) + x2(k)))
    y(k)    = x1(k) / (1 + 0.5 sin(x2(k))) + x2(k) / (1 + 0.5 sin(x1(k)))

trained on u ~ U(-2.5, 2.5) and tested on u(k) = sin(2 pi k / 10) + sin(2 pi k / 25).
"""

from __future__ import annotations

import math

import numpy as np

from toolkit.pipelines.lags import narx_regressors


def narendra_li(u: np.ndarray) -> np.ndarray:
    """The benchmark's noise-free output y(0..T-1) for the input u(0..T-1), from x(0) = 0."""
    u = np.asarray(u, dtype="float64").reshape(-1)
    y = np.empty_like(u)
    x1 = x2 = 0.0
    for k, uk in enumerate(u):  # a recursion: each state needs the last one
        y[k] = x1 / (1 + 0.5 * math.sin(x2)) + x2 / (1 + 0.5 * math.sin(x1))
        x1, x2 = ((x1 / (1 + x1 * x1) + 1) * math.sin(x2),
                  x2 * math.cos(x2) + x1 * math.exp(-(x1 * x1 + x2 * x2) / 8)
                  + uk ** 3 / (1 + uk * uk + 0.5 * math.cos(x1 + x2)))
    return y


def training_input(n: int, rng: np.random.Generator) -> np.ndarray:
    """The benchmark's identification input: independent draws from U(-2.5, 2.5)."""
    return rng.uniform(-2.5, 2.5, n)


def sine_test_input(n: int) -> np.ndarray:
    """The benchmark's test input: sin(2 pi k / 10) + sin(2 pi k / 25)."""
    k = np.arange(n)
    return np.sin(2 * np.pi * k / 10) + np.sin(2 * np.pi * k / 25)


def fit_arx(y: np.ndarray, u: np.ndarray, na: int, nb: int) -> np.ndarray:
    """Least-squares ARX coefficients (with an intercept, last): the linear benchmark."""
    lags, target = narx_regressors(y, u, na, nb, dtype="float64")
    design = np.concatenate([lags["y_lags"], lags["u_lags"], np.ones((len(target), 1))], axis=1)
    return np.linalg.lstsq(design, target, rcond=None)[0]


def _numpy_activation(layer):
    name = getattr(layer.activation, "__name__", str(layer.activation))
    functions = {"linear": lambda v: v, "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
                 "relu": lambda v: np.maximum(v, 0), "leaky_relu": lambda v: np.where(v > 0, v, 0.01 * v)}
    if name not in functions:
        raise ValueError(f"free-run simulation supports sigmoid, tanh, relu, leaky_relu and linear layers. "
                         f"Received: {name} in layer {layer.name!r}")
    return functions[name]


def dense_stack(model) -> list:
    """``(kernel, bias, activation)`` of a NARX model's Dense layers, in order, as NumPy."""
    import keras

    stack = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = (np.asarray(w, dtype="float64") for w in layer.get_weights())
            stack.append((kernel, bias, _numpy_activation(layer)))
    return stack


def free_run(predict_one, u: np.ndarray, y_start: np.ndarray, na: int, nb: int) -> np.ndarray:
    """Simulate a NARX-type model on its own outputs: y_hat(k) = f(y_hat(k-1..k-na), u(k..k-nb)).

    Rows are laid out as :func:`toolkit.pipelines.lags.narx_regressors` lays them out
    (``y_lags`` then ``u_lags``, most recent first).

    Args:
        predict_one: Maps one regressor row (length ``na + nb + 1``) to y_hat(k).
        u: The whole input record.
        y_start: The first ``max(na, nb)`` outputs (measured), where simulation starts.
        na: Output lags.
        nb: Input lags beyond u(k).

    Returns:
        The simulated record, ``y_start`` followed by the model's own outputs.
    """
    u = np.asarray(u, dtype="float64")
    start = max(na, nb)
    y = np.empty(len(u))
    y[:start] = y_start[:start]
    for k in range(start, len(u)):  # the definition of a simulation: each step needs the last
        row = np.concatenate([y[k - na:k][::-1], u[k - nb:k + 1][::-1]])
        y[k] = predict_one(row)
    return y


def network_predictor(stack: list):
    """One-row forward pass through :func:`dense_stack`'s layers (NumPy, no framework call)."""

    def predict(row):
        value = row
        for kernel, bias, act in stack:
            value = act(value @ kernel + bias)
        return float(value[0])

    return predict


def arx_predictor(coefficients: np.ndarray):
    return lambda row: float(row @ coefficients[:-1] + coefficients[-1])


def scores(actual: np.ndarray, simulated: np.ndarray) -> dict:
    """RMSE, RMSE over the output's standard deviation, and the fit percentage
    100 (1 - ||y - y_hat|| / ||y - mean(y)||) that identification toolboxes report."""
    actual = np.asarray(actual, dtype="float64")
    error = actual - np.asarray(simulated, dtype="float64")
    rmse = float(np.sqrt(np.mean(error ** 2)))
    spread = float(np.std(actual))
    return {"rmse": rmse, "nrmse": rmse / spread,
            "fit_percent": float(100 * (1 - np.linalg.norm(error) / np.linalg.norm(actual - actual.mean())))}
