"""Datasets: shapes, labels, geometry, seeding, and argument checks."""

import math
import random

import pytest

from nn import datasets

GENERATORS = {
    "moons": lambda seed: datasets.moons(n=41, seed=seed),
    "circles": lambda seed: datasets.circles(n=41, seed=seed),
    "spirals": lambda seed: datasets.spirals(n=41, classes=4, seed=seed),
    "blobs": lambda seed: datasets.blobs(n=41, centers=3, seed=seed),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_shapes_labels_and_seeding(name):
    X, y = GENERATORS[name](0)
    assert len(X) == len(y) == 41
    assert all(len(x) == 2 and all(isinstance(v, float) for v in x) for x in X)
    assert all(isinstance(t, int) for t in y)
    assert sorted(set(y)) == list(range(len(set(y))))
    assert GENERATORS[name](0) == (X, y)
    assert GENERATORS[name](1) != (X, y)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_datasets_never_touch_the_global_random_generator(name):
    random.seed(5)
    expected = random.random()
    random.seed(5)
    GENERATORS[name](None)
    assert random.random() == expected


def test_xor_is_the_truth_table():
    X, y = datasets.xor()
    assert y == [int(a) ^ int(b) for a, b in X]


def test_noiseless_moons_lie_on_their_half_circles():
    X, y = datasets.moons(n=50, noise=0.0, seed=0)
    for (a, b), t in zip(X, y, strict=True):
        if t == 0:  # upper moon: the unit circle, upper half
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower moon: centred at (1, 0.5), lower half
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert y.count(0) == y.count(1) == 25


def test_noiseless_circles_have_the_two_radii():
    X, y = datasets.circles(n=20, noise=0.0, factor=0.3, seed=0)
    for (a, b), t in zip(X, y, strict=True):
        assert math.hypot(a, b) == pytest.approx(1.0 if t == 0 else 0.3)


def test_spirals_split_the_points_between_classes():
    X, y = datasets.spirals(n=31, classes=3, seed=0)
    assert [y.count(k) for k in range(3)] == [11, 10, 10]
    assert all(math.hypot(a, b) <= 1.0 + 1e-12 for a, b in X)


def test_blobs_gather_around_their_centers():
    centers = [[-5.0, 0.0], [5.0, 5.0]]
    X, y = datasets.blobs(n=200, centers=centers, std=0.5, seed=0)
    for k, (cx, cy) in enumerate(centers):
        pts = [x for x, t in zip(X, y, strict=True) if t == k]
        mean_x = sum(p[0] for p in pts) / len(pts)
        mean_y = sum(p[1] for p in pts) / len(pts)
        assert abs(mean_x - cx) < 0.2 and abs(mean_y - cy) < 0.2  # 5 standard errors


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: datasets.moons(n=1), "n must be a whole number >= 2"),
        (lambda: datasets.moons(n=10.5), "n must be"),
        (lambda: datasets.moons(noise=-0.1), "noise must be >= 0, got -0.1"),
        (lambda: datasets.moons(noise=math.nan), "noise must be"),
        (lambda: datasets.circles(factor=1.0), r"factor must be in \(0, 1\), got 1"),
        (lambda: datasets.spirals(n=2, classes=3), "n must be at least the number of classes"),
        (lambda: datasets.spirals(classes=1), "classes must be a whole number >= 2"),
        (lambda: datasets.blobs(centers=0), "centers must be a whole number >= 1"),
        (lambda: datasets.blobs(centers=[[0, 0, 0]]), "each center must be a point"),
        (lambda: datasets.blobs(centers="ab"), "centers must be"),
        (lambda: datasets.blobs(n=1, centers=2), "n must be at least the number of centers"),
        (lambda: datasets.blobs(std=-1), "std must be >= 0, got -1"),
    ],
)
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
