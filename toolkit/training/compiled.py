"""One compiled function on TensorFlow or JAX: what the PDE optimisers are written against.

The quasi-Newton optimisers and the PINN objective are written once with ``keras.ops``;
this module compiles them for the backend in use (``tf.function(jit_compile=True)`` or
``jax.jit``, both XLA) and differentiates a loss of a flat parameter vector
(``tf.GradientTape`` or ``jax.value_and_grad``). PyTorch is refused: Keras computes its
float64 matrix products in float32, which the quasi-Newton methods' reach depends on.
"""

from __future__ import annotations

from typing import Callable

from toolkit.backend import PDE_BACKENDS as BACKENDS, PDE_WHY as WHY


def backend() -> str:
    """The Keras backend, refused with a one-line :class:`toolkit.errors.UsageError` unless in :data:`BACKENDS`."""
    from toolkit.backend import require_backend
    import keras

    require_backend(f"the PDE machinery ({WHY})", BACKENDS)
    return keras.backend.backend()


def jit(function: Callable) -> Callable:
    """``function`` XLA-compiled for the backend in use (arguments are arrays or Python scalars)."""
    if backend() == "jax":
        import jax

        return jax.jit(function)
    import tensorflow as tf

    return tf.function(function, jit_compile=True, reduce_retracing=True)


def value_and_grad(loss: Callable) -> Callable:
    """``f(theta, *rest) -> (loss, d loss / d theta, *aux)`` from ``loss(theta, *rest) -> (value, *aux)``, uncompiled."""
    if backend() == "jax":
        import jax

        def jax_version(theta, *rest):
            def split(p):
                value, *aux = loss(p, *rest)
                return value, aux

            (value, aux), gradient = jax.value_and_grad(split, has_aux=True)(theta)
            return (value, gradient, *aux)

        return jax_version
    import tensorflow as tf

    def tf_version(theta, *rest):
        with tf.GradientTape() as tape:
            tape.watch(theta)
            out = loss(theta, *rest)
        return (out[0], tape.gradient(out[0], theta), *out[1:])

    return tf_version


def enable_float64() -> None:
    """Compute in float64 on JAX: its 64-bit mode, and Keras's type promotion told so.

    Keras 3.15 maps float64 to float32 in its type promotion on JAX even in JAX's 64-bit
    mode (``keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE``), so ``ops.sin``,
    ``ops.tanh`` and ``ops.matmul`` of float64 arrays return float32 and a float64 PINN
    stops at float32 accuracy (measured: a residual loss equal to float32's rounding).
    With 64-bit mode on, float64 is what JAX itself keeps, so the entry is set to match.
    Nothing to do on TensorFlow; PyTorch is refused elsewhere.
    """
    import keras

    if keras.backend.backend() != "jax":
        return
    import jax
    from keras.src.backend.common import dtypes

    jax.config.update("jax_enable_x64", True)
    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
