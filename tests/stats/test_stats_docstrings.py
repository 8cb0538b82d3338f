"""The worked examples in the docstrings run and give what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "agreement",
    "analysis",
    "bootstrap",
    "chain",
    "cli",
    "comparisons",
    "cooccurrence",
    "decisive",
    "exclusions",
    "guidance",
    "intervals",
    "movement",
    "observers",
    "planning",
    "provenance",
    "schema",
    "sections",
    "simulate",
    "valence",
]


@pytest.mark.parametrize("name", ["fer_stats"] + [f"fer_stats.{m}" for m in MODULES])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
