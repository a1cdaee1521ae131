"""Value as a number: construction, attributes, operators, comparisons, identity."""

import copy
import fractions
import gc
import math
import pickle
import sys

import numpy as np
import pytest

from engine import Value, no_grad, topological_order


@pytest.mark.parametrize(
    "data, expected",
    [
        (2, 2.0),
        (2.5, 2.5),
        (True, 1.0),
        (np.float64(1.5), 1.5),
        (np.float32(0.5), 0.5),
        (np.int64(-3), -3.0),
        (fractions.Fraction(1, 4), 0.25),
        (math.inf, math.inf),
    ],
)
def test_real_numbers_are_stored_as_floats(data, expected):
    v = Value(data)
    assert type(v.data) is float and v.data == expected


@pytest.mark.parametrize("bad", ["1.5", None, [1.0], 1 + 2j, Value(1.0), np.array([1.0])])
def test_anything_else_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)


def test_a_new_value_is_a_leaf_with_zero_grad():
    v = Value(3.0, label="w")
    assert (v.data, v.grad, v.label, v.op, v.parents, v.local_grads, v.is_leaf) == (
        3.0, 0.0, "w", "", (), (), True,
    )  # fmt: skip
    assert v.constant is None


def test_an_op_records_parents_in_order_and_local_grads():
    a, b = Value(2.0), Value(5.0)
    c = a - b
    assert c.op == "-" and c.parents == (a, b) and c.local_grads == (1.0, -1.0)
    assert not c.is_leaf
    d = b / a
    assert d.parents == (b, a) and d.local_grads == (0.5, -5.0 / 4)
    p = a**3
    assert p.op == "**" and p.parents == (a,) and p.constant == 3.0 and p.local_grads == (12.0,)


def test_values_hash_and_compare_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b, a}) == 2
    assert {a: "a"}[a] == "a"


def test_ordering_compares_data_and_returns_bool():
    a, b = Value(1.0), Value(2.0)
    assert (a < b, a <= b, a > b, a >= b) == (True, True, False, False)
    assert a < 1.5 and b > 1 and a >= 1 and b <= 2.0
    assert 0.5 < a  # reflected through Value.__gt__
    assert type(a < b) is bool
    assert max([a, b]) is b and sorted([b, a]) == [a, b]
    with pytest.raises(TypeError):
        a < "2"  # noqa: B015


@pytest.mark.parametrize(
    "expression, expected, op",
    [
        (lambda x: x + 2, 5.0, "+"),
        (lambda x: 2 + x, 5.0, "+"),
        (lambda x: x - 2, 1.0, "-"),
        (lambda x: 2 - x, -1.0, "-"),
        (lambda x: x * 2, 6.0, "*"),
        (lambda x: 2 * x, 6.0, "*"),
        (lambda x: x / 2, 1.5, "/"),
        (lambda x: 6 / x, 2.0, "/"),
        (lambda x: x**2, 9.0, "**"),
        (lambda x: 2**x, 8.0, "**"),
        (lambda x: x ** Value(2.0), 9.0, "**"),
        (lambda x: -x, -3.0, "neg"),
        (lambda x: abs(-x), 3.0, "abs"),
        (lambda x: x.exp(), math.exp(3), "exp"),
        (lambda x: x.log(), math.log(3), "log"),
        (lambda x: x.sqrt(), math.sqrt(3), "sqrt"),
        (lambda x: x.tanh(), math.tanh(3), "tanh"),
        (lambda x: x.sigmoid(), 1 / (1 + math.exp(-3)), "sigmoid"),
        (lambda x: x.relu(), 3.0, "relu"),
        (lambda x: (-x).leaky_relu(0.1), -0.3, "leaky_relu"),
        (lambda x: x.softplus(), math.log1p(math.exp(3)), "softplus"),
        (lambda x: x.sin(), math.sin(3), "sin"),
        (lambda x: x.cos(), math.cos(3), "cos"),
    ],
)
def test_operators_and_methods(expression, expected, op):
    out = expression(Value(3.0))
    assert isinstance(out, Value)
    assert out.data == pytest.approx(expected, rel=1e-15)
    assert out.op == op


def test_reflected_operators_make_the_number_a_constant_leaf():
    x = Value(3.0)
    y = 2 - x
    left, right = y.parents
    assert right is x and left.is_leaf and left.data == 2.0


def test_unary_plus_is_the_value_itself():
    x = Value(1.0)
    assert +x is x


def test_operators_reject_non_numbers():
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match="NoneType"):
        None * Value(1.0)


def test_numpy_scalars_work_on_either_side():
    x = Value(2.0)
    assert (x * np.float64(3.0)).data == 6.0
    for left in (np.float64(3.0) + x, np.float32(3.0) + x, np.int64(3) + x):
        assert isinstance(left, Value) and left.data == 5.0


def test_repr_and_format():
    x = Value(2.0, label="x")
    assert repr(x) == "Value(data=2.0, grad=0.0, label='x')"
    assert repr(x * 2) == "Value(data=4.0, grad=0.0, op='*')"
    assert f"{x:.3f}" == "2.000"
    assert f"{x}" == repr(x)


def test_user_attributes_are_allowed_and_cost_no_dict_until_used():
    # The newer micrograd keeps optimizer state on parameters (p.m, p.v) and tags nodes.
    p = Value(1.0)
    p.m, p._vis_color = 0.0, "red"
    assert (p.m, p._vis_color) == (0.0, "red")
    assert gc.get_referents(Value(1.0)).count({}) == 0  # an unused __dict__ is no dict at all


def test_a_node_is_at_most_120_bytes():
    # benchmarks/README.md states this size: the object header and 9 slots (88 bytes),
    # the collector's header (16) and, since Python 3.11, the __dict__ slot's pre-header (16).
    assert sys.getsizeof(Value(1.0)) <= 120 and sys.getsizeof(Value(1.0) * 2) <= 120


# -- micrograd's spellings (tests/test_micrograd_compat.py runs micrograd's own code) ----


def test_prev_is_the_set_of_parents_and_op_is_the_string():
    a, b = Value(2.0), Value(5.0)
    c = a * b
    assert c._prev == {a, b} and c._op == "*" == c.op
    assert (a + a)._prev == {a} and a._prev == set() and a._op == ""


def test_a_str_second_argument_is_a_label_and_a_tuple_is_children():
    assert Value(2.0, "x").label == "x" and Value(2.0, "x").is_leaf
    x = Value(2.0, "x")
    out = Value(4.0, (x,), "sq", "out")
    assert (out.label, out.op, out._op, out.parents) == ("out", "sq", "sq", (x,))
    assert not out.is_leaf
    with pytest.raises(TypeError, match="two labels"):
        Value(1.0, "x", label="y")


@pytest.mark.parametrize("children", [Value(1.0), 3.0, (Value(1.0), 2.0)])
def test_children_must_be_a_collection_of_values(children):
    with pytest.raises(TypeError, match="_children must be a tuple|every child must be a Value"):
        Value(1.0, children, "f")


def test_hand_built_parents_are_each_parent_once_in_order():
    a, b = Value(1.0), Value(2.0)
    assert Value(3.0, (b, a, b), "f").parents == (b, a)
    assert Value(3.0, [a], "f").parents == (a,)


def test_a_hand_built_node_without_a_closure_passes_no_gradient():
    x = Value(1.0)
    out = Value(2.0, (x,), "f")
    assert out.local_grads == (0.0,)
    out.backward()
    assert (out.grad, x.grad) == (1.0, 0.0)


def test_local_grads_of_a_closure_node_leave_every_gradient_as_it_was():
    x, y = Value(2.0), Value(3.0)
    x.grad, y.grad = 5.0, 7.0
    out = Value(6.0, (x, y), "mul")
    out.grad = 11.0

    def _backward():
        x.grad += y.data * out.grad
        y.grad += x.data * out.grad

    out._backward = _backward
    assert out.local_grads == (3.0, 2.0)
    assert (x.grad, y.grad, out.grad) == (5.0, 7.0, 11.0)


def test_hand_built_nodes_record_nothing_under_no_grad():
    x = Value(1.0)
    with no_grad():
        out = Value(2.0, (x,), "f")
    assert out.is_leaf and out.op == "" and out.parents == ()


def test_node_backward_pushes_its_gradient_once_with_plus_equals():
    a, b = Value(3.0), Value(4.0)
    c = a * b
    c.grad = 2.0
    c._backward()
    assert (a.grad, b.grad) == (8.0, 6.0)
    c._backward()
    assert (a.grad, b.grad) == (16.0, 12.0)
    a._backward()  # a leaf has nothing to push to
    assert a.grad == 16.0


def test_public_graph_attributes_are_read_only():
    x = Value(1.0)
    for name in ("op", "parents", "local_grads", "is_leaf"):
        with pytest.raises(AttributeError):
            setattr(x, name, None)


def test_data_grad_and_label_are_writable():
    x = Value(1.0)
    x.data, x.grad, x.label = 2.0, 3.0, "w"
    assert (x.data, x.grad, x.label) == (2.0, 3.0, "w")


def test_no_grad_ops_make_leaves():
    x = Value(2.0)
    with no_grad():
        y = (x * x).tanh()
    assert y.is_leaf and y.op == "" and y.local_grads == ()
    assert y.data == pytest.approx(math.tanh(4.0))


# -- copying and pickling (issue 9, item 13) -------------------------------------------


def chain(n):
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.001
    return x, y


@pytest.mark.parametrize("depth", [250, 100_000])
def test_deepcopy_of_a_deep_graph_works_without_recursion(depth):
    x, y = chain(depth)
    twin = copy.deepcopy(y)
    order, twin_order = topological_order(y), topological_order(twin)
    assert len(twin_order) == len(order) and not set(order) & set(twin_order)
    assert [n.data for n in twin_order] == [n.data for n in order]
    twin.backward()
    assert x.grad == 0.0  # the original is untouched
    y.backward()
    assert twin_order[0].grad == x.grad


def test_deepcopy_keeps_sharing_and_user_attributes():
    a = Value(3.0, label="a")
    a.m = [0.5]
    out = (a * a + a).tanh()
    a_copy, out_copy = copy.deepcopy([a, out])  # one memo: a_copy is out_copy's leaf
    assert a_copy is not a and a_copy.m == [0.5] and a_copy.m is not a.m
    mul = out_copy.parents[0].parents[0]
    assert mul.parents == (a_copy, a_copy) and out_copy.parents[0].parents[1] is a_copy
    assert out_copy.op == "tanh" and out_copy.local_grads == out.local_grads


def test_deepcopy_refuses_hand_built_nodes_and_says_why():
    x = Value(1.0)
    out = Value(2.0, (x,), "double")
    with pytest.raises(TypeError, match="closure refers to the original nodes"):
        copy.deepcopy(out)


def test_a_leaf_pickles_with_its_user_attributes():
    p = Value(0.25, label="w")
    p.grad, p.m = 1.5, 0.125
    q = pickle.loads(pickle.dumps(p))
    assert (q.data, q.grad, q.label, q.m, q.is_leaf) == (0.25, 1.5, "w", 0.125, True)
    params = pickle.loads(pickle.dumps([Value(1.0), Value(2.0)]))
    assert [v.data for v in params] == [1.0, 2.0]


def test_pickling_a_computed_value_refuses_and_says_what_to_do():
    x, y = chain(300)
    with pytest.raises(TypeError, match=r"computed by '\+'.*v\.data.*save its parameters"):
        pickle.dumps(y)
