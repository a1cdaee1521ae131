"""The expression parser: a whitelist over ``ast``, numbers as Values, never ``eval``."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine import DomainError, Value, topological_order
from engine.cli.expr import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse
from engine.strategies import expressions


def evaluate(text, **values):
    expression = parse(text)
    return expression({name: Value(v, label=name) for name, v in values.items()})


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("tanh(w*x + b)", {"w": -1, "x": 0.5, "b": 2}, math.tanh(1.5)),
        ("x - y / 4", {"x": 1, "y": 2}, 0.5),
        ("-x + +y", {"x": 1, "y": 2}, 1.0),
        ("x ** 2", {"x": -3}, 9.0),
        ("x ** -0.5", {"x": 4}, 0.5),
        ("2 ** x", {"x": 3}, 8.0),
        ("x ** y", {"x": 2, "y": 3}, 8.0),
        ("exp(log(x)) + sqrt(x)", {"x": 4}, 6.0),
        ("sigmoid(x) + relu(-x) + softplus(0 * x)", {"x": 0}, 0.5 + math.log(2)),
        ("leaky_relu(x) + leaky_relu(x, 0.5)", {"x": -2}, -0.02 - 1.0),
        ("leaky_relu(x, -0.5)", {"x": -2}, 1.0),
        ("sin(x) ** 2 + cos(x) ** 2", {"x": 0.7}, 1.0),
        ("abs(x)", {"x": -2.5}, 2.5),
        ("1e-3 * x", {"x": 2}, 0.002),
        ("3", {}, 3.0),
    ],
)
def test_accepted_expressions_compute_what_they_say(text, values, expected):
    assert evaluate(text, **values).data == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_names_come_in_order_of_first_appearance():
    assert parse("b * a + b * c").names == ("b", "a", "c")


def test_numbers_become_labelled_leaves_and_nothing_is_folded():
    out = evaluate("2 * 3 * x", x=1.0)
    leaves = [v for v in topological_order(out) if v.is_leaf]
    assert [v.label for v in leaves] == ["2", "3", "x"]
    assert sum(not v.is_leaf for v in topological_order(out)) == 2  # two multiplications


def test_a_literal_exponent_is_a_constant_so_negative_bases_work():
    out = evaluate("x ** 2", x=-3.0)
    assert out.constant == 2.0 and len(out.parents) == 1
    out.backward()
    assert out.parents[0].grad == -6.0
    assert evaluate("x ** -(2)", x=2.0).constant == -2.0
    # A computed exponent is a Value, which needs a base >= 0 (d/dy x**y = x**y · ln x).
    assert len(evaluate("x ** (1 + 1)", x=3.0).parents) == 2
    with pytest.raises(DomainError, match="base must not be negative"):
        evaluate("x ** y", x=-3.0, y=2.0)


def test_tower_of_powers_overflows_at_once():
    with pytest.raises(OverflowError, match="overflows"):
        evaluate("9**9**9**9")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.real", r"an attribute \(a\.b\) is not allowed \(column 1: 'x\.real'\)"),
        ("x[0]", r"a subscript \(a\[i\]\) is not allowed"),
        ("x < 1", "a comparison is not allowed"),
        ("x and y", "and/or is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("x if x else x", "if/else is not allowed"),
        ("[x]", "a list is not allowed"),
        ("x, y", "a tuple is not allowed"),
        ("{x: 1}", "a dict is not allowed"),
        ("'s'", r"'s' is not a number"),
        ("f'{x}'", "a string is not allowed"),
        ("True", "True is not a number"),
        ("None", "None is not a number"),
        ("1j", "1j is not a number"),
        ("x // 2", r"// \(use /\) is not allowed"),
        ("x % 2", "% is not allowed"),
        ("x ^ 2", r"\^ \(for powers use \*\*\) is not allowed"),
        ("~x", "~ is not allowed"),
        ("not x", "not is not allowed"),
        ("(y := 2)", ":= is not allowed"),
        ("[x for x in y]", "a comprehension is not allowed"),
        ("f(x)", "unknown function 'f': the functions are exp, log"),
        ("__import__('os')", "unknown function '__import__'"),
        ("x.exp()", "only the functions exp, log, .* can be called"),
        ("exp", r"exp is a function: call it, as in exp\(x\)"),
        ("exp(x, 2)", "exp takes one argument, got 2"),
        ("exp()", "exp takes one argument, got 0"),
        ("leaky_relu(x, 0.1, 2)", "leaky_relu takes one or two arguments, got 3"),
        ("leaky_relu(x, y)", r"slope of leaky_relu must be a plain number.*\(column 15: 'y'\)"),
        ("exp(x=1)", r"keyword arguments are not allowed; write exp\(x\)"),
        ("exp(*x)", r"\* unpacking is not allowed"),
        ("1 + x.y", r"\(column 5: 'x\.y'\)"),
        ("1e999 * x", "the number is too large for a float"),
        ("x +", "syntax error"),
        ("tanh(x", r"syntax error: '\(' was never closed"),
        ("x = 1", "syntax error"),
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("x" * (MAX_LENGTH + 1), f"1,001 characters long; at most {MAX_LENGTH:,}"),
        ("-" * (MAX_DEPTH + 1) + "x", f"nested too deeply \\(more than {MAX_DEPTH} levels\\)"),
        ("(" * 300 + "x" + ")" * 300, "syntax error: too many nested parentheses"),
    ],
)
def test_rejected_expressions_say_what_and_where(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_long_flat_expressions_within_the_bounds_work():
    text = "+".join(["x"] * 450)  # 899 characters, nested 450 deep on the left
    assert evaluate(text, x=1.0).data == 450.0


def test_values_for_every_name_are_needed():
    with pytest.raises(ExpressionError, match="no value given for y"):
        parse("x * y")({"x": Value(1.0)})


def test_not_a_string():
    with pytest.raises(TypeError, match="parse needs a str"):
        parse(3)


def parses_or_reports(text):
    """Parse and build ``text``: only ExpressionError or an engine domain error may escape."""
    try:
        expression = parse(text)
    except ExpressionError:
        return
    values = {name: Value(0.5, label=name) for name in expression.names}
    try:
        result = expression(values)
    except (ValueError, ZeroDivisionError, OverflowError):
        return  # a domain error of the engine, reported with its own message
    assert isinstance(result, Value)


@given(st.text(max_size=40))
def test_any_text_parses_or_gives_an_expression_error(text):
    parses_or_reports(text)


@pytest.mark.parametrize("text", ["\x00", "x\x00", "x + \x00y", "\x00 1"])
def test_a_nul_character_is_an_expression_error_on_every_python(text):
    # Python 3.10's own parser raises ValueError for it (3.11 a SyntaxError): named here.
    with pytest.raises(ExpressionError, match=r"column \d+ is a NUL character"):
        parse(text)


@given(st.text(alphabet="xy0123456789.+-*/() e", max_size=30))
def test_arithmetic_soup_never_escapes_as_another_error(text):
    parses_or_reports(text)


@given(expressions(max_ops=6))
def test_the_parser_builds_what_the_strategy_writes(e):
    # engine.strategies writes each drawn expression out in this parser's language; a shared
    # node is written out twice, so the parsed graph is the tree version of the same function.
    assume(len(e.source) <= MAX_LENGTH)
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(e.inputs)]
    expected = e.fn(leaves)
    parsed_leaves = {f"x{i}": Value(x, label=f"x{i}") for i, x in enumerate(e.inputs)}
    got = parse(e.source)(parsed_leaves)
    assert got.data == expected.data  # the same operations on the same floats
    expected.backward()
    got.backward()
    for leaf in leaves:
        other = parsed_leaves[leaf.label].grad
        # The same path products summed in another order: equal to rounding, which stays
        # far below 1e-9 for the strategy's bounded intermediates (|value| <= 100).
        assert abs(other - leaf.grad) <= 1e-9 * (1 + abs(leaf.grad))
