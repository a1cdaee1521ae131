"""chain_rule: every path from an input to the output; the products sum to the gradient."""

import math
import re

import pytest
from hypothesis import given
from random_graphs import graphs

from engine import ChainRule, TooManyPathsError, Value, chain_rule, grad
from engine.strategies import expressions
from engine.views.chain import count_paths


@given(graphs())
def test_paths_sum_to_the_gradient(graph):
    leaves, out = graph
    gradients = grad(out, leaves)
    for leaf, g in zip(leaves, gradients, strict=True):
        rule = chain_rule(out, leaf)
        # Summed in another order than backward's, so equal up to rounding: a few ulps of
        # the largest term, bounded generously by 1e-12 of the sum of |terms|.
        size = sum(abs(path.product) for path in rule.paths)
        assert abs(rule.total - g) <= 1e-12 * (size + 1.0)


@given(expressions(max_ops=8))
def test_paths_sum_to_the_gradient_through_every_primitive(e):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(e.inputs)]
    out = e.fn(leaves)
    for leaf, g in zip(leaves, grad(out, leaves), strict=True):
        rule = chain_rule(out, leaf)
        size = sum(abs(path.product) for path in rule.paths)
        assert abs(rule.total - g) <= 1e-12 * (size + 1.0)  # as above


@given(graphs())
def test_each_path_is_a_chain_of_edges_from_wrt_to_the_output(graph):
    leaves, out = graph
    rule = chain_rule(out, leaves[0])
    assert len(rule.paths) == count_paths(out, leaves[0])
    for path in rule.paths:
        assert path.nodes[0] is leaves[0] and path.nodes[-1] is out
        assert len(path.factors) == len(path.nodes) - 1 == len(path.edges)
        for lower, upper, factor, (child, index) in zip(
            path.nodes[:-1], path.nodes[1:], path.factors, path.edges, strict=True
        ):
            assert child is upper and child.parents[index] is lower
            assert factor == child.local_grads[index]
        assert path.product == math.prod(path.factors)
    # Paths are distinct (as sequences of edges).
    assert len({tuple((id(c), i) for c, i in p.edges) for p in rule.paths}) == len(rule.paths)


def textbook():
    """The lesson's example: dE/dw3 along w3 -> z3 -> a3 -> E."""
    w3 = Value(0.5, label="w3")
    h = Value(2.0, label="h")
    z3 = w3 * h
    z3.label = "z3"
    a3 = z3.sigmoid()
    a3.label = "a3"
    E = a3 * 1.0
    E.label = "E"
    return w3, z3, a3, E


def test_textbook_str():
    w3, z3, a3, E = textbook()
    rule = chain_rule(E, w3)
    assert isinstance(rule, ChainRule)
    s = 1 / (1 + math.exp(-1.0))  # sigmoid(1)
    assert str(rule) == (
        "dE/dw3 = ∂z3/∂w3 · ∂a3/∂z3 · ∂E/∂a3 = "
        f"2.0000 · {s * (1 - s):.4f} · 1.0000 = {2 * s * (1 - s):.4f}"
    )
    assert rule.total == pytest.approx(2 * s * (1 - s), rel=1e-15)
    (path,) = rule.paths
    assert path.nodes == (w3, z3, a3, E)
    assert path.symbols() == ["∂z3/∂w3", "∂a3/∂z3", "∂E/∂a3"]


def diamond():
    a = Value(3.0, label="a")
    b = a * 2.0
    b.label = "b"
    c = a + 1.0
    c.label = "c"
    L = b * c
    L.label = "L"
    return a, L


def test_several_paths_one_line_each_then_the_total():
    a, L = diamond()
    assert str(chain_rule(L, a)) == (
        "dL/da = ∂b/∂a · ∂L/∂b = 2.0000 · 4.0000 = 8.0000\n"
        "      + ∂c/∂a · ∂L/∂c = 1.0000 · 6.0000 = 6.0000\n"
        "      = 14.0000   (sum over 2 paths)"
    )


def test_a_node_used_twice_gives_two_paths():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    rule = chain_rule(y, x)
    assert [p.edges for p in rule.paths] == [((y, 0),), ((y, 1),)]
    assert rule.total == 6.0
    assert str(rule).splitlines()[-1] == "      = 6.0000   (sum over 2 paths)"


def test_a_single_edge_names_the_local_derivative_and_its_number_once():
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.label = "y"
    # Not "dy/dx = dy/dx = inf": the gradient and the local derivative have two symbols.
    assert str(chain_rule(y, x)) == "dy/dx = ∂y/∂x = inf"
    z = x.exp()
    z.label = "z"
    assert str(chain_rule(z * 2.0, x)) == "dmul1/dx = ∂z/∂x · ∂mul1/∂z = 1.0000 · 2.0000 = 2.0000"


def test_infinite_terms_sum_as_ieee_does_never_raise():
    # issue 9 item 9: sqrt(x) - sqrt(x) at x = 0 has paths of +inf and -inf; math.fsum raised
    # "ValueError: -inf + inf in fsum". backward gives inf - inf = nan, and so must the rule.
    x = Value(0.0, label="x")
    f = x.sqrt() - x.sqrt()
    f.label = "f"
    rule = chain_rule(f, x)
    assert [p.product for p in rule.paths] == [math.inf, -math.inf]
    assert math.isnan(rule.total)
    f.backward()
    assert math.isnan(x.grad)
    assert str(rule).splitlines()[-1] == "      = nan   (sum over 2 paths)"
    y = x.sqrt() + x.sqrt()
    assert chain_rule(y, x).total == math.inf


def test_finite_terms_whose_sum_overflows_give_inf_not_an_error():
    x = Value(1.0, label="x")
    big = x * 1e308 + x * 1e308
    assert chain_rule(big, x).total == math.inf  # fsum raises OverflowError here


def all_symbols(text: str) -> list[str]:
    """Every derivative symbol in a printed rule or step: dL/dx, ∂z/∂w."""
    return re.findall(r"(?:d\w+/d\w+|∂\w+/∂\w+)", text)


@given(graphs())
def test_no_rule_uses_one_symbol_for_two_things(graph):
    """A gradient is d·/d·, a local derivative ∂·/∂·: no printed symbol stands for both."""
    inputs, out = graph
    for x in inputs:
        text = str(chain_rule(out, x, max_paths=50)) if count_paths(out, x) <= 50 else ""
        for i, line in enumerate(text.splitlines()):
            symbols = all_symbols(line)
            assert len(symbols) == len(set(symbols))  # not "dq/dx = dq/dx"
            gradients = [s for s in symbols if s.startswith("d")]
            assert gradients == (symbols[:1] if i == 0 else [])  # only the left-hand side


def test_wrt_the_output_itself_is_one_empty_path():
    x = Value(3.0, label="x")
    rule = chain_rule(x, x)
    assert rule.total == 1.0 and len(rule.paths) == 1 and rule.paths[0].factors == ()
    assert str(rule) == "dx/dx = 1 (the output itself)"


def test_an_unrelated_input_has_no_paths():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    out = x.tanh()
    out.label = "out"
    rule = chain_rule(out, y)
    assert rule.paths == () and rule.total == 0.0
    assert str(rule) == "dout/dy = 0 (no path leads from y to out)"


def test_exploding_paths_are_counted_not_listed():
    x = Value(0.5, label="x")
    y = x
    for _ in range(60):  # each step doubles the number of paths: 2**60 in all
        y = y * 1.0 + y
    y.label = "y"
    with pytest.raises(TooManyPathsError, match=r"1,152,921,504,606,846,976 paths lead from x"):
        chain_rule(y, x)
    with pytest.raises(ValueError, match=r"max_paths=1,000"):
        chain_rule(y, x)
    small = x * 1.0 + x
    assert len(chain_rule(small, x, max_paths=2).paths) == 2
    with pytest.raises(TooManyPathsError, match="max_paths=1 "):
        chain_rule(small, x, max_paths=1)


def test_a_deep_chain_needs_no_recursion():
    x = Value(0.0, label="x")
    y = x
    for _ in range(50_000):
        y = y + 1.0
    rule = chain_rule(y, x)
    assert len(rule.paths[0].nodes) == 50_001 and rule.total == 1.0


def test_names_agree_with_backward_steps():
    x = Value(0.3)
    y = (x * 2.0).tanh()
    steps = [str(step) for step in y.backward_steps()]
    rule = str(chain_rule(y, x))
    # Unlabelled nodes get the same generated names (tanh1, mul1, v1) in both.
    assert steps[0].startswith("dtanh1/dmul1 += ")
    assert rule.startswith("dtanh1/dv1 = ∂mul1/∂v1 · ∂tanh1/∂mul1 = ")


@pytest.mark.parametrize("args", [(1.0, Value(1.0)), (Value(1.0), "x")])
def test_type_errors(args):
    with pytest.raises(TypeError, match="chain_rule needs a Value"):
        chain_rule(*args)
