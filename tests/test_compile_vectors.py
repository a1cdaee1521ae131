"""engine.compile vectorises what repeats lane by lane, and still equals the eager engine.

A softmax cross-entropy over a layer's outputs is the same shift, exp and product for
every output, and a chain of add or maximum over them: the compiled step writes each as
one array op (``h = z - m[:, None]``, ``s = xp.sum(h, axis=1)``), whose results must be
the eager engine's to 1e-12 on every backend, ties between the largest outputs included.
"""

from __future__ import annotations

import dataclasses
import random
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile import BACKENDS, as_batch, close, eager_mean

import engine
from engine import Value, ops
from engine.compiler.api import compile_with_rules
from nn import MLP, cross_entropy
from nn.losses import one_hot


def digits_like(seed: int = 0, sizes=(6, 5, 4)):
    """A small MLP with nn's cross_entropy on a one-hot target, as fit(compile=True) traces it."""
    model = MLP(sizes[0], list(sizes[1:]), activation="tanh", seed=seed)

    def sample_loss(x, t):
        return cross_entropy([model(x)], [t])

    rng = random.Random(seed)
    X = [[rng.uniform(0, 1) for _ in range(sizes[0])] for _ in range(7)]
    T = [one_hot(rng.randrange(sizes[-1]), sizes[-1]) for _ in range(7)]
    return model, sample_loss, X, T


def compiled_and_eager(fn, rows, params, backend, **options):
    """(compiled mean loss and grads, eager mean loss and grads) on ``rows`` of arguments."""
    for p in params:
        p.grad = 0.0
    step = engine.compile(fn, tuple(rows[0]), params=params, **options)
    columns = [as_batch([r[k] for r in rows], backend) for k in range(len(rows[0]))]
    got = step(*columns), [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    want = eager_mean(fn, rows, params), [p.grad for p in params]
    return step, got, want


def assert_equal(got, want, rtol=1e-12):
    assert close(got[0], want[0], rtol), (got[0], want[0])
    for a, b in zip(got[1], want[1]):
        assert close(a, b, rtol, floor=1e-300), (a, b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax_cross_entropy_is_one_line_per_vector_op_and_equals_eager(backend):
    model, sample_loss, X, T = digits_like()
    step, got, want = compiled_and_eager(sample_loss, list(zip(X, T)), model.parameters(), backend)
    assert_equal(got, want)
    source = step.source
    assert "m4 = xp.max(z3, axis=0)" in source  # the log-sum-exp shift: one call
    assert "h5 = z3 - m4" in source  # the shift of every output: one line
    assert "xp.exp(h5)" in source and "s7 = xp.sum(h6, axis=0)" in source
    assert "t_T * h" in source  # the one-hot product, every class at once
    assert " z3[" not in source  # no output is computed on its own
    assert "max_slopes(z3, m4)" in source
    assert len(source.splitlines()) < 50


@pytest.mark.parametrize("backend", BACKENDS)
def test_tied_largest_outputs_get_the_slopes_the_chain_of_maximum_gives(backend):
    # A last layer of zeros: every output is its bias, and the biases tie in pairs and all.
    model, sample_loss, X, T = digits_like(sizes=(3, 4, 5))
    last = model.layers[-1]
    for k, neuron in enumerate(last.neurons):
        for w in neuron.w:
            w.data = 0.0
        neuron.b.data = [0.5, 0.5, -1.0, 0.5, 0.25][k]
    _, got, want = compiled_and_eager(sample_loss, list(zip(X, T)), model.parameters(), backend)
    assert_equal(got, want)

    # max pooling: the loss is the chain of maximum itself, so its slopes are all there is.
    w, v = Value(1.0, label="w"), Value(0.5, label="v")

    def pooled(x):
        lanes = [(w * x[j]).relu() + v for j in range(4)]
        m = lanes[0]
        for lane in lanes[1:]:
            m = m.maximum(lane)
        return m * m

    rows = [([1.0, 0.5, 1.0, 0.5],), ([2.0, 1.0, 0.0, 1.0],), ([1.0, 1.0, 1.0, 1.0],)]
    step, got, want = compiled_and_eager(pooled, rows, [w, v], backend)
    assert "xp.max(" in step.source or backend == "python"
    assert_equal(got, want)


def test_a_wrong_maximum_rule_is_used_not_the_vectorised_one():
    """compile_with_rules replaces maximum: the chain is then left to the rule, which fails."""
    right = ops.MAXIMUM.derivative
    wrong = dataclasses.replace(ops.MAXIMUM, derivative=lambda *a: (1.0, 1.0))
    w = Value(0.5, label="w")

    def pooled(x):
        m = x[0] * w
        for j in range(1, 4):
            m = m.maximum(x[j] * w)
        return m

    X = np.asarray([[1.0, 2.0, 3.0, 4.0], [0.5, 0.25, 2.0, 1.0]])
    step = compile_with_rules({ops.MAXIMUM: wrong}, pooled, (X[0].tolist(),), params=[w])
    assert "max_slopes" not in step.source and "xp.max(" not in step.source
    step(X)
    assert w.grad == (1 + 2 + 3 + 4 + 0.5 + 0.25 + 2 + 1) / 2  # every lane: the wrong slopes
    w.grad = 0.0
    engine.compile(pooled, (X[0].tolist(),), params=[w])(X)
    assert w.grad == (4 + 2) / 2 and ops.MAXIMUM.derivative is right


UNARY = ["tanh", "relu", "neg", "abs", "sigmoid", "square"]
BINARY = ["mul", "add", "sub", "maximum"]


def _apply(name: str, a, b):
    if name == "square":
        return a**2
    if name in UNARY:
        return {"neg": lambda: -a, "abs": lambda: abs(a)}.get(name, getattr(a, name, None))()
    return {"mul": a * b, "add": a + b, "sub": a - b, "maximum": a.maximum(b)}[name]


@pytest.mark.parametrize("backend", BACKENDS)
@settings(deadline=None)
@given(
    width=st.integers(3, 5),
    steps=st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.booleans()), max_size=4),
    reduce_with=st.sampled_from(["sum", "max", "both"]),
    values=st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]), min_size=10, max_size=10),
)
def test_random_lanewise_programs_equal_eager(backend, width, steps, reduce_with, values):
    """Every lane of x through the same ops (a shared weight, the lane's own input, or a
    shared per-example input on the other side), then reduced: inputs from a few values so
    that ties and kinks are common."""
    w = Value(values[0] or 0.75, label="w")
    v = Value(values[1], label="v")

    def fn(x, c):
        lanes = [x[j] * w for j in range(width)]
        for name, shared_first in steps:
            other = c if shared_first else v  # one value for every lane
            lanes = [_apply(name, lane, other) for lane in lanes]
        total = sum(lanes[1:], lanes[0])
        top = lanes[0]
        for lane in lanes[1:]:
            top = top.maximum(lane)
        return {"sum": total, "max": top, "both": total * c + top}[reduce_with]

    rows = [
        ([values[(i + j) % 10] for j in range(width)], values[(3 * i + 1) % 10]) for i in range(4)
    ]
    _, got, want = compiled_and_eager(fn, rows, [w, v], backend, validate=0)
    assert_equal(got, want, rtol=1e-11)


def test_a_family_with_one_odd_lane_stays_scalar_and_correct():
    w = [Value(0.5), Value(-0.25), Value(2.0)]

    def fn(x):
        lanes = [(w[0] * x[0]).tanh(), (w[1] * x[1]).tanh(), (w[2] * x[2]).sigmoid()]
        return sum(lanes[1:], lanes[0])

    rows = [([0.5, 1.0, -1.0],), ([2.0, -1.0, 0.25],)]
    step, got, want = compiled_and_eager(fn, rows, w, "numpy")
    assert "xp.sum(h" not in step.source  # the lanes differ: no vector of them, no reduction
    assert_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sums_gradient_reaches_every_lane_of_what_it_sums(backend):
    """A sum's gradient is one column for every lane: a layer below it and an input every
    lane shares (here c, added to each) still get one gradient per lane."""
    model = MLP(3, [4], activation="linear", seed=2)
    w = Value(0.5, label="w")

    def fn(x, c):
        cw = c * w
        lanes = [z.tanh() + cw for z in model(x)]
        return sum(lanes[1:], lanes[0]) ** 2

    rows = [([0.5, 1.0, -1.0], 2.0), ([2.0, -1.0, 0.25], -0.5), ([0.0, 0.5, 0.5], 1.0)]
    params = [*model.parameters(), w]
    step, got, want = compiled_and_eager(fn, rows, params, backend)
    assert "xp.broadcast_to(" in step.source  # the column made whole for the shared cw
    assert_equal(got, want)


def test_each_array_is_let_go_right_after_its_last_use():
    """The code that runs drops every array after the last line that reads it (at 1,437
    examples a hidden layer's arrays are 368 kB each, and holding them all to the end of the
    call grows the heap, and its page faults, by half); the source people read has the same
    lines without the dels."""
    model, sample_loss, X, T = digits_like()
    step = engine.compile(sample_loss, (X[0], T[0]), params=model.parameters())
    source, code = step._array_source()[0].text, step._array_source()[0].code
    assert "; del " not in source and "a del not shown" in source
    assert len(source.splitlines()) == len(code.splitlines())  # tracebacks show the same line
    tanh = next(line for line in code.splitlines() if "xp.tanh(z1)" in line)
    assert tanh.endswith("; del z1")  # tanh' reads its output, h2: z1 is done with here
    assert not any("del h2" in line for line in code.splitlines()[:12])  # backward reads h2


KEPT_MEMORY = """
import resource, sys
import numpy as np
import engine
from engine import Value
w = [Value(0.1 * k) for k in range(4)]
step = engine.compile(lambda x: sum(((wk * x[0]).tanh() for wk in w), Value(0.0)), ([1.0],),
                      params=w)
X = np.linspace(-1.0, 1.0, 100_000)[:, None]   # arrays of 800 kB: malloc maps them afresh
step(X)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step(X)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 10)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_compiled_numpy_code_keeps_the_memory_it_frees_for_the_next_call():
    """The step's arrays are made and freed at every call; with malloc keeping freed memory
    they land on pages already touched, without it every call faults them in again."""
    import os
    import subprocess

    def faults(**env) -> int:
        done = subprocess.run(
            [sys.executable, "-c", KEPT_MEMORY],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            check=True,
        )
        return int(done.stdout)

    kept, not_kept = faults(), faults(SCALARFLOW_KEEP_MEMORY="0")
    assert not_kept > 100  # the arrays' pages, again at every call
    assert kept < not_kept / 10
