"""engine.compile's setup and step time as the network widens: MLP(2, [w, w, 1]), w = 16, 64, 256.

For each width, in a fresh process (BLAS/OpenMP threads pinned to 1): the
time to trace, to write and compile the code (``step.source`` forces it), the
first call (which re-traces ``validate=2`` examples and checks them against
eager), the median step on 100 moons points with numpy, one eager step for
comparison (up to width 64), the peak memory of the process, and the length
of the fused source.

    .venv/bin/python benchmarks/compile_setup.py [--widths 16,64,256] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

THREADS = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
os.environ.update(THREADS)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import fmt_time, in_fresh_process, median, table  # noqa: E402

EAGER_UP_TO = 64  # an eager step at width 256 builds 33M nodes: minutes and gigabytes


def child(width: int, steps: int) -> dict:
    import random
    import resource

    import numpy as np
    import workloads as w

    import engine
    from engine import Value

    X, y = w.moons(100)
    rng = random.Random(0)
    sizes = (2, width, width, 1)
    weights = [
        [([rng.uniform(-1, 1) for _ in range(a)], 0.0) for _ in range(b)]
        for a, b in zip(sizes, sizes[1:])
    ]
    model = w.ValueMLP(Value, weights)
    params = model.parameters()

    def loss(x, yi):
        return (1 + -yi * model(x)).relu() + w.ALPHA * sum(p * p for p in params)

    start = time.perf_counter()
    step = engine.compile(loss, (X[0], y[0]), params=params)
    traced = time.perf_counter()
    source = step.source  # writes and compiles the array code
    written = time.perf_counter()
    batch = (np.asarray(X), np.asarray(y, dtype=float))
    step(*batch)
    first = time.perf_counter()
    times = []
    for _ in range(steps):
        for p in params:
            p.grad = 0.0
        t = time.perf_counter()
        step(*batch)
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before any eager step
    eager = None
    if width <= EAGER_UP_TO:
        t = time.perf_counter()
        w.value_step(model, Value, X, y, 0)
        eager = time.perf_counter() - t
    return {
        "nodes": len(step.graph.nodes),
        "params": len(params),
        "trace": traced - start,
        "codegen": written - traced,
        "first_call": first - written,
        "step": median(times),
        "eager": eager,
        "peak_mb": peak,
        "lines": len(source.splitlines()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="16,64,256")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.steps)))
        return
    rows = []
    for width in [int(v) for v in args.widths.split(",")]:
        r, _ = in_fresh_process(os.path.abspath(__file__), "--child", width, "--steps", args.steps)
        setup = r["trace"] + r["codegen"]
        eager = r["eager"]
        rows.append(
            [
                f"{width}",
                f"{r['nodes']:,}",
                f"{r['params']:,}",
                fmt_time(r["trace"]),
                fmt_time(r["codegen"]),
                f"{setup / eager:.2f}" if eager else "-",
                fmt_time(r["first_call"]),
                fmt_time(r["step"]),
                fmt_time(eager) if eager else "-",
                f"{eager / r['step']:,.0f}x" if eager else "-",
                f"{r['peak_mb']:.0f} MB",
                str(r["lines"]),
            ]
        )
    header = ["width", "nodes per example", "params", "trace", "codegen+compile"]
    header += ["setup / eager step", "first call (validate)", "compiled step", "eager step"]
    header += ["speed-up", "peak memory", "source lines"]
    print(table(header, rows))


if __name__ == "__main__":
    main()
