"""Sine waves and a noisy function: the tutorial's RNN (5 lags) and LSTM (10 lags) beside the
lecture's Transformer (10 lags, attention), and the tutorial's Gaussian noise model
(homoscedastic) beside a heteroscedastic head."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from toolkit.reports import plots
from toolkit.reports.science import ScienceResult, Section, Table
from toolkit.runs.common import positive


@dataclass(frozen=True)
class SineConfig:
    """Settings of the sine pipeline.

    Attributes:
        points: Samples of the sine wave (period 50 samples). Defaults to 1,000.
        train_fraction: Leading share used for training (the rest is the test). Defaults to 0.7.
        noise: Standard deviation of noise added to the training wave. Defaults to 0.
        free_run: Steps of the free-running (recursive) forecast from the test start. Defaults to 200.
        epochs: Defaults to 60.
        batch_size: Defaults to 32.
        units: Hidden units of the RNN and LSTM. Defaults to 20.
        function_points: Samples of the noisy 1-D function for the Gaussian MLP. Defaults to 1,000.
        seed: Defaults to 42.
    """

    points: int = 1000
    train_fraction: float = 0.7
    noise: float = 0.0
    free_run: int = 200
    epochs: int = 60
    batch_size: int = 32
    units: int = 20
    function_points: int = 1000
    seed: int = 42
    quick: bool = False
    verbose: int = 2

    def quick_profile(self) -> "SineConfig":
        return replace(self, points=300, free_run=50, epochs=10, function_points=200, quick=True)

    def validate(self) -> "SineConfig":
        positive(self, "points", "free_run", "epochs", "batch_size", "units", "function_points")
        from toolkit.errors import UsageError

        if not 0.2 <= self.train_fraction < 1 or self.noise < 0:
            raise UsageError(f"train_fraction must lie in [0.2, 1) and noise be >= 0. "
                             f"Received: train_fraction={self.train_fraction}, noise={self.noise}")
        return self


def noisy_function(n: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x in [-3, 3], f(x) = x sin(x), noise sd 0.1 + 0.15 |x| (it grows away from 0)."""
    x = np.sort(rng.uniform(-3, 3, n)).astype("float32")
    f = x * np.sin(x)
    sd = 0.1 + 0.15 * np.abs(x)
    return x, f, sd, (f + rng.normal(0, 1, n) * sd).astype("float32")


def _noise_caption(by_noise: dict) -> str:
    """What the coverages of this run show, in words (not what they should show)."""
    homo = by_noise["homoscedastic"]
    text = ("Noise sd error: the mean relative error of the predicted noise standard deviation against the true "
            "0.1 + 0.15 |x|. ")
    if homo["coverage_95_inner"] > 0.95 > homo["coverage_95_outer"]:
        return text + ("Here the single variance over-covers where the noise is small and under-covers where it is "
                       "large, as one variance for every x must.")
    return text + (f"Here the single variance covers {homo['coverage_95_inner']:.1%} where the noise is small and "
                   f"{homo['coverage_95_outer']:.1%} where it is large: too wide everywhere at this training length "
                   "(the full profile shows the pattern one variance must make: too wide where the noise is small, "
                   "too narrow where it is large).")


def run_sine(config: SineConfig, *, log=print) -> ScienceResult:
    from toolkit.builders import (
        attention_maps, gaussian_mlp, lag_lstm, simple_rnn, split_mean_variance, transformer_forecaster,
    )
    from toolkit.evaluation.intervals import coverage, gaussian_interval
    from toolkit.evaluation.metrics import rmse
    from toolkit.pipelines.lags import lagged_samples
    from toolkit.training import fit, set_seed

    rng = np.random.default_rng(config.seed)
    t = np.arange(config.points, dtype="float32")
    wave = np.sin(2 * np.pi * t / 50).astype("float32")
    observed = (wave + rng.normal(0, config.noise, config.points)).astype("float32") if config.noise else wave
    cut = int(config.points * config.train_fraction)
    rows, curves, histories, models = [], {}, {}, {}
    free_steps = min(config.free_run, config.points - cut)
    def transformer(lags, units, learning_rate):
        # The lecture's attention model at about the LSTM's size: 10 lags, d = 16, two heads.
        return transformer_forecaster(window=lags, d_model=16, num_heads=2, ff_units=2 * units, encoder_layers=1,
                                      decoder_layers=1, dropout=0.0, learning_rate=learning_rate)

    for name, build, lags in (("rnn", simple_rnn, 5), ("lstm", lag_lstm, 10), ("transformer", transformer, 10)):
        set_seed(config.seed)
        model = build(lags=lags, units=config.units, learning_rate=3e-3)
        x, y = lagged_samples(observed[:cut], lags)
        record = fit(model, x, y, validation_data=None, epochs=config.epochs, batch_size=config.batch_size,
                     patience=None, verbose=config.verbose)
        # One step: every test value from the true previous `lags` values.
        x_all, _ = lagged_samples(wave, lags)
        one_step = model.predict(x_all[cut - lags:], verbose=0)[:, 0]
        # Free-running: from the last training window, fed its own outputs.
        window = wave[cut - lags:cut].copy()
        free = []
        for _ in range(free_steps):  # one step at a time by definition: each input is the last output
            value = float(model(window[None, :, None], training=False)[0, 0])
            free.append(value)
            window = np.append(window[1:], value)
        free = np.array(free)
        rows.append([f"{name.upper() if name != 'transformer' else 'Transformer'} ({lags} lags)", model.count_params(),
                     record.epochs_run,
                     rmse(wave[cut:], one_step), rmse(wave[cut:cut + free_steps], free)])
        curves[f"{name} one-step"] = one_step
        curves[f"{name} free-running"] = free
        histories[name], models[name] = record.history, model
        log(f"[{name}] one-step RMSE {rows[-1][3]:.4f}, free-running RMSE {rows[-1][4]:.4f}")

    # What the Transformer's forecast of the first test value attends to, head by head.
    last_window = wave[cut - 10:cut][None, :, None]
    cross = attention_maps(models["transformer"], last_window, "decoder_1_cross_attention")[0, :, 0, :]

    x, f, sd, y = noisy_function(config.function_points, rng)
    # Fresh draws at the same x score the likelihood out of sample.
    y_fresh = (f + rng.normal(0, 1, config.function_points) * sd).astype("float32")
    noise_rows, bands, means, by_noise = [], {}, {}, {}
    for noise in ("homoscedastic", "heteroscedastic"):
        set_seed(config.seed)
        gaussian = gaussian_mlp(input_dim=1, hidden_units=(50, 50), noise=noise, learning_rate=3e-3,
                                name=f"gaussian_mlp_{noise}")
        record = fit(gaussian, x[:, None], y, epochs=config.epochs * 4, batch_size=config.batch_size,
                     patience=None, verbose=config.verbose)
        mean, variance = split_mean_variance(gaussian.predict(x[:, None], verbose=0))
        lower, upper = gaussian_interval(mean, variance, 0.95)
        inner, outer = np.abs(x) < 1, np.abs(x) > 2
        nll = float(np.mean(0.5 * (np.log(2 * np.pi * variance) + (y_fresh - mean) ** 2 / variance)))
        row = {"coverage_95": coverage(y, lower, upper), "coverage_95_inner": coverage(y[inner], lower[inner], upper[inner]),
               "coverage_95_outer": coverage(y[outer], lower[outer], upper[outer]),
               "noise_sd_relative_error": float(np.mean(np.abs(np.sqrt(variance) - sd) / sd)),
               "fresh_nll": nll, "mean_rmse": rmse(f, mean)}
        label = "homoscedastic (the tutorial's)" if noise == "homoscedastic" else "heteroscedastic"
        noise_rows.append([label, gaussian.count_params(), f"{row['coverage_95']:.1%}", f"{row['coverage_95_inner']:.1%}",
                           f"{row['coverage_95_outer']:.1%}", f"{row['noise_sd_relative_error']:.1%}", nll, row["mean_rmse"]])
        bands[noise], means[noise] = (lower, upper), mean
        models[f"gaussian_mlp_{noise}"] = gaussian
        histories[f"gaussian_mlp_{noise}"] = record.history
        by_noise[noise] = row
        log(f"[gaussian_mlp {noise}] 95% band covers {row['coverage_95']:.1%} (|x|<1: {row['coverage_95_inner']:.1%}, "
            f"|x|>2: {row['coverage_95_outer']:.1%}); fresh NLL {nll:.3f}")

    test_t = t[cut:]
    sections = [
        Section("Sine wave: one-step and free-running forecasts",
                f"sin(2 pi t / 50), {config.points} samples; the first {cut} train the networks "
                + (f" (with noise sd {config.noise}); " if config.noise else "; ")
                + "the rest is the test. One-step forecasts see the true previous values; free-running "
                "forecasts start at the test's first step and see only their own outputs.",
                tables=[Table(["model", "parameters", "epochs", "one-step RMSE", f"free-running RMSE ({free_steps} steps)"],
                              rows)])
        .figure(plots.series_figure(test_t, {"actual": wave[cut:], **{k: v for k, v in curves.items() if "one-step" in k}},
                                    "one-step forecasts on the test part"))
        .figure(plots.series_figure(test_t, {"actual": wave[cut:], **{k: v for k, v in curves.items() if "free" in k}},
                                    "free-running forecasts from the test start"))
        .figure(plots.attention_figure(cross, "Transformer: attention of the first test forecast over its 10 lags",
                                       [f"t-{10 - i}" for i in range(10)]),
                "Cross-attention weights of the decoder's query over the encoded window (each head's row sums to 1)."),
        Section("Gaussian noise models",
                "The tutorial's MLP (two tanh layers of 50) with a Gaussian noise model, trained by negative "
                "log-likelihood on y = x sin(x) + noise whose standard deviation grows with |x| (0.1 + 0.15 |x|). "
                "The tutorial's model is homoscedastic: one learned variance for every x. The heteroscedastic head "
                "learns a variance per input. Coverage is of the training data by the 95% band, overall and where the "
                "noise is small (|x| < 1) or large (|x| > 2); the NLL is on fresh draws at the same x.",
                tables=[Table(["noise model", "parameters", "95% coverage", "|x| < 1", "|x| > 2",
                               "noise sd error", "fresh NLL", "RMSE of the mean"], noise_rows,
                              _noise_caption(by_noise))])
        .figure(plots.series_figure(x, {"true function": f, **{f"mean ({n})": m for n, m in means.items()}},
                                    "means and 95% bands", bands={f"95% band ({n})": b for n, b in bands.items()},
                                    xlabel="x")),
        Section("Loss curves")
        .figure(plots.history_figure(histories["rnn"], "RNN", ("loss",)))
        .figure(plots.history_figure(histories["lstm"], "LSTM", ("loss",)))
        .figure(plots.history_figure(histories["transformer"], "Transformer", ("loss",)))
        .figure(plots.history_figure({n: histories[f"gaussian_mlp_{n}"]["loss"] for n in by_noise},
                                     "Gaussian MLPs (NLL)", log=False)),
    ]
    summary = (f"One-step RMSE: RNN {rows[0][3]:.3g}, LSTM {rows[1][3]:.3g}, Transformer {rows[2][3]:.3g}; free-running "
               f"RMSE over {free_steps} steps: RNN {rows[0][4]:.3g}, LSTM {rows[1][4]:.3g}, Transformer {rows[2][4]:.3g}. "
               f"95% bands where the noise is large (|x| > 2): tutorial's "
               f"homoscedastic model {by_noise['homoscedastic']['coverage_95_outer']:.1%}, heteroscedastic "
               f"{by_noise['heteroscedastic']['coverage_95_outer']:.1%}.")
    metrics = {"rnn": dict(zip(("one_step_rmse", "free_running_rmse"), rows[0][3:])),
               "lstm": dict(zip(("one_step_rmse", "free_running_rmse"), rows[1][3:])),
               "transformer": dict(zip(("one_step_rmse", "free_running_rmse"), rows[2][3:])),
               "gaussian_mlp": by_noise}
    return ScienceResult(kind="sine", title="Sine waves: RNN, LSTM, Transformer and the Gaussian noise model", summary=summary,
                         sections=sections, metrics=metrics, config={}, models=models)
