"""Trading days after a series ends, from the exchange's own calendar.

Calendars come from ``exchange_calendars`` (maintained holiday rules of 60+ exchanges). The
exchange of a Yahoo Finance symbol follows from its suffix (``.L`` London, ``.DE`` Xetra,
...), US symbols and indices trade on the NYSE calendar (XNYS), crypto pairs every day
(``24/7``) and currency pairs on weekdays (``24/5``). A CSV gets plain business days unless
a calendar is named. Computed from rules: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from toolkit.errors import UsageError

BUSINESS_DAYS = "business-days"
US = "XNYS"
SUFFIXES = {
    "L": "XLON", "IL": "XLON", "DE": "XETR", "F": "XFRA", "PA": "XPAR", "AS": "XAMS", "BR": "XBRU",
    "MI": "XMIL", "MC": "XMAD", "LS": "XLIS", "SW": "XSWX", "VI": "XWBO", "ST": "XSTO", "CO": "XCSE",
    "HE": "XHEL", "OL": "XOSL", "IR": "XDUB", "WA": "XWAR", "T": "XTKS", "HK": "XHKG", "SS": "XSHG",
    "KS": "XKRX", "TW": "XTAI", "SI": "XSES", "AX": "XASX", "NZ": "XNZE", "TO": "XTSE", "V": "XTSE",
    "SA": "BVMF", "MX": "XMEX", "JO": "XJSE", "BO": "XBOM", "NS": "XBOM", "TA": "XTAE", "IS": "XIST",
}
INDICES = {
    "^FTSE": "XLON", "^GDAXI": "XETR", "^FCHI": "XPAR", "^AEX": "XAMS", "^STOXX50E": "XETR",
    "^N225": "XTKS", "^HSI": "XHKG", "^GSPTSE": "XTSE", "^AXJO": "XASX", "^KS11": "XKRX",
    "^BVSP": "BVMF", "^MXX": "XMEX", "^SSMI": "XSWX", "^IBEX": "XMAD",
}


@dataclass(frozen=True)
class CalendarChoice:
    """Which calendar serves and why (the report quotes ``reason``)."""

    name: str
    reason: str


def calendar_names() -> list[str]:
    import exchange_calendars

    return [BUSINESS_DAYS, *exchange_calendars.get_calendar_names(include_aliases=False)]


def check_calendar(name: str | None) -> str | None:
    """A valid calendar name (``None`` for automatic); :class:`UsageError` otherwise."""
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"--calendar must name an exchange calendar such as XNYS or XLON, or "
                         f"{BUSINESS_DAYS}. Received: {name!r}")
    import exchange_calendars

    name = name.strip()
    if name.lower() == BUSINESS_DAYS:
        return BUSINESS_DAYS
    names = {n.upper(): n for n in exchange_calendars.get_calendar_names(include_aliases=True)}
    if name.upper() not in names:
        raise UsageError(f"--calendar {name!r} is not a known exchange calendar; use an ISO MIC such as "
                         f"XNYS, XLON, XETR, XTKS, 24/7, or {BUSINESS_DAYS}")
    return names[name.upper()]


def choose_calendar(symbol: str | None, source: str, requested: str | None = None) -> CalendarChoice:
    """The calendar for a series: the one requested, else by symbol, else business days."""
    if requested:
        return CalendarChoice(requested, "named with --calendar")
    if source == "csv" or not symbol:
        return CalendarChoice(BUSINESS_DAYS, "a CSV has no exchange; name one with --calendar")
    symbol = symbol.upper()
    if symbol in INDICES:
        return CalendarChoice(INDICES[symbol], f"the exchange of index {symbol}")
    if symbol.endswith("=X"):
        return CalendarChoice("24/5", "a currency pair trades on weekdays")
    if "-" in symbol and symbol.rsplit("-", 1)[1] in ("USD", "EUR", "GBP", "USDT", "BTC", "JPY"):
        return CalendarChoice("24/7", "a crypto pair trades every day")
    if "." in symbol and not symbol.startswith("^"):
        suffix = symbol.rsplit(".", 1)[1]
        if suffix in SUFFIXES:
            return CalendarChoice(SUFFIXES[suffix], f"Yahoo Finance suffix .{suffix}")
        if len(suffix) > 1:
            return CalendarChoice(BUSINESS_DAYS, f"no calendar known for suffix .{suffix}; name one with --calendar")
    return CalendarChoice(US, "a US symbol or index: New York Stock Exchange sessions")


def trading_days_after(last: pd.Timestamp, count: int, calendar: str) -> tuple[list[pd.Timestamp], str]:
    """The ``count`` sessions after ``last`` on ``calendar``.

    Returns:
        The dates, and an empty note, or a note saying why business days served instead
        (a date beyond the calendar's rules).
    """
    last = pd.Timestamp(last).normalize()
    if calendar != BUSINESS_DAYS:
        import exchange_calendars

        try:
            sessions = exchange_calendars.get_calendar(
                calendar, start=last - pd.Timedelta(days=14), end=last + pd.Timedelta(days=max(30, 3 * count + 30)))
            after = sessions.sessions[sessions.sessions > last][:count]
            if len(after) == count:
                return [pd.Timestamp(d).tz_localize(None) if pd.Timestamp(d).tz else pd.Timestamp(d)
                        for d in after], ""
            note = f"the {calendar} calendar ends before {count} sessions after {last.date()}"
        except Exception as err:  # noqa: BLE001 - a calendar out of its range falls back, said so
            note = f"the {calendar} calendar cannot serve dates after {last.date()} ({type(err).__name__})"
        return [last + pd.offsets.BDay(h) for h in range(1, count + 1)], note + "; business days used"
    return [last + pd.offsets.BDay(h) for h in range(1, count + 1)], ""
