"""What a checker answers: right, not yet (what is right and what is off), or not done yet.

Every checker of the lessons' exercises returns a :class:`Feedback`. Shown in Jupyter (or
printed) it is plain text, one finding per line: ``✓`` for what is right, ``✗`` for what
is not, each naming the input, what was expected and what was given.

>>> lines = [ok("a is 1"), off("b: you gave 3, it is 2")]
>>> print(Feedback.wrong("not yet: one of two is off", lines))
not yet: one of two is off
  ✓ a is 1
  ✗ b: you gave 3, it is 2

The helpers below are the checkers' shared vocabulary: reading a learner's number
(:func:`number`), comparing it (:func:`close`), and turning a mistake found deep inside a
check into its feedback (:class:`Reject`, :func:`checker`).
"""

from __future__ import annotations

import functools
import math
import numbers
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Message lines are wrapped to this many characters: narrower than a notebook's column.
WIDTH = 78

RIGHT, WRONG, NOT_DONE = "right", "wrong", "not done"


@dataclass(frozen=True, repr=False)
class Feedback:
    """A checker's verdict: ``status`` ("right", "wrong" or "not done") and its ``lines``.

    ``passed`` is True only for "right". ``result`` holds what a right answer made, where
    an exercise makes something (lesson 1's op). ``str()`` and ``repr()`` are the message,
    so a notebook cell ending in a checker call shows it as text.

    >>> feedback = Feedback.right("right: 2 + 2 = 4")
    >>> feedback.passed, feedback.status
    (True, 'right')
    >>> feedback
    right: 2 + 2 = 4
    """

    status: str
    lines: tuple[str, ...]
    result: Any = None

    @classmethod
    def right(cls, summary: str, details: Sequence[str] = (), result: Any = None) -> Feedback:
        return cls(RIGHT, _wrapped(summary, details), result)

    @classmethod
    def wrong(cls, summary: str, details: Sequence[str] = ()) -> Feedback:
        return cls(WRONG, _wrapped(summary, details))

    @classmethod
    def not_done(cls, summary: str, details: Sequence[str] = ()) -> Feedback:
        return cls(NOT_DONE, _wrapped("not done yet: " + summary, details))

    @property
    def passed(self) -> bool:
        return self.status == RIGHT

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def ok(text: str) -> str:
    """A detail line for something right."""
    return "✓ " + text


def off(text: str) -> str:
    """A detail line for something wrong."""
    return "✗ " + text


def _wrapped(summary: str, details: Sequence[str]) -> tuple[str, ...]:
    lines = textwrap.wrap(summary, WIDTH, break_on_hyphens=False) or [""]
    for detail in details:
        # A detail keeps its own line breaks (a small table); each line is wrapped
        # under its mark, so a long one stays inside the column.
        for line in detail.split("\n"):
            lines += textwrap.wrap(
                line,
                WIDTH,
                initial_indent="  ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            ) or [""]
    return tuple(line.rstrip() for line in lines)


class Reject(Exception):
    """Raised inside a check to stop it with this feedback (a mistake, or not done yet)."""

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(feedback.text)
        self.feedback = feedback


def checker(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
    """A check that may :class:`Reject` part-way returns that rejection as its feedback."""

    @functools.wraps(check)
    def run(*args: Any, **kwargs: Any) -> Feedback:
        try:
            return check(*args, **kwargs)
        except Reject as rejection:
            return rejection.feedback

    return run


def undone(value: Any) -> bool:
    """Is this still the exercise's placeholder (``...`` or None)?"""
    return value is Ellipsis or value is None


def number(value: Any, name: str) -> float:
    """``value`` as a float, or :class:`Reject` saying what ``name`` should be.

    A Value counts as its ``.data``. Text, lists and the like are refused with their
    type; nan and inf are refused as such (never compared as if they were numbers).

    >>> number(2, "slope")
    2.0
    >>> number("0.5", "slope")
    Traceback (most recent call last):
    ...
    nn.exercises.feedback.Reject: not yet: slope is a str ('0.5'), not a number: write ...
    """
    data = getattr(value, "data", value)  # a Value from the engine
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        shown = repr(value)
        shown = shown if len(shown) <= 30 else shown[:27] + "..."
        raise Reject(
            Feedback.wrong(
                f"not yet: {name} is a {type(value).__name__} ({shown}), not a number: "
                "write the number itself, e.g. 0.5, without quotes or brackets"
            )
        )
    result = float(data)
    if not math.isfinite(result):
        raise Reject(
            Feedback.wrong(
                f"not yet: {name} is {result}, not a finite number: look for a division "
                "by zero or an overflow in how it was computed"
            )
        )
    return result


def numbers_of(values: Any, name: str, length: int) -> list[float]:
    """A list of ``length`` numbers, or :class:`Reject` saying what is wrong with it."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise Reject(
            Feedback.wrong(
                f"not yet: {name} should be a list of {length} numbers; "
                f"it is a {type(values).__name__}"
            )
        )
    if len(values) != length:
        raise Reject(
            Feedback.wrong(f"not yet: {name} should hold {length} numbers; it holds {len(values)}")
        )
    return [number(v, f"{name}[{i}]") for i, v in enumerate(values)]


def close(got: float, want: float, rel: float = 1e-3, abs_: float = 1e-4) -> bool:
    """``got`` equals ``want`` to what a number copied from a printout keeps (3-4 digits).

    >>> close(0.7788, 0.7788007830714049), close(0.78, 0.7788007830714049)
    (True, False)
    """
    return abs(got - want) <= abs_ + rel * abs(want)


def fmt(x: float) -> str:
    """A number as the messages show it: five significant digits, no stray ``-0``.

    >>> fmt(-0.7788007830714049), fmt(14.85), fmt(-0.0)
    ('-0.7788', '14.85', '0')
    """
    shown = f"{x:.5g}"
    return "0" if shown in ("-0", "0") else shown


def call(function: Callable, args: Sequence, name: str) -> Any:
    """Run a learner's function; an exception becomes feedback naming it and the inputs."""
    try:
        return function(*args)
    except Exception as error:  # the learner's code: whatever it raises is reported
        if "ellipsis" in str(error):  # arithmetic with a placeholder still left in
            raise Reject(
                Feedback.not_done(f"{name} still has a ... in it: fill in every ...")
            ) from None
        shown = ", ".join(fmt(a) if isinstance(a, float) else repr(a) for a in args)
        raise Reject(
            Feedback.wrong(f"not yet: {name}({shown}) raised {type(error).__name__}: {error}")
        ) from None


def judge(
    name: str,
    value: Any,
    want: float,
    slips: Sequence[tuple[float, str]] = (),
    rule: str = "",
    variable: str | None = None,
) -> tuple[bool, str]:
    """One answer against what it should be: (is it right, its ✓ or ✗ line).

    A wrong answer that equals one of ``slips`` (value, what that value is) is named;
    ``rule`` says how the right one is found. ``variable`` is the name the learner wrote
    it in, when that differs from ``name`` (``dz3_dw32`` for ``∂z3/∂w32``).

    >>> judge("∂u/∂s", 1.0, -1.0, [(1.0, "the sign is lost")], "negating flips changes")
    (False, '✗ ∂u/∂s: you gave 1, it is -1: the sign is lost; negating flips changes')
    >>> judge("∂u/∂s", ..., -1.0, variable="du_ds")
    (False, '✗ ∂u/∂s: du_ds is still ...')
    """
    if undone(value):
        return False, off(f"{name}: {variable or name} is still ...")
    got = number(value, variable or name)
    if close(got, want):
        return True, ok(f"{name} = {fmt(want)}")
    slip = next((why for v, why in slips if close(got, v)), None)
    parts = [part for part in (slip, rule) if part]
    because = (": " + "; ".join(parts)) if parts else ""
    return False, off(f"{name}: you gave {fmt(got)}, it is {fmt(want)}{because}")
