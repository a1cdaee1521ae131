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

Both read the op table (``engine/ops.py``): each op's domain, kinks and syntax.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "engine.strategies needs Hypothesis: pip install hypothesis "
        "(or pip install 'scalarflow[dev]')"
    ) from error

from .. import ops
from ..value import Value

__all__ = ["values", "op_inputs", "expressions", "DrawnExpression", "UNARY", "BINARY", "MARGIN"]

MARGIN = 0.1  # how far every drawn point stays from a domain edge or a kink
BOUND = 100.0  # intermediate results stay within ±BOUND, so finite differences stay accurate
RANGE = 5.0  # inputs are drawn from [-RANGE, RANGE], less what the domain excludes
CONSTANTS = (2.0, 3.0, -1.0, 0.5, 1.5, 0.01, 0.2)  # the plain numbers expressions may use

# The table's ops by how they are called: on one Value (with the op's constant, if it takes
# one), or on two. Everything else here reads the table (engine/ops.py) when it runs, so a
# new entry there is all the strategies need.
UNARY = tuple(op.name for op in ops.OPS if op.arity == 1)
BINARY = tuple(op.name for op in ops.OPS if op.arity == 2)


def _table() -> dict[str, ops.Op]:
    return {op.name: op for op in ops.OPS}


def _apply(op: ops.Op, args: Sequence) -> Value:
    """``op`` applied to ``args`` (Values, then its constant) through its Value method."""
    return getattr(args[0], op.method)(*args[1:])


def _too_close(where: str, v: float) -> bool:
    """True if ``v`` is excluded by ``where``, or within MARGIN of the excluded region."""
    if where in ("< 0", "<= 0"):
        return v < MARGIN
    if where == "== 0":
        return abs(v) < MARGIN
    return not math.isfinite(v)  # "±inf"


def _inside(op: ops.Op, xs: Sequence[float], constant: float | None = None) -> bool:
    """True when ``xs`` is well inside ``op``'s domain, away from kinks, and within ±BOUND."""
    args = (*xs, constant) if op.has_constant else tuple(xs)
    for excluded in op.domain:
        if excluded.applies(args) and _too_close(excluded.where, args[excluded.at]):
            return False
    gap = xs[0] - xs[1] if op.arity == 2 else xs[0]  # what a binary op's kinks are values of
    if any(abs(gap - kink) < MARGIN for kink in op.kinks):
        return False
    if op.defined is not None and not _well_inside(op, xs):
        return False
    return abs(op.forward(*args)) <= BOUND


def _well_inside(op: ops.Op, xs: Sequence[float]) -> bool:
    """For an op whose domain is a test (``define_op``'s): it holds at ``xs`` and MARGIN
    either way of each input, the nearest a domain's edge may come."""
    nearby = [xs] + [
        [*xs[:i], xs[i] + d, *xs[i + 1 :]] for i in range(len(xs)) for d in (-MARGIN, MARGIN)
    ]
    return all(op.defined(*point) for point in nearby)


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


def _input(op: ops.Op, i: int, args: Sequence) -> st.SearchStrategy[float]:
    """Input ``i`` of ``op`` inside its domain; ``args`` holds the constant, if any (else None)."""
    positive, avoid = False, set(op.kinks) if i == 0 and op.arity == 1 else set()
    for excluded in op.domain:
        # A condition on another Value input (not drawn yet, None) is taken to hold.
        if excluded.at != i or not excluded.applies(args):
            continue
        if excluded.where in ("< 0", "<= 0"):
            positive = True
        elif excluded.where == "== 0":
            avoid.add(0.0)
    if positive:
        avoid.discard(0.0)  # [MARGIN, RANGE] keeps away from 0 already
    if len(avoid) > 1 or (positive and avoid):
        raise ValueError(f"{op.name}: the strategies keep inputs away from 0 or one point only")
    if positive:
        return _magnitude(MARGIN, RANGE)
    if not avoid:
        return _magnitude(-RANGE, RANGE)
    (point,) = avoid
    return _signed(MARGIN, RANGE).map(lambda d: point + d)


def _op_inputs(op: ops.Op) -> st.SearchStrategy[tuple]:
    if not op.has_constant and op.arity == 2 and op.kinks:
        # The kinks are values of x - y (maximum's is x = y): y is drawn MARGIN or more away.
        if len(op.kinks) > 1 or op.domain:
            raise ValueError(f"{op.name}: a binary op may have one kink and no domain only")
        (kink,) = op.kinks
        # A hair more than MARGIN: rounding x - d may shrink the gap by an ulp of x.
        gaps = _signed(MARGIN + 1e-12, RANGE)
        return _input(op, 0, (None, None)).flatmap(lambda x: gaps.map(lambda d: (x, x - kink - d)))
    if op.defined is not None:  # a domain given as a test: draw, then keep what passes it
        inputs = st.tuples(*(_magnitude(-RANGE, RANGE) for _ in range(op.arity)))
        return inputs.filter(lambda xs: _well_inside(op, xs))
    if not op.has_constant:
        return st.tuples(*(_input(op, i, (None,) * op.arity) for i in range(op.arity)))
    constants = st.one_of(st.sampled_from((*CONSTANTS, 0.0, 1.0, -2.0)), _magnitude(-2.5, 3.0))
    # The inputs' domain may depend on the constant (a negative base needs a whole exponent).
    return constants.flatmap(
        lambda c: st.tuples(
            *(_input(op, i, (None,) * op.arity + (c,)) for i in range(op.arity))
        ).map(lambda xs: (*xs, c))
    )


def op_inputs(name: str) -> st.SearchStrategy[tuple]:
    """Inputs for the op ``name`` (see ``UNARY`` and ``BINARY``) inside its domain.

    The tuple holds the Value inputs' data, then the op's constant for ops that
    take one (``pow_const``: the exponent; ``leaky_relu``: the slope).
    Kinks (0 for abs, relu, leaky_relu) and domain edges stay ``MARGIN`` away.
    """
    table = _table()
    if name not in table:
        raise ValueError(f"unknown op {name!r}; choose from {sorted(table)}")
    return _op_inputs(table[name])


def apply_op(name: str, args: Sequence) -> Value:
    """Apply the op ``name`` to ``args`` (Values, then its constant if any)."""
    return _apply(_table()[name], args)


@dataclass(frozen=True)
class Step:
    """One op of an expression: its name, operand indices into the nodes so far, constant."""

    name: str
    operands: tuple[int, ...]
    constant: float | None = None


@dataclass(frozen=True)
class DrawnExpression:
    """A drawn expression: ``fn(list of Values) -> Value`` and a point ``inputs`` to test it at."""

    inputs: list[float]
    steps: tuple[Step, ...]

    def fn(self, xs: Sequence[Value]) -> Value:
        """Build the expression on ``xs`` (one Value per input)."""
        table = _table()
        nodes = list(xs)
        for step in self.steps:
            args = [nodes[i] for i in step.operands]
            if step.constant is not None:
                args.append(step.constant)
            nodes.append(_apply(table[step.name], args))
        return nodes[-1]

    @property
    def source(self) -> str:
        """The expression written out, e.g. ``tanh((x0 * x1))``."""
        table = _table()
        texts = [f"x{i}" for i in range(len(self.inputs))]
        for step in self.steps:
            op = table[step.name]
            args = [texts[i] for i in step.operands]
            if step.constant is not None:
                args.append(f"{step.constant:g}")
            text = op.syntax.format(*args)
            texts.append(text if op.by_name else f"({text})")
        return texts[-1]

    def __repr__(self) -> str:
        return f"DrawnExpression({self.source}, inputs={self.inputs!r})"


def expressions(
    *,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_ops: int = 1,
    max_ops: int = 8,
    ops: Sequence[str] | None = None,
) -> st.SearchStrategy[DrawnExpression]:
    """Random differentiable expressions with a point inside every op's domain.

    Each op is chosen among those whose domain holds the operands' values at
    the drawn point with ``MARGIN`` to spare, and whose result stays within
    ``±BOUND``: points are drawn inside domains, never filtered afterwards.
    ``ops`` restricts the ops used (names from ``UNARY`` and ``BINARY``).
    """
    table = _table()
    allowed = tuple(ops) if ops is not None else tuple(table)
    unknown = set(allowed) - set(table)
    if unknown or not allowed:
        raise ValueError(f"unknown ops {sorted(unknown)}; choose from {sorted(table)}")
    if not 1 <= min_inputs <= max_inputs or not 0 <= min_ops <= max_ops:
        raise ValueError(
            "need 1 <= min_inputs <= max_inputs and 0 <= min_ops <= max_ops, got "
            f"min_inputs={min_inputs}, max_inputs={max_inputs}, min_ops={min_ops}, "
            f"max_ops={max_ops}"
        )
    return _expressions(min_inputs, max_inputs, min_ops, max_ops, [table[n] for n in allowed])


@st.composite
def _expressions(draw, min_inputs, max_inputs, min_ops, max_ops, allowed) -> DrawnExpression:
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    inputs = draw(st.lists(_magnitude(-3.0, 3.0), min_size=n_inputs, max_size=n_inputs))
    data = list(inputs)  # the value of every node so far, at the drawn point
    steps: list[Step] = []
    for _ in range(draw(st.integers(min_ops, max_ops))):
        a = draw(st.integers(0, len(data) - 1))
        b = draw(st.integers(0, len(data) - 1))
        choices = [
            Step(op.name, operands, constant)
            for op in allowed
            for operands in [(a, b)[: op.arity]]
            for constant in (CONSTANTS if op.has_constant else (None,))
            if _inside(op, [data[i] for i in operands], constant)
        ]
        if not choices:
            continue
        step = draw(st.sampled_from(choices))
        data.append(_evaluate(step, data))
        steps.append(step)
    if not steps:  # nothing fitted (or min_ops=0): the output is a product of the first input
        steps.append(Step("mul", (0, 0)))
    return DrawnExpression(list(inputs), tuple(steps))


def _evaluate(step: Step, data: Sequence[float]) -> float:
    """The value a step gives at the drawn point."""
    args: list = [Value(data[i]) for i in step.operands]
    if step.constant is not None:
        args.append(step.constant)
    return apply_op(step.name, args).data
