"""engine.compile on nn's models and losses: compiled equals eager.

nn.MLP compiles today. nn's losses take their targets from the batch, so
inside a trace a target is a Value; the losses refuse Value targets for now
(issue 13 item 5, owned by nn), so those cases are strict xfails: they start
passing, and so must be un-marked, the day the losses accept traced targets.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine import Value
from nn import MLP, bce_with_logits, binary_cross_entropy, cross_entropy, hinge_loss, mse_loss

RTOL = 1e-12  # as tests/test_compile.py: generated code adds in another order


def _batch(scale: float = 1.0):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2)) * scale
    y = (X[:, 0] > 0).astype(float)
    return X, y


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b), 1e-300)


def _compare(model, per_example, batch_loss, X, y) -> None:
    """Compiled mean loss and gradients equal eager's for the whole batch."""
    params = model.parameters()
    step = engine.compile(per_example, (list(X[0]), float(y[0])), params=params)
    for p in params:
        p.grad = 0.0
    got = step(X, y)
    compiled = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    eager = batch_loss([model(list(map(float, x))) for x in X], [float(t) for t in y])
    eager.backward()
    assert _close(got, eager.data)
    assert all(_close(a, p.grad) for a, p in zip(compiled, params))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_mlp_with_a_loss_written_with_ops_compiles(activation):
    X, y = _batch()
    model = MLP(2, [5, 4, 1], activation=activation, seed=3)

    def per_example(x, t):
        return (model(x) - t) ** 2

    def batch_loss(preds, targets):
        return sum((p - t) ** 2 for p, t in zip(preds, targets)) * (1.0 / len(preds))

    _compare(model, per_example, batch_loss, X, y)


NEEDS_TRACED_TARGETS = pytest.mark.xfail(
    strict=True,
    raises=TypeError,
    reason="nn's losses refuse a Value target (issue 13 item 5, nn's part)",
)


@NEEDS_TRACED_TARGETS
@pytest.mark.parametrize(
    "loss",
    [
        mse_loss,
        hinge_loss,
        bce_with_logits,
        lambda p, t: binary_cross_entropy(
            [v.sigmoid() for v in p] if isinstance(p, list) else p.sigmoid(), t
        ),
    ],
    ids=["mse", "hinge", "bce_with_logits", "bce"],
)
@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["logits ~1", "logits ~±1000"])
def test_every_nn_loss_compiled_equals_eager(loss, scale):
    X, y = _batch(scale)
    model = MLP(2, [4, 1], activation="linear", seed=1)
    _compare(model, lambda x, t: loss(model(x), t), loss, X, y)
    assert math.isfinite(loss(model(list(X[0])), float(y[0])).data)


@NEEDS_TRACED_TARGETS
def test_cross_entropy_with_a_traced_class_index_compiles():
    X, y = _batch(1000.0)
    model = MLP(2, [4, 2], activation="relu", seed=1)
    _compare(model, lambda x, t: cross_entropy(model(x), t), cross_entropy, X, y)


def test_a_value_target_is_what_a_trace_passes():
    """Why the losses must accept Values: inside a trace every batch argument is a Value."""
    seen = []
    w = Value(1.0)
    engine.compile(lambda x, t: seen.append(t) or w * x, (1.0, 0.0), validate=0)
    assert isinstance(seen[0], Value)
