"""benchmarks/fit_w1.py runs on tiny sizes; fit's first loss equals the hand step's. No times."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytest.importorskip("numpy")


def test_fit_w1_runs_and_fit_starts_from_the_hand_steps_loss():
    script = os.path.join(ROOT, "benchmarks", "fit_w1.py")
    done = subprocess.run(
        [sys.executable, script, "--processes", "1", "--epochs", "3", "--points", "20"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # fit_w1 exits non-zero if the first losses differ by more than 1e-12.
    assert done.returncode == 0, done.stderr
    assert "fit(compile=True) epoch / hand-written numpy step:" in done.stdout
