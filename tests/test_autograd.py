"""The backward pass: ordering, the chain rule on shared nodes, accumulation semantics,
deep graphs, grad() and higher derivatives, no_grad and detect_anomaly."""

import ast
import asyncio
import math
import pathlib
import sys
import threading

import pytest
from hypothesis import given
from random_graphs import hand_built_square

from engine import (
    Value,
    autograd,
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from engine.strategies import expressions

# -- ordering --------------------------------------------------------------------------


def test_topological_order_puts_every_node_after_its_parents():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e
    assert set(order) == {a, b, c, d, e}
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


@given(expressions(max_ops=12))
def test_topological_order_property(e):
    out = e.fn([Value(x) for x in e.inputs])
    order = topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order)  # each node once
    assert order[-1] is out
    for node in order:
        assert all(position[p] < position[node] for p in node.parents)


def test_topological_order_of_a_leaf_is_the_leaf():
    x = Value(1.0)
    assert topological_order(x) == [x]


def test_topological_order_rejects_non_values():
    with pytest.raises(TypeError, match="needs a Value"):
        topological_order(3.0)


# -- the chain rule on shared nodes (named cases) ------------------------------------


def test_a_plus_a_gets_both_paths():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_a_times_a():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_diamond():
    # x feeds two branches that meet again: dL/dx = sum over both paths.
    x = Value(2.0, label="x")
    left = x * 3
    right = x.exp()
    out = left * right
    out.backward()
    # d/dx (3x · e^x) = 3e^x + 3x e^x
    assert x.grad == pytest.approx(3 * math.exp(2) + 6 * math.exp(2), rel=1e-15)
    assert left.grad == pytest.approx(math.exp(2), rel=1e-15)
    assert right.grad == pytest.approx(6.0, rel=1e-15)


def test_hand_derived_neuron():
    # The lesson's neuron: tanh(w·x + b) at w=-1, x=0.5, b=2 -> z = 1.5.
    w, x, b = Value(-1.0, label="w"), Value(0.5, label="x"), Value(2.0, label="b")
    z = w * x + b
    a = z.tanh()
    a.backward()
    slope = 1 - math.tanh(1.5) ** 2
    assert a.grad == 1.0
    assert z.grad == pytest.approx(slope, rel=1e-15)
    assert (w.grad, x.grad, b.grad) == pytest.approx((0.5 * slope, -slope, slope), rel=1e-15)


def test_million_deep_chain_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    assert len(topological_order(y)) == 2_000_001  # the chain plus one constant per step


# -- accumulation semantics (as in PyTorch) -------------------------------------------


def test_leaves_accumulate_and_non_leaves_hold_this_calls_gradient():
    x = Value(3.0)
    h = x * x
    y = h * 2
    y.backward()
    assert (x.grad, h.grad, y.grad) == (12.0, 2.0, 1.0)
    y.backward()
    assert x.grad == 24.0  # leaves: twice
    assert (h.grad, y.grad) == (2.0, 1.0)  # non-leaves: this call only


def test_backward_with_an_upstream_gradient():
    x = Value(3.0)
    (x * x).backward(0.5)
    assert x.grad == 3.0


def test_backward_of_a_leaf_accumulates_the_seed():
    x = Value(3.0)
    x.backward()
    x.backward(2.0)
    assert x.grad == 3.0


def test_backward_rejects_a_non_number_seed():
    with pytest.raises(TypeError, match="backward\\(grad=...\\) needs a number"):
        Value(1.0).backward("1")


def test_backward_from_an_inner_node_leaves_other_nodes_alone():
    x = Value(2.0)
    h = x * x
    y = h + 1
    y.backward()
    h.backward()  # now from h: x accumulates 4 more, y keeps its gradient
    assert x.grad == 8.0 and y.grad == 1.0 and h.grad == 1.0


# -- backward_steps --------------------------------------------------------------------


@given(expressions())
def test_exhausting_backward_steps_equals_backward(e):
    xs = [Value(x) for x in e.inputs]
    e.fn(xs).backward()
    ys = [Value(x) for x in e.inputs]
    out = e.fn(ys)
    steps = list(out.backward_steps())
    assert [y.grad for y in ys] == [x.grad for x in xs]
    assert len(steps) == sum(len(n.parents) for n in topological_order(out))


def test_backward_steps_apply_as_they_are_yielded():
    w, x = Value(2.0, label="w"), Value(0.5, label="x")
    z = w * x
    z.label = "z"
    L = z.tanh()
    L.label = "L"
    steps = L.backward_steps()
    first = next(steps)
    assert first.node is L and first.parent is z
    assert z.grad == first.contribution == first.parent_grad
    assert w.grad == 0.0 and x.grad == 0.0  # not reached yet: stopping here leaves them alone
    second = next(steps)
    assert second.parent is w and w.grad == second.parent_grad == 0.5 * z.grad
    assert x.grad == 0.0
    assert str(second) == f"dL/dw += ∂z/∂w · dL/dz = 0.5000 · {z.grad:.4f} = {w.grad:.4f}"


def test_a_backward_step_reads_like_the_chain_rule():
    w1 = Value(2.0, label="w1")
    z = w1 * 2.0
    z.label = "z"
    L = z * 0.5
    L.label = "L"
    texts = [str(step) for step in L.backward_steps()]
    assert "dL/dw1 += ∂z/∂w1 · dL/dz = 2.0000 · 0.5000 = 1.0000" in texts


# -- grad() and higher derivatives ----------------------------------------------------


def test_grad_does_not_touch_dot_grad():
    x = Value(3.0)
    y = x * x
    assert grad(y, [x]) == [6.0]
    assert x.grad == 0.0 and y.grad == 0.0


def test_grad_of_an_unused_input_is_zero():
    x, unused = Value(1.0), Value(2.0)
    assert grad(x * 3, [x, unused]) == [3.0, 0.0]
    (dx, du) = grad(x * 3, [x, unused], create_graph=True)
    assert du.data == 0.0


def test_grad_accepts_a_single_input_and_checks_types():
    x = Value(2.0)
    assert grad(x * x, x) == [4.0]
    with pytest.raises(TypeError, match=r"inputs\[0\] is float"):
        grad(x * x, [2.0])
    with pytest.raises(TypeError, match="needs a Value as output"):
        grad(2.0, [x])


def test_third_derivative_of_a_cubic():
    x = Value(2.0, label="x")
    y = x**3
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    assert (d1.data, d2.data, d3.data) == (12.0, 12.0, 6.0)
    assert d1.label == "dy/dx" or d1.label.startswith("d")


def test_hessian_vector_product():
    # f = x²y + y³: H = [[2y, 2x], [2x, 6y]]; at (1, 2), H·(1, 1) = (4 + 2, 2 + 12).
    x, y = Value(1.0), Value(2.0)
    f = x * x * y + y**3
    gx, gy = grad(f, [x, y], create_graph=True)
    hv = grad(gx + gy, [x, y])  # d/d(x, y) of (∇f · v) with v = (1, 1)
    assert hv == [6.0, 14.0]


def test_create_graph_works_inside_no_grad():
    x = Value(3.0)
    y = x * x
    with no_grad():
        (dy,) = grad(y, [x], create_graph=True)
    assert grad(dy, [x]) == [2.0]


@given(expressions(max_ops=6))
def test_grad_matches_backward(e):
    xs = [Value(x) for x in e.inputs]
    out = e.fn(xs)
    expected = grad(out, xs)
    out.backward()
    assert [x.grad for x in xs] == pytest.approx(expected, rel=1e-12, abs=1e-300)


# -- modes -----------------------------------------------------------------------------


def test_no_grad_nests_and_restores():
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
            assert not (Value(1.0) * 2).is_leaf
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_is_restored_after_an_error():
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("boom")
    assert is_grad_enabled()


def test_no_grad_is_local_to_a_thread():
    seen = []
    entered, checked = threading.Event(), threading.Event()

    def other():
        entered.wait()
        seen.append(is_grad_enabled())
        checked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with no_grad():
        entered.set()
        checked.wait()
    thread.join()
    assert seen == [True]


def test_no_grad_is_local_to_an_asyncio_task():
    async def inside():
        with no_grad():
            await asyncio.sleep(0.01)
            return is_grad_enabled()

    async def outside():
        await asyncio.sleep(0.005)
        return is_grad_enabled()

    async def main():
        return await asyncio.gather(inside(), outside())

    assert asyncio.run(main()) == [False, True]


def test_detect_anomaly_in_the_forward_pass():
    big = Value(1e308, label="big")
    assert (big * 10).data == math.inf  # without the mode, float arithmetic as usual
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"\* produced inf.*'big'"):
        big * 10


def test_detect_anomaly_in_the_backward_pass():
    x = Value(0.0, label="x")
    y = x.sqrt() * 1e-300  # sqrt'(0) is inf: the gradient of x is inf · 1e-300
    y.backward()
    assert x.grad == math.inf
    x.grad = 0.0
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"backward through sqrt"):
        y.backward()


def test_detect_anomaly_catches_nan_from_a_nan_input():
    with detect_anomaly(), pytest.raises(FloatingPointError, match="nan"):
        Value(math.nan, label="n") + 1


# -- nodes built micrograd's way, and the walk -------------------------------------------


def test_a_non_leaf_grad_set_to_none_does_not_hide_it_from_the_walk():
    # torch users write p.grad = None; on a non-leaf it must not look "already visited".
    x = Value(0.5, label="x")
    h = x * x
    out = h.exp() + h
    h.grad = None
    out.backward()
    assert x.grad == pytest.approx(2 * 0.5 * (math.exp(0.25) + 1), rel=1e-15)


def test_a_closure_given_to_a_table_node_replaces_its_rule_everywhere():
    # Assigning _backward makes the node one that runs a closure: backward runs it, and
    # steps and drawings read its local derivative from it (2, not the recorded 3).
    x = Value(1.5, label="x")
    out = x**2
    assert out.local_grads == (3.0,)

    def _backward():
        x.grad += 2.0 * out.grad

    out._backward = _backward
    assert out._backward is _backward and out.local_grads == (2.0,)
    out.backward()
    assert x.grad == 2.0
    x.grad = 0.0
    autograd.backward(out, plain=True)
    assert x.grad == 2.0
    assert [step.local_grad for step in out.backward_steps()] == [2.0]


def test_backward_must_be_a_function():
    out = Value(1.0) ** 2
    with pytest.raises(TypeError, match="_backward must be a function of no arguments"):
        out._backward = 3.0
    assert out.local_grads == (2.0,)  # refused before anything changed


def test_the_plain_walk_reads_as_the_chain_rule():
    # Written out by hand from .parents and .local_grads: parent.grad += local · node.grad.
    x = Value(2.0)
    y = (x * x + x).tanh()
    grads = {y: 1.0}
    for node in reversed(topological_order(y)):
        for parent, local in zip(node.parents, node.local_grads):
            grads[parent] = grads.get(parent, 0.0) + local * grads.get(node, 0.0)
    y.backward()
    assert x.grad == grads[x]


def test_backward_calls_a_hand_built_nodes_closure_once():
    x = Value(3.0)
    calls = []
    out = Value(6.0, (x,), "double")

    def _backward():
        calls.append(out.grad)
        x.grad += 2 * out.grad

    out._backward = _backward
    (out * 5).backward()
    assert calls == [5.0] and x.grad == 10.0


def test_create_graph_through_a_hand_built_node_says_why_it_cannot():
    x = Value(3.0, label="x")
    y = hand_built_square(x)
    assert grad(y, [x]) == [6.0]  # first derivatives go through its closure
    with pytest.raises(TypeError, match="cannot differentiate twice.*closure"):
        grad(y, [x], create_graph=True)


def test_detect_anomaly_checks_hand_built_nodes_too():
    x = Value(0.0, label="x")
    out = Value(0.0, (x,), "bad")

    def _backward():
        x.grad += math.inf * out.grad

    out._backward = _backward
    with detect_anomaly(), pytest.raises(FloatingPointError, match="backward through bad"):
        out.backward()


def _imports(module: str) -> set[str]:
    """The engine modules ``engine/<module>.py`` imports anywhere (function-local included)."""
    tree = ast.parse(pathlib.Path(autograd.__file__).with_name(f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {a.name for a in node.names}
    return found


def test_autograd_does_not_import_value():
    # The walk is written against the protocol (.parents, .local_grads, _backward),
    # so value.py imports autograd and never the other way round.
    assert "value" not in _imports("autograd")
    assert "autograd" in _imports("value")


# -- one chain rule --------------------------------------------------------------------


def _backward_plain(out, x):
    autograd.backward(out, plain=True)
    return x.grad


def _steps(out, x):
    list(out.backward_steps())
    return x.grad


def _micrograds_step(out, x):
    out.grad = 1.0
    out._backward()
    return x.grad


@pytest.mark.parametrize(
    "gradient_of_x",
    [
        _backward_plain,
        _steps,
        lambda out, x: grad(out, [x])[0],
        lambda out, x: grad(out, [x], create_graph=True)[0].data,
        _micrograds_step,
    ],
    ids=["backward", "backward_steps", "grad", "create_graph", "_backward"],
)
def test_every_way_of_differentiating_runs_the_one_chain_rule(gradient_of_x, monkeypatch):
    # The multiply-and-add lives in chain_rule_at alone: replace it by one that takes
    # every local derivative as 10, and each of them gives 10 for d(2x)/dx.
    def every_slope_is_ten(node, grads, local_grads):
        for index, parent in enumerate(node.parents):
            before = grads[parent] if parent in grads else None
            contribution = 10 * grads[node]
            grads[parent] = contribution if before is None else before + contribution
            yield autograd.Edge(node, index, parent, 10, grads[node], contribution, before)

    x = Value(3.0, label="x")
    out = x * 2.0
    assert gradient_of_x(out, x) == 2.0
    x.grad = 0.0
    monkeypatch.setattr(autograd, "chain_rule_at", every_slope_is_ten)
    assert gradient_of_x(out, x) == 10.0


def test_create_graph_puts_no_times_one_nodes_into_the_gradients_graph():
    # An add's and a sub's local derivatives, ±1, pass the gradient on unmultiplied.
    x = Value(2.0, label="x")
    (dx,) = grad(x + x - x, [x], create_graph=True)
    assert dx.data == 1.0
    assert [node.op for node in topological_order(dx) if not node.is_leaf] == ["neg", "+", "+"]
