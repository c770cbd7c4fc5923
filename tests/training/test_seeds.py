"""set_seed: Keras' seeding, without loading TensorFlow on the other backends."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
    import random, sys
    import numpy as np
    import keras
    from toolkit.training import set_seed

    def draws():
        out = [random.random(), float(np.random.rand()), *np.asarray(keras.random.normal((3,))).tolist()]
        if keras.backend.backend() == "torch":
            import torch
            out += torch.rand(2).tolist()
        return out

    set_seed(3)
    tensorflow_loaded = "tensorflow" in sys.modules
    from keras.src.utils.rng_utils import get_random_seed
    ours, ours_seed = draws(), get_random_seed()
    import tensorflow as tf  # loaded now: seeded as it loads
    ours_tf = tf.random.uniform((2,)).numpy().tolist()
    keras.utils.set_random_seed(3)
    theirs, theirs_tf = draws(), tf.random.uniform((2,)).numpy().tolist()
    print(keras.backend.backend(), tensorflow_loaded, ours == theirs, ours_seed == 3, ours_tf == theirs_tf)
"""


def test_set_seed_seeds_like_keras_and_loads_tensorflow_only_on_tensorflow():
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    backend, loaded, same, seed_kept, same_tf = done.stdout.split()
    assert loaded == str(backend == "tensorflow")  # JAX and PyTorch runs never need TensorFlow
    assert same == seed_kept == same_tf == "True", done.stdout
