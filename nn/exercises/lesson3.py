"""Lesson 3's exercises: one gradient-descent step by hand, the largest learning rate, the hump.

The data and the loss are the lesson's: ``ŷ = w · x`` on four points, mean squared error.

>>> from nn.exercises.lesson3 import check_step
>>> print(check_step(-14.85, 1.7425))  # doctest: +NORMALIZE_WHITESPACE
right: at w = 1.0 the slope is dL/dw = mean(2·(w·x - y)·x) = -14.85, and one step
gives w = 1.0 - 0.05 · (-14.85) = 1.7425: a negative slope, so w grows.
"""

from __future__ import annotations

from typing import Any

from .feedback import Feedback, checker, close, fmt, number, off, ok, undone

__all__ = ["XS", "YS", "loss", "bumpy", "check_step", "check_largest_lr", "check_hump"]

XS = [1.0, 2.0, 3.0, 4.0]  # the lesson's four measurements
YS = [2.1, 3.9, 6.2, 7.8]
W = 1.0  # where exercise 1 steps from
LR = 0.05
CURVATURE = 2 * sum(x * x for x in XS) / len(XS)  # L'' = 2·mean(x²) = 15
BEST = sum(x * y for x, y in zip(XS, YS)) / sum(x * x for x in XS)  # the exact minimiser


def loss(w: float) -> float:
    """The lesson's loss: the mean squared error of ``w · x`` against ``y``.

    >>> loss(2.0)  # doctest: +ELLIPSIS
    0.025...
    """
    return sum((w * x - y) ** 2 for x, y in zip(XS, YS)) / len(XS)


def _slope(w: float) -> float:
    return sum(2 * (w * x - y) * x for x, y in zip(XS, YS)) / len(XS)


def _slope_slips(w: float) -> list[tuple[float, str]]:
    n = len(XS)
    return [
        (_slope(w) / 2, "the 2 that differentiating the square brings down is missing"),
        (_slope(w) * n, "that is the sum over the four points; the loss is their mean, "
         "so divide by 4"),
        (sum(2 * (w * x - y) for x, y in zip(XS, YS)) / n,
         "each term needs the factor x: d(w·x - y)/dw = x"),
        (-_slope(w), "the sign is flipped: the inside of the square is w·x - y, not y - w·x"),
        (loss(w), "that is the loss at w = 1.0, not its slope"),
    ]  # fmt: skip


@checker
def check_step(slope: Any, w_new: Any) -> Feedback:
    """Check ``dL/dw`` at ``w = 1.0`` and the weight after one step with ``lr = 0.05``.

    >>> print(check_step(-14.85, 0.2575))  # doctest: +NORMALIZE_WHITESPACE
    not yet: your slope is right, the step is not
      ✓ slope: dL/dw = -14.85
      ✗ w_new: you gave 0.2575, it is 1.7425: that is w + lr · slope. A step goes
        against the slope: w - lr · slope
    """
    if undone(slope) and undone(w_new):
        return Feedback.not_done(
            "write slope (dL/dw at w = 1.0) and w_new (one step with lr = 0.05)"
        )
    want_slope = _slope(W)
    want_w = W - LR * want_slope
    details = []
    slope_right = follows = False
    if undone(slope):
        details.append(off("slope is still ..."))
    else:
        got = number(slope, "slope")
        slope_right = close(got, want_slope)
        if slope_right:
            details.append(ok(f"slope: dL/dw = {fmt(want_slope)}"))
        else:
            slip = next((why for v, why in _slope_slips(W) if close(got, v)), None)
            hint = slip or "work out mean(2·(w·x - y)·x) over the four points, at w = 1.0"
            details.append(off(f"slope: you gave {fmt(got)}, it is {fmt(want_slope)}: {hint}"))
    if undone(w_new):
        details.append(off("w_new is still ..."))
        step_right = False
    else:
        new = number(w_new, "w_new")
        step_right = close(new, want_w)
        theirs = number(slope, "slope") if not undone(slope) else want_slope
        if step_right:
            details.append(ok(f"w_new = {fmt(W)} - {LR} · ({fmt(want_slope)}) = {fmt(want_w)}"))
        elif not slope_right and close(new, W - LR * theirs):
            follows = True
            details.append(off(
                f"w_new: {fmt(new)} follows from your slope (the update w - lr · slope is "
                f"right), but with the right slope it is {fmt(want_w)}"
            ))  # fmt: skip
        elif close(new, W + LR * theirs) or close(new, W + LR * want_slope):
            details.append(off(
                f"w_new: you gave {fmt(new)}, it is {fmt(want_w)}: that is w + lr · slope. "
                "A step goes against the slope: w - lr · slope"
            ))  # fmt: skip
        elif close(new, W - theirs) or close(new, W - want_slope):
            details.append(off(
                f"w_new: you gave {fmt(new)}, it is {fmt(want_w)}: that is w - slope, a "
                "step without the learning rate. w - lr · slope, with lr = 0.05"
            ))  # fmt: skip
        else:
            details.append(off(f"w_new: you gave {fmt(new)}, it is {fmt(want_w)} = w - lr · slope"))
    if slope_right and step_right:
        return Feedback.right(
            f"right: at w = 1.0 the slope is dL/dw = mean(2·(w·x - y)·x) = {fmt(want_slope)}, "
            f"and one step gives w = 1.0 - 0.05 · ({fmt(want_slope)}) = {fmt(want_w)}: a "
            "negative slope, so w grows."
        )
    if slope_right:
        summary = "not yet: your slope is right, the step is not"
    elif step_right:
        summary = "not yet: your step is right, the slope is not"
    elif follows:
        summary = "not yet: your update is right, but the slope it starts from is not"
    else:
        summary = "not yet: neither the slope nor the step is right yet"
    return Feedback.wrong(summary, details)


def _distance_after(lr: float, steps: int = 50, w: float = 0.5) -> float:
    """How far from the minimum gradient descent at ``lr`` is after ``steps`` steps."""
    for _ in range(steps):
        w -= lr * _slope(w)
        if abs(w) > 1e12:
            return float("inf")
    return abs(w - BEST)


@checker
def check_largest_lr(largest_lr: Any) -> Feedback:
    """Check the learning rate above which gradient descent on the lesson's loss diverges.

    Every step multiplies the distance to the minimum by ``1 - lr · L''`` with ``L'' = 15``;
    the walk diverges once that factor is below -1, that is above ``lr = 2/15``.

    >>> print(check_largest_lr(0.14))  # doctest: +NORMALIZE_WHITESPACE
    not yet: at lr = 0.14 the factor 1 - lr · 15 is -1.1, beyond -1: the walk
    already diverges (50 steps from w = 0.5 end 1.7e+02 from the minimum). The
    largest rate that does not is smaller.
    """
    if undone(largest_lr):
        return Feedback.not_done(
            "write largest_lr, the largest learning rate for which gradient descent on this "
            "loss does not diverge. Each step multiplies the distance to the minimum by "
            "1 - lr · 15: when does that stop shrinking it?"
        )
    lr = number(largest_lr, "largest_lr")
    limit = 2 / CURVATURE
    factor = 1 - lr * CURVATURE
    if abs(lr - limit) <= 0.002:
        below, above = _distance_after(0.99 * limit), _distance_after(1.01 * limit)
        return Feedback.right(
            f"right: the limit is 2 / L'' = 2/15 = {fmt(limit)}, where the factor 1 - lr · 15 "
            f"is -1. Checked: 50 steps at 1% below it end {fmt(below)} from the minimum, "
            f"at 1% above it {fmt(above)}."
        )
    if close(lr, 1 / CURVATURE):
        return Feedback.wrong(
            f"not yet: {fmt(lr)} = 1/15 makes the factor 0: the first step lands on the "
            "minimum. Larger rates overshoot it, and still converge while the factor is "
            "above -1."
        )
    if lr <= 0:
        return Feedback.wrong(
            f"not yet: lr = {fmt(lr)} does not step downhill at all: a learning rate is positive"
        )
    distance = _distance_after(lr)
    if factor < -1:
        return Feedback.wrong(
            f"not yet: at lr = {fmt(lr)} the factor 1 - lr · 15 is {fmt(factor)}, beyond -1: "
            f"the walk already diverges (50 steps from w = 0.5 end {distance:.2g} from the "
            "minimum). The largest rate that does not is smaller."
        )
    return Feedback.wrong(
        f"not yet: at lr = {fmt(lr)} the factor 1 - lr · 15 is {fmt(factor)}: the walk still "
        f"converges (50 steps from w = 0.5 end {distance:.2g} from the minimum), and so "
        "do larger rates, until the factor reaches -1."
    )


def bumpy(w: float) -> float:
    """The lesson's loss with two valleys: ``w⁴ - 3w² + w``.

    >>> bumpy(2.0), round(bumpy(-1.3), 3)
    (6.0, -3.514)
    """
    return w**4 - 3 * w**2 + w


def _bumpy_slope(w: float) -> float:
    return 4 * w**3 - 6 * w + 1


def _top() -> float:
    """The top of the hump between the valleys: where the slope is 0, between 0 and 0.5."""
    low, high = 0.0, 0.5  # the slope is positive at 0 and negative at 0.5
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if _bumpy_slope(middle) > 0 else (low, middle)
    return (low + high) / 2


def _walk(w: float, lr: float = 0.01) -> float:
    """Where gradient descent from ``w`` stops: the step has become negligible."""
    for _ in range(20_000):
        step = lr * _bumpy_slope(w)
        w -= step
        if abs(step) < 1e-12 or abs(w) > 1e6:
            break
    return w


@checker
def check_hump(start: Any) -> Feedback:
    """Check the largest start from which lr = 0.01 ends in bumpy's deeper valley (to 0.01).

    >>> print(check_hump(0.5))  # doctest: +NORMALIZE_WHITESPACE
    not yet: from w = 0.5 the walk ends at w = 1.1309 (loss -1.0702), in the
    shallow valley: your start is right of the hump's top, where the slope is 0.
    Start lower.
    """
    if undone(start):
        return Feedback.not_done(
            "write start, the largest starting weight from which gradient descent with "
            "lr = 0.01 ends in the deeper valley (on the left). Where does the slope "
            "change sign between the two valleys?"
        )
    w0 = number(start, "start")
    top = _top()
    end = _walk(w0)
    where = f"from w = {fmt(w0)} the walk ends at w = {fmt(end)} (loss {fmt(bumpy(end))})"
    if abs(end - top) < 0.05:
        return Feedback.wrong(
            f"not yet: {where}: balanced on the hump's top, where the slope is 0, so it "
            "never moves. A start a little lower rolls into the deeper valley."
        )
    if end > top:
        return Feedback.wrong(
            f"not yet: {where}, in the shallow valley: your start is right of the hump's "
            "top, where the slope is 0. Start lower."
        )
    if top - w0 > 0.01:
        return Feedback.wrong(
            f"not yet: {where}, in the deeper valley, but larger starts get there too: all "
            "the way up to the hump's top, where the slope is 0 and changes sign."
        )
    other = _walk(top + 0.001)
    return Feedback.right(
        f"right: {where}, the deeper valley. The hump's top is at w = {fmt(top)}, where the "
        f"slope 4w³ - 6w + 1 is 0: from just right of it the walk ends at {fmt(other)} "
        f"(loss {fmt(bumpy(other))}). Where you start decides which valley you get."
    )
