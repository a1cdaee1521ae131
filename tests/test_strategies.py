"""The strategies must only produce points inside their domains, away from kinks."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, gradcheck, gradgradcheck
from engine.testing.strategies import (
    BINARY,
    BOUND,
    MARGIN,
    UNARY,
    DrawnExpression,
    apply_op,
    expressions,
    op_inputs,
    values,
)


def safely_inside(name, args):
    """An independent statement of each op's domain, with the margin the strategies promise."""
    x = args[0]
    if name in ("log", "sqrt"):
        return x >= MARGIN
    if name in ("abs", "relu", "leaky_relu"):
        return abs(x) >= MARGIN
    if name == "div":
        return abs(args[1]) >= MARGIN
    if name == "maximum":  # its kink is the tie x = y
        return abs(args[0] - args[1]) >= MARGIN
    if name == "pow":
        return x >= MARGIN
    if name == "pow_const":
        c = args[1]
        whole = c == math.floor(c)
        return (whole or x >= MARGIN) and (c >= 0 or abs(x) >= MARGIN)
    return True


@pytest.mark.parametrize("name", UNARY + BINARY)
@given(data=st.data())
def test_op_inputs_stay_inside_the_domain(name, data):
    args = data.draw(op_inputs(name))
    assert all(math.isfinite(a) for a in args)
    assert safely_inside(name, args)
    n_values = 1 if name in UNARY else 2
    out = apply_op(name, [Value(a) for a in args[:n_values]] + list(args[n_values:]))
    assert math.isfinite(out.data)


def test_op_inputs_rejects_an_unknown_op():
    with pytest.raises(ValueError, match="unknown op 'tan'"):
        op_inputs("tan")


def replay(e: DrawnExpression):
    """The data of every node, checking each step's operands as it goes."""
    data = list(e.inputs)
    for step in e.steps:
        args = [data[i] for i in step.operands]
        if step.constant is not None:
            args.append(step.constant)
        assert safely_inside(step.name, args), (step, args)
        n = len(step.operands)
        data.append(apply_op(step.name, [Value(a) for a in args[:n]] + args[n:]).data)
    return data


@given(expressions())
def test_expressions_stay_inside_every_domain_and_bound(e):
    data = replay(e)
    assert all(abs(d) <= BOUND for d in data)
    assert e.fn([Value(x) for x in e.inputs]).data == data[-1]


@given(expressions())
def test_expressions_pass_gradcheck(e):
    gradcheck(e.fn, e.inputs)


@settings(max_examples=15)
@given(expressions(max_ops=5))
def test_expressions_pass_second_order_gradcheck(e):
    gradgradcheck(e.fn, e.inputs)


@given(expressions(min_inputs=2, max_inputs=2, ops=["mul", "add", "tanh"]))
def test_expressions_can_be_restricted(e):
    assert len(e.inputs) == 2
    assert {step.name for step in e.steps} <= {"mul", "add", "tanh"}


def test_expressions_reject_unknown_ops():
    with pytest.raises(ValueError, match="unknown ops"):
        expressions(ops=["tan"])
    with pytest.raises(ValueError, match="min_inputs"):
        expressions(min_inputs=0)


def test_expression_source_reads_like_code():
    from engine.testing.strategies import Step

    e = DrawnExpression(
        [1.0, 2.0], (Step("mul", (0, 1)), Step("tanh", (2,)), Step("pow_const", (3,), 2.0))
    )
    assert e.source == "(tanh((x0 * x1)) ** 2)"
    assert repr(e) == "DrawnExpression((tanh((x0 * x1)) ** 2), inputs=[1.0, 2.0])"


@given(values(-2.0, 3.0, label="w"))
def test_values(v):
    assert isinstance(v, Value) and -2.0 <= v.data <= 3.0 and v.label == "w" and v.is_leaf
