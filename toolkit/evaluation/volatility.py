"""Daily variance proxies from OHLC bars, and the losses that rank variance forecasts honestly.

True daily variance is never seen; a forecast is scored against a noisy proxy of it. Patton
("Volatility forecast comparison using imperfect volatility proxies", J. Econometrics 2011)
shows which losses still rank forecasts as the true variance would: the MSE on variance and
QLIKE, but not, for instance, the MSE on volatility or on log variance.

Proxies (all per day, in squared log-return units; a frame's columns ``Open``, ``High``,
``Low``, ``Close``):

* close-to-close: r_t^2 with r_t = ln(C_t / C_{t-1}); overnight moves included, the noisiest;
* Parkinson (1980): ln(H/L)^2 / (4 ln 2);
* Garman and Klass (1980): 0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2;
* Rogers and Satchell (1991): ln(H/C) ln(H/O) + ln(L/C) ln(L/O), unbiased under a drift;
* Yang and Zhang (2000): over a window of n days, the overnight variance plus k times the
  open-to-close variance plus (1 - k) times the mean Rogers-Satchell term, k = 0.34 /
  (1.34 + (n + 1) / (n - 1)): a window estimator, not a single day's.

The three range estimators see the trading session only (open to close); the overnight
gap is the close-to-close and Yang-Zhang proxies' alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

PROXIES = ("close_to_close", "parkinson", "garman_klass", "rogers_satchell", "yang_zhang")
OHLC = ("Open", "High", "Low", "Close")


def _when(frame: pd.DataFrame, row: int) -> str:
    label = frame.index[row]
    return str(label.date()) if isinstance(label, pd.Timestamp) and label == label.normalize() else str(label)


def _bars(frame: pd.DataFrame, columns=OHLC) -> dict[str, np.ndarray]:
    """The named columns as float arrays, checked positive, finite and consistent."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame of {', '.join(columns)}. Received: {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame has no {', '.join(missing)} column; it needs {', '.join(columns)}. "
                         f"Received columns: {list(frame.columns)}")
    bars = {c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype="float64") for c in columns}
    for name, values in bars.items():
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise ValueError(f"{name} must be positive and finite; {int(bad.sum())} rows are not "
                             f"(first at {_when(frame, int(np.argmax(bad)))}). Fill or drop them first")
    if "High" in bars and "Low" in bars:
        others = [bars[c] for c in ("Open", "Close") if c in bars]
        top = np.maximum.reduce(others + [bars["Low"]])
        low = np.minimum.reduce(others + [bars["High"]])
        bad = (bars["High"] < top) | (bars["Low"] > low)
        if bad.any():
            raise ValueError(f"High must be the bar's highest price and Low its lowest; {int(bad.sum())} rows break "
                             f"that (first at {_when(frame, int(np.argmax(bad)))}). Check the file's columns")
    return bars


def variance_proxy(frame: pd.DataFrame, kind: str = "garman_klass", window: int = 22) -> pd.Series:
    """One day's variance proxy per row of an OHLC frame (squared log-return units).

    Args:
        frame: Daily bars with ``Open``, ``High``, ``Low``, ``Close`` (``Close`` alone for
            ``"close_to_close"``), oldest first.
        kind: One of :data:`PROXIES`. Defaults to ``"garman_klass"``.
        window: Days of the Yang-Zhang estimator (at least 2). Defaults to 22.

    Returns:
        A Series on the frame's index, named ``kind``. The first row is NaN for the proxies
        that need the previous close (close-to-close, Yang-Zhang: the first ``window`` rows).

    Raises:
        TypeError: For something that is not a DataFrame.
        ValueError: For an unknown kind, a missing column, prices that are not positive and
            finite, or a High below (a Low above) the bar's other prices.

    Example:
        >>> bars = pd.DataFrame({"Open": [100.0], "High": [102.0], "Low": [99.0], "Close": [101.0]})
        >>> round(float(variance_proxy(bars, "parkinson").iloc[0]), 8)  # ln(102/99)^2 / (4 ln 2)
        0.00032143
    """
    if not isinstance(kind, str) or kind not in PROXIES:
        raise ValueError(f"`kind` must be one of {', '.join(PROXIES)}. Received: kind={kind!r}")
    if kind == "close_to_close":
        close = _bars(frame, ("Close",))["Close"]
        values = np.r_[np.nan, np.diff(np.log(close)) ** 2]
        return pd.Series(values, index=frame.index, name=kind)
    b = _bars(frame)
    hl, co = np.log(b["High"] / b["Low"]), np.log(b["Close"] / b["Open"])
    rs = np.log(b["High"] / b["Close"]) * np.log(b["High"] / b["Open"]) + \
        np.log(b["Low"] / b["Close"]) * np.log(b["Low"] / b["Open"])
    if kind == "parkinson":
        values = hl ** 2 / (4 * math.log(2))
    elif kind == "garman_klass":
        values = 0.5 * hl ** 2 - (2 * math.log(2) - 1) * co ** 2
    elif kind == "rogers_satchell":
        values = rs
    else:
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
            raise ValueError(f"`window` must be a whole number of at least 2. Received: window={window!r}")
        overnight = pd.Series(np.r_[np.nan, np.log(b["Open"][1:] / b["Close"][:-1])])
        k = 0.34 / (1.34 + (window + 1) / (window - 1))
        values = (overnight.rolling(window).var() + k * pd.Series(co).rolling(window).var()
                  + (1 - k) * pd.Series(rs).rolling(window).mean()).to_numpy()
    return pd.Series(values, index=frame.index, name=kind)


def _pair(proxy, forecast) -> tuple[np.ndarray, np.ndarray]:
    proxy, forecast = np.asarray(proxy, dtype="float64"), np.asarray(forecast, dtype="float64")
    if proxy.shape != forecast.shape or proxy.ndim != 1 or len(proxy) == 0:
        raise ValueError(f"`proxy` and `forecast` must be 1-D of one length. Received: shapes {proxy.shape} and "
                         f"{forecast.shape}")
    if not (np.isfinite(forecast).all() and (forecast > 0).all()):
        raise ValueError("`forecast` must hold positive, finite variances")
    if not (np.isfinite(proxy).all() and (proxy >= 0).all()):
        raise ValueError("`proxy` must hold finite variances of at least 0; drop the rows without one first")
    return proxy, forecast


def qlike(proxy, forecast, normalised: bool = True) -> np.ndarray:
    """Patton's QLIKE per day: proxy / forecast - ln(proxy / forecast) - 1, zero at a perfect forecast.

    It ranks forecasts as the true variance would, however noisy the proxy (Patton 2011).
    ``normalised=False`` gives ln(forecast) + proxy / forecast instead: it differs by a term
    of the proxy alone (ln(proxy) + 1), so differences between models, their ranks and
    Diebold-Mariano tests are the same, and a proxy of exactly 0 (an unchanged close) is
    allowed.

    Args:
        proxy: Realised variance proxies, ``(n,)``: positive (at least 0 when not normalised).
        forecast: Variance forecasts for the same days, ``(n,)``, positive.
        normalised: The zero-minimum form. Defaults to True.

    Returns:
        ``(n,)`` losses; their mean is the QLIKE score (lower is better).

    Raises:
        ValueError: For shapes that differ, non-positive or non-finite forecasts, non-finite
            or negative proxies, or a proxy of 0 in the normalised form.

    Example:
        >>> qlike([1.0, 2.0], [1.0, 1.0]).round(4).tolist()  # 2 - ln 2 - 1
        [0.0, 0.3069]
        >>> qlike([0.0, 2.0], [1.0, 1.0], normalised=False).round(4).tolist()
        [0.0, 2.0]
    """
    proxy, forecast = _pair(proxy, forecast)
    if not normalised:
        return np.log(forecast) + proxy / forecast
    if (proxy == 0).any():
        raise ValueError(f"{int((proxy == 0).sum())} proxies are exactly 0 (unchanged closes), where the normalised "
                         "QLIKE is infinite; use normalised=False (same ranking) or a range-based proxy")
    ratio = proxy / forecast
    return ratio - np.log(ratio) - 1


def variance_mse(proxy, forecast) -> np.ndarray:
    """Squared error on variance per day, (proxy - forecast)^2; robust in Patton's sense.

    Example:
        >>> variance_mse([1.0, 2.0], [1.0, 1.0]).tolist()
        [0.0, 1.0]
    """
    proxy, forecast = _pair(proxy, forecast)
    return (proxy - forecast) ** 2
