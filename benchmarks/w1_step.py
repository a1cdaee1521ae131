"""W1: one training step of micrograd's demo, scalarflow vs micrograd vs plain floats.

MLP 2-16-16-1 on 100 moons points, hinge loss + 1e-4 · Σ p², forward +
backward + SGD. Every measurement is a fresh process (so no contender inherits
another's heap or garbage), the contenders take turns, and each process runs a
few steps from the same data and the same initial weights and reports the
time and the loss of each. The losses of all contenders must agree.

    .venv/bin/python benchmarks/w1_step.py [--processes 5] [--steps 3] [--points 100]
"""

from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
from common import fmt_time, have_micrograd, in_fresh_process, median, table  # noqa: E402


def have_nn() -> bool:
    """True if scalarflow's ``nn`` package (with ``MLP``) can be imported."""
    try:
        from nn import MLP  # noqa: F401
    except ImportError:
        return False
    return True


PAUSED = "scalarflow, gc paused"  # each step inside engine.gc_paused(), as a training loop may
NN = "scalarflow nn.MLP"  # the same step through scalarflow's own nn.MLP (same weights)
CONTENDERS = ("scalarflow", "micrograd", "floats", PAUSED, NN)


def child(name: str, steps: int, points: int) -> dict:
    """Run in a fresh process: set up, then time each of ``steps`` steps."""
    import workloads as w

    X, y = w.moons(points)
    weights = w.initial_weights()
    if name == "floats":
        model = w.FloatMLP(weights)

        def step(k):
            return model.step(X, y, k)
    else:
        if name == "micrograd":
            from micrograd.engine import Value
        else:
            from engine import Value, gc_paused
        model = w.nn_mlp(weights) if name == NN else w.ValueMLP(Value, weights)

        def step(k):
            if name == PAUSED:
                with gc_paused():
                    return w.value_step(model, Value, X, y, k)
            return w.value_step(model, Value, X, y, k)

    times, losses = [], []
    for k in range(steps):
        start = time.perf_counter()
        loss = step(k)
        times.append(time.perf_counter() - start)
        losses.append(loss)
    return {"times": times, "losses": losses}


def run_child(name: str, steps: int, points: int) -> dict:
    args = ("--child", name, "--steps", steps, "--points", points)
    result, wall = in_fresh_process(os.path.abspath(__file__), *args)
    return {**result, "wall": wall}


def run(processes: int = 5, steps: int = 3, points: int = 100) -> dict:
    """Alternate the contenders over ``processes`` rounds; medians, ratios and loss agreement."""
    names = [n for n in CONTENDERS if n != "micrograd" or have_micrograd()]
    names = [n for n in names if n != NN or have_nn()]
    results = {n: [] for n in names}
    for r in range(processes):
        # Take turns, and flip the order every round so neither always goes first.
        for name in names if r % 2 == 0 else names[::-1]:
            results[name].append(run_child(name, steps, points))
    summary = {}
    reference = results["scalarflow"][0]["losses"]
    for name in names:
        # The per-process median step, then the median over processes.
        per_process = [median(res["times"]) for res in results[name]]
        losses = results[name][0]["losses"]
        gap = max(abs(a - b) / abs(b) for a, b in zip(losses, reference))
        wall = median([res["wall"] for res in results[name]])
        summary[name] = {
            "median": median(per_process),
            "wall": wall,
            "losses": losses,
            "loss_gap": gap,
        }
    return summary


def report(summary: dict) -> str:
    base = summary["scalarflow"]["median"]
    rows = []
    for name, s in summary.items():
        ratio = s["median"] / base
        rows.append(
            [
                name,
                fmt_time(s["median"]),
                f"{ratio:.2f}x" if name != "scalarflow" else "1",
                fmt_time(s["wall"]),
                f"{s['losses'][0]:.12f}",
                f"{s['loss_gap']:.1e}",
            ]
        )
    header = ["W1 contender", "median step", "/ scalarflow", "whole process"]
    header += ["loss at step 0", "max rel. gap"]
    return table(header, rows)


def main() -> None:
    common.w1_main(__doc__, CONTENDERS, child, run, report, check_losses_agree, steps=3)


def check_losses_agree(summary: dict) -> None:
    """Exit with an error unless every contender's losses match scalarflow's to rounding.

    The contenders compute the same loss; step 0 uses identical weights, so the
    losses agree to rounding; later steps also differ by the order gradients add up in.
    """
    worst = max(s["loss_gap"] for s in summary.values())
    if worst > 1e-9:
        sys.exit(f"W1: the contenders' losses disagree (relative gap {worst:.1e})")


if __name__ == "__main__":
    main()
