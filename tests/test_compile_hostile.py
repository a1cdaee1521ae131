"""engine.compile against a hostile user: labels, odd parameters, odd batches, threads, copies.

Each test is one of issue 20's reproductions made a rule: the compiled step
either equals the eager engine or refuses with a message saying why and what to
do instead; it never computes something else, and no text of the user's
reaches code that Python runs.
"""

from __future__ import annotations

import copy
import inspect
import keyword
import math
import pickle
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from batches import BACKENDS, as_batch, close
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import TraceError, Value, ops
from engine.compiler.symbols import FLOAT_FUNCTIONS


def eager_step(loss, rows, params) -> tuple[float, list[float]]:
    """The mean loss over ``rows`` and each parameter's gradient, from eager backward."""
    for p in params:
        p.grad = 0.0
    losses = [loss(*[Value(v) if not isinstance(v, list) else [*map(Value, v)] for v in r])
              for r in rows]  # fmt: skip
    mean = sum(losses) * (1.0 / len(losses))
    mean.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return mean.data, grads


def compiled_step(step, columns, params, backend) -> tuple[float, list[float]]:
    for p in params:
        p.grad = 0.0
    loss = step(*[as_batch(c, backend) for c in columns])
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return loss, grads


# ---------------------------------------------------------------------------
# 1. A label never reaches code Python reads, and any str label compiles.

HOSTILE_LABELS = [
    'w\n    open(PATH, "w").write("x")',  # a newline ended the comment: the next line ran
    'w\r    open(PATH, "w").write("x")',  # so did a carriage return
    "w\r\n    raise SystemExit",
    "w\x00",  # SyntaxError: source code cannot contain null bytes
    "w\ud800",  # UnicodeEncodeError: a lone surrogate
    "w" * 20_000,
    "w\u2028x\x85y\x0c\x0b\x1c",  # line breaks to str.splitlines (the traceback's line numbers)
    "\x1b[31mred\x1b[0m",
    "# -*- coding: latin-1 -*-",
    "'''\"\"\"\\",
    "",
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("label", HOSTILE_LABELS, ids=range(len(HOSTILE_LABELS)))
def test_any_label_compiles_and_no_label_text_runs(label, backend, tmp_path):
    ran = tmp_path / "ran"
    label = label.replace("PATH", repr(str(ran)))
    w, b = Value(0.5, label=label), Value(0.25, label=label)

    def loss(x):
        y = (w * x + b).tanh()
        y.label = label  # an operation's label too
        return (y - 1.0) ** 2

    for detect_anomaly in (False, True):
        step = engine.compile(loss, (1.0,), params=[w, b], detect_anomaly=detect_anomaly)
        got = compiled_step(step, [[1.0, 2.0, -1.0]], [w, b], backend)
        want = eager_step(loss, [[1.0], [2.0], [-1.0]], [w, b])
        assert close(got[0], want[0]) and all(map(close, got[1], want[1]))
        assert not ran.exists()
        for text in (step.source, step.source_per_node):  # people read labels, escaped
            assert text.splitlines() == text.removesuffix("\n").split("\n")
            assert all(line.isprintable() for line in text.splitlines())
        if label.isprintable():
            assert f"# {label[:20]}" in step.source_per_node  # a long one is cut in the middle


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_a_label_shows_escaped_in_the_source_and_in_error_messages():
    w = Value(1.0, label="w\nopen(0)\x00")

    def fn(x):
        y = (w * x).log()
        y.label = "log\nof\ud800w"
        return y

    step = engine.compile(fn, (1.0,), detect_anomaly=True, validate=0)
    assert "# w\\nopen(0)\\x00" in step.source_per_node
    shown = r"log\\nof\\ud800w"  # the label as the message shows it: escaped, on one line
    with pytest.raises(ValueError, match=f"math domain error in 'v\\d+ = .*# log {shown}'"):
        step([-1.0])
    with pytest.raises(FloatingPointError, match=rf"log \(node v\d+ {shown}\) produced"):
        step(np.asarray([-1.0]))


def test_a_function_name_that_compile_would_refuse_still_compiles():
    w = Value(0.5)

    def fn(x):
        return w * x

    fn.__name__ = "f\x00\n\ud800"
    assert engine.compile(fn, (1.0,))([2.0]) == [1.0]


# ---------------------------------------------------------------------------
# 4. A parameter that is a computed Value is a leaf: its .data read, its gradient added.


def scaled_initialisation():
    return Value(0.1) * 1.0, Value(0.0, label="b")  # w is computed, b a leaf


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_computed_parameter_trains_as_eagerly(backend):
    X, Y = [0.5, 1.0, 2.0, -1.0], [1.0, 2.0, 4.0, -2.0]

    def sgd(step_fn, params, steps=5):
        history = []
        for _ in range(steps):
            loss, grads = step_fn(params)
            history.append((loss, grads))
            for p, g in zip(params, grads):
                p.data -= 0.1 * g  # opt.step() moves a computed Value's .data too
        return history, [p.data for p in params]

    w, b = scaled_initialisation()

    def loss(x, y):
        return (w * x + b - y) ** 2

    eager = sgd(lambda ps: eager_step(loss, [[x, y] for x, y in zip(X, Y)], ps), [w, b])
    w2, b2 = scaled_initialisation()

    def loss2(x, y):
        return (w2 * x + b2 - y) ** 2

    step = engine.compile(loss2, (1.0, 2.0), params=[w2, b2])
    compiled = sgd(lambda ps: compiled_step(step, [X, Y], ps, backend), [w2, b2])
    assert compiled[1][0] != 0.1  # trained
    for (l1, g1), (l2, g2) in zip(eager[0], compiled[0]):
        assert close(l1, l2) and all(map(close, g1, g2))
    assert all(map(close, eager[1], compiled[1]))


def test_a_forward_step_reads_a_computed_weight_as_eager_ops_do():
    w = Value(0.1) * 1.0
    forward = engine.compile(lambda x: w * x, (1.0,))
    w.data = 3.0  # as opt.step() sets it
    assert forward([2.0]) == [6.0]
    assert forward.state == [w]


def test_a_parameter_computed_from_another_parameter_is_refused_naming_both():
    a = Value(0.5, label="a")
    b = a * 2.0
    b.label = "b"
    with pytest.raises(ValueError, match=r"params\[1\], 1.0 \(node 'b'\), was computed from "
                                         r"params\[0\], 0.5 \(node 'a'\)"):  # fmt: skip
        engine.compile(lambda x: a * x + b * x, (1.0,), params=[a, b])


# ---------------------------------------------------------------------------
# 5. == and != on a traced Value are refused; outside a trace they stay identity.


@pytest.mark.parametrize(
    "branch, named",
    [
        (lambda x, t: x * (1.0 if t == 1 else -1.0), "t == 1"),
        (lambda x, t: x * (1.0 if 1 == t else -1.0), "t == 1"),
        (lambda x, t: x * (1.0 if t != 0.0 else -1.0), "t != 0.0"),
        (lambda x, t: x * (1.0 if t == x else -1.0), "t == x"),
        (lambda x, t: x * (1.0 if np.float64(1.0) == t else -1.0), "t == 1.0"),
    ],
)
def test_equality_of_a_traced_value_is_refused_naming_it(branch, named):
    with pytest.raises(TraceError, match=f"^{named} compares a Value while tracing"):
        engine.compile(branch, (1.0, 1.0))


def test_outside_a_trace_values_compare_equal_only_to_themselves_and_hash_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and not (a == b) and not (a != a)
    assert a != 1.0 and not (a == 1.0) and a is not None
    assert {a: "a", b: "b"}[b] == "b" and [b, a].index(a) == 1 and a in {a}
    assert bool(Value(0.0))  # a Value is true, as any object
    assert hash(a) == object.__hash__(a)


# ---------------------------------------------------------------------------
# 6. A list beside an array is checked as the array it becomes.


@pytest.mark.parametrize("first", ["list", "array"])
def test_a_list_beside_an_array_gets_the_shape_check_an_array_gets(first):
    w = Value(0.5)
    step = engine.compile(lambda x, y: (w * x - y) ** 2, (1.0, 2.0), params=[w])
    rows, ys = [[1.0], [2.0], [3.0]], np.asarray([1.0, 2.0, 3.0])
    with pytest.raises(ValueError) as as_array:
        step(np.asarray(rows), ys)
    assert "batch argument 0 has shape (3, 1), expected (3,)" in str(as_array.value)
    with pytest.raises(ValueError) as as_list:
        step(rows, ys) if first == "list" else step(ys, rows)
    assert str(as_list.value) == str(as_array.value).replace("0", "0" if first == "list" else "1")
    assert w.grad == 0.0


def test_a_list_beside_an_array_computes_what_two_arrays_do():
    w = Value(0.5)
    forward = engine.compile(lambda x, y: w * x[0] - y, ([1.0], 2.0))
    xs, ys = [[1.0], [2.0], [3.0]], [1.0, 2.0, 4.0]
    want = forward(np.asarray(xs), np.asarray(ys)).tolist()
    assert forward(xs, np.asarray(ys)).tolist() == want == forward(np.asarray(xs), ys).tolist()
    with pytest.raises(ValueError, match=r"batch argument 0 has shape \(3, 2\), expected \(3, 1\)"):
        forward([[1.0, 0.0]] * 3, np.asarray(ys))
    with pytest.raises(ValueError, match="batch argument 1 is not numbers of one shape"):
        forward(np.asarray(xs), [1.0, [2.0], 3.0])


def test_rows_where_an_example_is_a_number_are_refused_in_pure_python_too():
    w = Value(0.5)
    step = engine.compile(lambda x, y: (w * x - y) ** 2, (1.0, 2.0), params=[w])
    with pytest.raises(ValueError, match="batch argument 0: every example is a number"):
        step([[1.0], [2.0]], [1.0, 2.0])


# ---------------------------------------------------------------------------
# 7. Tracing refuses comparisons in its own thread only and patches nothing.


def test_a_trace_in_one_thread_leaves_every_other_threads_comparisons_alone():
    inside, release = threading.Event(), threading.Event()
    failures = []

    def slow(x):
        inside.set()
        release.wait(10)
        return x * 2.0

    def compile_slowly():
        try:
            engine.compile(slow, (1.0,), validate=0)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    tracer = threading.Thread(target=compile_slowly)
    tracer.start()
    try:
        assert inside.wait(10)
        a, b = Value(1.0), Value(2.0)
        assert a < b and a <= b and b > a and b >= a and a != b and bool(a) and max(a, b) is b
    finally:
        release.set()
        tracer.join(10)
    assert not failures


def test_concurrent_compiles_work_and_leave_value_as_it_was():
    before = dict(vars(Value))
    w = Value(0.5)

    def good(x):
        return (w * x).tanh()

    def bad(x):
        return x if x > 0 else -x

    def compile_one(k):
        if k % 2:
            with pytest.raises(TraceError, match="x > 0 compares a Value"):
                engine.compile(bad, (1.0,))
            return None
        return engine.compile(good, (1.0,))([1.0, 2.0])

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(compile_one, range(40)))
    assert results[::2] == [[math.tanh(0.5), math.tanh(1.0)]] * 20
    assert dict(vars(Value)) == before
    assert Value(1.0) < Value(2.0) and bool(Value(0.0))
    assert engine.modes._tracing.get() is None


# ---------------------------------------------------------------------------
# 18. A parameter listed twice is one parameter.


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_parameter_listed_twice_gets_its_gradient_once(backend):
    w, b = Value(0.5, label="w"), Value(0.1, label="b")

    def loss(x):
        return (w * x + b) ** 2

    step = engine.compile(loss, (1.0,), params=[w, b, w, w])
    assert step.state == [w, b]
    got = compiled_step(step, [[1.0, 2.0]], [w, b], backend)
    want = eager_step(loss, [[1.0], [2.0]], [w, b])
    assert close(got[0], want[0]) and all(map(close, got[1], want[1]))


# ---------------------------------------------------------------------------
# 19. A Value used as an index is refused, saying how to write it instead.


def test_a_value_used_as_a_list_index_is_refused_saying_what_to_write():
    with pytest.raises(TraceError, match="fn used a Value as an index while tracing") as refused:
        engine.compile(lambda x, t: [x, 2.0 * x][t], (1.0, 0.0))
    assert "one-hot" in str(refused.value)
    with pytest.raises(TypeError, match="list indices must be integers or slices, not Value"):
        [1.0, 2.0][Value(0.0)]  # eagerly too, as Python says it


# ---------------------------------------------------------------------------
# 20. Any valid parameter names compile, on every backend.


def with_parameters(names: list[str]):
    """A loss of as many numbers as ``names``, with those names as its parameters."""
    w = Value(0.5, label="w")

    def fn(*args):
        return sum((w * a * (k + 1) for k, a in enumerate(args)), Value(0.0)).tanh() ** 2

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fn.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in names])
    return fn, w


def compiles_equal_to_eager(names: list[str]) -> None:
    fn, w = with_parameters(names)
    columns = [[0.5 + k, -1.0 + k] for k in range(len(names))]
    rows = [list(r) for r in zip(*columns)]
    want = eager_step(fn, rows, [w])
    step = engine.compile(fn, tuple(r for r in rows[0]), params=[w])
    assert len(set(step.graph.arg_names)) == len(names)
    for backend in BACKENDS:
        got = compiled_step(step, columns, [w], backend)
        assert close(got[0], want[0]) and close(got[1][0], want[1][0]), backend
    forward = engine.compile(fn, tuple(rows[0]))
    assert forward(*columns) == [fn(*map(Value, r)).data for r in rows]


NAMES_CODE_USES = sorted(
    {"xp", "theta", "n", "scale", "loss", "grads", "zeros", "total", "results", "run"}
    | {"math", "sign", "sigmoid", "isfinite", "require_finite", "fail", "zip", "_", "abs", "max"}
    | {"min"}
    | {name for name in FLOAT_FUNCTIONS.values() if name.isidentifier()}
    | {op.name for op in ops.OPS}
    | {"v1", "g1", "g_z1", "W_z1", "gW_z1", "x_z1", "h1", "z1", "e0", "e1", "a0", "a1", "p0", "I1"}
)


# Names the array code gives a layer's or a reduction's vectors and their gradients: the
# plan numbers its sums s1, s2, …, its maxima m1, …, with gradients g_s1, g_m1, …
VECTOR_NAMES = [f"{g}{kind}{k}" for g in ("", "g_") for kind in "smzh" for k in (1, 2, 3, 4)]


@pytest.mark.parametrize("name", [*VECTOR_NAMES, "max_slopes"])
def test_an_argument_named_as_a_vector_of_the_array_code_compiles_equal_to_eager(name):
    # An argument named g_s3 was overwritten by the gradient of the sum s3 it fed:
    # no error, and w.grad -0.968 instead of eager's -1.218.
    w = Value(0.7, label="w")

    def fn(x, c):
        terms = [(w * xi).tanh() for xi in x]
        top = terms[0]
        for t in terms[1:]:
            top = top.maximum(t)
        return w * c + sum(terms[1:], terms[0]) * c + top

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fn.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in ("x", name)])
    X = np.array([[0.1, 0.2, 0.3], [0.5, -0.2, 0.9]])
    C = np.array([2.0, -3.0])
    step = engine.compile(fn, ([0.1, 0.2, 0.3], 2.0), params=[w])
    w.grad = 0.0
    loss = step(X, C)
    got = w.grad
    w.grad = 0.0
    want = sum(fn([Value(v) for v in X[i]], Value(C[i])) for i in range(2)) * 0.5
    want.backward()
    assert loss == pytest.approx(want.data, rel=1e-12)
    assert got == pytest.approx(w.grad, rel=1e-12), step.source


@pytest.mark.parametrize("name", NAMES_CODE_USES)
def test_a_parameter_named_as_generated_code_names_something_compiles(name):
    compiles_equal_to_eager(["x", name, f"{name}_", "y"])


@pytest.mark.parametrize(
    "names",
    [
        ["zip"],
        ["n", "n_"],
        ["n_", "n"],
        ["n", "n_", "n__"],
        ["a1", "a0"],
        ["tanh", "tanh_"],
        ["ﬁ", "x"],
        ["λ", "Ω", "ß"],
        ["match", "case", "type"],
        ["_x", "__x", "x__"],
    ],
)
def test_parameter_names_that_clashed_compile(names):
    compiles_equal_to_eager(names)


identifiers = st.from_regex(r"[A-Za-z_\u00c0-\u024f\u0391-\u03c9][\w]{0,6}", fullmatch=True).filter(
    lambda s: s.isidentifier() and not keyword.iskeyword(s) and s != "__debug__"
)


@given(st.lists(identifiers, min_size=1, max_size=4))
def test_any_valid_parameter_names_compile_on_every_backend(names):
    # A function cannot have two parameters Python reads as one name.
    normal = [unicodedata.normalize("NFKC", n) for n in names]
    names = [n for k, n in enumerate(names) if normal[k] not in normal[:k]]
    if any(not unicodedata.normalize("NFKC", n).isidentifier() for n in names):
        return
    compiles_equal_to_eager(names)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("backend", BACKENDS)
def test_infinite_and_nan_constants_compile_beside_arguments_named_inf_nan_and_float(backend):
    w = Value(0.5)

    def fn(x, inf, nan, float):  # noqa: A002 - the point: names the code's constants could use
        finite = (w * x).maximum(-math.inf) + inf + nan * float
        return [finite, (w * x).maximum(math.inf), (x - x) * math.nan]

    columns = [[1.0, -2.0], [2.0, 3.0], [3.0, 5.0], [4.0, 7.0]]
    got = engine.compile(fn, (1.0, 2.0, 3.0, 4.0))(*[as_batch(c, backend) for c in columns])
    if backend != "python":
        got = np.asarray(got).tolist() if backend == "numpy" else np.from_dlpack(got).tolist()
    want = [[v.data for v in fn(*map(Value, row))] for row in zip(*columns)]
    assert want[0] == [14.5, math.inf, want[0][2]] and math.isnan(want[0][2])
    assert repr(got) == repr(want)  # nan as nan, inf as inf


# ---------------------------------------------------------------------------
# 21. A step is not copied or pickled: a TypeError says to compile again.


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy, pickle.dumps])
def test_copying_or_pickling_a_step_says_to_compile_again(how):
    w = Value(0.5)
    step = engine.compile(lambda x: (w * x) ** 2, (1.0,), params=[w])
    with pytest.raises(TypeError, match="cannot be copied or pickled.*Compile again"):
        how(step)
    assert step([1.0]) == 0.25 and w.grad == 1.0  # the step itself is unharmed
