"""backward_steps: one BackwardStep per edge, applied as yielded, in backward's order."""

import itertools
import re

import pytest
from hypothesis import given
from random_graphs import graphs

from engine import BackwardStep, Value, topological_order


def contract_example():
    """The contract's step: dL/dw1 += ∂z/∂w1 · dL/dz = 2.0000 · 0.5000 = 1.0000."""
    w1 = Value(-3.0, label="w1")
    x = Value(2.0, label="x")
    z = w1 * x
    z.label = "z"
    L = z * 0.5
    L.label = "L"
    return w1, x, z, L


def test_str_reads_like_the_contract():
    w1, x, z, L = contract_example()
    steps = list(L.backward_steps())
    assert [str(s) for s in steps] == [
        "dL/dz += ∂L/∂z · dL/dL = 0.5000 · 1.0000 = 0.5000",
        "dL/dv1 += ∂L/∂v1 · dL/dL = -6.0000 · 1.0000 = -6.0000",
        "dL/dw1 += ∂z/∂w1 · dL/dz = 2.0000 · 0.5000 = 1.0000",
        "dL/dx += ∂z/∂x · dL/dz = -3.0000 · 0.5000 = -1.5000",
    ]
    step = steps[2]
    assert isinstance(step, BackwardStep)
    assert (step.node, step.parent, step.index) == (z, w1, 0)
    assert (step.local_grad, step.upstream, step.contribution, step.parent_grad) == (
        2.0,
        0.5,
        1.0,
        1.0,
    )


def test_tiny_and_huge_numbers_stay_visible():
    x = Value(1e-7, label="x")
    y = x * 3e8
    y.label = "y"
    (first, second) = y.backward_steps()
    assert str(first) == "dy/dx += ∂y/∂x · dy/dy = 3.0000e+08 · 1.0000 = 3.0000e+08"
    assert str(second).endswith("= 1.0000e-07 · 1.0000 = 1.0000e-07")


def snapshot(root):
    return [node.grad for node in topological_order(root)]


@given(graphs())
def test_one_step_per_edge_and_exhausting_equals_backward(graph):
    leaves, out = graph
    order = topological_order(out)
    steps = list(out.backward_steps())
    assert len(steps) == sum(len(node.parents) for node in order)
    after_steps = snapshot(out)
    for node in order:
        node.grad = 0.0
    out.backward()
    assert snapshot(out) == after_steps  # the same sums in the same order: bit for bit


@given(graphs())
def test_stopping_halfway_leaves_gradients_as_far_as_the_steps_went(graph):
    leaves, out = graph
    total = sum(len(node.parents) for node in topological_order(out))
    for k in range(total + 1):
        for node in topological_order(out):
            node.grad = 0.0
        steps = list(itertools.islice(out.backward_steps(), k))
        # Replay the k steps by hand from a zero state with the root seeded.
        expected = {node: 0.0 for node in topological_order(out)}
        expected[out] = 1.0
        for step in steps:
            assert step.upstream == expected[step.node]
            expected[step.parent] += step.local_grad * step.upstream
            assert step.parent_grad == expected[step.parent]
        if k:  # the generator has started: the graph holds exactly the replayed state
            assert {node: node.grad for node in expected} == expected


def test_steps_come_from_the_output_backwards():
    w1, x, z, L = contract_example()
    nodes = [step.node for step in L.backward_steps()]
    assert nodes == [L, L, z, z]


def test_a_node_used_twice_has_two_steps_with_their_index():
    a = Value(3.0, label="a")
    b = a * a
    steps = list(b.backward_steps())
    assert [s.index for s in steps] == [0, 1]
    assert [s.parent_grad for s in steps] == [3.0, 6.0]
    assert a.grad == 6.0


def test_leaves_accumulate_like_backward():
    x = Value(2.0, label="x")
    y = x * x
    list(y.backward_steps())
    list(y.backward_steps())
    assert x.grad == 8.0


def test_a_bad_seed_fails_at_the_call():
    with pytest.raises(TypeError, match="needs a number"):
        Value(1.0).backward_steps("one")


# -- notation: ∂child/∂parent is a local derivative, dL/dnode a gradient of the output --

SYMBOL = re.compile(r"([d∂])([^/\s]+)/\1([^\s·=]+)")


def symbols(text):
    """The derivative symbols of a step, in order: ('d', 'L', 'x') for dL/dx."""
    return SYMBOL.findall(text)


def test_the_designs_example_with_a_running_total():
    # DESIGN.md: dL/dx += ∂mul1/∂x · dL/dmul1 = 2.0000 · 0.0013 = 0.0027 (dL/dx now 0.0054)
    x = Value(0.5, label="x")
    y = Value(2.0, label="y")
    mul1 = x * y
    L = (mul1 + x) * 0.0013
    L.label = "L"
    texts = [str(step) for step in L.backward_steps()]
    assert texts[-2:] == [
        "dL/dx += ∂mul1/∂x · dL/dmul1 = 2.0000 · 0.0013 = 0.0026 (dL/dx now 0.0039)",
        "dL/dy += ∂mul1/∂y · dL/dmul1 = 0.5000 · 0.0013 = 0.0006",
    ]
    assert "dL/dx += ∂add1/∂x · dL/dadd1 = 1.0000 · 0.0013 = 0.0013" in texts


def test_a_node_used_twice_shows_the_running_total_so_no_two_steps_read_alike():
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    texts = [str(s) for s in b.backward_steps()]
    assert texts == [
        "db/da += ∂b/∂a · db/db = 3.0000 · 1.0000 = 3.0000",
        "db/da += ∂b/∂a · db/db = 3.0000 · 1.0000 = 3.0000 (db/da now 6.0000)",
    ]


@given(graphs())
def test_no_step_uses_one_symbol_for_two_things(graph):
    leaves, out = graph
    out.label = "L"
    for step in out.backward_steps():
        found = symbols(str(step))
        target, local, upstream = found[:3]
        assert target[0] == "d" and upstream[0] == "d" and local[0] == "∂"
        assert local[1:] == (step.names[step.node], step.names[step.parent])
        assert target[1:] == ("L", step.names[step.parent])
        assert upstream[1:] == ("L", step.names[step.node])
        assert len({target, local, upstream}) == 3  # three different symbols
        if len(found) == 4:  # "(dL/dx now …)": the same gradient, named the same way
            assert found[3] == target and step.parent_grad_before != 0
