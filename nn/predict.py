"""``predict`` and ``classify``: a trained model's answers for many samples, with no graph.

Training needs the graph (backward walks it); using the model afterwards does not.
Called inside ``engine.no_grad()`` the same forward pass records no parents, so each
sample's nodes are freed as soon as its output is read: evaluating 1,797 digits through
an ``MLP(64, [32, 10])`` keeps a few hundred Values alive instead of eight million.
``compile=True`` runs the model as generated code on the whole batch at once
(``engine.compile`` in its forward-only mode), with the same results to ~1e-15.

>>> from nn import MLP
>>> model = MLP(2, [4, 3], seed=0)
>>> scores = predict(model, [[0.5, -1.0], [1.0, 2.0]])
>>> len(scores), len(scores[0]), type(scores[0][0]).__name__
(2, 3, 'float')
>>> classify(model, [[0.5, -1.0], [1.0, 2.0]]) == classify(model, [[0.5, -1.0], [1.0, 2.0]],
...                                                          compile=True)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from engine import Value, no_grad
from engine.utils.arguments import flag, number, sequence

from .train_compiled import compiled_outputs

__all__ = ["predict", "classify"]


def predict(model: Callable, X: Sequence, *, compile: bool = False) -> list:  # noqa: A002
    """The model's output for every sample of ``X``, without recording a graph.

    Each output is a float (a model with one output, such as ``MLP(2, [8, 1])``) or a
    list of floats (several outputs: the scores of the classes). ``model`` is a Module
    or any function of one sample returning Values. ``compile=True`` traces the model
    once on ``X[0]`` and runs the generated code on all of ``X`` (numpy when installed,
    plain floats otherwise): much faster for many samples, equal to the eager results
    to rounding (~1e-15), and, as compiled code does, without per-node domain checks.

    >>> from nn import MLP
    >>> model = MLP(1, [1], activation="linear", seed=0)   # one neuron: w·x + b
    >>> w, b = model.parameters()
    >>> w.data, b.data = 2.0, 1.0
    >>> predict(model, [[0.0], [1.0], [2.5]])
    [1.0, 3.0, 6.0]
    >>> predict(model, [[0.0], [1.0], [2.5]], compile=True)
    [1.0, 3.0, 6.0]
    """
    if not callable(model):
        raise TypeError(f"model must be callable (e.g. an MLP), got {type(model).__name__}")
    samples = sequence("X", X, of="samples")
    if not samples:
        return []
    if flag("compile", compile):
        return compiled_outputs(model, samples)
    with no_grad():  # no parents recorded: each sample's nodes go as soon as it is read
        return [_floats(model(x)) for x in samples]


def classify(
    model: Callable,
    X: Sequence,
    *,
    threshold: float = 0.0,
    compile: bool = False,  # noqa: A002 - as predict's
) -> list[int]:
    """The predicted class of every sample of ``X``: argmax of several outputs, or a threshold.

    Several outputs (class scores): the index of the largest (the first, if tied).
    One output: 1 where it is above ``threshold``, else 0; the default 0 suits a
    logit (``bce_with_logits``) or a hinge score; use 0.5 for a sigmoid output. A
    nan output raises ``ValueError`` naming the sample: no class can be read from it.

    >>> from nn import MLP
    >>> model = MLP(1, [1], activation="linear", seed=0)
    >>> w, b = model.parameters()
    >>> w.data, b.data = 1.0, -0.5                           # score x - 0.5
    >>> classify(model, [[0.0], [1.0]])
    [0, 1]
    >>> classify(model, [[0.0], [1.0]], threshold=0.75)
    [0, 0]
    """
    threshold = number("threshold", threshold)
    return [
        _class_of(output, threshold, i)
        for i, output in enumerate(predict(model, X, compile=compile))
    ]


def _floats(output) -> float | list[float]:
    """A model's output as numbers: a float, or a list of floats for several outputs."""
    if isinstance(output, Sequence) and not isinstance(output, str):
        return [_float(v) for v in output]
    return _float(output)


def _float(v) -> float:
    return v.data if isinstance(v, Value) else float(v)


def _class_of(output: float | list[float], threshold: float, i: int) -> int:
    scores = output if isinstance(output, list) else [output]
    if any(math.isnan(s) for s in scores):
        raise ValueError(f"the model's output for sample {i} is nan: no class can be read from it")
    if len(scores) == 1:  # one output: a score against the threshold
        return 1 if scores[0] > threshold else 0
    return max(range(len(scores)), key=scores.__getitem__)
