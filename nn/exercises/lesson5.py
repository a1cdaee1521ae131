"""Lesson 5's exercises: dE/dw for a weight of the 2-2-1 network, factor by factor.

The network is the lesson's: inputs ``x1 = 0.6, x2 = 0.8``, truth ``t = 0.9``, sigmoid
neurons, ``E = ½ · (a3 - t)²``.

>>> from nn.exercises.lesson5 import check_w32, network
>>> v = network()
>>> a2, a3, t = v["a2"].data, v["a3"].data, 0.9
>>> print(check_w32(a2, a3 * (1 - a3), a3 - t, a2 * a3 * (1 - a3) * (a3 - t)))
... # doctest: +NORMALIZE_WHITESPACE
right: dE/dw32 = ∂z3/∂w32 · ∂a3/∂z3 · dE/da3 = 0.61775 · 0.24486 · (-0.32829)
= -0.049658, as backward() gives. Positive a2, prediction too low: a larger
w32 would lift a3.
"""

from __future__ import annotations

from typing import Any

from engine import Value

from .feedback import Feedback, checker, close, fmt, judge, number, undone

__all__ = ["X", "T", "WEIGHTS", "network", "check_w32", "check_w22"]

X = {"x1": 0.6, "x2": 0.8}  # June, July
T = 0.9  # August, the value to predict
WEIGHTS = {
    "w11": 0.5, "w12": -0.3, "b1": 0.1,
    "w21": 0.2, "w22": 0.7, "b2": -0.2,
    "w31": 0.9, "w32": -0.4, "b3": 0.05,
}  # fmt: skip


def network() -> dict[str, Value]:
    """The lesson's network, its graph built and differentiated: every named Value.

    >>> round(network()["a3"].data, 4)
    0.5717
    """
    v = {name: Value(number, label=name) for name, number in {**X, **WEIGHTS}.items()}
    for j in ("1", "2"):  # the hidden layer
        v["z" + j] = v[f"w{j}1"] * v["x1"] + v[f"w{j}2"] * v["x2"] + v["b" + j]
        v["a" + j] = v["z" + j].sigmoid()
    v["z3"] = v["w31"] * v["a1"] + v["w32"] * v["a2"] + v["b3"]
    v["a3"] = v["z3"].sigmoid()
    v["E"] = 0.5 * (v["a3"] - T) ** 2
    for name in ("z1", "a1", "z2", "a2", "z3", "a3", "E"):
        v[name].label = name
    v["E"].backward()
    return v


def _numbers() -> dict[str, float]:
    return {name: value.data for name, value in network().items()}


def _grad(name: str) -> float:
    """dE/d(name), from backward()."""
    return network()[name].grad


@checker
def check_w32(dz3_dw32: Any, da3_dz3: Any, dE_da3: Any, dE_dw32: Any) -> Feedback:  # noqa: N803
    """Check ``dE/dw32 = ∂z3/∂w32 · ∂a3/∂z3 · dE/da3``: each factor, then the product.

    >>> print(check_w32(0.54, 0.2449, -0.3283, -0.0434))  # doctest: +NORMALIZE_WHITESPACE
    not yet: your ∂a3/∂z3 and dE/da3 are right; ∂z3/∂w32 and dE/dw32 are off
      ✗ ∂z3/∂w32: you gave 0.54, it is 0.61775: that is a1, the partner of w31;
        w32 multiplies a2 in z3 = w31·a1 + w32·a2 + b3, so its partner is a2
      ✓ ∂a3/∂z3 = 0.24486
      ✓ dE/da3 = -0.32829
      ✗ dE/dw32: you gave -0.0434, it is -0.049658: it follows from your factors,
        but they are off
    """
    given = (dz3_dw32, da3_dz3, dE_da3, dE_dw32)
    if all(undone(g) for g in given):
        return Feedback.not_done(
            "write the three factors of dE/dw32 at the lesson's numbers - dz3_dw32, "
            "da3_dz3, dE_da3 - and their product dE_dw32"
        )
    n = _numbers()
    a1, a2, a3, z3 = n["a1"], n["a2"], n["a3"], n["z3"]
    want = {
        "∂z3/∂w32": a2,
        "∂a3/∂z3": a3 * (1 - a3),
        "dE/da3": a3 - T,
    }
    product = want["∂z3/∂w32"] * want["∂a3/∂z3"] * want["dE/da3"]
    checks = [
        judge("∂z3/∂w32", dz3_dw32, a2, [
            (a1, "that is a1, the partner of w31"),
            (WEIGHTS["w32"], "that is w32 itself; a product's derivative with respect to "
             "one factor is the other factor"),
            (n["z2"], "that is z2, neuron 2 before its sigmoid; z3 reads a2"),
        ], "w32 multiplies a2 in z3 = w31·a1 + w32·a2 + b3, so its partner is a2",
            "dz3_dw32"),
        judge("∂a3/∂z3", da3_dz3, want["∂a3/∂z3"], [
            (a3, "that is a3 itself"),
            (z3 * (1 - z3), "that uses z3; the sigmoid's slope is written with its output"),
            (1 - a3**2, "that is tanh's slope, 1 - a3²"),
        ], "the sigmoid's slope is a3·(1 - a3)", "da3_dz3"),
        judge("dE/da3", dE_da3, want["dE/da3"], [
            (T - a3, "the sign is flipped"),
            (2 * (a3 - T), "the ½ in E cancels the 2 the square brings down"),
            ((a3 - T) ** 2, "that is the squared miss, not its slope"),
            (n["E"], "that is E itself, not its slope"),
        ], "d/da3 of ½(a3 - t)² is a3 - t", "dE_da3"),
    ]  # fmt: skip
    names = ["∂z3/∂w32", "∂a3/∂z3", "dE/da3", "dE/dw32"]
    return _verdict(names, given, checks, product, _grad("w32"), _right_w32(n))


def _right_w32(n: dict[str, float]) -> str:
    a2, a3 = n["a2"], n["a3"]
    return (
        f"right: dE/dw32 = ∂z3/∂w32 · ∂a3/∂z3 · dE/da3 = {fmt(a2)} · {fmt(a3 * (1 - a3))} · "
        f"({fmt(a3 - T)}) = {fmt(a2 * a3 * (1 - a3) * (a3 - T))}, as backward() gives. "
        "Positive a2, prediction too low: a larger w32 would lift a3."
    )


def _verdict(names, given, checks, product, engine_grad, right_text) -> Feedback:
    """Each factor's line, then the product's (the last of ``names`` and ``given``)."""
    assert close(product, engine_grad, 1e-9, 1e-12), "the factors disagree with backward()"
    *factor_names, name = names
    *factors, value = given
    variable = _VARIABLES[name]
    right_product, line = judge(name, value, product, [], "", variable)
    if not right_product and not undone(value):
        theirs = 1.0
        for f in factors:
            theirs *= number(f, "a factor") if not undone(f) else float("nan")
        if not all(ok_ for ok_, _ in checks) and close(number(value, variable), theirs):
            line += ": it follows from your factors, but they are off"
        else:
            line += f": the product of the {len(factors)} factors"
    verdicts = [ok_ for ok_, _ in checks] + [right_product]
    lines = [line_ for _, line_ in checks] + [line]
    if all(verdicts):
        return Feedback.right(right_text)
    good = [n for n, v in zip(names, verdicts) if v]
    bad = [n for n, v in zip(names, verdicts) if not v]
    if good:
        summary = f"not yet: your {_listed(good)} {'is' if len(good) == 1 else 'are'} right; "
        summary += f"{_listed(bad)} {'is' if len(bad) == 1 else 'are'} off"
    else:
        summary = "not yet: none of these is right yet"
    return Feedback.wrong(summary, lines)


_VARIABLES = {"dE/dw32": "dE_dw32", "dE/dw22": "dE_dw22"}


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@checker
def check_w22(dz2_dw22: Any, da2_dz2: Any, dz3_da2: Any, delta3: Any, dE_dw22: Any) -> Feedback:  # noqa: N803
    """Check ``dE/dw22 = ∂z2/∂w22 · ∂a2/∂z2 · ∂z3/∂a2 · δ3`` (δ3 = dE/dz3): factors, product.

    >>> v = network()
    >>> a2, a3 = v["a2"].data, v["a3"].data
    >>> delta3 = a3 * (1 - a3) * (a3 - 0.9)
    >>> print(check_w22(0.8, a2 * (1 - a2), 0.9, delta3, 0.8 * a2 * (1 - a2) * 0.9 * delta3))
    ... # doctest: +NORMALIZE_WHITESPACE
    not yet: your ∂z2/∂w22, ∂a2/∂z2 and δ3 are right; ∂z3/∂a2 and dE/dw22 are off
      ✓ ∂z2/∂w22 = 0.8
      ✓ ∂a2/∂z2 = 0.23614
      ✗ ∂z3/∂a2: you gave 0.9, it is -0.4: that is w31, the weight on a1; a2
        enters z3 = w31·a1 + w32·a2 + b3 through w32
      ✓ δ3 = -0.080385
      ✗ dE/dw22: you gave -0.013667, it is 0.0060741: it follows from your
        factors, but they are off
    """
    given = (dz2_dw22, da2_dz2, dz3_da2, delta3, dE_dw22)
    if all(undone(g) for g in given):
        return Feedback.not_done(
            "write the four factors of dE/dw22 - dz2_dw22, da2_dz2, dz3_da2 and delta3 "
            "(δ3 = dE/dz3, reused from the output neuron) - and their product dE_dw22"
        )
    n = _numbers()
    a1, a2, a3 = n["a1"], n["a2"], n["a3"]
    slope3 = a3 * (1 - a3)
    want_delta = slope3 * (a3 - T)
    product = X["x2"] * a2 * (1 - a2) * WEIGHTS["w32"] * want_delta
    checks = [
        judge("∂z2/∂w22", dz2_dw22, X["x2"], [
            (X["x1"], "that is x1, the partner of w21"),
            (WEIGHTS["w22"], "that is w22 itself; its partner in the product is the input"),
        ], "w22 is the weight into neuron 2 from input 2, so it multiplies x2", "dz2_dw22"),
        judge("∂a2/∂z2", da2_dz2, a2 * (1 - a2), [
            (slope3, "that is the output neuron's slope, a3·(1 - a3)"),
            (a1 * (1 - a1), "that is neuron 1's slope, a1·(1 - a1)"),
            (a2, "that is a2 itself"),
        ], "hidden neuron 2's sigmoid slope is a2·(1 - a2)", "da2_dz2"),
        judge("∂z3/∂a2", dz3_da2, WEIGHTS["w32"], [
            (WEIGHTS["w31"], "that is w31, the weight on a1"),
            (a2, "that is a2 itself; its partner in the product is the weight"),
            (WEIGHTS["w22"], "that is w22, a weight into neuron 2, not out of it"),
        ], "a2 enters z3 = w31·a1 + w32·a2 + b3 through w32", "dz3_da2"),
        judge("δ3", delta3, want_delta, [
            (a3 - T, "that is dE/da3 alone"),
            (slope3, "that is ∂a3/∂z3 alone"),
            (-want_delta, "the sign is flipped"),
        ], "δ3 = dE/dz3 = ∂a3/∂z3 · dE/da3 = a3·(1 - a3)·(a3 - t)", "delta3"),
    ]  # fmt: skip
    right = (
        f"right: dE/dw22 = ∂z2/∂w22 · ∂a2/∂z2 · ∂z3/∂a2 · δ3 = {fmt(X['x2'])} · "
        f"{fmt(a2 * (1 - a2))} · ({fmt(WEIGHTS['w32'])}) · ({fmt(want_delta)}) = "
        f"{fmt(product)}, as backward() gives. Its last factor, δ3, is the one dE/dw32 "
        "used too: backpropagation computes it once."
    )
    names = ["∂z2/∂w22", "∂a2/∂z2", "∂z3/∂a2", "δ3", "dE/dw22"]
    return _verdict(names, given, checks, product, _grad("w22"), right)
