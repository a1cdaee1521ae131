"""Lesson 4's exercises: Momentum's update written by hand, and Adam's first step predicted.

Both run on the lesson's curved valley, ``(1 - a)² + 10·(b - a²)²``, from ``(-1.5, 2.0)``.

>>> from nn.exercises.lesson4 import check_adam_first_step
>>> print(check_adam_first_step((0.05, 0.05)))  # doctest: +NORMALIZE_WHITESPACE
right: Adam's first step is (0.05, 0.05): lr in each direction, whatever the
gradient (-20, -5). After the bias correction m̂ = g and v̂ = g², so the step is
lr · g / |g|.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from engine import Value

from .feedback import Feedback, Reject, call, checker, close, fmt, numbers_of, off, ok, undone

__all__ = ["START", "valley", "check_momentum", "check_adam_first_step"]

START = (-1.5, 2.0)
MOMENTUM_LR = 0.002  # the lesson's race: Momentum's learning rate
ADAM_LR = 0.05
STEPS = 10


def valley(a: Any, b: Any) -> Any:
    """The lesson's curved valley, ``(1 - a)² + 10·(b - a²)²``: minimum 0 at (1, 1).

    It works on numbers and Values alike.

    >>> valley(1, 1), valley(-1.5, 2.0)
    (0, 6.875)
    """
    return (1 - a) ** 2 + 10 * (b - a**2) ** 2


def _gradient(w: list[float]) -> list[float]:
    """dL/dw1 and dL/dw2 of the valley at ``w``, from the engine."""
    w1, w2 = Value(w[0], label="w1"), Value(w[1], label="w2")
    valley(w1, w2).backward()
    return [w1.grad, w2.grad]


def _reference(steps: int = STEPS) -> list[tuple[float, float]]:
    """The weights after each of ``steps`` steps of nn.optim.Momentum."""
    from nn.optim import Momentum

    w1, w2 = Value(START[0], label="w1"), Value(START[1], label="w2")
    opt = Momentum([w1, w2], lr=MOMENTUM_LR)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        valley(w1, w2).backward()
        opt.step()
        path.append((w1.data, w2.data))
    return path


def _run(update: Callable, steps: int = STEPS, name: str = "momentum_update") -> tuple:
    """The weights after each step of ``update(w, v, g, lr, momentum)``, and the velocities."""
    w, v = list(START), [0.0, 0.0]
    path, velocities = [], []
    for _ in range(steps):
        g = _gradient(w)
        for i in range(2):
            result = call(update, (w[i], v[i], g[i], MOMENTUM_LR, 0.9), name)
            if undone(result) or (isinstance(result, tuple) and any(map(undone, result))):
                raise Reject(Feedback.not_done(
                    "fill in momentum_update: the new velocity from the old one and the "
                    "gradient, then the weight's step along the velocity"
                ))  # fmt: skip
            pair = numbers_of(result, f"{name}'s result (w, v)", 2)
            w[i], v[i] = pair
        path.append(tuple(w))
        velocities.append(tuple(v))
    return path, velocities


# Momentum as people often first write it, each with what it gets wrong.
_SLIPS = [
    (lambda w, v, g, lr, m: (w - lr * (m * v + (1 - m) * g), m * v + (1 - m) * g),
     "your velocity is an average, 0.9·v + 0.1·g; Momentum's adds the whole gradient, "
     "v = 0.9·v + g, so on a steady slope it grows to ten times the gradient"),
    (lambda w, v, g, lr, m: (w + lr * (m * v + g), m * v + g),
     "your step goes along the velocity, uphill: w - lr·v, not w + lr·v"),
    (lambda w, v, g, lr, m: (w - lr * g, m * v + g),
     "your step ignores the velocity: it is plain SGD, w - lr·g. Step along v instead"),
    (lambda w, v, g, lr, m: (w - lr * v, m * v + g),
     "your step uses the old velocity, from before this gradient was added: update v "
     "first, then step along the new v"),
    (lambda w, v, g, lr, m: (w - lr * (m * v + lr * g), m * v + lr * g),
     "your velocity adds lr·g and your step multiplies by lr again: lr is applied twice. "
     "Either v = 0.9·v + g with w - lr·v, or v = 0.9·v + lr·g with w - v"),
]  # fmt: skip


def _point(w: tuple[float, float]) -> str:
    return f"({fmt(w[0])}, {fmt(w[1])})"


@checker
def check_momentum(momentum_update: Any) -> Feedback:
    """Check ``momentum_update(w, v, g, lr, momentum) -> (w, v)`` against nn.optim.Momentum.

    Both take 10 steps on the valley from (-1.5, 2.0) with lr = 0.002; the first step
    where the weights differ is reported, and what the update does instead.

    >>> def sgd(w, v, g, lr, momentum=0.9):
    ...     return w - lr * g, v
    >>> print(check_momentum(sgd))  # doctest: +NORMALIZE_WHITESPACE
    not yet: step 1 matches nn.optim.Momentum; step 2 is the first to differ
      ✓ step 1: w = (-1.46, 2.01)
      ✗ step 2: you have w = (-1.436, 2.0149), Momentum has (-1.4, 2.0239)
      your step ignores the velocity: it is plain SGD, w - lr·g. Step along v
        instead
    """
    if undone(momentum_update):
        return Feedback.not_done("write momentum_update above, then run this")
    if not callable(momentum_update):
        return Feedback.wrong(
            "not yet: check_momentum needs your function: check_momentum(momentum_update)"
        )
    mine, velocities = _run(momentum_update)
    reference = _reference()
    same = [all(close(a, b, 1e-9, 1e-12) for a, b in zip(p, q)) for p, q in zip(mine, reference)]
    if all(same):
        note = ""
        if close(velocities[0][0], MOMENTUM_LR * _gradient(list(START))[0], 1e-9, 1e-12):
            note = (
                " Your velocity is lr times torch's (v = 0.9·v + lr·g, w - v): the same "
                "steps, written the other common way."
            )
        return Feedback.right(
            f"right: your update matches nn.optim.Momentum for all {STEPS} steps: after "
            f"step {STEPS} both have w = {_point(reference[-1])}.{note}"
        )
    first = same.index(False)
    details = []
    if first:
        span = "step 1" if first == 1 else f"steps 1-{first}"
        verb = "matches" if first == 1 else "match"
        summary = (
            f"not yet: {span} {verb} nn.optim.Momentum; step {first + 1} is the first to differ"
        )
        details.append(ok(f"{span}: w = {_point(reference[first - 1])}"))
    else:
        summary = "not yet: step 1 already differs from nn.optim.Momentum"
    details.append(off(
        f"step {first + 1}: you have w = {_point(mine[first])}, Momentum has "
        f"{_point(reference[first])}"
    ))  # fmt: skip
    for slip, why in _SLIPS:
        path, _ = _run(slip)
        if all(close(a, b, 1e-9, 1e-12) for p, q in zip(path, mine) for a, b in zip(p, q)):
            details.append(why)
            break
    else:
        details.append("Momentum: v = 0.9·v + g, then w = w - lr·v")
    return Feedback.wrong(summary, details)


def _adam_step() -> tuple[tuple[float, float], list[float]]:
    """How far each weight moves in nn.optim.Adam's first step, and the gradient there."""
    from nn.optim import Adam

    w1, w2 = Value(START[0], label="w1"), Value(START[1], label="w2")
    opt = Adam([w1, w2], lr=ADAM_LR)
    valley(w1, w2).backward()
    g = [w1.grad, w2.grad]
    opt.step()
    return (w1.data - START[0], w2.data - START[1]), g


@checker
def check_adam_first_step(first_step: Any) -> Feedback:
    """Check a prediction of how far Adam(lr=0.05) moves each weight in its first step.

    >>> print(check_adam_first_step((1.0, 0.25)))  # doctest: +NORMALIZE_WHITESPACE
    not yet: that is SGD's first step, -lr · g. Adam divides each weight's step by
    the root of its own average squared gradient.
      ✗ w1: you gave 1, it moves 0.05
      ✗ w2: you gave 0.25, it moves 0.05
    """
    if undone(first_step):
        return Feedback.not_done(
            "write first_step = (change of w1, change of w2) in Adam's first step from "
            "(-1.5, 2.0) with lr = 0.05: the new weight minus the old"
        )
    got = numbers_of(first_step, "first_step", 2)
    want, g = _adam_step()
    details = [
        ok(f"w{i + 1} moves {fmt(b)}")
        if close(a, b)
        else off(f"w{i + 1}: you gave {fmt(a)}, it moves {fmt(b)}")
        for i, (a, b) in enumerate(zip(got, want))
    ]
    gradient = f"({fmt(g[0])}, {fmt(g[1])})"
    if all(line.startswith("✓") for line in details):
        return Feedback.right(
            f"right: Adam's first step is ({fmt(want[0])}, {fmt(want[1])}): lr in each "
            f"direction, whatever the gradient {gradient}. After the bias correction "
            "m̂ = g and v̂ = g², so the step is lr · g / |g|."
        )
    uncorrected = [-ADAM_LR * 0.1 * x / (math.sqrt(0.001 * x * x) + 1e-8) for x in g]
    slips = [
        ([-ADAM_LR * x for x in g], "that is SGD's first step, -lr · g. Adam divides each "
         "weight's step by the root of its own average squared gradient."),
        ([-x for x in want], "the size is right, the direction is not: a step goes "
         f"against the gradient {gradient}, so both weights grow."),
        (g, f"that is the gradient {gradient} itself, not the step."),
        (uncorrected, "that is the step without the bias correction: both averages start "
         "at 0, so Adam divides m by (1 - 0.9) and v by (1 - 0.999) first."),
    ]  # fmt: skip
    why = next(
        (text for values, text in slips if all(close(a, b) for a, b in zip(got, values))),
        f"Adam: m̂ = g and v̂ = g² after the bias correction; the step is -lr · m̂ / √v̂ "
        f"with the gradient {gradient}.",
    )
    return Feedback.wrong("not yet: " + why, details)
