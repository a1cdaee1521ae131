"""Loss functions (손실함수): one number saying how wrong the predictions are.

Each takes predictions (a Value or number, or a list of them) and targets, and
returns the *mean* over samples as one ``Value`` to call ``backward()`` on.
Every formula is arranged so that extreme inputs stay finite: logits of ±1000
give a loss of about 1000, never inf or nan.

Every loss compiles with ``engine.compile``: nothing here branches on a
Value's ``.data`` (the softmax shift and the log clamp are ``max`` nodes), and
targets may be Values, as they are inside a trace, where they come from the
batch. The range checks (a probability in [0, 1], a target of ±1) read
``.data`` only to raise; compiled code runs them on the examples it traces and,
like every per-node check, skips them for the rest of the batch.

>>> from engine import Value
>>> p = [Value(0.5), Value(2.0)]
>>> mse_loss(p, [1.0, 2.0]).data        # ((0.5 - 1)² + 0²) / 2
0.125
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from engine import Value
from engine.utils.arguments import whole_number

from .activations import log_softmax

__all__ = [
    "mse_loss",
    "binary_cross_entropy",
    "bce_with_logits",
    "cross_entropy",
    "hinge_loss",
    "one_hot",
]


def _is_scalar(x: object) -> bool:
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def _as_list(x: object, what: str, fn: str) -> list:
    if _is_scalar(x):
        return [x]
    if isinstance(x, Sequence) and not isinstance(x, str):
        if len(x) == 0:
            raise ValueError(f"{fn}: {what} is empty")
        return list(x)
    raise TypeError(f"{fn}: {what} must be a Value, a number or a list, got {type(x).__name__}")


def _pairs(pred: object, target: object, fn: str) -> list[tuple]:
    """(prediction, target) pairs with lengths checked; one prediction pairs with one target."""
    preds, targets = _as_list(pred, "the prediction", fn), _as_list(target, "the target", fn)
    if len(preds) != len(targets):
        raise ValueError(f"{fn}: {len(preds)} predictions but {len(targets)} targets")
    for p, t in zip(preds, targets, strict=True):
        if not _is_scalar(p):
            raise TypeError(f"{fn}: each prediction must be a Value or number, got {p!r}")
        if not _is_scalar(t):
            raise TypeError(f"{fn}: each target must be a number or a Value, got {t!r}")
    return list(zip(preds, targets, strict=True))


def _number(x) -> float:
    """The number behind a Value or number, for range checks (never for the graph)."""
    return x.data if isinstance(x, Value) else x


def _lift(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _mean(terms: list) -> Value:
    return sum(terms[1:], _lift(terms[0])) / len(terms)


def _flatten_nested(pred: object, target: object, fn: str) -> tuple[object, object]:
    """Lists of output vectors (several outputs per sample) become one flat list each."""
    if (
        isinstance(pred, Sequence)
        and not isinstance(pred, str)
        and pred
        and not _is_scalar(pred[0])
    ):
        if not isinstance(target, Sequence) or len(target) != len(pred):
            n = len(target) if isinstance(target, Sequence) else 1
            raise ValueError(f"{fn}: {len(pred)} predictions but {n} targets")
        flat_p, flat_t = [], []
        for i, (p, t) in enumerate(zip(pred, target, strict=True)):
            ps, ts = _as_list(p, "a prediction", fn), _as_list(t, "a target", fn)
            if len(ps) != len(ts):
                raise ValueError(f"{fn}: sample {i} has {len(ps)} outputs but {len(ts)} targets")
            flat_p += ps
            flat_t += ts
        return flat_p, flat_t
    return pred, target


def mse_loss(pred, target) -> Value:
    """Mean squared error: mean of (ŷ - y)² over every output.

    Predictions may be one Value, a list, or a list of output lists (several
    outputs per sample) with targets of the same shape.

    >>> mse_loss(3.0, 1.0).data
    4.0
    >>> mse_loss([[1.0, 2.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 2.0]]).data   # (0 + 4 + 0 + 4) / 4
    2.0
    """
    pred, target = _flatten_nested(pred, target, "mse_loss")
    return _mean([(_lift(p) - t) ** 2 for p, t in _pairs(pred, target, "mse_loss")])


# log p is clamped at -100, as PyTorch's BCELoss does, so p = 0 or 1 gives a large finite loss.
_LOG_FLOOR = -100.0
_P_FLOOR = math.exp(_LOG_FLOOR)  # log of it is exactly -100.0


def _clamped_log(p: Value) -> Value:
    # max(log p, -100) as log(max(p, e^-100)): log is never taken of 0, and below e^-100 the
    # max node passes no gradient (the term is the constant -100 there).
    return p.maximum(_P_FLOOR).log()


def binary_cross_entropy(prob, target) -> Value:
    """Binary cross-entropy on probabilities: mean of -(y·log p + (1 - y)·log(1 - p)).

    ``prob`` must be in [0, 1] (e.g. a sigmoid output), ``target`` in [0, 1]
    (a number or a Value). log is clamped at -100 like PyTorch, as
    log(max(p, e^-100)), so a saturated p of exactly 0 or 1 gives a finite
    loss (with no gradient through that term): prefer ``bce_with_logits`` on
    raw scores, which never saturates. Compiled code does not check the range:
    a probability outside [0, 1] is clamped there like a saturated one.

    >>> round(binary_cross_entropy([0.9, 0.2], [1, 0]).data, 6)   # -(log .9 + log .8) / 2
    0.164252
    """
    terms = []
    for p, y in _pairs(prob, target, "binary_cross_entropy"):
        p = _lift(p)
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: probability {p.data!r} is outside [0, 1]; apply sigmoid "
                f"first, or use bce_with_logits on raw scores"
            )
        if not 0.0 <= _number(y) <= 1.0:
            raise ValueError(f"binary_cross_entropy: target {_number(y)!r} is outside [0, 1]")
        terms.append(-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)))
    return _mean(terms)


def bce_with_logits(logit, target) -> Value:
    """Binary cross-entropy on raw scores z: mean of softplus(z) - y·z.

    This equals ``binary_cross_entropy(sigmoid(z), y)`` but never takes the
    log of a saturated probability: softplus(z) = log(1 + e^z) is computed as
    max(z, 0) + log(1 + e^-|z|). Its gradient is simply σ(z) - y, and with
    respect to a Value target y it is -z.

    >>> round(bce_with_logits(0.0, 1).data, 6)        # log 2
    0.693147
    >>> bce_with_logits([1000.0, -1000.0], [0, 1]).data
    1000.0
    """
    terms = []
    for z, y in _pairs(logit, target, "bce_with_logits"):
        if not 0.0 <= _number(y) <= 1.0:
            raise ValueError(f"bce_with_logits: target {_number(y)!r} is outside [0, 1]")
        z = _lift(z)
        terms.append(z.softplus() - y * z)
    return _mean(terms)


def one_hot(index: int, n_classes: int) -> list[float]:
    """Class ``index`` of ``n_classes`` as a list of probabilities: 1.0 there, 0.0 elsewhere.

    The form of a class target that ``engine.compile`` can trace: a class index
    picks one log-probability, a choice made by the data, while a one-hot row
    is numbers of the batch like any other.

    >>> one_hot(2, 4)
    [0.0, 0.0, 1.0, 0.0]
    """
    whole_number("one_hot: n_classes", n_classes, 1)
    row = [0.0] * n_classes
    row[_class_index(index, n_classes, "one_hot")] = 1.0
    return row


def _class_index(t: object, n_classes: int, fn: str) -> int:
    if isinstance(t, Value):
        raise TypeError(
            f"{fn}: a class index that is a Value ({t!r}; inside engine.compile every target "
            f"is one) cannot choose which log-probability to take: that would be a branch on "
            f"data. Give the target as a one-hot list instead (nn.losses.one_hot(y, n_classes))"
        )
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"{fn}: a target must be a class index (int), got {t!r}")
    if not 0 <= t < n_classes:
        raise ValueError(f"{fn}: target class {t} is out of range for {n_classes} classes")
    return int(t)


def is_class_index(t: object) -> bool:
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _probabilities(t: Sequence, n_classes: int, fn: str) -> list:
    """A target given as one probability (number or Value) per class, each in [0, 1]."""
    if len(t) != n_classes:
        raise ValueError(
            f"{fn}: a target of class probabilities needs one per class: {n_classes} scores "
            f"but {len(t)} probabilities"
        )
    for q in t:
        if not _is_scalar(q):
            raise TypeError(f"{fn}: each class probability must be a number or a Value, got {q!r}")
        if not 0.0 <= _number(q) <= 1.0:
            raise ValueError(
                f"{fn}: class probability {_number(q)!r} is outside [0, 1] (target {list(t)!r}); "
                f"for class indices give one int per sample, and each sample's scores as a list"
            )
    return list(t)


def _sample_loss(z: Sequence, t: object, fn: str) -> Value:
    """-log softmax(z)[t] for a class index; -Σ_c t_c · log softmax(z)_c for probabilities."""
    if _is_scalar(z):
        raise TypeError(f"{fn}: each sample's logits must be a list of scores, got {z!r}")
    log_probs = log_softmax(z)
    if isinstance(t, Sequence) and not isinstance(t, str):
        q = _probabilities(t, len(z), fn)
        return -_sum([q_c * lp for q_c, lp in zip(q, log_probs, strict=True)])
    return -_lift(log_probs[_class_index(t, len(z), fn)])


def _sum(terms: list) -> Value:
    return sum(terms[1:], _lift(terms[0]))


def cross_entropy(logits, target) -> Value:
    """Cross-entropy of raw class scores: -log softmax(z)[y] = log Σ e^zⱼ - z_y, averaged.

    One sample: ``logits`` a list of scores and ``target`` either an int class
    index or one probability per class (a one-hot list such as ``one_hot(y, C)``,
    or soft labels), numbers or Values; with probabilities q the loss is
    -Σ_c q_c · log softmax(z)_c, as PyTorch's ``cross_entropy`` with a target
    of class probabilities (which does not ask them to sum to 1). A batch: a
    list of score lists and a list of such targets; the mean over samples.
    Computed with the log-sum-exp shift, so logits of ±1000 are fine.

    Inside ``engine.compile`` targets are Values, and a Value cannot pick a
    class: give one-hot targets there.

    >>> round(cross_entropy([2.0, 1.0, 0.1], 0).data, 6)
    0.41703
    >>> round(cross_entropy([2.0, 1.0, 0.1], [1.0, 0.0, 0.0]).data, 6)   # the same, one-hot
    0.41703
    >>> cross_entropy([[1000.0, -1000.0], [0.0, 0.0]], [1, 0]).data == (2000 + math.log(2)) / 2
    True
    """
    fn = "cross_entropy"
    flat = isinstance(logits, Sequence) and bool(logits) and all(_is_scalar(z) for z in logits)
    if is_class_index(target) or isinstance(target, Value):
        if isinstance(logits, Sequence) and not flat:
            raise TypeError(
                f"{fn}: one class index {target} goes with one sample's scores; for a batch "
                f"of {len(logits)} samples give a list of {len(logits)} class indices"
            )
        logits, target = [logits], [target]
    elif flat and isinstance(target, Sequence) and not isinstance(target, str):
        logits, target = [logits], [target]  # one sample, its target a probability per class
    if not isinstance(target, Sequence) or isinstance(target, str) or len(target) == 0:
        raise TypeError(
            f"{fn}: target must be a class index, a list of class probabilities, or a "
            f"non-empty list of them (one per sample)"
        )
    if not isinstance(logits, Sequence) or len(logits) != len(target):
        n = len(logits) if isinstance(logits, Sequence) else 1
        raise ValueError(f"{fn}: {n} samples of logits but {len(target)} targets")
    return _mean([_sample_loss(z, t, fn) for z, t in zip(logits, target, strict=True)])


def hinge_loss(score, target) -> Value:
    """Max-margin (hinge) loss as in micrograd's demo: mean of relu(1 - y·s), y in {-1, +1}.

    Zero once a sample is on the right side with margin 1; otherwise it grows
    linearly with how far it is on the wrong side.

    >>> hinge_loss([2.0, 0.5, -1.0], [1, 1, 1]).data     # (0 + 0.5 + 2) / 3
    0.8333333333333334
    """
    terms = []
    for s, y in _pairs(score, target, "hinge_loss"):
        if _number(y) not in (-1, 1):
            raise ValueError(f"hinge_loss: targets must be -1 or +1, got {_number(y)!r}")
        terms.append((1 - y * _lift(s)).relu())
    return _mean(terms)
