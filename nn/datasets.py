"""Small 2-D datasets for classification, in pure Python and seeded.

Each returns ``(X, y)``: ``X`` a list of ``[x1, x2]`` points and ``y`` a list
of integer class labels ``0, 1, …``. The same ``seed`` always gives the same
data (each call uses its own ``random.Random``, never the global one). For
``hinge_loss``, which wants labels ±1, convert with ``[2 * t - 1 for t in y]``.

>>> X, y = moons(n=6, noise=0.0, seed=0)
>>> len(X), sorted(set(y))
(6, [0, 1])
>>> moons(n=50, seed=3) == moons(n=50, seed=3)
True
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence

from engine.utils.arguments import at_least, in_range, number, whole_number

__all__ = ["xor", "moons", "circles", "spirals", "blobs"]

Data = tuple[list[list[float]], list[int]]


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _shuffled(points: list[list[float]], labels: list[int], rng: random.Random) -> Data:
    order = list(range(len(points)))
    rng.shuffle(order)
    return [points[i] for i in order], [labels[i] for i in order]


def _jitter(points: list[list[float]], noise: float, rng: random.Random) -> list[list[float]]:
    return [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in points]


def xor() -> Data:
    """The four corners of the XOR problem: class 1 where exactly one input is 1.

    No straight line separates the classes, which is why a network needs a
    hidden layer with an activation to solve it.

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]


def moons(n: int = 100, noise: float = 0.1, seed: int | None = None) -> Data:
    """Two interleaving half circles (like scikit-learn's ``make_moons``), shuffled.

    Class 0 is the upper moon (cos t, sin t), class 1 the lower one
    (1 - cos t, 0.5 - sin t), for t in [0, π]; Gaussian noise of std ``noise``.

    >>> X, y = moons(n=4, noise=0.0, seed=1)
    >>> sorted((round(a, 3), round(b, 3), c) for (a, b), c in zip(X, y))
    [(-1.0, 0.0, 0), (0.0, 0.5, 1), (1.0, 0.0, 0), (2.0, 0.5, 1)]
    """
    n = whole_number("n", n, 2)
    noise = at_least("noise", noise)
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_outer)]
    inner = [[1 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_inner)]
    points = _jitter(outer + inner, noise, rng)
    return _shuffled(points, [0] * n_outer + [1] * n_inner, rng)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> Data:
    """A circle inside a circle (like ``make_circles``): class 0 outside, class 1 inside.

    The inner circle's radius is ``factor`` (0 < factor < 1) times the outer one's (1).

    >>> X, y = circles(n=8, noise=0.0, seed=0)
    >>> sorted({round(math.hypot(a, b), 6) for a, b in X})
    [0.5, 1.0]
    """
    n = whole_number("n", n, 2)
    noise = at_least("noise", noise)
    factor = in_range("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0, 2 * math.pi, n_outer, False)]
    inner = [
        [factor * math.cos(t), factor * math.sin(t)]
        for t in _linspace(0, 2 * math.pi, n_inner, False)
    ]
    points = _jitter(outer + inner, noise, rng)
    return _shuffled(points, [0] * n_outer + [1] * n_inner, rng)


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int | None = None) -> Data:
    """``classes`` interleaved spiral arms (as in Stanford's CS231n), labels 0 … classes-1.

    Arm k: radius r from 0 to 1, angle 4k + 4r plus Gaussian noise of std
    ``noise`` on the angle; the point is (r·sin θ, r·cos θ).

    >>> X, y = spirals(n=30, classes=3, seed=0)
    >>> [y.count(k) for k in range(3)]
    [10, 10, 10]
    """
    n = whole_number("n", n, 1)
    classes = whole_number("classes", classes, 2)
    noise = at_least("noise", noise)
    if n < classes:
        raise ValueError(f"n must be at least the number of classes ({classes}), got {n}")
    rng = random.Random(seed)
    points, labels = [], []
    for k in range(classes):
        size = n // classes + (1 if k < n % classes else 0)
        for r in _linspace(0.0, 1.0, size):
            theta = 4.0 * k + 4.0 * r + rng.gauss(0.0, noise)
            points.append([r * math.sin(theta), r * math.cos(theta)])
            labels.append(k)
    return _shuffled(points, labels, rng)


def blobs(
    n: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    std: float = 1.0,
    seed: int | None = None,
) -> Data:
    """Gaussian blobs (like ``make_blobs``): one class per center, std ``std`` around it.

    ``centers`` is a number of classes (centers drawn uniformly in [-10, 10]²)
    or a list of ``[x, y]`` centers.

    >>> X, y = blobs(n=4, centers=[[0, 0], [5, 5]], std=0.0, seed=0)
    >>> sorted(zip(map(tuple, X), y))
    [((0.0, 0.0), 0), ((0.0, 0.0), 0), ((5.0, 5.0), 1), ((5.0, 5.0), 1)]
    """
    n = whole_number("n", n, 1)
    std = at_least("std", std)
    rng = random.Random(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = whole_number("centers", centers, 1)
        middles = [[rng.uniform(-10, 10), rng.uniform(-10, 10)] for _ in range(k)]
    elif isinstance(centers, Sequence) and not isinstance(centers, str) and centers:
        middles = []
        for c in centers:
            if not isinstance(c, Sequence) or len(c) != 2:
                raise ValueError(f"each center must be a point [x, y], got {c!r}")
            middles.append([number("a center coordinate", v) for v in c])
    else:
        raise ValueError(
            f"centers must be a number of classes or a list of [x, y], got {centers!r}"
        )
    if n < len(middles):
        raise ValueError(f"n must be at least the number of centers ({len(middles)}), got {n}")
    points, labels = [], []
    for i in range(n):
        k = i % len(middles)
        cx, cy = middles[k]
        points.append([cx + rng.gauss(0.0, std), cy + rng.gauss(0.0, std)])
        labels.append(k)
    return _shuffled(points, labels, rng)
