"""The compile benchmarks run (tiny sizes) and their contenders agree. No timings are checked."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    path = os.path.join(ROOT, "benchmarks", script)
    return subprocess.run(
        [sys.executable, path, *args], capture_output=True, text=True, timeout=300
    )


def test_compile_w1_runs_and_every_contender_computes_the_same_losses():
    done = _run("compile_w1.py", "--processes", "1", "--steps", "2", "--points", "20")
    # compile_w1 exits non-zero if any contender's losses differ from eager's by > 1e-9.
    assert done.returncode == 0, done.stderr
    for row in ("compiled numpy ", "compiled numpy, per node", "compiled pure Python"):
        assert row in done.stdout
    assert "numpy by hand" in done.stdout and "scalarflow eager" in done.stdout


def test_compile_setup_runs_at_a_small_width():
    done = _run("compile_setup.py", "--widths", "3", "--steps", "1")
    assert done.returncode == 0, done.stderr
    assert "codegen+compile" in done.stdout


def test_compile_w1_counts_runs_its_contenders():
    # Only the steps valgrind would count (valgrind itself is not a dependency).
    for name in ("compiled numpy", "numpy by hand"):
        done = _run("compile_w1_counts.py", "--child", name, "--steps", "2", "--points", "20")
        assert done.returncode == 0, done.stderr


def test_digits_epoch_runs_and_its_contenders_compute_the_same_first_epoch():
    done = _run("digits_epoch.py", "--processes", "1", "--epochs", "1", "--images", "64")
    # digits_epoch exits non-zero if a contender's first-epoch loss differs from eager's.
    assert done.returncode == 0, done.stderr
    for row in ("scalarflow eager", "compiled numpy", "compiled pure Python", "numpy by hand"):
        assert row in done.stdout
    assert "fit(compile=True)" in done.stdout and "(64 images)" in done.stdout


def test_compile_digits_runs_and_every_contender_computes_the_same_step():
    done = _run("compile_digits.py", "--processes", "1", "--steps", "1", "--batches", "16,64")
    # compile_digits exits non-zero if any contender's loss or gradient differs from by hand's.
    assert done.returncode == 0, done.stderr
    for row in ("| compiled ", "compiled, into p.grad", "numpy by hand ", "memory kept"):
        assert row in done.stdout
    assert "batch 64 (/ by hand)" in done.stdout
