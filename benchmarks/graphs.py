"""W2-W4: a deep chain, a wide sum, and the memory of a node.

W2  n links of ``x -> x * 1.0001 + 0.001`` (n = 1e3 ... 1e6), build + backward
    (freeing the graph afterwards is not timed),
    against the same loop over plain floats (forward, then the chain rule as a
    loop of products). Reports time per link and the ratio to floats.
W3  1e5 products summed as a balanced tree, build + backward.
W4  bytes per node of W3's graph, measured with tracemalloc: everything
    allocated while building it (leaves included) over the number of Values.

The contenders take turns within each repetition, in alternating order, after
a full garbage collection; each result is checked against the floats.

    .venv/bin/python benchmarks/graphs.py [--max-chain 1000000] [--repeats 5] [--wide 100000]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads as w  # noqa: E402
from common import fmt_time, have_micrograd, median, table, timed  # noqa: E402


def value_classes() -> dict:
    from engine import Value

    classes = {"scalarflow": Value}
    if have_micrograd():
        from micrograd.engine import Value as MicroValue

        classes["micrograd"] = MicroValue
    return classes


def _agree(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b))


def alternate(contenders: dict, repeats: int) -> dict:
    """Median seconds per contender (or the error it raised); contenders take turns."""
    times = {name: [] for name in contenders}
    results, failures = {}, {}
    names = list(contenders)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            if name in failures:
                continue
            try:
                seconds, (result, graph) = timed(contenders[name])
            except RecursionError as e:
                failures[name] = f"{type(e).__name__}"
                gc.collect()  # micrograd's half-built graph is full of cycles
                continue
            times[name].append(seconds)
            results[name] = result
            del graph  # freeing the graph is not part of build + backward
    out = {}
    for name in names:
        if name in failures:
            out[name] = {"error": failures[name]}
        else:
            ok = _agree(results[name], results["floats"])
            out[name] = {"median": median(times[name]), "agrees": ok}
    return out


def collector_paused(fn):
    """``fn`` run inside ``engine.gc_paused()``: the cyclic garbage collector off meanwhile."""

    def run():
        from engine import gc_paused

        with gc_paused():
            return fn()

    return run


PAUSED = "scalarflow, gc paused"


def deep_chain(sizes, repeats: int, micrograd_max: int) -> dict:
    """W2 at each size: {n: {contender: {median | error}}}."""
    classes = value_classes()
    report = {}
    for n in sizes:
        contenders = {"floats": lambda n=n: w.chain_floats(n)}
        for name, cls in classes.items():
            if name == "micrograd" and n > micrograd_max:
                continue  # its recursive backward already failed at a smaller size
            contenders[name] = lambda n=n, cls=cls: w.chain_values(cls, n)
        sf = classes["scalarflow"]
        contenders[PAUSED] = collector_paused(lambda n=n, sf=sf: w.chain_values(sf, n))
        report[n] = alternate(contenders, repeats)
    return report


def linearity(chain: dict, name: str, small: int = 10_000, large: int = 1_000_000):
    """Per-link time at ``large`` over per-link time at ``small`` (1.0 = perfectly linear)."""
    if small not in chain or large not in chain:
        return None
    return (chain[large][name]["median"] / large) / (chain[small][name]["median"] / small)


def wide_sum(n: int, repeats: int) -> dict:
    """W3: {contender: {median}}."""
    ws, xs = w.wide_inputs(n)
    contenders = {"floats": lambda: w.wide_floats(ws, xs)}
    for name, cls in value_classes().items():
        contenders[name] = lambda cls=cls: w.wide_values(cls, ws, xs)
    return alternate(contenders, repeats)


def bytes_per_node(n: int) -> dict:
    """W4: tracemalloc'd bytes of W3's graph per Value, before and after backward."""
    ws, xs = w.wide_inputs(n)
    out = {}
    for name, cls in value_classes().items():
        gc.collect()
        tracemalloc.start()
        root, leaves = w.wide_graph(cls, ws, xs)
        built = tracemalloc.get_traced_memory()[0]
        root.backward()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        nodes = len(leaves) + 2 * n - 1  # leaves, n products, n - 1 sums
        out[name] = {"nodes": nodes, "built": built / nodes, "after_backward": after / nodes}
        del root, leaves
        gc.collect()
    return out


def report_chain(chain: dict) -> str:
    rows = []
    for n, res in chain.items():
        base = res["floats"]["median"]
        for name, r in res.items():
            if "error" in r:
                rows.append([f"{n:.0e}", name, r["error"], "", ""])
                continue
            per = r["median"] / n
            ratio = "1" if name == "floats" else f"{r['median'] / base:.1f}x"
            flag = "" if r["agrees"] else " (DISAGREES)"
            rows.append([f"{n:.0e}", name, fmt_time(r["median"]) + flag, fmt_time(per), ratio])
    return table(["W2 links", "contender", "build+backward", "per link", "/ floats"], rows)


def report_wide(wide: dict, n: int) -> str:
    base = wide["floats"]["median"]
    rows = []
    for name, r in wide.items():
        ratio = "1" if name == "floats" else f"{r['median'] / base:.1f}x"
        sf = wide["scalarflow"]["median"]
        vs_sf = f"{r['median'] / sf:.2f}x"
        flag = "" if r["agrees"] else " (DISAGREES)"
        rows.append([name, fmt_time(r["median"]) + flag, ratio, vs_sf])
    return table(
        [f"W3 sum of {n:.0e} products", "build+backward", "/ floats", "/ scalarflow"], rows
    )


def report_memory(mem: dict) -> str:
    rows = [
        [name, f"{m['nodes']}", f"{m['built']:.0f}", f"{m['after_backward']:.0f}"]
        for name, m in mem.items()
    ]
    return table(["W4 contender", "Values", "bytes/node built", "after backward"], rows)


def run(max_chain=1_000_000, repeats=5, wide=100_000, micrograd_max=10_000) -> str:
    """Run W2, W3 and W4; the report as Markdown tables."""
    sizes = [10**k for k in range(3, 7) if 10**k <= max_chain] or [max_chain]
    chain = deep_chain(sizes, repeats, micrograd_max)
    parts = [report_chain(chain)]
    lines = []
    for name in ("scalarflow", PAUSED):
        ratio = linearity(chain, name)
        if ratio is not None:
            lines.append(f"W2 linearity ({name}): per-link time at 1e6 / at 1e4 = {ratio:.2f}")
    if lines:
        parts.append("\n".join(lines))
    parts.append(report_wide(wide_sum(wide, repeats), wide))
    parts.append(report_memory(bytes_per_node(wide)))
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-chain", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--wide", type=int, default=100_000)
    parser.add_argument("--micrograd-max", type=int, default=10_000)
    args = parser.parse_args()
    print(run(args.max_chain, args.repeats, args.wide, args.micrograd_max))


if __name__ == "__main__":
    main()
