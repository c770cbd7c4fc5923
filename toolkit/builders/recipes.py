"""The lectures' training recipes, by name.

A recipe is what a lecture trains a model with: the optimiser and its learning rate,
the batch (``None`` for the whole training set: full-batch gradient descent), the
epochs, and for a GAN the generator's loss. Builders take ``recipe="name"`` (it supplies
the optimiser); :func:`toolkit.training.fit_recipe` trains with its batch and epochs::

    from toolkit.builders import mlp_regressor
    from toolkit.training import fit_recipe
    model = mlp_regressor(recipe="sysid")            # SGD, learning rate 1e-4
    fit_recipe(model, x, y, "sysid")                 # full batch, 2,000 epochs
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Recipe:
    """One lecture's training settings.

    Attributes:
        name: The recipe's name.
        lecture: Where the settings come from (file in ``shared/lectures`` and the slide).
        optimizer: Optimiser name (:data:`toolkit.builders.options.OPTIMIZERS`).
        learning_rate: Its learning rate.
        momentum: SGD / RMSprop momentum, or None.
        batch_size: Samples per step; None trains on the whole set at once.
        epochs: Epochs to train.
        model_options: Builder arguments the recipe fixes (e.g. a GAN's generator loss).
        note: What the lecture leaves open and what the toolkit chose for it.
    """

    name: str
    lecture: str
    optimizer: str
    learning_rate: float
    batch_size: int | None
    epochs: int
    momentum: float | None = None
    model_options: dict = field(default_factory=dict)
    note: str = ""

    def batch_for(self, n_samples: int) -> int:
        """The batch size for ``n_samples`` training samples."""
        return n_samples if self.batch_size is None else self.batch_size

    def describe(self) -> str:
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        momentum = f", momentum {self.momentum:g}" if self.momentum else ""
        options = "".join(f", {key}={value!r}" for key, value in self.model_options.items())
        return f"{self.optimizer} at {self.learning_rate:g}{momentum}, {batch}, {self.epochs} epochs{options}"


RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe("sysid", "system-identification-deep-learning.txt, 'FFN: Training in PyTorch'",
               "sgd", 1e-4, None, 2000,
               note="Batch gradient descent: optim.SGD(lr=1e-4) on the whole data each step. The notes "
                    "loop to max_epochs without a value; 2,000 is the toolkit's."),
        Recipe("keras_mlp", "bianco-pinns-and-generative-ai.txt, 'Building a DNN with keras and tensorflow'",
               "adam", 1e-3, 100, 20,
               note="model.compile(optimizer='adam', loss='mean_squared_error'); "
                    "model.fit(..., epochs=20, batch_size=100)."),
        Recipe("autoencoder_adadelta", "bianco-pinns-and-generative-ai.txt, 'autoencoder for image reconstruction'",
               "adadelta", 1.0, 256, 50,
               note="compile(optimizer='adadelta'): Keras 2's Adadelta ran at learning rate 1.0; Keras 3's "
                    "default is 1e-3, a thousand times slower. Batch 256 and 50 epochs are those of the Keras "
                    "autoencoder tutorial the notes follow; the notes do not state them."),
        Recipe("gan_saturating", "bianco-pinns-and-generative-ai.txt and singaravelu-intro-deep-learning.txt, "
               "'Minmax Loss Function'", "adam", 2e-4, 128, 100,
               model_options={"generator_loss": "saturating"},
               note="The original minimax game: the generator minimises log(1 - D(G(z))), whose gradient "
                    "vanishes while D wins. Adam(2e-4), batch 128 and 100 epochs are the toolkit's."),
        Recipe("gan_non_saturating", "bianco-pinns-and-generative-ai.txt, 'change introduced to minimize "
               "generator saturation'", "adam", 2e-4, 128, 100,
               model_options={"generator_loss": "non_saturating"},
               note="The generator maximises log D(G(z)) instead. Adam(2e-4), batch 128 and 100 epochs are "
                    "the toolkit's."),
    )
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; a ``ValueError`` naming the known ones otherwise."""
    if isinstance(name, Recipe):
        return name
    try:
        return RECIPES[name]
    except (KeyError, TypeError):
        raise ValueError(f"`recipe` must be one of {', '.join(RECIPES)}. Received: recipe={name!r}") from None
