"""Settings of a risk run, checked once, before any data is read."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from toolkit.errors import UsageError

#: Built-in variance models by name (defined in :mod:`toolkit.runs.risk.models`).
MODELS = ("hist22", "hist66", "hist252", "ewma", "garch", "garch_t", "gjr", "gjr_t", "egarch", "egarch_t", "har",
          "harx", "lstm")
DEFAULT_MODELS = tuple(m for m in MODELS if m != "harx")  # harx joins when an exogenous column is given
#: VaR and ES from a variance forecast: normal, Student-t, filtered historical simulation, conformal.
VAR_METHODS = ("normal", "student_t", "fhs", "conformal")
METHOD_TITLES = {"normal": "normal", "student_t": "Student-t", "fhs": "FHS", "conformal": "conformal"}
MAX_ROWS_QUICK = 2_000
#: The first row of every model's standardised training returns (a year in: the 252-day
#: historical variance needs that many days before its first forecast).
FIRST_SHOCK = 252


@dataclass(frozen=True)
class RiskConfig:
    """Settings of the risk run.

    Attributes:
        models: Variance models, from :data:`MODELS` (the reference always runs, and yours
            join). Defaults to all but ``harx``, which joins when ``exog_column`` is given.
        reference: The model every other is tested against (Diebold-Mariano on QLIKE).
            Defaults to ``"hist22"``, the 22-day historical variance.
        proxy: The variance proxy forecasts are scored against and trained on. Defaults to
            ``"close_to_close"`` (squared returns: noisy but unbiased for the close-to-close
            variance a VaR needs; Patton's QLIKE and MSE rank correctly with it).
        feature_proxy: The proxy HAR and the network read. Defaults to ``"parkinson"`` (High
            and Low only: right where a file's Open is the previous close).
        min_train: Days before the first forecast: a year, then enough standardised returns
            for the filtered historical simulation (ten beyond the highest level's quantile:
            1,000 at 99%). Defaults to 1,260 (five years).
        refit_every: Days between refits of the statistical models. Defaults to 63 (a quarter).
        network_refit_every: Days between refits of the networks. Defaults to 1,008 (four years).
        levels: VaR confidence levels. Defaults to (0.95, 0.99).
        calibration_days: Past standardised returns of the conformal VaR. Defaults to 500.
        exog_column: A column of the price file read as the exogenous series of HAR-X (e.g.
            the VIX), known at each close. Defaults to "" (none).
        window: Days per network input window. Defaults to 22.
        epochs: Most epochs of a network. Defaults to 30.
        max_rows: Newest rows used (0: all). Defaults to 0.
        mcs_size: The model confidence set's level (0.10 keeps a 90% set). Defaults to 0.10.
        calendar: Exchange calendar of tomorrow's date (None: from the ticker).
        seed: Defaults to 42.
        verbose: Keras progress. Defaults to 0.
        quick: The small profile (set by :meth:`quick_profile`).
    """

    models: tuple[str, ...] = DEFAULT_MODELS
    reference: str = "hist22"
    proxy: str = "close_to_close"
    feature_proxy: str = "parkinson"
    min_train: int = 1_260
    refit_every: int = 63
    network_refit_every: int = 1_008
    levels: tuple[float, ...] = (0.95, 0.99)
    calibration_days: int = 500
    exog_column: str = ""
    window: int = 22
    epochs: int = 30
    max_rows: int = 0
    mcs_size: float = 0.10
    calendar: str | None = None
    seed: int = 42
    verbose: int = 0
    quick: bool = False

    NOT_SETTINGS = ("verbose",)

    def quick_profile(self) -> "RiskConfig":
        """The same run made small for tests and a first look: the newest 2,000 rows (740
        forecast days), one network fit of at most 3 epochs."""
        rows = MAX_ROWS_QUICK if not self.max_rows else min(self.max_rows, MAX_ROWS_QUICK)
        return replace(self, max_rows=rows, epochs=min(self.epochs, 3),
                       network_refit_every=max(self.network_refit_every, rows), quick=True)

    def lineup(self) -> tuple[str, ...]:
        """The models run: the reference first, ``harx`` added when an exogenous column is given."""
        names = list(dict.fromkeys((self.reference, *self.models)))
        if self.exog_column and "harx" not in names:
            names.append("harx")
        return tuple(names)

    def validate(self) -> "RiskConfig":
        """Check every value; returns a copy with names normalised. Raises :class:`UsageError`."""
        from toolkit.data.calendars import check_calendar
        from toolkit.evaluation.risk_measures import shocks_needed
        from toolkit.evaluation.volatility import PROXIES

        models = tuple(dict.fromkeys(str(m).strip().lower().replace("-", "_") for m in self.models if str(m).strip()))
        unknown = [m for m in models if m not in MODELS]
        if unknown:
            raise UsageError(f"models must be from {', '.join(MODELS)}. Received: {', '.join(unknown) or 'none'}")
        reference = str(self.reference).strip().lower()
        if reference not in MODELS or reference in ("lstm",):
            raise UsageError(f"reference must be a statistical model from {', '.join(MODELS[:-1])}. "
                             f"Received: reference={self.reference!r}")
        if "harx" in models + (reference,) and not self.exog_column:
            raise UsageError("harx needs an exogenous series: give exog_column (--exog-column NAME), a column of the "
                             "price file such as a VIX close")
        for name in ("proxy", "feature_proxy"):
            if getattr(self, name) not in PROXIES:
                raise UsageError(f"{name} must be one of {', '.join(PROXIES)}. Received: {getattr(self, name)!r}")
        for name, low, high in (("min_train", 2 * FIRST_SHOCK, 1_000_000), ("refit_every", 1, 1_000_000),
                                ("network_refit_every", 1, 1_000_000), ("calibration_days", 100, 100_000),
                                ("window", 2, 1_000), ("epochs", 1, 10_000), ("max_rows", 0, 10_000_000),
                                ("seed", 0, 2 ** 32 - 1), ("verbose", 0, 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise UsageError(f"{name} must be a whole number from {low:,} to {high:,}. Received: {name}={value!r}")
        levels = tuple(self.levels)
        if not levels or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.5 < v < 1
                             for v in levels):
            raise UsageError(f"levels must be VaR confidences between 0.5 and 1, e.g. 0.95,0.99. Received: {levels!r}")
        shocks = FIRST_SHOCK + shocks_needed(max(levels))
        if self.min_train < shocks:
            raise UsageError(f"min_train must be at least {shocks:,} for a {max(levels):g} VaR: {FIRST_SHOCK} days before "
                             f"the first standardised return, then ten beyond the quantile. Received: "
                             f"min_train={self.min_train:,}")
        tail_days = min(1 - v for v in levels) * self.calibration_days
        if tail_days < 5:
            raise UsageError(f"calibration_days must leave at least 5 past days beyond the highest VaR level "
                             f"({max(levels):g}); {self.calibration_days} leaves {tail_days:.1f}. Received: "
                             f"calibration_days={self.calibration_days}")
        size = self.mcs_size
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not math.isfinite(size) or not 0 < size < 0.5:
            raise UsageError(f"mcs_size must be between 0 and 0.5 (0.10 keeps a 90% set). Received: mcs_size={size!r}")
        if self.max_rows and self.max_rows < self.min_train + 250:
            raise UsageError(f"max_rows must leave at least 250 forecast days after min_train={self.min_train:,}. "
                             f"Received: max_rows={self.max_rows:,}")
        return replace(self, models=models, reference=reference, levels=tuple(sorted({float(v) for v in levels})),
                       calendar=check_calendar(self.calendar), exog_column=str(self.exog_column or "").strip())
