"""Checks for the arguments people type: a finite number, in a range, a flag, a count.

Each returns the value (as float, bool or int) or raises an error naming the
argument, what it must be and what it got.

>>> at_least("lr", 0.1)
0.1
>>> at_least("lr", -1)
Traceback (most recent call last):
ValueError: lr must be >= 0, got -1
"""

from __future__ import annotations

import math
import numbers

__all__ = ["number", "at_least", "in_range", "flag", "whole_number"]


def number(name: str, value: object) -> float:
    """``value`` as a finite float; TypeError for a non-number, ValueError for inf/nan."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    try:
        result = float(value)
    except OverflowError:  # an int beyond any float
        result = math.inf
    if not math.isfinite(result):
        raise ValueError(f"{name} must be a finite number, got {result!r}")
    return result


def at_least(name: str, value: object, low: float = 0.0) -> float:
    """A finite number ``>= low``."""
    result = number(name, value)
    if not result >= low:
        raise ValueError(f"{name} must be >= {low:g}, got {result:g}")
    return result


def in_range(name: str, value: object, low: float, high: float, *, high_open: bool) -> float:
    """A finite number in ``[low, high]`` (``[low, high)`` when ``high_open``)."""
    result = number(name, value)
    inside = low <= result < high if high_open else low <= result <= high
    if not inside:
        interval = f"[{low:g}, {high:g})" if high_open else f"[{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {interval}, got {result:g}")
    return result


def flag(name: str, value: object) -> bool:
    """True or False, nothing else (not 0/1, not "yes")."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def whole_number(name: str, value: object, low: int) -> int:
    """An int ``>= low`` (a bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)
