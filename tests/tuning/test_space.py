"""Search spaces: checked dimensions, the pipeline-file forms, the lectures' default space."""

import pytest

from toolkit.errors import UsageError
from toolkit.tuning import RECURRENT_SPACE, Choice, Float, Int, check_space, parse_space


def test_dimensions_check_their_bounds_and_map_to_optuna():
    assert Int(16, 256, log=True).distribution().log and Float(1e-4, 1e-2, log=True).distribution().high == 1e-2
    assert Choice("relu", "tanh").distribution().choices == ("relu", "tanh")
    assert Choice(["a", "b"]).options == ("a", "b")
    for make, message in [
        (lambda: Int(5, 1), "Int needs low <= high. Received: low=5, high=1"),
        (lambda: Int(0, 8, log=True), "Int needs low <= high and low >= 1 on a log scale"),
        (lambda: Int(1.5, 3), "Int bounds must be whole numbers. Received: low=1.5"),
        (lambda: Float(0.0, 1.0, log=True), "Float needs finite low < high and low > 0 on a log scale"),
        (lambda: Float(1.0, float("nan")), "Float needs finite low < high"),
        (lambda: Choice(), "Choice needs distinct numbers, text or true/false values. Received: ()"),
        (lambda: Choice("a", "a"), "Choice needs distinct"),
        (lambda: Choice([1], [2]), "Choice needs distinct"),
    ]:
        with pytest.raises(ValueError) as err:
            make()
        assert str(err.value).startswith(message)


def test_pipeline_file_forms():
    space = parse_space({"units": {"low": 16, "high": 256, "log": True}, "learning_rate": {"low": 1e-4, "high": 1e-2,
                         "log": True}, "dropout": {"low": 0, "high": 0.5}, "activation": {"choices": ["relu", "tanh"]},
                         "batch_size": [32, 64]}, "f.toml: [models.m.search]")
    assert space == {"units": Int(16, 256, True), "learning_rate": Float(1e-4, 1e-2, True), "dropout": Float(0, 0.5),
                     "activation": Choice("relu", "tanh"), "batch_size": Choice(32, 64)}
    for table, message in [
        ({"units": 64}, "f.toml: [models.m.search]: units: give { low = ..., high = ..., log = true|false }"),
        ({"units": {"low": 8}}, "f.toml: [models.m.search]: units: give { low"),
        ({"units": {"low": 8, "high": 4}}, "f.toml: [models.m.search]: units: Int needs low <= high"),
        ({"units": {"low": 8, "high": 16, "log": "yes"}}, "f.toml: [models.m.search]: units: log must be true or false"),
    ]:
        with pytest.raises(UsageError) as err:
            parse_space(table, "f.toml: [models.m.search]")
        assert str(err.value).startswith(message)
    with pytest.raises(UsageError, match="'units' must be an Int, Float or Choice"):
        check_space({"units": (16, 256)})


def test_the_lectures_list_is_the_recurrent_default():
    # "number of hidden layers, number of neurons, choice of activation, number of epochs, learning rate,
    # mini-batch size, regularization parameters" (singaravelu-intro-deep-learning.txt)
    assert set(RECURRENT_SPACE) == {"num_layers", "units", "activation", "epochs", "learning_rate", "batch_size",
                                    "dropout"}
