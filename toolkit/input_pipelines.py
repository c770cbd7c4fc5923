"""TensorFlow's input pipelines for arrays, without tf.data autotuning's stalls.

On the TensorFlow backend, ``fit``, ``evaluate`` and ``predict`` on NumPy arrays feed the
model through a ``tf.data`` pipeline (Keras' ``ArrayDataAdapter``) whose batch gather is a
``map`` with ``num_parallel_calls=AUTOTUNE``. Keras makes a new iterator of it for every
epoch, every validation pass and every ``predict``, and destroys the old one. With
autotuning on, destroying an iterator waits, idle, for tf.data's autotuning thread: on
this project's 2-core machines that was 1.2-3.2 s at the start of about every second epoch
(the stacked LSTM's epochs alternated between about 7 s and 10 s; the process used no CPU
during the wait). ``bench/tf_epoch_stall.py`` reproduces it in a few lines.

The cure is to switch autotuning off for these pipelines: the gather still runs on
parallel threads (as many as the machine has cores), the batches and their order are the
same (the map keeps its order), and so are the numbers trained; only the stall goes.
:func:`steady_array_pipelines` does that by adding ``tf.data.Options`` with
``autotune.enabled = False`` to the pipeline Keras builds for arrays. ``import toolkit``
applies it, for the whole process (your own ``model.fit`` on arrays too), as soon as Keras
is imported on TensorFlow; ``TOOLKIT_TF_DATA_AUTOTUNE=1`` (or ``true``) in the environment
keeps Keras' pipeline as it is. Datasets you build yourself are untouched.
"""

from __future__ import annotations

import functools

#: The environment switch that keeps Keras' own (autotuned) array pipeline.
KEEP_AUTOTUNE = "TOOLKIT_TF_DATA_AUTOTUNE"


def steady_array_pipelines() -> bool:
    """Switch tf.data autotuning off in the pipeline Keras builds for array inputs.

    Idempotent; does nothing on JAX or PyTorch (their arrays are fed without ``tf.data``),
    when ``TOOLKIT_TF_DATA_AUTOTUNE=1``, or when this Keras has no ``ArrayDataAdapter``.

    Returns:
        Whether Keras' array pipelines are now without autotuning.
    """
    import keras

    from toolkit import _switched_on

    if keras.backend.backend() != "tensorflow" or _switched_on(KEEP_AUTOTUNE):
        return False
    try:
        from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
    except ImportError:  # a Keras that feeds arrays another way
        return False
    original = ArrayDataAdapter.get_tf_dataset
    if getattr(original, "_toolkit_steady", False):
        return True

    @functools.wraps(original)
    def get_tf_dataset(self):
        import tensorflow as tf

        options = tf.data.Options()
        options.autotune.enabled = False
        return original(self).with_options(options)

    get_tf_dataset._toolkit_steady = True
    ArrayDataAdapter.get_tf_dataset = get_tf_dataset
    return True
