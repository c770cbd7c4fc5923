"""The risk run end to end: the report in a browser, no look-ahead, the fallbacks, your models, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.browser import check_report
from toolkit.cli import main
from toolkit.data.bundled import find_bundled, read_bundled
from toolkit.runs.risk import RiskConfig, run_risk

SECTIONS = ["Volatility forecasts", "Value-at-Risk backtests", "Violations by year", "Tomorrow", "Models"]
FAST = "hist22,ewma,garch_t,har"
QUIET = {"log": lambda line: None}


def bars(rows: int = 1600) -> pd.DataFrame:
    return read_bundled(find_bundled("^GSPC")).iloc[-rows:]


def test_quick_pipeline_writes_every_section_and_a_verdict(tmp_path, capsys):
    assert main(["run", "risk", "--quick", "--out", str(tmp_path)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    (folder,) = tmp_path.glob("risk-*")
    metrics = json.loads((folder / "metrics.json").read_text())
    m = metrics["metrics"]
    assert metrics["kind"] == "risk" and metrics["config"]["quick"] is True
    assert set(m["ranking"]) == {"hist22", "hist66", "hist252", "ewma", "garch", "garch_t", "gjr", "gjr_t", "egarch",
                                 "egarch_t", "har", "lstm"}
    assert m["forecast_days"] == 740 and m["proxy"] == "close_to_close" and m["feature_proxy"] == "parkinson"
    assert len(m["var"]) == 12 * 4 * 2 and m["tomorrow"]["date"] == "2019-01-02"  # New Year's Day is closed
    assert "The LSTM" in " ".join(m["verdict"]) and "[result] Tomorrow (2019-01-02, the next XNYS session)" in out
    row = m["var"]["ewma/normal/0.99"]
    assert row["expected"] == pytest.approx(7.4) and 0 <= row["kupiec_p"] <= 1
    html = (folder / "report.html").read_text()
    assert "data:image/png;base64," in html and "https://" not in html
    check_report(folder / "report.html", SECTIONS, "risk")


def _perturbed(frame: pd.DataFrame, first: int, seed: int = 0) -> pd.DataFrame:
    changed = frame.copy()
    factor = np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.03, len(frame) - first)))
    for column in ("Open", "High", "Low", "Close", "Adj Close"):
        changed.iloc[first:, changed.columns.get_loc(column)] *= factor
    return changed


def test_changing_prices_after_a_day_leaves_every_earlier_forecast_and_var_bit_identical():
    frame = bars(1601)
    config = RiskConfig(models=("hist22", "ewma", "garch_t", "egarch", "har", "lstm"), epochs=1, refit_every=40,
                        network_refit_every=150)
    before = run_risk(frame, config, **QUIET)
    first = 1601 - 120  # the first frame row changed; its return is return row first - 1
    after = run_risk(_perturbed(frame, first), config, **QUIET)
    unchanged = first - 1 - config.min_train  # test rows before the first changed return
    assert 0 < unchanged < len(before.returns)
    for name, path in before.paths.items():
        assert np.array_equal(path.variance[:unchanged + 1], after.paths[name].variance[:unchanged + 1]), name
        assert not np.array_equal(path.variance[unchanged + 2:], after.paths[name].variance[unchanged + 2:]), name
    for key, forecast in before.var.items():
        assert np.array_equal(forecast.var[:unchanged + 1], after.var[key].var[:unchanged + 1]), key
        assert np.array_equal(forecast.es[:unchanged + 1], after.var[key].es[:unchanged + 1]), key


def test_a_close_only_file_falls_back_to_squared_returns_and_says_so(tmp_path, capsys):
    path = tmp_path / "close.csv"
    bars()[["Close"]].to_csv(path)
    assert main(["risk", "--csv", str(path), "--models", FAST, "--quick", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "the data has no High, Low column, so the feature proxy is close-to-close" in out
    (folder,) = (tmp_path / "out").glob("risk-*")
    metrics = json.loads((folder / "metrics.json").read_text())["metrics"]
    assert metrics["feature_proxy"] == "close_to_close" and metrics["tomorrow"]["calendar"] == "business-days"


def test_an_exogenous_column_brings_har_x_in(tmp_path, capsys):
    frame = bars(2100)
    returns = np.log(frame["Close"]).diff()
    frame = frame.assign(VIX=100 * np.sqrt(252) * returns.rolling(22, min_periods=2).std().bfill())
    path = tmp_path / "with_vix.csv"
    frame.to_csv(path)
    assert main(["risk", "--csv", str(path), "--models", FAST, "--exog-column", "VIX", "--quick",
                 "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    (folder,) = (tmp_path / "out").glob("risk-*")
    ranking = json.loads((folder / "metrics.json").read_text())["metrics"]["ranking"]
    assert "harx" in ranking and "lstm" not in ranking


USER_FILE = '''
import keras
import numpy as np
from toolkit.forecasters.variance import VarianceForecaster


class LongRunVariance(VarianceForecaster):
    """The training rows' mean squared return, every day."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def fit(self, data, context):
        self.level_ = self.scale * float(np.mean(data.returns ** 2))
        return self

    def predict(self, data, start):
        return np.full(len(data) - start + 1, self.level_)


def dense_builder(window, n_features, units=4):
    inputs = keras.Input((window, n_features))
    hidden = keras.layers.Dense(units, activation="relu", name="hidden")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, keras.layers.Dense(1, name="log_variance")(hidden))
'''


def test_your_models_join_from_a_pipeline_file_and_the_notebook(tmp_path, capsys):
    (tmp_path / "mine.py").write_text(USER_FILE)
    pipeline = tmp_path / "risk.toml"
    pipeline.write_text('kind = "risk"\n[risk]\nmodels = ["hist22", "garch_t"]\nepochs = 2\n'
                        '[models.longrun]\nbuilder = "mine.py:LongRunVariance"\nscale = 1.0\n'
                        '[models.dense]\nbuilder = "mine.py:dense_builder"\nunits = 3\n')
    assert main(["run", str(pipeline), "--quick", "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    (folder,) = (tmp_path / "out").glob("risk-*")
    metrics = json.loads((folder / "metrics.json").read_text())["metrics"]
    assert set(metrics["ranking"]) == {"hist22", "garch_t", "longrun", "dense"}
    assert metrics["volatility"]["dense"]["title"] == "dense_builder on log variance (QLIKE)"
    # A constant forecast cannot track volatility: GARCH-t beats it on QLIKE.
    assert metrics["volatility"]["garch_t"]["qlike"] < metrics["volatility"]["longrun"]["qlike"]

    import importlib.util

    spec = importlib.util.spec_from_file_location("mine_again", tmp_path / "mine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = run_risk(bars(), RiskConfig(models=("hist22",)).quick_profile(),
                      models={"longrun": module.LongRunVariance()}, **QUIET)
    assert list(result.forecasts_frame().columns) == ["return", "proxy", "hist22", "longrun"]


@pytest.mark.parametrize("args, message", [
    (["--models", "hist22,figarch"], "models must be from hist22, hist66"),
    (["--levels", "0.99,1.2"], "levels must be VaR confidences between 0.5 and 1, e.g. 0.95,0.99. Received: (0.99, 1.2)"),
    (["--levels", "0.99,x"], "--levels must be numbers such as 0.95,0.99. Received: '0.99,x'"),
    (["--min-train", "900"], "min_train must be at least 1,252 for a 0.99 VaR"),
    (["--models", "har,harx"], "harx needs an exogenous series: give exog_column (--exog-column NAME)"),
    (["--reference", "lstm"], "reference must be a statistical model"),
    (["--models", "hist22,mine=nowhere.py:Model"], "model 'mine': no file"),
    (["--calendar", "XMARS"], "--calendar 'XMARS' is not a known exchange calendar"),
    (["--proxy", "vix"], "proxy must be one of close_to_close, parkinson, garman_klass, rogers_satchell, yang_zhang. "
                         "Received: 'vix'"),
])
def test_bad_settings_are_one_line_usage_errors_before_any_data(args, message, tmp_path, capsys):
    assert main(["risk", "--offline", "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "[data]" not in capsys.readouterr().out


BROKEN_MODELS = """
import numpy as np
from toolkit.forecasters.variance import VarianceForecaster


class Negative(VarianceForecaster):
    def predict(self, data, start):
        return -np.ones(len(data) - start + 1)


class NotAModel:
    pass
"""


def test_one_model_alone_yours_alone_and_a_broken_one_leave_the_run_standing(tmp_path, capsys):
    (tmp_path / "broken.py").write_text(BROKEN_MODELS)
    (tmp_path / "mine.py").write_text(USER_FILE)
    bars_file = tmp_path / "bars.csv"
    bars().to_csv(bars_file)
    out = tmp_path / "out"
    # a CSV path as the one TICKER; only the reference left after a model of yours fails
    assert main(["risk", str(bars_file), "--quick", "--models", f"neg={tmp_path / 'broken.py'}:Negative",
                 "--out", str(out)]) == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert text.count("neg left the comparison: Negative's forecasts from row 1260 must be 63 finite variances of "
                      "at least 0; received 63 values, 63 negative or not finite") == 1
    assert main(["risk", str(bars_file), "--quick", "--models", f"longrun={tmp_path / 'mine.py'}:LongRunVariance",
                 "--out", str(out)]) == 0, capsys.readouterr().err
    ranked = [json.loads((f / "metrics.json").read_text())["metrics"]["ranking"] for f in sorted(out.glob("risk-*"))]
    assert ranked == [["hist22"], ["hist22", "longrun"]] or ranked == [["hist22"], ["longrun", "hist22"]]
    assert main(["risk", "--offline", "--models", f"x={tmp_path / 'broken.py'}:NotAModel", "--out", str(out)]) == 2
    assert "is not a VarianceForecaster" in capsys.readouterr().err
    assert main(["risk", "--offline", "--models", f"garch={tmp_path / 'mine.py'}:LongRunVariance", "--out", str(out)]) == 2
    assert "model 'garch' is a built-in model's name" in capsys.readouterr().err


def test_a_bad_bar_and_stale_prices_do_not_cost_the_run(tmp_path, capsys):
    frame = bars()
    frame.iloc[-300:-270, frame.columns.get_loc("Close")] = frame["Close"].iloc[-301]  # 30 stale closes
    frame.iloc[-300:-270, frame.columns.get_loc("High")] = frame["High"].iloc[-300:-270].clip(lower=frame["Close"].iloc[-301])
    frame.iloc[-300:-270, frame.columns.get_loc("Low")] = frame["Low"].iloc[-300:-270].clip(upper=frame["Close"].iloc[-301])
    frame.iloc[-10, frame.columns.get_loc("High")] = frame["Close"].iloc[-10] * 0.99  # a High below the Close
    result = run_risk(frame, RiskConfig(models=("hist22", "ewma", "har")).quick_profile(), **QUIET)
    assert any("the feature proxy is close-to-close instead of parkinson: High must be the bar's highest price and "
               "Low its lowest; 1 rows break that (first at 2018-12-17)" in note for note in result.warnings)
    assert result.paths["hist22"].floored > 0 and (result.paths["hist22"].variance > 0).all()


def test_help_names_every_proxy_and_model(capsys):
    from toolkit.evaluation.volatility import PROXIES
    from toolkit.runs.risk import MODELS

    assert main(["risk", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert all(proxy in text for proxy in PROXIES) and all(model in text for model in MODELS)


def test_an_unknown_exogenous_column_fails_the_run_in_one_line(tmp_path, capsys):
    assert main(["risk", "--offline", "--quick", "--exog-column", "VIX", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("toolkit: error: exog_column 'VIX' is not a column of the data") and err.count("\n") == 1


def test_many_tickers_write_each_report_and_a_leaderboard_and_a_failure_stays_local(tmp_path, capsys):
    short = tmp_path / "short.csv"
    bars(300)[["Close"]].to_csv(short)
    code = main(["risk", "^GSPC", "^IXIC", str(short), "--offline", "--quick", "--models", FAST,
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("toolkit: error: 1 of 3 ticker(s) failed (short.csv); their reasons are in ")
    assert err.count("\n") == 1
    reports = sorted(p.name.split("-")[0] for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert reports == ["risk", "risk", "risk"]  # two tickers' reports and the leaderboard ("risk-leaderboard-...")
    (board,) = (tmp_path / "out").glob("risk-leaderboard-*")
    rows = json.loads((board / "metrics.json").read_text())["metrics"]
    assert [row["ticker"] for row in rows["rows"]] == ["^GSPC", "^IXIC"]
    assert "fewer than 250 forecast days" in rows["failures"]["short.csv"]
    assert all(row["tomorrow"] == "2019-01-02" for row in rows["rows"])
    check_report(board / "report.html", ["Leaderboard"], "risk-leaderboard")


@pytest.mark.xdist_group("ray")
def test_ray_gives_the_local_numbers(tmp_path):
    ray_module = pytest.importorskip("ray")
    from toolkit.data.load import PriceRequest
    from toolkit.data.universe import collect_universe
    from toolkit.runs.executors import LocalExecutor, RayExecutor
    from toolkit.runs.risk.universe import risk_universe_job

    entries = collect_universe(["^GSPC", "^IXIC"], None, PriceRequest(offline=True))
    config = RiskConfig(models=tuple(FAST.split(","))).quick_profile()
    _, local = risk_universe_job(entries, config, tmp_path / "local", LocalExecutor(), **QUIET)
    ray_module.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        lines = []
        _, remote = risk_universe_job(entries, config, tmp_path / "ray", RayExecutor(), log=lines.append)
    finally:
        ray_module.shutdown()
    assert "[ray] 2 tasks submitted" in lines
    for label in ("^GSPC", "^IXIC"):
        mine = json.loads((local[label].parent / "metrics.json").read_text())["metrics"]
        theirs = json.loads((remote[label].parent / "metrics.json").read_text())["metrics"]
        # arch's optimiser runs on the process's BLAS threads (one per Ray task, two here): the GARCH
        # fits agree to about 1e-8, not bit for bit (measured); every other model's numbers are equal.
        for name, row in mine["volatility"].items():
            assert theirs["volatility"][name]["qlike"] == pytest.approx(row["qlike"], rel=1e-6, abs=0), name
            if not name.startswith("garch"):
                assert theirs["volatility"][name]["qlike"] == row["qlike"], name
        for key, row in mine["var"].items():
            assert theirs["var"][key]["violations"] == row["violations"], key
