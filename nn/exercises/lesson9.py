"""Lesson 9's exercises: count a model's parameters, predict weight decay's work, draw a digit.

>>> from nn.exercises.lesson9 import check_parameters
>>> print(check_parameters(650, 1210))  # doctest: +NORMALIZE_WHITESPACE
right: MLP(64, [10]) has 64·10 weights + 10 biases = 650 parameters, MLP(64, [16,
10]) has 64·16 + 16 + 16·10 + 10 = 1210.
"""

from __future__ import annotations

import functools
from typing import Any

from .feedback import Feedback, Reject, checker, judge, undone

__all__ = ["check_parameters", "check_weight_decay", "check_drawing", "read_drawing"]

SEED = 0
CHOICES = ("unchanged", "smaller", "larger")
INK = {"#": 1.0, "+": 0.5, ".": 0.0}  # a drawing's characters and the pixel each makes


def _count(hidden: list[int]) -> int:
    from nn import MLP

    return len(MLP(64, [*hidden, 10], seed=SEED).parameters())


@checker
def check_parameters(flat: Any, small: Any) -> Feedback:
    """Check the parameter counts of ``MLP(64, [10])`` (flat) and ``MLP(64, [16, 10])`` (small).

    >>> print(check_parameters(640, 1210))  # doctest: +NORMALIZE_WHITESPACE
    not yet: one of the two counts is right
      ✗ MLP(64, [10]): you gave 640, it has 650: the 10 biases are missing, one per
        output neuron
      ✓ MLP(64, [16, 10]) = 1210
    """
    if undone(flat) and undone(small):
        return Feedback.not_done(
            "write flat, the number of parameters of MLP(64, [10]), and small, that of "
            "MLP(64, [16, 10]): every neuron has one weight per input and one bias"
        )
    want_flat, want_small = _count([]), _count([16])
    checks = [
        judge("MLP(64, [10])", flat, want_flat, [
            (64 * 10, "the 10 biases are missing, one per output neuron"),
            (10, "that counts the neurons; each has 64 weights and a bias"),
            (64 + 10, "that adds inputs and outputs; every output reads every input: 64·10"),
        ], "", "flat"),
        judge("MLP(64, [16, 10])", small, want_small, [
            (64 * 16 + 16 * 10, "the biases are missing: 16 in the hidden layer, 10 out"),
            (64 * 16 + 16, "that is the hidden layer alone; the output layer adds 16·10 + 10"),
            (16 * 10 + 10, "that is the output layer alone; the hidden layer adds 64·16 + 16"),
            (16 + 10, "that counts the neurons; each has a weight per input and a bias"),
        ], "", "small"),
    ]  # fmt: skip
    lines = [line.replace(", it is ", ", it has ") for _, line in checks]
    right = sum(good for good, _ in checks)
    if right == 2:
        return Feedback.right(
            f"right: MLP(64, [10]) has 64·10 weights + 10 biases = {want_flat} parameters, "
            f"MLP(64, [16, 10]) has 64·16 + 16 + 16·10 + 10 = {want_small}."
        )
    count = "one of the two counts is" if right else "neither count is"
    return Feedback.wrong(f"not yet: {count} right", lines)


@functools.lru_cache(maxsize=2)
def _blank_weights(weight_decay: float) -> tuple[list[int], float, int]:
    """Train the lesson's MLP(64, [32, 10]) with AdamW at this weight decay, compiled, 20
    epochs: the pixels blank in every training image, the size of their weights at the end
    against the start, and how many of those weights did not change at all."""
    from nn import MLP, datasets, fit
    from nn.optim import AdamW

    X, y = datasets.digits()
    X_train, _, y_train, _ = datasets.train_test_split(X, y, test_size=0.2, seed=SEED)
    blank = [i for i in range(64) if all(x[i] == 0 for x in X_train)]
    model = MLP(64, [32, 10], seed=SEED)
    neurons = model.layers[0].neurons
    before = [n.w[i].data for n in neurons for i in blank]
    optimizer = AdamW(model.parameters(), lr=0.01, weight_decay=weight_decay)
    fit(model, X_train, y_train, loss="cross_entropy", optimizer=optimizer, epochs=20,
        batch_size=32, seed=SEED, compile=True, progress=False)  # fmt: skip
    after = [n.w[i].data for n in neurons for i in blank]
    ratio = sum(map(abs, after)) / sum(map(abs, before))
    return blank, ratio, sum(a == b for a, b in zip(after, before))


@checker
def check_weight_decay(prediction: Any) -> Feedback:
    """Check a prediction for the weights of never-inked pixels when training with no weight decay.

    ``prediction`` is "unchanged", "smaller" or "larger": what 20 epochs of AdamW with
    ``weight_decay=0`` (that is, Adam) do to the hidden weights of the pixels that are blank
    in every training image. The checker trains both ways and compares.

    >>> print(check_weight_decay("smaller"))  # doctest: +NORMALIZE_WHITESPACE
    not yet: you predicted "smaller"; all 96 weights of the blank pixels 0, 32, 39 end
    exactly where they started. A blank pixel is 0, so its weight's local derivative
    ∂z/∂w = x is 0 and its gradient is exactly 0: Adam's step is 0. Only weight decay
    shrinks them (with 0.3, to 6.7% of their size): "smaller" is what the lesson's
    weight_decay=0.3 does.
    """
    if undone(prediction):
        return Feedback.not_done(
            'write prediction: "unchanged", "smaller" or "larger" - what happens to the '
            "weights of pixels that are blank in every training image when the network "
            "trains with weight_decay=0"
        )
    if not isinstance(prediction, str) or prediction.strip().lower() not in CHOICES:
        return Feedback.wrong(
            f'not yet: write one of "unchanged", "smaller" or "larger"; you wrote {prediction!r}'
        )
    guess = prediction.strip().lower()
    blank, ratio, unchanged = _blank_weights(0.0)
    _, decayed, _ = _blank_weights(0.3)
    pixels = ", ".join(map(str, blank))
    fact = (
        f"all {unchanged} weights of the blank pixels {pixels} end exactly where they "
        "started. A blank pixel is 0, so its weight's local derivative ∂z/∂w = x is 0 and "
        "its gradient is exactly 0: Adam's step is 0. Only weight decay shrinks them (with "
        f"0.3, to {decayed:.1%} of their size)"
    )
    assert ratio == 1.0, "a weight with no gradient moved without weight decay"
    if guess == "unchanged":
        return Feedback.right(
            f"right: {fact}. That is why the lesson trains with AdamW: without the decay, "
            "the weight pictures keep their random start where the data never reaches."
        )
    extra = {
        "smaller": ': "smaller" is what the lesson\'s weight_decay=0.3 does.',
        "larger": ": nothing pushes them anywhere, up or down.",
    }[guess]
    return Feedback.wrong(f'not yet: you predicted "{guess}"; {fact}{extra}')


def read_drawing(drawing: str) -> list[float]:
    """An 8×8 drawing as 64 pixels, row by row: ``#`` ink (1.0), ``+`` a little (0.5), ``.`` paper.

    Blank lines around it are ignored; a row of the wrong length or an unknown character
    is refused (:class:`~nn.exercises.feedback.Reject`) with where it is.

    >>> pixels = read_drawing('''
    ... ........
    ... ...##...
    ... ..+##...
    ... ...##...
    ... ...##...
    ... ...##...
    ... ..####..
    ... ........
    ... ''')
    >>> len(pixels), sum(pixels)
    (64, 14.5)
    """
    rows = [row.strip() for row in drawing.strip("\n").split("\n")]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    if len(rows) != 8:
        raise Reject(Feedback.wrong(f"not yet: the drawing has {len(rows)} rows; it needs 8"))
    for r, row in enumerate(rows, start=1):
        if len(row) != 8:
            raise Reject(Feedback.wrong(
                f"not yet: row {r} of the drawing has {len(row)} characters; every row "
                f"needs 8: {row!r}"
            ))  # fmt: skip
        strange = sorted(set(row) - set(INK))
        if strange:
            raise Reject(Feedback.wrong(
                f"not yet: row {r} holds {strange[0]!r}; draw with # (ink), + (a little ink) "
                "and . (paper)"
            ))  # fmt: skip
    return [INK[c] for row in rows for c in row]


@checker
def check_drawing(model: Any, drawing: Any, digit: int = 7) -> Feedback:
    """Check that the trained ``model`` reads an 8×8 ``drawing`` as ``digit``.

    The drawing is text, as :func:`read_drawing` reads it.

    >>> check_drawing(None, '''
    ... ........
    ... ........
    ... ........
    ... ........
    ... ........
    ... ........
    ... ........
    ... ........
    ... ''')
    not done yet: draw a 7 in drawing: turn dots into # where the pen goes (and + for
    a little ink), 8 rows of 8
    """
    if undone(drawing) or (isinstance(drawing, str) and set(drawing) <= {".", " ", "\n"}):
        return Feedback.not_done(
            f"draw a {digit} in drawing: turn dots into # where the pen goes (and + for a "
            "little ink), 8 rows of 8"
        )
    if not isinstance(drawing, str):
        return Feedback.wrong(
            f"not yet: drawing should be text, 8 rows of 8 characters in triple quotes; it "
            f"is a {type(drawing).__name__}"
        )
    pixels = read_drawing(drawing)
    if not callable(model):
        return Feedback.wrong(
            "not yet: check_drawing needs the trained network first: check_drawing(model, drawing)"
        )
    from nn import predict, softmax

    probs = softmax(predict(model, [pixels])[0])
    ranked = sorted(range(len(probs)), key=lambda d: -probs[d])
    read = ranked[0]
    odds = ", ".join(f"{d}: {probs[d]:.2f}" for d in ranked[:3])
    if read == digit:
        return Feedback.right(
            f"right: the network reads your drawing as a {digit} (probability "
            f"{probs[digit]:.2f}; the top three {odds})."
        )
    place = ranked.index(digit) + 1
    return Feedback.wrong(
        f"not yet: the network reads your drawing as a {read} ({odds}); {digit} comes "
        f"{_ordinal(place)} with {probs[digit]:.2f}. The digits it learned from are drawn "
        "large, with thick strokes filling most of the 8×8 square: compare yours with "
        "the lesson's pictures of its digit."
    )


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")
