"""Dates are read, never guessed: one interpretation per column, stated, or a clear refusal."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.data.csvfile import read_price_csv
from toolkit.data.dates import find_date_column, read_dates
from toolkit.data.frame import PriceFrame, Provenance, validate_prices
from toolkit.data.load import PriceRequest, load_prices
from toolkit.errors import DataError, ToolkitError

DAYS = pd.bdate_range("2021-01-01", periods=400)


@pytest.mark.parametrize(
    "values, expected, says",
    [
        (["2020-01-02", "2020-01-03"], ["2020-01-02", "2020-01-03"], "year-first"),
        (["2020/01/02", "2020/01/03"], ["2020-01-02", "2020-01-03"], "year-first"),
        (["02/01/2020", "13/01/2020"], ["2020-01-02", "2020-01-13"], "day-first (DD/MM/YYYY) dates: row 3"),
        (["01/02/2020", "01/13/2020"], ["2020-01-02", "2020-01-13"], "month-first (MM/DD/YYYY) dates: row 3"),
        (["02.01.20", "13.01.20"], ["2020-01-02", "2020-01-13"], "day-first"),
        (["Jan 2, 2020", "Jan 3, 2020"], ["2020-01-02", "2020-01-03"], "month names"),
        (["2020-01-02 00:00:00-05:00", "2020-01-03 00:00:00-05:00"], ["2020-01-02", "2020-01-03"], "year-first"),
        ([1577923200, 1578009600], ["2020-01-02", "2020-01-03"], "Unix epoch seconds"),
        ([1577923200000, 1578009600000], ["2020-01-02", "2020-01-03"], "Unix epoch milliseconds"),
        ([20200102, 20200103], ["2020-01-02", "2020-01-03"], "YYYYMMDD"),
    ],
)
def test_each_form_is_read_one_way_and_said(values, expected, says):
    reading = read_dates(pd.Series(values))
    assert list(reading.dates.strftime("%Y-%m-%d")) == expected
    assert says in reading.interpretation


@pytest.mark.parametrize(
    "values, message",
    [
        (["01/02/2020", "02/02/2020"], "could be day-first or month-first and no day above 12 settles it; give "
                                       "--date-format %d/%m/%Y (day first) or %m/%d/%Y (month first)"),
        (["13/01/2020", "01/13/2020"], "not one date order"),
        (["2020-01-02", "02/01/2020"], "mixes date forms: row 2 ('2020-01-02') is year-first"),
        (["2020-01-02", "soon"], "row 3 ('soon') is not a date"),
        ([1.5, 2.5], "neither YYYYMMDD dates nor plausible Unix epoch"),
        (["2020-01-02", None], "row 3 has no date"),
    ],
)
def test_what_cannot_be_read_with_certainty_is_refused(values, message):
    with pytest.raises(DataError, match=None) as err:
        read_dates(pd.Series(values), where="f.csv column 'Date'")
    assert str(err.value).startswith("f.csv column 'Date': ") and message in str(err.value)


def test_date_format_settles_an_ambiguous_file():
    reading = read_dates(pd.Series(["01/02/2020", "02/02/2020"]), date_format="%d/%m/%Y")
    assert list(reading.dates.strftime("%Y-%m-%d")) == ["2020-02-01", "2020-02-02"]
    with pytest.raises(DataError, match=r"row 3 \('2020-02-02'\) does not match --date-format"):
        read_dates(pd.Series(["01/02/2020", "2020-02-02"]), date_format="%d/%m/%Y")


def write(path, frame):
    frame.to_csv(path, index=False)
    return path


def test_day_first_file_of_400_dates_reads_every_date_right(tmp_path):
    # The hostile case: 304 of these 400 dates were misread month-first and re-sorted before.
    path = write(tmp_path / "dmy.csv", pd.DataFrame({"Date": DAYS.strftime("%d/%m/%Y"),
                                                     "Close": np.linspace(100, 140, len(DAYS))}))
    prices = load_prices(PriceRequest(csv=path))
    assert (prices.dates == DAYS).all()
    assert "day-first (DD/MM/YYYY)" in prices.provenance.dates


def test_fred_download_is_found_by_its_content(tmp_path):
    levels = np.linspace(3000, 3500, len(DAYS)).astype(object)
    levels[10] = "."                                            # FRED's missing value (a holiday)
    path = write(tmp_path / "SP500.csv", pd.DataFrame({"observation_date": DAYS.strftime("%Y-%m-%d"),
                                                       "SP500": levels}))
    prices = load_prices(PriceRequest(csv=path))
    assert prices.target == "SP500" and len(prices) == 400 and prices.cleaning.missing_filled == 1
    unnamed = write(tmp_path / "plain.csv", pd.DataFrame({"when": DAYS.strftime("%Y-%m-%d"),
                                                         "level": np.linspace(1, 2, len(DAYS))}))
    assert find_date_column(pd.read_csv(unnamed)) == "when"


def test_epoch_seconds_are_dates_not_one_row(tmp_path):
    path = write(tmp_path / "epoch.csv", pd.DataFrame({"timestamp": DAYS.asi8 // 10**9,
                                                       "Close": np.linspace(1, 2, len(DAYS))}))
    prices = load_prices(PriceRequest(csv=path))
    assert len(prices) == 400 and (prices.dates == DAYS).all()
    assert "epoch seconds" in prices.provenance.dates


def test_newest_first_is_reversed_and_disorder_refused(tmp_path):
    frame = pd.DataFrame({"Date": DAYS.strftime("%Y-%m-%d"), "Close": np.linspace(1, 2, len(DAYS))})
    prices = load_prices(PriceRequest(csv=write(tmp_path / "desc.csv", frame.iloc[::-1])))
    assert prices.dates.is_monotonic_increasing and "newest row first" in prices.provenance.dates
    shuffled = frame.iloc[[0, 2, 1] + list(range(3, len(frame)))]
    with pytest.raises(DataError, match=r"dates are not in time order: row 4 \(2021-01-04\) comes after row 3"):
        load_prices(PriceRequest(csv=write(tmp_path / "shuffled.csv", shuffled)))


# Property-based: whatever the bytes, a checked frame or a one-line ToolkitError.
CELLS = st.one_of(st.text(max_size=12), st.integers(-10**12, 10**13).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.dates().map(lambda d: d.strftime("%d/%m/%Y")), st.dates().map(str))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELLS, CELLS), min_size=0, max_size=12),
       header=st.sampled_from(["Date,Close", "when,price", "a,b", "Date,Close,Volume", ""]))
def test_fuzzed_csv_gives_a_frame_or_a_one_line_error(tmp_path, rows, header):
    path = tmp_path / "fuzz.csv"
    body = "\n".join(",".join(cell.replace(",", " ").replace("\n", " ") for cell in row) for row in rows)
    path.write_text(f"{header}\n{body}\n" if header else body)
    try:
        reading = read_price_csv(path)
        checked = validate_prices(reading.frame, reading.price_column, Provenance("csv", path.name, "fuzz"),
                                  unreadable=reading.unreadable, jumps="keep")
    except ToolkitError as err:
        assert "\n" not in str(err) and str(err)
        return
    assert isinstance(checked, PriceFrame)
    assert checked.dates.is_monotonic_increasing and checked.dates.is_unique
    assert np.isfinite(checked.prices).all() and (checked.prices > 0).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=16), st.integers(), st.floats(), st.dates().map(str)), max_size=10))
def test_fuzzed_date_columns_read_or_refuse_in_one_line(values):
    try:
        reading = read_dates(pd.Series(values, dtype=object))
    except DataError as err:
        assert "\n" not in str(err)
        return
    assert len(reading.dates) == len(values) and reading.interpretation


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_fuzzed_bytes_never_escape_as_another_exception(tmp_path, data):
    path = tmp_path / "bytes.csv"
    path.write_bytes(data)
    try:
        reading = read_price_csv(path)
        validate_prices(reading.frame, reading.price_column, Provenance("csv", "bytes", "fuzz"), jumps="keep")
    except ToolkitError as err:
        assert "\n" not in str(err)


def test_integers_too_large_for_any_date_are_refused_in_one_line():
    # Found by the fuzzer: 2**63 overflowed pandas' int64 conversion.
    for values in ([2**63], [str(2**63)], [10**30, 10**30 + 1]):
        with pytest.raises(DataError) as err:
            read_dates(pd.Series(values, dtype=object))
        assert "\n" not in str(err.value)
