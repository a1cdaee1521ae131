"""Checks for the arguments people type: a finite number, in a range, a flag, a count, a choice,
a list.

One vocabulary for the library (``nn.optim``, ``nn.fit``, the datasets, layers,
plots) and both command lines. Each check returns the value (as float, bool,
int or the choice itself) or raises an error naming the argument, what it must
be and what it got: ``TypeError`` for the wrong kind of thing (a string where a
number goes), ``ValueError`` for the right kind out of range.

>>> at_least("lr", 0.1)
0.1
>>> at_least("lr", -1)
Traceback (most recent call last):
ValueError: lr must be >= 0, got -1
>>> whole_number("epochs", 2.5, 1)
Traceback (most recent call last):
ValueError: epochs must be a whole number >= 1, got 2.5
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Iterable

__all__ = [
    "finite_float",
    "number",
    "at_least",
    "greater_than",
    "in_range",
    "flag",
    "whole_number",
    "choice",
    "sequence",
]


def finite_float(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not a bool), else None.

    >>> finite_float(3), finite_float(float("nan")), finite_float(10**400), finite_float("1")
    (3.0, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        result = float(value)
    except OverflowError:  # an int beyond any float
        return None
    return result if math.isfinite(result) else None


def number(name: str, value: object) -> float:
    """``value`` as a finite float; TypeError for a non-number, ValueError for inf/nan."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(
            f"{name} must be a finite number, got an integer too big for a float"
        ) from None
    if not math.isfinite(result):
        raise ValueError(f"{name} must be a finite number, got {result!r}")
    return result


def at_least(name: str, value: object, low: float = 0.0) -> float:
    """A finite number ``>= low``."""
    result = number(name, value)
    if not result >= low:
        raise ValueError(f"{name} must be >= {low:g}, got {result:g}")
    return result


def greater_than(name: str, value: object, low: float = 0.0) -> float:
    """A finite number ``> low`` (a step size, a span: zero would mean nothing)."""
    result = number(name, value)
    if not result > low:
        raise ValueError(f"{name} must be > {low:g}, got {result:g}")
    return result


def in_range(
    name: str, value: object, low: float, high: float, *, high_open: bool, low_open: bool = False
) -> float:
    """A finite number in ``[low, high]``; ``low_open``/``high_open`` leave out that end.

    >>> in_range("factor", 1.0, 0.0, 1.0, low_open=True, high_open=True)
    Traceback (most recent call last):
    ValueError: factor must be in (0, 1), got 1
    """
    result = number(name, value)
    above = low < result if low_open else low <= result
    below = result < high if high_open else result <= high
    if not (above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {result:g}")
    return result


def flag(name: str, value: object) -> bool:
    """True or False, nothing else (not 0/1, not "yes")."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def whole_number(name: str, value: object, low: int, *, or_else: str = "") -> int:
    """An int ``>= low`` (a bool is not a count); ``or_else`` says what else would do.

    >>> whole_number("max_nodes", 0, 1, or_else="or None")
    Traceback (most recent call last):
    ValueError: max_nodes must be a whole number >= 1 or None, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        also = f" {or_else}" if or_else else ""
        raise ValueError(f"{name} must be a whole number >= {low}{also}, got {value!r}")
    return int(value)


def choice(name: str, value: object, choices: Collection[str], *, or_else: str = "") -> str:
    """One of ``choices`` (names); ``or_else`` says what else would do (``"or pass a function"``).

    >>> choice("loss", "l1", ["mse", "hinge"], or_else="or pass a function")
    Traceback (most recent call last):
    ValueError: unknown loss 'l1': choose one of 'mse', 'hinge' or pass a function
    """
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        also = f" {or_else}" if or_else else ""
        raise ValueError(f"unknown {name} {value!r}: choose one of {listed}{also}")
    return value


def sequence(name: str, value: object, *, of: str = "") -> list:
    """``value`` as a list: any iterable (a list, a tuple, a numpy array) but a string.

    ``of`` says what the items are, for the message.

    >>> sequence("X", ([0.0], [1.0]))
    [[0.0], [1.0]]
    >>> sequence("X", "0101", of="samples")
    Traceback (most recent call last):
    TypeError: X must be a list of samples, got str
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        what = f"a list of {of}" if of else "a list"
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return list(value)
