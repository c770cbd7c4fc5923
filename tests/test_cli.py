"""The command line as a user meets it: a real run, and one-line errors for bad input."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import check_report, dark_mode_colours, sort_by_column
from toolkit.cli import main

SECTIONS = ["Data provenance and split", "Test metrics (price units", "Honesty panel", "Pesaran-Timmermann",
            "Holm-adjusted p", "adds to the last value?", "adaptive conformal (ACI)", "split conformal", "Winkler",
            "Walk-forward folds and leakage audit", "Training and validation loss",
            "Test period: actual against forecast", "Prediction intervals", "Residuals",
            "Strategy check (a sanity check, not advice)", "Forecast past the data",
            "Configuration, seed, versions, run time", "Diebold-Mariano"]


HEADINGS = ["Forecast report", "Data provenance and split", "Test metrics", "Honesty panel",
            "Walk-forward folds and leakage audit", "Training and validation loss", "Test period",
            "Prediction intervals", "Residuals", "Strategy check", "Forecast past the data", "Configuration"]


def run_cli(*args, tmp_path):
    env = {**os.environ, "TOOLKIT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "toolkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_quick_forecast_on_bundled_data_writes_a_full_report(tmp_path):
    done = run_cli("forecast", "--quick", "--offline", "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "source: bundled" in done.stdout
    assert "network not tried (--offline)" in done.stdout
    assert re.search(r"Epoch 1/3", done.stdout)  # Keras progress is visible
    assert "[fold 1/1]" in done.stdout and "[lstm] 3 epoch(s)" in done.stdout
    report = Path(re.search(r"\[done\] report: (\S+)", done.stdout).group(1))
    assert report.parent.parent == tmp_path / "out" and report.parent.name.startswith("forecast-GSPC-")
    html = report.read_text()
    for section in SECTIONS:
        assert section in html, section
    # split, 2 loss curves, test, intervals, residuals, strategy: all inline
    assert html.count("data:image/png;base64,") == 7
    assert "http://" not in html and "https://" not in html  # viewable offline
    assert (report.parent / "lstm.keras").is_file() and (report.parent / "metrics.json").is_file()
    # the forecast past 2018-12-31 skips New Year's Day on the NYSE calendar
    assert "next 1 trading day(s) on the XNYS calendar from 2019-01-02" in done.stdout
    seen = check_report(report, HEADINGS, "forecast")           # skips where no browser is installed
    assert seen["images"] == 7
    ranks = sort_by_column(report, 0, 2)                         # metrics table, by MAE, ascending
    assert ranks == [str(i) for i in range(1, len(ranks) + 1)]
    check_report(tmp_path / "out" / "index.html", ["Toolkit runs"], "index")
    dark = dark_mode_colours(report)                             # follows the system setting
    assert dark["body"] == "rgb(21, 25, 29)" and dark["text"] == "rgb(221, 227, 232)"
    assert dark["image"] == "rgb(255, 255, 255)"                 # figures keep their white ground


def test_bad_input_in_a_real_process_is_one_line_without_traceback(tmp_path):
    done = run_cli("forecast", "SPY", "--out", str(tmp_path / "out"), "--offline", tmp_path=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("toolkit: error: no prices for SPY: network not tried (--offline)")


def write_csv(path, n=300, prices=None):
    frame = pd.DataFrame({"Date": pd.bdate_range("2010-01-01", periods=n).astype(str),
                          "Close": prices if prices is not None else [100 + i * 0.1 for i in range(n)]})
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["forecast", "--window", "0"], 2, "toolkit: error: --window must be a whole number from 1 to 2,000. Received: 0"),
        (["forecast", "--horizon", "-2"], 2, "toolkit: error: --horizon must be a whole number from 1 to 260. Received: -2"),
        (["forecast", ""], 2, "toolkit: error: the ticker is empty; give a Yahoo Finance symbol such as ^GSPC"),
        (["forecast", "--seed", "-1", "--offline"], 2, "toolkit: error: --seed must be a whole number from 0 to 4,294,967,295. Received: -1"),
        (["forecast", "--cost-bps", "nan", "--offline"], 2, "toolkit: error: --cost-bps must be a finite number in [0, 10000]. Received: nan"),
        (["forecast", "--csv", "."], 2, "toolkit: error: --csv '.' is a folder, not a file; give the path of a CSV file"),
        (["forecast", "--start", "2010-01-01T00:00:00+05:00", "--end", "2009-06-01"], 2, "toolkit: error: --end 2009-06-01 is before --start 2010-01-01; swap them"),
        (["forecast", "--start", "2010-01-01", "--end", "2009-01-01"], 2, "toolkit: error: --end 2009-01-01 is before --start 2010-01-01; swap them"),
        (["forecast", "--window", "ten"], 2, "toolkit forecast: error: argument --window: invalid int value: 'ten' (see toolkit forecast --help)"),
        (["forecast", "BAD TICKER"], 2, "toolkit: error: ticker 'BAD TICKER' is not a Yahoo Finance symbol"),
        (["forecast", "NOSUCHTICKER"], 1, "toolkit: error: no prices for NOSUCHTICKER: Yahoo Finance unreachable (DNSError: Could not resolve host (test)), and it is neither cached in"),
        (["forecast", "--offline", "--folds", "80"], 1, "toolkit: error: too many folds: 80 folds of 62 test rows and a gap of 1 leave 70 rows to train the first fold, but window 60 + horizon 1 need at least 95; use --folds"),
        (["forecast", "--offline", "--horizon", "5", "--gap", "2"], 2, "toolkit: error: --gap must be at least the horizon so no training target overlaps a test target. Received: gap=2, horizon=5"),
        (["forecast", "--offline", "--horizon", "200", "--start", "2016-01-01"], 1, "toolkit: error: horizon 200 (plus a gap of 200) is too long for the test part of 114 rows"),
        (["forecast", "--offline", "--horizon", "400"], 2, "toolkit: error: --horizon must be a whole number from 1 to 260. Received: 400"),
        (["forecast", "--offline", "--models", "lstm,prophet"], 2, "toolkit: error: unknown model 'prophet': models are chosen from naive, drift, mean_return, moving_average, linear, ets, arima, mlp, lstm, gru, cnn_lstm, transformer, seq2seq, or defined as NAME=module:ATTR (a Keras builder, a scikit-learn regressor or a statsforecast model). Received: naive, lstm, prophet"),
        (["forecast", "--offline", "--calendar", "NYSEX"], 2, "toolkit: error: --calendar 'NYSEX' is not a known exchange calendar; use an ISO MIC such as XNYS"),
        (["forecast", "--offline", "--features", "close,sentiment"], 2, "toolkit: error: features must be chosen from close, open, high, low, volume, return. Received: close, sentiment"),
        (["forecast", "--offline", "--start", "2018-10-01"], 1, "toolkit: error: series too short: 63 rows split into train 43 / validation 10 / test 10, but window 60 + horizon 1 (gap 1) need at least 116 rows"),
    ],
)
def test_bad_options_and_tickers(args, code, message, capsys):
    assert main(args) == code
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_ticker_when_online(monkeypatch, capsys):
    from toolkit.data import load, yahoo

    def no_such_symbol(ticker, *args, **kwargs):
        raise yahoo.UnknownTicker(f"Yahoo Finance returned no prices for {ticker!r}; check the symbol or the dates")

    monkeypatch.setattr(load, "fetch_yahoo", no_such_symbol)
    assert main(["forecast", "ZZZZ9"]) == 1
    assert capsys.readouterr().err == "toolkit: error: Yahoo Finance returned no prices for 'ZZZZ9'; check the symbol or the dates\n"


@pytest.mark.parametrize(
    "content, message",
    [
        ("when,Close\nx,1\n", "no date column"),
        ("Date,level,other\n2020-01-01,1,2\n", "no price column"),
        ("Date,Close\n01/02/2020,1\n02/02/2020,2\n03/02/2020,3\n", "could be day-first or month-first"),
        ("Date,Close\n2020-01-01,1\n2020-01-02,abc\n2020-01-03,3\n",
         "price column 'Close' holds a value that is not a number with this file's decimal point (',' between "
         "thousands): row 3 ('abc'); fix that row, or give --decimal / --price-column"),
    ],
)
def test_bad_csv(tmp_path, content, message, capsys):
    path = tmp_path / "prices.csv"
    path.write_text(content)
    assert main(["forecast", "--csv", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {path}") or err.startswith("toolkit: error: prices.csv")
    assert message in err and err.count("\n") == 1


def test_short_csv_says_the_numbers(tmp_path, capsys):
    path = write_csv(tmp_path / "short.csv", n=50)
    assert main(["forecast", "--csv", str(path), "--window", "30"]) == 1
    assert "series too short: 50 rows split into train 34 / validation 8 / test 8, but window 30 + horizon 1 (gap 1) need at least 72 rows" in capsys.readouterr().err


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["forecast", "--offline", "--out", str(blocker / "reports")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: cannot write to output folder '{blocker / 'reports'}'")
    assert err.rstrip().endswith("choose a writable folder with --out")


def test_help_lists_the_forecast_options(capsys):
    assert main(["forecast", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--csv", "--start", "--end", "--window", "--horizon", "--epochs", "--batch-size",
                 "--seed", "--out", "--offline", "--quick"):
        assert flag in out


def test_models_lists_every_builder_with_its_parameters_and_arguments(capsys):
    from toolkit.builders import registered

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for spec in registered():
        assert spec.name in out and spec.description in out
    assert "806,017" in out and "93,322" in out and "61,601" in out
    assert main(["models", "stacked_lstm"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "stacked_lstm recurrent 806,017" in out and "window=60, n_features=1, units=256, dropout=0.4" in out
    assert main(["models", "lstm"]) == 2
    assert capsys.readouterr().err.startswith("toolkit: error: unknown builder 'lstm'; choose from bernoulli_classifier")


def test_the_models_catalogue_is_current():
    from toolkit.builders.catalogue import build_catalogue, read_catalogue

    assert read_catalogue() == build_catalogue(), "run python -m toolkit.builders.catalogue to rewrite it"


def test_models_answers_fast_without_keras_and_a_closed_pipe_is_quiet():
    script = ("import sys, time\nfrom toolkit.cli import main\nstarted = time.perf_counter()\n"
              "code = main(['models'])\nprint(code, time.perf_counter() - started, 'keras' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    code, seconds, keras_loaded = done.stdout.split()[-3:]
    assert code == "0" and float(seconds) < 2 and keras_loaded == "False", done.stdout[-300:]
    piped = subprocess.run(f"{sys.executable} -m toolkit.cli models | head -1", shell=True, capture_output=True,
                           text=True, timeout=60)
    assert piped.stdout.startswith("name") and piped.stderr == ""


def test_run_forecast_pipeline_file_quick(tmp_path):
    done = run_cli("run", "forecast", "--quick", "--quiet", "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "[done] report:" in done.stdout and "source: bundled" in done.stdout


@pytest.mark.parametrize(
    "text, message",
    [
        ('kind = "forecast"\n[forecast]\nwindw = 30\n', "unknown key 'windw' in [forecast]; allowed: batch_size, calendar, cost_bps"),
        ('kind = "forecast"\n[forecast]\nwindow = "thirty"\n', "[forecast] window must be a whole number. Received: 'thirty'"),
        ('kind = "forecast"\n[forecast]\nwindow = -3\n', "--window must be a whole number from 1 to 2,000. Received: -3"),
        ('kind = "forecast"\n[forecast]\nfolds = 2.5\n', "[forecast] folds must be a whole number. Received: 2.5"),
        ('kind = "forecast"\n[plots]\nwidth = 3\n', "unknown section [plots] for kind 'forecast'; allowed: data, executor, forecast"),
        ('kind = "forcast"\n', "'kind' must be one of"),
        ('kind = "forecast"\n[forecast\n', "not valid TOML"),
    ],
)
def test_malformed_pipeline_file(tmp_path, text, message, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit: error: {path}: ")
    assert message in err and err.count("\n") == 1


def test_unknown_pipeline_name(capsys):
    assert main(["run", "nonesuch"]) == 2
    assert capsys.readouterr().err.startswith(
        "toolkit: error: no pipeline named 'nonesuch'; choose one of autoencoder, burgers, burgers-discovery, digits, "
        "forecast, generative, heat, heat-discovery, lectures, risk, sine, sysid or give a .toml path")


def test_help_answers_without_importing_the_numerical_stack():
    script = ("import sys\nfrom toolkit.cli import main\n"
              "for argv in (['--help'], ['forecast', '--help'], ['run', '--help'], ['models', '--help']):\n"
              "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
              "print(sorted(m for m in ('numpy', 'pandas', 'keras', 'tensorflow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_epochs_given_with_quick_beat_the_profile(monkeypatch, tmp_path):
    import toolkit.runs.forecast as forecast

    seen = []

    def capture(request, config, out_dir, **kwargs):
        seen.append(config)
        raise SystemExit(0)

    monkeypatch.setattr(forecast, "forecast_job", capture)
    for argv, epochs in ((["--quick", "--epochs", "5"], 5), (["--quick"], 3), ([], 20)):
        with pytest.raises(SystemExit):
            main(["forecast", "--offline", "--out", str(tmp_path), *argv])
        assert seen[-1].epochs == epochs
