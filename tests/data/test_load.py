from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from tests.conftest import price_table
from toolkit.data.cache import PriceCache
from toolkit.data.load import PriceRequest, load_prices
from toolkit.data.yahoo import NetworkUnavailable, UnknownTicker
from toolkit.errors import DataError, UsageError

FETCHED = "2026-11-20T12:00:00+00:00"


class FakeYahoo:
    def __init__(self, frame=None, error=None):
        self.frame, self.error, self.calls = frame, error, 0

    def __call__(self, ticker, start, end, timeout):
        self.calls += 1
        if self.error:
            raise self.error
        return self.frame, FETCHED


def test_bundled_serves_offline_and_says_so():
    prices = load_prices(PriceRequest(offline=True))
    assert prices.provenance.source == "bundled"
    assert prices.provenance.name == "^GSPC"
    assert "--offline" in prices.provenance.note
    assert len(prices) == 5031
    assert str(prices.dates[0].date()) == "1999-01-04" and str(prices.dates[-1].date()) == "2018-12-31"
    assert prices.target == "Adj Close"


def test_bundled_nasdaq_by_short_name():
    assert load_prices(PriceRequest(ticker="ixic", offline=True)).provenance.name == "^IXIC"


def test_network_answer_is_cached_then_served_from_cache(tmp_path):
    frame = price_table(50)
    fake = FakeYahoo(frame)
    now = datetime.fromisoformat(FETCHED) + timedelta(hours=1)
    first = load_prices(PriceRequest(ticker="SPY", cache_dir=tmp_path), fetcher=fake, now=now)
    assert first.provenance.source == "network" and fake.calls == 1
    cached_file = PriceCache(tmp_path).path_for("SPY", None, None)
    assert cached_file.is_file()
    assert not list(tmp_path.glob(".tmp-*"))  # atomic write leaves no temp file
    second = load_prices(PriceRequest(ticker="SPY", cache_dir=tmp_path), fetcher=fake, now=now)
    assert second.provenance.source == "cache" and fake.calls == 1
    assert second.provenance.fetched_at == FETCHED
    pd.testing.assert_series_equal(first.prices, second.prices)


def test_network_fetch_defaults_to_twenty_years(tmp_path):
    fake = FakeYahoo(price_table(50))
    seen = {}

    def spy(ticker, start, end, timeout):
        seen.update(start=start, end=end)
        return fake(ticker, start, end, timeout)

    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    load_prices(PriceRequest(ticker="SPY", cache_dir=tmp_path), fetcher=spy, now=now)
    assert seen == {"start": pd.Timestamp("2006-11-22"), "end": None}
    load_prices(PriceRequest(ticker="QQQ", start="2015-01-01", cache_dir=tmp_path), fetcher=spy, now=now)
    assert seen["start"] == pd.Timestamp("2015-01-01")


def test_stale_cache_is_refreshed_and_serves_when_network_fails(tmp_path):
    PriceCache(tmp_path).write("SPY", None, None, price_table(50), fetched_at=FETCHED, adjustment="adj")
    later = datetime.fromisoformat(FETCHED) + timedelta(days=3)
    failing = FakeYahoo(error=NetworkUnavailable("DNSError: no host"))
    prices = load_prices(PriceRequest(ticker="SPY", cache_dir=tmp_path), fetcher=failing, now=later)
    assert failing.calls == 1
    assert prices.provenance.source == "cache"
    assert "Yahoo Finance unreachable (DNSError: no host)" in prices.provenance.note


def test_no_network_not_cached_not_bundled(tmp_path):
    with pytest.raises(DataError) as err:
        load_prices(PriceRequest(ticker="SPY", cache_dir=tmp_path))
    assert str(err.value) == (
        f"no prices for SPY: Yahoo Finance unreachable (DNSError: Could not resolve host (test)), and it is "
        f"neither cached in {tmp_path} nor bundled (bundled: ^GSPC, ^IXIC); connect to the internet, "
        "pass --csv PATH, or use a bundled ticker"
    )


def test_unknown_ticker_message_passes_through(tmp_path):
    fake = FakeYahoo(error=UnknownTicker("Yahoo Finance returned no prices for 'NOPE'; check the symbol or the dates"))
    with pytest.raises(UnknownTicker, match="no prices for 'NOPE'"):
        load_prices(PriceRequest(ticker="NOPE", cache_dir=tmp_path), fetcher=fake)


@pytest.mark.parametrize(
    "request_, message",
    [
        (PriceRequest(ticker="not a ticker!"), "ticker 'not a ticker!' is not a Yahoo Finance symbol"),
        (PriceRequest(start="2020-02-01", end="2020-01-01"), "--end 2020-01-01 is before --start 2020-02-01; swap them"),
        (PriceRequest(start="yesterday-ish"), "--start 'yesterday-ish' is not a date; use YYYY-MM-DD"),
        (PriceRequest(ticker=""), "the ticker is empty; give a Yahoo Finance symbol such as ^GSPC"),
        (PriceRequest(ticker="SPY", csv="x.csv"), "give a ticker or --csv, not both"),
        (PriceRequest(date_format="dd/mm/yyyy"), "--date-format must be a strftime pattern"),
    ],
)
def test_bad_requests(request_, message):
    with pytest.raises(UsageError) as err:
        load_prices(request_)
    assert str(err.value).startswith(message)


def test_bundled_range_outside_coverage():
    with pytest.raises(DataError, match="bundled ^GSPC covers only 1999-01-04 to 2018-12-31".replace("^", r"\^")):
        load_prices(PriceRequest(start="2020-01-01", offline=True))


def test_csv_with_aliases(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"timestamp": pd.bdate_range("2021-01-01", periods=5).astype(str),
                  "price": [10, 11, 12, 13, 14]}).to_csv(path, index=False)
    prices = load_prices(PriceRequest(csv=path))
    assert prices.provenance.source == "csv" and prices.target == "price"
    assert prices.prices.tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"when": ["x"], "Close": [1]}, ": no date column (looked for date / datetime / timestamp / time / day / observation_date, and no column holds only dates; the comma-separated header reads ['when', 'Close']); name it with --date-column"),
        ({"Date": ["2020-01-01"], "level": [1], "other": [2]}, ": no price column (looked for adj close / adj_close / adjclose / close / close/last / closing price / close price / last / last price / price / value / px_last; columns are ['Date', 'level', 'other']); name it with --price-column"),
        ({"Date": ["not a date"], "Close": [1]}, " column 'Date': row 2 ('not a date') is not a date"),
    ],
)
def test_csv_bad_columns(tmp_path, columns, message):
    path = tmp_path / "bad.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load_prices(PriceRequest(csv=path))
    assert str(err.value).startswith(f"{path}{message}")


def test_csv_missing_file_or_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such file; check the path"):
        load_prices(PriceRequest(csv=tmp_path / "absent.csv"))
    with pytest.raises(UsageError, match="is a folder, not a file"):
        load_prices(PriceRequest(csv=tmp_path))


def test_time_zone_aware_start_keeps_its_date():
    start, end = PriceRequest(start="2010-01-04T09:30:00-05:00", end="2010-02-01").dates()
    assert start == pd.Timestamp("2010-01-04") and start.tz is None
    prices = load_prices(PriceRequest(start="2010-01-04T09:30:00-05:00", end="2010-02-01", offline=True))
    assert str(prices.dates[0].date()) == "2010-01-04"


def cached(tmp_path, fetched_at=FETCHED, ticker="SPY"):
    cache = PriceCache(tmp_path)
    cache.write(ticker, None, None, price_table(50), fetched_at=fetched_at, adjustment="adj")
    return cache.path_for("SPY", None, None)


def tamper_data(path):
    frame = pd.read_parquet(path)
    attrs = dict(frame.attrs)
    frame.iloc[3, 1] *= 1.01
    frame.attrs = attrs
    frame.to_parquet(path)


def tamper_attr(key, value):
    def change(path):
        frame = pd.read_parquet(path)
        frame.attrs = {**frame.attrs, key: value}
        frame.to_parquet(path)
    return change


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda path: path.write_bytes(path.read_bytes()[:200]), "the file is damaged (ArrowInvalid)"),
        (tamper_data, "its data does not match its checksum"),
        (tamper_attr("fetched_at", "last Tuesday"), "its fetch time 'last Tuesday' is not an ISO-8601 time"),
        (tamper_attr("fetched_at", "2099-01-01T00:00:00+00:00"), "its fetch time 2099-01-01T00:00:00+00:00 is in the future"),
        (tamper_attr("ticker", "QQQ"), "it holds 'QQQ', not 'SPY'"),
        (tamper_attr("sha256", None), "it carries no checksum"),
    ],
)
def test_untrustworthy_cache_entry_is_reported_moved_aside_and_refetched(tmp_path, damage, reason):
    path = cached(tmp_path)
    damage(path)
    now = datetime.fromisoformat(FETCHED) + timedelta(hours=1)
    fake = FakeYahoo(price_table(60))
    prices = load_prices(PriceRequest(ticker="SPY", cache_dir=tmp_path), fetcher=fake, now=now)
    assert fake.calls == 1 and prices.provenance.source == "network" and len(prices) == 60
    assert prices.provenance.note.startswith(f"cache entry {path.name} not used: {reason}; moved aside to ")
    assert len(list(tmp_path.glob(f"{path.name}.rejected-*"))) == 1
    assert PriceCache(tmp_path).read("SPY", None, None, now=now) is not None  # the refetched entry verifies


def test_untrustworthy_cache_offline_is_refused_not_used(tmp_path):
    path = cached(tmp_path)
    tamper_data(path)
    with pytest.raises(DataError) as err:
        load_prices(PriceRequest(ticker="SPY", cache_dir=tmp_path, offline=True),
                    now=datetime.fromisoformat(FETCHED) + timedelta(hours=1))
    assert str(err.value).startswith(f"no prices for SPY: cache entry {path.name} not used: its data does not "
                                     "match its checksum; moved aside")
    assert "\n" not in str(err.value)
