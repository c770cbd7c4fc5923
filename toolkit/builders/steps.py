"""Custom training steps written once and run on every Keras backend.

A model that trains itself (GAN, VAE, PINN) subclasses :class:`SteppedModel` and writes
its step imperatively in ``step(data, training)``: it asks :meth:`SteppedModel.gradients`
for a loss and its gradients, applies them with an optimizer and updates its metrics.

* TensorFlow and PyTorch run that code as written: ``gradients`` uses a
  ``tf.GradientTape`` or ``torch.autograd.grad``.
* JAX trains with pure functions of the model's state. ``train_step(state, data)`` runs
  the same code inside a ``keras.StatelessScope`` that maps every variable (weights,
  seed generators, optimizer slots, metrics) to its value in ``state``, so reads see the
  state and assignments are recorded; ``gradients`` differentiates with
  ``jax.value_and_grad``, and the recorded values become the new state.

This is the pattern of keras-io's multi-backend guides ("Customizing what happens in
fit()" for TensorFlow, JAX and PyTorch), with the three variants behind one method.
"""

from __future__ import annotations

from typing import Callable, Sequence

import keras


class OptimizerGroup:
    """Several optimizers that Keras's trainers see as the model's one ``optimizer``.

    The JAX trainer carries ``model.optimizer.variables`` through training as state; a
    model with one optimizer per part (a GAN's generator and discriminator) hands it this
    group, whose variables are all of theirs, in order. Each optimizer still updates only
    its own part.
    """

    def __init__(self, *optimizers):
        self.optimizers = tuple(optimizers)

    @property
    def variables(self):
        return [variable for optimizer in self.optimizers for variable in optimizer.variables]

    @property
    def built(self) -> bool:
        return all(optimizer.built for optimizer in self.optimizers)

    def build(self, variables) -> None:
        """The group's optimizers are built on their own parts by the model's ``compile``."""

    def scale_loss(self, loss):
        return loss


def input_gradient(fn: Callable, inputs):
    """Gradient of ``sum(fn(inputs))`` with respect to ``inputs``, itself differentiable (with
    respect to the weights, and to ``inputs`` again when nested: the WGAN-GP penalty and
    PDE residuals need both) on TensorFlow, PyTorch and JAX."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(inputs)
            out = fn(inputs)
        return tape.gradient(out, inputs)
    if backend == "torch":
        import torch

        if not inputs.requires_grad:  # a leaf to differentiate by; nested calls keep the outer graph
            inputs = inputs.detach().requires_grad_(True)
        out = fn(inputs)
        return torch.autograd.grad(out.sum(), inputs, create_graph=True)[0]
    import jax

    return jax.grad(lambda x: fn(x).sum())(inputs)


def _zeros_for_none(gradients, variables):
    from keras import ops

    return [ops.zeros(v.shape, v.dtype) if g is None else g for g, v in zip(gradients, variables)]


class SteppedModel(keras.Model):
    """A model whose ``fit`` and ``evaluate`` run its own ``step`` on TensorFlow, JAX or PyTorch."""

    def step(self, data, training: bool) -> dict:
        """One training (``training=True``) or evaluation step; returns the logs."""
        raise NotImplementedError(f"{type(self).__name__} must define step(data, training)")

    # --- gradients -------------------------------------------------------------------------
    def gradients(self, loss_fn: Callable[[], tuple], variables: Sequence) -> tuple:
        """``(loss, aux, gradients)`` of ``loss, aux = loss_fn()`` with respect to ``variables``.

        ``aux`` is anything the loss function wants to hand back (loss terms for the
        metrics); it is returned without gradients. Other variables that ``loss_fn``
        assigns (seed generators, batch statistics) keep their new values on every backend.
        """
        variables = list(variables)
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                loss, aux = loss_fn()
            return loss, aux, _zeros_for_none(tape.gradient(loss, variables), variables)
        if backend == "torch":
            import torch

            loss, aux = loss_fn()
            gradients = torch.autograd.grad(loss, [v.value for v in variables], allow_unused=True)
            aux = keras.tree.map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, aux)
            return loss.detach(), aux, _zeros_for_none(list(gradients), variables)
        if backend == "jax":
            return self._jax_gradients(loss_fn, variables)
        raise ValueError(f"{type(self).__name__} trains on tensorflow, jax or torch. "
                         f"Received: KERAS_BACKEND={backend!r}")

    def _jax_gradients(self, loss_fn, variables):
        import jax
        from keras.src.backend.common.stateless_scope import get_stateless_scope

        outer = get_stateless_scope()  # None when called outside fit (eagerly)
        targets = {id(v) for v in variables}
        others = [v for v in self._state_variables() if id(v) not in targets]
        current = [None if outer is None else outer.get_current_value(v) for v in others]
        current = [v.value if value is None else value for v, value in zip(others, current)]

        def pure(values):
            mapping = list(zip(variables, values)) + list(zip(others, current))
            with keras.StatelessScope(state_mapping=mapping) as scope:
                loss, aux = loss_fn()
            updated = [scope.get_current_value(v) for v in others]
            return loss, (aux, updated)

        (loss, (aux, updated)), grads = jax.value_and_grad(pure, has_aux=True)([v.value for v in variables])
        for variable, old, new in zip(others, current, updated):
            if new is not old:  # assigned inside the loss: record it in the step's scope (or store it)
                variable.assign(new)
        return loss, aux, list(grads)

    @staticmethod
    def apply(optimizer, gradients, variables) -> None:
        """``optimizer.apply`` outside autograd's record (PyTorch needs that said)."""
        if keras.backend.backend() == "torch":
            import torch

            with torch.no_grad():
                optimizer.apply(gradients, variables)
        else:
            optimizer.apply(gradients, variables)

    # --- the backends' step entry points ----------------------------------------------------
    def _state_groups(self):
        optimizer = getattr(self, "optimizer", None)
        return (self.trainable_variables, self.non_trainable_variables,
                list(optimizer.variables) if optimizer is not None else [], self.metrics_variables)

    def _state_variables(self):
        return [v for group in self._state_groups() for v in group]

    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            return self._stateless(True, *args)
        return self.step(args[0], True)

    def test_step(self, *args):
        # Evaluation keeps autograd on (PyTorch): a PDE residual differentiates even there.
        if keras.backend.backend() == "jax":
            return self._stateless(False, *args)
        return self.step(args[0], False)

    def _stateless(self, training, state, data):
        groups = self._state_groups()
        if not training:  # the JAX trainer's test state has no optimizer variables
            groups = (groups[0], groups[1], groups[3])
        mapping = [(v, value) for refs, values in zip(groups, state) for v, value in zip(refs, values)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self.step(data, training)
        new_state = tuple([scope.get_current_value(v) for v in refs] for refs in groups)
        return logs, new_state

