# Two commands set everything up (see README):
#   make forecast   venv + install + the forecasting pipeline on the bundled data
#   make test       venv + install + the test suite (what .ci/run calls)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONUNBUFFERED = 1

JAX_STAMP := $(VENV)/.jax-stamp
TORCH ?= torch==2.13.0

.PHONY: install install-gpu install-jax install-torch browser forecast quick test bench bench-backends bench-coverage bench-peers bench-science bench-universe clean

# uv installs the versions pip resolves (the same `pip freeze`, checked) in under half pip's
# time here (30 against 65 s with the bytecode compiled: bench/README.md), so it does the
# installs. It reads neither pip.conf nor PIP_* variables (a private index is UV_DEFAULT_INDEX
# to it): `make INSTALLER=pip ...` installs with pip instead, and pip takes over by itself
# when uv cannot be installed. pip stays in the environment for the PyTorch, GPU and bench
# targets below.
INSTALLER ?= uv
INSTALL = $$(if [ "$(INSTALLER)" = uv ] && $(BIN)/python -m uv --version >/dev/null 2>&1; \
	then echo $(BIN)/python -m uv pip install --python $(BIN)/python --compile-bytecode; \
	else echo $(BIN)/python -m pip install --progress-bar off --disable-pip-version-check; fi)

$(STAMP): setup.cfg pyproject.toml
	@echo "== creating the virtual environment $(VENV) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALLER)" = uv ] && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv; then \
	  echo "== installing with uv ($$($(BIN)/python -m uv --version))"; \
	else \
	  echo "== installing with pip$$([ "$(INSTALLER)" = uv ] && echo ': uv could not be installed')"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip; \
	fi
	@echo "== installing toolkit and its libraries (TensorFlow CPU 274 MB, Keras, pandas, statsforecast, Optuna, arch, Ray, ..., about 1.5 GB on disk): under a minute from the package index with uv, 1-2 with pip, each package named"
	@install="$(INSTALL)"; echo "$$install -e '.[dev]'"; $$install -e '.[dev]'
	@$(BIN)/python -c 'import importlib.metadata as m; have = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in m.distributions()}; print("== installed:", ", ".join(f"{p} {have[p]}" for p in ("tensorflow-cpu", "tensorflow", "keras", "pandas", "statsforecast", "optuna", "arch", "ray") if p in have))'
	touch $(STAMP)

install: $(STAMP)

# The CUDA build of TensorFlow (Linux, NVIDIA driver present). tensorflow-cpu and tensorflow
# install the same files; reinstalling tensorflow last, at the same version, makes the CUDA
# build's the ones that stay.
install-gpu: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[gpu]'
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall \
	  "tensorflow==$$($(BIN)/python -c 'from importlib.metadata import version; print(version("tensorflow"))')"
	$(BIN)/python -c 'import tensorflow as tf; print("GPUs TensorFlow sees:", tf.config.list_physical_devices("GPU"))'

# The other Keras backends (TensorFlow is the default and always installed).
$(JAX_STAMP): $(STAMP)
	@echo "== installing JAX (the second Keras backend the tests run on)"
	@install="$(INSTALL)"; echo "$$install -e '.[jax]'"; $$install -e '.[jax]'
	touch $(JAX_STAMP)

install-jax: $(JAX_STAMP)

# TORCH=torch==<version> picks another build; the default is the CPU wheel this project is tested with.
install-torch: $(STAMP)
	@echo "== installing PyTorch ($(TORCH), CPU)"
	$(BIN)/python -m pip install --quiet "$(TORCH)"

# The main job on the bundled data, whatever the network: for live prices run
# .venv/bin/toolkit forecast SPY (Yahoo Finance, cached) after the first `make`.
forecast: $(STAMP)
	$(BIN)/toolkit forecast --offline $(ARGS)

quick: $(STAMP)
	$(BIN)/toolkit forecast --offline --quick $(ARGS)

# Headless Chromium for the report tests, from Debian's packages (never a downloaded build).
# Installed when missing and we are root with apt-get; otherwise those tests skip, saying why.
browser:
	@command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and chromium-driver (apt-get) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
	      || echo "could not install chromium; the browser tests will skip"; \
	  else \
	    echo "no chromium-driver: run 'apt-get install chromium chromium-driver' as root; the browser tests will skip"; \
	  fi; }

# The whole suite on TensorFlow, then the backend-neutral tests (builders, custom training
# steps, the forecaster adapters, MC dropout, a forecast run) again on every other installed backend: JAX always
# (installed here), PyTorch when present (make install-torch).
BACKEND_TESTS := tests/builders tests/forecasters tests/training tests/test_backends.py
# The PDE machinery in float64 needs JAX's 64-bit mode, a process-wide switch: its own run
# (test_pde.py runs there only, not also in float32).
FLOAT64_TESTS := tests/builders/test_pde.py tests/training/test_pinn_training.py tests/training/test_quasi_newton.py \
	tests/runs/test_discovery.py

# Tests run in parallel, one process per core (pytest-xdist); the Ray tests share one process
# (xdist_group "ray"), one after another.
PARALLEL := -n auto --dist loadgroup
# On JAX the tests' tiny models cost compiling, not running: XLA's CPU backend without its
# LLVM optimisations compiles a small Transformer's training step in 2 s instead of 4.8 s,
# and the JAX pass takes 135 s instead of 212 (bench/README.md, "The test suite"). The same
# programs, checked the same way; users' runs keep XLA's defaults.
JAX_TESTS_XLA := --xla_backend_optimization_level=0

test: $(STAMP) $(JAX_STAMP) browser
	@echo "== the whole suite on tensorflow, $$(nproc 2>/dev/null || echo several) processes (about 7 minutes on 2 cores; a dot per test passed)"
	$(BIN)/python -m pytest -q $(PARALLEL) $(ARGS)
	@for backend in jax torch; do \
	  if $(BIN)/python -c "import $$backend" 2>/dev/null; then \
	    echo "== the backend-neutral tests on $$backend"; \
	    KERAS_BACKEND=$$backend XLA_FLAGS="$$([ $$backend = jax ] && echo $(JAX_TESTS_XLA)) $$XLA_FLAGS" \
	      $(BIN)/python -m pytest -q -p no:cacheprovider $(PARALLEL) $(BACKEND_TESTS) \
	      $$([ $$backend = jax ] && echo --ignore=tests/builders/test_pde.py) $(ARGS) || exit 1; \
	  fi; \
	done
	@if $(BIN)/python -c "import jax" 2>/dev/null; then \
	  echo "== the PDE machinery in float64 on jax (JAX_ENABLE_X64=1)"; \
	  KERAS_BACKEND=jax JAX_ENABLE_X64=1 XLA_FLAGS="$(JAX_TESTS_XLA) $$XLA_FLAGS" $(BIN)/python -m pytest -q -p no:cacheprovider $(PARALLEL) $(FLOAT64_TESTS) $(ARGS) || exit 1; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/bench_windows.py
	$(BIN)/python bench/bench_forecast.py
	$(BIN)/python bench/bench_statistical.py

# Walk-forward --folds 5 runs of ^GSPC, ^IXIC and i.i.d. returns: coverage tables (about 25 minutes)
bench-coverage: $(STAMP)
	$(BIN)/python bench/bench_coverage.py

# The stacked LSTM per Keras backend against plain PyTorch, and the default forecast per backend
bench-backends: $(STAMP) $(JAX_STAMP)
	$(BIN)/python bench/bench_backends.py --forecast

# The walk-forward against statsforecast's cross_validation and Darts' historical_forecasts.
# Darts lives only in $(PEERS), a bench environment that sees .venv's packages (a .pth file).
PEERS := .venv-peers
DARTS ?= darts[torch]==0.48.1
bench-peers: install-torch
	@test -x $(PEERS)/bin/python || { \
	  echo "== making $(PEERS) with $(DARTS) for this bench only (it shares .venv's packages)"; \
	  $(PYTHON) -m venv $(PEERS) && \
	  echo "import site; site.addsitedir('$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')')" \
	    > "$$($(PEERS)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/toolkit-venv.pth" && \
	  $(PEERS)/bin/python -m pip install --quiet "$(DARTS)"; }
	$(PEERS)/bin/python bench/bench_walk_forward.py

bench-science: $(STAMP)
	$(BIN)/python bench/bench_science.py

# Four tickers and one ticker's four folds, local against Ray, figures compared (about 10 minutes)
bench-universe: $(STAMP)
	$(BIN)/python bench/bench_universe.py --tickers 4

clean:
	rm -rf $(VENV) $(PEERS) build *.egg-info .pytest_cache
