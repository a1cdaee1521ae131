"""engine.compile against a hostile user: labels, odd parameters, odd batches, threads, copies.

Each test is one of issue 20's reproductions made a rule: the compiled step
either equals the eager engine or refuses with a message saying why and what to
do instead; it never computes something else, and no text of the user's
reaches code that Python runs.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import engine
from engine import TraceError, Value

xp_strict = pytest.importorskip("array_api_strict")

RTOL = 1e-12  # as tests/test_compile.py: generated code adds in another order than eager
BACKENDS = ("python", "numpy", "strict")


def as_batch(rows, backend):
    if backend == "python":
        return rows
    if backend == "numpy":
        return np.asarray(rows, dtype=float)
    return xp_strict.asarray(rows, dtype=xp_strict.float64)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + 1e-300


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
