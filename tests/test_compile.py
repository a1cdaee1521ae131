"""engine.compile: the compiled step equals the eager engine, on every backend."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import random
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

import engine
from engine import TraceError, Value, ops
from engine.compiler.api import compile_with_rules
from engine.strategies import expressions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import workloads  # noqa: E402

xp_strict = pytest.importorskip("array_api_strict")

# Generated code adds in a different order than eager backward (a layer is one matrix
# product; a batch's gradients are summed at once): agreement is to rounding, 1e-12.
RTOL = 1e-12

BACKENDS = ("python", "numpy", "strict")


def as_batch(rows, backend):
    """A batch argument (a list over examples) in the backend's form."""
    if backend == "python":
        return rows
    if backend == "numpy":
        return np.asarray(rows, dtype=float)
    return xp_strict.asarray(rows, dtype=xp_strict.float64)


def close(a: float, b: float, rtol: float = RTOL, floor: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + floor + 1e-300


def eager_mean(fn, rows, params):
    """What the compiled step must give: the mean loss, and grads added to params."""
    losses = [
        fn(*[Value(v) if not isinstance(v, list) else list(map(Value, v)) for v in r]) for r in rows
    ]
    total = sum(losses) * (1.0 / len(losses))
    total.backward()
    return total.data


# ---------------------------------------------------------------------------
# Differential: every op, first derivatives, every backend.


def differential(e, backend: str, rules=None) -> None:
    """The compiled step's loss and gradients equal eager's on expression ``e``, to 1e-12.

    The inputs are parameters here, so the compiled step's gradients are the
    first derivatives. The batch repeats the drawn point (the only one known to
    lie inside every op's domain) three times.
    """
    weights = [Value(x, label=f"w{i}") for i, x in enumerate(e.inputs)]

    def loss(t):
        return e.fn([w * t for w in weights])

    ts = [1.0, 1.0, 1.0]
    step = compile_with_rules(rules or {}, loss, (1.0,), params=weights)
    got = step(as_batch(ts, backend))
    compiled_grads = [w.grad for w in weights]
    for w in weights:
        w.grad = 0.0
    want = eager_mean(loss, [[t] for t in ts], weights)
    eager_grads = [w.grad for w in weights]
    if backend == "python":  # math's functions, as eager: to 1e-12
        floors = [0.0] * (1 + len(weights))
    else:
        floors = ulp_floors(loss, ts, weights, [want, *eager_grads])
    assert close(got, want, floor=floors[0]), (e, got, want, floors[0])
    for got_g, want_g, floor in zip(compiled_grads, eager_grads, floors[1:]):
        assert close(got_g, want_g, floor=floor), (e, got_g, want_g, floor)


# On arrays the functions are numpy's (tanh, exp, log, ...), not math's or the table's own
# tanh, and may be an ulp off them. Where a rule then cancels, as 1 - tanh² and σ(1 - σ) do
# near saturation, that ulp is more than 1e-12 of the result (tanh(x0 + x0) at x0 = -2.90625:
# 6e-12). So on arrays each number may also differ by what eager's own moves by when every
# op's output is one ulp off, up or down (four times it: compiled code may be off both ways).
def ulp_floors(loss, ts, weights, exact: list[float]) -> list[float]:
    moved = []
    for direction in (math.inf, -math.inf):
        with every_op_one_ulp_off(direction):
            for w in weights:
                w.grad = 0.0
            moved.append([eager_mean(loss, [[t] for t in ts], weights), *(w.grad for w in weights)])
    for w, g in zip(weights, exact[1:]):
        w.grad = g
    return [4 * max(abs(m[i] - x) for m in moved) for i, x in enumerate(exact)]


@contextlib.contextmanager
def every_op_one_ulp_off(direction: float):
    def nudged(forward):
        def off(*args):
            y = forward(*args)
            return math.nextafter(y, direction) if math.isfinite(y) else y

        return off

    table = {name: op for name, op in vars(ops).items() if isinstance(op, ops.Op)}
    try:
        for name, op in table.items():
            setattr(ops, name, dataclasses.replace(op, forward=nudged(op.forward)))
        yield
    finally:
        for name, op in table.items():
            setattr(ops, name, op)


@pytest.mark.parametrize("backend", BACKENDS)
@given(expressions())
def test_compiled_expressions_equal_eager(backend, e):
    """Every op, first derivatives, on every backend: compiled equals eager to 1e-12."""
    differential(e, backend)


@pytest.mark.parametrize("op", [ops.TANH, ops.MUL, ops.RELU])
def test_a_wrong_rule_in_a_copy_of_the_table_fails_the_differential_test(op):
    """The test tool can fail: one derivative off by a factor, found by the same property."""
    right = op.derivative
    wrong = dataclasses.replace(op, derivative=lambda *a: tuple(2.0 * d for d in right(*a)))

    # Derandomized, and allowed many examples: a wrong relu' only shows where some relu
    # input is positive and reaches the output, which a handful of draws can miss (it
    # stops at the first failure, so it is quick whenever the rule is wrong).
    @settings(max_examples=500, derandomize=True, database=None, deadline=None)
    @given(expressions(ops=["tanh", "mul", "relu", "add"]))
    def property_with_the_wrong_rule(e):
        differential(e, "numpy", rules={op: wrong})

    with pytest.raises(AssertionError):
        property_with_the_wrong_rule()


@pytest.mark.parametrize("backend", BACKENDS)
@given(expressions(min_inputs=2, max_inputs=2))
def test_compiled_forward_equals_eager_per_example(backend, e):
    """Forward-only mode: one output per example, each equal to the eager value."""
    rows = [e.inputs, [x * 1.0 for x in e.inputs]]
    step = engine.compile(lambda xs: e.fn(xs), (e.inputs,))
    out = step(as_batch(rows, backend))
    values = out if backend == "python" else [float(out[i]) for i in range(len(rows))]
    for row, value in zip(rows, values):
        assert close(value, e.fn([Value(x) for x in row]).data)


def test_inputs_get_no_gradient_and_the_batch_varies():
    """Per-example inputs differ; the gradient is the mean of the per-example gradients."""
    w = Value(0.3, label="w")

    def loss(x, y):
        return (w * x - y).tanh() ** 2 + (w * x).sigmoid().log()

    xs, ys = [0.5, -1.0, 2.0, 3.0], [1.0, 0.0, -1.0, 0.5]
    for backend in BACKENDS:
        w.grad = 0.0
        step = engine.compile(loss, (0.5, 1.0), params=[w])
        got = step(as_batch(xs, backend), as_batch(ys, backend))
        g = w.grad
        w.grad = 0.0
        want = eager_mean(loss, list(zip(xs, ys)), [w])
        assert close(got, want) and close(g, w.grad), backend


def test_reduce_sum_and_gradients_add_up():
    w = Value(2.0)
    step = engine.compile(lambda x: w * x * x, (1.0,), params=[w], reduce="sum")
    assert step([1.0, 2.0]) == 2.0 * 1 + 2.0 * 4
    step([1.0, 2.0])  # gradients are added, as backward() adds into leaves
    assert w.grad == 2 * (1.0 + 4.0)


# ---------------------------------------------------------------------------
# W1 end to end.


def _w1(backend: str, steps: int = 20):
    X, y = workloads.moons(100)
    weights = workloads.initial_weights()
    eager = workloads.ValueMLP(Value, weights)
    model = workloads.ValueMLP(Value, weights)
    params = model.parameters()

    def loss(x, yi):
        return (1 + -yi * model(x)).relu() + workloads.ALPHA * sum(p * p for p in params)

    step = engine.compile(loss, (X[0], y[0]), params=params)
    Xb, yb = as_batch(X, backend), as_batch([float(v) for v in y], backend)
    worst = 0.0
    for k in range(steps):
        want = workloads.value_step(eager, Value, X, y, k)
        for p in params:
            p.grad = 0.0
        got = step(Xb, yb)
        for p in params:
            p.data -= workloads.learning_rate(k) * p.grad
        worst = max(worst, abs(got - want) / abs(want))
        for a, b in zip(eager.parameters(), params):
            worst = max(worst, abs(a.data - b.data) / max(abs(a.data), 1e-12))
    return worst, step


@pytest.mark.parametrize("backend", BACKENDS)
def test_w1_twenty_sgd_steps_equal_eager(backend):
    worst, _ = _w1(backend)
    assert worst < RTOL


def test_w1_source_is_layers_as_matrix_products():
    _, step = _w1("numpy", steps=1)
    source = step.source
    assert source.count(".T + b_z") == 3  # three layers, forward: x @ W.T + b
    assert source.count(".T @ ") == 3  # their weight gradients, backward
    assert "Σ of 337 products of parameters, once" in source  # the L2 penalty
    assert len(source.splitlines()) < 60  # the fused source stays short at any width
    assert source.index("# forward") < source.index("# backward")
    with pytest.raises(ValueError, match="too many to read"):
        _ = step.source_per_node


def test_unfused_fallback_equals_fused():
    X, y = workloads.moons(10)
    model = workloads.ValueMLP(Value, workloads.initial_weights())
    params = model.parameters()

    def loss(x, yi):
        return (1 + -yi * model(x)).relu()

    grads = []
    for fuse in (True, False):
        for p in params:
            p.grad = 0.0
        step = engine.compile(loss, (X[0], y[0]), params=params, fuse=fuse)
        value = step(np.asarray(X), np.asarray(y, dtype=float))
        grads.append((value, [p.grad for p in params]))
    (a, ga), (b, gb) = grads
    assert close(a, b) and all(close(u, v) for u, v in zip(ga, gb))


def test_per_node_source_is_the_chain_rule_edge_by_edge():
    w = Value(0.5, label="w")
    step = engine.compile(lambda x: (w * x).relu(), (1.0,), params=[w])
    source = step.source_per_node
    # Each comment is the table's formula for that edge, in the code's own names: relu's
    # "0 if x <= 0 else 1" of its input v2, mul's "b" (∂(a·b)/∂a) for w = p0, times x = v1.
    assert "g2 = (0.0 if v2 <= 0.0 else 1.0) * g3  # ∂v3/∂v2 = 0 if v2 <= 0 else 1" in source
    assert "gp0 += v1 * g2  # ∂v2/∂p0 = v1" in source


def test_array_source_comments_name_the_codes_own_variables():
    w = Value(0.5, label="w")
    step = engine.compile(lambda x: (w * x).exp().log(), (1.0,), params=[w])
    lines = step.source.splitlines()
    assert any(line.endswith("# ∂v4/∂v3 = 1/v3") for line in lines), step.source
    assert any(line.endswith("# ∂v3/∂v2 = exp(v2)") for line in lines), step.source


def test_a_traced_graph_prints_itself_as_equations():
    w = Value(3.0, label="w")
    step = engine.compile(lambda x, y: (w * x[0] + x[1]).tanh() - y, ([0.5, 1.0], 0.0))
    assert str(step.graph) == (
        "{ lambda p0 ; x[2], y .\n"
        "    v2 = mul p0 x[0]\n"
        "    v4 = add v2 x[1]\n"
        "    v5 = tanh v4\n"
        "    v7 = sub v5 y\n"
        "  in v7 }"
    )


# ---------------------------------------------------------------------------
# Honest tracing.


def test_branch_on_a_value_comparison_raises():
    def fn(x):
        return x * 2 if x > 0 else -x

    with pytest.raises(TraceError, match=r"x > 0 compares a Value while tracing.*relu"):
        engine.compile(fn, (1.0,))
    assert isinstance(TraceError("x"), TypeError)
    assert Value(1.0) > 0  # comparisons work again once tracing is over


def test_data_branch_that_flips_is_caught_by_validate():
    def fn(x):
        return x * 2.0 if x.data > 0 else x * -3.0

    step = engine.compile(fn, (1.0,))
    with pytest.raises(TraceError, match="different graph for example 2"):
        step([1.0, 2.0, -1.0])
    unchecked = engine.compile(fn, (1.0,), validate=0)
    assert unchecked([1.0, 2.0, -1.0]) == [2.0, 4.0, -2.0]  # what validate guards against


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_detect_anomaly_reports_the_first_non_finite_value_with_its_op():
    w = Value(1.0, label="w")
    step = engine.compile(
        lambda x: (w * x).log() + x, (1.0,), params=[w], detect_anomaly=True, validate=0
    )
    with pytest.raises(FloatingPointError, match=r"detect_anomaly=True\): log"):
        step(np.asarray([1.0, -1.0]))
    assert w.grad == 0.0  # nothing delivered
    quiet = engine.compile(lambda x: (w * x).log() + x, (1.0,), params=[w], validate=0)
    assert math.isnan(quiet(np.asarray([1.0, -1.0])))  # NaN is passed on, never swallowed


def test_hand_built_and_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="reduce"):
        engine.compile(lambda x: x, (1.0,), reduce="max")
    with pytest.raises(TraceError, match="one Value"):
        engine.compile(lambda x: [x, x], (1.0,), params=[])
    step = engine.compile(lambda x: x * 2, ([1.0, 2.0],) and (1.0,))
    with pytest.raises(ValueError, match="different numbers of examples"):
        engine.compile(lambda a, b: a * b, (1.0, 2.0))([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        step([])


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_a_batch_after_one_that_passed_is_checked_again(backend):
    # The step skips re-checking arrays of the types and shapes of the last batch that
    # passed; any other batch is checked in full.
    w = Value(2.0, label="w")
    step = engine.compile(lambda x, t: (w * x[0] - t) ** 2, ([1.0, 0.0], 0.0), params=[w])
    xs, ts = as_batch([[1.0, 0.0], [2.0, 0.0]], backend), as_batch([0.0, 0.0], backend)
    assert step(xs, ts) == step(xs, ts) == 10.0  # mean of 2², 4²
    with pytest.raises(ValueError, match="shape"):  # three numbers per example, not two
        step(as_batch([[1.0, 0.0, 0.0]] * 2, backend), ts)
    with pytest.raises(ValueError, match="different numbers of examples"):
        step(xs, as_batch([0.0], backend))
    assert step(as_batch([[3.0, 0.0]], backend), as_batch([0.0], backend)) == 36.0  # n = 1


def test_forward_mode_reads_weights_at_every_call():
    random.seed(0)
    w = Value(2.0, label="w")
    step = engine.compile(lambda x: [w * x, x + 1], (1.0,))
    assert step([1.0, 3.0]) == [[2.0, 2.0], [6.0, 4.0]]
    w.data = 5.0
    assert np.asarray(step(np.asarray([1.0, 3.0]))).tolist() == [[5.0, 2.0], [15.0, 4.0]]


def test_hand_built_micrograd_nodes_are_refused():
    w = Value(2.0, label="w")

    def fn(t):
        out = Value(2 * (w * t).data, (w * t,), "double")  # micrograd's way: a closure
        out._backward = lambda: None
        return out

    with pytest.raises(TraceError, match="built by hand or given its own _backward"):
        engine.compile(fn, (1.0,), params=[w])

    def closure(t):
        out = w * t
        out._backward = lambda: None  # a table node whose backward the user replaced
        return out

    with pytest.raises(TraceError, match="_backward"):
        engine.compile(closure, (1.0,), params=[w])


def test_the_pure_python_backend_needs_no_numpy():
    """import engine and a compiled step on lists load neither numpy nor array-api-compat."""
    import subprocess

    code = (
        "import sys, engine\n"
        "w = engine.Value(0.5)\n"
        "step = engine.compile(lambda x: (w * x).tanh() ** 2, (1.0,), params=[w])\n"
        "step([1.0, 2.0]); step.source_per_node\n"
        "print(sorted({'numpy', 'array_api_compat', 'array_api_strict'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_layer_written_by_hand_is_recognised_as_a_matrix_product():
    """x·w in either order, the bias added last, a sum() starting from 0: still x @ W.T + b."""
    rng = random.Random(5)
    W = [[Value(rng.uniform(-1, 1), label=f"w{j}{i}") for i in range(3)] for j in range(4)]
    b = [Value(rng.uniform(-1, 1), label=f"b{j}") for j in range(4)]
    params = [p for row in W for p in row] + b

    def loss(x, t):
        hidden = [(sum(x[i] * W[j][i] for i in range(3)) + b[j]).tanh() for j in range(4)]
        return (sum(hidden) - t) ** 2

    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]
    T = [rng.uniform(-1, 1) for _ in range(6)]
    step = engine.compile(loss, (X[0], T[0]), params=params)
    assert "z1 = x @ W_z1.T + b_z1" in step.source
    got = step(np.asarray(X), np.asarray(T))
    compiled = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    want = eager_mean(loss, [[x, t] for x, t in zip(X, T)], params)
    assert close(got, want)
    assert all(close(a, p.grad) for a, p in zip(compiled, params))


def test_pure_python_errors_name_the_generated_line_and_its_op():
    w = Value(1.0, label="w")
    step = engine.compile(lambda x: (w * x).exp() * 0.0, (1.0,), params=[w], validate=0)
    with pytest.raises(OverflowError, match=r"math range error in 'v\d+ = exp\(v\d+\)  # exp'"):
        step([1.0, 1000.0])
    assert w.grad == 0.0  # nothing delivered


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_checks_is_the_deprecated_name_of_detect_anomaly():
    w = Value(1.0, label="w")
    with pytest.warns(DeprecationWarning, match="write detect_anomaly=") as warned:
        step = engine.compile(lambda x: (w * x).log(), (1.0,), params=[w], checks=True, validate=0)
    assert warned[0].filename == __file__  # the warning points at the caller's line
    assert step.detect_anomaly is True
    with pytest.raises(FloatingPointError, match="detect_anomaly=True"):
        step(np.asarray([1.0, -1.0]))
    with pytest.raises(TypeError, match="detect_anomaly must be True or False"):
        engine.compile(lambda x: w * x, (1.0,), params=[w], detect_anomaly="yes")


def test_test_hooks_are_not_part_of_compiles_signature():
    import inspect

    assert "rules" not in inspect.signature(engine.compile).parameters
    with pytest.raises(TypeError, match="rules"):
        engine.compile(lambda x: x, (1.0,), rules={})


def test_detect_anomaly_in_pure_python_names_the_op():
    w = Value(1.0, label="w")
    step = engine.compile(lambda x: w * x / x, (1.0,), params=[w], detect_anomaly=True, validate=0)
    with pytest.raises(FloatingPointError, match=r"mul \(node v\d+\) produced inf, the first"):
        step([1.0, math.inf])
    assert w.grad == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_a_loss_without_inputs_is_the_same_for_every_example(backend, reduce):
    """fn ignores its example (a penalty alone): no per-example loop, mean = itself, sum = n×."""
    w = Value(3.0)
    step = engine.compile(lambda x: w * w, (1.0,), params=[w], reduce=reduce)
    got = step(as_batch([1.0, 2.0, 5.0], backend))
    n = 3 if reduce == "sum" else 1
    assert got == 9.0 * n and close(w.grad, 6.0 * n)
