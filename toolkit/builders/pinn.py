"""Physics-informed neural network (PINN) for Burgers' equation, open to other PDEs.

The network u(t, x) is trained on the squared error at initial / boundary points plus the
squared PDE residual at collocation points, the residual's derivatives taken by automatic
differentiation (Raissi, Perdikaris and Karniadakis, 2019). Another PDE is a subclass of
:class:`PDEResidual` registered serialisable, passed as ``residual``.
"""

from __future__ import annotations

import json
import math

import keras
import numpy as np
from keras import layers, ops

from toolkit.builders.pde import BURGERS_NU, BurgersResidual, HeatResidual, Jet, PDEResidual, Unknown  # noqa: F401

from toolkit.builders._common import (
    check_choice, check_nonnegative, check_output_and_loss, check_positive_int, dense_kwargs, initializer,
    make_optimizer, ACTIVATIONS, INITIALIZERS,
)
from toolkit.builders.registry import register
from toolkit.builders.steps import SteppedModel

@keras.saving.register_keras_serializable(package="toolkit")
class BoxScaling(layers.Layer):
    """Map inputs from the box [lower, upper] to [-1, 1] per coordinate (tanh's sweet spot)."""

    def __init__(self, lower, upper, **kwargs):
        super().__init__(**kwargs)
        self.lower = [float(v) for v in lower]
        self.upper = [float(v) for v in upper]

    def call(self, inputs):
        lower = ops.convert_to_tensor(self.lower, dtype=inputs.dtype)
        upper = ops.convert_to_tensor(self.upper, dtype=inputs.dtype)
        return 2.0 * (inputs - lower) / (upper - lower) - 1.0

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper}


def _product(a: Jet, b: Jet) -> Jet:
    return Jet(a.u * b.u, a.u_t * b.u + a.u * b.u_t, a.u_x * b.u + a.u * b.u_x,
               a.u_xx * b.u + 2.0 * a.u_x * b.u_x + a.u * b.u_xx)


def _chain(x: Jet, value, first, second) -> Jet:
    """f(x) as a jet, given f, f' and f'' evaluated at x's value."""
    return Jet(value, first * x.u_t, first * x.u_x, second * x.u_x * x.u_x + first * x.u_xx)


def _column(jet: Jet, index: int) -> Jet:
    return Jet(*(part[:, index:index + 1] for part in jet))


@keras.saving.register_keras_serializable(package="toolkit")
class PeriodicFeatures(layers.Layer):
    """(t, x) -> (t, cos(2 pi x / period), sin(2 pi x / period)): u is periodic in x by construction.

    A hard periodic boundary condition (Urban, Stefanou and Pons, 2024): u(t, x) and all
    its x-derivatives agree at x and x + period, so no boundary points are needed.
    """

    def __init__(self, period: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        if not period > 0:
            raise ValueError(f"`period` must be positive. Received: period={period!r}")
        self.period = float(period)

    def call(self, inputs):
        angle = (2.0 * math.pi / self.period) * inputs[:, 1:2]
        return ops.concatenate([inputs[:, 0:1], ops.cos(angle), ops.sin(angle)], axis=1)

    def jet(self, jet: Jet) -> Jet:
        w = 2.0 * math.pi / self.period
        x = _column(jet, 1)
        cosine, sine = ops.cos(w * x.u), ops.sin(w * x.u)
        c = _chain(x, cosine, -w * sine, -w * w * cosine)
        s = _chain(x, sine, w * cosine, -w * w * sine)
        t = _column(jet, 0)
        return Jet(*(ops.concatenate(parts, axis=1) for parts in zip(t, c, s)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 3)

    def get_config(self):
        return {**super().get_config(), "period": self.period}


def _initial_conditions():
    pi = math.pi

    def minus_sine(x):
        s, c = ops.sin(pi * x), ops.cos(pi * x)
        return -s, -pi * c, pi * pi * s

    def sine(x):
        s, c = ops.sin(pi * x), ops.cos(pi * x)
        return s, pi * c, -pi * pi * s

    def allen_cahn(x):
        s, c = ops.sin(pi * x), ops.cos(pi * x)
        return x * x * c, 2.0 * x * c - pi * x * x * s, 2.0 * c - 4.0 * pi * x * s - pi * pi * x * x * c

    return {"-sin(pi x)": minus_sine, "sin(pi x)": sine, "x^2 cos(pi x)": allen_cahn}


#: Initial conditions u(t0, x) the hard ansatz can impose: each gives (g, g', g'') at x.
INITIAL_CONDITIONS = _initial_conditions()


@keras.saving.register_keras_serializable(package="toolkit")
class InitialValueAnsatz(layers.Layer):
    """u(t, x) = g(x) + (t - t0) n(t, x): the initial condition holds exactly (a hard constraint).

    Called on ``[points, n]``; ``g`` is named from :data:`INITIAL_CONDITIONS`.
    """

    def __init__(self, initial: str, t0: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if initial not in INITIAL_CONDITIONS:
            raise ValueError(f"`initial` must be one of {', '.join(INITIAL_CONDITIONS)}. Received: initial={initial!r}")
        self.initial = initial
        self.t0 = float(t0)

    def call(self, inputs):
        points, n = inputs
        g, _, _ = INITIAL_CONDITIONS[self.initial](points[:, 1:2])
        return g + (points[:, 0:1] - self.t0) * n

    def jet(self, points: Jet, n: Jet) -> Jet:
        x = _column(points, 1)
        g = _chain(x, *INITIAL_CONDITIONS[self.initial](x.u))
        t = _column(points, 0)
        elapsed = Jet(t.u - self.t0, t.u_t, t.u_x, t.u_xx)
        return Jet(*(a + b for a, b in zip(g, _product(elapsed, n))))

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "initial": self.initial, "t0": self.t0}


def network_dtype(network) -> str:
    """The dtype a network computes in (its layers', which a float64 copy sets)."""
    return network.layers[-1].compute_dtype


@keras.saving.register_keras_serializable(package="toolkit")
class PINN(SteppedModel):
    """A network u(points) trained on data error + weighted PDE residual.

    ``fit(points, u)`` takes the initial / boundary data; the collocation points, where
    only the residual is asked to vanish, are set once with :meth:`set_collocation`.
    Metrics ``data_loss`` and ``residual_loss`` are tracked separately. A residual with
    :class:`Unknown` coefficients has them trained with the weights (an inverse problem);
    :meth:`coefficients` reads them.

    Args:
        network: Model from points (n, d) to u (n, 1).
        residual: A :class:`PDEResidual`.
        residual_weight: Weight of the residual term. Defaults to 1.
    """

    def __init__(self, network, residual, residual_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(residual, PDEResidual):
            raise ValueError(f"`residual` must be a PDEResidual. Received: residual={residual!r}")
        check_nonnegative("residual_weight", residual_weight)
        self.network = network
        self.residual = residual
        self.coefficient_variables = residual.build(network_dtype(network))
        self.residual_weight = float(residual_weight)
        self.collocation = None
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.data_tracker = keras.metrics.Mean(name="data_loss")
        self.residual_tracker = keras.metrics.Mean(name="residual_loss")
        self.built = True

    @property
    def metrics(self):
        return [self.total_tracker, self.data_tracker, self.residual_tracker]

    def coefficients(self) -> dict:
        """The residual's coefficients now, name -> float (the unknowns as trained so far)."""
        return self.residual.coefficients()

    def set_collocation(self, points) -> None:
        """Points (n, d) where the residual is penalised; they stay constant in training."""
        points = np.asarray(points, dtype="float32")
        if points.ndim != 2 or points.shape[1] != self.network.inputs[0].shape[-1]:
            raise ValueError(f"collocation points must have shape (n, {self.network.inputs[0].shape[-1]}). "
                             f"Received: shape={points.shape}")
        self.collocation = points
        self.train_function = None  # retrace with the new constant

    def call(self, points, training=False):
        return self.network(points, training=training)

    def loss_terms(self, points, u, network=None):
        """(data loss, residual loss) as tensors, of ``network`` (defaults to this PINN's)."""
        network = network or self.network
        dtype = network_dtype(network)
        points = ops.cast(points, dtype)
        u = ops.cast(u, dtype)
        data_loss = ops.mean(ops.square(network(points) - ops.reshape(u, (-1, 1))))
        if self.collocation is None:
            raise ValueError("no collocation points: call set_collocation(points) before fit")
        residual = self.residual(network, ops.convert_to_tensor(self.collocation, dtype=dtype))
        return data_loss, ops.mean(ops.square(residual))

    def step(self, data, training):
        points, u, _ = keras.utils.unpack_x_y_sample_weight(data)

        def loss():
            data_loss, residual_loss = self.loss_terms(points, u)
            return data_loss + self.residual_weight * residual_loss, (data_loss, residual_loss)

        weights = self.trainable_weights  # the network's and the unknown coefficients', in the order Keras saves
        if training:
            total, (data_loss, residual_loss), grads = self.gradients(loss, weights)
            self.apply(self.optimizer, grads, weights)
        else:
            total, (data_loss, residual_loss) = loss()
        self.total_tracker.update_state(total)
        self.data_tracker.update_state(data_loss)
        self.residual_tracker.update_state(residual_loss)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {
            **super().get_config(),
            "network": keras.saving.serialize_keras_object(self.network),
            "residual": keras.saving.serialize_keras_object(self.residual),
            "residual_weight": self.residual_weight,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if keras.backend.backend() == "jax" and '"float64"' in json.dumps(config["network"]):
            from toolkit.training.compiled import enable_float64

            enable_float64()  # a float64 PINN saved elsewhere loads in float64 on JAX too
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        config["residual"] = keras.saving.deserialize_keras_object(config["residual"])
        return cls(**config)


def pinn_network(input_dim: int = 2, hidden_layers: int = 8, units: int = 20, activation: str = "tanh",
                 kernel_initializer: str = "glorot_normal", lower=(0.0, -1.0), upper=(1.0, 1.0),
                 dtype: str = "float32", periodic: bool = False, initial: str | None = None,
                 name: str = "u") -> keras.Model:
    """Fully connected u(points): box scaling to [-1, 1], ``hidden_layers`` x ``units``, linear out.

    With ``periodic`` and ``initial`` the boundary and initial conditions of a (t, x)
    problem hold by construction (hard constraints), so training needs only the PDE
    residual: x enters as cos / sin of period ``upper[1] - lower[1]``, and the output is
    g(x) + (t - lower[0]) n(t, x) with g the named initial condition.

    Args:
        input_dim: Coordinates per point. Defaults to 2 (t, x).
        hidden_layers: Defaults to 8.
        units: Defaults to 20.
        activation: Smooth activations suit PDEs (derivatives of ReLU vanish). Defaults to ``"tanh"``.
        kernel_initializer: Defaults to ``"glorot_normal"`` (Xavier, as Raissi's code).
        lower: Lower corner of the domain. Defaults to (0, -1).
        upper: Upper corner. Defaults to (1, 1).
        dtype: ``"float32"`` or ``"float64"``. Defaults to ``"float32"``.
        periodic: Periodic in x (the second coordinate). Defaults to False.
        initial: Impose u(lower[0], x) = g(x), a name from :data:`INITIAL_CONDITIONS`.
            Defaults to None (learned from data instead).
        name: Defaults to ``"u"``.

    Returns:
        An uncompiled ``keras.Model``.

    Example:
        >>> pinn_network(hidden_layers=2, units=8).count_params()
        105
        >>> pinn_network(hidden_layers=3, units=20, periodic=True, initial="-sin(pi x)").count_params()
        941
    """
    check_positive_int("input_dim", input_dim)
    check_positive_int("hidden_layers", hidden_layers)
    check_positive_int("units", units)
    check_choice("activation", activation, ACTIVATIONS)
    check_choice("kernel_initializer", kernel_initializer, INITIALIZERS)
    hidden = dense_kwargs(activation, kernel_initializer)
    if len(lower) != input_dim or len(upper) != input_dim or any(u <= l for l, u in zip(lower, upper)):
        raise ValueError(f"`lower` and `upper` must give {input_dim} coordinates with lower < upper. "
                         f"Received: lower={tuple(lower)}, upper={tuple(upper)}")
    check_choice("dtype", dtype, ("float32", "float64"))
    if dtype == "float64" and keras.backend.backend() == "torch":
        raise ValueError("float64 networks run on tensorflow or jax: Keras's type promotion computes float64 "
                         "matrix products in float32 on torch. Received: dtype='float64'")
    if dtype == "float64" and keras.backend.backend() == "jax":
        from toolkit.training.compiled import enable_float64

        enable_float64()  # JAX's 64-bit mode, and Keras's promotion told so
    if (periodic or initial is not None) and input_dim != 2:
        raise ValueError(f"`periodic` and `initial` need points (t, x). Received: input_dim={input_dim}")
    if initial is not None:
        check_choice("initial", initial, tuple(INITIAL_CONDITIONS))
    points = keras.Input(shape=(input_dim,), name="points", dtype=dtype)
    h, box_lower, box_upper = points, list(lower), list(upper)
    if periodic:
        h = PeriodicFeatures(upper[1] - lower[1], name="periodic_features", dtype=dtype)(h)
        box_lower, box_upper = [lower[0], -1.0, -1.0], [upper[0], 1.0, 1.0]
    h = BoxScaling(box_lower, box_upper, name="box_scaling", dtype=dtype)(h)
    for index in range(1, hidden_layers + 1):
        h = layers.Dense(units, name=f"dense_{index}", dtype=dtype, **hidden)(h)
    u = layers.Dense(1, kernel_initializer=initializer(kernel_initializer), name="u" if initial is None else "n",
                     dtype=dtype)(h)
    if initial is not None:
        u = InitialValueAnsatz(initial, t0=lower[0], name="initial_value", dtype=dtype)([points, u])
    return keras.Model(points, u, name=name)


@register("burgers_pinn", "pinn", "PINN u(t, x) for Burgers' equation: 8 tanh layers of 20 units")
def burgers_pinn(hidden_layers: int = 8, units: int = 20, activation: str = "tanh",
                 kernel_initializer: str = "glorot_normal", nu: float = BURGERS_NU,
                 residual: PDEResidual | None = None, residual_weight: float = 1.0, lower=(0.0, -1.0),
                 upper=(1.0, 1.0), optimizer="adam", learning_rate: float | None = None,
                 momentum: float | None = None, clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, recipe: str | None = None, jit_compile: bool = True,
                 name: str = "burgers_pinn") -> PINN:
    """The classic PINN set-up for u_t + u u_x - (0.01/pi) u_xx = 0 on [0, 1] x [-1, 1].

    Args:
        hidden_layers: Defaults to 8.
        units: Defaults to 20.
        activation: Defaults to ``"tanh"``.
        kernel_initializer: Defaults to ``"glorot_normal"`` (Xavier, as Raissi's code).
        nu: Viscosity of the default Burgers residual. Defaults to 0.01 / pi.
        residual: Another :class:`PDEResidual` to use instead of Burgers'. Defaults to None.
        residual_weight: Defaults to 1.
        lower: Domain's lower corner (t, x). Defaults to (0, -1).
        upper: Domain's upper corner. Defaults to (1, 1).
        optimizer: Optimiser name (``toolkit.builders.options.OPTIMIZERS``) or a ready
            Keras optimizer. Defaults to ``"adam"``.
        learning_rate: Defaults to None: the optimiser's own rate (1e-3 for Adam).
        momentum: For ``"sgd"``, ``"nesterov"`` and ``"rmsprop"``. Defaults to None.
        clipnorm: Clip each gradient to this norm. Defaults to None.
        clipvalue: Clip each gradient element to [-clipvalue, clipvalue]. Defaults to None.
        global_clipnorm: Clip all gradients together to this joint norm. Defaults to None.
        recipe: A lecture's recipe name (``toolkit.builders.recipes``); it sets the
            optimiser. Defaults to None.
        jit_compile: XLA-compile the training step (1.7x faster residual on CPU). Defaults to True.
        name: Defaults to ``"burgers_pinn"``.

    Returns:
        A compiled :class:`PINN`; call ``set_collocation`` then ``fit(points, u)``.

    Example:
        >>> burgers_pinn().count_params()
        3021
    """
    if not nu > 0:
        raise ValueError(f"`nu` must be positive. Received: nu={nu!r}")
    # The data and residual terms are squared errors of a linear output.
    check_output_and_loss("linear", "pinn_residual", 1)
    network = pinn_network(len(lower), hidden_layers, units, activation, kernel_initializer, lower=lower, upper=upper)
    model = PINN(network, residual if residual is not None else BurgersResidual(nu),
                 residual_weight=residual_weight, name=name)
    model.compile(optimizer=make_optimizer(optimizer, learning_rate, momentum=momentum, clipnorm=clipnorm,
                                           clipvalue=clipvalue, global_clipnorm=global_clipnorm, recipe=recipe),
                  jit_compile=jit_compile)
    return model
