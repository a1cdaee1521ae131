"""Run every benchmark (W1-W4 and the import time) and print the results as Markdown.

    .venv/bin/python benchmarks/run_all.py            # the full run, a few minutes
    .venv/bin/python benchmarks/run_all.py --quick    # tiny sizes: checks the scripts work

micrograd is a benchmark-only dependency: ``.venv/bin/pip install micrograd==0.1.0``
(or ``pip install -e '.[bench]'``). Without it, its rows are left out.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import graphs  # noqa: E402
import import_time  # noqa: E402
import w1_step  # noqa: E402
from common import have_micrograd  # noqa: E402

FULL = {
    "w1": {"processes": 5, "steps": 3, "points": 100},
    "graphs": {"max_chain": 1_000_000, "repeats": 5, "wide": 100_000, "micrograd_max": 10_000},
    "imports": {"processes": 9},
}
QUICK = {
    "w1": {"processes": 1, "steps": 2, "points": 6},
    "graphs": {"max_chain": 1_000, "repeats": 1, "wide": 500, "micrograd_max": 100},
    "imports": {"processes": 1},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the scripts")
    sizes = QUICK if parser.parse_args().quick else FULL
    start = time.perf_counter()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"micrograd {'installed' if have_micrograd() else 'NOT installed (rows left out)'}\n"
    )
    summary = w1_step.run(**sizes["w1"])
    print(w1_step.report(summary), end="\n\n")
    if "micrograd" in summary:
        speedup = summary["micrograd"]["median"] / summary["scalarflow"]["median"]
        print(f"W1: scalarflow is {speedup:.1f}x faster than micrograd (ratio of medians)\n")
    print(graphs.run(**sizes["graphs"]), end="\n\n")
    print(import_time.run(**sizes["imports"]), end="\n\n")
    print(f"(the whole run took {time.perf_counter() - start:.0f} s)")
    w1_step.check_losses_agree(summary)


if __name__ == "__main__":
    main()
