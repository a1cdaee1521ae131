"""engine.compile on nn's models: a whole MLP compiled equals eager."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from nn import MLP

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
