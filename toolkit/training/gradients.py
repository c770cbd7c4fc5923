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

from toolkit.training.lr_range import training_rows


def _check(model, x, y):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: {type(model).__name__}")
    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None:
        raise ValueError("`model` must be compiled with a loss; call model.compile(optimizer=..., loss=...) first")
    for name, tensors in (("inputs", getattr(model, "inputs", None)), ("outputs", getattr(model, "outputs", None))):
        if tensors is not None and len(tensors) != 1:
            raise ValueError(f"`model` must have one input and one output: models of several are not supported. "
                             f"Received: a model with {len(tensors)} {name}")
    for name, value in (("x", x), ("y", y)):
        if isinstance(value, (dict, list, tuple)):
            raise ValueError(f"`{name}` must be one array: models of several inputs or outputs are not supported. "
                             f"Received: {name} of type {type(value).__name__}")
    training_rows(x, y)
    return np.asarray(x, dtype=keras.backend.floatx()), np.asarray(y, dtype=keras.backend.floatx())


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
        loss, grads = _jax_value_and_grad(model)([v.value for v in variables],
                                                 [v.value for v in model.non_trainable_variables],
                                                 [v.value for v in model.metrics_variables], x, y)
        return float(loss), [np.asarray(g) for g in grads]
    if backend == "torch":
        model.zero_grad()
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True), training=True)
        loss.backward()
        grads = [v.value.grad.detach().cpu().numpy() for v in variables]
        model.zero_grad()
        return float(loss.detach().cpu()), grads
    raise ValueError(f"layer_gradient_norms runs on tensorflow, jax or torch. Received: backend {backend!r}")


#: The model attribute that keeps its compiled loss-and-gradient function (JAX).
_JAX_FUNCTION = "_toolkit_jax_value_and_grad"


def _jax_value_and_grad(model):
    """``(trainable, non_trainable, metrics, x, y) -> (loss, gradients)`` for ``model``, jitted
    once per model: run op by op, JAX compiles each operation of the network on its own (a small
    Transformer's report took 13.9 s that way, 7.3 s jitted, and 0.01 s for the next call).
    The loss is the training step's own: the compiled loss plus the losses the forward pass
    adds (``add_loss``, activity regularisers) and the weight regularisers, computed
    statelessly as Keras' JAX trainer does."""
    import jax

    function = getattr(model, _JAX_FUNCTION, None)
    if function is None:
        def loss_of(trainable, non_trainable, metrics, x, y):
            y_pred, _, losses = model.stateless_call(trainable, non_trainable, x, training=True, return_losses=True)
            if losses:
                model._losses_override = losses  # what compute_loss adds, as in Keras' JAX trainer
            try:
                loss, _ = model.stateless_compute_loss(trainable, non_trainable, metrics, x=x, y=y, y_pred=y_pred,
                                                       training=True)
            finally:
                if losses:
                    model._losses_override = []
            return loss

        function = jax.jit(jax.value_and_grad(loss_of))
        object.__setattr__(model, _JAX_FUNCTION, function)  # kept with the model, outside Keras' tracking
    return function


def layer_gradient_norms(model, x, y) -> dict[str, float]:
    """The L2 norm of the loss gradient with respect to each layer's weights, input side first.

    The weights are every trainable variable of the layer but its biases (and a normalisation
    layer's beta offset): a Dense or Conv layer's kernel, an LSTM's kernel and recurrent
    kernel, an attention layer's projections.
    The loss is the one training minimises on the batch ``(x, y)`` in training mode: the
    compiled loss plus the losses the forward pass adds (``add_loss``, activity regularisers)
    and the weight regularisers. Dropout is active, drawn from the model's seed state, which
    is restored afterwards like everything else a training-mode call moves (batch
    normalisation's statistics), so two calls give the same numbers and the weights are left
    as they were. Biases are left out: the notes' argument is about the weights, whose
    gradient shrinks with depth. On JAX the computation is compiled once per model.

    Args:
        model: A compiled ``keras.Model`` with a loss, of one input and one output.
        x: Inputs, one array ``(batch, ...)`` as the model takes them.
        y: Targets, one array as the loss takes them.

    Returns:
        ``{layer name: norm}`` in the order of ``model.trainable_variables`` (input side first
        for a sequential stack); a layer inside a nested model is keyed ``"encoder/code"``.

    Raises:
        TypeError: For something that is not a Keras model.
        ValueError: For an uncompiled model, a model of several inputs or outputs, dicts or
            lists of arrays, mismatched, non-numeric or non-finite data.

    Example:
        >>> from toolkit.builders import mlp_regressor
        >>> import numpy as np
        >>> model = mlp_regressor(input_dim=2, hidden_units=(4, 4))
        >>> list(layer_gradient_norms(model, np.ones((8, 2)), np.ones((8, 1))))
        ['dense_1', 'dense_2', 'output']
    """
    return gradient_report(model, x, y)[1]


def gradient_report(model, x, y) -> tuple[float, dict[str, float]]:
    """``(loss, {layer name: weight gradient norm})``; see :func:`layer_gradient_norms`."""
    x, y = _check(model, x, y)
    kept = [np.array(v) for v in model.non_trainable_variables]
    try:
        loss, grads = _gradients(model, x, y)
    finally:
        for variable, value in zip(model.non_trainable_variables, kept):
            variable.assign(value)
    owners = _owners(model)
    squares: dict[str, float] = {}
    for variable, grad in zip(model.trainable_variables, grads):
        layer = owners.get(id(variable))
        if layer is None or variable.name in ("bias", "beta"):  # biases and normalisation offsets
            continue
        squares[layer] = squares.get(layer, 0.0) + float(np.sum(np.square(grad, dtype="float64")))
    return loss, {layer: float(np.sqrt(total)) for layer, total in squares.items()}


def _owners(model, prefix: str = "") -> dict[int, str]:
    """id(trainable variable) -> the name of the layer holding it (``"encoder/code"`` inside a
    nested model); a layer's sub-layers (an LSTM's cell, attention's projections) count as it."""
    names = {}
    for layer in model.layers:
        if isinstance(getattr(layer, "layers", None), list) and layer.layers:
            names.update(_owners(layer, f"{prefix}{layer.name}/"))
            continue
        for variable in layer.trainable_variables:
            names.setdefault(id(variable), prefix + layer.name)
    return names
