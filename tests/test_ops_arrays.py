"""One rule, many interpreters: every op's array forward and derivative, on numpy and on
the Array API's reference arrays, equal the float path element by element."""

import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import ops
from engine.ops import OPS
from engine.strategies import op_inputs

np = pytest.importorskip("numpy")
xp_strict = pytest.importorskip("array_api_strict")

# Points on both sides of every kink and domain edge, the extremes, and NaN.
POINTS = (-1000.0, -3.5, -1.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 1.0, 2.5, 40.0, 1000.0, math.nan)
PAIRS = [(a, b) for a in (-2.0, -0.5, 0.0, 0.5, 3.0, math.nan) for b in (-2.0, 0.0, 0.5, 3.0)]
CONSTANTS = {"pow": (-1.0, 0.0, 0.5, 2.0, 3.0), "leaky_relu": (0.0, 0.01, 0.2)}
UNARY = [op for op in OPS if op.arity == 1 and not op.has_constant]
BINARY = [op for op in OPS if op.arity == 2]
WITH_CONSTANT = [op for op in OPS if op.has_constant]


def float_path(op, xs, constant):
    """The op's forward and local derivatives on floats, or None outside its domain."""
    args = [*xs] if constant is None else [*xs, constant]
    if op.outside_domain is not None and op.outside_domain(*args) is not None:
        return None
    try:
        out = op.forward(*args)
    except OverflowError:
        return None
    return out, op.derivative(out, *args)


def same(got: float, want: float) -> bool:
    # numpy's exp, log, sin... and libm's may differ in the last bit or two.
    if math.isnan(want):
        return math.isnan(got)
    if math.isinf(want):
        return got == want
    return abs(got - want) <= 2e-15 * max(1.0, abs(want))  # ~8 ulps


def check_elementwise(op, columns, constant, asarray, tolist):
    """Run op's array forms over ``columns`` (one list per input) and compare with floats."""
    rows = list(zip(*columns))
    expected = [float_path(op, row, constant) for row in rows]
    keep = [i for i, e in enumerate(expected) if e is not None]
    if not keep:
        return
    arrays = [asarray([col[i] for i in keep]) for col in columns]
    extra = [] if constant is None else [constant]
    out = op.forward_array(*arrays, *extra)
    locals_ = op.derivative(out, *arrays, *extra)
    n = len(keep)
    got_out = tolist(out, n)
    got_locals = [tolist(local, n) for local in locals_]
    for k, i in enumerate(keep):
        want_out, want_locals = expected[i]
        assert same(got_out[k], want_out), (op.name, rows[i], got_out[k], want_out)
        for got, want in zip(got_locals, want_locals):
            assert same(got[k], want), (op.name, rows[i], "derivative", got[k], want)


def numpy_list(a, n):
    return [float(v) for v in np.broadcast_to(np.asarray(a, dtype=float), (n,))]


def strict_list(a, n):
    if isinstance(a, (int, float)):
        return [float(a)] * n
    a = xp_strict.broadcast_to(a, (n,))
    return [float(a[i]) for i in range(n)]


BACKENDS = {
    "numpy": (lambda values: np.asarray(values, dtype=np.float64), numpy_list),
    "array_api_strict": (
        lambda values: xp_strict.asarray(values, dtype=xp_strict.float64),
        strict_list,
    ),
}


def columns_and_constants(op):
    """(columns, constant) batches covering POINTS (or PAIRS) for ``op``."""
    if op.has_constant:
        constants = CONSTANTS["leaky_relu" if op is ops.LEAKY_RELU else "pow"]
        return [([list(POINTS)], c) for c in constants]
    if op.arity == 2:
        return [([[a for a, _ in PAIRS], [b for _, b in PAIRS]], None)]
    return [([list(POINTS)], None)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_array_forms_equal_the_float_path_at_kinks_edges_and_extremes(op, backend):
    asarray, tolist = BACKENDS[backend]
    with np.errstate(all="ignore"):  # inf slopes (sqrt at 0) are right, and warn in numpy
        for columns, constant in columns_and_constants(op):
            check_elementwise(op, columns, constant, asarray, tolist)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_array_forms_equal_the_float_path_inside_the_domain(op, backend, data):
    batch = data.draw(st.lists(op_inputs(op.name), min_size=1, max_size=6))
    asarray, tolist = BACKENDS[backend]
    constant = batch[0][-1] if op.has_constant else None
    if op.has_constant:  # one constant per array call, as in compiled code
        batch = [xs for xs in batch if xs[-1] == constant]
    columns = [list(col) for col in zip(*[xs[: op.arity] for xs in batch])]
    check_elementwise(op, columns, constant, asarray, tolist)


@pytest.mark.parametrize(
    "op", [ops.SIGMOID, ops.SOFTPLUS, ops.RELU, ops.TANH, ops.EXP], ids=lambda op: op.name
)
def test_array_forwards_never_overflow_or_warn_on_the_branch_not_taken(op):
    x = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 700.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        if op is ops.EXP:
            x = x[x < 700]  # exp of more overflows, rightly: its result is inf
        out = op.forward_array(x)
        op.derivative(out, x)
    assert np.all(np.isfinite(out))


def test_where_takes_a_branch_on_bools_including_numpy_bools():
    assert ops.where(True, 1.0, 0.0) == 1.0
    assert ops.where(np.float64(-2.0) > 0, 1.0, 0.0) == 0.0
    assert type(ops.where(np.float64(2.0) > 0, 1.0, 0.0)) is float


def test_where_on_arrays_keeps_the_array_library():
    x = xp_strict.asarray([-1.0, 2.0])
    out = ops.where(x > 0, 1.0, 0.0)  # two plain numbers: the standard wants an array among them
    assert isinstance(out, type(x)) and [float(out[0]), float(out[1])] == [0.0, 1.0]


def test_helpers_on_values_build_graphs():
    from engine import Value

    x = Value(0.5)
    for helper, method in [(ops.exp, "exp"), (ops.sin, "sin"), (ops.sigmoid, "sigmoid")]:
        out = helper(x)
        assert isinstance(out, Value) and out.op == method and out.parents == (x,)
    # maximum with a plain number on either side: the number is a constant input, in place
    for a, b in [(x, 2.0), (2.0, x)]:
        out = ops.maximum(a, b)
        assert out.op == ops.MAXIMUM.symbol and [p.data for p in out.parents] == [
            v.data if isinstance(v, Value) else v for v in (a, b)
        ]


def test_an_object_without_a_namespace_gets_a_message_naming_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "array_api_compat", None)  # as if not installed
    with pytest.raises(TypeError, match=r"list has no __array_namespace__.*array-api-compat"):
        ops.exp([1.0, 2.0])


def test_power_and_reciprocal_give_inf_like_pytorch_instead_of_raising():
    assert ops.power(1e-200, -2.0) == math.inf  # Python's ** raises OverflowError
    assert ops.power(-1e-200, -3.0) == -math.inf  # an odd power keeps the sign
    assert ops.power(0.0, -1.0) == math.inf  # Python's ** raises ZeroDivisionError
    assert ops.reciprocal(0.0) == math.inf and ops.reciprocal(-0.0) == -math.inf
