"""The GARCH family as variance models of the risk run, fitted by ``arch`` (Kevin Sheppard).

GARCH(1,1) (Bollerslev 1986), GJR-GARCH(1,1,1) (Glosten, Jagannathan and Runkle 1993: a
larger response to falls) and EGARCH(1,1,1) (Nelson 1991: log variance, asymmetric), each
with normal or Student-t errors, on a zero mean (a daily mean return is a rounding error
beside its volatility, and a zero mean is what the VaR assumes). Returns are fitted in
percent, as ``arch`` advises for its optimiser, and forecasts come back in daily variance.
Between refits the parameters stay fixed and the variance recursion runs on the new days.
"""

from __future__ import annotations

import warnings

import numpy as np

from toolkit.forecasters.variance import RiskContext, RiskData, VarianceForecaster

#: ``vol`` names: (arch's volatility process, asymmetric order o, title).
PROCESSES = {"garch": ("GARCH", 0, "GARCH(1,1)"), "gjr": ("GARCH", 1, "GJR-GARCH(1,1)"),
             "egarch": ("EGARCH", 1, "EGARCH(1,1)")}
DISTRIBUTIONS = {"normal": "normal", "t": "t"}
SCALE = 100.0  # fit in percent


class GarchVariance(VarianceForecaster):
    """A GARCH-family variance model fitted by maximum likelihood with ``arch``.

    Args:
        vol: ``"garch"``, ``"gjr"`` or ``"egarch"``. Defaults to ``"garch"``.
        dist: Errors, ``"normal"`` or ``"t"`` (Student-t). Defaults to ``"normal"``.
        title: Defaults to e.g. "GJR-GARCH(1,1)-t".

    Fitted attributes:
        params_: The estimates (``omega``, ``alpha[1]``, ``gamma[1]``, ``beta[1]``, ``nu``),
            returns in percent, as a dict. std_errors_: Their standard errors (dict).
        nu_: The Student-t degrees of freedom, or None. persistence_: alpha + beta (+ gamma/2).
        converged_: Whether the optimiser said it converged.

    Raises:
        ValueError: For an unknown ``vol`` or ``dist``.
    """

    kind = "statistical"

    def __init__(self, vol: str = "garch", dist: str = "normal", title: str | None = None):
        if vol not in PROCESSES:
            raise ValueError(f"`vol` must be one of {', '.join(PROCESSES)}. Received: vol={vol!r}")
        if dist not in DISTRIBUTIONS:
            raise ValueError(f"`dist` must be one of {', '.join(DISTRIBUTIONS)}. Received: dist={dist!r}")
        self.vol = vol
        self.dist = dist
        self.title = title

    def default_title(self) -> str:
        return f"{PROCESSES[self.vol][2]}-{self.dist}"

    def _model(self, returns: np.ndarray):
        from arch import arch_model

        process, o, _ = PROCESSES[self.vol]
        return arch_model(SCALE * np.asarray(returns, dtype="float64"), mean="Zero", vol=process, p=1, o=o, q=1,
                          dist=DISTRIBUTIONS[self.dist], rescale=False)

    def fit(self, data: RiskData, context: RiskContext | None = None):
        with warnings.catch_warnings():  # arch warns on convergence; the flag is kept and reported
            warnings.simplefilter("ignore")
            result = self._model(data.returns).fit(disp="off", options={"maxiter": 500})
        self.params_ = {k: float(v) for k, v in result.params.items()}
        self.std_errors_ = {k: float(v) for k, v in result.std_err.items()}
        self.converged_ = result.convergence_flag == 0
        self.nu_ = self.params_.get("nu")
        p = self.params_
        self.persistence_ = (p["beta[1]"] if self.vol == "egarch"
                             else p["alpha[1]"] + p["beta[1]"] + 0.5 * p.get("gamma[1]", 0.0))
        self.n_params_ = len(self.params_)
        self.description_ = ", ".join(f"{k} {v:.4g} ({self.std_errors_[k]:.2g})" for k, v in self.params_.items()) + \
            f"; persistence {self.persistence_:.4f}" + ("" if self.converged_ else "; the optimiser did NOT converge")
        return self

    def predict(self, data: RiskData, start: int) -> np.ndarray:
        if not 1 <= start <= len(data):
            raise ValueError(f"{self.title} forecasts rows 1..len(data)={len(data)}. Received: start={start}")
        fixed = self._model(data.returns).fix(list(self.params_.values()))
        # The forecast made at row start-1 for row start, ... at the last row for the day after.
        forecast = fixed.forecast(start=start - 1, horizon=1, reindex=False)
        return forecast.variance.to_numpy()[:, 0] / SCALE ** 2
