"""Per-layer gradient norms: the vanishing and exploding gradients of Singaravelu's notes, measured.

"Vanishing gradient problem occurs when 0 < w < 1; exploding gradient problem occurs when
w > 1" (Singaravelu, "Vanishing or Exploding Gradient"): back-propagation multiplies one
factor per layer, each a weight times the activation's slope, so a deep stack of sigmoids
(slope at most 1/4) shrinks the gradient geometrically towards the input, and large
weights blow it up. :func:`layer_gradient_norms` measures it on any compiled Keras model,
on TensorFlow, JAX or PyTorch.
"""

from __future__ import annotations

import numpy as np


def _check(model, x, y):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: {type(model).__name__}")
    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None:
        raise ValueError("`model` must be compiled with a loss; call model.compile(optimizer=..., loss=...) first")
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"`x` and `y` must hold the same number (>= 1) of rows. Received: {len(x)} and {len(y)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("`x` and `y` must be finite; remove or fill the missing values first")
    return x.astype(keras.backend.floatx()), y.astype(keras.backend.floatx())


def _gradients(model, x, y):
    """The loss and the gradient of each trainable variable, at the model's current weights."""
    import keras

    backend = keras.backend.backend()
    variables = model.trainable_variables
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True), training=True)
        return float(loss), [np.asarray(g) for g in tape.gradient(loss, variables)]
    if backend == "jax":
        import jax

        def loss_of(trainable):
            y_pred, _ = model.stateless_call(trainable, [v.value for v in model.non_trainable_variables], x,
                                             training=True)
            return model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)

        loss, grads = jax.value_and_grad(loss_of)([v.value for v in variables])
        return float(loss), [np.asarray(g) for g in grads]
    if backend == "torch":
        model.zero_grad()
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True), training=True)
        loss.backward()
        grads = [v.value.grad.detach().cpu().numpy() for v in variables]
        model.zero_grad()
        return float(loss.detach().cpu()), grads
    raise ValueError(f"layer_gradient_norms runs on tensorflow, jax or torch. Received: backend {backend!r}")


def layer_gradient_norms(model, x, y) -> dict[str, float]:
    """The L2 norm of d loss / d kernel for each layer with a kernel, input side first.

    The loss is the model's compiled loss on the batch ``(x, y)`` in training mode; the
    weights are left as they are. Biases are left out: the notes' argument is about the
    weights, and a kernel's gradient is the one that shrinks with depth.

    Args:
        model: A compiled ``keras.Model`` with a loss.
        x: Inputs, shape ``(batch, ...)`` as the model takes them.
        y: Targets, shape as the loss takes them.

    Returns:
        ``{layer path: norm}`` in the order of ``model.trainable_variables`` (input side first
        for a sequential stack); a layer inside a nested model is keyed ``"encoder/code"``. :func:`gradient_report` also returns the loss.

    Raises:
        TypeError: For something that is not a Keras model.
        ValueError: For an uncompiled model, mismatched or non-finite data.

    Example:
        >>> from toolkit.builders import mlp_regressor
        >>> import numpy as np
        >>> model = mlp_regressor(input_dim=2, hidden_units=(4, 4))
        >>> list(layer_gradient_norms(model, np.ones((8, 2)), np.ones((8, 1))))
        ['dense_1', 'dense_2', 'output']
    """
    return gradient_report(model, x, y)[1]


def gradient_report(model, x, y) -> tuple[float, dict[str, float]]:
    """``(loss, {layer name: kernel gradient norm})``; see :func:`layer_gradient_norms`."""
    x, y = _check(model, x, y)
    loss, grads = _gradients(model, x, y)
    names = _kernel_names(model)
    norms = {}
    for variable, grad in zip(model.trainable_variables, grads):
        if id(variable) in names:
            norms[names[id(variable)]] = float(np.sqrt(np.sum(np.square(grad, dtype="float64"))))
    return loss, norms


def _kernel_names(model, prefix: str = "") -> dict[int, str]:
    """id(kernel variable) -> layer name, ``"encoder/code"`` for a layer inside a nested model."""
    names = {}
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            names.update(_kernel_names(layer, f"{prefix}{layer.name}/"))
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and getattr(kernel, "trainable", False):
            names[id(kernel)] = prefix + layer.name
    return names
