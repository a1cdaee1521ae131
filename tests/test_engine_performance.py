"""The properties the engine's speed rests on, checked without timing anything.

backward's walk must order nodes exactly as topological_order does (minus the
leaves) and must not wake the garbage collector; a node must stay small.
"""

import gc
import json
import subprocess
import sys
import tracemalloc

import pytest
from hypothesis import given

from engine import Value, detect_anomaly, gc_paused, grad, topological_order
from engine.autograd import _walk
from engine.strategies import expressions


@given(expressions(max_ops=12))
def test_backwards_walk_is_the_topological_order_without_leaves(e):
    out = e.fn([Value(x) for x in e.inputs])
    expected = [node for node in topological_order(out) if not node.is_leaf]
    assert _walk(out) == expected[::-1]


def test_backward_of_a_leaf_walks_nothing():
    x = Value(2.0)
    assert _walk(x) == []
    x.backward()
    assert x.grad == 1.0


def _chain(n):
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.001
    return x, y


def test_backward_allocates_nothing_the_garbage_collector_tracks():
    # Every object the collector tracks counts towards its next collection, and a
    # full collection walks the whole graph; backward must not trigger one.
    x, y = _chain(20_000)
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()  # start from empty counters: a handful of new objects cannot trigger
    gc.callbacks.append(count)
    try:
        y.backward()
    finally:
        gc.callbacks.remove(count)
    assert collections == []
    assert x.grad > 1.0


def test_a_wide_graph_costs_at_most_160_bytes_per_node():
    # W4 of benchmarks/: leaves, products and sums of a 10_000-term dot product.
    # 160 bytes is the project's target (micrograd needs ~590); benchmarks/README.md
    # gives what a node is made of.
    n = 10_000
    ws = [i / n for i in range(n)]
    xs = [1.0 - i / n for i in range(n)]
    tracemalloc.start()
    try:
        terms = [Value(w) * Value(x) for w, x in zip(ws, xs)]
        total = sum(terms[1:], terms[0])
        del terms
        used = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    nodes = len(topological_order(total))
    assert nodes == 4 * n - 1
    assert used / nodes <= 160


# -- gc_paused: it changes process-wide state, so it must always put it back ----------


def test_gc_paused_pauses_and_restores():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_gc_paused_restores_the_collector_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with gc_paused():
            Value(1.0) / 0
    assert gc.isenabled()


def test_gc_paused_nests_and_leaves_a_disabled_collector_disabled():
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block must not switch it back on early
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before, so it stays off
    finally:
        gc.enable()


def test_grad_with_create_graph_restores_the_collector_even_on_error():
    x = Value(2.0, label="x")
    (dy,) = grad(x**3, [x], create_graph=True)
    assert gc.isenabled() and dy.data == 12.0

    big = Value(1e200, label="big")
    y = big * big * big  # d y/d big needs big · big = inf, made while building the gradient
    with pytest.raises(FloatingPointError, match="produced inf"):
        with detect_anomaly():
            grad(y, [big], create_graph=True)
    assert gc.isenabled()


_WARM_UP = """
import dis, json
from engine import Value, topological_order
from engine import autograd, fast

def specialised(f):
    pairs = zip(dis.get_instructions(f, adaptive=True), dis.get_instructions(f))
    return any(a.opname != b.opname for a, b in pairs)

walks = {
    "fast.walk": fast.walk,
    "fast.backward_pass": fast.backward_pass,
    "autograd._depth_first": autograd._depth_first,
}
x = Value(1.0)
y = x
for _ in range(2000):
    y = y * 1.0001 + 0.001
before = {name: specialised(f) for name, f in walks.items()}
y.backward()
topological_order(y)
after = {name: specialised(f) for name, f in walks.items()}
print(json.dumps([before, after]))
"""


# What this test reads (dis's adaptive instructions, and when a loop's back-jumps make a
# function specialise) is an interpreter's internals: it holds where it was checked. 3.10
# does not specialise; on 3.12, dis shows some instructions adapted before the first call.
SPECIALISES_AS_CHECKED = sys.implementation.name == "cpython" and sys.version_info[:2] in {
    (3, 11),
    (3, 13),
}


@pytest.mark.skipif(
    not SPECIALISES_AS_CHECKED,
    reason="checked on CPython 3.11 and 3.13 only: specialisation is an interpreter's internals",
)
def test_the_walks_are_specialised_during_their_first_call():
    # CPython 3.11 specialises a function's instructions after 8 calls, or sooner once a
    # loop has jumped back 8 times; a `while` loop whose body ends in `if`/`elif` jumps
    # back conditionally, which 3.11 does not count. Such a walk ran its first 8
    # backward passes unspecialised: twice as slow on W1, whose fresh-process benchmark
    # times a few steps a process. A fresh interpreter, so no earlier call has warmed them.
    result = subprocess.run(
        [sys.executable, "-c", _WARM_UP], capture_output=True, text=True, check=True
    )
    before, after = json.loads(result.stdout)
    assert not any(before.values()), before
    assert all(after.values()), after
