"""The mistakes a person can make on a command line (``python -m engine``, ``python -m nn``).

Each is one line on stderr and exit status 2, never a traceback: ``UsageError`` carries
the line, ``usage_errors`` turns an argument check's TypeError or ValueError into one,
and ``dot_missing`` says how to install Graphviz.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["UsageError", "usage_errors", "dot_missing"]


class UsageError(Exception):
    """A mistake on a command line (``python -m engine``, ``python -m nn``): one line, exit 2.

    ``see_help`` says whether ``--help`` would help; it would not when a program
    is missing, where the message itself says how to install it.
    """

    def __init__(self, message: str, *, see_help: bool = True) -> None:
        super().__init__(message)
        self.see_help = see_help


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """Inside it, an argument check's TypeError or ValueError is a command-line mistake.

    >>> from engine.utils.arguments import at_least
    >>> with usage_errors():
    ...     at_least("--atol", -1.0)
    Traceback (most recent call last):
    engine.cli.usage.UsageError: --atol must be >= 0, got -1
    """
    try:
        yield
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None


def dot_missing(drawing: str) -> UsageError:
    """The error both command lines give when Graphviz's ``dot`` is not installed.

    >>> print(dot_missing("g.png"))  # doctest: +NORMALIZE_WHITESPACE
    drawing g.png needs the Graphviz 'dot' program, which is not installed: install Graphviz
    (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; conda:
    conda install graphviz; others: https://graphviz.org/download/) and run again
    """
    return UsageError(
        f"drawing {drawing} needs the Graphviz 'dot' program, which is not installed: install "
        "Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
        "conda: conda install graphviz; others: https://graphviz.org/download/) and run again",
        see_help=False,
    )
