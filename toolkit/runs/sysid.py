"""System identification: NARX, RNN, LSTM, an encoder-decoder and a bidirectional smoother on the
Narendra-Li benchmark.

The system-identification notes, whole: the 4-200-300-1 sigmoid FFN as a NARX model
trained one step ahead, recurrent networks trained on sub-sequences (or the whole
unfolded record) with a loss at every step and warm-up steps skipped, a bidirectional
network as a smoother; every model judged by free-run simulation of a test record it has
never seen, against a least-squares linear ARX model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from toolkit.errors import UsageError
from toolkit.reports import plots
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.common import positive

NA, NB = 2, 1  # y(k-1), y(k-2), u(k), u(k-1): the notes' 4 regressors


@dataclass(frozen=True)
class SysidConfig:
    """Settings of the system-identification pipeline.

    Attributes:
        train_points: Steps of the identification record (u ~ U(-2.5, 2.5)). Defaults to 3,000.
        validation_points: Steps of a second record watched by early stopping. Defaults to 1,000.
        test_points: Steps of the test record (the benchmark's two sines). Defaults to 1,000.
        noise: Standard deviation of the measurement noise on the identification outputs
            (the test is scored on the noise-free output). Defaults to 0.1.
        sequence_length: Steps per training sub-sequence; 0 unfolds the whole record.
            Defaults to 100.
        stride: Steps between sub-sequence starts (< length: overlapping). Defaults to 50.
        warmup: Leading steps of each sub-sequence, and of the test record, left out of
            the loss and of the scores. Defaults to 10.
        units: Hidden units of the recurrent models. Defaults to 32.
        num_layers: Stacked recurrent layers (the notes' multi-layer RNN). Defaults to 1.
        epochs: Most epochs of the recurrent models. Defaults to 300.
        narx_epochs: Most epochs of the NARX network. Defaults to 200.
        batch_size: Defaults to 32.
        learning_rate: Adam's, for every network. Defaults to 3e-3.
        patience: Early-stopping patience on the validation record. Defaults to 20.
        seed: Defaults to 42.
    """

    train_points: int = 3000
    validation_points: int = 1000
    test_points: int = 1000
    noise: float = 0.1
    sequence_length: int = 100
    stride: int = 50
    warmup: int = 10
    units: int = 32
    num_layers: int = 1
    epochs: int = 300
    narx_epochs: int = 200
    batch_size: int = 32
    learning_rate: float = 3e-3
    patience: int = 20
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "SysidConfig":
        return replace(self, train_points=400, validation_points=200, test_points=200, sequence_length=50,
                       stride=25, units=8, epochs=10, narx_epochs=10, quick=True)

    def validate(self) -> "SysidConfig":
        positive(self, "train_points", "validation_points", "test_points", "stride", "units", "num_layers", "epochs",
                 "narx_epochs", "batch_size", "learning_rate", "patience")
        if self.noise < 0:
            raise UsageError(f"noise must be zero or positive. Received: noise={self.noise}")
        if self.sequence_length < 0 or self.sequence_length > self.train_points:
            raise UsageError(f"sequence_length must lie between 0 (the whole record) and train_points "
                             f"({self.train_points}). Received: sequence_length={self.sequence_length}")
        length = self.sequence_length or self.train_points
        if not 0 <= self.warmup < min(length, self.test_points):
            raise UsageError(f"warmup must be at least 0 and shorter than a sequence and the test record. "
                             f"Received: warmup={self.warmup}, sequence_length={length}")
        if self.validation_points <= self.warmup:
            raise UsageError(f"validation_points must exceed warmup. Received: {self.validation_points}")
        return self


@dataclass(frozen=True)
class Records:
    """The three records in physical units and the training split's scaling."""

    u: dict
    y: dict      # measured (noisy for train / validation)
    clean: dict  # noise-free outputs
    u_mean: float
    u_std: float
    y_mean: float
    y_std: float

    def scaled(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        return ((self.u[part] - self.u_mean) / self.u_std).astype("float32"), \
               ((self.y[part] - self.y_mean) / self.y_std).astype("float32")


def make_records(config: SysidConfig) -> Records:
    from toolkit.evaluation.sysid import narendra_li, sine_test_input, training_input

    rng = np.random.default_rng(config.seed)
    u = {"train": training_input(config.train_points, rng), "validation": training_input(config.validation_points, rng),
         "test": sine_test_input(config.test_points)}
    clean = {part: narendra_li(values) for part, values in u.items()}
    y = {part: clean[part] + (rng.normal(0, config.noise, len(clean[part])) if part != "test" and config.noise else 0.0)
         for part in u}
    # Normalisation from the identification record only.
    return Records(u=u, y=y, clean=clean, u_mean=float(u["train"].mean()), u_std=float(u["train"].std()),
                   y_mean=float(y["train"].mean()), y_std=float(y["train"].std()))


def run_sysid(config: SysidConfig, *, log=print) -> ScienceResult:
    from toolkit.builders import bidirectional_smoother, narx, sequence_lstm, sequence_rnn
    from toolkit.evaluation.sysid import (
        arx_predictor, dense_stack, fit_arx, free_run, network_predictor, scores,
    )
    from toolkit.pipelines.lags import narx_regressors
    from toolkit.pipelines.sequences import subsequences
    from toolkit.training import fit, set_seed

    records = make_records(config)
    u_train, y_train = records.scaled("train")
    u_val, y_val = records.scaled("validation")
    u_test, _ = records.scaled("test")
    actual = records.clean["test"]
    score_from = max(config.warmup, NA, NB)  # every model scored on the same steps

    def unscale(values):
        return np.asarray(values, dtype="float64").reshape(-1) * records.y_std + records.y_mean

    rows, simulated, histories, models, metrics = [], {}, {}, {}, {}

    def record(name, kind, params, epochs, seconds, prediction, note=""):
        result = scores(actual[score_from:], prediction[score_from:])
        rows.append([name, kind, params, epochs, seconds, result["rmse"], result["nrmse"], result["fit_percent"], note])
        simulated[name] = prediction
        metrics[name] = {**result, "params": params, "epochs": epochs, "train_seconds": seconds}
        log(f"[{name}] free-run RMSE {result['rmse']:.4f}, fit {result['fit_percent']:.1f}%")

    # Linear ARX by least squares: what a nonlinear model has to beat.
    coefficients = fit_arx(y_train, u_train, NA, NB)
    start_values = (actual[:max(NA, NB)] - records.y_mean) / records.y_std
    record("linear ARX (least squares)", "simulator", len(coefficients), 0, 0.0,
           unscale(free_run(arx_predictor(coefficients), u_test, start_values, NA, NB)))

    # NARX: the notes' FFN, trained one step ahead on measured lags (series-parallel),
    # then run on its own outputs (parallel) over the test record.
    set_seed(config.seed)
    model = narx(na=NA, nb=NB, learning_rate=config.learning_rate)
    x_fit, target = narx_regressors(y_train, u_train, NA, NB)
    fitted = fit(model, x_fit, target, validation_data=narx_regressors(y_val, u_val, NA, NB),
                 epochs=config.narx_epochs, batch_size=config.batch_size, patience=config.patience,
                 verbose=config.verbose)
    x_test, _ = narx_regressors((actual - records.y_mean) / records.y_std, u_test, NA, NB)
    one_step = unscale(np.r_[start_values, model.predict(x_test, verbose=0)[:, 0]])
    one_step_rmse = scores(actual[score_from:], one_step[score_from:])["rmse"]
    record("NARX FFN 4-200-300-1", "simulator", model.count_params(), fitted.epochs_run, fitted.seconds,
           unscale(free_run(network_predictor(dense_stack(model)), u_test, start_values, NA, NB)),
           f"one-step RMSE {one_step_rmse:.3g}")
    histories["NARX"], models["narx"] = fitted.history, model

    # Recurrent output-error models: y_hat from u alone, a loss at every step.
    length = config.sequence_length or None
    train = subsequences(u_train, y_train, length=length, stride=config.stride if length else None,
                         warmup=config.warmup)
    validation = subsequences(u_val, y_val, warmup=config.warmup)
    cut = (f"{len(train)} sub-sequences of {train.length} steps every {config.stride} steps"
           if length else f"the whole record unfolded over {train.length} steps")
    log(f"[sequences] {cut}, first {config.warmup} steps of each out of the loss")
    for name, key, build, kind in (
            (f"RNN ({config.units} units)", "rnn", lambda: sequence_rnn(units=config.units, num_layers=config.num_layers,
                                                                      learning_rate=config.learning_rate, global_clipnorm=1.0), "simulator"),
            (f"LSTM ({config.units} units)", "lstm", lambda: sequence_lstm(units=config.units, num_layers=config.num_layers,
                                                                         learning_rate=config.learning_rate), "simulator"),
            (f"bidirectional LSTM ({config.units} units each way)", "smoother",
             lambda: bidirectional_smoother(units=config.units, num_layers=config.num_layers,
                                           learning_rate=config.learning_rate),
             "smoother (sees future inputs)")):
        set_seed(config.seed)
        model = build()
        fitted = fit(model, train.inputs, train.targets, sample_weight=train.weights,
                     validation_data=(validation.inputs, validation.targets, validation.weights),
                     epochs=config.epochs, batch_size=config.batch_size, patience=config.patience,
                     verbose=config.verbose)
        # One call simulates the whole test record from a zero state.
        prediction = unscale(model.predict(u_test[None, :, None], verbose=0)[0, :, 0])
        record(name, kind, model.count_params(), fitted.epochs_run, fitted.seconds, prediction)
        histories[name], models[key] = fitted.history, model

    # The encoder-decoder (many-to-many of unequal lengths): the encoder reads the first warm-up
    # steps of a record, inputs and measured outputs (its initial condition); the decoder
    # simulates the rest from the inputs alone.
    if config.warmup > 0:
        from toolkit.builders.seq2seq import seq2seq_simulator, split_record

        set_seed(config.seed)
        model = seq2seq_simulator(warmup=config.warmup, units=config.units, learning_rate=config.learning_rate)
        x_fit, target = split_record(train.inputs, train.targets, config.warmup)
        x_val, val_target = split_record(validation.inputs, validation.targets, config.warmup)
        fitted = fit(model, x_fit, target, validation_data=(x_val, val_target), epochs=config.epochs,
                     batch_size=config.batch_size, patience=config.patience, verbose=config.verbose)
        y_start = (actual[None, :config.warmup] - records.y_mean) / records.y_std
        x_test, _ = split_record(u_test[None, :], np.c_[y_start, np.zeros((1, config.test_points - config.warmup))],
                                 config.warmup)
        tail = unscale(model.predict(x_test, verbose=0)[0, :, 0])
        record(f"encoder-decoder LSTM ({config.units} units)", "simulator", model.count_params(), fitted.epochs_run,
               fitted.seconds, np.r_[actual[:config.warmup], tail],
               f"reads the first {config.warmup} steps' outputs")
        histories["encoder-decoder"], models["seq2seq"] = fitted.history, model

    steps = np.arange(config.test_points)
    show = slice(0, min(config.test_points, 300))
    simulators = [r for r in rows if r[1] == "simulator"]
    best = min(simulators, key=lambda r: r[5])
    sections = [
        Section("Free-run simulation of the test record",
                f"The Narendra-Li benchmark system (Narendra and Li 1996), identified from {config.train_points} steps "
                f"of u ~ U(-2.5, 2.5) with measurement noise of standard deviation {config.noise} "
                f"(early stopping on a second record of {config.validation_points} steps), then simulated on "
                f"{config.test_points} steps of u(k) = sin(2 pi k/10) + sin(2 pi k/25) from the input alone. "
                f"Scores on the noise-free test output from step {score_from} on (the recurrent models' warm-up). "
                f"Recurrent models trained on {cut}.",
                tables=[Table(["model", "kind", "parameters", "epochs", "training s", "free-run RMSE", "NRMSE",
                               "fit %", "note"], rows,
                              "Fit % = 100 (1 - ||y - y_hat|| / ||y - mean y||), as identification toolboxes report. "
                              "The smoother reads the whole input record both ways: it is no simulator, so it is "
                              "left out of the ranking.")])
        .figure(plots.series_figure(steps[show], {"system": actual[show],
                                                  **{name: values[show] for name, values in simulated.items()}},
                                    "test record: system and free-run simulations", xlabel="k")),
        Section("Loss curves", "Training loss (per step, warm-up steps weighted 0) and validation loss per epoch.")
        .figure(plots.history_figure({name: h["loss"] for name, h in histories.items()}, "training loss"))
        .figure(plots.history_figure({name: h["val_loss"] for name, h in histories.items() if "val_loss" in h},
                                     "validation loss")),
    ]
    summary = (f"Best simulator on the test record: {best[0]}, free-run RMSE {best[5]:.3g} (fit {best[7]:.1f}%); "
               f"linear ARX {rows[0][5]:.3g}.")
    return ScienceResult(kind="sysid", title="System identification: NARX, RNN, LSTM, encoder-decoder and a bidirectional smoother",
                         summary=summary, sections=sections, metrics=metrics, config={}, models=models)
