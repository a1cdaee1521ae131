"""The handwritten digits shipped in nn/data, and train_test_split on every dataset."""

import gzip
import hashlib
import itertools
import math
import random
from collections import Counter
from pathlib import Path

import pytest

from nn import MLP, datasets, evaluate, fit

ROOT = Path(__file__).resolve().parent.parent
DIGITS_FILE = ROOT / "nn" / "data" / "digits.csv.gz"
# scikit-learn 1.9.1's sklearn/datasets/data/digits.csv.gz, byte for byte
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"

# The first image of load_digits (images[0]), a 0, as the pixel counts 0..16.
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]


@pytest.fixture(scope="module")
def digits():
    return datasets.digits()


def test_the_file_is_scikit_learns_copy_unchanged():
    assert hashlib.sha256(DIGITS_FILE.read_bytes()).hexdigest() == DIGITS_SHA256
    assert DIGITS_FILE.stat().st_size < 64_000  # small enough to ship in the package


def test_count_shape_and_types(digits):
    X, y = digits
    assert len(X) == len(y) == 1797
    assert all(len(x) == 64 and all(type(v) is float for v in x) for x in X)
    assert all(type(t) is int for t in y)


def test_pixels_are_counts_of_16_scaled_to_the_unit_interval(digits):
    X, _ = digits
    pixels = {v for x in X for v in x}
    assert pixels == {k / 16 for k in range(17)}  # every count 0..16 occurs, nothing else
    assert min(pixels) == 0.0 and max(pixels) == 1.0


def test_labels_are_the_ten_digits_in_scikit_learns_counts(digits):
    _, y = digits
    assert Counter(y) == {0: 178, 1: 182, 2: 177, 3: 183, 4: 181,
                          5: 182, 6: 181, 7: 179, 8: 174, 9: 180}  # fmt: skip
    assert y[:10] == list(range(10))  # the file starts 0, 1, 2, ..., 9


def test_the_classic_first_image_is_a_zero(digits):
    X, y = digits
    assert y[0] == 0
    assert [X[0][8 * r : 8 * r + 8] for r in range(8)] == [
        [v / 16 for v in row] for row in FIRST_IMAGE
    ]


def test_every_value_is_the_files_divided_by_16(digits):
    # Read independently of nn.datasets: the csv's 64 counts and its label, line by line.
    lines = gzip.decompress(DIGITS_FILE.read_bytes()).decode("ascii").splitlines()
    rows = [[int(v) for v in line.split(",")] for line in lines]
    X, y = digits
    assert [[v * 16 for v in x] for x in X] == [row[:64] for row in rows]
    assert y == [row[64] for row in rows]


def test_each_call_gives_fresh_lists():
    X, y = datasets.digits()
    X[0][0] = 99.0
    y[0] = 7
    again = datasets.digits()
    assert again[0][0][0] == 0.0 and again[1][0] == 0


# --- train_test_split ------------------------------------------------------------------------

DATASETS = {
    "xor": lambda: datasets.xor(),
    "moons": lambda: datasets.moons(n=101, seed=0),
    "circles": lambda: datasets.circles(n=60, seed=0),
    "spirals": lambda: datasets.spirals(n=90, classes=3, seed=0),
    "blobs": lambda: datasets.blobs(n=75, centers=4, seed=0),
    "digits": datasets.digits,
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_splits_stratified_and_whole(name):
    X, y = DATASETS[name]()
    test_size = 0.5 if name == "xor" else 0.2
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=test_size)
    # every sample lands on exactly one side, with its own label
    pairs = sorted((tuple(x), t) for x, t in zip(X, y))
    split = [(tuple(x), t) for x, t in zip(X_train + X_test, y_train + y_test)]
    assert sorted(split) == pairs
    assert len(X_test) == math.ceil(test_size * len(X))  # scikit-learn's count
    # each class in the test set in its share of the whole, to within one sample
    for label, size in Counter(y).items():
        share = y_test.count(label)
        assert abs(share - size * len(X_test) / len(X)) < 1
        assert 1 <= share < size


def test_the_split_is_seeded_and_never_touches_the_global_generator(digits):
    X, y = digits
    random.seed(3)
    expected = random.random()
    random.seed(3)
    first = datasets.train_test_split(X, y, seed=5)
    assert random.random() == expected
    assert datasets.train_test_split(X, y, seed=5) == first
    assert datasets.train_test_split(X, y, seed=6) != first
    assert datasets.train_test_split(X, y) == datasets.train_test_split(X, y, 0.2, 0)


def test_both_parts_come_shuffled_not_grouped_by_class(digits):
    X, y = digits
    _, _, y_train, y_test = datasets.train_test_split(X, y)
    assert y_train != sorted(y_train) and y_test != sorted(y_test)
    # runs of one class as long as grouping would give (150+) never happen shuffled
    longest = max(sum(1 for _ in run) for _, run in itertools.groupby(y_train))
    assert longest < 10


def test_a_count_holds_out_that_many():
    X, y = datasets.moons(n=40, seed=1)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=10)
    assert (len(X_train), len(X_test)) == (30, 10)
    assert y_test.count(0) == y_test.count(1) == 5


def test_a_fraction_that_floats_round_up_is_not_one_more():
    # 0.3 * 10 is 3.0000000000000004 in floats; ceil of that alone would hold out 4
    X, y = [[float(i)] for i in range(10)], [0, 1] * 5
    assert len(datasets.train_test_split(X, y, test_size=0.3)[1]) == 3


def test_a_rare_class_still_gets_one_sample_on_each_side():
    # 2 samples of class 1 among 100: its quota is 0.4 of a test sample, rounded to 0 it
    # would be missing from the test set; it gets one, taken from the big class.
    X = [[float(i)] for i in range(100)]
    y = [0] * 98 + [1] * 2
    _, _, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2)
    assert (y_test.count(1), y_train.count(1)) == (1, 1)
    assert len(y_test) == 20
    # ... and a class nearly all in the test set keeps one to train on
    _, _, y_train, y_test = datasets.train_test_split(X, y, test_size=0.9)
    assert (y_test.count(1), y_train.count(1)) == (1, 1)
    assert len(y_test) == 90


def test_string_labels_and_numpy_arrays_split_too():
    np = pytest.importorskip("numpy")
    X = np.arange(40.0).reshape(20, 2)
    y = np.array(["cat", "dog"] * 10)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25)
    assert len(X_test) == 5 and {str(t) for t in y_test} == {"cat", "dog"}
    assert {tuple(r) for r in X_train} | {tuple(r) for r in X_test} == {tuple(r) for r in X}


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (([[0.0]] * 4, [0, 1, 0]), {}, ValueError, "X has 4 samples but y has 3 targets"),
        (([], []), {}, ValueError, "X is empty: train_test_split needs at least one sample"),
        (("abc", [1, 2, 3]), {}, TypeError, "X must be a list, got str"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": 0}, ValueError,
         "test_size must be a whole number >= 1, got 0"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": 1.0}, ValueError,
         r"test_size must be in \(0, 1\), got 1"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": -0.2}, ValueError, r"in \(0, 1\)"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": float("nan")}, ValueError,
         "test_size must be a finite number"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": "0.2"}, TypeError,
         "test_size must be a number, got str"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": True}, TypeError,
         "test_size must be a number, got bool"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": 4}, ValueError,
         "test_size=4 samples leaves none of the 4 to train on"),
        (([[0.0]] * 4, [0, 0, 1, 1]), {"test_size": 0.99}, ValueError,
         "test_size=0.99 of 4 samples leaves none to train on"),
        (([[0.0]] * 5, [0, 0, 1, 1, 2]), {"test_size": 0.5}, ValueError,
         "class 2 has only 1 sample: a stratified split needs at least 2 of each class"),
        (([[0.0]] * 10, [0, 1, 2, 3, 4] * 2), {"test_size": 0.2}, ValueError,
         "test_size=0.2 leaves 2 samples for the test set, fewer than the 5 classes"),
        (([[0.0]] * 10, [0, 1, 2, 3, 4] * 2), {"test_size": 0.8}, ValueError,
         "leaves 2 samples for the training set, fewer than the 5 classes"),
        (([[0.0]] * 4, [[1, 0], [0, 1], [1, 0], [0, 1]]), {}, TypeError,
         r"y\[0\] is \[1, 0\]: a stratified split needs a class label"),
        (([[0.0]] * 4, [0.0, float("nan"), 0.0, 1.0]), {}, TypeError, r"y\[1\] is nan"),
    ],
)  # fmt: skip
def test_bad_arguments_are_clear_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        datasets.train_test_split(*args, **kwargs)


# --- the headline: a real task, learned in seconds -----------------------------------------


def test_an_mlp_trained_compiled_with_adam_reads_95_percent_of_held_out_digits(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=0)
    model = MLP(64, [32, 10], seed=0)
    history = fit(model, X_train, y_train, loss="cross_entropy", optimizer="adam", lr=0.01,
                  epochs=20, batch_size=32, seed=0, compile=True, progress=False)  # fmt: skip
    assert history.stop_reason == "completed"
    _, accuracy = evaluate(model, X_test, y_test, loss="cross_entropy", compile=True)
    assert accuracy >= 0.95
