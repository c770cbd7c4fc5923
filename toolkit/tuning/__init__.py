"""Hyperparameter search that never sees a fold's validation or test rows (Optuna).

Declare a space on a model and turn the search on for the run::

    from toolkit.forecasters import KerasForecaster
    from toolkit.builders import stacked_gru
    from toolkit.tuning import Choice, Float, Int

    gru = KerasForecaster(stacked_gru, space={"units": Int(16, 128, log=True),
                                              "learning_rate": Float(1e-4, 1e-2, log=True),
                                              "activation": Choice("relu", "tanh")})
    run_forecast(prices, ForecastConfig(tune_trials=20), models={"gru": gru})

The tuned copy (``gru_tuned``) then stands in the comparison beside the untuned one.
"""

from toolkit.tuning.space import RECURRENT_SPACE, TRAINING_SPACE, Choice, Float, Int, check_space, parse_space

__all__ = ["RECURRENT_SPACE", "TRAINING_SPACE", "Choice", "Float", "Int", "check_space", "parse_space"]
