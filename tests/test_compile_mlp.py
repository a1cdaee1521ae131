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


# The array code reads theta in its own layout (each layer's weights, then its biases, side
# by side) and adds the gradient pieces up without a gather where they lie side by side;
# every other way of using parameters goes through the gather. Both must equal eager.


def _penalty_on_all(model):
    return 1e-2 * sum(p * p for p in model.parameters())


def _penalty_on_a_few(model):  # a few of the first layer's: not side by side in the layout
    return 1e-2 * sum(p * p for p in model.parameters()[:5])


def _neighbours(model):  # products of different parameters: two factors, two pieces
    params = model.parameters()
    return 1e-2 * sum(p * q for p, q in zip(params, params[1:]))


def _shared_weight(model):  # a weight of layer 1 used by layer 2 too, and no penalty
    model.layers[1].neurons[0].w[0] = model.layers[0].neurons[0].w[0]
    return 0.0


USES = {
    "an L2 penalty on every parameter": _penalty_on_all,
    "an L2 penalty on a few": _penalty_on_a_few,
    "products of neighbouring parameters": _neighbours,
    "a weight shared by two layers": _shared_weight,
}


def _as_backend(backend: str, rows):
    if backend == "lists":
        return rows.tolist()
    if backend == "numpy":
        return rows
    strict = pytest.importorskip("array_api_strict")
    return strict.asarray(rows.tolist(), dtype=strict.float64)


@pytest.mark.parametrize("backend", ["lists", "numpy", "array-api-strict"])
@pytest.mark.parametrize("use", USES)
def test_every_way_of_using_parameters_compiles_equal_to_eager(use, backend):
    X, y = _batch()
    y = 2 * y - 1
    model = MLP(2, [4, 3, 1], seed=1)
    penalty = USES[use](model)
    params = list({id(p): p for p in model.parameters()}.values())  # the shared one once

    def per_example(x, t):
        extra = USES[use](model) if use != "a weight shared by two layers" else penalty
        return (1 + -t * model(x)).relu() + extra

    step = engine.compile(per_example, (list(X[0]), float(y[0])), params=params)
    for p in params:
        p.grad = 0.0
    got = step(_as_backend(backend, X), _as_backend(backend, y))
    compiled = [p.grad for p in params]
    theta = [p.data for p in params]
    packed = theta if backend == "lists" else _as_backend(backend, np.asarray(theta))
    _, packed_grad = step.with_params(packed, _as_backend(backend, X), _as_backend(backend, y))
    packed_grad = list(packed_grad) if backend == "lists" else np.asarray(packed_grad).tolist()

    for p in params:
        p.grad = 0.0
    losses = [per_example(list(map(float, x)), float(t)) for x, t in zip(X, y)]
    eager = sum(losses) * (1.0 / len(losses))
    eager.backward()
    assert _close(got, eager.data)
    assert all(_close(a, p.grad) for a, p in zip(compiled, params))
    assert all(_close(a, p.grad) for a, p in zip(packed_grad, params))
    if use == "an L2 penalty on every parameter":  # the pieces lie side by side: no gather
        assert "xp.take" not in step.source
        assert "one entry per parameter, in theta's order" in step.source
