"""The errors a user can cause, and how their messages are worded.

Every message names the op, the offending data, the node's label, and the way
out, e.g. ``log of -1.0 (node 'x'): log is defined for positive inputs only``.
"""

from __future__ import annotations

import numbers

__all__ = [
    "as_float",
    "DomainError",
    "describe",
    "domain_error",
    "overflow_error",
    "anomaly_error",
    "GradcheckError",
]


def as_float(x: object) -> float:
    """``x`` as a float if it is a real number (int, bool, numpy scalar, ...), else TypeError.

    >>> as_float(2), as_float(True)
    (2.0, 1.0)
    """
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(
        f"Value needs a real number (int, float, bool or numpy scalar), "
        f"got {type(x).__name__}: {x!r}"
    )


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


# -- an op's errors: its inputs named as ``describe`` names them ------------------------


def domain_error(problem: tuple, inputs: tuple, constant: float | None = None) -> Exception:
    """The error of an op whose ``outside_domain`` found ``problem``: (error class, message),
    the message's ``{0}``, ``{1}`` standing for the inputs and then the constant."""
    error, message = problem
    return error(message.format(*map(describe, inputs), constant))


def overflow_error(name: str, inputs: tuple, constant: float | None = None) -> OverflowError:
    """An op's result beyond the largest float, where Python's own error would not say which.

    >>> overflow_error("exp", (1000.0,))
    OverflowError('exp of 1000.0 overflows: the result is beyond the largest float (~1.8e308); scale the input down')
    """  # noqa: E501
    described = ", ".join(map(describe, inputs))
    extra = f" and {constant!r}" if constant is not None else ""
    return OverflowError(
        f"{name} of {described}{extra} overflows: the result is beyond the largest "
        f"float (~1.8e308); scale the input down"
    )


def anomaly_error(symbol: str, data: float, operands: tuple) -> FloatingPointError:
    """What ``detect_anomaly`` raises for an op that made a NaN or inf from ``operands``."""
    described = " and ".join(map(describe, operands))
    return FloatingPointError(f"{symbol} produced {data!r} from {described}")
