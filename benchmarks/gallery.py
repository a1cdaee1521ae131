"""The drawing gallery: graphs at lesson scale, timed from Values to SVG and to PNG.

Each picture is built (``draw_graph`` / ``nn.diagram.draw_network``) and drawn by
``engine.views.render.render`` (Graphviz within its time budget), to SVG and to PNG. The
pictures take turns in every repetition, in alternating order; the report gives the
median seconds and the ratio to the lesson's five-node neuron drawn in the same run.
Goal: every picture under 2 s. The pictures are written to --out, to be looked at.

    .venv/bin/python benchmarks/gallery.py [--repeats 3] [--out DIR] [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from common import median, table  # noqa: E402

GOAL_SECONDS = 2.0


def neuron():
    """The lesson's first graph: tanh(w·x + b), five Values."""
    from engine import Value

    w, x, b = Value(-1.0, label="w"), Value(0.5, label="x"), Value(2.0, label="b")
    y = (w * x + b).tanh()
    y.label = "y"
    y.backward()
    return y


def rnn(steps: int = 30):
    """A tanh RNN unrolled ``steps`` times with two shared weights (~150 Values)."""
    from engine import Value

    rng = random.Random(0)
    w, u, h = Value(0.5, label="w"), Value(-0.8, label="u"), Value(0.0, label="h0")
    for t in range(steps):
        h = (w * h + u * Value(rng.uniform(-1, 1), label=f"x{t}")).tanh()
    h.label = "h"
    h.backward()
    return h


def product(factors: int):
    """``x * x * … * x``: one input used ``factors`` times."""
    from engine import Value

    x = Value(1.001, label="x")
    y = x
    for _ in range(factors - 1):
        y = y * x
    y.label = "y"
    y.backward()
    return y


def mlp_loss(sizes: list[int]):
    """``MLP(2, sizes)`` on one sample with its squared error: (model, input, loss Value)."""
    from nn import MLP

    model = MLP(2, sizes, activation="tanh", seed=0)
    x = [0.5, -1.0]
    loss = (model(x) - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    model.zero_grad()  # the network view computes its own gradients
    return model, x, loss


def squared_error(out):
    return (out - 1.0) ** 2


def pictures(quick: bool) -> dict:
    """name -> a function returning a fresh drawing."""
    from engine import draw_graph
    from nn.diagram import draw_network

    small, big = mlp_loss([4, 4, 1]), mlp_loss([16, 16, 1])
    chosen = {
        "neuron (reference, 5 Values)": lambda: draw_graph(neuron()),
        "tanh RNN, 30 steps, 2 shared weights": lambda: draw_graph(rnn(30)),
        "x*x*…*x, 50 factors": lambda: draw_graph(product(50)),
        "x*x*…*x, 200 factors": lambda: draw_graph(product(200)),
        "x*x*…*x, 500 factors (250 nearest drawn)": lambda: draw_graph(product(500)),
        "x*x*…*x, 500 factors, all drawn": lambda: draw_graph(product(500), max_nodes=None),
        "MLP(2, [4, 4, 1]) + loss, every Value": lambda: draw_graph(small[2]),
        "MLP(2, [4, 4, 1]) + loss, draw_network": lambda: draw_network(
            small[0], small[1], loss=squared_error
        ),
        "MLP(2, [16, 16, 1]) + loss (250 nearest)": lambda: draw_graph(big[2]),
        "MLP(2, [16, 16, 1]) + loss, draw_network": lambda: draw_network(
            big[0], big[1], loss=squared_error
        ),
    }
    if quick:
        keep = ("neuron (reference, 5 Values)", "x*x*…*x, 50 factors")
        chosen = {name: chosen[name] for name in keep}
    return chosen


def run(repeats: int = 3, out: str | None = None, quick: bool = False) -> str:
    from engine.views.render import RenderTimeout, render

    chosen = pictures(quick)
    over: set[str] = set()  # pictures that ran out of render()'s budget at least once
    out = out or tempfile.mkdtemp(prefix="scalarflow-gallery-")
    os.makedirs(out, exist_ok=True)
    times = {(name, fmt): [] for name in chosen for fmt in ("svg", "png")}
    names = list(chosen)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            for fmt in ("svg", "png"):
                start = time.perf_counter()
                try:
                    data = render(chosen[name](), fmt)
                except RenderTimeout:  # the budget ran out: counted as what it cost
                    data = None
                    over.add(name)
                times[name, fmt].append(time.perf_counter() - start)
                if r == 0 and data is not None:
                    with open(os.path.join(out, f"{_file_name(name)}.{fmt}"), "wb") as file:
                        file.write(data)
    reference = {fmt: median(times[names[0], fmt]) for fmt in ("svg", "png")}
    rows = []
    for name in names:
        svg, png = median(times[name, "svg"]), median(times[name, "png"])
        ok = "yes" if max(svg, png) < GOAL_SECONDS else "NO"
        if name in over:
            ok += " (budget ran out: RenderTimeout)"
        rows.append(
            [
                name,
                f"{svg:.2f} s",
                f"{svg / reference['svg']:.1f}x",
                f"{png:.2f} s",
                f"{png / reference['png']:.1f}x",
                ok,
            ]
        )
    header = ["picture", "to SVG", "/ neuron", "to PNG", "/ neuron", f"< {GOAL_SECONDS:g} s"]
    return f"{table(header, rows)}\n\npictures written to {out}"


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")[:60]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="where to write the pictures (default: a new temp folder)")
    parser.add_argument("--quick", action="store_true", help="two small pictures, one repeat")
    args = parser.parse_args()
    print(run(1 if args.quick else args.repeats, args.out, args.quick))


if __name__ == "__main__":
    main()
