"""W1 on two versions of the engine in one process, their steps interleaved.

For a change whose cost is a few percent, fresh processes on a shared machine are too
noisy; here both engines run in the same process, step after step, so they see the same
load. Each tree is a directory holding an ``engine`` package (a ``git worktree`` of an
older commit, say). Times are thread CPU time; the collector is paused during each step
and run between steps, so that neither engine pays for the other's garbage.

    .venv/bin/python benchmarks/w1_trees.py BEFORE_TREE AFTER_TREE [--pairs 40]

Prints the medians of forward, backward, freeing the graph and the whole step for each
tree, and the median over pairs of after / before for each.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads as w  # noqa: E402

PARTS = ("forward", "backward", "free", "step")


def load_engine(tree: str, alias: str):
    """``engine.Value`` from ``tree``, its modules kept under ``alias`` so another can load."""
    sys.path.insert(0, tree)
    try:
        engine = importlib.import_module("engine")
        for name in ("autograd", "value", "ops", "modes", "naming", "errors"):
            importlib.import_module(f"engine.{name}")  # the lazy ones too, while we can
        if not os.path.abspath(engine.__file__).startswith(os.path.abspath(tree)):
            raise SystemExit(f"{tree} has no engine package (imported {engine.__file__})")
        for name in [n for n in sys.modules if n == "engine" or n.startswith("engine.")]:
            module = sys.modules.pop(name)
            sys.modules[alias + name[len("engine") :]] = module
            module.__package__ = alias  # so imports inside functions find this tree's modules
        return engine.Value
    finally:
        sys.path.remove(tree)


def step(Value, model, X, y) -> tuple[float, float, float, float]:
    """One W1 step (workloads.value_step's), timed by part."""
    start = time.thread_time()
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + w.ALPHA * sum(p * p for p in model.parameters())
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    built = time.thread_time()
    total.backward()
    done = time.thread_time()
    for p in params:
        p.data -= 1e-3 * p.grad
    del total, losses, scores, inputs
    freed = time.thread_time()
    return built - start, done - built, freed - done, freed - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args()
    X, y = w.moons(100)
    engines = {}
    for name, tree in (("before", args.before), ("after", args.after)):
        Value = load_engine(os.path.abspath(tree), f"_engine_{name}")
        engines[name] = (Value, w.ValueMLP(Value, w.initial_weights()))
    times = {name: [] for name in engines}
    for i in range(args.pairs):
        for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
            Value, model = engines[name]
            gc.collect()
            gc.disable()
            try:
                times[name].append(step(Value, model, X, y))
            finally:
                gc.enable()
    print(f"Python {sys.version.split()[0]}, {args.pairs} pairs, thread CPU time, medians (ms)")
    print("| tree | " + " | ".join(PARTS) + " |")
    print("|---" * (len(PARTS) + 1) + "|")
    for name, tree in (("before", args.before), ("after", args.after)):
        medians = [statistics.median(part) * 1e3 for part in zip(*times[name])]
        print(f"| {name} ({tree}) | " + " | ".join(f"{m:.1f}" for m in medians) + " |")
    ratios = [
        statistics.median(b[k] / a[k] for a, b in zip(times["before"], times["after"]))
        for k in range(len(PARTS))
    ]
    print("| after / before | " + " | ".join(f"{r:.3f}" for r in ratios) + " |")


if __name__ == "__main__":
    main()
