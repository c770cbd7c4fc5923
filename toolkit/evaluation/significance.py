"""Is a forecast better than the random walk, or only luckier? Tests and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from toolkit.evaluation.metrics import rmse


def theil_u(actual, predicted, naive) -> float:
    """Theil's U2: RMSE of the forecast over RMSE of the random walk (below 1 beats it)."""
    return rmse(actual, predicted) / rmse(actual, naive)


@dataclass(frozen=True)
class DirectionTest:
    """Pesaran and Timmermann's (1992) test of directional skill.

    A forecast of up or down moves is skilled when its hit rate beats what its own share of
    up calls would score by chance against the actual share of up moves. Markets that
    drift up make "always up" hit often; it still has no skill (and no test: its calls
    never vary).

    Attributes:
        hit_rate: Share of calls with the actual move's sign.
        base_rate: Share of actual moves that were up (over the called samples).
        up_calls: Share of calls that were up.
        calls: Samples with a predicted move (flat forecasts are not calls).
        statistic: The PT statistic, standard normal under no skill; ``nan`` when either
            the calls or the actual moves never change sign.
        p_value: One-sided, ``P(Z >= statistic)``.
    """

    hit_rate: float
    base_rate: float
    up_calls: float
    calls: int
    statistic: float
    p_value: float

    def skilled(self, level: float = 0.05) -> bool:
        return bool(np.isfinite(self.p_value) and self.p_value < level)


def pesaran_timmermann(actual, predicted, origin) -> DirectionTest:
    """Test whether predicted moves from ``origin`` call the sign of actual moves better
    than chance; see :class:`DirectionTest`."""
    actual_move = np.sign(np.asarray(actual, dtype="float64") - np.asarray(origin, dtype="float64"))
    predicted_move = np.sign(np.asarray(predicted, dtype="float64") - np.asarray(origin, dtype="float64"))
    called = predicted_move != 0
    n = int(called.sum())
    nan = float("nan")
    if n == 0:
        return DirectionTest(nan, nan, nan, 0, nan, nan)
    up_actual = actual_move[called] > 0
    up_called = predicted_move[called] > 0
    hit = float(np.mean(up_actual == up_called))
    py, px = float(up_actual.mean()), float(up_called.mean())
    expected = py * px + (1 - py) * (1 - px)
    var_hit = expected * (1 - expected) / n
    var_expected = ((2 * py - 1) ** 2 * px * (1 - px) / n + (2 * px - 1) ** 2 * py * (1 - py) / n
                    + 4 * py * px * (1 - py) * (1 - px) / n ** 2)
    denominator = var_hit - var_expected
    if denominator <= 1e-15 or px in (0.0, 1.0) or py in (0.0, 1.0):
        return DirectionTest(hit, py, px, n, nan, nan)
    statistic = (hit - expected) / np.sqrt(denominator)
    return DirectionTest(hit, py, px, n, float(statistic), float(stats.norm.sf(statistic)))


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm's (1979) step-down adjustment of several p-values (family-wise error control).

    ``nan`` p-values (untestable models) stay ``nan`` and do not count in the family.
    """
    finite = sorted((p, name) for name, p in p_values.items() if np.isfinite(p))
    m = len(finite)
    adjusted, running = {}, 0.0
    for rank, (p, name) in enumerate(finite):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[name] = running
    return {name: adjusted.get(name, float("nan")) for name in p_values}


@dataclass(frozen=True)
class DieboldMariano:
    """Diebold-Mariano test of equal squared-error accuracy, with the Harvey, Leybourne and
    Newbold (1997) small-sample correction.

    Attributes:
        statistic: The corrected statistic; negative when the model's errors are smaller.
        p_value: Two-sided, from Student's t with n - 1 degrees of freedom.
        mean_difference: Mean of (model error^2 - naive error^2).
    """

    statistic: float
    p_value: float
    mean_difference: float

    @property
    def model_better(self) -> bool:
        return self.mean_difference < 0

    def beats(self, level: float = 0.05) -> bool:
        return self.model_better and self.p_value < level


def diebold_mariano(actual, predicted, reference, horizon: int = 1) -> DieboldMariano:
    """Compare ``predicted`` with ``reference`` on squared error.

    The long-run variance of the loss differential uses its autocovariances up to lag
    ``horizon - 1`` (an h-step forecast's errors are MA(h-1) under the null).
    """
    actual = np.asarray(actual, dtype="float64")
    d = (actual - np.asarray(predicted)) ** 2 - (actual - np.asarray(reference)) ** 2
    n = len(d)
    mean = float(d.mean())
    centred = d - mean
    variance = centred @ centred / n
    for lag in range(1, horizon):
        variance += 2 * (centred[lag:] @ centred[:-lag]) / n
    if variance <= 0:
        return DieboldMariano(float("nan"), float("nan"), mean)
    statistic = mean / np.sqrt(variance / n)
    statistic *= np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    p_value = 2 * stats.t.sf(abs(statistic), df=n - 1)
    return DieboldMariano(float(statistic), float(p_value), mean)


def verdict(honesty: dict[str, dict], horizon: int = 1, level: float = 0.05) -> str:
    """The report's sentence: which models beat naive persistence, with Holm-adjusted
    Diebold-Mariano p-values.

    Args:
        honesty: Per model, at least ``dm_better`` (bool) and ``dm_p_holm``; ``"naive"``
            is skipped.
        horizon: Steps ahead of the tested forecasts.
        level: Family-wise significance level. Defaults to 0.05.
    """
    step = "next-day" if horizon == 1 else f"{horizon}-day-ahead"
    if all(name == "naive" for name in honesty):
        return ("Nothing was compared with naive persistence: it is the only model in the run, so there is no "
                "verdict to give.")
    tested = [name for name, h in honesty.items() if name != "naive" and np.isfinite(h["dm_p_holm"])]
    family = (f"p-values Holm-adjusted for the {len(tested)} models compared" if len(tested) > 1
              else "one model compared, no adjustment needed")
    winners = [name for name in tested if honesty[name]["dm_better"] and honesty[name]["dm_p_holm"] < level]
    if not winners:
        return (f"No model beats naive persistence at the {level:.0%} level (Diebold-Mariano test on squared "
                f"{step} errors, all test folds pooled; {family}).")
    listed = ", ".join(f"{name} (adjusted p = {honesty[name]['dm_p_holm']:.3g})" for name in winners)
    return (f"Beating naive persistence at the {level:.0%} level on squared {step} errors "
            f"(Diebold-Mariano, {family}): {listed}.")


@dataclass(frozen=True)
class MoveTest:
    """Does a forecast add anything to the last value? The actual move from the origin
    regressed on the predicted move: ``actual/origin - 1 = a + b (predicted/origin - 1) + e``.

    A forecast that only restates the last price (persistence in disguise: naive plus noise,
    a network that lags the series) predicts moves unrelated to what happens, so ``b`` is
    not above zero. Genuine skill (the optimal AR(1) forecast of an AR(1)) has ``b`` near
    one. The test is one-sided, ``b > 0``: a small p-value is evidence that the predicted
    moves carry information; a large one is *no evidence* of it, not proof of its absence
    (at phi = 0.1, 750 daily forecasts of the oracle AR(1) forecast find the evidence about
    85% of the time; bench/bench_move_test.py).

    The statistic is ``b`` over its Newey-West standard error (Bartlett kernel, ``horizon``
    lags' bandwidth). Its p-value comes from a circular block bootstrap of the (predicted,
    actual) pairs (Politis and Romano, 1992; studentised and centred at ``b``, Goncalves and
    White, 2004), blocks of ``max(12 * horizon, n ** (1/3))`` forecasts: overlapping h-step moves
    make the normal reference oversized (a lagging 5-day average of a random walk passed at
    the 5% level in 10% of 750-forecast samples); the bootstrap's size is measured in
    bench/bench_move_test.py.

    Attributes:
        slope: ``b``.
        statistic: ``b`` over its standard error.
        p_value: One-sided bootstrap p-value, ``(1 + #{t* >= t}) / (B + 1)``; ``nan`` when
            the predicted moves do not vary (a constant drift or no move: nothing to test).
        r_squared: Share of the actual moves' variance the predicted moves explain.
    """

    slope: float
    statistic: float
    p_value: float
    r_squared: float

    def evidence(self, level: float = 0.05) -> bool:
        """Whether the test found evidence, at ``level``, that the predicted moves carry
        information about the actual ones."""
        return bool(np.isfinite(self.p_value) and self.p_value < level and self.slope > 0)


BOOTSTRAP_DRAWS = 999


def block_length(n: int, horizon: int) -> int:
    """Forecasts per bootstrap block: ``max(12 * horizon, ceil(n ** (1/3)))``, at most ``n``."""
    return int(min(n, max(12 * horizon, np.ceil(n ** (1 / 3)))))


def _slopes(y: np.ndarray, x: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """OLS slopes of rows of ``y`` on rows of ``x`` and their Newey-West (Bartlett) errors."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    sxx = np.einsum("...i,...i->...", xc, xc)
    slope = np.einsum("...i,...i->...", xc, yc) / sxx
    score = xc * (yc - slope[..., None] * xc)
    long_run = np.einsum("...i,...i->...", score, score)
    for lag in range(1, lags):
        long_run = long_run + 2 * (1 - lag / lags) * np.einsum("...i,...i->...", score[..., lag:], score[..., :-lag])
    return slope, np.sqrt(np.maximum(long_run, 0.0)) / sxx


def move_test(actual, predicted, origin, horizon: int = 1, draws: int = BOOTSTRAP_DRAWS, seed: int = 0) -> MoveTest:
    """Regress actual on predicted relative moves; see :class:`MoveTest`.

    Args:
        actual: Actual prices ``horizon`` steps after each origin, shape ``(n,)``.
        predicted: Forecasts of those prices, shape ``(n,)``.
        origin: Prices at the forecast origins, shape ``(n,)``, in time order.
        horizon: Steps ahead. Defaults to 1.
        draws: Bootstrap resamples. Defaults to 999.
        seed: Seed of the resampling, so a rerun gives the same p-value. Defaults to 0.
    """
    origin = np.asarray(origin, dtype="float64")
    y = np.asarray(actual, dtype="float64") / origin - 1
    x = np.asarray(predicted, dtype="float64") / origin - 1
    nan = float("nan")
    n = len(y)
    xc = x - x.mean() if n else x
    if n < 3 or float(xc @ xc) <= 1e-24 * max(n, 1) or not np.all(np.isfinite(x)):
        return MoveTest(nan, nan, nan, nan)
    slope, se = (float(v) for v in _slopes(y, x, horizon))
    residual = (y - y.mean()) - slope * xc
    yc = y - y.mean()
    r_squared = 1 - float(residual @ residual) / float(yc @ yc) if float(yc @ yc) > 0 else nan
    if se <= 0:
        return MoveTest(slope, nan, nan, r_squared)
    statistic = slope / se
    length = block_length(n, horizon)
    rng = np.random.default_rng(seed)
    blocks = int(np.ceil(n / length))
    starts = rng.integers(0, n, size=(draws, blocks))  # circular blocks: every forecast equally likely
    boot_t = []
    for chunk in np.array_split(starts, max(1, draws * n // 2_000_000)):  # bounded memory on long histories
        rows = (chunk[:, :, None] + np.arange(length)).reshape(len(chunk), -1)[:, :n] % n
        boot_slope, boot_se = _slopes(y[rows], x[rows], length)
        with np.errstate(divide="ignore", invalid="ignore"):
            boot_t.append((boot_slope - slope) / boot_se)
    boot_t = np.concatenate(boot_t)
    boot_t = boot_t[np.isfinite(boot_t)]
    p_value = (1 + int(np.sum(boot_t >= statistic))) / (len(boot_t) + 1)
    return MoveTest(slope, float(statistic), float(p_value), r_squared)
