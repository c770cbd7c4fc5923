"""One custom training step on every backend: gradients, two optimizers, seeded noise, state."""

import keras
import numpy as np
from keras import layers, ops

from toolkit.builders.steps import OptimizerGroup, SteppedModel

RNG = np.random.default_rng(0)
X = RNG.normal(size=(256, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")


class TwoParts(SteppedModel):
    """y = b(a(x)) + noise-free target; `a` and `b` each have their own optimizer and step."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = layers.Dense(4, name="a")
        self.b = layers.Dense(1, name="b")
        self.seed_generator = keras.random.SeedGenerator(3)
        self.tracker = keras.metrics.Mean(name="loss")
        self.noise_tracker = keras.metrics.Mean(name="noise")
        self.a.build((None, 3))
        self.b.build((None, 4))

    @property
    def metrics(self):
        return [self.tracker, self.noise_tracker]

    def compile(self, **kwargs):
        super().compile(optimizer=None, **kwargs)
        self.a_optimizer, self.b_optimizer = keras.optimizers.Adam(0.05), keras.optimizers.SGD(0.05)
        self.a_optimizer.build(self.a.trainable_variables)
        self.b_optimizer.build(self.b.trainable_variables)
        self.optimizer = OptimizerGroup(self.a_optimizer, self.b_optimizer)

    def call(self, x, training=False):
        return self.b(self.a(x))

    def step(self, data, training):
        x, y = data

        def loss():
            noise = keras.random.normal((), seed=self.seed_generator)  # advances the seed state
            return ops.mean(ops.square(self(x) - y)), noise

        if training:
            for part, optimizer in ((self.a, self.a_optimizer), (self.b, self.b_optimizer)):
                value, noise, grads = self.gradients(loss, part.trainable_variables)
                self.apply(optimizer, grads, part.trainable_variables)
        else:
            value, noise = loss()
        self.tracker.update_state(value)
        self.noise_tracker.update_state(ops.square(noise))
        return {"loss": self.tracker.result(), "noise": self.noise_tracker.result()}


def test_each_optimizer_moves_its_own_part_and_the_loss_falls():
    keras.utils.set_random_seed(0)
    model = TwoParts()
    model.compile()
    before = model.evaluate(X, Y, batch_size=64, verbose=0, return_dict=True)["loss"]
    history = model.fit(X, Y, batch_size=64, epochs=8, verbose=0).history
    after = model.evaluate(X, Y, batch_size=64, verbose=0, return_dict=True)["loss"]
    assert after < 0.2 * before and history["loss"][-1] < history["loss"][0]
    # 8 epochs of 4 batches: each optimizer stepped 32 times, the state carried through fit
    assert int(ops.convert_to_numpy(model.a_optimizer.iterations)) == 32
    assert int(ops.convert_to_numpy(model.b_optimizer.iterations)) == 32
    assert len(model.optimizer.variables) == len(model.a_optimizer.variables) + len(model.b_optimizer.variables)


def test_seeded_noise_advances_between_steps():
    keras.utils.set_random_seed(0)
    model = TwoParts()
    model.compile()
    state = ops.convert_to_numpy(model.seed_generator.state).copy()
    history = model.fit(X, Y, batch_size=64, epochs=3, verbose=0).history
    assert not np.array_equal(ops.convert_to_numpy(model.seed_generator.state), state)
    # a frozen seed would draw the same number every time: its mean square would stay one value
    assert len(set(np.round(history["noise"], 6))) == 3


def test_gradients_match_finite_differences():
    keras.utils.set_random_seed(0)
    model = TwoParts()
    model.compile()
    kernel = model.b.kernel
    x, y = ops.convert_to_tensor(X[:16]), ops.convert_to_tensor(Y[:16])
    loss = lambda: (ops.mean(ops.square(model(x) - y)), None)  # noqa: E731
    _, _, (grad,) = model.gradients(loss, [kernel])
    base = ops.convert_to_numpy(kernel).copy()
    eps, numeric = 1e-2, np.zeros_like(base)
    for i in range(base.shape[0]):
        for sign in (1, -1):
            changed = base.copy()
            changed[i, 0] += sign * eps
            kernel.assign(changed)
            numeric[i, 0] += sign * float(ops.convert_to_numpy(loss()[0])) / (2 * eps)
    kernel.assign(base)
    np.testing.assert_allclose(ops.convert_to_numpy(grad), numeric, rtol=2e-2, atol=1e-3)
