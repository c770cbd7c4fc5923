"""PDE residuals for physics-informed networks, and the derivatives they need, fast.

A residual of an evolution equation in one space dimension, points as columns (t, x),
needs u, u_t, u_x and u_xx. Nested gradient tapes get them by differentiating the
network backwards twice, and the optimiser then differentiates that whole graph again
for the weights. For the fully connected networks a PINN uses, the same four values
are pushed *forwards* through the layers instead (Taylor mode): a Dense layer maps each
of them linearly, an activation f maps (z, z_t, z_x, z_xx) to
(f, f' z_t, f' z_x, f'' z_x^2 + f' z_xx). One forward pass over four stacked arrays
replaces two backward passes, and the weights' gradient differentiates a graph a
fraction of the size (``bench/bench_pinn.py`` measures it). Networks the forward rules
do not cover fall back to tapes; both give the same numbers (tests check it).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import keras
from keras import ops

BURGERS_NU = 0.01 / math.pi



class Jet(NamedTuple):
    """A field and its derivatives at n points, each of shape (n, k)."""

    u: object
    u_t: object
    u_x: object
    u_xx: object


def _dense(jet: Jet, layer) -> Jet | None:
    # As tensors of the jet's dtype: Keras 3.15's torch matmul of a float64 tensor and a
    # float64 *variable* returns float32.
    kernel = ops.cast(layer.kernel, jet.u.dtype)
    bias = None if layer.bias is None else ops.cast(layer.bias, jet.u.dtype)
    z = ops.matmul(jet.u, kernel)
    if bias is not None:
        z = z + bias
    rest = [ops.matmul(part, kernel) for part in jet[1:]]
    return _activate(Jet(z, *rest), layer.activation)


def _activate(jet: Jet, activation) -> Jet | None:
    name = getattr(activation, "__name__", "")
    z, z_t, z_x, z_xx = jet
    if name == "linear":
        return jet
    if name == "tanh":
        a = ops.tanh(z)
        first = 1.0 - a * a
        second = -2.0 * a * first
    elif name == "sigmoid":
        a = ops.sigmoid(z)
        first = a * (1.0 - a)
        second = first * (1.0 - 2.0 * a)
    elif name == "sin":
        a = ops.sin(z)
        first = ops.cos(z)
        second = -a
    else:
        return None
    return Jet(a, first * z_t, first * z_x, second * z_x * z_x + first * z_xx)


def _columnwise(jet: Jet, scale, shift) -> Jet:
    return Jet(jet.u * scale + shift, jet.u_t * scale, jet.u_x * scale, jet.u_xx * scale)


def taylor_jet(network, points) -> Jet | None:
    """u and its (t, x) derivatives by forward propagation, or None where a layer is not covered.

    Covers the layers :func:`toolkit.builders.pinn.pinn_network` builds: box scaling,
    periodic features, Dense with tanh / sigmoid / sin / linear activations, and the hard
    initial-value ansatz.
    """
    from toolkit.builders.pinn import BoxScaling, InitialValueAnsatz, PeriodicFeatures

    if points.shape[-1] != 2:
        return None
    dtype = points.dtype
    n = ops.shape(points)[0]
    one = ops.ones((n, 1), dtype=dtype)
    zero = ops.zeros((n, 1), dtype=dtype)
    inputs = Jet(points, ops.concatenate([one, zero], 1), ops.concatenate([zero, one], 1),
                 ops.zeros((n, 2), dtype=dtype))
    jet = inputs
    for layer in network.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dense):
            jet = _dense(jet, layer)
        elif isinstance(layer, BoxScaling):
            lower = ops.convert_to_tensor(layer.lower, dtype=dtype)
            upper = ops.convert_to_tensor(layer.upper, dtype=dtype)
            jet = _columnwise(jet, 2.0 / (upper - lower), -2.0 * lower / (upper - lower) - 1.0)
        elif isinstance(layer, PeriodicFeatures):
            jet = layer.jet(jet)
        elif isinstance(layer, InitialValueAnsatz):
            jet = layer.jet(inputs, jet)
        else:
            return None
        if jet is None:
            return None
    return jet


def tape_jet(network, points) -> Jet:
    """u and its (t, x) derivatives by nested reverse-mode differentiation (any pointwise
    network), through :func:`toolkit.builders.steps.input_gradient`: gradient tapes on
    TensorFlow, ``torch.autograd.grad`` on PyTorch, ``jax.grad`` on JAX. Each row's u depends
    on that row alone, so the gradient of the batch sum is every row's gradient."""
    from toolkit.builders.steps import input_gradient

    first = input_gradient(network, points)
    second = input_gradient(lambda p: input_gradient(network, p)[:, 1:2], points)
    return Jet(network(points), first[:, 0:1], first[:, 1:2], second[:, 1:2])


def derivatives(network, points, method: str = "auto") -> Jet:
    """u, u_t, u_x, u_xx of ``network`` at ``points`` (n, 2) with columns (t, x).

    Args:
        network: The network u(points).
        points: Tensor (n, 2).
        method: ``"taylor"`` (forward propagation; networks of covered layers),
            ``"tape"`` (nested tapes) or ``"auto"`` (Taylor where covered). Defaults to ``"auto"``.
    """
    if method not in ("auto", "taylor", "tape"):
        raise ValueError(f"`method` must be one of auto, taylor, tape. Received: method={method!r}")
    if method != "tape":
        jet = taylor_jet(network, points)
        if jet is not None:
            return jet
        if method == "taylor":
            raise ValueError(f"network {network.name!r} has layers the forward rules do not cover; use method='tape'")
    return tape_jet(network, points)


class Unknown:
    """A PDE coefficient to identify from data (an inverse problem), trained with the network.

    A residual given ``Unknown`` for a coefficient holds a trainable variable for it;
    :class:`toolkit.training.pinn.PINNObjective` and :class:`toolkit.builders.pinn.PINN`
    train it with the weights. ``positive`` parameterises it as exp(raw), as Raissi et al.
    do for the viscosity, so it stays positive and is searched on a log scale.

    Args:
        initial: The first guess.
        positive: Keep the coefficient positive (log parameterisation). Defaults to False.

    Raises:
        ValueError: a guess that is not finite, or not positive with ``positive=True``.

    Example:
        >>> BurgersResidual(nu=Unknown(0.0025, positive=True), advection=Unknown(0.0)).coefficients()
        {'advection': 0.0, 'nu': 0.0025}
    """

    def __init__(self, initial: float, positive: bool = False):
        if isinstance(initial, bool) or not isinstance(initial, numbers.Real) or not math.isfinite(initial):
            raise ValueError(f"`initial` must be a finite number. Received: initial={initial!r}")
        if not isinstance(positive, bool):
            raise ValueError(f"`positive` must be True or False. Received: positive={positive!r}")
        if positive and not initial > 0:
            raise ValueError(f"a positive coefficient needs a positive first guess. Received: initial={initial!r}")
        self.initial = float(initial)
        self.positive = bool(positive)
        self.variable = None

    def build(self, name: str, dtype: str):
        """The raw variable (log of the value if ``positive``), created once per dtype."""
        if self.variable is None or self.variable.dtype != dtype:
            start = self.initial if self.variable is None else self.value()
            raw = math.log(start) if self.positive else start
            self.variable = keras.Variable(raw, dtype=dtype, trainable=True, name=name)
        return self.variable

    def tensor(self):
        """The coefficient as a tensor of the raw variable (what the residual multiplies)."""
        if self.variable is None:
            raise ValueError("an unknown coefficient is built with its residual's build(dtype) before use")
        raw = ops.convert_to_tensor(self.variable)
        return ops.exp(raw) if self.positive else raw

    def value(self) -> float:
        """The coefficient's current value (its first guess before training)."""
        if self.variable is None:
            return self.initial
        raw = float(ops.convert_to_numpy(self.variable))
        return math.exp(raw) if self.positive else raw

    def get_config(self) -> dict:
        # The first guess: a saved model's weights carry the trained (raw) value.
        return {"unknown": self.initial, "positive": self.positive}

    def __repr__(self):
        return f"Unknown({self.value()!r}, positive={self.positive})"


class PDEResidual:
    """A PDE residual r(u, points) -> (n, 1); zero where the PDE holds.

    Subclasses implement :meth:`from_jet` (the residual from u, u_t, u_x, u_xx, with
    ``keras.ops``), list their coefficients' names in ``COEFFICIENTS``, read each with
    :meth:`coefficient` (a number, or the tensor of an :class:`Unknown`), keep their
    parameters in :meth:`get_config`, and are registered with
    ``keras.saving.register_keras_serializable`` so a saved PINN loads back. A residual
    that needs other derivatives overrides :meth:`__call__` instead.
    """

    derivative_method = "auto"
    COEFFICIENTS: tuple[str, ...] = ()

    def __call__(self, network, points):
        return self.from_jet(derivatives(network, points, self.derivative_method))

    def from_jet(self, jet: Jet):
        raise NotImplementedError(f"{type(self).__name__} must implement from_jet(jet) or __call__(network, points)")

    # -- coefficients, known or to identify -------------------------------------------------------
    def unknowns(self) -> dict:
        """The coefficients to identify, name -> :class:`Unknown`."""
        return {name: getattr(self, name) for name in self.COEFFICIENTS if isinstance(getattr(self, name), Unknown)}

    def build(self, dtype: str) -> list:
        """Create the unknowns' variables in ``dtype``; returns them in ``COEFFICIENTS`` order."""
        return [unknown.build(name, dtype) for name, unknown in self.unknowns().items()]

    @property
    def variables(self) -> list:
        """The unknowns' variables (empty before :meth:`build`, or when every coefficient is known)."""
        return [u.variable for u in self.unknowns().values() if u.variable is not None]

    def coefficient(self, name: str):
        """The coefficient ``name``: its number, or the tensor of its :class:`Unknown`."""
        value = getattr(self, name)
        return value.tensor() if isinstance(value, Unknown) else value

    def coefficients(self) -> dict:
        """Every coefficient's current value, name -> float."""
        return {name: (v.value() if isinstance(v, Unknown) else float(v))
                for name in self.COEFFICIENTS for v in [getattr(self, name)]}

    def get_config(self) -> dict:
        return {name: (v.get_config() if isinstance(v, Unknown) else v)
                for name in self.COEFFICIENTS for v in [getattr(self, name)]}

    @classmethod
    def from_config(cls, config):
        config = {key: Unknown(value["unknown"], value["positive"]) if isinstance(value, dict) and "unknown" in value
                  else value for key, value in config.items()}
        return cls(**config)


def _coefficient(name: str, value, positive: bool):
    if isinstance(value, Unknown):
        if positive and not value.positive:
            raise ValueError(f"`{name}` must be positive: give Unknown(..., positive=True). Received: {name}={value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or (positive and not value > 0):
        raise ValueError(f"`{name}` must be a {'positive' if positive else 'finite'} number or an Unknown. "
                         f"Received: {name}={value!r}")
    return float(value)


@keras.saving.register_keras_serializable(package="toolkit")
class BurgersResidual(PDEResidual):
    """Viscous Burgers: r = u_t + advection u u_x - nu u_xx, with points as columns (t, x).

    Raissi et al.'s discovery problem writes it u_t + lambda1 u u_x - lambda2 u_xx: pass
    ``advection=Unknown(0.0)`` and ``nu=Unknown(..., positive=True)`` to identify both.

    Args:
        nu: Viscosity (lambda2), positive: a number or an :class:`Unknown`. Defaults to
            0.01 / pi, the classic benchmark's.
        advection: Coefficient of u u_x (lambda1): a number or an :class:`Unknown`. Defaults to 1.
    """

    COEFFICIENTS = ("advection", "nu")

    def __init__(self, nu=BURGERS_NU, advection=1.0):
        self.nu = _coefficient("nu", nu, positive=True)
        self.advection = _coefficient("advection", advection, positive=False)

    def from_jet(self, jet: Jet):
        return jet.u_t + self.coefficient("advection") * jet.u * jet.u_x - self.coefficient("nu") * jet.u_xx


@keras.saving.register_keras_serializable(package="toolkit")
class HeatResidual(PDEResidual):
    """The heat equation: r = u_t - kappa u_xx.

    Args:
        kappa: Diffusivity, positive: a number or an :class:`Unknown`. Defaults to 0.1.
    """

    COEFFICIENTS = ("kappa",)

    def __init__(self, kappa=0.1):
        self.kappa = _coefficient("kappa", kappa, positive=True)

    def from_jet(self, jet: Jet):
        return jet.u_t - self.coefficient("kappa") * jet.u_xx
