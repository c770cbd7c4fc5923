"""Trading days of the forecast past the data come from the exchange's calendar."""

import pandas as pd
import pytest

from toolkit.data.calendars import BUSINESS_DAYS, check_calendar, choose_calendar, trading_days_after
from toolkit.errors import UsageError


@pytest.mark.parametrize(
    "symbol, source, expected",
    [("^GSPC", "bundled", "XNYS"), ("SPY", "network", "XNYS"), ("BRK-B", "cache", "XNYS"),
     ("VOD.L", "network", "XLON"), ("SAP.DE", "network", "XETR"), ("7203.T", "network", "XTKS"),
     ("^FTSE", "network", "XLON"), ("BTC-USD", "network", "24/7"), ("EURUSD=X", "network", "24/5"),
     ("prices.csv", "csv", BUSINESS_DAYS), ("ABC.ZZ", "network", BUSINESS_DAYS)],
)
def test_calendar_follows_the_symbol(symbol, source, expected):
    assert choose_calendar(symbol, source).name == expected


def test_a_named_calendar_wins_and_is_checked():
    assert choose_calendar("prices.csv", "csv", "XLON").name == "XLON"
    assert check_calendar("xlon") == "XLON" and check_calendar("Business-Days") == BUSINESS_DAYS
    with pytest.raises(UsageError, match="--calendar 'NYSEX' is not a known exchange calendar"):
        check_calendar("NYSEX")


def test_exchange_holidays_are_skipped():
    dates, note = trading_days_after(pd.Timestamp("2018-12-31"), 3, "XNYS")
    assert [str(d.date()) for d in dates] == ["2019-01-02", "2019-01-03", "2019-01-04"] and note == ""
    dates, _ = trading_days_after(pd.Timestamp("2001-09-10"), 1, "XNYS")   # closed after 9/11
    assert str(dates[0].date()) == "2001-09-17"
    dates, _ = trading_days_after(pd.Timestamp("2018-12-31"), 2, "24/7")   # crypto trades on holidays
    assert [str(d.date()) for d in dates] == ["2019-01-01", "2019-01-02"]
    dates, _ = trading_days_after(pd.Timestamp("2018-12-28"), 2, BUSINESS_DAYS)
    assert [str(d.date()) for d in dates] == ["2018-12-31", "2019-01-01"]
