import numpy as np
import pandas as pd
import pytest

from toolkit.data.frame import Provenance, validate_prices
from toolkit.errors import DataError

PROV = Provenance("csv", "prices.csv", "test")


def raw(values, dates=None, **extra):
    dates = dates if dates is not None else pd.bdate_range("2020-01-01", periods=len(values)).astype(str)
    return pd.DataFrame({"Close": values, **extra}, index=dates)


def test_index_becomes_sorted_unique_naive_dates():
    dates = pd.DatetimeIndex(["2020-01-03", "2020-01-02", "2020-01-03", "2020-01-06"]).tz_localize("America/New_York")
    checked = validate_prices(raw([1.0, 2.0, 3.0, 4.0], dates), "Close", PROV)
    assert list(checked.dates.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03", "2020-01-06"]
    assert checked.dates.tz is None and checked.dates.is_unique
    assert checked.prices.loc["2020-01-03"] == 3.0  # the last duplicate wins
    assert checked.cleaning.duplicate_dates_dropped == 1


def test_missing_values_rule_drop_leading_ffill_inside():
    values = [np.nan, np.nan] + [10.0 + i for i in range(20)]
    values[5] = np.nan  # one gap in 20 rows: 5%, filled
    checked = validate_prices(raw(values), "Close", PROV)
    assert checked.prices.tolist()[:5] == [10.0, 11.0, 12.0, 12.0, 14.0] and len(checked) == 20
    assert checked.cleaning.leading_missing_dropped == 2
    assert checked.cleaning.missing_filled == 1


def test_gaps_are_counted_not_filled():
    dates = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-10"])
    checked = validate_prices(raw([1.0, 1.1, 1.2], dates), "Close", PROV)
    assert len(checked) == 3
    assert checked.cleaning.business_days_missing == 5
    assert checked.cleaning.largest_gap_days == 8


def test_text_columns_dropped_and_numbers_coerced():
    checked = validate_prices(raw(["1.5", "1.6", "1.7"], Name=["a", "b", "c"]), "Close", PROV)
    assert checked.frame.dtypes.eq("float64").all()
    assert checked.cleaning.columns_dropped == ("Name",)


def test_date_range_filter():
    checked = validate_prices(raw([1.0, 2.0, 3.0, 4.0]), "Close", PROV, start="2020-01-02", end="2020-01-03")
    assert checked.prices.tolist() == [2.0, 3.0]
    assert checked.cleaning.rows_outside_range == 2


@pytest.mark.parametrize(
    "frame, message",
    [
        (raw([1.0, "abc", 3.0]), "prices.csv: price column 'Close' holds non-numeric values (e.g. 'abc' on 2020-01-02); fix or remove those rows"),
        (raw([1.0, -2.0, 3.0]), "prices.csv: prices must be positive, got -2.0 on 2020-01-02; check the price column"),
        (raw([1.0]), "prices.csv: only 1 usable rows; give a longer date range or more data"),
    ],
)
def test_bad_input_messages(frame, message):
    with pytest.raises(DataError) as err:
        validate_prices(frame, "Close", PROV)
    assert str(err.value) == message


def test_missing_target_column():
    with pytest.raises(DataError, match=r"no price column 'Price'; columns are \['Close'\]"):
        validate_prices(raw([1.0, 2.0]), "Price", PROV)


@pytest.mark.parametrize(
    "values, message",
    [
        ([1.0, 2.0, np.inf, 3.0], "price inf on 2020-01-03 is not a finite number the models can hold"),
        ([1.0, 2.0, 1e308, 3.0], "price 1e+308 on 2020-01-03 is not a finite number the models can hold"),
        ([5.0, 5.0, 5.0, 5.0], "the price never changes (5 on all 4 rows); there is nothing to forecast"),
    ],
)
def test_non_finite_overflowing_and_constant_prices_are_refused_with_the_row(values, message):
    with pytest.raises(DataError) as err:
        validate_prices(raw(values), "Close", PROV)
    assert str(err.value).startswith(f"prices.csv: {message}")


# -- an index of text goes through the CSV reader's date rules ---------------------------------

def test_a_text_index_is_read_by_the_date_rules_not_guessed(tmp_path):
    days = pd.bdate_range("2022-01-03", periods=30)
    path = tmp_path / "dayfirst.csv"
    path.write_text("Date,Close\n" + "\n".join(f"{d:%d/%m/%Y},{100 + i}" for i, d in enumerate(days)) + "\n")
    checked = validate_prices(pd.read_csv(path, index_col=0), "Close", PROV)  # no parse_dates: text
    assert checked.dates.equals(pd.DatetimeIndex(days, name="Date"))
    assert checked.notes() == ["dates: index of text read as day-first (DD/MM/YYYY) dates: row 9 ('13/01/2022') "
                               "settles the order"]
    monthly = raw([1.0, 2.0, 3.0], pd.date_range("2022-01-01", periods=3, freq="MS").strftime("%d/%m/%Y"))
    with pytest.raises(DataError) as err:
        validate_prices(monthly, "Close", PROV)
    assert str(err.value) == (
        "prices.csv: the index: dates such as '01/01/2022' could be day-first or month-first and no day above 12 "
        "settles it; parse the index first with the format it is written in, e.g. frame.index = "
        "pd.to_datetime(frame.index, format='%d/%m/%Y') for day-first dates")
    with pytest.raises(DataError, match=r"^prices.csv: the index: holds numbers that are neither YYYYMMDD dates .*; "
                                        r"set the date column as the index, e.g. frame.set_index\('Date'\)$"):
        validate_prices(pd.read_csv(path), "Close", PROV)  # the dates left in a column


def test_an_index_with_daylight_saving_offsets_keeps_each_date():
    days = pd.bdate_range("2023-03-08", periods=6).tz_localize("America/New_York")
    for index in ([t.isoformat(sep=" ") for t in days], pd.Index(list(days.to_pydatetime()), dtype=object)):
        checked = validate_prices(raw([100.0 + v for v in range(6)], index), "Close", PROV)
        assert list(checked.dates.strftime("%Y-%m-%d")) == list(days.strftime("%Y-%m-%d"))
        assert checked.cleaning.dates.endswith("local times as written (UTC offsets -05:00, -04:00 dropped)")


# -- gaps and repeats are said, or refused when they would mislead -----------------------------

def test_a_target_mostly_carried_forward_is_refused():
    values = [100.0 + i if i % 3 else np.nan for i in range(1, 31)]
    with pytest.raises(DataError) as err:
        validate_prices(raw(values), "Close", PROV)
    assert str(err.value) == ("prices.csv: price column 'Close' would be 10 of 30 values (33%) carried forward "
                              "(missing in the data; at most 5% are filled); fill the gaps in the data, or choose a "
                              "complete column with --price-column")
    values = [100.0 + i for i in range(40)]
    values[20] = np.nan
    checked = validate_prices(raw(values), "Close", PROV)
    assert checked.cleaning.filled == {"Close": 1} and checked.prices.iloc[20] == 119.0


def test_dropped_leading_rows_and_repeated_dates_are_said():
    adj = [np.nan] * 5 + [90.0 + i for i in range(20)]
    frame = pd.DataFrame({"Close": [100.0 + i for i in range(25)], "Adj Close": adj},
                         index=pd.bdate_range("2022-01-03", periods=25))
    checked = validate_prices(frame, "Adj Close", PROV)
    assert len(checked) == 20 and checked.cleaning.leading_missing_dropped == 5
    assert checked.notes() == ["5 leading row(s) without a 'Adj Close' price dropped; column 'Close' has prices "
                               "there: --price-column Close would keep them"]
    dates = list(pd.bdate_range("2022-01-03", periods=30).astype(str))
    twice = raw([100.0 + i for i in range(32)], dates[:10] + [dates[9]] + dates[10:20] + [dates[19]] + dates[20:])
    twice.iloc[10] = twice.iloc[9]  # 2022-01-14 repeats its row exactly
    twice.iloc[21] = 121.5          # the second row of 2022-01-28 differs: a correction
    checked = validate_prices(twice, "Close", PROV)
    assert checked.prices.loc["2022-01-28"] == 121.5 and len(checked) == 30
    assert checked.cleaning.duplicate_dates_dropped == 2
    assert checked.notes()[1:] == ["1 repeated row(s) (same date, same values) dropped",
                                   "1 date(s) appeared twice with different values; the last row of each was kept"]
