"""engine/fast.py is the plain code, faster: every fast function equals its plain
counterpart, bit for bit, on random graphs (hand-built nodes included)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from random_graphs import graphs

from engine import Value, autograd, fast, grad, topological_order


def hand_built_square(x):
    """x², built micrograd's way: a node with a closure."""
    out = Value(x.data**2, (x,), "sq")

    def _backward():
        x.grad += 2 * x.data * out.grad

    out._backward = _backward
    return out


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
