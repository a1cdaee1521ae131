"""A whole training epoch of ``fit(compile=True)`` on W1 against the hand-written numpy step.

W1 is micrograd's demo (MLP 2-16-16-1, 100 moons points, hinge loss +
1e-4 · Σ p²); full batch, so an epoch is one step. Timed:

- ``fit(compile=True)``: the time from one epoch's start to the next inside
  ``fit`` (``progress=False``), so it holds everything fit does per epoch: the
  compiled forward and backward at the packed parameters
  (``CompiledStep.with_params``), the packed SGD step, recording the loss, the
  divergence and early-stopping checks. Setup (trace, codegen, the first call)
  is paid once per ``fit`` and reported apart.
- numpy by hand: ``compile_w1.by_hand``, W1's forward and backward written with
  arrays, timed with and without its SGD update.

Every measurement is a fresh process with BLAS/OpenMP threads pinned to 1;
contenders take turns, the order flips every round; medians, then ratios.
Both start from the same weights on the same data, so their first losses must
agree (to 1e-12; the run fails otherwise).

    .venv/bin/python benchmarks/fit_w1.py [--processes 7] [--epochs 1000] [--points 100]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import fmt_time, in_fresh_process, median, table  # noqa: E402
from compile_w1 import by_hand  # noqa: E402  (compile_w1 pins the threads)

FIT, HAND = "fit(compile=True), one epoch", "numpy by hand"
CONTENDERS = (FIT, HAND)
LR = 0.05  # fit takes one learning rate; the hand step's decaying one does not matter here


def fit_epochs(points: int, epochs: int) -> dict:
    """Train W1 with fit(compile=True) for ``epochs``; the time of each epoch and the losses."""
    import workloads as w

    from nn import fit, hinge_loss, train_compiled
    from nn.optim import SGD

    X, y = w.moons(points)
    model = w.nn_mlp(w.initial_weights())
    params = model.parameters()

    def loss(preds, targets):  # W1's loss: the mean hinge loss plus the L2 term
        return hinge_loss(preds, targets) + w.ALPHA * sum(p * p for p in params)

    starts = []
    run_epoch = train_compiled.CompiledLoop.run_epoch

    def timed(self, batches):
        starts.append(time.perf_counter())
        return run_epoch(self, batches)

    train_compiled.CompiledLoop.run_epoch = timed
    start = time.perf_counter()
    history = fit(model, X, y, loss=loss, optimizer=SGD(params, lr=LR), epochs=epochs + 1,
                  progress=False, compile=True)  # fmt: skip
    ended = time.perf_counter()
    assert history.epochs == epochs + 1, history.stop_reason
    # Epoch k runs from its start to the next epoch's; the last one ends when fit returns
    # (which adds writing the packed weights back), so it is left out.
    return {
        "times": [b - a for a, b in zip(starts, starts[1:])],
        "setup": starts[0] - start,
        "whole": ended - start,
        "losses": history.loss,
    }


def hand_steps(points: int, epochs: int) -> dict:
    run, _ = by_hand(points)
    times, with_update, losses = [], [], []
    for k in range(epochs):
        start = time.perf_counter()
        elapsed, value = run(k)
        with_update.append(time.perf_counter() - start)
        times.append(elapsed)
        losses.append(value)
    return {"times": times, "with_update": with_update, "losses": losses}


def run_child(name: str, epochs: int, points: int) -> dict:
    # The children inherit the thread pins compile_w1 set on os.environ when imported.
    args = ("--child", name, "--epochs", epochs, "--points", points)
    return in_fresh_process(os.path.abspath(__file__), *args)[0]


def run(processes: int = 7, epochs: int = 1000, points: int = 100) -> dict:
    results = {n: [] for n in CONTENDERS}
    for r in range(processes):
        for name in CONTENDERS if r % 2 == 0 else CONTENDERS[::-1]:
            results[name].append(run_child(name, epochs, points))
    fit_runs, hand_runs = results[FIT], results[HAND]
    first_fit, first_hand = fit_runs[0]["losses"][0], hand_runs[0]["losses"][0]
    return {
        "fit": median([median(r["times"]) for r in fit_runs]),
        "fit_setup": median([r["setup"] for r in fit_runs]),
        "hand": median([median(r["times"]) for r in hand_runs]),
        "hand_with_update": median([median(r["with_update"]) for r in hand_runs]),
        "loss_gap": abs(first_fit - first_hand) / abs(first_hand),
    }


def report(s: dict) -> str:
    rows = [
        [FIT, fmt_time(s["fit"]), f"{s['fit'] / s['hand']:.2f}",
         f"{s['fit'] / s['hand_with_update']:.2f}", fmt_time(s["fit_setup"])],
        ["numpy by hand: forward + backward", fmt_time(s["hand"]), "1.00",
         f"{s['hand'] / s['hand_with_update']:.2f}", "-"],
        ["numpy by hand: forward + backward + SGD", fmt_time(s["hand_with_update"]),
         f"{s['hand_with_update'] / s['hand']:.2f}", "1.00", "-"],
    ]  # fmt: skip
    header = ["W1, one full-batch SGD epoch", "median", "/ hand fwd+bwd", "/ hand step", "setup"]
    goal = s["fit"] / s["hand"]
    verdict = "met" if goal <= 2.0 else "NOT met"
    return (
        table(header, rows)
        + f"\n\nfit(compile=True) epoch / hand-written numpy step: {goal:.2f}x (goal <= 2x: "
        f"{verdict}); first losses agree to {s['loss_gap']:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work = fit_epochs if args.child == FIT else hand_steps
        print(json.dumps(work(args.points, args.epochs)))
        return
    summary = run(args.processes, args.epochs, args.points)
    print(report(summary))
    if summary["loss_gap"] > 1e-12:
        sys.exit(f"fit_w1: the first losses disagree (relative gap {summary['loss_gap']:.1e})")


if __name__ == "__main__":
    main()
