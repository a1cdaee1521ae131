"""Activations and losses: values, gradients (hand-derived and by gradcheck), extreme inputs.

Gradients are compared with their closed forms (e.g. ∂/∂z of bce_with_logits
is (σ(z) - y)/n), which are exact up to rounding: 1e-12 relative.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value, gradcheck
from nn import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    log_softmax,
    mse_loss,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from nn.activations import linear, resolve


def values(*xs):
    return [Value(x) for x in xs]


def close(a, b, rel=1e-12):
    return a == pytest.approx(b, rel=rel, abs=1e-300)


# -- activations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, x, expected",
    [
        (sigmoid, 0.0, 0.5),
        (sigmoid, 2.0, 1 / (1 + math.exp(-2.0))),
        (sigmoid, -745.0, 0.0),
        (tanh, 0.5, math.tanh(0.5)),
        (relu, -3.0, 0.0),
        (relu, 3.0, 3.0),
        (linear, -2.5, -2.5),
    ],
)
def test_activations_on_numbers_values_and_lists_agree(fn, x, expected):
    assert close(fn(x), expected)
    assert isinstance(fn(x), float)
    v = fn(Value(x))
    assert isinstance(v, Value) and close(v.data, expected)
    assert [close(r, expected) for r in fn([x, x])] == [True, True]


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e308, -1e308])
def test_activations_are_finite_at_extremes(x):
    for fn in (sigmoid, tanh, relu):
        assert math.isfinite(fn(x)) and math.isfinite(fn(Value(x)).data)


def test_activation_gradients_by_gradcheck():
    for fn in (sigmoid, tanh):
        gradcheck(lambda v, f=fn: f(v[0]), [0.3])
    gradcheck(lambda v: relu(v[0]), [0.7])


def test_activations_refuse_strings():
    with pytest.raises(TypeError, match="takes a Value, a number or a list"):
        sigmoid("1.0")


def test_softmax_values_sum_to_one_and_match_the_formula():
    xs = [0.5, -1.0, 2.0]
    total = sum(math.exp(x) for x in xs)
    probs = softmax(xs)
    assert all(close(p, math.exp(x) / total) for p, x in zip(probs, xs, strict=True))
    assert close(sum(probs), 1.0)
    logs = log_softmax(xs)
    assert all(close(lp, x - math.log(total)) for lp, x in zip(logs, xs, strict=True))


def test_softmax_of_values_has_the_textbook_jacobian():
    zs = values(0.5, -1.0, 2.0)
    probs = softmax(zs)
    probs[2].backward()  # ∂p_2/∂z_j = p_2(δ_2j - p_j)
    p = [q.data for q in probs]
    for j, z in enumerate(zs):
        assert close(z.grad, p[2] * ((j == 2) - p[j]))


def test_log_softmax_gradient_by_gradcheck():
    gradcheck(lambda v: log_softmax(v)[1] * 2 + log_softmax(v)[0], [0.3, -1.2, 2.2])


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_softmax_is_stable_for_huge_logits(fn):
    zs = values(1000.0, -1000.0, 999.0)
    out = fn(zs)
    assert all(math.isfinite(o.data) for o in out)
    out[0].backward()
    assert all(math.isfinite(z.grad) for z in zs) and zs[2].grad != 0.0
    assert softmax([1000.0, 1000.0]) == [0.5, 0.5]
    assert log_softmax([1000.0, -1000.0]) == [0.0, -2000.0]


@pytest.mark.parametrize(
    "arg, error, message",
    [
        ([], ValueError, "empty list"),
        (1.0, TypeError, "list of scores"),
        (Value(1.0), TypeError, "list of scores"),
        (["a", 1.0], TypeError, "takes a Value"),
    ],
)
def test_softmax_bad_input(arg, error, message):
    with pytest.raises(error, match=message):
        softmax(arg)


def test_resolve_accepts_names_and_callables_only():
    assert resolve("relu") is relu and resolve(abs) is abs
    with pytest.raises(ValueError, match="unknown activation 'elu'"):
        resolve("elu")
    with pytest.raises(ValueError, match="unknown activation 3"):
        resolve(3)


# -- losses: values and gradients -------------------------------------------------------------


def test_mse_value_and_gradient():
    p = values(0.5, 2.0, -1.0)
    t = [1.0, 2.0, 1.0]
    loss = mse_loss(p, t)
    assert close(loss.data, (0.25 + 0 + 4) / 3)
    loss.backward()
    for q, target in zip(p, t, strict=True):
        assert close(q.grad, 2 * (q.data - target) / 3)


def test_mse_of_several_outputs_averages_every_element():
    p = [values(1.0, 2.0), values(0.0, 0.0)]
    loss = mse_loss(p, [[1.0, 0.0], [0.0, 2.0]])
    assert loss.data == 2.0
    loss.backward()
    assert p[0][1].grad == 2 * 2.0 / 4


def test_binary_cross_entropy_value_and_gradient():
    p = values(0.9, 0.2, 0.6)
    y = [1, 0, 1]
    loss = binary_cross_entropy(p, y)
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3
    assert close(loss.data, expected)
    loss.backward()
    for q, t in zip(p, y, strict=True):  # ∂/∂p = (p - y) / (p(1 - p)) / n
        assert close(q.grad, (q.data - t) / (q.data * (1 - q.data)) / 3)


def test_binary_cross_entropy_clamps_the_log_at_minus_100_like_torch():
    assert binary_cross_entropy(0.0, 1).data == 100.0
    assert binary_cross_entropy(1.0, 0).data == 100.0
    assert binary_cross_entropy(sigmoid(Value(1000.0)), 0).data == 100.0
    assert binary_cross_entropy([1.0, 0.0], [1, 0]).data == 0.0


def test_bce_with_logits_value_and_gradient():
    z = values(0.3, -2.0, 4.0)
    y = [1, 0, 0]
    loss = bce_with_logits(z, y)
    expected = (
        sum(
            -(t * math.log(sigmoid(v.data)) + (1 - t) * math.log(1 - sigmoid(v.data)))
            for v, t in zip(z, y, strict=True)
        )
        / 3
    )
    assert close(loss.data, expected)
    loss.backward()
    for v, t in zip(z, y, strict=True):  # ∂/∂z = (σ(z) - y) / n
        assert close(v.grad, (sigmoid(v.data) - t) / 3)


@pytest.mark.parametrize(
    "z, y, expected",
    [(1000.0, 0, 1000.0), (-1000.0, 1, 1000.0), (1000.0, 1, 0.0), (-1000.0, 0, 0.0)],
)
def test_bce_with_logits_is_exact_at_huge_logits(z, y, expected):
    v = Value(z)
    loss = bce_with_logits(v, y)
    assert loss.data == expected
    loss.backward()
    assert v.grad == sigmoid(z) - y  # exactly ±1 or 0, never nan


def test_bce_with_logits_accepts_soft_targets():
    assert close(bce_with_logits(0.0, 0.5).data, math.log(2))


def test_cross_entropy_single_sample_value_and_gradient():
    z = values(2.0, 1.0, 0.1)
    loss = cross_entropy(z, 0)
    total = sum(math.exp(v.data) for v in z)
    assert close(loss.data, -math.log(math.exp(2.0) / total))
    loss.backward()
    for j, v in enumerate(z):  # ∂/∂z_j = softmax_j - [j = y]
        assert close(v.grad, math.exp(v.data) / total - (j == 0))


def test_cross_entropy_batch_is_the_mean_of_the_samples():
    a, b = values(2.0, 1.0, 0.1), values(-1.0, 0.5, 3.0)
    batch = cross_entropy([a, b], [0, 2])
    single = (cross_entropy(a, 0).data + cross_entropy(b, 2).data) / 2
    assert close(batch.data, single)
    batch.backward()
    total = sum(math.exp(v.data) for v in b)
    assert close(b[1].grad, math.exp(0.5) / total / 2)


def test_cross_entropy_is_stable_for_huge_logits():
    z = values(1000.0, -1000.0)
    loss = cross_entropy(z, 1)
    assert loss.data == 2000.0
    loss.backward()
    assert (z[0].grad, z[1].grad) == (1.0, -1.0)
    assert cross_entropy([1000.0, 1000.0], 0).data == pytest.approx(math.log(2))


def test_hinge_loss_value_and_gradient():
    s = values(2.0, 0.5, -1.0)
    y = [1, 1, -1]
    loss = hinge_loss(s, y)
    assert close(loss.data, (0 + 0.5 + 0) / 3)
    loss.backward()
    assert [v.grad for v in s] == [0.0, -1 / 3, 0.0]  # only the sample inside the margin


def test_hinge_loss_at_extremes_is_finite():
    assert hinge_loss(-1000.0, 1).data == 1001.0
    assert hinge_loss(1000.0, 1).data == 0.0


def test_losses_return_one_value_even_for_numbers():
    for loss in (
        mse_loss(1.0, 0.0),
        bce_with_logits(0.0, 1),
        hinge_loss(0.0, 1),
        binary_cross_entropy(0.5, 1),
        cross_entropy([0.0, 0.0], 1),
    ):
        assert isinstance(loss, Value)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: mse_loss([1.0, 2.0], [1.0]), ValueError, "2 predictions but 1 targets"),
        (lambda: mse_loss([], []), ValueError, "empty"),
        (lambda: mse_loss([[1.0, 2.0]], [[1.0]]), ValueError, "sample 0 has 2 outputs"),
        (lambda: mse_loss(1.0, "a"), TypeError, "must be a Value, a number or a list"),
        (lambda: mse_loss(1.0, Value(1.0)), TypeError, "target must be a plain number"),
        (lambda: binary_cross_entropy(1.5, 1), ValueError, "outside \\[0, 1\\]; apply sigmoid"),
        (lambda: binary_cross_entropy(0.5, 2), ValueError, "target 2 is outside"),
        (lambda: bce_with_logits(0.5, -1), ValueError, "target -1 is outside"),
        (lambda: cross_entropy([0.0, 1.0], 2), ValueError, "class 2 is out of range for 2"),
        (lambda: cross_entropy([0.0, 1.0], -1), ValueError, "out of range"),
        (lambda: cross_entropy([0.0, 1.0], 1.0), TypeError, "class index"),
        (lambda: cross_entropy([[0.0, 1.0]], [0, 1]), ValueError, "1 samples of logits but 2"),
        (lambda: cross_entropy([0.0, 1.0], [0, 1]), TypeError, "must be a list of scores"),
        (  # a batch of logits with one bare class index: say so in cross_entropy's words
            lambda: cross_entropy([[0.0, 1.0], [1.0, 0.0]], 0),
            TypeError,
            r"cross_entropy: one class index 0 goes with one sample's scores; "
            r"for a batch of 2 samples give a list of 2 class indices",
        ),
        (lambda: hinge_loss([1.0], [0]), ValueError, "must be -1 or \\+1, got 0"),
    ],
)
def test_bad_loss_inputs_have_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_losses_pass_gradcheck_in_their_smooth_regions():
    gradcheck(lambda v: mse_loss(v, [0.3, -0.2]), [1.0, 0.5])
    gradcheck(lambda v: binary_cross_entropy(v, [1, 0]), [0.7, 0.4])
    gradcheck(lambda v: bce_with_logits(v, [1, 0]), [0.7, -1.4])
    gradcheck(lambda v: cross_entropy([v], [1]), [0.7, -1.4, 2.0])
    gradcheck(lambda v: hinge_loss(v, [1, -1]), [0.2, 0.4])


# -- properties over the whole range of logits ---------------------------------------------

LOGITS = st.floats(min_value=-1000, max_value=1000, allow_nan=False)


@given(st.lists(LOGITS, min_size=1, max_size=6))
def test_softmax_is_a_distribution_for_any_logits(zs):
    probs = softmax(zs)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert sum(probs) == pytest.approx(1.0, rel=1e-12)
    assert all(math.isfinite(lp) and lp <= 0.0 for lp in log_softmax(zs))


@given(st.lists(LOGITS, min_size=2, max_size=6), st.data())
def test_cross_entropy_gradient_is_softmax_minus_one_hot(zs, data):
    target = data.draw(st.integers(min_value=0, max_value=len(zs) - 1))
    logits = values(*zs)
    loss = cross_entropy(logits, target)
    assert math.isfinite(loss.data) and loss.data >= 0.0
    loss.backward()
    probs = softmax(zs)
    for j, z in enumerate(logits):
        assert z.grad == pytest.approx(probs[j] - (j == target), abs=1e-12)


@given(LOGITS, st.sampled_from([0, 1]))
def test_bce_with_logits_gradient_is_sigmoid_minus_target(z, y):
    v = Value(z)
    loss = bce_with_logits(v, y)
    assert math.isfinite(loss.data) and loss.data >= 0.0
    loss.backward()
    assert v.grad == pytest.approx(sigmoid(z) - y, abs=1e-15)
