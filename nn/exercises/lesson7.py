"""Lesson 7's exercises: where a neuron's edge lies, a feature by hand, and how many neurons.

All on the lesson's two rings: ``datasets.circles(n=120, noise=0.08, factor=0.45, seed=0)``.

>>> from nn.exercises.lesson7 import check_edge
>>> print(check_edge(-0.25, 0.5))  # doctest: +NORMALIZE_WHITESPACE
right: the edge of tanh(2·x1 - 1·x2 + 0.5) is the line 2·x1 - 1·x2 + 0.5 = 0: it
crosses the x1 axis at -0.25 and the x2 axis at 0.5. On one side the neuron is
positive (red), on the other negative (blue).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from typing import Any

from .feedback import Feedback, Reject, call, checker, close, fmt, judge, number, undone

__all__ = ["NEURON", "rings", "check_edge", "check_features", "check_hidden_size"]

NEURON = (2.0, -1.0, 0.5)  # exercise 1's first-layer neuron: w1, w2, b
SEED = 0
EPOCHS, LR = 150, 0.05  # as the lesson trains
SIZES = (1, 2, 3, 4)  # exercise 3's hidden layers
ENOUGH = 0.95  # the accuracy that counts as separating the rings


def rings() -> tuple[list[list[float]], list[int]]:
    """The lesson's two rings, 120 points: class 1 on the inner ring, class 0 on the outer.

    >>> X, y = rings()
    >>> len(X), sorted(set(y))
    (120, [0, 1])
    """
    from nn import datasets

    return datasets.circles(n=120, noise=0.08, factor=0.45, seed=SEED)


@checker
def check_edge(x1_crossing: Any, x2_crossing: Any) -> Feedback:
    """Check where the edge of ``tanh(2·x1 - 1·x2 + 0.5)`` crosses the x1 axis and the x2 axis.

    >>> print(check_edge(0.25, 0.5))  # doctest: +NORMALIZE_WHITESPACE
    not yet: one of the two crossings is right
      ✗ x1 axis: you gave 0.25, it is -0.25: the sign is flipped; on the x1 axis x2 =
        0, so the edge is where 2·x1 + 0.5 = 0
      ✓ x2 axis = 0.5
    """
    if undone(x1_crossing) and undone(x2_crossing):
        return Feedback.not_done(
            "write x1_crossing and x2_crossing: where the line 2·x1 - 1·x2 + 0.5 = 0 (the "
            "neuron's edge, where tanh is 0) crosses the x1 axis (x2 = 0) and the x2 axis "
            "(x1 = 0)"
        )
    w1, w2, b = NEURON
    at_x1, at_x2 = -b / w1, -b / w2
    checks = [
        judge("x1 axis", x1_crossing, at_x1, [
            (-at_x1, "the sign is flipped"),
            (at_x2, "that is where it crosses the x2 axis"),
        ], "on the x1 axis x2 = 0, so the edge is where 2·x1 + 0.5 = 0", "x1_crossing"),
        judge("x2 axis", x2_crossing, at_x2, [
            (-at_x2, "the sign is flipped"),
            (at_x1, "that is where it crosses the x1 axis"),
        ], "on the x2 axis x1 = 0, so the edge is where -1·x2 + 0.5 = 0", "x2_crossing"),
    ]  # fmt: skip
    right = sum(good for good, _ in checks)
    if right == 2:
        return Feedback.right(
            "right: the edge of tanh(2·x1 - 1·x2 + 0.5) is the line 2·x1 - 1·x2 + 0.5 = 0: "
            f"it crosses the x1 axis at {fmt(at_x1)} and the x2 axis at {fmt(at_x2)}. On one "
            "side the neuron is positive (red), on the other negative (blue)."
        )
    count = "one of the two crossings is" if right else "neither crossing is"
    return Feedback.wrong(f"not yet: {count} right", [line for _, line in checks])


def _their_features(features: Callable, X: Sequence) -> list[list[float]]:
    rows = []
    for x1, x2 in X:
        row = call(features, (x1, x2), "features")
        if undone(row) or (isinstance(row, (list, tuple)) and any(map(undone, row))):
            raise Reject(Feedback.not_done(
                "features still returns ...: replace it with a number computed from x1 "
                "and x2, one that is small on the inner ring and large on the outer"
            ))  # fmt: skip
        if isinstance(row, (str, bytes)) or not isinstance(row, (list, tuple)) or not row:
            raise Reject(Feedback.wrong(
                f"not yet: features should return a list of numbers, such as [x1, x2, ...]; "
                f"it returned {row!r}"[:200]
            ))  # fmt: skip
        rows.append([number(v, f"features(x1, x2)[{i}]") for i, v in enumerate(row)])
    if len({len(r) for r in rows}) != 1:
        raise Reject(Feedback.wrong(
            "not yet: features returns lists of different lengths for different points; "
            "every point needs the same features"
        ))  # fmt: skip
    return rows


def _straight(features: Callable, X: Sequence) -> bool:
    """Is every feature a weighted sum of x1 and x2 plus a constant (so still a straight edge)?"""
    rng = random.Random(SEED)
    for _ in range(20):
        p, q = rng.sample(list(X), 2)
        middle = [(a + b) / 2 for a, b in zip(p, q)]
        fp, fq, fm = (_their_features(features, [point])[0] for point in (p, q, middle))
        if any(not close(m, (a + b) / 2, 1e-9, 1e-9) for a, b, m in zip(fp, fq, fm)):
            return False
    return True


@checker
def check_features(features: Any) -> Feedback:
    """Check hand-made features that let a model with no hidden layer separate the rings.

    ``features(x1, x2)`` returns a list of numbers; ``MLP(len(list), [1])`` is trained on them
    as the lesson trains, and must classify at least 95% of the points right.

    >>> print(check_features(lambda x1, x2: [x1, x2, x1 + x2]))  # doctest: +NORMALIZE_WHITESPACE
    not yet: with your features the model with no hidden layer gets 51% of the
    points. Every feature you gave is a weighted sum of x1 and x2 (plus a
    constant), so its boundary is still a straight line in the plane. A feature
    that bends, such as one squared, can be small on the inner ring and large on
    the outer.
    """
    if undone(features):
        return Feedback.not_done("write features(x1, x2) above, then run this")
    if not callable(features):
        return Feedback.wrong(
            "not yet: check_features needs your function: check_features(features)"
        )
    from nn import MLP, fit

    X, y = rings()
    rows = _their_features(features, X)
    model = MLP(len(rows[0]), [1], seed=SEED)
    history = fit(model, rows, y, loss="bce_with_logits", lr=LR, epochs=EPOCHS, progress=False)
    accuracy = history.accuracy[-1]
    gets = f"with your features the model with no hidden layer gets {accuracy:.0%} of the points"
    if accuracy >= ENOUGH:
        return Feedback.right(
            f"right: {gets}. A straight edge in a feature that bends is a curve in the "
            "plane: here one that closes around the inner ring. The hidden layers of the "
            "lesson built such a feature by themselves, out of straight edges."
        )
    if _straight(features, X):
        why = (
            "Every feature you gave is a weighted sum of x1 and x2 (plus a constant), so its "
            "boundary is still a straight line in the plane. A feature that bends, such as "
            "one squared, can be small on the inner ring and large on the outer."
        )
    else:
        why = (
            "Your features bend, but not into a line that separates the rings: look for a "
            "number that is small for every point of the inner ring and large for every "
            "point of the outer one, whichever direction the point lies in."
        )
    return Feedback.wrong(f"not yet: {gets}. {why}")


@functools.lru_cache(maxsize=1)
def _accuracies() -> dict[int, float]:
    """Training accuracy on the rings of one hidden layer of each size, trained as the lesson."""
    from nn import MLP, fit

    X, y = rings()
    found = {}
    for size in SIZES:
        model = MLP(2, [size, 1], activation="tanh", seed=SEED)
        history = fit(model, X, y, loss="bce_with_logits", lr=LR, epochs=EPOCHS, progress=False)
        found[size] = history.accuracy[-1]
    return found


@checker
def check_hidden_size(smallest: Any) -> Feedback:
    """Check a prediction of the fewest tanh neurons in one hidden layer that separate the rings.

    The checker trains ``MLP(2, [k, 1], activation="tanh")`` for k = 1 to 4 as the lesson
    trains; separating means at least 95% of the points right.

    >>> print(check_hidden_size(2))  # doctest: +NORMALIZE_WHITESPACE
    not yet: you predicted 2; it takes 3. Measured: 1 neuron 66%, 2 neurons 82%, 3
    neurons 100%, 4 neurons 98%. Two straight edges make a band or a wedge, which
    leaves part of the outer ring on the inner ring's side; three make a triangle
    around the inner ring.
    """
    if undone(smallest):
        return Feedback.not_done(
            "write smallest: the fewest tanh neurons in one hidden layer with which the "
            "network separates the two rings. Each neuron is one straight edge: how many "
            "edges does it take to fence in the inner ring?"
        )
    guess = number(smallest, "smallest")
    found = _accuracies()
    enough = min(size for size, accuracy in found.items() if accuracy >= ENOUGH)
    measured = "Measured: " + ", ".join(
        f"{size} neuron{'s' if size > 1 else ''} {accuracy:.0%}" for size, accuracy in found.items()
    )
    why = (
        "Two straight edges make a band or a wedge, which leaves part of the outer ring on "
        "the inner ring's side; three make a triangle around the inner ring."
    )
    if guess == enough:
        return Feedback.right(f"right: {enough} neurons. {measured}. {why}")
    if guess > enough:
        return Feedback.wrong(
            f"not yet: you predicted {fmt(guess)}; {fmt(guess)} would do, but fewer do too: "
            f"it takes {enough}. {measured}. {why}"
        )
    return Feedback.wrong(
        f"not yet: you predicted {fmt(guess)}; it takes {enough}. {measured}. {why}"
    )
