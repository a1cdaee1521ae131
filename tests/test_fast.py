"""engine/fast.py is the plain code, faster: every method equals ``value.apply`` of its op
on a grid of hostile points in every mode, and the walk and the pass equal the plain ones
on random graphs (hand-built nodes included), bit for bit."""

import contextlib
import itertools
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from random_graphs import graphs, hand_built_square

from engine import Value, autograd, detect_anomaly, fast, grad, no_grad, ops, topological_order
from engine.value import apply

# -- the methods: each is value.apply of its op ------------------------------------------

SLOTS = ("data", "grad", "label", "_primitive", "_x", "_y", "_dx", "_dy", "_constant")
POINTS = (-1000.0, -2.5, -1.0, -0.0, 0.0, 1e-310, 0.5, 2.0, 710.0, math.inf, -math.inf, math.nan)
CONSTANTS = (-1.0, 0.0, 0.5, 2.0, 3.0)


def bits(x):
    """A slot's content, compared exactly: floats by their bits (-0.0, NaN), nodes by slots."""
    if isinstance(x, float):
        return struct.pack("<d", x)
    if isinstance(x, Value):
        return tuple(bits(getattr(x, slot)) for slot in SLOTS)
    return x


def outcome(make, *args):
    """The node ``make(*args)`` returns, slot by slot, or the error it raises."""
    try:
        return bits(make(*args))
    except Exception as error:  # the same error, with the same message, is the same outcome
        return type(error), str(error)


def cases(op):
    """Every combination of the points (and constants) for ``op``'s inputs."""
    inputs = itertools.product(POINTS, repeat=op.arity)
    constants = CONSTANTS if op.has_constant else (None,)
    return [(xs, c) for xs in inputs for c in constants]


def through_the_method(op, xs, c):
    """``op`` as a user writes it: the Value method its entry names, the operator."""
    x, *ys = (Value(v, label=f"x{i}") for i, v in enumerate(xs))
    extra = [] if c is None else [c]
    return getattr(x, op.method)(*ys, *extra)


def through_apply(op, xs, c):
    """``op`` through the plain code."""
    extra = [] if c is None else [c]
    return apply(op, *(Value(v, label=f"x{i}") for i, v in enumerate(xs)), *extra)


@pytest.mark.parametrize("mode", [None, no_grad, detect_anomaly])
@pytest.mark.parametrize("op", ops.OPS, ids=lambda op: op.name)
def test_each_method_is_apply_of_its_op_bit_for_bit(op, mode):
    for xs, c in cases(op):
        with mode() if mode else contextlib.nullcontext():
            fast_node = outcome(through_the_method, op, xs, c)
            plain_node = outcome(through_apply, op, xs, c)
        assert fast_node == plain_node, (op.name, xs, c)


@pytest.mark.parametrize("op", [op for op in ops.OPS if op.arity == 2], ids=lambda op: op.name)
def test_a_number_on_either_side_is_a_constant_leaf_as_apply_makes_it(op):
    x = Value(1.5, label="x")
    if op is not ops.POW:  # x ** 2 is pow_const, with 2 as its constant (the grid above)
        assert bits(getattr(x, op.method)(2)) == bits(apply(op, x, 2))
    if op.method.startswith("__"):  # 2 + x asks x.__radd__(2)
        reflected = getattr(x, f"__r{op.method[2:]}")
        assert bits(reflected(2)) == bits(apply(op, 2, x))


# -- backward: the walk and the pass ---------------------------------------------------


@st.composite
def graphs_with_hand_built_nodes(draw):
    leaves, out = draw(graphs())
    if draw(st.booleans()):
        out = hand_built_square(out) * leaves[0]
    return leaves, out


@given(graphs_with_hand_built_nodes())
def test_the_fast_walk_is_the_plain_walk(graph):
    leaves, out = graph
    assert fast.walk(out) == autograd._walk(out)


@given(graphs_with_hand_built_nodes())
def test_value_backward_equals_the_plain_walk_bit_for_bit(graph):
    leaves, out = graph
    order = topological_order(out)
    out.backward()
    fast_grads = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    autograd.backward(out, plain=True)  # the plain walk and chain rule, over .parents
    assert [node.grad for node in order] == fast_grads


def test_an_interrupted_walk_leaves_numbers_and_hides_nothing_from_the_next(monkeypatch):
    # The fast walk marks each node it reaches in its .grad; after Ctrl-C in the middle,
    # every .grad is a number again and the next backward sees every node. The
    # interruption comes from a hand-built node's parents.
    x = Value(2.0, label="x")
    inner = (x * 3).tanh() + x
    hand = hand_built_square(inner)
    out = (hand * 2).relu() * inner
    parents = Value.parents

    def interrupted(node):
        if node is hand:
            raise KeyboardInterrupt
        return parents.fget(node)

    monkeypatch.setattr(Value, "parents", property(interrupted))
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    monkeypatch.undo()
    assert all(isinstance(node.grad, float) for node in topological_order(out))
    out.backward()  # and the next backward is as if nothing had happened
    assert x.grad == grad(out, [x])[0] != 0


def test_value_backward_takes_the_fast_path(monkeypatch):
    # Else the equality above would compare the plain path with itself.
    taken = []
    monkeypatch.setattr(fast, "backward_pass", lambda nodes: taken.append(len(nodes)))
    x = Value(2.0)
    (x * x + x).backward()
    assert taken == [2] and x.grad == 0.0  # the stand-in pass added nothing
