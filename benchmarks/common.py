"""Small helpers shared by the benchmark scripts: timing, medians, tables."""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def have_micrograd() -> bool:
    """True if PyPI's ``micrograd`` is installed (``pip install micrograd==0.1.0``)."""
    try:
        import micrograd.engine  # noqa: F401
    except ImportError:
        return False
    return True


def installed(module: str) -> bool:
    """True if ``module`` (torch, jax, ...) can be imported; nothing is imported to tell."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def in_fresh_process(script: str, *args: object) -> tuple[dict, float]:
    """Run ``python script *args`` in a new interpreter: the JSON it prints, and its wall time.

    Each contender measured this way inherits no other's heap, imports or threads; the child
    sees this process's environment (set thread pins before calling).
    """
    cmd = [sys.executable, script, *map(str, args)]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out), time.perf_counter() - start


def timed(fn: Callable, *args):
    """(seconds, result) of one call, after a full collection so earlier garbage is not billed."""
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def median(xs) -> float:
    return statistics.median(xs)


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, columns padded so it also reads well in a terminal."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(header, widths)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join(lines)


def w1_main(doc: str, contenders, child: Callable, run: Callable, report: Callable,
            check: Callable, steps: int) -> None:  # fmt: skip
    """The command line of a W1 benchmark whose contenders each run in a fresh process.

    ``--child NAME`` runs one contender and prints its figures as JSON (what ``run``
    starts for each); otherwise ``run`` times them all, ``report`` prints the table and
    ``check`` exits non-zero if their losses disagree.
    """
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--child", choices=contenders, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.steps, args.points)))
        return
    summary = run(args.processes, args.steps, args.points)
    print(report(summary))
    check(summary)
