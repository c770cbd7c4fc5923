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
    checked = validate_prices(raw([np.nan, np.nan, 10.0, np.nan, 12.0]), "Close", PROV)
    assert checked.prices.tolist() == [10.0, 10.0, 12.0]
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
