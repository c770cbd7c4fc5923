"""Command line: parses, calls a run, maps errors to exit codes.

Exit codes: 0 success, 1 a run that failed (data that cannot be had or used), 2 bad usage
(unknown options, impossible values). Errors are one line on stderr, never a traceback;
set ``TOOLKIT_DEBUG=1`` to see the traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

from toolkit import __version__
from toolkit.cli_options import add_backend, add_data_options, add_universe_options, price_request
from toolkit.errors import ToolkitError

REPORTS_ENV = "TOOLKIT_REPORTS_DIR"


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so staged output is cleaned up as for Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse itself prints the whole usage first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _default_out() -> Path:
    return Path(os.environ.get(REPORTS_ENV, "reports"))


def _keras_progress(args) -> int:
    """Keras' training progress: none with --quiet; on a terminal a bar that moves within each
    epoch; otherwise (a log file, CI) one line per epoch, so a piped run is never silent for
    longer than an epoch."""
    if args.quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


def _add_forecast(commands) -> None:
    from toolkit.runs.forecast.config import MODELS, TARGETS, ForecastConfig

    defaults = ForecastConfig()
    p = commands.add_parser(
        "forecast",
        help="backtest the stacked LSTM and other models against honest baselines, write an HTML report",
        description="Forecast a daily price series: fetch (or read) prices, split them in time "
        "(one split or walk-forward folds), train the lecture's stacked LSTM and the other chosen "
        "models beside the benchmarks forecasters expect (naive, drift, mean return, moving average, "
        "linear, ETS, ARIMA), test whether any beats naive (Diebold-Mariano, Holm-adjusted), give "
        "every model calibrated conformal intervals, forecast the next trading days with every model "
        "refitted on all rows, and write a self-contained HTML report with metrics.json and the "
        "trained models.",
        epilog="Data: Yahoo Finance when reachable, cached under data/cache (or --cache-dir, "
        "$TOOLKIT_CACHE_DIR); with no network the cache, then the bundled ^GSPC / ^IXIC "
        "(1999-2018), serve. Exit codes: 0 ok, 1 run failed, 2 bad usage.",
    )
    p.add_argument("tickers", nargs="*", default=[], metavar="TICKER",
                   help="Yahoo Finance symbols, e.g. SPY AAPL ^GSPC, or CSV paths (default: ^GSPC, bundled); "
                        "more than one writes a leaderboard beside each ticker's report")
    add_universe_options(p, "(ticker, fold)")
    add_data_options(p)
    p.add_argument("--window", type=int, default=defaults.window, help="input steps per sample (default: %(default)s)")
    p.add_argument("--horizon", type=int, default=defaults.horizon,
                   help="trading days ahead to forecast (default: %(default)s)")
    p.add_argument("--target", choices=TARGETS, default=defaults.target,
                   help="what the networks and the linear model learn: scale-free log returns, or the "
                        "lecture's min-max scaled price level, which extrapolates once prices leave the "
                        "training range (default: %(default)s); metrics are in price units either way")
    p.add_argument("--features", default=",".join(defaults.features), metavar="LIST",
                   help="input columns: close, open, high, low, volume, return (default: %(default)s)")
    p.add_argument("--models", default=",".join(defaults.models), metavar="LIST",
                   help=f"models: {', '.join(MODELS)}, or yours as NAME=package.module:ATTR or "
                        "NAME=path/to/file.py:ATTR, where ATTR is a Keras builder function, a scikit-learn "
                        "regressor or a statsforecast model (importing it runs its code) (default: %(default)s)")
    p.add_argument("--multistep", choices=("direct", "recursive"), default=defaults.multistep,
                   help="multi-step forecasts: one output per step, or a one-step model fed its own "
                        "forecasts (default: %(default)s)")
    p.add_argument("--folds", type=int, default=defaults.folds,
                   help="walk-forward folds; 1 is a single chronological split (default: %(default)s)")
    p.add_argument("--fold-mode", choices=("expanding", "sliding"), default=defaults.fold_mode,
                   help="training window of later folds (default: %(default)s)")
    p.add_argument("--frozen", action="store_true",
                   help="train on the first fold only and keep those models and scalers for later folds")
    p.add_argument("--gap", type=int, default=None,
                   help="rows between the last training target and the first test target (default: the horizon)")
    p.add_argument("--calendar", metavar="NAME", default=None,
                   help="exchange calendar of the forecast past the data, e.g. XNYS, XLON, 24/7, "
                        "business-days (default: from the ticker, XNYS for US symbols; business days for --csv)")
    p.add_argument("--cost-bps", type=float, default=defaults.cost_bps,
                   help="strategy check: cost per position change in basis points (default: %(default)s)")
    p.add_argument("--mc-samples", type=int, default=defaults.mc_samples,
                   help="Monte Carlo dropout passes for the LSTM/GRU's own intervals, 0 for none; every model "
                        "gets conformal intervals regardless (default: %(default)s)")
    p.add_argument("--tune", type=int, default=defaults.tune_trials, metavar="TRIALS",
                   help="search each network's hyperparameters with this many trials per fold (Optuna), scored on "
                        "inner splits of the fold's training rows only; the tuned copy NAME_tuned joins the "
                        "comparison (default: %(default)s, no search)")
    p.add_argument("--tune-minutes", type=float, default=None, metavar="MINUTES",
                   help="most minutes of each search (default: no limit)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"most epochs of each network (default: {defaults.epochs}; 3 with --quick, unless given)")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size, help="(default: %(default)s)")
    p.add_argument("--patience", type=int, default=defaults.patience,
                   help="early-stopping patience in epochs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help=f"folder for reports (default: ${REPORTS_ENV} or ./reports)")
    p.add_argument("--quick", action="store_true",
                   help="small profile for a first look and tests: newest 1,000 rows, 32-unit LSTM, 3 epochs")
    p.add_argument("--quiet", action="store_true", help="no Keras per-epoch lines")
    add_backend(p)
    p.set_defaults(handler=_forecast)


def _forecast(args) -> int:
    from toolkit.backend import select_backend
    from toolkit.data.universe import collect_universe
    from toolkit.runs.executors import make_executor
    from toolkit.runs.forecast import ForecastConfig, forecast_job
    from toolkit.runs.universe import universe_job

    select_backend(args.backend)
    config = ForecastConfig(window=args.window, horizon=args.horizon, target=args.target,
                            features=tuple(args.features.split(",")), models=tuple(args.models.split(",")),
                            multistep=args.multistep, folds=args.folds, fold_mode=args.fold_mode,
                            refit=not args.frozen, gap=args.gap, calendar=args.calendar, cost_bps=args.cost_bps,
                            mc_samples=args.mc_samples,
                            epochs=ForecastConfig.epochs if args.epochs is None else args.epochs, batch_size=args.batch_size,
                            patience=args.patience, seed=args.seed, tune_trials=args.tune,
                            tune_minutes=args.tune_minutes, verbose=_keras_progress(args))
    if args.quick:
        config = config.quick_profile()
        if args.epochs is not None:  # a value given on the command line beats the profile's
            from dataclasses import replace

            config = replace(config, epochs=args.epochs)
    universe = len(args.tickers) > 1 or args.tickers_file is not None or args.executor != "local"
    request = price_request(args, None if universe or not args.tickers else args.tickers[0])
    # Checks the Ray options (and that Ray is installed) before any data is read, on both paths.
    executor = make_executor(args.executor, address=args.ray_address, cpus_per_task=args.cpus_per_task,
                             gpus_per_task=args.gpus_per_task)
    if not universe:
        if args.tickers and args.csv is None:  # one ticker: a symbol or a CSV path, as a universe reads them
            request = collect_universe(args.tickers, None, price_request(args, None))[0].request
        forecast_job(request, config, args.out or _default_out())
        return 0
    config = config.validate()
    universe_job(collect_universe(args.tickers, args.tickers_file, request), config, args.out or _default_out(),
                 executor).raise_for_failures()
    return 0


def _add_risk(commands) -> None:
    from toolkit.runs.risk.config import MODELS, RiskConfig

    proxies = "close_to_close, parkinson, garman_klass, rogers_satchell or yang_zhang"  # numpy-free, as help must be

    d = RiskConfig()
    p = commands.add_parser(
        "risk",
        help="forecast volatility and Value-at-Risk, backtest them (Kupiec, Christoffersen, Basel), write an HTML report",
        description="Risk forecasts of a daily price series: walk volatility models forward (historical variance, "
        "EWMA, GARCH, GJR-GARCH and EGARCH with normal and Student-t errors, HAR, an LSTM on log variance, and "
        "yours), score them against a variance proxy (QLIKE and MSE; Diebold-Mariano with Holm, Mincer-Zarnowitz, "
        "the model confidence set), turn each into VaR and expected shortfall at 95% and 99% (normal, Student-t, "
        "filtered historical simulation, conformal), backtest those, and forecast tomorrow's volatility and VaR.",
        epilog="A separate command, not a mode of forecast: the target (variance), losses, benchmarks and backtests "
        "all differ. Data as for forecast; Open, High and Low give the range proxies (without them, squared returns "
        "serve, and the report says so). Exit codes: 0 ok, 1 run failed, 2 bad usage.",
    )
    p.add_argument("tickers", nargs="*", default=[], metavar="TICKER",
                   help="Yahoo Finance symbols or CSV paths (default: ^GSPC, bundled); more than one writes a "
                        "leaderboard beside each ticker's report")
    add_universe_options(p, "ticker")
    add_data_options(p)
    p.add_argument("--models", default=",".join(d.models), metavar="LIST",
                   help=f"variance models: {', '.join(MODELS)}, or yours as NAME=path/to/file.py:ATTR or "
                        "NAME=package.module:ATTR (a VarianceForecaster class or a Keras builder; importing it runs its "
                        "code) (default: %(default)s)")
    p.add_argument("--reference", default=d.reference,
                   help="the model every other is tested against on QLIKE (default: %(default)s)")
    p.add_argument("--proxy", default=d.proxy, metavar="NAME",
                   help=f"variance proxy forecasts are scored against and trained on: {proxies} (default: %(default)s)")
    p.add_argument("--feature-proxy", default=d.feature_proxy, metavar="NAME",
                   help=f"proxy HAR and the networks read: {proxies} (default: %(default)s)")
    p.add_argument("--min-train", type=int, default=d.min_train,
                   help="days before the first forecast (default: %(default)s)")
    p.add_argument("--refit-every", type=int, default=d.refit_every,
                   help="days between refits of the statistical models (default: %(default)s)")
    p.add_argument("--network-refit-every", type=int, default=d.network_refit_every,
                   help="days between refits of the networks (default: %(default)s)")
    p.add_argument("--levels", default=",".join(f"{v:g}" for v in d.levels), metavar="LIST",
                   help="VaR confidence levels (default: %(default)s)")
    p.add_argument("--calibration-days", type=int, default=d.calibration_days,
                   help="past standardised returns of the conformal VaR (default: %(default)s)")
    p.add_argument("--exog-column", default="", metavar="NAME",
                   help="a column of the price file (e.g. a VIX close) for HAR-X, which then joins (default: none)")
    p.add_argument("--window", type=int, default=d.window, help="days per network window (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"most epochs of each network fit (default: {d.epochs}; 3 with --quick, unless given)")
    p.add_argument("--max-rows", type=int, default=d.max_rows, help="newest rows used, 0 for all (default: %(default)s)")
    p.add_argument("--calendar", metavar="NAME", default=None,
                   help="exchange calendar of tomorrow's date (default: from the ticker)")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help=f"folder for reports (default: ${REPORTS_ENV} or ./reports)")
    p.add_argument("--quick", action="store_true",
                   help="small profile for a first look and tests: newest 2,000 rows, one 3-epoch network fit")
    add_backend(p)
    p.set_defaults(handler=_risk)


def _levels(text: str) -> tuple[float, ...]:
    from toolkit.errors import UsageError

    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"--levels must be numbers such as 0.95,0.99. Received: {text!r}") from None


def _risk(args) -> int:
    from toolkit.backend import select_backend
    from toolkit.runs.risk.config import RiskConfig
    from toolkit.runs.risk.job import risk_job

    select_backend(args.backend)
    entries = [e.strip() for e in args.models.split(",") if e.strip()]
    models = {}
    for entry in entries:
        name, sep, reference = entry.partition("=")
        if sep:
            models[name.strip()] = reference.strip()
    config = RiskConfig(models=tuple(e for e in entries if "=" not in e), reference=args.reference, proxy=args.proxy,
                        feature_proxy=args.feature_proxy, min_train=args.min_train, refit_every=args.refit_every,
                        network_refit_every=args.network_refit_every, levels=_levels(args.levels),
                        calibration_days=args.calibration_days, exog_column=args.exog_column, window=args.window,
                        epochs=RiskConfig.epochs if args.epochs is None else args.epochs, max_rows=args.max_rows,
                        calendar=args.calendar, seed=args.seed)
    if args.quick:
        config = config.quick_profile()
        if args.epochs is not None:
            config = replace(config, epochs=args.epochs)
    from toolkit.data.universe import collect_universe
    from toolkit.runs.executors import make_executor

    universe = len(args.tickers) > 1 or args.tickers_file is not None or args.executor != "local"
    request = price_request(args, None if universe or not args.tickers else args.tickers[0])
    executor = make_executor(args.executor, address=args.ray_address, cpus_per_task=args.cpus_per_task,
                             gpus_per_task=args.gpus_per_task)  # Ray's options checked before any data is read
    if not universe:
        if args.tickers and args.csv is None:  # one ticker: a symbol or a CSV path, as a universe reads them
            request = collect_universe(args.tickers, None, price_request(args, None))[0].request
        risk_job(request, config, args.out or _default_out(), models=models)
        return 0
    from toolkit.runs.risk.universe import risk_universe_job

    risk_universe_job(collect_universe(args.tickers, args.tickers_file, request), config,
                      args.out or _default_out(), executor, models=models)
    return 0


def _add_run(commands) -> None:
    p = commands.add_parser("run", help="run a pipeline file from pipelines/ (e.g. forecast)",
                            description="Run a pipeline described by a TOML file in pipelines/ "
                            "(`toolkit run forecast` or `toolkit run path/to/file.toml`).")
    p.add_argument("pipeline", help="a pipeline name (pipelines/NAME.toml) or a .toml path")
    p.add_argument("--quick", action="store_true", help="the pipeline's small profile (tests, a first look)")
    p.add_argument("--seed", type=int, default=None, help="override the file's seed")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help=f"folder for reports (default: ${REPORTS_ENV} or ./reports)")
    p.add_argument("--quiet", action="store_true", help="no Keras per-epoch lines")
    add_backend(p)
    p.set_defaults(handler=_run)


def _run(args) -> int:
    from toolkit.backend import select_backend
    from toolkit.runs.pipeline_file import load_pipeline, resolve_pipeline
    from toolkit.runs.registry import PIPELINE_KINDS

    pipeline = load_pipeline(resolve_pipeline(args.pipeline), {k: v.sections for k, v in PIPELINE_KINDS.items()})
    # The command line over the file, the file over $KERAS_BACKEND (what None selects).
    given = args.backend is not None
    select_backend(args.backend if given else pipeline.backend, "--backend" if given else f"{pipeline.path}: backend")
    PIPELINE_KINDS[pipeline.kind].run(pipeline, quick=args.quick, seed=args.seed,
                                      out_dir=args.out or _default_out(), verbose=_keras_progress(args))
    return 0


def _add_compare(commands) -> None:
    p = commands.add_parser("compare", help="set the same models side by side across forecast runs",
                            description="Compare forecast runs (report folders written by toolkit forecast): "
                            "each model's MASE, MAE, Holm-adjusted DM p-value and interval coverage per run, "
                            "and the settings that differ, in one HTML report.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="forecast report folders (or their report.html)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help=f"folder for the comparison (default: ${REPORTS_ENV} or ./reports)")
    p.set_defaults(handler=_compare)


def _compare(args) -> int:
    from toolkit.runs.compare import compare_job

    compare_job(args.runs, args.out or _default_out())
    return 0


def _add_models(commands) -> None:
    p = commands.add_parser("models", help="list the model builders: name, family, parameters, description, arguments",
                            description="List every registered builder with its parameter count at the defaults (the "
                            "same on every Keras backend) and its arguments; name builders to see only those.")
    p.add_argument("names", nargs="*", metavar="NAME", help="builders to show (default: all)")
    add_backend(p)  # given, it is selected and named (importing Keras: a few seconds); the counts do not change
    p.set_defaults(handler=_models)


def _wrapped(text: str, indent: str, width: int = 100) -> str:
    import textwrap

    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent + "  ")


def _models(args) -> int:
    import json

    from toolkit.errors import UsageError

    # Written from the registry by toolkit.builders.catalogue (a test keeps it current); read here as
    # a file, since importing toolkit.builders imports Keras.
    entries = json.loads((Path(__file__).with_name("builders") / "catalogue.json").read_text(encoding="utf-8"))
    known = {e["name"]: e for e in entries}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        raise UsageError(f"unknown builder {', '.join(map(repr, unknown))}; choose from {', '.join(sorted(known))}")
    shown = [known[n] for n in args.names] if args.names else entries
    if args.backend is not None:
        from toolkit.backend import label, select_backend

        select_backend(args.backend)
        print(f"Keras backend: {label()}")
    widths = [max(len(e[k]) for e in shown + [{"name": "name", "family": "family"}]) for k in ("name", "family")]
    count = max(len(f"{e['parameters']:,}") for e in shown + [{"parameters": 0}])
    count = max(count, len("parameters"))
    print(f"{'name':<{widths[0]}}  {'family':<{widths[1]}}  {'parameters':>{count}}  description")
    for e in shown:
        print(f"{e['name']:<{widths[0]}}  {e['family']:<{widths[1]}}  {e['parameters']:>{count},}  {e['description']}")
        arguments = ", ".join(k if v is None else f"{k}={v}" for k, v in e["arguments"].items())
        print(_wrapped(arguments, " " * (widths[0] + 2)))
    print("Parameters at the defaults, the same on every Keras backend. In Python: "
          "toolkit.builders.get_builder(NAME).build(**arguments).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="toolkit",
        description="Keras 3 toolkit for applied finance and science: forecasting pipelines "
        "with honest baselines and self-contained HTML reports.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_forecast(commands)
    _add_risk(commands)
    _add_run(commands)
    _add_compare(commands)
    _add_models(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version and usage errors end here
        return int(done.code or 0)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.handler(args)
    except ToolkitError as err:
        print(f"toolkit: error: {' '.join(str(err).split())}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("toolkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (toolkit models | head): nothing is wrong, say nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit would raise again
        return 0
    except Terminated:
        print("toolkit: terminated (SIGTERM); nothing half-written was left", file=sys.stderr)
        return 143
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        text = " ".join(str(err).split())
        print(f"toolkit: error: unexpected {type(err).__name__}: {text} "
              "(rerun with TOOLKIT_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
