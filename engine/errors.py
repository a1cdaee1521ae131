"""The errors a user can cause, and how their messages are worded.

Every message names the op, the offending data, the node's label, and the way
out, e.g. ``log of -1.0 (node 'x'): log is defined for positive inputs only``.
"""

from __future__ import annotations

__all__ = ["DomainError", "describe", "GradcheckError"]


class DomainError(ValueError):
    """An input outside the domain of an op (log of a negative number, ...)."""


class GradcheckError(AssertionError):
    """Analytic gradients disagree with finite differences.

    A subclass of ``AssertionError`` so that pytest shows it as a failed check;
    the message carries the table of inputs, analytic and numeric gradients.
    """


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
