"""The examples in the builders' docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = ["autoencoders", "bernoulli", "conv", "conv_arithmetic", "dense", "filters", "diffusion", "flows", "unet", "gan", "losses", "options", "pde", "pinn",
           "recurrent", "sequence",
           "vae", "vae_prior",
           "recipes"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    # Imported by path: the package's `gan` and `vae` names are the builder functions.
    module = importlib.import_module(f"toolkit.builders.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name not in ("losses", "options", "recipes"):
        assert result.attempted > 0


def test_sequence_pipeline_examples():
    module = importlib.import_module("toolkit.pipelines.sequences")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", ["toolkit.training.gradients", "toolkit.training.lr_range",
                                  "toolkit.evaluation.subspace", "toolkit.evaluation.volatility",
                                  "toolkit.evaluation.var_backtest", "toolkit.evaluation.risk_measures",
                                  "toolkit.evaluation.variance_tests", "toolkit.forecasters.variance",
                                  "toolkit.runs.risk.backtest", "toolkit.runs.risk.var"])
def test_function_module_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
