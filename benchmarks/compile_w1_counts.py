"""W1 compiled against W1 by hand in numpy, counted in instructions under valgrind, not timed.

On this shared 2-core machine a step of ~100 µs measures anywhere from 100 to 190 µs
depending on what else runs, and the compiled step (more Python: reading 337
``.data``, adding 337 gradients) suffers more from a busy machine than the hand
step. Instruction counts do not move with the load: each contender runs in a
fresh process under ``valgrind --tool=cachegrind`` (no cache simulation),
``PYTHONHASHSEED=0``, once with no steps and once with ``--steps`` steps; the
difference divided by the steps is one step's instructions. What a step is, is
as in ``compile_w1.py``: ``zero_grad(); step(X, y)`` against the hand-written
forward and backward (no SGD update for either). Instructions are not time
(numpy's inner loops do more per instruction than the interpreter), so this is a
cross-check of the timed ratio, not a replacement for it.

    .venv/bin/python benchmarks/compile_w1_counts.py [--steps 1000]

valgrind must be installed (it is not a dependency; the script says so if it is missing).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

os.environ.update({v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

COMPILED, HAND = "compiled numpy", "numpy by hand"


def contender(name: str, points: int):
    """The step to count, built as compile_w1 builds it, without the timing or the update."""
    import numpy as np
    import workloads as w
    from compile_w1 import by_hand

    if name == HAND:
        run, _ = by_hand(points)
        return run.forward_backward

    import engine
    from engine import Value

    X, y = w.moons(points)
    model = w.ValueMLP(Value, w.initial_weights())
    params = model.parameters()

    def loss(x, yi):
        return (1 + -yi * model(x)).relu() + w.ALPHA * sum(p * p for p in params)

    step = engine.compile(loss, (X[0], y[0]), params=params)
    batch = (np.asarray(X), np.asarray(y, dtype=float))

    def run():
        for p in params:  # opt.zero_grad()
            p.grad = 0.0
        step(*batch)

    return run


def child(name: str, steps: int, points: int) -> None:
    run = contender(name, points)
    for _ in range(3):  # the first calls validate the trace and make the code: not counted
        run()
    for _ in range(steps):
        run()


def instructions(name: str, steps: int, points: int) -> int:
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    cmd += [sys.executable, os.path.abspath(__file__), "--child", name]
    cmd += ["--steps", str(steps), "--points", str(points)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stderr
    match = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if match is None:
        sys.exit(f"compile_w1_counts: no instruction count in valgrind's output:\n{out}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--child", choices=(COMPILED, HAND), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps, args.points)
        return
    if shutil.which("valgrind") is None:
        sys.exit("compile_w1_counts needs valgrind (apt-get install valgrind)")
    per_step = {}
    for name in (COMPILED, HAND):
        empty = instructions(name, 0, args.points)
        full = instructions(name, args.steps, args.points)
        per_step[name] = (full - empty) / args.steps
    for name, count in per_step.items():
        print(f"{name:16s} {count:12,.0f} instructions a step  {count / per_step[HAND]:.2f}")


if __name__ == "__main__":
    main()
