"""Daily prices from Yahoo Finance through yfinance, with a hard deadline."""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime, timezone

import pandas as pd

from toolkit.errors import DataError

ADJUSTMENT = "split- and dividend-adjusted by Yahoo Finance (auto_adjust=True)"


class NetworkUnavailable(OSError):
    """Yahoo Finance could not be reached (no network, time-out, rate limit)."""


class UnknownTicker(DataError):
    """Yahoo Finance answered, and has no prices for the ticker."""


def _history(ticker: str, start, end, timeout: float) -> pd.DataFrame:
    import yfinance as yf
    from yfinance import exceptions as yf_errors

    missing = tuple(
        getattr(yf_errors, name)
        for name in ("YFTickerMissingError", "YFPricesMissingError", "YFTzMissingError")
        if hasattr(yf_errors, name)
    )
    kwargs = {"start": start, "end": end} if start is not None else {"period": "max", "end": end}
    try:
        frame = yf.Ticker(ticker).history(
            interval="1d", auto_adjust=True, actions=False, timeout=timeout,
            raise_errors=True, **kwargs,
        )
    except missing as err:
        raise UnknownTicker(
            f"Yahoo Finance has no daily prices for {ticker!r} ({str(err).splitlines()[0]}); "
            "check the symbol (e.g. SPY, ^GSPC, AAPL) or pass --csv PATH"
        ) from None
    except Exception as err:  # noqa: BLE001 - curl_cffi, requests and JSON errors all mean "unreachable"
        raise NetworkUnavailable(f"{type(err).__name__}: {str(err).splitlines()[0][:160]}") from None
    if frame is None or frame.empty:
        raise UnknownTicker(
            f"Yahoo Finance returned no prices for {ticker!r}; check the symbol or the dates"
        )
    return frame


def fetch_yahoo(
    ticker: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    *,
    timeout: float = 10.0,
) -> tuple[pd.DataFrame, str]:
    """Fetch daily OHLCV for ``ticker``; never waits much longer than ``timeout`` seconds.

    Returns:
        The raw frame (``Close`` adjusted) and the UTC fetch time in ISO-8601.

    Raises:
        NetworkUnavailable: When Yahoo Finance cannot be reached in time.
        UnknownTicker: When it answers with no prices.
    """
    # yfinance's end is exclusive; ours is inclusive.
    end_exclusive = (end + pd.Timedelta(days=1)).date().isoformat() if end is not None else None
    start_text = start.date().isoformat() if start is not None else None
    answer: queue.Queue = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            answer.put(_history(ticker, start_text, end_exclusive, timeout))
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
            answer.put(err)

    yf_logger = logging.getLogger("yfinance")
    level = yf_logger.level
    yf_logger.setLevel(logging.CRITICAL)  # its own error lines would repeat ours
    try:
        # A daemon thread, so a hung connection cannot keep the process alive at exit.
        threading.Thread(target=work, name="yfinance-fetch", daemon=True).start()
        try:
            result = answer.get(timeout=3 * timeout)
        except queue.Empty:
            raise NetworkUnavailable(f"no answer from Yahoo Finance in {3 * timeout:.0f} s") from None
    finally:
        yf_logger.setLevel(level)
    if isinstance(result, BaseException):
        raise result
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return result, fetched_at
