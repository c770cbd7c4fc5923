"""The price files analysts have, read right: each kind of export, with the values it must give
(dates, prices, the volume series, a jump's ratio), and the refusals that name the fix."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.cli import main
from toolkit.data.frame import Provenance, validate_prices
from toolkit.data.load import PriceRequest, load_prices
from toolkit.errors import DataError, UsageError

YFINANCE = """Price,Close,High,Low,Open,Volume
Ticker,SPY,SPY,SPY,SPY,SPY
Date,,,,,
2024-01-02,100.3462,101.3496,99.3427,100.3462,1000000
2024-01-03,101.1740,102.1858,100.1623,101.1740,1000000
"""
YFINANCE_TWO = """Price,Close,Close,Volume,Volume
Ticker,SPY,QQQ,SPY,QQQ
Date,,,,
2024-01-02,100.5,400.25,1000,2000
2024-01-03,101.5,401.25,1100,2100
"""
# yfinance's group_by="ticker" order: the Ticker line first
YFINANCE_BY_TICKER = """Ticker,QQQ,QQQ
Price,Close,Volume
Date,,
2024-01-02,400.25,2000
2024-01-03,401.25,2100
"""


def write(tmp_path, text, name="prices.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(path, **options):
    return load_prices(PriceRequest(csv=path, **options))


def test_a_csv_saved_by_yfinance_download_reads_one_ticker_and_asks_which_of_several(tmp_path):
    prices = load(write(tmp_path, YFINANCE))
    assert prices.target == "Close" and list(prices.frame.columns) == ["Close", "High", "Low", "Open", "Volume"]
    assert prices.prices.tolist() == [100.3462, 101.1740]
    assert list(prices.dates.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03"]
    assert "yfinance's three header lines (Price / Ticker / Date; SPY)" in prices.provenance.layout
    two = write(tmp_path, YFINANCE_TWO, "two.csv")
    with pytest.raises(UsageError) as err:  # an option to give: exit 2
        load(two)
    assert str(err.value) == f"{two} holds 2 tickers (SPY, QQQ); choose one with --symbol SPY"
    qqq = load(two, symbol="QQQ")
    assert qqq.prices.tolist() == [400.25, 401.25] and qqq.frame["Volume"].tolist() == [2000.0, 2100.0]
    assert load(write(tmp_path, YFINANCE_BY_TICKER, "qqq.csv")).prices.tolist() == [400.25, 401.25]
    with pytest.raises(UsageError, match="no ticker 'IWM'; it holds SPY, QQQ"):
        load(two, symbol="IWM")


def test_the_frame_yfinance_download_returns_validates_in_a_notebook():
    dates = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], name="Date")
    columns = pd.MultiIndex.from_product([["Close", "Volume"], ["AAPL", "MSFT"]], names=["Price", "Ticker"])
    frame = pd.DataFrame([[180.0, 370.0, 1e6, 2e6], [181.0, 371.0, 1e6, 2e6], [182.0, 372.0, 1e6, 2e6]],
                         index=dates, columns=columns)
    provenance = Provenance("network", "AAPL", "yf.download")
    with pytest.raises(UsageError) as err:
        validate_prices(frame, "Close", provenance)
    assert str(err.value) == "AAPL: the frame holds 2 tickers (AAPL, MSFT); choose one with symbol='AAPL'"
    assert validate_prices(frame, "Close", provenance, symbol="MSFT").prices.tolist() == [370.0, 371.0, 372.0]
    one = frame.xs("AAPL", axis=1, level="Ticker", drop_level=False)
    assert validate_prices(one, "Close", provenance).prices.tolist() == [180.0, 181.0, 182.0]


@pytest.mark.parametrize("text, encoding, layout, prices", [
    ("Date;Close\n2024-01-02;100,35\n2024-01-03;101,17\n", "utf-8", "semicolon-separated",
     [100.35, 101.17]),
    ("Datum;Schlusskurs;Volumen\n2024-01-02;1.234,56;1.000\n2024-01-03;1.240,5;2.500\n", "utf-8", "semicolon",
     [1234.56, 1240.5]),
    ("Date\tClose\tVolume\n2024-01-02\t100.35\t10\n2024-01-03\t101.17\t20\n", "utf-8", "tab-separated",
     [100.35, 101.17]),
    ("Date,Close\n2024-01-02,100.35\n2024-01-03,101.17\n", "utf-16", "comma-separated, UTF-16", [100.35, 101.17]),
    ("Date,Close\n2024-01-02,100.35\n2024-01-03,101.17\n", "utf-8-sig", "UTF-8 with a byte-order mark",
     [100.35, 101.17]),
])
def test_separators_decimal_marks_and_encodings_are_read_and_stated(tmp_path, text, encoding, layout, prices):
    price_column = "Schlusskurs" if "Schlusskurs" in text else None
    checked = load(write(tmp_path, text, encoding=encoding), price_column=price_column,
                   date_column="Datum" if "Datum" in text else None)
    assert checked.prices.tolist() == prices
    assert layout in checked.provenance.layout
    if "Volumen" in text:
        assert checked.frame["Volumen"].tolist() == [1000.0, 2500.0]
        assert "decimal comma ('.' between thousands)" in checked.provenance.layout


def test_currency_symbols_and_thousands_separators_in_every_column(tmp_path):
    # Nasdaq's own download: "Close/Last" in dollars; the run once forecast Volume instead
    nasdaq = write(tmp_path, "Date,Close/Last,Volume,Open\n2024-01-02,$97.11,\"2,373\",$96.50\n"
                             "2024-01-03,$98.11,500,$97.00\n2024-01-04,$99.02,\"1,002,500\",$98.10\n")
    prices = load(nasdaq)
    assert prices.target == "Close/Last" and prices.prices.tolist() == [97.11, 98.11, 99.02]
    assert prices.frame["Volume"].tolist() == [2373.0, 500.0, 1002500.0]
    assert prices.frame["Open"].tolist() == [96.5, 97.0, 98.1]
    assert "currency $ stripped" in prices.provenance.layout and prices.cleaning.filled["Volume"] == 0
    investing = write(tmp_path, 'Date,Price,Vol.\n2024-01-02,"1,245.40",1.2M\n2024-01-03,"1,250.10",0.9M\n',
                      "investing.csv")
    read = load(investing)
    assert read.prices.tolist() == [1245.4, 1250.1] and read.cleaning.columns_dropped == ("Vol.",)


def test_the_price_column_is_never_replaced_by_another(tmp_path):
    bad = write(tmp_path, "Date,Close,Volume\n2024-01-02,12.5,100\n2024-01-03,twelve,200\n2024-01-04,13,300\n")
    with pytest.raises(DataError) as err:
        load(bad)
    assert str(err.value) == (f"{bad}: price column 'Close' holds a value that is not a number with this file's "
                              "decimal point (',' between thousands): row 3 ('twelve'); fix that row, or give "
                              "--decimal / --price-column")
    words = write(tmp_path, "Date,Close,Volume\n2024-01-02,n/a,100\n2024-01-03,x,200\n", "words.csv")
    with pytest.raises(DataError, match="price column 'Close' holds a value that is not a number"):
        load(words)


def test_volume_with_unreadable_cells_is_counted_and_refused_as_a_feature(tmp_path):
    rows = "\n".join(f"2024-{1 + i // 28:02d}-{1 + i % 28:02d},{100 + 0.1 * i:.2f},{'abc' if i % 3 else 500}"
                     for i in range(60))
    path = write(tmp_path, "Date,Close,Volume\n" + rows + "\n")
    prices = load(path)
    assert prices.cleaning.unreadable == {"Volume": 40} and prices.cleaning.filled["Volume"] == 40
    assert prices.cleaning.filled["Close"] == 0
    assert "Volume 40 filled (40 of them not numbers)" in prices.cleaning.describe_columns()
    with pytest.raises(DataError) as err:
        prices.check_feature_columns({"volume": "Volume"})
    assert str(err.value) == ("prices.csv: feature 'volume' reads column 'Volume', which holds 40 value(s) that are not "
                              "numbers in the file's convention; fix them, or leave 'volume' out of --features")
    gappy = "\n".join(f"2024-{1 + i // 28:02d}-{1 + i % 28:02d},{100 + 0.1 * i:.2f},{'' if i % 3 else 500}"
                      for i in range(60))
    sparse = load(write(tmp_path, "Date,Close,Volume\n" + gappy + "\n", "gappy.csv"))
    assert sparse.cleaning.filled["Volume"] == 40 and sparse.cleaning.unreadable == {}
    with pytest.raises(DataError, match=r"feature 'volume' would be 40 of 60 values \(67%\) carried forward"):
        sparse.check_feature_columns({"volume": "Volume"})
    sparse.check_feature_columns({"volume": "Volume"}, most_filled=0.7)


@pytest.mark.parametrize("text, message", [
    ("Date;Close\n2024-01-02;1,234\n2024-01-03;1,240\n",
     "values such as '1,234' read either as 1.234 or as a whole number; give --decimal . or --decimal ,"),
    ("Date;Close;Open\n2024-01-02;100,35;100.35\n2024-01-03;101,17;101.17\n",
     "numbers are written two ways ('100.35' reads with a decimal point, '100,35' with a decimal comma)"),
    ("Date Close\n2024-01-02 100\n", "cannot tell the column separator"),
    ("", "the file is empty"),
])
def test_what_cannot_be_read_for_sure_is_refused_with_the_option_that_reads_it(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as err:
        load(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_encodings_that_are_not_utf8_are_named_and_read_when_given(tmp_path):
    path = write(tmp_path, "Date,Close,Währung\n2024-01-02,100.5,£\n2024-01-03,101.5,£\n", encoding="cp1252")
    with pytest.raises(DataError) as err:
        load(path)
    assert "not UTF-8 text (byte 0xe4 at offset 12)" in str(err.value) and "--encoding" in str(err.value)
    assert load(path, encoding="cp1252").prices.tolist() == [100.5, 101.5]


def _close_only(prices):
    dates = pd.bdate_range("2023-01-02", periods=len(prices)).strftime("%Y-%m-%d")
    return "Date,Close\n" + "\n".join(f"{d},{p:.4f}" for d, p in zip(dates, prices)) + "\n"


def test_a_unit_switch_and_a_split_are_refused_by_default_and_adjusted_on_request(tmp_path):
    rng = np.random.default_rng(0)
    walk = 600 * np.exp(np.cumsum(rng.normal(0, 0.01, 80)))
    pence = walk.copy()
    pence[40:] /= 100  # a London series moving from pence to pounds
    path = write(tmp_path, _close_only(pence), "london.csv")
    with pytest.raises(DataError) as err:
        load(path)
    message = str(err.value)
    assert message.startswith("london.csv: 1 one-day move(s) beyond |log return| 0.5: 2023-02-27 from ")
    assert "a 100x unit switch (pence to pounds, cents to dollars)?" in message and "--jumps adjust" in message
    adjusted = load(path, jumps="adjust")
    np.testing.assert_allclose(adjusted.prices.to_numpy(), np.round(pence, 4) / np.r_[np.full(40, 100), np.ones(40)],
                               rtol=1e-12)
    (jump,) = adjusted.cleaning.jumps
    written = np.round(pence, 4)
    assert jump.factor == 100 and jump.ratio == pytest.approx(written[39] / written[40], rel=1e-12)
    kept = load(path, jumps="keep")
    assert kept.prices.iloc[40] == pytest.approx(pence[40], abs=1e-4) and kept.cleaning.jump_policy == "keep"
    split = walk.copy()
    split[50:] /= 4  # an unadjusted 4:1 split in a close-only file
    with pytest.raises(DataError, match=r"\(x0\.2\d+; an unadjusted 4:1 split\?\)"):
        load(write(tmp_path, _close_only(split), "split.csv"))
    assert load(write(tmp_path, _close_only(split), "split.csv"), jumps="adjust").cleaning.jumps[0].factor == 4
    assert load(write(tmp_path, _close_only(split), "split.csv"), max_jump=2.0).cleaning.jumps == ()


def test_intraday_rows_become_daily_closes_and_the_report_says_so(tmp_path):
    stamps = [f"2024-01-0{d} {h}:00" for d in (2, 3) for h in (10, 12, 16)]
    text = "Datetime,Open,High,Low,Close,Volume\n" + "\n".join(
        f"{s},{100 + i},{101 + i},{99 + i},{100.5 + i},{10 * (i + 1)}" for i, s in enumerate(stamps)) + "\n"
    prices = load(write(tmp_path, text))
    assert list(prices.dates.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03"]
    assert prices.prices.tolist() == [102.5, 105.5]                  # the day's last price
    assert prices.frame["Open"].tolist() == [100.0, 103.0]           # its first open
    assert prices.frame["High"].tolist() == [103.0, 106.0] and prices.frame["Low"].tolist() == [99.0, 102.0]
    assert prices.frame["Volume"].tolist() == [60.0, 150.0]          # summed
    assert prices.cleaning.intraday.startswith("6 intraday rows (up to 3 a day) resampled to 2 daily rows")
    assert prices.cleaning.duplicate_dates_dropped == 0


def test_file_options_need_a_file_and_are_checked_before_anything_is_read(tmp_path, capsys):
    path = write(tmp_path, "Date,Close\n2024-01-02,1\n")
    for args, message in ((["--separator", ";"], "--separator reads a CSV file (give --csv PATH); leave --separator out for tickers"),
                          (["--max-jump", "0"], "--max-jump must be a number in (0, 10]"),
                          (["--csv", str(path), "--separator", "x"], "--separator must be one of")):
        assert main(["forecast", "--offline", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    with pytest.raises(UsageError, match="--jumps must be one of refuse, keep, adjust"):
        PriceRequest(jumps="ignore").validate()


# -- the fuzzer: a known series written in every convention reads back to the same values ------

CONVENTIONS = st.fixed_dictionaries({
    "separator": st.sampled_from([",", ";", "\t", "|"]),
    "decimal": st.sampled_from([".", ","]),
    "thousands": st.booleans(),
    "currency": st.sampled_from(["", "$", "€", "EUR "]),
    "encoding": st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    "yfinance": st.booleans(),
})


def _format(value: float, decimal: str, thousands: bool, currency: str) -> str:
    text = f"{value:,.2f}" if thousands else f"{value:.2f}"
    if decimal == ",":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{currency}{text}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(convention=CONVENTIONS, prices=st.lists(st.floats(900, 1100), min_size=3, max_size=8).filter(
    lambda values: np.ptp(np.round(values, 2)) > 0))
def test_fuzzed_conventions_read_back_the_values_written(tmp_path, convention, prices):
    sep, dec = convention["separator"], convention["decimal"]
    if sep == dec:
        dec = "."  # a decimal comma in a comma-separated file is not a convention any exporter uses
    cells = [_format(p, dec, convention["thousands"], convention["currency"]) for p in prices]
    if sep in "".join(cells):
        cells = [f'"{c}"' for c in cells]
    dates = pd.bdate_range("2024-01-01", periods=len(prices)).strftime("%Y-%m-%d")
    header = "Date" + sep + "Close"
    if convention["yfinance"]:
        header = f"Price{sep}Close\nTicker{sep}SPY\nDate{sep}"
    text = header + "\n" + "\n".join(f"{d}{sep}{c}" for d, c in zip(dates, cells)) + "\n"
    checked = load(write(tmp_path, text, encoding=convention["encoding"]), jumps="keep")
    np.testing.assert_allclose(checked.prices.to_numpy(), np.round(prices, 2), rtol=0, atol=1e-9)
