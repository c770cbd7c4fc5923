"""Settings of a forecasting run, checked once."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from toolkit.errors import UsageError

#: The built-in models, by their command-line names (defined in :mod:`toolkit.runs.forecast.models`).
MODELS = ("naive", "drift", "mean_return", "moving_average", "linear", "ets", "arima", "mlp", "lstm", "gru",
          "cnn_lstm", "transformer", "seq2seq")
DEFAULT_MODELS = ("naive", "drift", "mean_return", "moving_average", "linear", "ets", "arima", "mlp", "lstm")
STRATEGIES = ("direct", "recursive")
TARGETS = ("log-return", "price")
FOLD_MODES = ("expanding", "sliding")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def check_name(name) -> str:
    """A model name: an ASCII letter, then ASCII letters, digits, ``_`` or ``-``, at most 64
    (it names the model's files too)."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UsageError(f"model name {name!r} must start with a letter and hold only letters, digits, '_' and '-' "
                         "(ASCII: a-z, A-Z, 0-9; at most 64)")
    return name


def builtin_name(entry: str) -> str | None:
    """The built-in model an entry names (case and ``-`` / ``_`` aside), else None."""
    key = entry.strip().lower().replace("-", "_")
    return key if key in MODELS else None


def check_models(entries) -> tuple[str, ...]:
    """Model entries, normalised: built-in names, ``NAME=REFERENCE`` definitions (a Keras
    builder, a scikit-learn regressor or a statsforecast model, resolved with the run's
    models) and names of models given to the run; naive always first, as every report's
    yardstick. Only the spelling is checked here; :func:`toolkit.runs.forecast.models.resolve_lineup`
    resolves and checks the models themselves."""
    checked = []
    for entry in (e.strip() for e in entries if e.strip()):
        name, sep, reference = entry.partition("=")
        if sep:
            name, reference = name.strip(), reference.strip()
            check_name(name)
            if not reference:
                raise UsageError(f"model {name!r} is defined with nothing after '='; give NAME=module:ATTR or "
                                 "NAME=path/to/file.py:ATTR")
            checked.append(f"{name}={reference}")
        else:
            checked.append(builtin_name(entry) or check_name(entry))
    checked = list(dict.fromkeys(checked))
    if not checked:
        raise UsageError(f"models must name at least one model, from {', '.join(MODELS)} or NAME=module:ATTR. "
                         "Received: none")
    return ("naive",) + tuple(n for n in checked if n != "naive")  # naive is every report's yardstick


#: Settings that make a run's profile, named by :meth:`ForecastConfig.profile` when not the defaults.
PROFILE_KEYS = ("epochs", "lstm_units", "dense_units", "dropout", "batch_size", "learning_rate", "max_rows",
                "mc_samples", "tune_trials")


@dataclass(frozen=True)
class ForecastConfig:
    """Settings of one forecasting run; network defaults follow the lecture.

    Attributes:
        window: Input steps per sample. Defaults to 60.
        horizon: Trading days forecast, steps 1..horizon. Defaults to 1.
        target: What the networks and the linear model learn: ``"log-return"`` (the
            scale-free log price relative to the window's last price) or ``"price"`` (the
            lecture's min-max scaled level, which extrapolates once prices leave the training
            range). Metrics are in price units either way. Defaults to ``"log-return"``.
        features: Input columns (see :mod:`toolkit.pipelines.features`). Defaults to ``("close",)``.
        models: Models to compare (naive is always added). Defaults to the benchmarks (naive,
            drift, mean return, moving average, linear, ETS, ARIMA), the Gaussian MLP and
            the stacked LSTM.
        multistep: ``"direct"`` (one output per step) or ``"recursive"`` (a one-step model
            fed its own forecasts). Defaults to ``"direct"``.
        folds: Walk-forward folds; 1 is a single chronological split. Defaults to 1.
        fold_mode: ``"expanding"`` or ``"sliding"`` training windows. Defaults to ``"expanding"``.
        refit: Refit models (and scalers) on every fold; False keeps the first fold's frozen.
            Defaults to True.
        gap: Rows between the last training (validation) target and the first test target;
            at least the horizon. Defaults to the horizon.
        calendar: Exchange calendar of the forecast past the data (an ISO MIC such as
            ``"XNYS"``, ``"24/7"`` or ``"business-days"``). Defaults to None: chosen from
            the ticker (XNYS for US symbols and indices), business days for a CSV.
        epochs: Most training epochs. Defaults to 20.
        batch_size: Defaults to 128 (350 samples/s on 2 cores against 200 at 32).
        patience: Early-stopping patience on validation loss. Defaults to 3.
        seed: Seed for every random draw. Defaults to 42.
        val_fraction: Validation share of the (first) training rows; these rows also
            calibrate the conformal intervals. Defaults to 0.15.
        test_fraction: Test share of the rows for a single split. Defaults to 0.15.
        lstm_units: Units of each LSTM layer. Defaults to 256.
        dropout: Dropout after each LSTM layer. Defaults to 0.4.
        dense_units: Units of the ReLU layer. Defaults to 64.
        learning_rate: Adam's learning rate. Defaults to 1e-3.
        mc_samples: Monte Carlo dropout passes for the LSTM's own intervals; 0 for none.
            Defaults to 10 (each pass costs about a second on the default test part).
        cost_bps: Trading cost per position change in the strategy check. Defaults to 5.
        max_rows: Keep only the newest rows; ``None`` keeps all. Defaults to None.
        tune_trials: Hyperparameter search trials per tuned model and fold; 0 for no search.
            Each tuned model stands in the comparison beside a copy named ``NAME_tuned``.
            Defaults to 0.
        tune_minutes: Most minutes of each search. Defaults to None (trials alone limit it).
        tune_splits: Inner walk-forward splits of each fold's training rows the search
            scores trials on. Defaults to 2.
        tune_pruning: Stop poor trials from their learning curves. Defaults to True.
        tune_parallel: Trials per round, run side by side on Ray (one after another in one
            process, with the same results). Defaults to 4.
        tune_models: Models to tune. Defaults to () : every network, and every model with a
            declared search space.
        quick: Whether this is the reduced ``--quick`` profile (stated in the report).
        verbose: Keras progress (0, 1 or 2). Defaults to 2.
    """

    window: int = 60
    horizon: int = 1
    target: str = "log-return"
    features: tuple[str, ...] = ("close",)
    models: tuple[str, ...] = DEFAULT_MODELS
    multistep: str = "direct"
    folds: int = 1
    fold_mode: str = "expanding"
    refit: bool = True
    gap: int | None = None
    calendar: str | None = None
    epochs: int = 20
    batch_size: int = 128
    patience: int = 3
    seed: int = 42
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    lstm_units: int = 256
    dropout: float = 0.4
    dense_units: int = 64
    learning_rate: float = 1e-3
    mc_samples: int = 10
    cost_bps: float = 5.0
    max_rows: int | None = None
    tune_trials: int = 0
    tune_minutes: float | None = None
    tune_splits: int = 2
    tune_pruning: bool = True
    tune_parallel: int = 4
    tune_models: tuple[str, ...] = ()
    quick: bool = False
    verbose: int = 2

    @property
    def effective_gap(self) -> int:
        return self.horizon if self.gap is None else self.gap

    def quick_profile(self) -> "ForecastConfig":
        """The same run made small for tests and a first look: newest 1,000 rows, a
        32-unit LSTM, 3 epochs, at most 10 Monte Carlo passes."""
        return replace(self, epochs=min(self.epochs, 3), lstm_units=32, dense_units=16,
                       max_rows=1000 if self.max_rows is None else min(self.max_rows, 1000),
                       mc_samples=min(self.mc_samples, 10), quick=True)

    def profile(self) -> str:
        """How heavy the run was, in words: the quick profile, the defaults, or the settings
        that differ from them (the runs index and compare show it)."""
        if self.quick:
            lstm = f", {self.lstm_units}-unit LSTM" if "lstm" in self.models else ""
            return (f"quick profile (--quick: newest {self.max_rows:,} rows, {self.epochs} epochs{lstm}; "
                    "a pipeline check, not the lecture model's numbers)")
        default = ForecastConfig()
        changed = [f"{key} {getattr(self, key)}" for key in PROFILE_KEYS if getattr(self, key) != getattr(default, key)]
        return "custom: " + ", ".join(changed) if changed else "default profile"

    def validate(self) -> "ForecastConfig":
        """Check every value before any data is read; returns a copy with names normalised.

        Bounds keep a run within a 2-core, 24 GB machine and within what the methods mean
        (a dropout below 1, a learning rate above 0). Raises :class:`UsageError`.
        """
        from toolkit.data.calendars import check_calendar
        from toolkit.pipelines.features import check_features
        from toolkit.pipelines.split import check_fractions
        from toolkit.pipelines.windows import check_window_horizon

        for flag, value, low, high in (
            ("--window", self.window, 1, MAX_WINDOW), ("--horizon", self.horizon, 1, MAX_HORIZON),
            ("--epochs", self.epochs, 1, 10_000), ("--batch-size", self.batch_size, 1, 65_536),
            ("--patience", self.patience, 1, 10_000), ("--folds", self.folds, 1, 100),
            ("--mc-samples", self.mc_samples, 0, 1_000), ("--seed", self.seed, 0, 2 ** 32 - 1),
            ("lstm_units", self.lstm_units, 1, MAX_UNITS), ("dense_units", self.dense_units, 1, MAX_UNITS),
            ("--tune ([tune] trials)", self.tune_trials, 0, 1_000), ("[tune] splits", self.tune_splits, 1, 10),
            ("[tune] parallel", self.tune_parallel, 1, 256),
        ):
            _whole(flag, value, low, high)
        if self.tune_minutes is not None:
            _number("--tune-minutes ([tune] minutes)", self.tune_minutes, 0.0, 24 * 60.0, low_open=True)
            if not self.tune_trials:
                raise UsageError(f"--tune-minutes {self.tune_minutes:g} limits a search, and none is on; give --tune "
                                 "TRIALS too (or [tune] trials in a pipeline file)")
        if self.gap is not None:
            _whole("--gap", self.gap, 1, MAX_HORIZON * 10)
        if self.max_rows is not None:
            _whole("max_rows", self.max_rows, 1, 10 ** 8)
        _number("--cost-bps", self.cost_bps, 0.0, 10_000.0)
        _number("dropout", self.dropout, 0.0, 1.0, high_open=True)
        _number("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        _number("val_fraction", self.val_fraction, 0.0, 1.0, low_open=True, high_open=True)
        _number("test_fraction", self.test_fraction, 0.0, 1.0, low_open=True, high_open=True)
        check_window_horizon(self.window, self.horizon)
        check_fractions(self.val_fraction, self.test_fraction)
        for flag, value, allowed in (("--target", self.target, TARGETS), ("--multistep", self.multistep, STRATEGIES),
                                     ("--fold-mode", self.fold_mode, FOLD_MODES)):
            if value not in allowed:
                raise UsageError(f"{flag} must be one of {', '.join(allowed)}. Received: {value!r}")
        for flag, value in (("refit", self.refit), ("[tune] pruning", self.tune_pruning)):
            if not isinstance(value, bool):
                raise UsageError(f"{flag} must be true or false. Received: {value!r}")
        if self.gap is not None and self.gap < self.horizon:
            raise UsageError(f"--gap must be at least the horizon so no training target overlaps a "
                             f"test target. Received: gap={self.gap}, horizon={self.horizon}")
        features = check_features(_names("features", self.features))
        if self.multistep == "recursive" and features != ("close",):
            raise UsageError("--multistep recursive feeds forecasts back as inputs, so the close price "
                             f"must be the only feature. Received: features={','.join(features)}")
        tune_models = tuple(builtin_name(n) or check_name(n) for n in _names("tune_models", self.tune_models))
        return replace(self, features=features, models=check_models(_names("models", self.models)),
                       tune_models=tuple(dict.fromkeys(tune_models)), calendar=check_calendar(self.calendar))


MAX_WINDOW = 2_000
MAX_HORIZON = 260
MAX_UNITS = 4_096  # a 4,096-unit stacked LSTM already holds 200 million parameters


def _whole(flag: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{flag} must be a whole number from {low:,} to {high:,}. Received: {value!r}")


def _number(flag: str, value, low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        bounds = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise UsageError(f"{flag} must be a finite number in {bounds}. Received: {value!r}")


def _names(flag: str, values) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise UsageError(f"{flag} must be a list of names. Received: {values!r}")
    return tuple(values)
