"""Accuracy: the share of samples whose predicted class is the true one.

``fit`` and ``evaluate`` count it for the losses whose targets are classes
(``CLASSIFICATION``). The class a prediction stands for depends on the loss it
was trained with: one output is a score against a threshold (a logit above 0,
a probability above 0.5, a hinge score's sign), several outputs are class
scores, and the largest one wins.

>>> count_correct([[0.1, 2.0], [3.0, -1.0], [0.0, 0.5]], [1, 1, 1], "cross_entropy")
2
>>> count_correct([0.7, -0.2], [1.0, 0.0], "bce_with_logits")
2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine import Value

__all__ = ["CLASSIFICATION", "predicted_class", "target_class", "count_correct", "classes_of"]

#: The losses whose targets are classes, so that ``fit`` also counts accuracy.
CLASSIFICATION = frozenset({"bce", "bce_with_logits", "cross_entropy", "hinge"})


def predicted_class(pred: Any, kind: str | None) -> int | None:
    """The class a prediction stands for, or None when ``kind`` is not a classification loss.

    ``pred`` is one output (a Value or a number) or several (a list of them);
    ``kind`` is the name of the loss (``"hinge"``, ``"cross_entropy"``, …).
    """
    if not isinstance(pred, Sequence):
        score = pred.data if isinstance(pred, Value) else pred
        if kind == "hinge":
            return 1 if score > 0 else -1  # the sign of the score
        if kind == "bce_with_logits":
            return 1 if score > 0 else 0  # logit > 0  <=>  probability > 0.5
        if kind == "bce":
            return 1 if score > 0.5 else 0
        return None
    if kind in CLASSIFICATION:
        scores = [p.data if isinstance(p, Value) else p for p in pred]
        return max(range(len(scores)), key=scores.__getitem__)  # several outputs: argmax
    return None


def target_class(target: Any, kind: str | None) -> int:
    """The class a target names: its argmax for a one-hot row, 1 or 0 for bce's probabilities."""
    if isinstance(target, Sequence):  # one-hot (or multi-label) target vector: its argmax
        return max(range(len(target)), key=target.__getitem__)
    if kind in ("bce", "bce_with_logits"):
        return 1 if target > 0.5 else 0
    return int(target)


def count_correct(preds: list, targets: list, kind: str | None) -> int | None:
    """How many predictions name their target's class; None for a regression loss."""
    count = 0
    for pred, target in zip(preds, targets, strict=True):
        guess = predicted_class(pred, kind)
        if guess is None:
            return None
        count += guess == target_class(target, kind)
    return count


def classes_of(outputs: Any, kind: str | None, np: Any) -> Any:
    """``predicted_class`` of every row of a numpy array of outputs, computed on the array.

    Equal to ``predicted_class`` row by row, NaN included: Python's ``max`` keeps the
    first of equal scores and never moves to a NaN (nothing compares greater than NaN,
    and NaN is greater than nothing), so a row that starts with NaN gives 0 and a NaN
    further on is passed over; ``argmax`` gives the first NaN, so later NaNs count as
    -inf here. None where ``predicted_class`` is None.

    >>> import numpy as np
    >>> classes_of(np.array([[0.0, 2.0, 2.0], [np.nan, 5.0, 1.0], [1.0, np.nan, 3.0]]),
    ...            "cross_entropy", np).tolist()
    [1, 0, 2]
    """
    if outputs.ndim == 1:
        if kind == "hinge":
            return np.where(outputs > 0, 1, -1)
        if kind in ("bce_with_logits", "bce"):
            return (outputs > (0.0 if kind == "bce_with_logits" else 0.5)).astype(np.int64)
        return None
    if kind not in CLASSIFICATION:
        return None
    later = outputs[:, 1:]
    if np.isnan(later).any():  # rare: only a diverging run has them
        outputs = outputs.copy()
        outputs[:, 1:][np.isnan(later)] = -np.inf
    return np.argmax(outputs, axis=1)
