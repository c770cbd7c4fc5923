"""More exports read right, or refused by name with the option that reads them: decimal-comma
spreadsheets, yfinance history with daylight-saving offsets, date and time in two columns,
preambles and footers, and files that are not CSV text at all."""

import gzip
import zipfile

import numpy as np
import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.data.dates import read_dates
from toolkit.data.load import PriceRequest, load_prices
from toolkit.errors import DataError, UsageError


def write(tmp_path, text, name="prices.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(path, **options):
    return load_prices(PriceRequest(csv=path, **options))


def refusal(path, **options):
    with pytest.raises(DataError) as err:
        load(path, **options)
    assert "\n" not in str(err.value)
    return str(err.value)


# -- 1. a decimal comma in a comma-separated file --------------------------------------------

GSHEETS = 'Date,Close\n13.01.2022,"100,126"\n14.01.2022,"99,994"\n17.01.2022,"100,501"\n'


def test_three_decimals_after_a_comma_are_refused_not_read_1000_times_too_high(tmp_path):
    path = write(tmp_path, GSHEETS)
    assert refusal(path) == (
        f"{path}: column 'Close' holds values such as '100,126' that read either as 100.126 (a decimal comma) or as "
        "100126 (a comma between thousands), and no other value in this comma-separated file settles which; give "
        "--decimal . or --decimal ,")
    assert load(path, decimal=",").prices.tolist() == [100.126, 99.994, 100.501]
    assert load(path, decimal=".").prices.tolist() == [100126.0, 99994.0, 100501.0]
    two = write(tmp_path, 'Date,Close\n13.01.2022,"100,13"\n14.01.2022,"99,99"\n', "two.csv")
    assert "price column 'Close' holds a value that is not a number" in refusal(two)


@pytest.mark.parametrize("text, column, values", [
    ('Date,Close,Volume\n2024-01-02,"1,234","42,878,250"\n2024-01-03,"1,240","1,000,000"\n', "Close",
     [1234.0, 1240.0]),                                   # a volume of two groups settles it
    ('Date,Close\n2024-01-02,"$1,295.61"\n2024-01-03,"$1,301.20"\n', "Close", [1295.61, 1301.2]),
    ('Date,Close,Volume\n2024-01-02,101.25,"2,373"\n2024-01-03,101.5,"1,002"\n', "Volume", [2373.0, 1002.0]),
])
def test_commas_between_thousands_still_read_when_another_value_settles_it(tmp_path, text, column, values):
    assert load(write(tmp_path, text)).frame[column].tolist() == values


# -- 3. UTC offsets that change with daylight saving -----------------------------------------

def test_yfinance_history_with_daylight_saving_offsets_keeps_each_trading_date(tmp_path):
    days = pd.bdate_range("2023-03-08", periods=6).tz_localize("America/New_York")  # DST starts 2023-03-12
    text = "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits\n" + "\n".join(
        f"{t.isoformat(sep=' ')},1,2,0.5,{100 + i},10,0.0,0.0" for i, t in enumerate(days)) + "\n"
    path = write(tmp_path, text)
    assert "2023-03-13 00:00:00-04:00" in text and "2023-03-10 00:00:00-05:00" in text
    for options in ({}, {"date_format": "%Y-%m-%d %H:%M:%S%z"}):
        prices = load(path, **options)
        assert list(prices.dates.strftime("%Y-%m-%d")) == list(days.strftime("%Y-%m-%d"))
        assert prices.prices.tolist() == [100.0, 101.0, 102.0, 103.0, 104.0, 105.0]
        assert prices.provenance.dates.endswith("; local times as written (UTC offsets -05:00, -04:00 dropped)")


def test_an_offset_is_dropped_not_converted_so_an_evening_stays_on_its_day():
    reading = read_dates(pd.Series(["2023-03-10 20:00:00-05:00", "2023-03-13 20:00:00-04:00"]))
    assert list(reading.dates.astype(str)) == ["2023-03-10 20:00:00", "2023-03-13 20:00:00"]


# -- 4. date and time in two columns ----------------------------------------------------------

def test_a_time_column_beside_the_dates_makes_bars_one_daily_row(tmp_path):
    bars = [("01/16/2024", "09:31", 100, 101, 99, 100.5, 10), ("01/16/2024", "09:32", 100.5, 103, 100, 102, 20),
            ("01/16/2024", "16:00", 102, 102.5, 98, 99, 30), ("01/17/2024", "09:31", 99, 99.5, 97, 98, 40),
            ("01/17/2024", "16:00", 98, 104, 98, 103, 50)]
    text = '"Date","Time","Open","High","Low","Close","Vol"\n' + "\n".join(
        ",".join(f'"{v}"' for v in bar) for bar in bars) + "\n"
    prices = load(write(tmp_path, text))
    assert list(prices.dates.strftime("%Y-%m-%d")) == ["2024-01-16", "2024-01-17"]
    assert prices.prices.tolist() == [99.0, 103.0] and prices.frame["Open"].tolist() == [100.0, 99.0]
    assert prices.frame["High"].tolist() == [103.0, 104.0] and prices.frame["Low"].tolist() == [98.0, 97.0]
    assert prices.frame["Vol"].tolist() == [60.0, 90.0]
    assert prices.provenance.dates == ("column 'Date': month-first (MM/DD/YYYY) dates: row 2 ('01/16/2024') settles "
                                       "the order; times of day from column 'Time'")
    assert prices.cleaning.intraday.startswith("5 intraday rows (up to 3 a day) resampled to 2 daily rows")
    assert prices.cleaning.duplicate_dates_dropped == 0


def test_metatrader_hourly_bars_with_a_time_column_are_made_daily(tmp_path):
    stamps = pd.date_range("2024-01-02", periods=48, freq="h")
    rows = [f"{t:%Y.%m.%d}\t{t:%H:%M:%S}\t{1.1 + i / 1000:.5f}\t{1.2 + i / 1000:.5f}\t{1.0 + i / 1000:.5f}\t"
            f"{1.1 + i / 1000:.5f}\t{100 + i}\t0\t12" for i, t in enumerate(stamps)]
    text = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n" + "\n".join(rows) + "\n"
    prices = load(write(tmp_path, text), price_column="<CLOSE>")
    assert prices.prices.tolist() == [1.123, 1.147]
    assert prices.frame["<HIGH>"].tolist() == [1.223, 1.247] and prices.frame["<LOW>"].tolist() == [1.0, 1.024]
    assert prices.frame["<TICKVOL>"].tolist() == [sum(range(100, 124)), sum(range(124, 148))]


def test_many_dates_repeated_without_a_time_column_are_refused_not_collapsed(tmp_path):
    days = pd.bdate_range("2024-01-02", periods=10).strftime("%Y-%m-%d")
    text = "Date,Close\n" + "\n".join(f"{d},{100 + i + j / 10}" for i, d in enumerate(days) for j in range(3)) + "\n"
    path = write(tmp_path, text)
    assert refusal(path) == (
        "prices.csv: 20 of 30 rows repeat a date with different values (10 dates, e.g. 2024-01-02 on 3 rows); rows of "
        "one day need their times in the dates (the CSV reader adds a Time column beside the date column) to be made "
        "one daily row; else remove the repeated rows")


# -- 7. what is not a CSV of prices says what it is ------------------------------------------

def test_files_that_are_not_csv_text_say_what_they_are(tmp_path):
    header = write(tmp_path, "Date,Close\n", "header.csv")
    assert refusal(header) == (f"{header}: has a header but no rows (it reads 'Date,Close'); give a file with rows "
                               "of dates and prices below the header")
    utf16 = write(tmp_path, "Date\tClose\n2024-01-02\t100,5\n2024-01-03\t101,5\n", "utf16.txt",
                  encoding="utf-16-le")
    assert refusal(utf16) == (f"{utf16}: looks like UTF-16 text without a byte-order mark (one NUL byte in two); give "
                              "--encoding utf-16-le")
    assert load(utf16, encoding="utf-16-le").prices.tolist() == [100.5, 101.5]
    book = tmp_path / "book.csv"
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<x/>")
    expected = (f"{book}: is an Excel workbook or zip archive, not a CSV: save it as CSV (in Excel: File > Save As > "
                "CSV UTF-8), or unzip it")
    assert refusal(book) == expected and refusal(book, encoding="latin-1") == expected
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"Date,Close\n2024-01-02,101.2\x005\n2024-01-03,101\n")
    assert refusal(nul) == (f"{nul}: line 2 holds a NUL byte ('2024-01-02,101.2\\x005'); the file is damaged or not "
                            "text: remove the byte, or export the file again")


def test_gzip_is_read_through_and_excel_serial_dates_are_named(tmp_path):
    packed = tmp_path / "prices.csv.gz"
    packed.write_bytes(gzip.compress(b"Date,Close\n2024-01-02,100.5\n2024-01-03,101.5\n"))
    prices = load(packed)
    assert prices.prices.tolist() == [100.5, 101.5]
    assert prices.provenance.layout.startswith("gzip-compressed, comma-separated;")
    serial = write(tmp_path, "Date,Close\n44564,100.13\n44565,101.2\n", "serial.csv")
    assert refusal(serial) == (
        f"{serial} column 'Date': holds whole numbers such as 44564 that look like Excel serial day numbers (days "
        "since 1899-12-30), not dates; format the column as dates in Excel (e.g. YYYY-MM-DD) before saving the CSV")


def test_lines_above_the_header_are_skipped_and_counted(tmp_path):
    rows = "\n".join(f"{t:%m/%d/%Y},{100 + i:.2f},{1000 + i}" for i, t in
                     enumerate(pd.bdate_range("2022-01-03", periods=15)))
    bloomberg = write(tmp_path, "Security,AAPL US Equity\nStart Date,01/03/2022\nEnd Date,01/21/2022\n"
                                "Fields,PX_LAST\n\nDate,PX_LAST,PX_VOLUME\n" + rows + "\n", "bbg.csv")
    for options in ({}, {"separator": ","}):
        prices = load(bloomberg, **options)
        assert prices.target == "PX_LAST" and prices.prices.iloc[[0, -1]].tolist() == [100.0, 114.0]
        assert "comma-separated, 5 line(s) above the header skipped;" in prices.provenance.layout
        assert "row 15 ('01/13/2022') settles the order" in prices.provenance.dates  # the file's own line
    refinitiv = write(tmp_path, '\nExchange Date,Close,Volume\n03-Jan-2022,100.5,"1,000"\n04-Jan-2022,101.5,"2,000"\n',
                      "refinitiv.csv")
    prices = load(refinitiv)
    assert prices.prices.tolist() == [100.5, 101.5] and prices.frame["Volume"].tolist() == [1000.0, 2000.0]
    assert "1 line(s) above the header skipped" in prices.provenance.layout


def test_a_footer_is_named_as_one(tmp_path):
    rows = "\n".join(f"2024-01-{d:02d},{100 + d}.5,{1000 * d}" for d in range(2, 9))
    path = write(tmp_path, "Date,Close,Volume\n" + rows + "\nTotal,,12345678901\n"
                           "Data provided for information only, not investment advice.\n")
    assert refusal(path) == (f"{path}: the last 2 line(s) are not data (e.g. a footer; line 9 starts 'Total'): "
                             "delete them")


# -- 8. options that cannot work exit 2 -------------------------------------------------------

def test_option_values_that_cannot_work_are_usage_errors_before_anything_is_read(tmp_path, capsys):
    plain = write(tmp_path, "Date,Close\n2024-01-02,100.5\n2024-01-03,101.5\n")
    with pytest.raises(UsageError, match="--encoding 'nonsense' is not an encoding Python knows"):
        PriceRequest(csv=plain, encoding="nonsense").validate()
    two = write(tmp_path, "Price,Close,Close\nTicker,SPY,QQQ\nDate,,\n2024-01-02,100.5,400.5\n"
                          "2024-01-03,101.5,401.5\n", "two.csv")
    for args, message in (
            (["--csv", str(plain), "--encoding", "nonsense"],
             "toolkit: error: --encoding 'nonsense' is not an encoding Python knows; e.g. utf-8, utf-16, utf-16-le, "
             "cp1252, latin-1\n"),
            (["--csv", str(plain), "--symbol", "SPY"],
             f"toolkit: error: {plain}: --symbol 'SPY' chooses a ticker of a file saved by yfinance.download for "
             "several tickers; this file has one header line, so leave --symbol out\n"),
            (["--csv", str(two)], f"toolkit: error: {two} holds 2 tickers (SPY, QQQ); choose one with --symbol SPY\n")):
        assert main(["forecast", "--offline", *args]) == 2
        assert capsys.readouterr().err == message


# -- 9. a column named in another case --------------------------------------------------------

def test_the_price_column_is_matched_in_any_case_when_only_one_fits(tmp_path):
    path = write(tmp_path, "Date,Open,Close,Adj Close\n2024-01-02,1,100.5,99\n2024-01-03,1,101.5,100\n")
    assert load(path, price_column="close").target == "Close"
    assert load(path, price_column=" adj close ").prices.tolist() == [99.0, 100.0]
    both = write(tmp_path, "Date,close,CLOSE\n2024-01-02,1,2\n2024-01-03,1.5,2.5\n", "both.csv")
    assert "no price column (looked for Close;" in refusal(both, price_column="Close")
    assert np.array_equal(load(both, price_column="CLOSE").prices.to_numpy(), [2.0, 2.5])
