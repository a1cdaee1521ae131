"""Lesson 6's exercises: cross-entropy by hand, and two predictions about fit, checked by running.

>>> from nn.exercises.lesson6 import check_cross_entropy
>>> print(check_cross_entropy(3.2413))  # doctest: +NORMALIZE_WHITESPACE
right: softmax gives the true class 2 a probability of 0.039113, and the loss
is -log 0.039113 = 3.2413: large, because the network's largest score is on
class 0.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from ..activations import softmax
from .feedback import Feedback, checker, close, fmt, number, undone

__all__ = ["SCORES", "LABEL", "check_cross_entropy", "check_no_hidden_moons", "check_batches"]

SCORES = [2.0, 0.5, -1.0]  # one point's three class scores
LABEL = 2  # its true class
SEED = 0
CHOICES = (50, 85, 100)  # the accuracies a learner chooses between
BATCH_SIZE, EPOCHS = 20, 10  # exercise 3's run on the spirals


@checker
def check_cross_entropy(loss: Any) -> Feedback:
    """Check the cross-entropy loss of scores [2.0, 0.5, -1.0] when the true class is 2.

    >>> print(check_cross_entropy(0.2413))  # doctest: +NORMALIZE_WHITESPACE
    not yet: you gave 0.2413, it is 3.2413: that is -log of class 0's probability
    (the largest score). The loss looks at the true class, 2: -log p[2].
    """
    if undone(loss):
        return Feedback.not_done(
            "write loss: softmax of the scores [2.0, 0.5, -1.0], then minus the log of "
            "the probability of the true class, 2"
        )
    got = number(loss, "loss")
    p = softmax(SCORES)
    want = -math.log(p[LABEL])
    if close(got, want):
        return Feedback.right(
            f"right: softmax gives the true class 2 a probability of {fmt(p[LABEL])}, and "
            f"the loss is -log {fmt(p[LABEL])} = {fmt(want)}: large, because the network's "
            "largest score is on class 0."
        )
    slips = [
        (-math.log(p[0]), "that is -log of class 0's probability (the largest score). The "
         "loss looks at the true class, 2: -log p[2]."),
        (-math.log(p[1]), "that is -log of class 1's probability. The loss looks at the true "
         "class, 2: -log p[2]."),
        (p[LABEL], "that is the probability of class 2 itself; the loss is minus its log."),
        (math.log(p[LABEL]), "that is log p[2], which is negative; the loss is minus it."),
        (1 - p[LABEL], "that is 1 - p[2]; cross-entropy is -log p[2]."),
        (-math.log(math.exp(SCORES[LABEL]) / sum(SCORES)),
         "that divides e^score by the sum of the scores; softmax divides by the sum of "
         "the e^scores."),
    ]  # fmt: skip
    why = next(
        (text for value, text in slips if close(got, value)),
        "softmax first (e^score over the total of the e^scores), then -log of class 2's share.",
    )
    return Feedback.wrong(f"not yet: you gave {fmt(got)}, it is {fmt(want)}: {why}")


@functools.lru_cache(maxsize=1)
def _no_hidden_moons() -> tuple[float, float]:
    """Training and test accuracy of a model with no hidden layer, trained as the lesson."""
    from nn import MLP, datasets, evaluate, fit

    X, y = datasets.moons(n=100, noise=0.15, seed=SEED)
    X_test, y_test = datasets.moons(n=100, noise=0.15, seed=SEED + 1)
    model = MLP(2, [1], seed=SEED)
    history = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05,
                  epochs=300, patience=10, min_delta=1e-3, seed=SEED, progress=False)  # fmt: skip
    _, test_accuracy = evaluate(model, X_test, y_test, loss="bce_with_logits")
    return history.accuracy[-1], test_accuracy


@checker
def check_no_hidden_moons(prediction: Any) -> Feedback:
    """Check a prediction (50, 85 or 100 percent) of a no-hidden-layer model's moons test accuracy.

    The model ``MLP(2, [1])`` is trained as the lesson trains its network, then tested.

    >>> print(check_no_hidden_moons(50))  # doctest: +NORMALIZE_WHITESPACE
    not yet: you predicted 50%; it gets 85% of the test points (84% of the training
    points). Its boundary is one straight line, and a line already puts most of each
    moon on its own side: only the tips, where the moons reach into each other, end
    up on the wrong one.
    """
    if undone(prediction):
        return Feedback.not_done(
            "write prediction: 50, 85 or 100, the percentage of the test points you expect "
            "MLP(2, [1]) - no hidden layer - to get right on the moons"
        )
    guess = number(prediction, "prediction")
    if guess not in CHOICES:
        return Feedback.wrong(
            f"not yet: choose one of 50, 85 or 100 (percent); you wrote {fmt(guess)}"
        )
    train, test = _no_hidden_moons()
    closest = min(CHOICES, key=lambda c: abs(c - 100 * test))
    measured = f"it gets {test:.0%} of the test points ({train:.0%} of the training points)"
    why = (
        "Its boundary is one straight line, and a line already puts most of each moon on "
        "its own side: only the tips, where the moons reach into each other, end up on "
        "the wrong one."
    )
    if guess == closest:
        return Feedback.right(f"right: {measured}. {why} The hidden layers earn the rest.")
    return Feedback.wrong(f"not yet: you predicted {fmt(guess)}%; {measured}. {why}")


@functools.lru_cache(maxsize=1)
def _steps_taken() -> int:
    """How many optimizer steps fit makes on the 90 spiral points, batch_size 20, 10 epochs."""
    from nn import MLP, datasets, fit
    from nn.optim import Adam

    X, y = datasets.spirals(n=90, classes=3, noise=0.1, seed=SEED)
    model = MLP(2, [8, 8, 3], activation="tanh", seed=SEED)
    optimizer = Adam(model.parameters(), lr=0.05)
    fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=EPOCHS,
        batch_size=BATCH_SIZE, seed=SEED, progress=False)  # fmt: skip
    return optimizer.state[model.parameters()[0]]["step"]  # Adam counts its steps


@checker
def check_batches(steps: Any) -> Feedback:
    """Check a prediction of how many updates fit makes: 90 points, batch_size=20, 10 epochs.

    The checker runs that fit and reads the count off the optimizer (Adam counts its steps).

    >>> print(check_batches(40))  # doctest: +NORMALIZE_WHITESPACE
    not yet: you predicted 40 updates; fit made 50, 5 per epoch. The 90 points in batches
    of 20 are 4 full batches and one of the 10 left over: fit keeps that smaller
    batch, and it is an update too.
    """
    if undone(steps):
        return Feedback.not_done(
            "write steps: how many times the weights are updated when fit trains on the 90 "
            "spiral points with batch_size=20 for 10 epochs"
        )
    guess = number(steps, "steps")
    made = _steps_taken()
    per_epoch = made // EPOCHS
    measured = f"fit made {made}, {per_epoch} per epoch"
    if guess == made:
        return Feedback.right(
            f"right: {measured}: 4 batches of 20 and the 10 points left over, one update "
            "after each batch."
        )
    slips = [
        (EPOCHS * (90 // BATCH_SIZE), "The 90 points in batches of 20 are 4 full batches and "
         "one of the 10 left over: fit keeps that smaller batch, and it is an update too."),
        (EPOCHS * 90 / BATCH_SIZE, "An update is made per batch, and a batch is whole: "
         "the last one holds 10 points, and is still one update."),
        (EPOCHS, "One update per epoch is full-batch training (batch_size=None); with "
         "mini-batches there is one after every batch."),
        (EPOCHS * 90, "One update per point would be batch_size=1; here each batch of 20 "
         "points makes one."),
    ]  # fmt: skip
    why = next(
        (text for value, text in slips if close(guess, value, 0, 1e-9)),
        "One update after every batch: count the batches of 20 in 90 points, the last "
        "smaller one included.",
    )
    return Feedback.wrong(f"not yet: you predicted {fmt(guess)} updates; {measured}. {why}")
