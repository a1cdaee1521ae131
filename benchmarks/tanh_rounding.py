"""How often tanh is correctly rounded: scalarflow's float tanh beside math.tanh.

Over evenly drawn points in [-3, 3] (seeded), each result is compared with the
exact tanh rounded to the nearest float (``decimal``: the binary input is exact
in Decimal, and 40 digits leave the quotient far inside one float rounding).
A result is *misrounded* when it is not that float. Also shown: the plain
expm1 formula t / (t + 2) without the corrections, each region of |x|, the
worst error in units in the last place, and the cost of one call.

    .venv/bin/python benchmarks/tanh_rounding.py [--points 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import timeit
from decimal import Decimal, localcontext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import table  # noqa: E402


def exact(x: float) -> float:
    """tanh(x), correctly rounded to a float."""
    with localcontext() as context:
        # 40 digits, plus those that e^2x - 1 cancels when x is tiny.
        context.prec = 40 + max(0, -math.frexp(x)[1] * 3 // 10)
        e = (2 * Decimal(x)).exp()
        return float((e - 1) / (e + 1))  # Decimal -> float rounds correctly


def plain_expm1(x: float) -> float:
    t = math.expm1(2.0 * abs(x)) if abs(x) < 20 else math.inf
    return math.copysign(t / (t + 2.0) if t < math.inf else 1.0, x)


def contenders() -> dict:
    from engine.ops import _tanh_float

    return {
        "scalarflow (engine.ops)": _tanh_float,
        "math.tanh": math.tanh,
        "t / (t + 2), t = expm1(2|x|)": plain_expm1,
    }


def run(points: int = 100_000, seed: int = 0) -> str:
    rng = random.Random(seed)
    xs = [rng.uniform(-3.0, 3.0) for _ in range(points)]
    reference = [exact(x) for x in xs]
    regions = [(0.0, 0.45), (0.45, 1.2), (1.2, 3.0)]
    rows = []
    for name, tanh in contenders().items():
        wrong = [tanh(x) != r for x, r in zip(xs, reference)]
        by_region = []
        for low, high in regions:
            inside = [w for x, w in zip(xs, wrong) if low <= abs(x) < high]
            by_region.append(f"{sum(inside) / len(inside):.2%}")
        ulps = max(abs(tanh(x) - r) / math.ulp(r) for x, r in zip(xs, reference))
        seconds = min(timeit.repeat(lambda f=tanh: f(0.7), number=20_000, repeat=5)) / 20_000
        rows.append(
            [name, f"{sum(wrong) / points:.2%}", *by_region, f"{ulps:.2f}", f"{seconds * 1e9:.0f}"]
        )
    header = ["tanh", f"misrounded of {points:,}", *(f"|x| in [{a}, {b})" for a, b in regions)]
    return table([*header, "worst (ulps)", "ns per call"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(run(args.points, args.seed))


if __name__ == "__main__":
    main()
