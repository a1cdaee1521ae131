"""The benchmark scripts run (on tiny sizes) and their contenders agree. No timings are checked."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_run_all_quick_runs_every_benchmark_and_the_losses_agree():
    script = os.path.join(ROOT, "benchmarks", "run_all.py")
    done = subprocess.run(
        [sys.executable, script, "--quick"], capture_output=True, text=True, timeout=300
    )
    # run_all exits non-zero if the W1 contenders' losses disagree.
    assert done.returncode == 0, done.stderr
    for heading in ("W1 contender", "W2 links", "W3 sum of", "W4 contender", "import engine"):
        assert heading in done.stdout
    assert "DISAGREES" not in done.stdout


def test_w1_trees_loads_two_engines_side_by_side():
    # The same tree twice: each copy of engine must load, run W1 steps and be reported.
    script = os.path.join(ROOT, "benchmarks", "w1_trees.py")
    done = subprocess.run(
        [sys.executable, script, ROOT, ROOT, "--pairs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=os.path.dirname(ROOT),
    )
    assert done.returncode == 0, done.stderr
    assert "| before (" in done.stdout and "| after / before |" in done.stdout


def test_the_workloads_compute_the_same_numbers_by_hand_and_by_scalarflow():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import workloads as w
    finally:
        sys.path.pop(0)
    from engine import Value

    X, y = w.moons(8)
    weights = w.initial_weights()
    by_hand, by_graph = w.FloatMLP(weights), w.ValueMLP(Value, weights)
    for k in range(3):  # the losses agree step after step, so the SGD updates agree too
        assert w.value_step(by_graph, Value, X, y, k) == _close_to(by_hand.step(X, y, k))
    assert w.chain_values(Value, 50)[0] == _close_to(w.chain_floats(50)[0])
    ws, xs = w.wide_inputs(9)
    assert w.wide_values(Value, ws, xs)[0] == _close_to(w.wide_floats(ws, xs)[0])


def _close_to(expected):
    # Same arithmetic in the same order, except that gradients may be summed in
    # another order: agreement to a few ulps, far tighter than any bug allows.
    return pytest.approx(expected, rel=1e-12, abs=1e-15)
