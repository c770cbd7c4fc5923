from pathlib import Path

import pytest

from toolkit.data.load import PriceRequest
from toolkit.data.universe import build_universe, read_tickers_file
from toolkit.errors import UsageError


def test_tickers_file_skips_comments_and_blank_lines(tmp_path):
    path = tmp_path / "watch.txt"
    path.write_text("\ufeff# my watch list\nSPY\n\n  qqq   # tech\n^GSPC\n#IWM\n", encoding="utf-8")
    assert read_tickers_file(path) == ["SPY", "qqq", "^GSPC"]


@pytest.mark.parametrize("content, message", [
    ("# nothing\n\n", "lists no symbols; put one symbol a line"),
    ("SPY QQQ\n", "line 1: 'SPY QQQ' holds more than one entry"),
])
def test_tickers_file_errors(tmp_path, content, message):
    path = tmp_path / "watch.txt"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        read_tickers_file(path)


def test_missing_or_folder_tickers_file(tmp_path):
    with pytest.raises(UsageError, match="no such file; check the path"):
        read_tickers_file(tmp_path / "absent.txt")
    with pytest.raises(UsageError, match="is a folder"):
        read_tickers_file(tmp_path)


def test_universe_checks_every_entry_and_drops_duplicates(tmp_path):
    csv = tmp_path / "gold.csv"
    csv.write_text("Date,Close\n2020-01-02,1\n")
    template = PriceRequest(start="2010-01-01", offline=True)
    universe = build_universe(["spy", "SPY", str(csv), "^gspc"], template)
    assert [u.label for u in universe] == ["SPY", "gold.csv", "^GSPC"]
    assert universe[0].request.ticker == "SPY" and universe[0].request.start == "2010-01-01"
    assert universe[1].request.csv == str(csv) and universe[1].request.ticker is None


@pytest.mark.parametrize("entries, message", [
    ([], "no tickers given"),
    (["SPY", "no way"], "ticker 'no way' is not a Yahoo Finance symbol"),
    (["SPY", "missing.csv"], "ticker list entry 'missing.csv': --csv 'missing.csv': no such file"),
])
def test_universe_refuses_bad_entries_before_loading(entries, message):
    with pytest.raises(UsageError, match=message):
        build_universe(entries, PriceRequest())


def test_two_csv_files_of_one_name_are_refused(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "prices.csv").write_text("Date,Close\n2020-01-02,1\n")
    with pytest.raises(UsageError, match="two CSV files share the name 'prices.csv'"):
        build_universe([str(tmp_path / "a" / "prices.csv"), str(tmp_path / "b" / "prices.csv")], PriceRequest())
