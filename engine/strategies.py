"""Hypothesis strategies for property-testing derivatives (needs ``hypothesis``).

``expressions()`` draws random differentiable expression graphs over a few
inputs *together with* a point inside every op's domain and away from every
kink, so a property test needs no filtering:

>>> from hypothesis import given, settings
>>> from engine import gradcheck
>>> from engine.strategies import expressions
>>> @settings(max_examples=20)
... @given(expressions())
... def test_gradients(e):
...     gradcheck(e.fn, e.inputs)
>>> test_gradients()

``op_inputs(name)`` draws inputs for one primitive, inside its domain, so no
point at or below 0 is ever drawn for ``log``:

>>> from hypothesis import find
>>> from engine.strategies import op_inputs
>>> find(op_inputs("log"), lambda xs: xs[0] <= 0)
Traceback (most recent call last):
...
hypothesis.errors.NoSuchExample: No examples found of condition lambda xs: xs[0] <= 0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "engine.strategies needs Hypothesis: pip install hypothesis "
        "(or pip install 'scalarflow[dev]')"
    ) from error

from .value import Value

__all__ = ["values", "op_inputs", "expressions", "Expression", "UNARY", "BINARY", "MARGIN"]

MARGIN = 0.1  # how far every drawn point stays from a domain edge or a kink
BOUND = 100.0  # intermediate results stay within ±BOUND, so finite differences stay accurate
POWERS = (2.0, 3.0, -1.0, 0.5, 1.5)  # constant exponents x ** c that expressions may use

# The ops by how they are called: unary ones as methods, binary ones as operators.
UNARY = (
    "neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
    "leaky_relu", "softplus", "sin", "cos", "pow_const",
)  # fmt: skip
BINARY = ("add", "sub", "mul", "div", "pow")

_CALL: dict[str, Callable] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a: -a,
    "abs": lambda a: abs(a),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "sqrt": lambda a: a.sqrt(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "leaky_relu": lambda a, slope: a.leaky_relu(slope),
    "softplus": lambda a: a.softplus(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "pow_const": lambda a, c: a**c,
}


def _away_from_kink(x: float) -> bool:
    return abs(x) >= MARGIN


def _inside(name: str, xs: Sequence[float], constant: float | None = None) -> bool:
    """True when ``xs`` is well inside ``name``'s domain, away from kinks, and ±BOUND."""
    x = xs[0]
    if name == "log" or name == "sqrt":
        return x >= MARGIN
    if name in ("abs", "relu", "leaky_relu"):
        return _away_from_kink(x)
    if name == "exp":
        return x <= math.log(BOUND)
    if name == "div":
        return _away_from_kink(xs[1])
    if name == "pow":
        return x >= MARGIN and abs(xs[1]) <= 3 and x ** xs[1] <= BOUND
    if name == "pow_const":
        if constant != int(constant) and x < MARGIN:
            return False
        if constant < 0 and not _away_from_kink(x):
            return False
        return abs(x) ** constant <= BOUND
    if name in ("add", "sub", "mul"):
        return abs(_CALL[name](xs[0], xs[1])) <= BOUND
    return True  # neg, tanh, sigmoid, softplus, sin, cos: smooth everywhere


def values(
    min_value: float = -10.0, max_value: float = 10.0, *, label: str = ""
) -> st.SearchStrategy[Value]:
    """Leaf Values with finite data in ``[min_value, max_value]``.

    >>> from hypothesis import find
    >>> find(values(1.0, 2.0), lambda v: True).data
    1.0
    """
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False).map(
        lambda x: Value(x, label=label)
    )


def _magnitude(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _signed(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats with ``low <= |x| <= high``, either sign: away from 0."""
    return st.tuples(_magnitude(low, high), st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


_ANY = _magnitude(-5.0, 5.0)
_POSITIVE = _magnitude(MARGIN, 5.0)
_NONZERO = _signed(MARGIN, 5.0)

# For each op, a strategy of its inputs (then its constant, if it takes one) inside its domain.
_OP_INPUTS: dict[str, st.SearchStrategy[tuple]] = {
    "add": st.tuples(_ANY, _ANY),
    "sub": st.tuples(_ANY, _ANY),
    "mul": st.tuples(_ANY, _ANY),
    "div": st.tuples(_ANY, _NONZERO),
    "pow": st.tuples(_magnitude(MARGIN, 2.5), _magnitude(-2.5, 2.5)),
    "neg": st.tuples(_ANY),
    "abs": st.tuples(_NONZERO),
    "exp": st.tuples(_ANY),
    "log": st.tuples(_POSITIVE),
    "sqrt": st.tuples(_POSITIVE),
    "tanh": st.tuples(_ANY),
    "sigmoid": st.tuples(_ANY),
    "relu": st.tuples(_NONZERO),
    "leaky_relu": st.tuples(_NONZERO, _magnitude(0.0, 0.5)),
    "softplus": st.tuples(_ANY),
    "sin": st.tuples(_ANY),
    "cos": st.tuples(_ANY),
    "pow_const": st.one_of(
        st.tuples(_magnitude(-3.0, 3.0), st.sampled_from([0.0, 1.0, 2.0, 3.0])),
        st.tuples(_NONZERO, st.sampled_from([-1.0, -2.0])),
        st.tuples(_POSITIVE, _magnitude(-2.5, 2.5)),
    ),
}


def op_inputs(name: str) -> st.SearchStrategy[tuple]:
    """Inputs for the op ``name`` (see ``UNARY`` and ``BINARY``) inside its domain.

    The tuple holds the Value inputs' data, then the op's constant for ops that
    take one (``pow_const``: the exponent; ``leaky_relu``: the slope).
    Kinks (0 for abs, relu, leaky_relu) and domain edges stay ``MARGIN`` away.
    """
    if name not in _OP_INPUTS:
        raise ValueError(f"unknown op {name!r}; choose from {sorted(_OP_INPUTS)}")
    return _OP_INPUTS[name]


def apply_op(name: str, args: Sequence) -> Value | float:
    """Apply the op ``name`` to ``args`` (Values or floats, then its constant if any)."""
    return _CALL[name](*args)


@dataclass(frozen=True)
class Step:
    """One op of an expression: its name, operand indices into the nodes so far, constant."""

    name: str
    operands: tuple[int, ...]
    constant: float | None = None


@dataclass(frozen=True)
class Expression:
    """A drawn expression: ``fn(list of Values) -> Value`` and a point ``inputs`` to test it at."""

    inputs: list[float]
    steps: tuple[Step, ...]

    def fn(self, xs: Sequence[Value]) -> Value:
        """Build the expression on ``xs`` (one Value per input)."""
        nodes = list(xs)
        for step in self.steps:
            args = [nodes[i] for i in step.operands]
            if step.constant is not None:
                args.append(step.constant)
            nodes.append(_CALL[step.name](*args))
        return nodes[-1]

    @property
    def source(self) -> str:
        """The expression written out, e.g. ``tanh((x0 * x1))``."""
        texts = [f"x{i}" for i in range(len(self.inputs))]
        infix = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
        for step in self.steps:
            a = [texts[i] for i in step.operands]
            if step.name in infix:
                texts.append(f"({a[0]} {infix[step.name]} {a[1]})")
            elif step.name == "neg":
                texts.append(f"(-{a[0]})")
            elif step.name == "pow_const":
                texts.append(f"({a[0]} ** {step.constant:g})")
            elif step.name == "leaky_relu":
                texts.append(f"leaky_relu({a[0]}, {step.constant:g})")
            else:
                texts.append(f"{step.name}({a[0]})")
        return texts[-1]

    def __repr__(self) -> str:
        return f"Expression({self.source}, inputs={self.inputs!r})"


def expressions(
    *,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_ops: int = 1,
    max_ops: int = 8,
    ops: Sequence[str] | None = None,
) -> st.SearchStrategy[Expression]:
    """Random differentiable expressions with a point inside every op's domain.

    Each op is chosen among those whose domain holds the operands' values at
    the drawn point with ``MARGIN`` to spare, and whose result stays within
    ``±BOUND``: points are drawn inside domains, never filtered afterwards.
    ``ops`` restricts the ops used (names from ``UNARY`` and ``BINARY``).
    """
    allowed = tuple(ops) if ops is not None else UNARY + BINARY
    unknown = set(allowed) - set(_CALL)
    if unknown or not allowed:
        raise ValueError(f"unknown ops {sorted(unknown)}; choose from {sorted(_CALL)}")
    if not 1 <= min_inputs <= max_inputs or not 0 <= min_ops <= max_ops:
        raise ValueError(
            "need 1 <= min_inputs <= max_inputs and 0 <= min_ops <= max_ops, got "
            f"min_inputs={min_inputs}, max_inputs={max_inputs}, min_ops={min_ops}, "
            f"max_ops={max_ops}"
        )
    return _expressions(min_inputs, max_inputs, min_ops, max_ops, allowed)


@st.composite
def _expressions(draw, min_inputs, max_inputs, min_ops, max_ops, allowed) -> Expression:
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    inputs = draw(st.lists(_magnitude(-3.0, 3.0), min_size=n_inputs, max_size=n_inputs))
    data = list(inputs)  # the value of every node so far, at the drawn point
    steps: list[Step] = []
    for _ in range(draw(st.integers(min_ops, max_ops))):
        a = draw(st.integers(0, len(data) - 1))
        b = draw(st.integers(0, len(data) - 1))
        choices = [
            Step(name, operands, constant)
            for name in allowed
            for operands in [(a, b) if name in BINARY else (a,)]
            for constant in _CONSTANTS.get(name, (None,))
            if _inside(name, [data[i] for i in operands], constant)
        ]
        if not choices:
            continue
        step = draw(st.sampled_from(choices))
        data.append(_evaluate(step, data))
        steps.append(step)
    if not steps:  # nothing fitted (or min_ops=0): the output is a product of the first input
        steps.append(Step("mul", (0, 0)))
    return Expression(list(inputs), tuple(steps))


_CONSTANTS = {"pow_const": POWERS, "leaky_relu": (0.01, 0.2)}


def _evaluate(step: Step, data: Sequence[float]) -> float:
    """The value a step gives at the drawn point."""
    args: list = [Value(data[i]) for i in step.operands]
    if step.constant is not None:
        args.append(step.constant)
    return _CALL[step.name](*args).data
