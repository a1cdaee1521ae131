"""The README's examples are doctests: the tour must stay true."""

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# README.ko.md, the Korean edition, carries the same examples (translated prose around them).
@pytest.mark.parametrize("name", ["README.md", "README.ko.md"])
def test_readme_examples_run(name):
    result = doctest.testfile(
        str(ROOT / name),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= 10
    assert result.failed == 0
