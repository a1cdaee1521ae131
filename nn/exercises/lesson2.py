"""Lesson 2's exercises: collapse a linear network into one neuron, softmax by hand, XOR by hand.

>>> from nn.exercises.lesson2 import check_composed
>>> print(check_composed(-3.5, -3.2, 1.9))  # doctest: +NORMALIZE_WHITESPACE
right: the whole network is one neuron, -3.5·x1 - 3.2·x2 + 1.9: at x = (1, 2)
both give -8, at x = (-2, 0.5) both give 7.3.
"""

from __future__ import annotations

import math
from typing import Any

from .feedback import Feedback, Reject, checker, close, fmt, number, numbers_of, off, ok, undone

__all__ = ["HIDDEN", "OUTPUT", "SCORES", "check_composed", "check_softmax", "check_xor"]

# The linear network of exercise 1: two hidden neurons, one output, no activation.
HIDDEN = [[0.5, -1.0, 0.2], [1.5, 0.4, -0.4]]  # h1, h2: weight of x1, weight of x2, bias
OUTPUT = [2.0, -3.0, 0.3]  # the output: weight of h1, weight of h2, bias
TRY = [(1.0, 2.0), (-2.0, 0.5)]  # inputs where the network and the one neuron are compared

SCORES = [1.0, 2.0, 0.5]  # exercise 2's scores, one per class


def _network(x1: float, x2: float) -> float:
    h = [w1 * x1 + w2 * x2 + b for w1, w2, b in HIDDEN]
    return OUTPUT[0] * h[0] + OUTPUT[1] * h[1] + OUTPUT[2]


def _composed() -> dict[str, float]:
    (a1, a2, c), (d1, d2, e) = HIDDEN
    v1, v2, b = OUTPUT
    return {"w1": v1 * a1 + v2 * d1, "w2": v1 * a2 + v2 * d2, "b": v1 * c + v2 * e + b}


def _slips() -> dict[str, list[tuple[float, str]]]:
    (a1, a2, c), (d1, d2, e) = HIDDEN
    v1, v2, b = OUTPUT
    return {
        "w1": [
            (v1 * a1, "only the path through h1; x1 reaches the output through h2 too"),
            (v2 * d1, "only the path through h2; x1 reaches the output through h1 too"),
            (v1 * a1 + v2 * a2, "h1's two weights combined: w1 takes x1's weight in each "
             "hidden neuron (0.5 in h1, 1.5 in h2)"),
            (a1 + d1, "x1's weights added without the output's weights on each path"),
        ],
        "w2": [
            (v1 * a2, "only the path through h1; x2 reaches the output through h2 too"),
            (v2 * d2, "only the path through h2; x2 reaches the output through h1 too"),
            (v1 * d1 + v2 * d2, "h2's two weights combined: w2 takes x2's weight in each "
             "hidden neuron (-1.0 in h1, 0.4 in h2)"),
            (a2 + d2, "x2's weights added without the output's weights on each path"),
        ],
        "b": [
            (b, "the output's own bias only: the hidden biases reach the output too, "
             "through its weights"),
            (c + e + b, "the biases added without the output's weights on h1 and h2"),
            (v1 * c + v2 * e, "the hidden biases, weighted, without the output's own bias"),
        ],
    }  # fmt: skip


_HOW = {
    "w1": "multiply along each path from x1 and add: 2.0·0.5 + (-3.0)·1.5",
    "w2": "multiply along each path from x2 and add: 2.0·(-1.0) + (-3.0)·0.4",
    "b": "each hidden bias times the output's weight on it, plus the output's bias: "
    "2.0·0.2 + (-3.0)·(-0.4) + 0.3",
}


@checker
def check_composed(w1: Any, w2: Any, b: Any) -> Feedback:
    """Check the one neuron ``w1·x1 + w2·x2 + b`` equal to the linear network HIDDEN, OUTPUT.

    >>> print(check_composed(-3.5, -3.2, 0.3))  # doctest: +NORMALIZE_WHITESPACE
    not yet: 2 of w1, w2, b are right
      ✓ w1 = -3.5
      ✓ w2 = -3.2
      ✗ b: you gave 0.3, it is 1.9: the output's own bias only: the hidden biases
        reach the output too, through its weights. Each hidden bias times the
        output's weight on it, plus the output's bias: 2.0·0.2 + (-3.0)·(-0.4) +
        0.3
      at x = (1, 2) the network gives -8, your neuron -9.6
    """
    given = {"w1": w1, "w2": w2, "b": b}
    if all(undone(v) for v in given.values()):
        return Feedback.not_done(
            "write w1, w2 and b of the one neuron w1·x1 + w2·x2 + b that computes what the "
            "two layers compute. Multiply the weights along each path from an input to "
            "the output, and add the paths."
        )
    want = _composed()
    details, mine = [], {}
    for name, value in given.items():
        if undone(value):
            details.append(off(f"{name} is still ..."))
            continue
        got = mine[name] = number(value, name)
        if close(got, want[name]):
            details.append(ok(f"{name} = {fmt(want[name])}"))
            continue
        slip = next((why for v, why in _slips()[name] if close(got, v)), None)
        how = _HOW[name]
        because = f"{slip}. {how[0].upper()}{how[1:]}" if slip else how
        details.append(off(f"{name}: you gave {fmt(got)}, it is {fmt(want[name])}: {because}"))
    right = sum(line.startswith("✓") for line in details)
    if right < 3:
        if len(mine) == 3:
            x1, x2 = TRY[0]
            yours = mine["w1"] * x1 + mine["w2"] * x2 + mine["b"]
            details.append(
                f"at x = ({fmt(x1)}, {fmt(x2)}) the network gives {fmt(_network(x1, x2))}, "
                f"your neuron {fmt(yours)}"
            )
        return Feedback.wrong(f"not yet: {right} of w1, w2, b are right", details)
    checks = ", ".join(
        f"at x = ({fmt(x1)}, {fmt(x2)}) both give {fmt(_network(x1, x2))}" for x1, x2 in TRY
    )
    return Feedback.right(
        f"right: the whole network is one neuron, {fmt(want['w1'])}·x1 - "
        f"{fmt(-want['w2'])}·x2 + {fmt(want['b'])}: {checks}."
    )


@checker
def check_softmax(probs: Any) -> Feedback:
    """Check softmax of SCORES = [1.0, 2.0, 0.5], worked out by hand: exp, then divide by the total.

    >>> print(check_softmax([2.7183, 7.3891, 1.6487]))  # doctest: +NORMALIZE_WHITESPACE
    not yet: these are e^score, not yet probabilities: they sum to 11.756. Divide each
    by that total.
      ✗ class 0: you gave 2.7183, it is 0.23122
      ✗ class 1: you gave 7.3891, it is 0.62853
      ✗ class 2: you gave 1.6487, it is 0.14024
    """
    if undone(probs):
        return Feedback.not_done(
            "write probs, the softmax of the scores [1.0, 2.0, 0.5]: e to the power of each "
            "score, each divided by the total of the three"
        )
    got = numbers_of(probs, "probs", len(SCORES))
    exps = [math.exp(s) for s in SCORES]
    want = [e / sum(exps) for e in exps]
    details = [
        ok(f"class {k}: {fmt(w)}")
        if close(g, w)
        else off(f"class {k}: you gave {fmt(g)}, it is {fmt(w)}")
        for k, (g, w) in enumerate(zip(got, want))
    ]
    right = sum(line.startswith("✓") for line in details)
    if right == len(SCORES):
        return Feedback.right(
            "right: softmax([1.0, 2.0, 0.5]) = ["
            + ", ".join(fmt(w) for w in want)
            + "]: all positive, summing to 1, the largest score with the largest share."
        )
    if all(close(g, e) for g, e in zip(got, exps)):
        why = (
            f"these are e^score, not yet probabilities: they sum to {fmt(sum(exps))}. "
            "Divide each by that total."
        )
    elif all(close(g, s / sum(SCORES)) for g, s in zip(got, SCORES)):
        why = (
            "these are the scores divided by their total: they sum to 1, but softmax "
            "first takes e^score (which makes every score positive and widens the gaps)"
        )
    elif not close(sum(got), 1.0):
        why = f"probabilities sum to 1, and yours sum to {fmt(sum(got))}"
    else:
        why = f"{right} of the 3 probabilities are right"
    return Feedback.wrong("not yet: " + why, details)


def _weights(xor_hidden: Any, xor_output: Any) -> tuple[list[list[float]], list[float]]:
    if isinstance(xor_hidden, (str, bytes)) or not isinstance(xor_hidden, (list, tuple)):
        raise Reject(Feedback.wrong(
            f"not yet: xor_hidden should be a list of two lists [w1, w2, b]; it is a "
            f"{type(xor_hidden).__name__}"
        ))  # fmt: skip
    if len(xor_hidden) != 2:
        raise Reject(Feedback.wrong(
            f"not yet: xor_hidden should hold two neurons, each [w1, w2, b]; it holds "
            f"{len(xor_hidden)}"
        ))  # fmt: skip
    rows = [numbers_of(row, f"xor_hidden[{j}]", 3) for j, row in enumerate(xor_hidden)]
    return rows, numbers_of(xor_output, "xor_output", 3)


@checker
def check_xor(xor_hidden: Any, xor_output: Any) -> Feedback:
    """Check hand-set weights of ``MLP(2, [2, 1], activation="relu")`` against XOR's corners.

    ``xor_hidden``: two neurons, each ``[w1, w2, b]``; ``xor_output``: ``[w1, w2, b]`` for
    h1 and h2.
    A corner is class 1 where the output's score is above 0.

    >>> print(check_xor([[1, 1, 0], [1, 1, -1]], [1, -2, -0.5]))  # doctest: +NORMALIZE_WHITESPACE
    right: all four corners on their side. Your relu bends: h2 is 0 at (0, 0), (0, 1),
    (1, 0) and 1 at (1, 1): without that bend the network would be one straight line.
      ✓ (0, 0): score -0.5, class 0
      ✓ (0, 1): score 0.5, class 1
      ✓ (1, 0): score 0.5, class 1
      ✓ (1, 1): score -0.5, class 0
    """
    if undone(xor_hidden) or undone(xor_output):
        return Feedback.not_done(
            "set xor_hidden (two neurons, each [w1, w2, b]) and xor_output ([w1, w2, b] for "
            "h1 and h2) so that (0, 1) and (1, 0) score above 0 and (0, 0) and (1, 1) do not"
        )
    from nn import MLP, datasets

    rows, out = _weights(xor_hidden, xor_output)
    net = MLP(2, [2, 1], activation="relu", seed=0)
    for neuron, (a, c, bias) in zip(net.layers[0].neurons, rows):
        neuron.w[0].data, neuron.w[1].data, neuron.b.data = a, c, bias
    last = net.layers[1].neurons[0]
    last.w[0].data, last.w[1].data, last.b.data = out
    corners, labels = datasets.xor()
    details, right = [], 0
    for corner, label in zip(corners, labels):
        score = net(corner).data
        said = int(score > 0)
        where = f"({fmt(corner[0])}, {fmt(corner[1])})"
        if said == label:
            right += 1
            details.append(ok(f"{where}: score {fmt(score)}, class {label}"))
        else:
            side = "above 0" if label else "0 or below"
            details.append(off(f"{where}: score {fmt(score)}, class {said}; it is class "
                               f"{label}, so its score must be {side}"))  # fmt: skip
    z = [[a * x1 + c * x2 + bias for x1, x2 in corners] for a, c, bias in rows]
    bends = [j for j in range(2) if min(z[j]) < 0 < max(z[j])]
    if right == 4:
        j = bends[0]
        zero = [f"({fmt(x1)}, {fmt(x2)})" for (x1, x2), v in zip(corners, z[j]) if v <= 0]
        on = [f"({fmt(x1)}, {fmt(x2)})" for (x1, x2), v in zip(corners, z[j]) if v > 0]
        return Feedback.right(
            f"right: all four corners on their side. Your relu bends: h{j + 1} is 0 at "
            f"{', '.join(zero)} and {'positive' if len(on) > 1 else fmt(max(z[j]))} at "
            f"{', '.join(on)}: without that bend the network would be one straight line.",
            details,
        )
    summary = f"not yet: {right} of the 4 corners are on their side"
    if not bends:
        summary += (
            ". Neither hidden neuron is negative at some corners and positive at others, so "
            "relu never bends: on the corners your network is linear, and no straight line "
            "solves XOR. Give a hidden neuron a bias that makes it 0 at some corners."
        )
    return Feedback.wrong(summary, details)
