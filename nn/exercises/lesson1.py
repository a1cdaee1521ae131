"""Lesson 1's exercises: a slope by nudging, the chain rule's factors, and your own op.

The function of all three is the bell curve ``bell(x) = exp(-x²)``, at ``x = 0.75``.

>>> from nn.exercises.lesson1 import check_nudge
>>> check_nudge(...)
not done yet: set slope to (bell(0.75 + h) - bell(0.75)) / h for a small nudge h,
such as h = 0.001
>>> check_nudge(-0.855)
right: you measured -0.855; on paper the slope of bell at x = 0.75 is
-2x·exp(-x²) = -0.85467. The smaller the nudge, the closer the two.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from engine import Value

from .feedback import Feedback, Reject, call, checker, close, fmt, judge, number, undone

__all__ = ["bell", "check_nudge", "check_bell_chain", "check_bell_op"]

X0 = 0.75  # where every exercise of the lesson looks at the bell curve
H = 0.001  # the nudge the messages quote
PROBES = (-1.5, -1.0, -0.75, 0.0, 0.75, 1.0, 1.5)  # where a derivative is compared
EPS = 1e-6  # the central difference's step, as gradcheck's


def bell(x: float) -> float:
    """The bell curve, ``exp(-x²)``: 1 at 0, falling off to 0 on either side.

    >>> bell(0.0), round(bell(0.75), 4)
    (1.0, 0.5698)
    """
    return math.exp(-x * x)


def _slope(x: float) -> float:
    """bell's derivative on paper: ``-2x · exp(-x²)``, the chain rule's two factors."""
    return -2 * x * bell(x)


def _central(x: float) -> float:
    """bell's slope by central finite differences, as gradcheck measures it."""
    return (bell(x + EPS) - bell(x - EPS)) / (2 * EPS)


@checker
def check_nudge(slope: Any) -> Feedback:
    """Check a slope of ``bell`` at ``x = 0.75`` measured by nudging: ``-0.8547`` within 0.01.

    >>> print(check_nudge(-0.00078))  # doctest: +NORMALIZE_WHITESPACE
    not yet: you gave -0.00078: that is how far bell moved when x was nudged (about
    bell(0.75 + h) - bell(0.75)), not how fast. Divide it by h.
    """
    if undone(slope):
        return Feedback.not_done(
            "set slope to (bell(0.75 + h) - bell(0.75)) / h for a small nudge h, such as h = 0.001"
        )
    got = number(slope, "slope")
    exact = _slope(X0)
    nudged = (bell(X0 + H) - bell(X0)) / H
    if abs(got - exact) <= 0.01:
        return Feedback.right(
            f"right: you measured {fmt(got)}; on paper the slope of bell at x = 0.75 is "
            f"-2x·exp(-x²) = {fmt(exact)}. The smaller the nudge, the closer the two."
        )
    if close(got, bell(X0)):
        why = (
            "that is bell(0.75) itself, the height of the curve. The slope is how fast "
            "it changes: (bell(0.75 + h) - bell(0.75)) / h."
        )
    elif got * exact > 0 and abs(got) < 0.05 * abs(exact):
        why = (
            "that is how far bell moved when x was nudged (about bell(0.75 + h) - "
            "bell(0.75)), not how fast. Divide it by h."
        )
    elif abs(got + exact) <= 0.01:
        why = (
            "the size is right, the sign is not: bell falls as x grows past 0 "
            "(bell(0.75 + h) < bell(0.75)), so its slope is negative. Subtract "
            "bell(0.75) from bell(0.75 + h), not the other way round."
        )
    elif got * exact > 0 and abs(got - exact) < 0.5 * abs(exact):
        coarse = (bell(X0 + 0.1) - bell(X0)) / 0.1
        why = (
            f"close, but the nudge is too large: with h = 0.1 the ratio is {fmt(coarse)}, "
            f"with h = 0.001 it is {fmt(nudged)}. Shrink h until the ratio stops changing."
        )
    else:
        why = (
            f"nudging by h = 0.001 gives {fmt(nudged)}. Compute "
            "(bell(0.75 + h) - bell(0.75)) / h with bell as defined above."
        )
    return Feedback.wrong(f"not yet: you gave {fmt(got)}: {why}")


def bell_graph() -> dict[str, Value]:
    """bell(0.75) built from Values, one node per step: ``s = x**2``, ``u = -s``, ``g = exp(u)``.

    >>> nodes = bell_graph()
    >>> [nodes[name].local_grads for name in ("s", "u", "g")]  # doctest: +ELLIPSIS
    [(1.5,), (-1.0,), (0.5697...,)]
    """
    x = Value(X0, label="x")
    s = x**2
    s.label = "s"
    u = -s
    u.label = "u"
    g = u.exp()
    g.label = "g"
    return {"x": x, "s": s, "u": u, "g": g}


def _factors(nodes: dict[str, Value]) -> list[tuple[str, str, float, list, str]]:
    """Each factor: its name, the learner's variable, the engine's value, the usual slips
    (a wrong number and what it is), and the rule that gives the right one."""
    x, s, u, g = (nodes[k].data for k in ("x", "s", "u", "g"))
    return [
        ("∂s/∂x", "ds_dx", nodes["s"].local_grads[0], [
            (x, "that is x itself"),
            (s, "that is s = x² itself"),
            (2.0, "that is the exponent 2, not 2x"),
        ], f"s = x², whose local derivative is 2x = 2 · {fmt(x)}"),
        ("∂u/∂s", "du_ds", nodes["u"].local_grads[0], [
            (1.0, "the sign is lost"),
        ], "u = -s: negating flips every change, so ∂u/∂s is -1"),
        ("∂g/∂u", "dg_du", nodes["g"].local_grads[0], [
            (math.exp(-u), f"that is exp(+{fmt(-u)}), but u is {fmt(u)}"),
            (1.0, "exp's slope is not 1"),
            (u, "that is u itself"),
            (-2 * x * g, "that is the whole slope dg/dx, not this one step's factor"),
        ], f"g = exp(u), and exp's derivative is exp itself: exp(u) = g = {fmt(g)}"),
    ]  # fmt: skip


@checker
def check_bell_chain(ds_dx: Any, du_ds: Any, dg_du: Any) -> Feedback:
    """Check the three local derivatives on bell's path from x to g, at ``x = 0.75``.

    ``s = x**2``, ``u = -s``, ``g = u.exp()``: ``∂s/∂x``, ``∂u/∂s`` and ``∂g/∂u``, which the
    engine records in each node's ``local_grads``. Their product is ``dg/dx``.

    >>> print(check_bell_chain(1.5, 1.0, 0.5698))  # doctest: +NORMALIZE_WHITESPACE
    not yet: 2 of the 3 factors are right
      ✓ ∂s/∂x = 1.5
      ✗ ∂u/∂s: you gave 1, it is -1: the sign is lost; u = -s: negating flips
        every change, so ∂u/∂s is -1
      ✓ ∂g/∂u = 0.56978
    """
    given = (ds_dx, du_ds, dg_du)
    if all(undone(v) for v in given):
        return Feedback.not_done(
            "write the three local derivatives at x = 0.75: ds_dx for s = x², du_ds for "
            "u = -s, dg_du for g = exp(u). Each is one step's own derivative."
        )
    nodes = bell_graph()
    factors = _factors(nodes)
    checks = [
        judge(name, value, want, slips, rule, variable)
        for (name, variable, want, slips, rule), value in zip(factors, given)
    ]
    right = sum(good for good, _ in checks)
    if right < len(checks):
        lines = [line for _, line in checks]
        return Feedback.wrong(f"not yet: {right} of the 3 factors are right", lines)
    nodes["g"].backward()
    a, b, c = (want for _, _, want, _, _ in factors)
    return Feedback.right(
        f"right: dg/dx = ∂s/∂x · ∂u/∂s · ∂g/∂u = {fmt(a)} · ({fmt(b)}) · {fmt(c)} = "
        f"{fmt(a * b * c)}, and backward() gives dg/dx = {fmt(nodes['x'].grad)}: the "
        "slope you nudged for."
    )


def _their_derivative(derivative: Callable, x: float) -> float:
    """The learner's ∂bell/∂x at x, or Reject: not done, or not one number."""
    result = call(derivative, (bell(x), x), "bell_derivative")
    if undone(result) or (isinstance(result, (tuple, list)) and any(map(undone, result))):
        raise Reject(
            Feedback.not_done(
                "bell_derivative returns ...: make it return (∂bell/∂x,), written with "
                "out (which is bell(x)) and x. The chain rule: exp's derivative at -x² "
                "times the derivative of -x²."
            )
        )
    if not isinstance(result, (tuple, list)):  # one input: define_op takes the number too
        result = (result,)
    if len(result) != 1:
        raise Reject(
            Feedback.wrong(
                f"not yet: bell_derivative returned {len(result)} numbers; bell has one "
                "input, x, so it needs one local derivative: return (...,)"
            )
        )
    return number(result[0], f"bell_derivative's ∂bell/∂x at x = {fmt(x)}")


def _table(rows: list[tuple[float, float, float]]) -> str:
    lines = ["    x      yours  finite differences"]
    lines += [f"{fmt(x):>5}  {fmt(y):>9}  {fmt(f):>9}" for x, y, f in rows]
    return "\n".join(lines)


def _diagnosis(points: list[tuple[float, float, float]]) -> str:
    """What is wrong with a derivative, from (x, yours, finite differences) at PROBES."""
    wrong = [(x, y, f) for x, y, f in points if not close(y, f, 1e-4, 1e-6)]
    # the lesson's point first, where it is wrong
    x, y, f = min(wrong, key=lambda p: p[0] != X0)
    at = f"at x = {fmt(x)} yours is {fmt(y)}, finite differences give {fmt(f)}"
    nonzero = [(x, y, f) for x, y, f in points if abs(f) > 1e-3]
    ratios = [y / f for _, y, f in nonzero]
    same_ratio = all(close(r, ratios[0], 1e-4, 1e-6) for r in ratios)
    zero_right = all(close(y, f, 1e-4, 1e-6) for _, y, f in points if abs(f) <= 1e-3)
    if same_ratio and zero_right and close(ratios[0], -1.0, 1e-4, 0):
        return f"The sign is flipped everywhere: {at}."
    if same_ratio and zero_right:
        return (
            f"Yours is {fmt(ratios[0])}× the right value at every point: a factor is "
            f"off. For example, {at}."
        )
    if all(close(y, bell(x), 1e-4, 1e-6) for x, y, _ in points):
        return (
            "Yours equals bell(x) itself: exp's derivative is exp, but here exp is applied "
            "to -x², so the chain rule multiplies by d(-x²)/dx = -2x as well."
        )
    if all(close(y, -2 * x, 1e-4, 1e-6) for x, y, _ in points):
        return (
            "Yours is -2x, the derivative of -x² alone: the chain rule multiplies it by "
            "exp's derivative at -x², which is out."
        )
    right_at = [x for x, y, f in points if close(y, f, 1e-4, 1e-6)]
    if right_at:
        where = [fmt(x) for x in right_at]
        where = ", ".join(where[:-1]) + " and " + where[-1] if len(where) > 1 else where[0]
        return f"Right at x = {where} only, wrong elsewhere: {at}."
    return f"Wrong at every point: {at}."


def _define(derivative: Callable, points: list[tuple[float, float, float]]) -> Any:
    """``define_op("bell", bell, derivative)``: the op, or Reject with what define_op found.

    ``points`` (x, yours, finite differences at PROBES) explain a refusal in the terms of
    this exercise; define_op's own message is kept whole where they do not (its points are
    not these).
    """
    from engine import GradcheckError, define_op

    try:
        return define_op("bell", bell, derivative)  # a second run replaces the first's op
    except GradcheckError as error:
        verdict = str(error).split("\n", 1)[0]  # "bell's derivative is wrong at 10 of 11 points."
        refused = f"not yet: define_op compared your derivative with finite differences: {verdict}"
        if all(close(y, f, 1e-4, 1e-6) for _, y, f in points):
            raise Reject(Feedback.wrong(refused, [str(error)])) from None
        shown = [p for p in points if p[0] in (-1.5, 0.0, X0)]
        raise Reject(Feedback.wrong(f"{refused} {_diagnosis(points)}", [_table(shown)])) from None
    except Exception as error:  # the learner's function, run at define_op's own points
        raise Reject(
            Feedback.wrong(f"not yet: define_op said {type(error).__name__}: {error}")
        ) from None


@checker
def check_bell_op(derivative: Any) -> Feedback:
    """Check ``derivative(out, x) -> (∂bell/∂x,)``, then make it an op with ``define_op``.

    ``engine.define_op("bell", bell, derivative)`` compares the derivative with finite
    differences and, if it agrees, makes the op, which is the feedback's ``result`` (run
    again, it replaces the op it made before). A refusal is explained from the derivative's
    values at x = -1.5 ... 1.5: a flipped sign, a factor off, a chain-rule factor missing.

    >>> print(check_bell_op(lambda out, x: (2 * x * out,)))  # doctest: +NORMALIZE_WHITESPACE
    not yet: define_op compared your derivative with finite differences: bell's
    derivative is wrong at 10 of 11 points. The sign is flipped everywhere: at x =
    0.75 yours is 0.85467, finite differences give -0.85467.
          x      yours  finite differences
       -1.5    -0.3162     0.3162
          0          0          0
       0.75    0.85467   -0.85467
    """
    if undone(derivative):
        return Feedback.not_done("write bell_derivative(out, x) above, then run this")
    if not callable(derivative):
        return Feedback.wrong(
            f"not yet: check_bell_op needs your function, bell_derivative, not a "
            f"{type(derivative).__name__}: check_bell_op(bell_derivative)"
        )
    points = [(x, _their_derivative(derivative, x), _central(x)) for x in PROBES]
    op = _define(derivative, points)
    node = op(Value(X0, label="x"))
    return Feedback.right(
        "right: define_op compared your derivative with finite differences, took it, and "
        f"made the op 'bell': bell(Value(0.75)) records a node whose .op is {node.op!r}, "
        f"with local_grads ({fmt(node.local_grads[0])},) from your derivative. The op is "
        "this feedback's .result: draw it, step through it, compile it.",
        result=op,
    )
