"""TensorFlow's training step traced once, not twice, on a model's first ``fit``.

On the TensorFlow backend Keras builds a model's optimizer lazily, inside the first trace
of the training step (Keras builds it beforehand on JAX and PyTorch, and on TensorFlow only
under an explicit distribution strategy). An optimizer's ``build`` creates its variables
(Adam's two moments per weight), and a ``tf.function`` that creates variables on its first
call is traced a second time without them: every new model paid for its training step's
trace twice. A 16-unit LSTM's first 2-epoch ``fit`` took 0.98 s, and 0.59-0.60 s with the
optimizer built first (``bench/README.md``, "The test suite"); a new model per fold, per
trial of a search, per science pipeline's model paid it every time.

:func:`build_optimizer_before_tracing` builds the optimizer over the model's trainable
variables, in the optimizer's name scope, just before Keras makes the training function,
as Keras' own symbolic build does on the other backends: the same variables in the same
order under the same names, so the same numbers and optimizer state (tested bit for bit),
one trace. It does so for models trained by Keras' own training step and for the toolkit's
own :class:`~toolkit.builders.steps.SteppedModel` classes, which apply the optimizer to all
their trainable variables. Left to Keras: a model with a ``train_step`` of its own, or a
``SteppedModel`` of your own (either may apply the optimizer to other variables, or to some
of them only), a model with a layer whose ``build`` has not run yet (its variables are made
by its first call), and an optimizer built already. A model compiled with metrics
(``metrics=["accuracy"]``) still traces twice: its metric variables are made in the first
trace too. ``import toolkit`` applies it as soon as Keras is imported on TensorFlow, for the
whole process (your own models too); ``TOOLKIT_TF_LAZY_OPTIMIZER=1`` keeps Keras as it is.
"""

from __future__ import annotations

import functools

#: The environment switch that keeps Keras' own lazy optimizer build on TensorFlow.
KEEP_LAZY = "TOOLKIT_TF_LAZY_OPTIMIZER"


def build_optimizer_before_tracing() -> bool:
    """Make TensorFlow's ``make_train_function`` build an unbuilt optimizer first.

    Idempotent; does nothing on JAX or PyTorch (Keras builds the optimizer before tracing
    there), when ``TOOLKIT_TF_LAZY_OPTIMIZER=1``, or when this Keras has no TensorFlow trainer.

    Returns:
        Whether the optimizer is now built before the first trace.
    """
    import keras

    from toolkit import _switched_on

    if keras.backend.backend() != "tensorflow" or _switched_on(KEEP_LAZY):
        return False
    try:
        from keras.src.backend.tensorflow.trainer import TensorFlowTrainer
    except ImportError:  # a Keras that trains another way
        return False
    original = TensorFlowTrainer.make_train_function
    if getattr(original, "_toolkit_single_trace", False):
        return True

    @functools.wraps(original)
    def make_train_function(self, force=False):
        if self.train_function is None or force:
            _build_optimizer(self)
        return original(self, force=force)

    make_train_function._toolkit_single_trace = True
    TensorFlowTrainer.make_train_function = make_train_function
    return True


def _build_optimizer(model) -> None:
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    from toolkit.builders.steps import SteppedModel

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(optimizer, "built", True) or not hasattr(optimizer, "build"):
        return
    ours = isinstance(model, SteppedModel) and type(model).__module__.startswith("toolkit.")
    if type(model).train_step is not TensorFlowTrainer.train_step and not ours:
        return  # a step of your own may apply the optimizer to other variables, or to some of them only
    from keras import layers

    if any(not layer.built and type(layer).build is not layers.Layer.build for layer in model._flatten_layers()):
        return  # a layer makes its variables in its first call, inside the trace (a layer without
        # a build of its own has none to make: it is built by its first call all the same)
    variables = model.trainable_variables
    if not variables:
        return
    from keras.src.backend import name_scope

    with model.distribute_strategy.scope(), name_scope(optimizer.name, caller=optimizer):
        optimizer.build(variables)  # inside the optimizer's name scope, as its apply builds it
