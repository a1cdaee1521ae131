"""One optimizer step on W1's 337 parameters: nn.optim now vs before its torch-shaped rewrite.

The reference is ``nn/optim.py`` as of commit 957ea34 (state in parallel lists,
hyperparameters as attributes), read with ``git show`` into a temporary file
and imported from there, so both run in this process on the same engine. Each
contender has its own 337 Values with the same data and gradients; the
contenders take turns (order flipped every round), each turn times ``--steps``
steps, and the table shows the median per-step time and new / old. The
parameters the two reach are compared as well, so a faster step that computes
something else shows up as a gap.

Where numpy is installed, ``packed`` rows add the same rule run on one numpy
array of all 337 parameters (``opt.packed()``, as a training loop that keeps
the parameters packed uses it).

    .venv/bin/python benchmarks/optim_step.py [--rounds 15] [--steps 20] [--ref 957ea34]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from common import fmt_time, median, table  # noqa: E402

N_PARAMS = 337  # MLP(2, [16, 16, 1]): 2·16+16 + 16·16+16 + 16+1

# (row name, optimizer class name, hyperparameters): the configurations measured.
CASES = [
    ("SGD", "SGD", dict(lr=0.1)),
    ("SGD momentum", "SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD nesterov, L2", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    ("AdaGrad", "AdaGrad", dict(lr=0.01)),
    ("RMSProp", "RMSProp", dict(lr=0.01)),
    ("RMSProp centered, momentum", "RMSProp", dict(lr=0.01, momentum=0.5, centered=True)),
    ("AdaDelta", "AdaDelta", dict()),
    ("Adam", "Adam", dict(lr=0.01)),
    ("Adam amsgrad", "Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", "AdamW", dict(lr=0.01)),
]


def load_reference(commit: str):
    """The module ``nn/optim.py`` was at ``commit``, imported from a temporary copy."""
    source = subprocess.run(
        ["git", "-C", ROOT, "show", f"{commit}:nn/optim.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folder = tempfile.mkdtemp(prefix="optim_ref_")
    path = os.path.join(folder, f"optim_{commit}.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    # Named inside the nn package, so a version with relative imports (.checks) loads too.
    import nn  # noqa: F401

    spec = importlib.util.spec_from_file_location(f"nn._optim_{commit}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parameters(n: int):
    """``n`` Values with seeded data and gradients (the same for every contender)."""
    from engine import Value

    rng = random.Random(0)
    params = [Value(rng.uniform(-1, 1)) for _ in range(n)]
    for p in params:
        p.grad = rng.uniform(-1, 1)
    return params


def eager(module, cls: str, hyper: dict, n: int):
    """A step function for ``module``'s optimizer, and the parameters it moves."""
    params = parameters(n)
    opt = getattr(module, cls)(params, **hyper)
    opt.step()  # the first step creates the state; every later one is the steady state
    return opt.step, params


def packed(module, cls: str, hyper: dict, n: int):
    """The same rule on one numpy array of the parameters, the gradients packed once."""
    import numpy as np

    params = parameters(n)
    opt = getattr(module, cls)(params, **hyper)
    run = opt.packed()
    grad = np.array([p.grad for p in params])
    run.step(grad)

    def step():
        run.step(grad)

    def finished():
        run.write_back()
        return params

    return step, finished


def time_steps(step, steps: int) -> float:
    # CPU time of this process, not wall time: on a machine shared with other jobs the
    # wall clock also counts the time the scheduler gave to someone else.
    start = time.process_time()
    for _ in range(steps):
        step()
    return (time.process_time() - start) / steps


def largest_gap(reference, params) -> float:
    """The largest relative difference between two lists of parameters' data."""
    return max(abs(a.data - b.data) / max(abs(a.data), 1e-300) for a, b in zip(reference, params))


def have_numpy() -> bool:
    return importlib.util.find_spec("numpy") is not None


def run(rounds: int = 15, steps: int = 20, ref: str = "957ea34", n: int = N_PARAMS) -> str:
    import nn.optim as new

    old = load_reference(ref)
    with_packed = have_numpy() and hasattr(new.Optimizer, "packed")
    rows = []
    for name, cls, hyper in CASES:
        contenders = {"old": eager(old, cls, hyper, n), "new": eager(new, cls, hyper, n)}
        if with_packed:
            contenders["packed"] = packed(new, cls, hyper, n)
        times = {key: [] for key in contenders}
        for r in range(rounds):
            order = list(contenders) if r % 2 == 0 else list(contenders)[::-1]
            for key in order:
                times[key].append(time_steps(contenders[key][0], steps))
        t = {key: median(ts) for key, ts in times.items()}
        gap = largest_gap(contenders["old"][1], contenders["new"][1])
        row = [name, fmt_time(t["old"]), fmt_time(t["new"]), f"{t['new'] / t['old']:.2f}x"]
        if with_packed:
            gap = max(gap, largest_gap(contenders["new"][1], contenders["packed"][1]()))
            row += [fmt_time(t["packed"]), f"{t['packed'] / t['old']:.2f}x"]
        rows.append([*row, f"{gap:.0e}"])
    header = ["optimizer, one step", f"old ({ref})", "new", "new / old"]
    if with_packed:
        header += ["packed (numpy)", "packed / old"]
    header.append("max rel. gap")
    title = f"{n} parameters, {rounds} rounds x {steps} steps, median per step\n\n"
    return title + table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--ref", default="957ea34", help="the commit whose nn/optim.py is 'old'")
    parser.add_argument("--params", type=int, default=N_PARAMS)
    args = parser.parse_args()
    print(run(args.rounds, args.steps, args.ref, args.params))


if __name__ == "__main__":
    main()
