"""Activations and losses: values, gradients (hand-derived and by gradcheck), extreme inputs.

Gradients are compared with their closed forms (e.g. ∂/∂z of bce_with_logits
is (σ(z) - y)/n), which are exact up to rounding: 1e-12 relative.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value, gradcheck
from nn.activations import linear, log_softmax, relu, resolve, sigmoid, softmax, tanh
from nn.losses import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    mse_loss,
    one_hot,
)


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
        (lambda: mse_loss(1.0, ["a"]), TypeError, "each target must be a number or a Value"),
        (lambda: binary_cross_entropy(1.5, 1), ValueError, "outside \\[0, 1\\]; apply sigmoid"),
        (lambda: binary_cross_entropy(0.5, 2), ValueError, "target 2 is outside"),
        (lambda: bce_with_logits(0.5, -1), ValueError, "target -1 is outside"),
        (lambda: cross_entropy([0.0, 1.0], 2), ValueError, "class 2 is out of range for 2"),
        (lambda: cross_entropy([0.0, 1.0], -1), ValueError, "out of range"),
        (lambda: cross_entropy([0.0, 1.0], 1.0), TypeError, "class index"),
        (lambda: cross_entropy([[0.0, 1.0]], [0, 1]), ValueError, "1 samples of logits but 2"),
        (lambda: cross_entropy([[0.0, 1.0], 1.0], [0, 1]), TypeError, "must be a list of scores"),
        (  # flat logits and a list of ints: one sample's probabilities, and 2 is not one
            lambda: cross_entropy([0.0, 1.0], [0, 2]),
            ValueError,
            r"class probability 2 is outside \[0, 1\] .*for class indices give one int",
        ),
        (lambda: cross_entropy([0.0, 1.0, 2.0], [1.0, 0.0]), ValueError, "3 scores but 2 prob"),
        (lambda: cross_entropy([0.0, 1.0], ["a", 1.0]), TypeError, "must be a number or a Value"),
        (lambda: cross_entropy([0.0, 1.0], Value(1.0)), TypeError, r"one_hot\(y, n_classes\)"),
        (lambda: cross_entropy([[0.0, 1.0]], [Value(0.0)]), TypeError, "cannot choose"),
        (lambda: one_hot(3, 3), ValueError, "one_hot: target class 3 is out of range for 3"),
        (lambda: one_hot(0, 0), ValueError, "n_classes must be a whole number >= 1, got 0"),
        (lambda: one_hot(1.0, 3), TypeError, "class index"),
        (lambda: hinge_loss([Value(1.0)], [Value(0.5)]), ValueError, "-1 or \\+1, got 0.5"),
        (lambda: bce_with_logits(0.0, Value(2.0)), ValueError, "target 2.0 is outside"),
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


# -- traceable forms: the max shift, the log clamp, Value targets, one-hot ------------------


def shifted_by_a_constant(zs):
    """log_softmax as it was before the max node: the shift read from .data, a constant."""
    m = max(z.data for z in zs)
    shifted = [z - m for z in zs]
    total = shifted[0].exp()
    for s in shifted[1:]:
        total = total + s.exp()
    log_total = total.log()
    return [s - log_total for s in shifted]


@given(st.lists(LOGITS, min_size=1, max_size=6), st.data())
def test_the_max_node_changes_no_value_and_gradients_only_by_rounding(zs, data):
    target = data.draw(st.integers(min_value=0, max_value=len(zs) - 1))
    weights = data.draw(st.lists(st.floats(-2, 2), min_size=len(zs), max_size=len(zs)))
    new, old = values(*zs), values(*zs)
    out_new, out_old = log_softmax(new), shifted_by_a_constant(old)
    assert [o.data for o in out_new] == [o.data for o in out_old]  # the same numbers, exactly
    loss_new = sum((w * o for w, o in zip(weights, out_new)), -out_new[target])
    loss_old = sum((w * o for w, o in zip(weights, out_old)), -out_old[target])
    loss_new.backward()
    loss_old.backward()
    # What reaches the max node sums to 0 but for rounding: ~1 ulp of the largest slope.
    scale = 1 + sum(abs(w) for w in weights)
    for a, b in zip(new, old):
        assert abs(a.grad - b.grad) <= 4e-16 * scale


def test_softmax_graph_shows_the_shift_as_a_chain_of_max_nodes():
    from engine import topological_order

    zs = [Value(x, label=f"z{i}") for i, x in enumerate([0.5, 2.0, -1.0])]
    probs = softmax(zs)
    nodes = topological_order(probs[0])
    maxes = [v for v in nodes if v.op == "max"]
    assert len(maxes) == 2  # max(z0, z1), then max(that, z2)
    assert maxes[0].parents == (zs[0], zs[1]) and maxes[1].parents == (maxes[0], zs[2])
    assert maxes[1].data == 2.0
    subs = [v for v in nodes if v.op == "-"]
    assert [s.parents for s in subs] == [(z, maxes[1]) for z in zs]


def test_softmax_of_one_score_and_of_ties():
    z = Value(3.0)
    (p,) = softmax([z])
    p.backward()
    assert (p.data, z.grad) == (1.0, 0.0)
    a, b = Value(1000.0), Value(1000.0)
    loss = cross_entropy([a, b], 0)
    loss.backward()
    assert loss.data == math.log(2) and (a.grad, b.grad) == (-0.5, 0.5)


def test_softmax_mixes_numbers_and_values():
    z = Value(1.0)
    probs = softmax([z, 3.0, 2.0])
    assert close(probs[0].data, softmax([1.0, 3.0, 2.0])[0])
    probs[0].backward()
    p = softmax([1.0, 3.0, 2.0])
    assert close(z.grad, p[0] * (1 - p[0]))


def test_binary_cross_entropy_clamp_passes_no_gradient_and_is_a_max_node():
    p = Value(0.0)
    loss = binary_cross_entropy(p, 1)  # -max(log 0, -100) = 100, PyTorch's clamp
    loss.backward()
    assert loss.data == 100.0 and p.grad == 0.0
    q = Value(1e-30)  # above e^-100: the log itself, and its slope -1/p
    loss = binary_cross_entropy(q, 1)
    loss.backward()
    assert loss.data == -math.log(1e-30) and close(q.grad, -1 / 1e-30)
    assert binary_cross_entropy(Value(math.exp(-100)), 1).data == 100.0


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0])
def test_losses_take_value_targets_with_the_right_gradient(t):
    # ∂/∂y of each loss, derived by hand: bce_with_logits -z, BCE log(1-p) - log p, mse -2(p-y).
    z, y = Value(0.7), Value(t)
    loss = bce_with_logits(z, y)
    loss.backward()
    assert close(loss.data, bce_with_logits(0.7, t).data)
    assert close(y.grad, -0.7) and close(z.grad, sigmoid(0.7) - t)
    p, y = Value(0.8), Value(t)
    loss = binary_cross_entropy(p, y)
    loss.backward()
    assert close(loss.data, binary_cross_entropy(0.8, t).data)
    assert close(y.grad, math.log(0.2) - math.log(0.8))
    p, y = Value(0.8), Value(t)
    loss = mse_loss(p, y)
    loss.backward()
    assert close(y.grad, -2 * (0.8 - t))
    for fn, targets in [
        (lambda v: bce_with_logits(v[:2], v[2:]), [0.7, -1.4, 0.2, 0.9]),
        (lambda v: binary_cross_entropy(v[:2], v[2:]), [0.7, 0.4, 0.2, 0.9]),
        (lambda v: mse_loss(v[:2], v[2:]), [0.7, -1.4, 0.2, 0.9]),
        (lambda v: cross_entropy(v[:3], v[3:]), [0.7, -1.4, 2.0, 0.2, 0.5, 0.3]),
    ]:
        gradcheck(fn, targets)


def test_hinge_loss_takes_value_targets():
    s, y = Value(0.5), Value(-1.0)
    loss = hinge_loss(s, y)
    loss.backward()
    assert loss.data == 1.5 and (s.grad, y.grad) == (1.0, -0.5)  # relu(1 - y·s)' is -y, -s


@given(st.lists(LOGITS, min_size=2, max_size=6), st.data())
def test_cross_entropy_one_hot_equals_the_class_index(zs, data):
    target = data.draw(st.integers(min_value=0, max_value=len(zs) - 1))
    by_index, by_one_hot = values(*zs), values(*zs)
    a = cross_entropy(by_index, target)
    b = cross_entropy(by_one_hot, one_hot(target, len(zs)))
    assert a.data == b.data
    a.backward()
    b.backward()
    # The one-hot sum adds log Σe's slope back as Σ q_c = 1 term by term: a rounding apart.
    for u, v in zip(by_index, by_one_hot):
        assert abs(u.grad - v.grad) <= 4e-16


def test_cross_entropy_with_probabilities_follows_torch():
    # torch.nn.functional.cross_entropy with class probabilities q: -Σ_c q_c log softmax(z)_c,
    # the mean over the batch; its gradient in z is softmax(z)·Σq - q.
    z = values(2.0, 1.0, 0.1)
    q = [0.2, 0.5, 0.3]
    loss = cross_entropy([z, values(0.0, 0.0, 0.0)], [q, one_hot(1, 3)])
    lsm = log_softmax([2.0, 1.0, 0.1])
    expected = (-sum(qc * lp for qc, lp in zip(q, lsm)) + math.log(3)) / 2
    assert close(loss.data, expected)
    loss.backward()
    p = softmax([2.0, 1.0, 0.1])
    for zc, pc, qc in zip(z, p, q):
        assert close(zc.grad, (pc - qc) / 2)
