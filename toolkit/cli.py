"""Command line: parses, calls a run, maps errors to exit codes.

Exit codes: 0 success, 1 a run that failed (data that cannot be had or used), 2 bad usage
(unknown options, impossible values). Errors are one line on stderr, never a traceback;
set ``TOOLKIT_DEBUG=1`` to see the traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from toolkit import __version__
from toolkit.errors import ToolkitError, UsageError

REPORTS_ENV = "TOOLKIT_REPORTS_DIR"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse itself prints the whole usage first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _default_out() -> Path:
    return Path(os.environ.get(REPORTS_ENV, "reports"))


def _add_forecast(commands) -> None:
    from toolkit.runs.forecast import ForecastConfig

    defaults = ForecastConfig()
    p = commands.add_parser(
        "forecast",
        help="train the stacked LSTM beside naive and linear baselines, write an HTML report",
        description="Forecast a daily price series: fetch (or read) prices, split them in time, "
        "train the lecture's stacked LSTM beside naive persistence and a linear model, and write "
        "a self-contained HTML report with metrics.json and the trained models.",
        epilog="Data: Yahoo Finance when reachable, cached under data/cache (or --cache-dir, "
        "$TOOLKIT_CACHE_DIR); with no network the cache, then the bundled ^GSPC / ^IXIC "
        "(1999-2018), serve. Exit codes: 0 ok, 1 run failed, 2 bad usage.",
    )
    p.add_argument("ticker", nargs="?", default=None,
                   help="Yahoo Finance symbol, e.g. SPY, AAPL, ^GSPC (default: ^GSPC, bundled)")
    p.add_argument("--csv", metavar="PATH", help="read prices from a CSV with a date and a price column")
    p.add_argument("--price-column", metavar="NAME", help="column to forecast (default: Adj Close or Close)")
    p.add_argument("--date-column", metavar="NAME", help="CSV date column (default: Date, Datetime, ...)")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="first date to use")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="last date to use")
    p.add_argument("--window", type=int, default=defaults.window, help="input steps per sample (default: %(default)s)")
    p.add_argument("--horizon", type=int, default=defaults.horizon,
                   help="business days ahead to forecast (default: %(default)s)")
    p.add_argument("--target", choices=("price", "log-return"), default=defaults.target,
                   help="what the models learn: scaled price level (the lecture) or log returns "
                        "(default: %(default)s)")
    p.add_argument("--epochs", type=int, default=defaults.epochs, help="most LSTM epochs (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size, help="(default: %(default)s)")
    p.add_argument("--patience", type=int, default=defaults.patience,
                   help="early-stopping patience in epochs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help=f"folder for reports (default: ${REPORTS_ENV} or ./reports)")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="price cache folder (default: $TOOLKIT_CACHE_DIR or data/cache)")
    p.add_argument("--offline", action="store_true", help="do not try the network")
    p.add_argument("--quick", action="store_true",
                   help="small profile for a first look and tests: newest 1,000 rows, 32-unit LSTM, 3 epochs")
    p.add_argument("--quiet", action="store_true", help="no Keras per-epoch lines")
    p.set_defaults(handler=_forecast)


def _forecast(args) -> int:
    from dataclasses import replace

    from toolkit.data.load import PriceRequest, load_prices
    from toolkit.reports.writer import ensure_writable_dir
    from toolkit.runs.forecast import ForecastConfig, run_forecast, write_forecast_report

    started = time.perf_counter()
    config = ForecastConfig(window=args.window, horizon=args.horizon, target=args.target,
                            epochs=args.epochs, batch_size=args.batch_size, patience=args.patience,
                            seed=args.seed, verbose=0 if args.quiet else 2)
    if args.quick:
        config = config.quick_profile()
    config.validate()
    request = PriceRequest(ticker=args.ticker, csv=args.csv, start=args.start, end=args.end,
                           offline=args.offline, cache_dir=args.cache_dir,
                           price_column=args.price_column, date_column=args.date_column)
    if args.csv is not None and args.ticker is not None:
        raise UsageError(f"give a ticker or --csv, not both. Received: {args.ticker!r} and --csv {args.csv}")
    request.dates()
    out_dir = ensure_writable_dir(args.out or _default_out())

    print(f"[data] loading {args.csv or args.ticker or '^GSPC (default)'} ...")
    prices = load_prices(request)
    prov = prices.provenance
    data_seconds = time.perf_counter() - started
    print(f"[data] {len(prices):,} rows of {prov.name} {prices.target}, {prices.dates[0].date()} to "
          f"{prices.dates[-1].date()}; source: {prov.source} ({prov.detail})")
    if prov.note:
        print(f"[data] note: {prov.note}")
    result = run_forecast(prices, config, log=print)
    result.seconds = {"data": data_seconds, **result.seconds}
    print("[report] writing ...")
    path = write_forecast_report(result, out_dir)
    result.seconds["total"] = time.perf_counter() - started
    ranking = ", ".join(f"{name} {result.outcomes[name].metrics['test']['MAE']:.4g}" for name in result.ranking)
    print(f"[result] test MAE: {ranking}")
    print(f"[result] {result.verdict}")
    for warning in result.warnings:
        print(f"[warning] {warning}")
    print(f"[done] report: {path}  ({result.seconds['total']:.1f} s)")
    return 0


def _add_models(commands) -> None:
    p = commands.add_parser("models", help="list the model builders: name, family, description, parameters",
                            description="List every registered builder with its parameter count at defaults.")
    p.set_defaults(handler=_models)


def _models(args) -> int:
    from toolkit.builders import registered

    rows = [(spec.name, spec.family, f"{spec.build().count_params():,}", spec.description)
            for spec in registered()]
    widths = [max(len(row[i]) for row in rows + [("name", "family", "parameters", "")]) for i in range(3)]
    print(f"{'name':<{widths[0]}}  {'family':<{widths[1]}}  {'parameters':>{widths[2]}}  description")
    for name, family, params, description in rows:
        print(f"{name:<{widths[0]}}  {family:<{widths[1]}}  {params:>{widths[2]}}  {description}")
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
    try:
        return args.handler(args)
    except ToolkitError as err:
        print(f"toolkit: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("toolkit: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        print(f"toolkit: error: unexpected {type(err).__name__}: {err} "
              "(rerun with TOOLKIT_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
