"""Command-line options shared by several commands: the backend, where prices come from, and
universes of tickers (argparse only: nothing here imports the numerical stack)."""

from __future__ import annotations

from pathlib import Path


def add_backend(parser) -> None:
    from toolkit.backend import BACKENDS

    parser.add_argument("--backend", default=None, metavar="NAME",
                        help=f"Keras backend: {', '.join(BACKENDS)} (default: $KERAS_BACKEND, else tensorflow)")


def add_data_options(p) -> None:
    """Where prices come from and how a file is read: shared by forecast and risk."""
    p.add_argument("--csv", metavar="PATH", help="read prices from a CSV with a date and a price column")
    p.add_argument("--price-column", metavar="NAME", help="column to forecast (default: Adj Close or Close)")
    p.add_argument("--date-column", metavar="NAME",
                   help="CSV date column (default: one named Date, Datetime, ..., else the first holding only dates)")
    p.add_argument("--date-format", metavar="PATTERN",
                   help="strftime pattern of the CSV's dates, e.g. %%d/%%m/%%Y (default: detected for the whole "
                        "column; an ambiguous day/month order is refused)")
    p.add_argument("--separator", metavar="CHAR",
                   help="CSV column separator: ',', ';', tab or '|' (default: the one the file's lines agree on)")
    p.add_argument("--decimal", choices=(".", ","), default=None,
                   help="CSV decimal mark (default: the one the file's numbers show; ambiguous files are refused)")
    p.add_argument("--encoding", metavar="NAME",
                   help="CSV text encoding, e.g. cp1252 (default: UTF-8; UTF-16 and UTF-8 with a byte-order mark are "
                        "recognised)")
    p.add_argument("--symbol", metavar="TICKER",
                   help="the ticker to read from a CSV saved by yfinance.download for several tickers")
    p.add_argument("--jumps", choices=("refuse", "keep", "adjust"), default="refuse",
                   help="one-day moves beyond --max-jump (an unadjusted split, a unit switch): refuse the data, keep "
                        "them, or divide the prices before each by its ratio (default: %(default)s)")
    p.add_argument("--max-jump", type=float, default=0.5, metavar="LOGRETURN",
                   help="what counts as a jump: an absolute one-day log return (default: %(default)s, a 39%% fall "
                        "or a 65%% rise)")
    p.add_argument("--start", metavar="YYYY-MM-DD",
                   help="first date to use (default: all the data; from Yahoo Finance the last 20 years)")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="last date to use")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="price cache folder (default: $TOOLKIT_CACHE_DIR or data/cache)")
    p.add_argument("--offline", action="store_true", help="do not try the network")


def add_universe_options(p, unit: str) -> None:
    """More tickers and where they run: shared by forecast and risk."""
    p.add_argument("--tickers-file", metavar="FILE",
                   help="more tickers, one a line (# starts a comment); symbols or CSV paths")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where the tickers' work runs: this process, one after another, or Ray tasks per "
                        f"{unit} (default: %(default)s; ray needs pip install -e '.[ray]')")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="an existing Ray cluster, e.g. ray://head:10001 or auto (default: a local Ray for the run)")
    p.add_argument("--cpus-per-task", type=int, default=1, metavar="N",
                   help="Ray: cores (and TensorFlow threads) per task (default: %(default)s)")
    p.add_argument("--gpus-per-task", type=float, default=None, metavar="SHARE",
                   help="Ray: GPU share per task (default: 0.5 where the cluster has GPUs, else 0)")


def price_request(args, ticker: str | None):
    from toolkit.data.load import PriceRequest

    return PriceRequest(ticker=ticker, csv=args.csv, start=args.start, end=args.end, offline=args.offline,
                        cache_dir=args.cache_dir, price_column=args.price_column, date_column=args.date_column,
                        date_format=args.date_format, separator=args.separator, decimal=args.decimal,
                        encoding=args.encoding, symbol=args.symbol, jumps=args.jumps, max_jump=args.max_jump)
