"""The examples in the builders' docstrings run and print what they claim."""

import doctest

import pytest

from toolkit.builders import autoencoders, conv, dense, generative, pinn, recurrent


@pytest.mark.parametrize("module", [autoencoders, conv, dense, generative, pinn, recurrent],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
