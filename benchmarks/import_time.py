"""How long ``import engine`` takes in a fresh interpreter (median over fresh processes).

.venv/bin/python benchmarks/import_time.py [--processes 9]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import fmt_time, median, table  # noqa: E402

PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str, processes: int) -> float:
    """Median wall time of ``import module`` (the interpreter's own start-up excluded)."""
    times = []
    for _ in range(processes):
        cmd = [sys.executable, "-c", PROBE.format(module=module)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        times.append(float(out))
    return median(times)


def run(processes: int = 9) -> str:
    rows = [[f"import {m}", fmt_time(import_seconds(m, processes))] for m in ("engine",)]
    return table(["import time (fresh process)", "median"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=9)
    print(run(parser.parse_args().processes))


if __name__ == "__main__":
    main()
