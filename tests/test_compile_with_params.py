"""CompiledStep.with_params: the step at given parameter values, no Value read or written.

It must give what calling the step gives (the mean loss, and as the gradient
exactly what the call adds into each ``p.grad``), on every backend, without
touching ``.data`` or ``.grad``.
"""

import pytest

import engine
from engine import Value
from nn import MLP

np = pytest.importorskip("numpy")


def model_and_loss(seed: int = 0):
    model = MLP(2, [4, 3, 1], activation="tanh", seed=seed)
    extra = Value(0.7, label="unused")  # held by the optimizer, never read by the loss
    params = [*model.parameters(), extra]

    def loss(x, t):
        return (model(x) - t) ** 2 + 1e-3 * sum(p * p for p in model.parameters())

    return model, params, loss


X = [[0.5, -1.0], [2.0, 0.25], [-0.3, 0.8], [1.5, 1.5], [0.0, -2.0]]
T = [1.0, -0.5, 0.25, 2.0, 0.0]


def batches():
    strict = pytest.importorskip("array_api_strict")
    return {
        "lists": (X, T, list),
        "numpy": (np.asarray(X), np.asarray(T), np.asarray),
        "array-api-strict": (
            strict.asarray(X, dtype=strict.float64),
            strict.asarray(T, dtype=strict.float64),
            lambda v: strict.asarray(v, dtype=strict.float64),
        ),
    }


@pytest.mark.parametrize("backend", ["lists", "numpy", "array-api-strict"])
def test_with_params_gives_what_the_call_adds_and_touches_no_value(backend):
    xs, ts, array = batches()[backend]
    model, params, loss = model_and_loss()
    step = engine.compile(loss, (X[0], T[0]), params=params)
    theta = [p.data + 0.01 * k for k, p in enumerate(params)]  # not what the Values hold

    got_loss, got_grad = step.with_params(array(theta), xs, ts)
    assert all(p.grad == 0.0 for p in params)  # nothing delivered
    assert [p.data for p in params] != theta  # nothing read back into the Values

    for p, v in zip(params, theta):
        p.data = v
    want_loss = step(xs, ts)
    want_grad = [p.grad for p in params]
    got = got_grad.tolist() if hasattr(got_grad, "tolist") else list(got_grad)
    assert got_loss == want_loss
    assert got == want_grad
    assert got[-1] == 0.0 and len(got) == len(params)  # the parameter the loss never reads


def test_with_params_runs_a_forward_step_at_the_values_given():
    model = MLP(2, [3, 2], seed=1)
    forward = engine.compile(model, (X[0],))
    theta = np.asarray([v.data * 2.0 for v in forward.state])
    got = forward.with_params(theta, np.asarray(X))
    for v, t in zip(forward.state, theta):
        v.data = float(t)
    assert got.tolist() == forward(np.asarray(X)).tolist()


def test_with_params_refuses_a_theta_of_the_wrong_length():
    model, params, loss = model_and_loss()
    step = engine.compile(loss, (X[0], T[0]), params=params)
    with pytest.raises(ValueError, match=f"theta must hold {len(params)} numbers"):
        step.with_params([0.0] * 3, X, T)
