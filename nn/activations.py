"""Activation functions: the nonlinearity that lets stacked layers bend.

Without an activation, a layer of weighted sums followed by another layer of
weighted sums is still one weighted sum of the inputs. Each function here
works on a ``Value`` (giving a Value wired into the graph), on a plain number
(giving a float), or elementwise on a list; ``softmax`` and ``log_softmax``
work on a whole list of scores at once.

>>> from engine import Value
>>> relu(Value(-2.0)).data, tanh(0.0), sigmoid([0.0, 0.0])
(0.0, 0.0, [0.5, 0.5])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

from engine import Value, ops
from engine.utils.arguments import choice

__all__ = ["sigmoid", "tanh", "relu", "linear", "softmax", "log_softmax", "ACTIVATIONS", "resolve"]

Scalar = Value | float


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, Value)


def _check_scalar(x: object, fn: str) -> None:
    if not isinstance(x, Value) and not _is_number(x):
        raise TypeError(
            f"{fn} takes a Value, a number or a list of them, got {type(x).__name__}: {x!r}"
        )


# On a number, each activation runs its primitive's forward from engine's table of ops
# (sigmoid's is the overflow-free one), so a float and a Value get the same arithmetic.
def _elementwise(x, fn: str, on_value: Callable, on_float: Callable):
    if isinstance(x, (list, tuple)):
        return [_elementwise(xi, fn, on_value, on_float) for xi in x]
    _check_scalar(x, fn)
    return on_value(x) if isinstance(x, Value) else on_float(float(x))


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), squashing any number into (0, 1); stable for large |x|.

    >>> sigmoid(0.0), sigmoid(1000.0), sigmoid(-1000.0)
    (0.5, 1.0, 0.0)
    """
    return _elementwise(x, "sigmoid", Value.sigmoid, ops.SIGMOID.forward)


def tanh(x):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x), squashing into (-1, 1).

    >>> tanh(0.0), tanh(1000.0)
    (0.0, 1.0)
    """
    return _elementwise(x, "tanh", Value.tanh, ops.TANH.forward)


def relu(x):
    """relu(x) = max(0, x); its slope at 0 is taken as 0, as in PyTorch.

    >>> relu([-1.0, 0.0, 2.5])
    [0.0, 0.0, 2.5]
    """
    return _elementwise(x, "relu", Value.relu, ops.RELU.forward)


def linear(x):
    """The identity: no activation (what a regression output or a logit uses).

    >>> linear(-3.0)
    -3.0
    """
    return _elementwise(x, "linear", lambda v: v, lambda v: v)


def _scores(x, fn: str) -> list:
    if isinstance(x, Value) or _is_number(x):
        raise TypeError(f"{fn} works on a list of scores (one per class), got one number {x!r}")
    if not isinstance(x, Sequence) or isinstance(x, str):
        raise TypeError(f"{fn} takes a list of Values or numbers, got {type(x).__name__}")
    if len(x) == 0:
        raise ValueError(f"{fn} of an empty list: give at least one score")
    for xi in x:
        _check_scalar(xi, fn)
    return list(x)


def _exp(x: Scalar) -> Scalar:
    return x.exp() if isinstance(x, Value) else math.exp(x)


def _log(x: Scalar) -> Scalar:
    return x.log() if isinstance(x, Value) else math.log(x)


def _shifted(xs: list) -> list:
    """xs - max(xs): the same softmax, but exp never overflows (the largest term is e^0 = 1).

    On Values the maximum is a chain of ``max`` nodes, m₁ = max(x₀, x₁), m₂ = max(m₁, x₂),
    ..., part of the graph rather than a number read from ``.data``, so ``engine.compile``
    traces it like any op and every example gets its own shift. Gradient flowing through m
    is harmless: softmax does not depend on the shift, so what reaches m sums to 0 (up to
    rounding) and the gradients are those of the formula.
    """
    if not any(isinstance(x, Value) for x in xs):
        m = max(float(x) for x in xs)
        return [x - m for x in xs]
    m = xs[0] if isinstance(xs[0], Value) else Value(float(xs[0]))
    for x in xs[1:]:
        m = m.maximum(x)
    return [x - m for x in xs]


def _sum(terms: list) -> Scalar:
    return sum(terms[1:], terms[0])


def softmax(x: Sequence) -> list:
    """softmax(x)_i = e^(x_i - m) / Σ_j e^(x_j - m), with m = max(x): probabilities summing to 1.

    Shifting by the maximum changes nothing mathematically but keeps every
    exponent <= 0, so logits of ±1000 work. In the drawn graph of Values the
    shift is the chain of ``max`` nodes at the bottom (one per score after the
    first), each feeding the next and the last feeding every ``-`` node.

    >>> [round(p, 4) for p in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    >>> softmax([1000.0, -1000.0])
    [1.0, 0.0]
    """
    exps = [_exp(s) for s in _shifted(_scores(x, "softmax"))]
    total = _sum(exps)
    return [e / total for e in exps]


def log_softmax(x: Sequence) -> list:
    """log_softmax(x)_i = (x_i - m) - log Σ_j e^(x_j - m): log-probabilities, without overflow.

    >>> [round(v, 4) for v in log_softmax([1.0, 2.0, 3.0])]
    [-2.4076, -1.4076, -0.4076]
    >>> log_softmax([1000.0, -1000.0])
    [0.0, -2000.0]
    """
    shifted = _shifted(_scores(x, "log_softmax"))
    log_total = _log(_sum([_exp(s) for s in shifted]))
    return [s - log_total for s in shifted]


#: The activations a layer can be given by name.
ACTIVATIONS: dict[str, Callable] = {
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "linear": linear,
}


def resolve(activation: str | Callable) -> Callable:
    """The activation function for a name ('relu', 'tanh', 'sigmoid', 'linear') or a callable.

    >>> resolve("tanh") is tanh
    True
    """
    if callable(activation):
        return activation
    return ACTIVATIONS[choice("activation", activation, ACTIVATIONS, or_else="or a callable")]
