"""Lesson 8's exercises: write a neuron's backward as code, and predict what compile writes.

>>> from nn.exercises.lesson8 import check_line_count
>>> print(check_line_count(10, 3))  # doctest: +NORMALIZE_WHITESPACE
right: 10 backward lines, 3 of them +=. One line starts the walk (g = scale, the
loss's gradient with respect to itself), then one per arrow on the way to a
parameter; w1, w2 and b each add every example's share (+=). x1, x2 and y get no
line: nothing asks for their gradients.
"""

from __future__ import annotations

import math
import re
from typing import Any

from engine import Value

from .feedback import Feedback, Reject, call, checker, close, fmt, numbers_of, off, ok, undone

__all__ = ["EXAMPLES", "check_backward", "check_line_count"]

W, B = 0.5, 0.0  # the lesson's neuron
EXAMPLES = [(1.0, 0.0), (2.0, 1.0), (-1.0, 0.0)]  # the lesson's three (x, y)


def _engine_gradients(x: float, y: float) -> tuple[float, float]:
    """dL/dw and dL/db of ``(sigmoid(w·x + b) - y)²`` from backward()."""
    w, b = Value(W, label="w"), Value(B, label="b")
    (((w * x + b).sigmoid() - y) ** 2).backward()
    return w.grad, b.grad


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# What a hand-written backward often computes instead, each as (dL/dw, dL/db) and why.
def _slips(x: float, y: float) -> list[tuple[tuple[float, float], str]]:
    a = _sigmoid(W * x + B)
    g_a = 2 * (a - y)
    g_z = a * (1 - a) * g_a
    tanh_z = (1 - a * a) * g_a
    return [
        ((x * tanh_z, tanh_z), "∂a/∂z is tanh's 1 - a²; the sigmoid's is a·(1 - a)"),
        ((x * g_z / 2, g_z / 2), "dL/da misses the 2 the square brings down: 2·(a - y)"),
        ((-x * g_z, -g_z), "the sign is flipped: dL/da = 2·(a - y), not 2·(y - a)"),
        ((g_z, g_z), "dL/dw is missing ∂z/∂w = x: the partner of w in w·x"),
        ((x * g_z, x * g_z), "dL/db has an x in it, but ∂z/∂b = 1: b is added, not multiplied"),
        ((x * g_a, g_a), "the sigmoid's factor ∂a/∂z = a·(1 - a) is missing"),
    ]


@checker
def check_backward(neuron_backward: Any) -> Feedback:
    """Check ``neuron_backward(w, b, x, y) -> (dL/dw, dL/db)`` for ``L = (sigmoid(w·x + b) - y)²``.

    Compared with backward() at w = 0.5, b = 0 on the lesson's three examples.

    >>> def no_x(w, b, x, y):
    ...     a = 1 / (1 + math.exp(-(w * x + b)))
    ...     g_z = a * (1 - a) * 2 * (a - y)
    ...     return g_z, g_z
    >>> print(check_backward(no_x))  # doctest: +NORMALIZE_WHITESPACE
    not yet: dL/db is right on all 3 examples; dL/dw is not
      ✗ dL/dw at x = 2, y = 1: you gave -0.10575, backward() gives -0.21151
      ✓ dL/db: 0.29256, -0.10575, 0.17745 (x = 1, 2, -1)
      dL/dw is missing ∂z/∂w = x: the partner of w in w·x
    """
    if undone(neuron_backward):
        return Feedback.not_done("write neuron_backward above, then run this")
    if not callable(neuron_backward):
        return Feedback.wrong(
            "not yet: check_backward needs your function: check_backward(neuron_backward)"
        )
    mine, engine = [], []
    for x, y in EXAMPLES:
        result = call(neuron_backward, (W, B, x, y), "neuron_backward")
        if undone(result) or (isinstance(result, (tuple, list)) and any(map(undone, result))):
            raise Reject(Feedback.not_done(
                "neuron_backward still returns ...: fill in g_a, g_z, g_w and g_b, each one "
                "local derivative times the gradient that has arrived"
            ))  # fmt: skip
        mine.append(numbers_of(result, "neuron_backward's result (dL/dw, dL/db)", 2))
        engine.append(_engine_gradients(x, y))
    details, right = [], []
    for k, name in enumerate(("dL/dw", "dL/db")):
        wrong = [
            i for i in range(len(EXAMPLES)) if not close(mine[i][k], engine[i][k], 1e-9, 1e-12)
        ]
        if not wrong:
            right.append(name)
            xs = ", ".join(fmt(x) for x, _ in EXAMPLES)
            values = ", ".join(f"{engine[i][k]:.5f}" for i in range(len(EXAMPLES)))
            details.append(ok(f"{name}: {values} (x = {xs})"))
            continue
        i = wrong[0]
        x, y = EXAMPLES[i]
        details.append(off(
            f"{name} at x = {fmt(x)}, y = {fmt(y)}: you gave {fmt(mine[i][k])}, backward() "
            f"gives {fmt(engine[i][k])}"
        ))  # fmt: skip
    if len(right) == 2:
        return Feedback.right(
            "right: your backward gives backward()'s dL/dw and dL/db on all 3 examples: "
            "dL/da = 2·(a - y), dL/dz = a·(1 - a)·dL/da, dL/dw = x·dL/dz, dL/db = dL/dz. "
            "These are the lines compile writes, one per arrow."
        )
    slips = [_slips(x, y) for x, y in EXAMPLES]  # per example: (dL/dw, dL/db), why
    for k, name in enumerate(("dL/dw", "dL/db")):
        if name in right:
            continue
        for j, (_, why) in enumerate(slips[0]):
            if all(close(mine[i][k], slips[i][j][0][k], 1e-9, 1e-12) for i in range(len(EXAMPLES))):
                details.append(why)
                break
        else:
            continue
        break
    summary = (
        f"not yet: {right[0]} is right on all 3 examples; "
        f"{'dL/db' if right[0] == 'dL/dw' else 'dL/dw'} is not"
        if right
        else "not yet: neither dL/dw nor dL/db matches backward() yet"
    )
    return Feedback.wrong(summary, details)


def _compiled_backward() -> list[str]:
    """The backward lines engine.compile writes for the two-input neuron's squared error."""
    from engine import compile

    w1, w2, b = Value(0.5, label="w1"), Value(-0.3, label="w2"), Value(0.0, label="b")

    def loss(x1: float, x2: float, y: float) -> Value:
        return ((w1 * x1 + w2 * x2 + b).tanh() - y) ** 2

    source = compile(loss, (1.0, 2.0, 0.0), params=[w1, w2, b]).source_per_node
    lines = [line.strip() for line in source.splitlines()]
    first = next(i for i, line in enumerate(lines) if re.match(r"g\w* = scale\b", line))
    backward = []
    for line in lines[first:]:
        if not re.match(r"g\w* \+?= ", line):
            break
        backward.append(line)
    return backward


@checker
def check_line_count(lines: Any, accumulating: Any) -> Feedback:
    """Check a prediction of the compiled backward of ``((w1·x1 + w2·x2 + b).tanh() - y)²``.

    ``lines``: how many backward lines (from ``g… = scale`` down); ``accumulating``: how
    many of them say ``+=``. The checker compiles it and counts.

    >>> print(check_line_count(7, 2))  # doctest: +NORMALIZE_WHITESPACE, +ELLIPSIS
    not yet: neither count is right
      ✗ lines: you gave 7, compile wrote 10: 7 is the one-input neuron's count; the
        second input adds a product and an addition, three more arrows
      ✗ +=: you gave 2, compile wrote 3: w1, w2 and b each say +=: every parameter adds
        every example's share
      the backward compile wrote:
    ...
    """
    if undone(lines) and undone(accumulating):
        return Feedback.not_done(
            "write lines (how many lines the compiled backward has, from g = scale down) "
            "and accumulating (how many of them say +=)"
        )
    backward = _compiled_backward()
    want_lines, want_plus = len(backward), sum("+=" in line for line in backward)
    slips_lines = [
        (7.0, "7 is the one-input neuron's count; the second input adds a product and an "
         "addition, three more arrows"),
        (want_lines - 1.0, "the first line, g = scale (the loss's gradient with respect to "
         "itself), counts too"),
        (want_lines + 3.0, "x1, x2 and y get no line: compile only writes the gradients "
         "that lead to a parameter"),
    ]  # fmt: skip
    slips_plus = [
        (2.0, "w1, w2 and b each say +=: every parameter adds every example's share"),
        (float(want_lines), "only the parameters' gradients add up over the examples; "
         "every other line is overwritten for each example"),
    ]  # fmt: skip
    details, right = [], 0
    for name, value, want, slips in [
        ("lines", lines, want_lines, slips_lines),
        ("+=", accumulating, want_plus, slips_plus),
    ]:
        if undone(value):
            details.append(off(f"{name}: still ..."))
            continue
        got = numbers_of([value], name, 1)[0]
        if got == want:
            right += 1
            details.append(ok(f"{name}: {want}"))
            continue
        slip = next((why for v, why in slips if got == v), "")
        details.append(
            off(
                f"{name}: you gave {fmt(got)}, compile wrote {want}" + (f": {slip}" if slip else "")
            )
        )
    if right == 2:
        return Feedback.right(
            f"right: {want_lines} backward lines, {want_plus} of them +=. One line starts the "
            "walk (g = scale, the loss's gradient with respect to itself), then one per "
            "arrow on the way to a parameter; w1, w2 and b each add every example's share "
            "(+=). x1, x2 and y get no line: nothing asks for their gradients."
        )
    details.append("the backward compile wrote:\n" + "\n".join("  " + line for line in backward))
    count = "one count is" if right else "neither count is"
    return Feedback.wrong(f"not yet: {count} right", details)
