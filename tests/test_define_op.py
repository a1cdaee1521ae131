"""engine.define_op: a learner's own op, checked at definition, then used everywhere a
built-in is (DESIGN.md, "Your own ops")."""

import math
import re

import pytest
from hypothesis import given, settings

import engine
from engine import (
    DomainError,
    GradcheckError,
    Value,
    chain_rule,
    define_op,
    draw_graph,
    exp,
    grad,
    gradcheck,
    gradgradcheck,
    log,
    ops,
    sigmoid,
    where,
)
from engine import define as define_module
from engine.cli.expr import ExpressionError, parse
from engine.strategies import expressions, op_inputs


@pytest.fixture(autouse=True)
def _ops_defined_here_go_away():
    """Each test starts and ends with only the built-in ops in the table."""
    yield
    for name in list(define_module._DEFINED):
        engine.value.unregister(name)
        del define_module._DEFINED[name]


def swish_forward(x):
    return x * sigmoid(x)


def swish_derivative(out, x):
    return (sigmoid(x) * (1 + x * (1 - sigmoid(x))),)


def define_swish(**options):
    return define_op("swish", swish_forward, swish_derivative, **options)


def hand_swish(x):
    """swish and its derivative by hand: x·σ(x), σ(x) + x·σ(x)·(1 − σ(x))."""
    s = 1 / (1 + math.exp(-x))
    return x * s, s + x * s * (1 - s)


def math_swish_derivative(out, x):
    """swish' with math, one number at a time: it cannot run on Values or arrays."""
    s = 1 / (1 + math.exp(-x))
    return (s * (1 + x * (1 - s)),)


POINTS = [-6.0, -2.5, -0.7, 0.0, 0.3, 1.0, 4.2]


# -- eager ------------------------------------------------------------------------------


@pytest.mark.parametrize("x", POINTS)
def test_values_and_gradients_are_the_hand_derived_ones(x):
    swish = define_swish()
    v = Value(x, label="x")
    y = swish(v)
    y.backward()
    value, slope = hand_swish(x)
    assert y.op == "swish" and y.parents == (v,)
    assert y.data == pytest.approx(value, rel=1e-12, abs=1e-300)
    assert v.grad == pytest.approx(slope, rel=1e-12, abs=1e-300)
    assert y.local_grads == (v.grad,)


def test_on_plain_numbers_it_is_a_float_and_the_method_is_values():
    swish = define_swish()
    assert swish(1.0) == pytest.approx(hand_swish(1.0)[0], rel=1e-15) and type(swish(1)) is float
    x = Value(1.0)
    assert x.swish().data == swish(x).data == swish(1.0)


def test_a_two_input_op_and_numbers_among_its_inputs():
    # softmax's partner: log(e^a + e^b), whose slopes are the softmax weights.
    smoothmax = define_op(
        "smoothmax",
        lambda a, b: log(exp(a) + exp(b)),
        lambda out, a, b: (exp(a - out), exp(b - out)),
    )
    a, b = Value(0.5, label="a"), Value(-1.0, label="b")
    out = smoothmax(a, b)
    out.backward()
    total = math.exp(0.5) + math.exp(-1.0)
    assert out.data == pytest.approx(math.log(total), rel=1e-15)
    assert (a.grad, b.grad) == pytest.approx((math.exp(0.5) / total, math.exp(-1.0) / total))
    assert smoothmax(2.0, b).parents[0].data == 2.0 and a.smoothmax(3).parents[1].data == 3.0
    with pytest.raises(TypeError, match=r"smoothmax takes 2 inputs \(a, b\), got 1"):
        smoothmax(a)


def test_outside_its_domain_it_says_which_op_data_and_node():
    mylog = define_op("mylog", lambda x: log(x), lambda out, x: (1 / x,), domain=lambda x: x > 0)
    with pytest.raises(DomainError, match=r"mylog of -2.0 \(node 'w'\): outside the domain given"):
        mylog(Value(-2.0, label="w"))
    with pytest.raises(DomainError, match=r"mylog of -2.0: outside"):
        mylog(-2.0)
    assert math.isnan(mylog(Value(math.nan)).data)  # NaN passes, as through the table's ops


# -- the check at definition ------------------------------------------------------------

RIGHT_AT_ZERO_ONLY = (
    "Your derivative is right at x = 0 but wrong everywhere else it was checked: a term "
    "that is 0 there is missing or wrong. For a product such as x·g(x), the product rule "
    "gives g(x) + x·g'(x)."
)
TWICE = (
    "Your derivative is 2 times the finite differences at every point: a constant factor "
    "is off, such as the n of (x^n)' = n·x^(n-1) or the 2 of (e^(2x))' = 2·e^(2x)."
)
SIGN = (
    "Your derivative has the wrong sign: it is minus the finite differences at every point. "
    "A minus sign is missing or one too many, as in (cos x)' = -sin x or (e^(-x))' = -e^(-x)."
)


@pytest.mark.parametrize(
    "wrong, sentence",
    [
        (lambda out, x: (sigmoid(x),), RIGHT_AT_ZERO_ONLY),  # the product rule forgotten
        (lambda out, x: (2 * swish_derivative(out, x)[0],), TWICE),
        (lambda out, x: (-swish_derivative(out, x)[0],), SIGN),
    ],
    ids=["right-at-0-only", "factor-2", "sign"],
)
def test_a_wrong_derivative_is_caught_and_the_message_says_what_kind(wrong, sentence):
    with pytest.raises(GradcheckError) as caught:
        define_op("swish", swish_forward, wrong)
    message = str(caught.value)
    lines = message.splitlines()
    assert lines[0].startswith("swish's derivative is wrong at ") and lines[1] == sentence
    assert re.search(r"^ +x +yours +finite differences$", message, re.M)
    assert message.endswith(
        "Fix the derivative and define swish again (check=False skips this check)."
    )
    assert "swish" not in [op.name for op in ops.OPS]  # nothing was defined
    assert not hasattr(Value, "swish")


def test_the_table_marks_where_it_is_wrong():
    with pytest.raises(GradcheckError) as caught:
        define_op("swish", swish_forward, lambda out, x: (sigmoid(x),))
    rows = [line for line in str(caught.value).splitlines() if re.match(r"^ +-?\d", line)]
    assert len(rows) == 11  # the spread: -3 ... 3
    at_zero = next(row for row in rows if row.split()[0] == "0")
    assert at_zero.split()[1:] == ["0.5", "0.5"] and "wrong" not in at_zero
    assert all(row.endswith("<-- wrong") for row in rows if row is not at_zero)


def test_other_mistakes_read_clearly_too():
    offset = lambda out, x: (swish_derivative(out, x)[0] + 1,)  # noqa: E731
    with pytest.raises(GradcheckError, match=r"is the finite differences \+ 1 at every point"):
        define_op("swish", swish_forward, offset)
    branch = lambda out, x: (where(x < 0, swish_derivative(out, x)[0], 1.0),)  # noqa: E731
    with pytest.raises(GradcheckError, match=r"right for x < 0 but wrong for x >= 0"):
        define_op("swish", swish_forward, branch)
    with pytest.raises(GradcheckError, match=r"with respect to b has the wrong sign"):
        define_op("plus", lambda a, b: a + b, lambda out, a, b: (1.0, -1.0))
    with pytest.raises(GradcheckError, match=r"wrong at 4 of the 11 points checked"):
        define_op("bumpy", lambda x: x * x, lambda out, x: (where(abs(x) > 1.5, 0.0, 2 * x),))


def test_a_kink_passes_with_any_slope_between_its_sides_and_check_false_skips_the_check():
    define_op("ramp", lambda x: where(x > 0, x, 0.0), lambda out, x: (where(x > 0, 1.0, 0.0),))
    lying = define_op("lying", swish_forward, lambda out, x: (0.0,), check=False)
    assert lying(Value(1.0)).local_grads == (0.0,)


def test_derivative_errors_name_the_point():
    with pytest.raises(GradcheckError, match=r"derivative raised ZeroDivisionError at x = 0"):
        define_op("toycube", lambda x: x**3, lambda out, x: (3 * out / x,))


def test_a_domain_the_spread_hardly_meets_is_checked_farther_out_or_refused():
    define_op("far", lambda x: log(x), lambda out, x: (1 / x,), domain=lambda x: x > 10)
    with pytest.raises(ValueError, match="only 0 of the points it tries lie inside its domain"):
        define_op("nowhere", lambda x: log(x), lambda out, x: (1 / x,), domain=lambda x: x > 1e6)


# -- everywhere a built-in op works -------------------------------------------------------


def test_steps_chain_rules_and_graphs_show_it():
    define_swish(formulas=("σ(x)·(1 + x·(1 − σ(x)))",))
    x = Value(0.7, label="x")
    y = x.swish()
    y.label = "y"
    slope = hand_swish(0.7)[1]
    (step,) = list(y.backward_steps())
    assert str(step) == f"dy/dx += ∂y/∂x · dy/dy = {slope:.4f} · 1.0000 = {slope:.4f}"
    assert str(chain_rule(y, x)) == f"dy/dx = ∂y/∂x = {slope:.4f}"
    assert re.search(r'op\d+ \[label="?swish"?', draw_graph(y).source)
    assert [op.formulas for op in ops.OPS if op.name == "swish"] == [("σ(x)·(1 + x·(1 − σ(x)))",)]


def test_second_derivatives_when_written_with_the_helpers():
    define_swish()
    x = Value(0.4, label="x")
    (first,) = grad(x.swish(), [x], create_graph=True)
    (second,) = grad(first, [x])
    s = 1 / (1 + math.exp(-0.4))
    # d²/dx² x·σ(x) = 2σ' + x·σ'', with σ' = σ(1 - σ), σ'' = σ'(1 - 2σ)
    expected = 2 * s * (1 - s) + 0.4 * s * (1 - s) * (1 - 2 * s)
    assert first.data == pytest.approx(hand_swish(0.4)[1], rel=1e-12)
    assert second == pytest.approx(expected, rel=1e-12)
    gradgradcheck(lambda v: v[0].swish() * v[1], [0.4, -1.3])


def test_math_written_ops_work_eagerly_and_say_why_not_twice():
    mswish = define_op(
        "mswish",
        lambda x: x / (1 + math.exp(-x)),
        math_swish_derivative,
    )
    x = Value(1.5, label="x")
    y = mswish(x)
    y.backward()
    assert (y.data, x.grad) == pytest.approx(hand_swish(1.5), rel=1e-12)
    with pytest.raises(TypeError, match=r"mswish's derivative cannot run on Values .*helpers"):
        grad(mswish(x), [x], create_graph=True)


def test_gradcheck_and_the_strategies_take_it():
    mylog = define_op("mylog", lambda x: log(x), lambda out, x: (1 / x,), domain=lambda x: x > 0)
    define_swish()
    gradcheck(lambda v: mylog(v[0] * v[0] + 1).swish(), [0.3])

    @settings(max_examples=40)
    @given(expressions(ops=["swish", "mylog", "mul", "add"], min_ops=2))
    def gradients_agree(e):
        gradcheck(e.fn, e.inputs)

    gradients_agree()

    @settings(max_examples=100)
    @given(op_inputs("mylog"))
    def inside_with_room(xs):
        assert xs[0] >= 0.1  # the strategies keep MARGIN from the domain's edge

    inside_with_room()


def test_the_parser_calls_it_by_name():
    define_swish()
    out = parse("swish(x) * 2")({"x": Value(1.0, label="x")})
    assert out.data == pytest.approx(2 * hand_swish(1.0)[0], rel=1e-15)


def test_compile_on_floats_and_numpy_when_written_with_the_helpers():
    np = pytest.importorskip("numpy")
    swish = define_swish()
    w = Value(0.8, label="w")
    step = engine.compile(lambda a: swish(a * w), (1.0,), params=[w])
    xs = [0.5, -1.2, 2.0]
    loss = step(xs)
    eager = [hand_swish(a * 0.8) for a in xs]
    assert loss == pytest.approx(sum(v for v, _ in eager) / 3, rel=1e-12)
    assert w.grad == pytest.approx(sum(d * a for (_, d), a in zip(eager, xs)) / 3, rel=1e-12)
    w.grad = 0.0
    assert step(np.array(xs)) == pytest.approx(loss, rel=1e-12)
    assert w.grad == pytest.approx(sum(d * a for (_, d), a in zip(eager, xs)) / 3, rel=1e-12)
    assert "# swish" in step.source


def test_compile_runs_a_math_written_op_on_floats_and_says_why_not_on_arrays():
    np = pytest.importorskip("numpy")
    mswish = define_op(
        "mswish",
        lambda x: x / (1 + math.exp(-x)),
        math_swish_derivative,
    )
    w = Value(0.8, label="w")
    step = engine.compile(lambda a: mswish(a * w), (1.0,), params=[w])
    xs = [0.5, -1.2, 2.0]
    eager = [hand_swish(a * 0.8) for a in xs]
    assert step(xs) == pytest.approx(sum(v for v, _ in eager) / 3, rel=1e-12)
    assert w.grad == pytest.approx(sum(d * a for (_, d), a in zip(eager, xs)) / 3, rel=1e-12)
    with pytest.raises(TypeError, match=r"mswish's forward cannot run on arrays.*engine's helpers"):
        step(np.array(xs))


@pytest.mark.parametrize("name", ["total", "scale", "theta", "e0", "v1", "math"])
def test_a_math_written_op_named_as_the_float_code_names_something_compiles(name):
    # The float code calls such an op's forward by its name: that name must not be one the
    # code gives its own variables (total, e0, ...), or the call finds a float.
    op = define_op(name, lambda x: x / (1 + math.exp(-x)), math_swish_derivative)
    w = Value(0.8, label="w")
    step = engine.compile(lambda a: op(a * w), (1.0,), params=[w])
    xs = [0.5, -1.2, 2.0]
    eager = [hand_swish(a * 0.8) for a in xs]
    assert step(xs) == pytest.approx(sum(v for v, _ in eager) / 3, rel=1e-12)
    assert w.grad == pytest.approx(sum(d * a for (_, d), a in zip(eager, xs)) / 3, rel=1e-12)


# -- names, and defining again -------------------------------------------------------------


@pytest.mark.parametrize("name", ["tanh", "add", "pow_const", "maximum"])
def test_a_built_in_name_is_refused(name):
    with pytest.raises(ValueError, match=f"'{name}' is the name of one of engine's own ops"):
        define_op(name, lambda x: x, lambda out, x: (1.0,))
    assert [op for op in ops.OPS if op.name == name] == [getattr(ops, name.upper())]


@pytest.mark.parametrize(
    "name, error, pattern",
    [
        ("backward", ValueError, "Value has an attribute of that name"),
        ("data", ValueError, "Value has an attribute of that name"),
        ("_secret", ValueError, "must be a word"),
        ("my op", ValueError, "must be a word"),
        ("lambda", ValueError, "must be a word"),
        (3, TypeError, "must be a str"),
    ],
)
def test_names_that_cannot_be_an_op(name, error, pattern):
    with pytest.raises(error, match=pattern):
        define_op(name, lambda x: x, lambda out, x: (1.0,))


def test_running_the_cell_again_replaces_the_op_and_remove_takes_it_away():
    first = define_op("twice", lambda x: 2 * x, lambda out, x: (2.0,))
    old = Value(1.0).twice()
    second = define_op("twice", lambda x: 2 * x + 0.0, lambda out, x: (2.0,), formulas="2")
    assert [op for op in ops.OPS if op.name == "twice"] == [second.op]
    assert Value(1.0).twice().op == "twice" and old._primitive is first.op  # old nodes keep theirs
    with pytest.raises(ValueError, match="not defined any more"):
        first.remove()
    second.remove()
    assert not hasattr(Value, "twice") and "twice" not in [op.name for op in ops.OPS]
    with pytest.raises(ExpressionError, match="unknown function 'twice'"):
        parse("twice(x)")
    define_op("twice", lambda x: 2 * x, lambda out, x: (2.0,))  # and it can come back


@pytest.mark.parametrize(
    "forward, derivative, error, pattern",
    [
        (lambda x, y, z: x, lambda out, x, y, z: (1.0,) * 3, ValueError, "one or two inputs"),
        (lambda *xs: xs[0], lambda out, x: (1.0,), TypeError, "plain parameter"),
        (lambda x, k=2: x, lambda out, x: (1.0,), TypeError, "plain parameter"),
        (lambda x: x, lambda x: (1.0,), TypeError, r"derivative\(out, x\)"),
        (lambda x: x, lambda out, x: (1.0, 1.0), TypeError, "one local derivative per input"),
        (lambda x: None, lambda out, x: (1.0,), TypeError, "must return a number"),
        ("x", lambda out, x: (1.0,), TypeError, "forward must be a function"),
    ],
)
def test_bad_definitions_say_what_to_write(forward, derivative, error, pattern):
    with pytest.raises(error, match=pattern):
        define_op("odd", forward, derivative)
    assert "odd" not in [op.name for op in ops.OPS]


def test_a_single_derivative_may_be_returned_bare_and_formulas_default_to_the_names():
    square = define_op("square", lambda t: t * t, lambda out, t: 2 * t)
    assert square.op.formulas == ("∂square/∂t",) and Value(3.0).square().local_grads == (6.0,)
    with pytest.raises(ValueError, match=r"formulas: one string per input of square \(t\)"):
        define_op("square", lambda t: t * t, lambda out, t: 2 * t, formulas=("a", "b"))


@pytest.mark.parametrize("domain", [0.0, lambda: True, lambda x, y: True])
def test_a_domain_must_be_a_test_of_the_inputs(domain):
    with pytest.raises(TypeError, match=r"domain must be a function of its inputs \(x\)"):
        define_op("odd", lambda x: x, lambda out, x: (1.0,), domain=domain)
