"""engine/ops.py is the only list of ops: registering a new entry gives Value its method,
and is all the parser, the strategies and the drawing need to know it."""

import math
import re

import pytest
from hypothesis import find, given, settings
from hypothesis.errors import NoSuchExample

from engine import DomainError, Value, draw_graph, gradcheck, ops
from engine.cli.expr import ExpressionError, parse
from engine.testing.strategies import apply_op, expressions, op_inputs

# Two made-up ops, named so that no real op takes their names: toycube(x) = x³, and
# toyroot(x, n) = x^(1/n) with a domain and a constant,
# each drawn by a glyph of its own.
CUBE = ops.Op(
    "toycube", "toycube", 1, lambda x: x**3, lambda out, x: (3 * x * x,), ("3x²",),
    syntax="toycube({0})", method="toycube", glyph="(·)³",
)  # fmt: skip
ROOT = ops.Op(
    "toyroot", "toyroot", 1, lambda x, n: x ** (1 / n),
    lambda out, x, n: (out / (n * x),), ("x^(1/n) / (n·x)",),
    syntax="toyroot({0}, {1})", method="toyroot", constant="degree", default=2.0, glyph="{0}√",
    domain=(ops.Excluded(0, "<= 0", DomainError, "toyroot of {0}: defined for positive x only"),),
)  # fmt: skip


@pytest.fixture
def table_with_new_ops(register_op):
    """The table with CUBE and ROOT registered: each an entry, and a Value method."""
    register_op(CUBE)
    register_op(ROOT)


def test_the_parser_calls_a_new_op_by_name(table_with_new_ops):
    x = Value(2.0, label="x")
    assert parse("toycube(x) + 1")({"x": x}).data == 9.0
    assert parse("toyroot(x, 2)")({"x": x}).data == math.sqrt(2.0)
    with pytest.raises(ExpressionError, match="toycube takes one argument, got 2"):
        parse("toycube(x, 2)")
    with pytest.raises(ExpressionError, match="the degree of toyroot must be a plain number"):
        parse("toyroot(x, x)")
    with pytest.raises(ExpressionError, match=r"unknown function 'cubed': the functions .*toycube"):
        parse("cubed(x)")


def test_a_new_ops_domain_is_checked_from_its_data(table_with_new_ops):
    problem = (DomainError, "toyroot of {0}: defined for positive x only")
    assert ROOT.outside_domain(-1.0, 2.0) == problem
    with pytest.raises(DomainError, match=r"toyroot of -1\.0 \(node 'x'\): defined for positive"):
        parse("toyroot(x, 3)")({"x": Value(-1.0, label="x")})


def test_the_strategies_draw_a_new_op_inside_its_domain(table_with_new_ops):
    xs = find(op_inputs("toyroot"), lambda xs: True)
    assert len(xs) == 2  # the input, then the constant
    with pytest.raises(NoSuchExample):
        # MARGIN inside "<= 0" is excluded, whatever the degree drawn.
        find(op_inputs("toyroot"), lambda xs: xs[0] < 0.1, settings=settings(max_examples=200))
    assert apply_op("toycube", [Value(2.0)]).data == 8.0


def test_expressions_use_a_new_op_and_pass_gradcheck(table_with_new_ops):
    # The source is written from each op's syntax; the degree is one the strategies chose.
    drawn = expressions(ops=["toycube", "toyroot"], min_ops=2)
    e = find(drawn, lambda e: "toyroot(toycube(" in e.source)
    gradcheck(e.fn, e.inputs)

    @given(expressions(ops=["toycube", "toyroot", "add", "mul"], max_ops=5))
    def gradients_agree(e):
        gradcheck(e.fn, e.inputs)

    gradients_agree()


def ovals(toyroot):
    """The text of each op's oval in ``draw_graph(toyroot)``, in drawing order."""
    source = draw_graph(toyroot).source
    return [label.strip('"') for label in re.findall(r"^\top\d+ \[label=(\S+)", source, re.M)]


def test_the_graph_draws_a_new_op_by_its_glyph(table_with_new_ops):
    x = Value(2.0, label="x")
    assert ovals(x.toycube().toyroot(3) * x) == ["(·)³", "3√", "×"]


def test_a_glyph_defaults_to_the_symbol_and_its_constant():
    plain = ops.Op(
        "twice", "twice", 1, lambda x: 2 * x, lambda out, x: (2.0,), ("2",),
        syntax="twice({0})", method="twice",
    )  # fmt: skip
    assert plain.glyph == "twice"
    assert ROOT.glyph == "{0}√" and ops.LEAKY_RELU.glyph == "leaky_relu({0})"


def test_without_the_entry_neither_knows_it():
    with pytest.raises(ExpressionError, match="unknown function 'toycube'"):
        parse("toycube(x)")
    with pytest.raises(ValueError, match="unknown op 'toycube'"):
        op_inputs("toycube")
    hand_built = Value(8.0, (Value(2.0),), "toycube")  # the symbol, but no entry: drawn as is
    assert ovals(hand_built) == ["toycube"]


def test_the_strategies_keep_away_from_a_new_ops_kink(monkeypatch):
    # |x - 1|: a kink at 1, not at 0.
    kinked = ops.Op(
        "dist1", "dist1", 1, lambda x: abs(x - 1), lambda out, x: (ops.where(x > 1, 1.0, -1.0),),
        ("sign(x - 1)",), syntax="dist1({0})", method="dist1", kinks=(1.0,),
    )  # fmt: skip
    monkeypatch.setattr(ops, "OPS", (*ops.OPS, kinked))
    near_the_kink = lambda xs: abs(xs[0] - 1) < 0.1 - 1e-12  # (1 - 0.1 rounds)  # noqa: E731
    with pytest.raises(NoSuchExample):
        find(op_inputs("dist1"), near_the_kink, settings=settings(max_examples=200))


def test_the_parser_calls_a_binary_op_by_name():
    # maximum is the table's first binary op written as a call: maximum(x, y).
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    out = parse("maximum(x, y) * 2")({"x": x, "y": y})
    assert out.data == 6.0 and out.parents[0].parents == (x, y)
    with pytest.raises(ExpressionError, match="maximum takes two arguments, got 1"):
        parse("maximum(x)")


# -- registering: an op of the table gives Value its method ------------------------------

DOT = ops.Op(
    "dot", "@", 2, lambda a, b: a * b, lambda out, a, b: (b, a), ("b", "a"),
    syntax="{0} @ {1}", method="__matmul__",
)  # fmt: skip


def test_registering_a_binary_operator_gives_value_it_and_its_reflection(register_op):
    register_op(DOT)
    x = Value(3.0, label="x")
    assert (x @ Value(2.0)).data == 6.0 and (x @ 2).local_grads == (2.0, 3.0)
    reflected = 2 @ x  # Python asks x.__rmatmul__(2): the number is the first input
    assert reflected.op == "@" and reflected.parents[1] is x and reflected.parents[0].data == 2.0


def test_registering_a_changed_rule_reaches_the_method_and_putting_it_back_restores_it():
    # The method holds its op (that is what makes it fast), so a rule changed in a copy of
    # the entry reaches x.tanh() when that copy is registered, and not before.
    import dataclasses

    from engine.value import register

    x = Value(0.5)
    right = x.tanh().local_grads
    wrong = dataclasses.replace(ops.TANH, derivative=lambda out, x: (1 - out,))
    assert x.tanh().local_grads == right
    assert register(wrong) is ops.TANH  # it replaced the table's entry, and says which
    try:
        assert x.tanh().local_grads == (1 - math.tanh(0.5),)
        assert [op for op in ops.OPS if op.name == "tanh"] == [wrong]
    finally:
        register(ops.TANH)
    assert x.tanh().local_grads == right
    assert [op for op in ops.OPS if op.name == "tanh"] == [ops.TANH]


def test_unregistering_takes_the_entry_and_the_method_away():
    from engine.value import register, unregister

    register(CUBE)
    assert Value(2.0).toycube().data == 8.0
    assert unregister("toycube") is CUBE
    assert not hasattr(Value, "toycube") and "toycube" not in [op.name for op in ops.OPS]
    with pytest.raises(KeyError, match="no op is called 'toycube'"):
        unregister("toycube")


@pytest.mark.parametrize("method", ["backward", "data", "__lt__", "__pos__", "parents"])
def test_an_op_cannot_take_a_name_value_has_for_something_else(method):
    from engine.value import register

    clash = ops.Op(
        "clash", "clash", 1, lambda x: x, lambda out, x: (1.0,), ("1",),
        syntax="clash({0})", method=method,
    )  # fmt: skip
    with pytest.raises(ValueError, match=f"Value has its own '{method}'"):
        register(clash)
    assert "clash" not in [op.name for op in ops.OPS]


def test_two_ops_cannot_share_a_method_unless_one_takes_a_number_and_one_a_value():
    from engine.value import register

    twin = ops.Op(
        "plus", "+", 2, lambda a, b: a + b, lambda out, a, b: (1.0, 1.0), ("1", "1"),
        syntax="{0} + {1}", method="__add__",
    )  # fmt: skip
    with pytest.raises(ValueError, match="op 'plus' cannot have the method '__add__': op 'add'"):
        register(twin)
    assert (Value(1.0) + 2).op == "+" and ops.ADD in ops.OPS and twin not in ops.OPS


def test_every_op_method_of_value_comes_from_its_entry():
    # No hand-written one-liners: each op's method (and an operator's reflection) is the
    # one registering its entry made, and value.py defines none of them itself.
    import inspect

    from engine import value

    source = inspect.getsource(value)
    for op in ops.OPS:
        assert op.method in value._GIVEN and f"def {op.method}(" not in source
    assert {"__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__"} <= value._GIVEN


# A domain given as a test of the inputs (what define_op makes of its domain=).
HALF_LOG = ops.Op(
    "half_log", "half_log", 1, lambda x: math.log(x) / 2, lambda out, x: (0.5 / x,), ("1/(2x)",),
    syntax="half_log({0})", method="half_log", defined=lambda x: x > 1,
)  # fmt: skip


def test_a_domain_given_as_a_test_is_checked_and_drawn_inside(register_op):
    register_op(HALF_LOG)
    with pytest.raises(DomainError, match=r"half_log of 0.5 \(node 'x'\): outside the domain"):
        Value(0.5, label="x").half_log()
    assert math.isnan(Value(math.nan).half_log().data)  # NaN passes, as through every op
    with pytest.raises(NoSuchExample):  # at least MARGIN inside: never below 1.1
        find(op_inputs("half_log"), lambda xs: xs[0] < 1.1, settings=settings(max_examples=200))
    e = find(expressions(ops=["half_log", "mul"], min_ops=2), lambda e: "half_log" in e.source)
    gradcheck(e.fn, e.inputs)


# An op whose rules are written with math, one number at a time: they cannot run on symbols.
MATH_SWISH = ops.Op(
    "math_swish", "math_swish", 1, lambda x: x / (1 + math.exp(-x)),
    lambda out, x: ((1 + math.exp(-x) + x * math.exp(-x)) / (1 + math.exp(-x)) ** 2,),
    ("σ(x)·(1 + x·(1 − σ(x)))",), syntax="math_swish({0})", method="math_swish",
)  # fmt: skip


def test_compiled_float_code_calls_a_rule_written_with_math_by_name(register_op):
    import engine

    register_op(MATH_SWISH)
    w = Value(0.8, label="w")
    step = engine.compile(lambda a: (a * w).math_swish(), (1.0,), params=[w])
    xs = [0.5, -1.2, 2.0]
    loss = step(xs)
    w_grad, w.grad = w.grad, 0.0
    for a in xs:
        ((a * w).math_swish() * (1 / 3)).backward()
    eager = sum((a * 0.8) / (1 + math.exp(-a * 0.8)) for a in xs) / 3
    assert loss == pytest.approx(eager, rel=1e-12) and w_grad == pytest.approx(w.grad, rel=1e-12)
