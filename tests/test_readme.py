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


def test_the_readmes_lists_of_optimizers_and_datasets_are_the_command_lines():
    # Written by hand in a sentence; a new optimizer or dataset must not be missing there.
    import re

    from nn.demo import DATASETS
    from nn.optim import OPTIMIZERS

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    listed = re.search(
        r"Other datasets: (.*?) \(each .*?\) and `(\w+)` \(below\); "
        r"other optimizers: (.*?); options",
        text,
    )
    assert listed, "the README's sentence listing the other datasets and optimizers moved"
    datasets = re.findall(r"`(\w+)`", listed[1]) + [listed[2]]
    optimizers = re.findall(r"`(\w+)`", listed[3])
    # The demo's own choices (moons, adam) are named just before the list.
    assert sorted(["moons", *datasets]) == sorted(DATASETS)
    assert sorted(["adam", *optimizers]) == sorted(OPTIMIZERS)
