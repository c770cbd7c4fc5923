import keras
import numpy as np
import pytest

from toolkit.errors import TrainingError
from toolkit.training import fit, set_seed


def test_a_nan_loss_stops_training_with_one_line():
    set_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((64, 3), dtype="float32")
    y = np.ones((64, 1), dtype="float32")
    x[40] = np.nan  # a damaged input row: its batch's loss is NaN
    with pytest.raises(TrainingError, match=r"^training diverged: the loss became nan at epoch 1, batch 3; "
                                            r"lower the learning rate"):
        fit(model, x, y, epochs=5, batch_size=16, shuffle=False, verbose=0)


def test_training_record_names_the_device():
    set_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    record = fit(model, np.ones((32, 3)), np.ones((32, 1)), epochs=2, verbose=0)
    assert record.device.startswith(("CPU, ", "GPU 0 (")) and " on " in record.device
    assert record.as_dict()["device"] == record.device


def test_a_log_hears_from_a_long_epoch_between_its_epoch_lines(capsys, monkeypatch):
    import toolkit.training as training

    monkeypatch.setattr(training, "HEARTBEAT_SECONDS", 0.0)  # a line after every batch, for the test
    set_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    fit(model, np.ones((64, 3)), np.ones((64, 1)), epochs=2, batch_size=16, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  epoch ")]
    assert [line.split(",")[0] for line in lines] == [f"  epoch {e}: batch {b}/4" for e in (1, 2) for b in (1, 2, 3, 4)]
    assert all(", loss " in line for line in lines)


def test_a_terminal_gets_keras_bar_and_a_quiet_run_nothing():
    from types import SimpleNamespace

    from toolkit.cli import _keras_progress

    assert _keras_progress(SimpleNamespace(quiet=True)) == 0
    assert _keras_progress(SimpleNamespace(quiet=False)) == 2  # pytest's stdout is not a terminal
