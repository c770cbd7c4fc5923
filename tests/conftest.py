"""Shared fixtures. Every test runs offline, with its own cache and report folders."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

# Property-based tests draw the same examples on every run (seeded by each test), so CI is
# reproducible; nothing is stored between runs.
settings.register_profile("toolkit", derandomize=True, database=None, deadline=None)
settings.load_profile("toolkit")

from toolkit.data.frame import Provenance, validate_prices


#: The modules whose tests take longest (``--durations``), longest first. pytest-xdist hands
#: tests to its workers in collection order, so a long test collected last keeps one worker
#: busy while the others have nothing left to do; started first, it runs beside the short ones.
SLOW_MODULES = (
    "tests/runs/test_science.py", "tests/test_examples.py", "tests/runs/test_risk.py",
    "tests/builders/test_registry.py", "tests/runs/test_forecast.py", "tests/test_cli.py",
    "tests/training/test_gradients.py", "tests/test_backends.py", "tests/runs/test_user_models.py",
    "tests/runs/test_attention_models.py", "tests/builders/test_generative.py", "tests/runs/test_discovery.py",
    "tests/training/test_traced.py", "tests/tuning/test_search.py", "tests/runs/test_universe.py",
)


def pytest_collection_modifyitems(config, items):
    """Longest first: the tests of an xdist group (they run one after another in one worker),
    then :data:`SLOW_MODULES` in that order, then the rest as collected. Within a module the
    order is unchanged, so module-scoped fixtures are made once."""
    rank = {module: index + 1 for index, module in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: 0 if item.get_closest_marker("xdist_group") else
               rank.get(item.nodeid.split("::")[0], len(rank) + 1))


@pytest.fixture(scope="session", autouse=True)
def _close_browser():
    yield
    from tests.browser import close_browser

    close_browser()


def isolate_dirs(patch: pytest.MonkeyPatch, folder) -> None:
    """Point the toolkit's cache and reports folders into ``folder``."""
    patch.setenv("TOOLKIT_CACHE_DIR", str(folder / "cache"))
    patch.setenv("TOOLKIT_REPORTS_DIR", str(folder / "reports"))


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    isolate_dirs(monkeypatch, tmp_path)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any attempt to reach Yahoo Finance fails as it does offline, fast."""
    from toolkit.data import load, yahoo

    def offline(*args, **kwargs):
        raise yahoo.NetworkUnavailable("DNSError: Could not resolve host (test)")

    monkeypatch.setattr(load, "fetch_yahoo", offline)


def random_walk(n: int, seed: int = 0, start: float = 100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0, 0.01, n)))


def price_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    dates = pd.bdate_range("2015-01-01", periods=n)
    close = random_walk(n, seed)
    return pd.DataFrame({"Open": close, "Close": close, "Volume": np.arange(n, dtype=float)}, index=dates)


@pytest.fixture
def price_frame():
    return validate_prices(price_table(), "Close", Provenance("csv", "synthetic", "test data"))


def float64_ready() -> bool:
    """Whether the PDE machinery can compute in float64 here: TensorFlow, or JAX in 64-bit mode."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        if jax.config.jax_enable_x64:  # this process's own (JAX_ENABLE_X64=1): Keras's promotion follows
            from toolkit.training.compiled import enable_float64

            enable_float64()
        return bool(jax.config.jax_enable_x64)
    return keras.backend.backend() == "tensorflow"
