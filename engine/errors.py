"""The errors a user can cause, and how their messages are worded.

Every message names the op, the offending data, the node's label, and the way
out, e.g. ``log of -1.0 (node 'x'): log is defined for positive inputs only``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = [
    "DomainError",
    "describe",
    "anomaly_error",
    "GradcheckError",
    "UsageError",
    "usage_errors",
    "dot_missing",
]


class DomainError(ValueError):
    """An input outside the domain of an op (log of a negative number, ...)."""


class GradcheckError(AssertionError):
    """Analytic gradients disagree with finite differences.

    A subclass of ``AssertionError`` so that pytest shows it as a failed check;
    the message carries the table of inputs, analytic and numeric gradients.
    """


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
    engine.errors.UsageError: --atol must be >= 0, got -1
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


def describe(value: object) -> str:
    """How a node is named in an error message: its data and, if any, its label.

    >>> from engine import Value
    >>> describe(Value(-1.0, label="x"))
    "-1.0 (node 'x')"
    >>> describe(Value(2.5))
    '2.5'
    """
    data = getattr(value, "data", value)
    label = getattr(value, "label", "")
    return f"{data!r} (node {label!r})" if label else repr(data)


def anomaly_error(symbol: str, data: float, operands: tuple) -> FloatingPointError:
    """What ``detect_anomaly`` raises for an op that made a NaN or inf from ``operands``."""
    described = " and ".join(map(describe, operands))
    return FloatingPointError(f"{symbol} produced {data!r} from {described}")
