"""Datasets for classification: small 2-D ones drawn in pure Python, and real handwritten digits.

Each returns ``(X, y)``: ``X`` a list of samples (``[x1, x2]`` points; for
``digits``, 64 pixels) and ``y`` a list of integer class labels ``0, 1, …``.
The drawn ones are seeded: the same ``seed`` always gives the same data (each
call uses its own ``random.Random``, never the global one). For
``hinge_loss``, which wants labels ±1, convert with ``[2 * t - 1 for t in y]``.
``train_test_split`` splits any of them into a training and a test set.

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
from collections.abc import Hashable, Sequence

from engine.utils.arguments import at_least, in_range, number, sequence, whole_number

__all__ = ["xor", "moons", "circles", "spirals", "blobs", "digits", "train_test_split"]

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


# -- real data ------------------------------------------------------------------------------

#: The digits as scikit-learn ships them (``sklearn/datasets/data/digits.csv.gz``, byte for
#: byte): one image a line, 64 pixel counts 0..16 row by row, then the label.
DIGITS_FILE = "data/digits.csv.gz"


def digits() -> Data:
    """1,797 handwritten digits, each an 8×8 image as 64 floats in [0, 1] row by row; labels 0–9.

    The classic UCI "Optical Recognition of Handwritten Digits" set, as
    scikit-learn's ``load_digits`` has it, shipped inside this package (57 KB,
    no download). 43 people filled in forms by hand; each digit was scanned as
    32×32 black-and-white pixels, and each 4×4 block of those became one pixel
    here, counting its black pixels (0..16). This returns the counts divided by
    16, so 0.0 is white paper and 1.0 a block all ink, in the file's order
    (the first image is a 0; ``y`` has 174 to 183 of each digit). Pixel
    ``8·r + c`` is row ``r``, column ``c``: ``nn.plot.images(X)`` draws them.

    Source: E. Alpaydin and C. Kaynak (1998), *Optical Recognition of
    Handwritten Digits* [dataset], UCI Machine Learning Repository,
    https://doi.org/10.24432/C50P49 (its test set, ``optdigits.tes``).
    Licence: Creative Commons Attribution 4.0 (CC BY 4.0); cite it as above.

    >>> X, y = digits()
    >>> len(X), len(X[0]), sorted(set(y)) == list(range(10))
    (1797, 64, True)
    >>> y[0], X[0][:8]  # the first image's label and its top row
    (0, [0.0, 0.0, 0.3125, 0.8125, 0.5625, 0.0625, 0.0, 0.0])
    """
    import gzip  # only the digits need these: import nn stays light
    from importlib import resources

    packed = resources.files(__package__).joinpath(DIGITS_FILE).read_bytes()
    X, y = [], []
    for line in gzip.decompress(packed).decode("ascii").splitlines():
        *pixels, label = line.split(",")
        X.append([int(p) / 16 for p in pixels])
        y.append(int(label))
    return X, y


# -- splitting ------------------------------------------------------------------------------


def train_test_split(
    X: Sequence, y: Sequence, test_size: float | int = 0.2, seed: int | None = 0
) -> tuple[list, list, list, list]:
    """``(X_train, X_test, y_train, y_test)``: a random split with each class in the same share.

    ``test_size`` is the fraction of the samples to hold out (0 < test_size < 1;
    the test set gets ⌈test_size · n⌉ of them, as in scikit-learn) or their
    number. The split is *stratified*: every class goes to the test set in the
    same proportion (its share rounded, at least one sample on each side), so a
    rare class is neither missing from the test nor from the training set. The
    same ``seed`` gives the same split (``random.Random(seed)``, never the global
    generator); both parts come shuffled. The samples themselves are not copied.

    >>> X, y = digits()
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    >>> len(X_train), len(X_test), y_test.count(0), y_test.count(8)
    (1437, 360, 36, 35)
    >>> train_test_split(X, y, seed=0) == (X_train, X_test, y_train, y_test)
    True
    """
    X, y = samples_and_targets(X, y, "train_test_split")
    classes = _by_class(y)  # each label's sample indices, in order of first appearance
    n_test = _test_count(test_size, len(X))
    for label, members in classes.items():
        if len(members) < 2:
            raise ValueError(
                f"class {label!r} has only 1 sample: a stratified split needs at least 2 of "
                f"each class (one to train on, one to test); remove it or collect more"
            )
    for part, size in (("test", n_test), ("training", len(X) - n_test)):
        if size < len(classes):
            raise ValueError(
                f"test_size={test_size!r} leaves {size} samples for the {part} set, fewer than "
                f"the {len(classes)} classes: a stratified split puts every class on both sides; "
                f"choose a test_size nearer 0.5"
            )
    rng = random.Random(seed)
    train, test = [], []
    shares = _shares([len(m) for m in classes.values()], n_test)
    for members, share in zip(classes.values(), shares):
        members = members[:]
        rng.shuffle(members)
        test += members[:share]
        train += members[share:]
    rng.shuffle(train)  # not grouped by class
    rng.shuffle(test)
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


def samples_and_targets(X: Sequence, y: Sequence, caller: str) -> tuple[list, list]:
    """X and y as lists (numpy arrays are fine), checked to be non-empty and equally long.

    Shared by everything that takes a data set (``fit``, ``evaluate``, the split);
    ``caller`` names the function in the message about an empty X.

    >>> samples_and_targets([[0.0]], [], "fit")
    Traceback (most recent call last):
    ValueError: X has 1 samples but y has 0 targets
    """
    X, y = sequence("X", X), sequence("y", y)
    if len(X) == 0:
        raise ValueError(f"X is empty: {caller} needs at least one sample")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} targets")
    return X, y


def _by_class(y: list) -> dict[Hashable, list[int]]:
    classes: dict[Hashable, list[int]] = {}
    for i, label in enumerate(y):
        if not isinstance(label, Hashable) or isinstance(label, float) and math.isnan(label):
            raise TypeError(
                f"y[{i}] is {label!r}: a stratified split needs a class label (an int or a "
                f"string) for every sample; for one-hot targets pass the class indices"
            )
        classes.setdefault(label, []).append(i)
    return classes


def _test_count(test_size: float | int, n: int) -> int:
    """How many samples ``test_size`` holds out of ``n``: a fraction of them, or a number."""
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        count = whole_number("test_size", test_size, 1)
        if count >= n:
            raise ValueError(
                f"test_size={count} samples leaves none of the {n} to train on: give fewer, "
                f"or a fraction such as 0.2"
            )
        return count
    fraction = in_range("test_size", test_size, 0.0, 1.0, low_open=True, high_open=True)
    # rounded first so that 0.3 · 10 (3.0000000000000004 in floats) holds out 3, not 4
    count = math.ceil(round(fraction * n, 9))
    if count >= n:
        raise ValueError(
            f"test_size={fraction:g} of {n} samples leaves none to train on: use a smaller fraction"
        )
    return count


def _shares(sizes: list[int], n_test: int) -> list[int]:
    """How many of each class go to the test set: ``n_test`` in all, shared in proportion.

    Each class's quota is its size · n_test / n; every class gets the whole part of its
    quota, and the samples left over go to the largest fractions (Hamilton's method, as
    seats in a parliament). Then every class gets at least one test sample and keeps at
    least one for training, each moved from the class its quota favoured most.
    """
    n = sum(sizes)
    quotas = [size * n_test / n for size in sizes]
    shares = [math.floor(q) for q in quotas]
    by_fraction = sorted(range(len(sizes)), key=lambda k: shares[k] - quotas[k])
    for k in by_fraction[: n_test - sum(shares)]:
        shares[k] += 1
    for k, size in enumerate(sizes):
        if shares[k] == 0:  # a small class: one test sample, from the most favoured class
            donor = max((j for j in range(len(sizes)) if shares[j] > 1),
                        key=lambda j: shares[j] - quotas[j])  # fmt: skip
            shares[donor] -= 1
            shares[k] += 1
        elif shares[k] == size:  # one left to train on, tested in the least favoured class
            taker = min((j for j in range(len(sizes)) if shares[j] < sizes[j] - 1),
                        key=lambda j: shares[j] - quotas[j])  # fmt: skip
            shares[taker] += 1
            shares[k] -= 1
    return shares
