"""Names in derivations and drawings: a label, or a generated name that no other node has."""

import re

from hypothesis import given
from hypothesis import strategies as st
from random_graphs import BINARY, UNARY

from engine import Value, chain_rule, draw_graph, topological_order
from engine.naming import display_names


def names_of(root):
    return display_names(topological_order(root))


def test_a_label_that_looks_generated_keeps_its_name_and_the_generated_one_moves_on():
    # A user's mul1 and v1, and an unlabelled product and leaf that would be called so.
    mine = Value(2.0, label="mul1")
    leaf = Value(3.0)  # would be v1
    other = Value(4.0, label="v1")
    product = mine * leaf  # would be mul1
    f = product * other
    f.label = "f"
    names = names_of(f)
    assert names[mine] == "mul1" and names[other] == "v1"
    assert names[leaf] == "v2" and names[product] == "mul2"
    assert len(set(names.values())) == len(names)


def test_steps_never_call_two_nodes_by_one_name():
    # The case: two different nodes both read df/dmul1 in the steps.
    x = Value(3.0, label="x")
    mine = Value(2.0, label="mul1")
    f = (x * x) * mine  # the unlabelled x*x was mul1 too
    f.label = "f"
    gradients = {}  # "df/d<name>" -> the node whose gradient it is
    for step in f.backward_steps():
        symbol = re.match(r"(\S+) \+=", str(step)).group(1)
        assert gradients.setdefault(symbol, step.parent) is step.parent, symbol
    assert set(gradients) == {"df/dmul2", "df/dmul1", "df/dx"}
    # x's paths go through x*x only: the user's mul1 is not on them.
    assert "mul2" in str(chain_rule(f, x)) and "mul1" not in str(chain_rule(f, x))


def test_a_drawing_never_shows_two_boxes_with_one_name():
    unlabelled = Value(1.0)  # would be v1
    mine = Value(2.0, label="v1")
    source = draw_graph(unlabelled + mine).source
    assert source.count(">v1<") == 1 and source.count(">v2<") == 1


def test_two_nodes_with_the_same_label_become_label_and_label_2():
    # Documented rule: the first in topological order keeps the label, the next are w#2, ...
    w1, w2, w3 = (Value(float(k), label="w") for k in (1, 2, 3))
    f = w1 * w2 + w3
    f.label = "f"
    names = names_of(f)
    assert [names[w] for w in (w1, w2, w3)] == ["w", "w#2", "w#3"]
    steps = [str(step) for step in f.backward_steps()]
    assert any(step.startswith("df/dw#2 += ") for step in steps)
    # One node with a label is never renamed, however many graphs it is drawn in.
    assert names_of(w1 * 2)[w1] == "w"


def test_a_suffixed_name_skips_a_label_that_already_reads_so():
    a, b, c = Value(1.0, label="a"), Value(2.0, label="a"), Value(3.0, label="a#2")
    names = names_of(a + b + c)
    assert [names[v] for v in (a, b, c)] == ["a", "a#3", "a#2"]


def test_the_same_graph_always_gets_the_same_names():
    x = Value(1.0)
    f = (x * x).tanh() + Value(2.0, label="mul1")
    assert names_of(f) == names_of(f)


LABELS = ["", "", "", "v1", "v2", "mul1", "add1", "tanh1", "a", "a#2"]


@st.composite
def labelled_graphs(draw):
    """A random graph whose labels are often empty, repeated, or look generated."""
    nodes = [
        Value(1.0, label=draw(st.sampled_from(LABELS))) for _ in range(draw(st.integers(1, 4)))
    ]
    for _ in range(draw(st.integers(1, 12))):
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        if draw(st.booleans()):
            node = UNARY[draw(st.sampled_from(sorted(UNARY)))](a)
        else:
            node = BINARY[draw(st.sampled_from(sorted(BINARY)))](a, b)
        node.label = draw(st.sampled_from(LABELS))
        nodes.append(node)
    return nodes[-1]


@given(labelled_graphs())
def test_no_two_nodes_ever_share_a_name(root):
    order = topological_order(root)
    names = display_names(order)
    assert len(set(names.values())) == len(order)
    first = {}
    for node in order:  # a label is kept by the first node that has it
        if node.label:
            first.setdefault(node.label, node)
    assert all(names[node] == label for label, node in first.items())
