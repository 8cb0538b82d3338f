"""The worked examples in the inference engine's docstrings run and give what they say."""

import doctest
import importlib

import pytest

MODULES = ["behaviour", "card", "classifier", "decode", "detector", "landmarks", "movements"]


@pytest.mark.parametrize("name", [f"fer_inference.{m}" for m in MODULES])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
