"""Every nn loss and activation, compiled with engine.compile, equals the eager engine.

Each case is one example's function of traced inputs (targets included: inside a
trace they are Values, as they come from the batch) and the parameters. The
compiled step runs a whole batch, with logits of ±1000 in it, on pure-Python
floats, on numpy and on the Array API's reference arrays; its mean loss and
the gradients it adds to ``p.grad`` must equal the eager graph's mean and
``backward()``'s to 1e-12 relative (the two sum the same terms in different
orders: a few ulps).
"""

import math

import pytest

import engine
from engine import Value, compile
from nn import (
    MLP,
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    linear,
    log_softmax,
    mse_loss,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from nn.losses import one_hot

np = pytest.importorskip("numpy")

RTOL = 1e-12

W = [0.5, -1.0, 2.0]  # one weight per class: logits w_c · x, so x = ±1000 gives ±1000s
X = [0.3, -1.2, 1000.0, -1000.0, 0.0, 2.5]  # one scalar input per example


def parameters():
    return [Value(w, label=f"w{c}") for c, w in enumerate(W)]


def logits(w, x):
    return [wc * x for wc in w]


# name -> (fn(w, x, t) -> loss Value, targets per example). Targets are traced inputs.
LOSSES = {
    "cross_entropy one-hot": (
        lambda w, x, t: cross_entropy(logits(w, x), t),
        [one_hot(c % 3, 3) for c in range(len(X))],
    ),
    "cross_entropy probabilities": (
        lambda w, x, t: cross_entropy(logits(w, x), t),
        [[0.2, 0.5, 0.3], [1, 0, 0], [0, 0.5, 0.5], [0.1, 0.1, 0.8], [1 / 3] * 3, [0, 0, 1]],
    ),
    "log_softmax": (
        lambda w, x, t: -(log_softmax(logits(w, x))[0] * t),
        [1.0, 0.5, 2.0, -1.0, 1.0, 0.25],
    ),
    "softmax": (
        lambda w, x, t: mse_loss(softmax(logits(w, x)), t),
        [one_hot(c % 3, 3) for c in range(len(X))],
    ),
    "bce_with_logits": (
        lambda w, x, t: bce_with_logits(x * w[0] + w[1], t),  # the bce_with_logits(x*p, t)
        [1.0, 0.0, 0.0, 1.0, 0.5, 1.0],
    ),
    "binary_cross_entropy": (  # ±1000 saturates σ to exactly 0 or 1: the -100 clamp
        lambda w, x, t: binary_cross_entropy(sigmoid(x * w[0] + w[1]), t),
        [1.0, 0.0, 0.0, 1.0, 0.5, 1.0],
    ),
    "mse_loss": (
        lambda w, x, t: mse_loss([tanh(x * w[0]), relu(x * w[1] + w[2])], t),
        [[0.5, 1.0], [-1.0, 0.0], [1.0, 2.0], [-1.0, 0.5], [0.0, 0.0], [0.2, 0.3]],
    ),
    "hinge_loss": (
        lambda w, x, t: hinge_loss(linear(x * w[0] + w[1]), t),
        [1.0, -1.0, -1.0, 1.0, 1.0, -1.0],
    ),
}

BACKENDS = {
    "python": lambda xs, ts: (list(xs), list(ts)),
    "numpy": lambda xs, ts: (np.asarray(xs, dtype=float), np.asarray(ts, dtype=float)),
    "array_api_strict": lambda xs, ts: (strict().asarray(xs), strict().asarray(ts)),
}


def strict():
    return pytest.importorskip("array_api_strict")


def close(got: float, want: float, scale: float = 0.0) -> bool:
    return abs(got - want) <= RTOL * max(abs(want), scale, 1e-300)


def eager(fn, targets):
    """The eager mean loss over the batch and backward's gradients."""
    w = parameters()
    losses = [
        fn(w, Value(x), [Value(v) for v in t] if isinstance(t, list) else Value(t))
        for x, t in zip(X, targets)
    ]
    mean = sum(losses[1:], losses[0]) / len(losses)
    mean.backward()
    return mean.data, [p.grad for p in w]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_compiled_equals_eager_at_logits_of_1000(name, backend):
    fn, targets = LOSSES[name]
    want_loss, want_grads = eager(fn, targets)
    assert math.isfinite(want_loss) and all(math.isfinite(g) for g in want_grads)
    w = parameters()
    step = compile(lambda x, t: fn(w, x, t), (X[0], targets[0]), params=w)
    batch = BACKENDS[backend](X, targets)
    got_loss = step(*batch)
    assert close(got_loss, want_loss), (got_loss, want_loss)
    scale = max(abs(g) for g in want_grads)
    for p, want in zip(w, want_grads):
        assert close(p.grad, want, scale), (p.label, p.grad, want)
    before = [p.grad for p in w]
    step(*batch)  # gradients are added, as backward() adds them
    for p, b in zip(w, before):
        assert close(p.grad, 2 * b, scale)


def test_the_compiled_softmax_takes_the_max_per_example():
    # A shift read from .data would be baked into the code as the traced example's constant;
    # with logits of ±1000 the other examples would overflow to nan or lose every digit.
    w = parameters()
    fn, targets = LOSSES["cross_entropy one-hot"]
    step = compile(lambda x, t: fn(w, x, t), (X[0], targets[0]), params=w)
    assert "maximum" in step.source
    assert math.isfinite(step([1000.0, -1000.0], [one_hot(0, 3), one_hot(1, 3)]))


ACTIVATIONS = {
    "sigmoid": lambda x: sigmoid(x * 2.0),
    "tanh": lambda x: tanh(x * 2.0),
    "relu": lambda x: relu(x - 0.5),
    "linear": lambda x: linear(x * -3.0),
    "softmax": lambda x: softmax([x, x * -1.0, x * 0.5 + 1.0]),
    "log_softmax": lambda x: log_softmax([x, x * -1.0, x * 0.5 + 1.0]),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_compiled_forward_equals_eager(name, backend):
    fn = ACTIVATIONS[name]
    step = compile(fn, (X[0],))
    xs = np.asarray(X) if backend == "numpy" else list(X)
    got = step(xs)
    for i, x in enumerate(X):
        want = fn(Value(x))
        want = [v.data for v in want] if isinstance(want, list) else [want.data]
        row = got[i]
        row = [float(row)] if np.ndim(row) == 0 else [float(v) for v in row]
        assert len(row) == len(want)
        assert all(close(g, v) for g, v in zip(row, want)), (x, row, want)


# -- nn.MLP itself (kept from the compile branch's version of this file) --------------


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
