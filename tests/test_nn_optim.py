"""Each optimizer against its published torch.optim algorithm, recomputed by hand step by step.

Every test drives an optimizer with a fixed sequence of gradients (set on
``.grad`` directly, so the loss plays no part) and compares each parameter
after each step with the rule from PyTorch's documentation, written out
again here in plain Python. Both sides do the same float operations up to
reordering, so they agree to a few ulps; 1e-12 leaves room for that and
nothing else.
"""

import inspect
import itertools
import math
import os

import pytest

from engine import Value
from engine.utils.arguments import number
from nn.optim import (
    FLOATS,
    OPTIMIZERS,
    SGD,
    AdaDelta,
    AdaGrad,
    Adam,
    AdamW,
    ExponentialLR,
    Momentum,
    Optimizer,
    RMSProp,
    StepLR,
    register,
    trajectory,
)

TOL = 1e-12
START = [0.5, -1.25, 2.0]
# A gradient per step and parameter: signs flip, sizes vary, one is zero for a while.
GRADS = [
    [0.3, -1.2, 0.0],
    [-0.7, 0.4, 0.0],
    [1.5, 0.1, 2.5],
    [0.2, -0.9, -0.4],
    [-0.05, 2.0, 0.8],
    [0.6, -0.3, -1.1],
]


def drive(opt_class, **hyper):
    """Run ``opt_class`` over GRADS; the parameters' values after each step."""
    params = [Value(x) for x in START]
    opt = opt_class(params, **hyper)
    history = []
    for grads in GRADS:
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        opt.step()
        assert all(p.is_leaf and p.parents == () for p in params), "the update recorded graph"
        history.append([p.data for p in params])
    return history


def assert_paths_equal(got, expected):
    for t, (row_got, row_expected) in enumerate(zip(got, expected, strict=True), start=1):
        for i, (a, b) in enumerate(zip(row_got, row_expected, strict=True)):
            assert abs(a - b) <= TOL * max(1.0, abs(b)), f"step {t}, param {i}: {a!r} != {b!r}"


# -- the published algorithms, one parameter at a time ------------------------------------


def sgd_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    out = []
    for i, theta in enumerate(START):
        b = None
        path = []
        for grads in GRADS:
            g = grads[i]
            if weight_decay != 0:
                g = g + weight_decay * theta
            if momentum != 0:
                b = g if b is None else momentum * b + (1 - dampening) * g
                g = g + momentum * b if nesterov else b
            theta = theta - lr * g
            path.append(theta)
        out.append(path)
    return [list(step) for step in zip(*out, strict=True)]


def adagrad_reference(
    lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10
):
    out = []
    for i, theta in enumerate(START):
        state_sum = initial_accumulator_value
        path = []
        for t, grads in enumerate(GRADS, start=1):
            g = grads[i]
            clr = lr / (1 + (t - 1) * lr_decay)
            if weight_decay != 0:
                g = g + weight_decay * theta
            state_sum = state_sum + g * g
            theta = theta - clr * g / (math.sqrt(state_sum) + eps)
            path.append(theta)
        out.append(path)
    return [list(step) for step in zip(*out, strict=True)]


def rmsprop_reference(
    lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
):
    out = []
    for i, theta in enumerate(START):
        v = b = g_ave = 0.0
        path = []
        for grads in GRADS:
            g = grads[i]
            if weight_decay != 0:
                g = g + weight_decay * theta
            v = alpha * v + (1 - alpha) * g**2
            v_tilde = v
            if centered:
                g_ave = g_ave * alpha + (1 - alpha) * g
                v_tilde = v_tilde - g_ave**2
            if momentum > 0:
                b = momentum * b + g / (math.sqrt(v_tilde) + eps)
                theta = theta - lr * b
            else:
                theta = theta - lr * g / (math.sqrt(v_tilde) + eps)
            path.append(theta)
        out.append(path)
    return [list(step) for step in zip(*out, strict=True)]


def adadelta_reference(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    out = []
    for i, theta in enumerate(START):
        v = u = 0.0
        path = []
        for grads in GRADS:
            g = grads[i]
            if weight_decay != 0:
                g = g + weight_decay * theta
            v = v * rho + g**2 * (1 - rho)
            dx = math.sqrt(u + eps) / math.sqrt(v + eps) * g
            u = u * rho + dx**2 * (1 - rho)
            theta = theta - lr * dx
            path.append(theta)
        out.append(path)
    return [list(step) for step in zip(*out, strict=True)]


def adam_reference(
    lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False
):
    beta1, beta2 = betas
    out = []
    for i, theta in enumerate(START):
        m = v = v_max = 0.0
        path = []
        for t, grads in enumerate(GRADS, start=1):
            g = grads[i]
            if decoupled:
                theta = theta - lr * weight_decay * theta  # AdamW: θ ← θ - γλθ
            elif weight_decay != 0:
                g = g + weight_decay * theta
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g**2
            m_hat = m / (1 - beta1**t)
            if amsgrad:
                v_max = max(v_max, v)
                v_hat = v_max / (1 - beta2**t)
            else:
                v_hat = v / (1 - beta2**t)
            theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
            path.append(theta)
        out.append(path)
    return [list(step) for step in zip(*out, strict=True)]


# -- the comparisons ----------------------------------------------------------------------

SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.5, dampening=0.3),
    dict(lr=0.02, momentum=0.9, nesterov=True),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.01),
    dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.05),
]


@pytest.mark.parametrize("hyper", SGD_CASES, ids=repr)
def test_sgd_follows_the_published_rule(hyper):
    assert_paths_equal(drive(SGD, **hyper), sgd_reference(**hyper))


@pytest.mark.parametrize("hyper", [dict(lr=0.1), dict(lr=0.01, nesterov=True)], ids=repr)
def test_momentum_is_sgd_with_momentum_point_nine(hyper):
    assert Momentum([Value(0.0)], lr=0.1).momentum == 0.9
    assert_paths_equal(drive(Momentum, **hyper), sgd_reference(momentum=0.9, **hyper))


def test_sgd_first_step_momentum_buffer_is_the_gradient_not_dampened():
    # With dampening 0.5 a dampened first buffer would move half as far.
    w = Value(1.0)
    w.grad = 2.0
    SGD([w], lr=0.1, momentum=0.9, dampening=0.5).step()
    assert w.data == 1.0 - 0.1 * 2.0


ADAGRAD_CASES = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.05),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, initial_accumulator_value=0.5),
    dict(lr=0.3, lr_decay=0.2, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-3),
]


@pytest.mark.parametrize("hyper", ADAGRAD_CASES, ids=repr)
def test_adagrad_follows_the_published_rule(hyper):
    assert_paths_equal(drive(AdaGrad, **hyper), adagrad_reference(**hyper))


RMSPROP_CASES = [
    dict(),
    dict(lr=0.05, alpha=0.9),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, alpha=0.8, centered=True, momentum=0.5),
    dict(lr=0.02, weight_decay=0.1, eps=1e-4),
]


@pytest.mark.parametrize("hyper", RMSPROP_CASES, ids=repr)
def test_rmsprop_follows_the_published_rule(hyper):
    assert_paths_equal(drive(RMSProp, **hyper), rmsprop_reference(**hyper))


ADADELTA_CASES = [dict(), dict(lr=0.5, rho=0.95), dict(weight_decay=0.1), dict(eps=1e-3, rho=0.5)]


@pytest.mark.parametrize("hyper", ADADELTA_CASES, ids=repr)
def test_adadelta_follows_the_published_rule(hyper):
    assert_paths_equal(drive(AdaDelta, **hyper), adadelta_reference(**hyper))


ADAM_CASES = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.05, betas=(0.8, 0.99)),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.01, eps=1e-4),
]


@pytest.mark.parametrize("hyper", ADAM_CASES, ids=repr)
def test_adam_follows_the_published_rule(hyper):
    assert_paths_equal(drive(Adam, **hyper), adam_reference(**hyper))


ADAMW_CASES = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, weight_decay=0.0),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.3, eps=1e-4),
]


@pytest.mark.parametrize("hyper", ADAMW_CASES, ids=repr)
def test_adamw_follows_the_published_rule(hyper):
    full = {"weight_decay": 1e-2, **hyper}
    assert_paths_equal(drive(AdamW, **hyper), adam_reference(decoupled=True, **full))


def test_adamw_decay_is_not_the_same_as_adam_l2():
    # Decoupled decay differs from an L2 term folded into Adam's gradient.
    adamw = drive(AdamW, lr=0.05, weight_decay=0.1)
    adam = drive(Adam, lr=0.05, weight_decay=0.1)
    assert max(abs(a - b) for a, b in zip(adamw[-1], adam[-1], strict=True)) > 1e-4


def test_amsgrad_takes_the_max_of_the_raw_second_moment():
    # A large first gradient then small ones: v_max keeps the denominator from shrinking, so
    # steps are smaller than plain Adam's. Pinning the numbers checks the max is taken over v,
    # not over the bias-corrected v̂ (the two orders give different paths here).
    def run(amsgrad):
        w = Value(0.0)
        opt = Adam([w], lr=0.1, betas=(0.5, 0.5), amsgrad=amsgrad)
        for g in (10.0, 0.1, 0.1):
            w.grad = g
            opt.step()
        return w.data

    v, v_max = 0.0, 0.0
    m, w = 0.0, 0.0
    for t, g in enumerate((10.0, 0.1, 0.1), start=1):
        m = 0.5 * m + 0.5 * g
        v = 0.5 * v + 0.5 * g * g
        v_max = max(v_max, v)
        w -= 0.1 * (m / (1 - 0.5**t)) / (math.sqrt(v_max / (1 - 0.5**t)) + 1e-8)
    assert abs(run(True) - w) < TOL
    assert abs(run(True) - run(False)) > 1e-3


# -- defaults and keyword names are torch's -----------------------------------------------


def test_defaults_match_torch():
    p = [Value(0.0)]
    assert (SGD(p, lr=0.1).momentum, SGD(p, lr=0.1).dampening, SGD(p, lr=0.1).nesterov) == (
        0.0,
        0.0,
        False,
    )
    ada = AdaGrad(p)
    assert (ada.lr, ada.lr_decay, ada.weight_decay, ada.initial_accumulator_value, ada.eps) == (
        1e-2,
        0.0,
        0.0,
        0.0,
        1e-10,
    )
    rms = RMSProp(p)
    assert (rms.lr, rms.alpha, rms.eps, rms.weight_decay, rms.momentum, rms.centered) == (
        1e-2,
        0.99,
        1e-8,
        0.0,
        0.0,
        False,
    )
    delta = AdaDelta(p)
    assert (delta.lr, delta.rho, delta.eps, delta.weight_decay) == (1.0, 0.9, 1e-6, 0.0)
    adam = Adam(p)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay, adam.amsgrad) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0.0,
        False,
    )
    assert AdamW(p).weight_decay == 1e-2


TORCH_SIGNATURES = {  # positional order of torch.optim's arguments, before its keyword-only ones
    SGD: ["params", "lr", "momentum", "dampening", "weight_decay", "nesterov"],
    Momentum: ["params", "lr", "momentum", "dampening", "weight_decay", "nesterov"],
    AdaGrad: ["params", "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    RMSProp: ["params", "lr", "alpha", "eps", "weight_decay", "momentum", "centered"],
    AdaDelta: ["params", "lr", "rho", "eps", "weight_decay"],
    Adam: ["params", "lr", "betas", "eps", "weight_decay", "amsgrad"],
    AdamW: ["params", "lr", "betas", "eps", "weight_decay", "amsgrad"],
}


@pytest.mark.parametrize("cls", TORCH_SIGNATURES, ids=lambda c: c.__name__)
def test_argument_names_and_order_are_torchs(cls):
    # Code written for torch.optim, positional arguments included, means the same here.
    assert list(inspect.signature(cls).parameters) == TORCH_SIGNATURES[cls]


def test_sgd_needs_a_learning_rate():
    with pytest.raises(TypeError):
        SGD([Value(0.0)])  # torch.optim.SGD has no default lr either


# -- validation ---------------------------------------------------------------------------

BAD_HYPERPARAMETERS = [
    (SGD, dict(lr=-1), "lr must be >= 0, got -1"),
    (SGD, dict(lr=0.1, momentum=-0.5), "momentum must be >= 0"),
    (SGD, dict(lr=0.1, weight_decay=-1), "weight_decay must be >= 0"),
    (SGD, dict(lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
    (SGD, dict(lr=float("nan")), "lr must be a finite number"),
    (SGD, dict(lr=10**400), "lr must be a finite number, got an integer too big for a float"),
    (AdaGrad, dict(lr_decay=-0.1), "lr_decay must be >= 0"),
    (AdaGrad, dict(initial_accumulator_value=-1), "initial_accumulator_value must be >= 0"),
    (AdaGrad, dict(eps=-1e-10), "eps must be >= 0"),
    (RMSProp, dict(alpha=1.5), r"alpha must be in \[0, 1\]"),
    (RMSProp, dict(momentum=-0.1), "momentum must be >= 0"),
    (AdaDelta, dict(rho=1.1), r"rho must be in \[0, 1\]"),
    (Adam, dict(betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\)"),
    (Adam, dict(betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
    (Adam, dict(betas=(0.9,)), "betas must be a pair"),
    (AdamW, dict(weight_decay=-0.01), "weight_decay must be >= 0"),
]


@pytest.mark.parametrize("cls, hyper, message", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_are_refused_with_a_clear_message(cls, hyper, message):
    with pytest.raises(ValueError, match=message):
        cls([Value(0.0)], **hyper)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ([], ValueError, "empty list of parameters"),
        (Value(1.0), TypeError, "list of Values"),
        ([1.0, 2.0], TypeError, "every parameter must be a Value"),
        (None, TypeError, "iterable of Values"),
    ],
)
def test_bad_parameter_lists_are_refused(params, error, message):
    with pytest.raises(error, match=message):
        Adam(params)


def test_a_parameter_listed_twice_is_refused():
    w = Value(0.0)
    with pytest.raises(ValueError, match="appears twice"):
        SGD([w, w], lr=0.1)


@pytest.mark.parametrize("flag", ["nesterov"])
def test_flags_must_be_booleans(flag):
    with pytest.raises(TypeError, match="True or False"):
        SGD([Value(0.0)], lr=0.1, momentum=0.9, **{flag: "yes"})


def test_string_hyperparameters_are_type_errors():
    with pytest.raises(TypeError, match="lr must be a number"):
        Adam([Value(0.0)], lr="0.1")


# -- behaviour ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_descends_a_bowl_and_zero_grad_clears(name):
    w = Value(2.0)
    opt = OPTIMIZERS[name]([w], lr=OPTIMIZERS[name].demo_lr)
    start = w.data**2
    for _ in range(20):
        opt.zero_grad()
        assert w.grad == 0.0
        (w * w).backward()
        opt.step()
    assert w.data**2 < start
    assert isinstance(opt, Optimizer) and name.lower() in repr(opt).lower()


def test_trajectory_records_the_path_and_restores_the_start():
    x, y = Value(1.0), Value(2.0)
    x.grad = 5.0
    path = trajectory(lambda: x * x + y * y, SGD([x, y], lr=0.25), steps=2)
    assert path == [(1.0, 2.0), (0.5, 1.0), (0.25, 0.5)]
    assert (x.data, y.data, x.grad, y.grad) == (1.0, 2.0, 5.0, 0.0)


def test_trajectory_rejects_a_closure_that_returns_no_value():
    x = Value(1.0)
    with pytest.raises(TypeError, match="closure must return a Value"):
        trajectory(lambda: 3.0, SGD([x], lr=0.1), steps=1)
    assert x.data == 1.0


# -- learning-rate schedules --------------------------------------------------------------


def test_step_lr_multiplies_like_torch_chainable_form():
    opt = SGD([Value(0.0)], lr=0.3)
    schedule = StepLR(opt, step_size=3, gamma=0.1)
    seen, lr = [], 0.3
    for _ in range(10):
        seen.append(opt.lr)
        schedule.step()
    for epoch, got in enumerate(seen):
        assert got == lr
        if (epoch + 1) % 3 == 0:
            lr = lr * 0.1
    assert seen[3] == 0.3 * 0.1 and seen[9] == 0.3 * 0.1 * 0.1 * 0.1


def test_exponential_lr_and_the_optimizer_uses_the_new_rate():
    w = Value(1.0)
    opt = SGD([w], lr=0.5)
    schedule = ExponentialLR(opt, gamma=0.5)
    schedule.step()
    w.grad = 1.0
    opt.step()
    assert (opt.lr, w.data) == (0.25, 0.75)


def test_schedules_validate_their_arguments():
    opt = SGD([Value(0.0)], lr=0.1)
    with pytest.raises(ValueError, match="step_size must be a whole number >= 1"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        ExponentialLR(opt, gamma=-0.5)
    with pytest.raises(TypeError, match="needs an optimizer"):
        StepLR([Value(0.0)], step_size=1)


# -- torch.optim's shape: defaults, param_groups, state, state_dict ------------------------


def test_defaults_param_groups_and_attributes_are_one_record():
    w = Value(0.0)
    opt = Adam([w], lr=0.05)
    # torch.optim.Adam's defaults, less the flags nobody here needs (foreach, fused, …)
    assert opt.defaults == {
        "lr": 0.05,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
    }
    assert opt.param_groups == [{"params": [w], **opt.defaults}]
    assert opt.param_groups[0]["params"] is opt.params
    opt.lr = 0.25  # writes the group that step reads, not a shadow attribute
    assert (opt.param_groups[0]["lr"], opt.defaults["lr"], opt.lr) == (0.25, 0.05, 0.25)
    w.grad = 1.0
    opt.step()
    assert w.data == pytest.approx(-0.25 / (1 + 1e-8), rel=1e-15)  # first step: lr·g/(|g| + ε)


def test_assigning_a_hyperparameter_checks_it_like_the_constructor():
    opt = SGD([Value(0.0)], lr=0.1, momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        opt.lr = -1
    with pytest.raises(TypeError, match="lr must be a number"):
        opt.lr = "0.1"
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        opt.momentum = 0
    assert (opt.lr, opt.momentum) == (0.1, 0.9)
    with pytest.raises(AttributeError, match="no attribute 'betas'"):
        _ = opt.betas


def test_repr_lists_the_hyperparameters():
    assert repr(SGD([Value(0.0), Value(1.0)], lr=0.1)) == (
        "SGD(2 parameters, lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)"
    )
    assert repr(AdamW([Value(0.0)])) == (
        "AdamW(1 parameter, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, "
        "amsgrad=False)"
    )


@pytest.mark.parametrize("cls", TORCH_SIGNATURES, ids=lambda c: c.__name__)
def test_default_lr_is_the_signatures(cls):
    # what fit uses for an optimizer given by name; SGD has none, as in torch
    default = inspect.signature(cls).parameters["lr"].default
    expected = None if default is inspect.Parameter.empty else default
    assert cls.default_lr() == expected
    assert (cls.default_lr() is None) == (cls in (SGD, Momentum))


def _case_id(value):
    return value.__name__ if isinstance(value, type) else repr(value)


# The per-parameter state each optimizer keeps, by torch.optim's names for it.
STATE_KEYS = [
    (SGD, dict(lr=0.1), set()),
    (SGD, dict(lr=0.1, momentum=0.9), {"momentum_buffer"}),
    (Momentum, dict(lr=0.1), {"momentum_buffer"}),
    (AdaGrad, dict(), {"step", "sum"}),
    (RMSProp, dict(), {"step", "square_avg"}),
    (
        RMSProp,
        dict(momentum=0.5, centered=True),
        {"step", "square_avg", "momentum_buffer", "grad_avg"},
    ),
    (AdaDelta, dict(), {"step", "square_avg", "acc_delta"}),
    (Adam, dict(), {"step", "exp_avg", "exp_avg_sq"}),
    (AdamW, dict(amsgrad=True), {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
]


@pytest.mark.parametrize("cls, hyper, keys", STATE_KEYS, ids=_case_id)
def test_state_is_a_dict_per_parameter_with_torchs_names(cls, hyper, keys):
    params = [Value(0.5), Value(-1.0)]
    opt = cls(params, **hyper)
    assert opt.state == {p: {} for p in params}  # nothing before the first step, like torch
    for p in params:
        p.grad = 0.3
    opt.step()
    opt.step()
    for p in params:
        assert set(opt.state[p]) == keys
        assert opt.state[p].get("step", 2) == 2


def test_adam_state_holds_the_moments_of_the_rule():
    w = Value(1.0)
    opt = Adam([w], betas=(0.5, 0.75))
    for g in (2.0, -1.0):
        w.grad = g
        opt.step()
    m = 0.5 * (0.5 * 2.0) + 0.5 * -1.0
    v = 0.75 * (0.25 * 4.0) + 0.25 * 1.0
    assert opt.state[w] == {"step": 2, "exp_avg": m, "exp_avg_sq": v}


# Every optimizer, with the options that add state (momentum, centered, amsgrad, …).
RESUME_CASES = [
    (SGD, dict(lr=0.05)),
    (SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (Momentum, dict(lr=0.05)),
    (AdaGrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (RMSProp, dict(lr=0.01, momentum=0.5, centered=True)),
    (RMSProp, dict(lr=0.01, weight_decay=0.01)),
    (AdaDelta, dict(rho=0.8, weight_decay=0.01)),
    (Adam, dict(lr=0.05)),
    (Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    (AdamW, dict(lr=0.05)),
    (AdamW, dict(lr=0.05, amsgrad=True, betas=(0.8, 0.9))),
]
POINTS = [([0.5, -1.0], 1.0), ([-0.3, 0.8], -0.5), ([1.2, 0.1], 0.25), ([0.0, -0.6], 0.0)]


def _train(model, opt, steps):
    from nn import mse_loss

    for _ in range(steps):
        opt.zero_grad()
        mse_loss([model(x) for x, _ in POINTS], [y for _, y in POINTS]).backward()
        opt.step()


@pytest.mark.parametrize("cls, hyper", RESUME_CASES, ids=_case_id)
def test_a_run_saved_as_json_and_resumed_equals_the_uninterrupted_run_bit_for_bit(cls, hyper):
    assert_resumes_bit_for_bit(cls, hyper)


def assert_resumes_bit_for_bit(cls, hyper):
    """Train 12 steps straight, or 5 then save as JSON, load elsewhere and train 7: the same."""
    import json

    from nn import MLP

    straight = MLP(2, [4, 1], activation="tanh", seed=3)
    straight_opt = cls(straight.parameters(), **hyper)
    _train(straight, straight_opt, 12)

    first = MLP(2, [4, 1], activation="tanh", seed=3)
    first_opt = cls(first.parameters(), **hyper)
    _train(first, first_opt, 5)
    saved = json.dumps(
        {"model": first.state_dict(), "optimizer": first_opt.state_dict()}, allow_nan=False
    )

    # A fresh process would start from other weights and other hyperparameters.
    loaded = json.loads(saved)
    resumed = MLP(2, [4, 1], activation="tanh", seed=99)
    resumed.load_state_dict(loaded["model"])
    resumed_opt = cls(resumed.parameters(), lr=0.9)
    resumed_opt.load_state_dict(loaded["optimizer"])
    assert resumed_opt.param_groups[0].keys() == straight_opt.param_groups[0].keys()
    _train(resumed, resumed_opt, 7)

    assert resumed.state_dict() == straight.state_dict()  # exactly, not approximately
    assert resumed_opt.state_dict() == straight_opt.state_dict()


def test_state_dict_is_torchs_layout_and_survives_json():
    import json

    w, b = Value(1.0), Value(2.0)
    opt = Adam([w, b], lr=0.1, amsgrad=True)
    w.grad, b.grad = 0.5, 0.0
    opt.step()
    saved = opt.state_dict()
    assert saved["param_groups"] == [
        {"lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": True,
         "params": [0, 1]}
    ]  # fmt: skip
    assert set(saved["state"]) == {0, 1}
    assert saved["state"][0]["step"] == 1
    again = json.loads(json.dumps(saved, allow_nan=False))
    other = Adam([Value(1.0), Value(2.0)])
    other.load_state_dict(again)
    assert other.betas == (0.9, 0.999) and other.amsgrad is True
    assert other.state_dict() == saved


def _load_refused(opt, saved, error, message):
    before = (repr(opt), opt.state_dict())
    with pytest.raises(error, match=message):
        opt.load_state_dict(saved)
    assert (repr(opt), opt.state_dict()) == before, "a refused state_dict changed the optimizer"


def _stepped(cls, n=2, **hyper):
    params = [Value(0.5 * i) for i in range(n)]
    opt = cls(params, **hyper)
    for p in params:
        p.grad = 1.0
    opt.step()
    return opt


def test_load_state_dict_refuses_another_optimizers_or_a_damaged_state_and_changes_nothing():
    adam = _stepped(Adam)
    good = adam.state_dict()

    def damaged(change):
        import copy

        saved = copy.deepcopy(good)
        change(saved)
        return saved

    target = _stepped(Adam, lr=0.3)
    _load_refused(target, _stepped(SGD, lr=0.1).state_dict(), ValueError, "not Adam's")
    _load_refused(target, _stepped(Adam, n=3).state_dict(), ValueError, "for 3 parameters")
    _load_refused(target, {"state": {}}, ValueError, "'state' and 'param_groups'")
    _load_refused(target, [1, 2], ValueError, "'state' and 'param_groups'")

    def bad_lr(s):
        s["param_groups"][0]["lr"] = -1.0

    def bad_betas(s):
        s["param_groups"][0]["betas"] = [0.9, 1.5]

    def nan_moment(s):
        s["state"][1]["exp_avg"] = float("nan")

    def text_moment(s):
        s["state"][1]["exp_avg_sq"] = "0.1"

    def negative_step(s):
        s["state"][0]["step"] = -1

    def missing_moment(s):
        del s["state"][0]["exp_avg_sq"]

    def unknown_parameter(s):
        s["state"][7] = {}

    _load_refused(target, damaged(bad_lr), ValueError, "lr must be >= 0")
    _load_refused(target, damaged(bad_betas), ValueError, r"betas\[1\] must be in")
    _load_refused(target, damaged(nan_moment), ValueError, "exp_avg of parameter 1")
    _load_refused(target, damaged(text_moment), TypeError, "exp_avg_sq of parameter 1")
    _load_refused(target, damaged(negative_step), ValueError, "step count of parameter 0")
    _load_refused(target, damaged(missing_moment), ValueError, "this optimizer keeps")
    _load_refused(target, damaged(unknown_parameter), ValueError, "unknown parameter 7")
    target.load_state_dict(good)  # and the undamaged one loads
    assert target.state_dict() == good


# Every optimizer with each option that adds state; the entries its rule takes a square root
# of (sums and means of squares, so never below 0); and whether it counts steps.
RESUMABLE = [
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.2), (), False),
    (Momentum, dict(lr=0.1, nesterov=True), (), False),
    (AdaGrad, dict(lr_decay=0.01), ("sum",), True),
    (RMSProp, dict(), ("square_avg",), True),
    (RMSProp, dict(momentum=0.5, centered=True), ("square_avg",), True),
    (AdaDelta, dict(), ("square_avg", "acc_delta"), True),
    (Adam, dict(), ("exp_avg_sq",), True),
    (Adam, dict(amsgrad=True), ("exp_avg_sq", "max_exp_avg_sq"), True),
    (AdamW, dict(), ("exp_avg_sq",), True),
    (AdamW, dict(amsgrad=True), ("exp_avg_sq", "max_exp_avg_sq"), True),
]


def _resumable_id(cls, hyper):
    options = ",".join(f"{k}={v}" for k, v in hyper.items() if k != "lr")
    return f"{cls.__name__}({options})"


def _two_steps(cls, hyper, lr=None):
    """An optimizer over two parameters after two steps (the second parameter's gradients
    are larger, so every entry of the state differs between them)."""
    params = [Value(0.5), Value(-1.0)]
    opt = cls(params, **(hyper if lr is None else {**hyper, "lr": lr}))
    for grads in ([0.5, -1.0], [-0.25, 2.0]):
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        opt.step()
    return opt, params


def _hostile_dicts():
    """(case, change to a two-step state_dict, the message that refuses it), for every case."""

    def setting(entries):
        def change(saved):
            for param, key, value in entries:
                saved["state"][param][key] = value

        return change

    def dropping(param):
        return lambda saved: saved["state"].pop(param)

    def emptying(param):
        return lambda saved: saved["state"].__setitem__(param, {})

    for cls, hyper, squares, counts in RESUMABLE:
        case = _resumable_id(cls, hyper)
        for key in squares:
            for bad in (-0.25, -5e-324):  # any amount below zero, however small
                message = (
                    rf"^{key} of parameter 1 must be >= 0, got {bad:g}: it is .*, "
                    "and the next step takes its square root$"
                )
                yield cls, hyper, f"{case}-{key}={bad}", setting([(1, key, bad)]), message
        if counts:
            for bad, label, shown in (
                (10**400, "10**400", r"about 10\*\*400"),
                (2**53 + 1, "2**53+1", "9007199254740993"),
            ):
                message = (
                    r"^the step count of parameter 0 must be a whole number from 0 to "
                    rf"2\*\*53 = 9007199254740992, got {shown}: no run takes that many steps$"
                )
                both = setting([(0, "step", bad), (1, "step", bad)])
                yield cls, hyper, f"{case}-step={label}", both, message
            message = (
                "^the step count of parameter 1 is 3 but that of parameter 0 is 2: "
                "every parameter must be at the same step"
            )
            yield cls, hyper, f"{case}-steps differ", setting([(1, "step", 3)]), message
        for missing, present, how, change in (
            (1, 0, "no state", dropping(1)),
            (0, 1, "no state", dropping(0)),
            (1, 0, "an empty state", emptying(1)),
        ):
            message = (
                f"^the state_dict has state for parameter {present} but none for parameter "
                rf"{missing}: every parameter needs its state, or none does .* 'state': {{}}$"
            )
            yield cls, hyper, f"{case}-{how} for {missing}", change, message


HOSTILE_DICTS = list(_hostile_dicts())


@pytest.mark.parametrize(
    "cls, hyper, change, message",
    [(cls, hyper, change, message) for cls, hyper, _, change, message in HOSTILE_DICTS],
    ids=[case for _, _, case, _, _ in HOSTILE_DICTS],
)
def test_a_state_dict_that_a_step_could_not_resume_from_is_refused_at_load_changing_nothing(
    cls, hyper, change, message
):
    # Accepted before, these failed at the next step ("math domain error", OverflowError) or
    # in fit(compile=True) ("packed() needs every parameter's state to hold the same entries").
    import json

    saved = _two_steps(cls, hyper)[0].state_dict()
    change(saved)
    saved = json.loads(json.dumps(saved))  # as a resumed run reads it

    target, params = _two_steps(cls, hyper, lr=0.3)  # other hyperparameters and state
    before = (repr(target), target.state_dict(), [p.data for p in params])
    with pytest.raises(ValueError, match=message):
        target.load_state_dict(saved)
    assert (repr(target), target.state_dict(), [p.data for p in params]) == before
    target.step()  # and it still steps from the state it kept
    if _has_numpy():
        target.packed().step()


def _has_numpy():
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("step", [0, 2**53], ids=["step 0", "step 2**53"])
@pytest.mark.parametrize(
    "cls, hyper, squares, counts", RESUMABLE, ids=[_resumable_id(c, h) for c, h, *_ in RESUMABLE]
)
def test_a_state_dict_at_the_edges_of_what_loads_resumes_eagerly_and_packed_alike(
    cls, hyper, squares, counts, step
):
    # The other side of the refusals above: what loads, both paths step from, to equal numbers.
    pytest.importorskip("numpy")
    saved = _two_steps(cls, hyper)[0].state_dict()
    for i, state in saved["state"].items():
        for key in squares:
            state[key] = (0.0, -0.0)[i]  # the least a sum of squares can be
        if counts:
            state["step"] = step
    if "grad_avg" in saved["state"][0]:
        saved["state"][0]["grad_avg"] = 2.0  # ḡ² above the square average: the rule clamps
    if "max_exp_avg_sq" in saved["state"][0]:
        saved["state"][0]["exp_avg_sq"] = 0.5  # above its running maximum: the rule takes max
    grads = [0.0, 0.25]  # a zero gradient on a zero second moment: eps keeps the step finite

    results = []
    for packed in (False, True):
        params = [Value(0.5), Value(-1.0)]
        opt = cls(params, **hyper)
        opt.load_state_dict(saved)
        for _ in range(2):
            if packed:
                run = opt.packed()
                run.step(grads)
                run.write_back()
            else:
                for p, g in zip(params, grads, strict=True):
                    p.grad = g
                opt.step()
        results.append(([p.data for p in params], opt.state_dict()))
    assert results[0] == results[1]  # exactly
    assert all(math.isfinite(x) for x in results[0][0])


@pytest.mark.parametrize(
    "ids, message",
    [
        ([0, 0], r"'params' lists parameter 0 twice"),
        ([0, "1"], r"'params' holds '1': parameter ids are whole numbers >= 0"),
        ([True, 1], r"'params' holds True: parameter ids are whole numbers >= 0"),
        ([[0], 1], r"'params' holds \[0\]: parameter ids are whole numbers >= 0"),
        ([-1, 0], r"'params' holds -1: parameter ids are whole numbers >= 0"),
    ],
)
def test_the_parameter_ids_of_a_state_dict_are_distinct_whole_numbers(ids, message):
    # [0, 0] gave parameter 1 the state saved for parameter 0 and parameter 0 none;
    # [[0], 1] raised a bare "unhashable type: 'list'".
    target, _ = _two_steps(Adam, {}, lr=0.3)
    saved = _two_steps(Adam, {})[0].state_dict()
    saved["param_groups"][0]["params"] = ids
    _load_refused(target, saved, ValueError, message)


def test_parameter_groups_are_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="parameter groups"):
        SGD([{"params": [Value(0.0)]}], lr=0.1)


def test_schedulers_and_trajectory_live_in_their_modules_and_are_still_importable_here():
    import nn.landscape
    import nn.lr_scheduler
    import nn.optim

    assert nn.optim.StepLR is nn.lr_scheduler.StepLR
    assert nn.optim.ExponentialLR is nn.lr_scheduler.ExponentialLR
    assert nn.optim.trajectory is nn.landscape.trajectory


def test_scheduler_state_dict_resumes_the_schedule():
    import json

    from nn.lr_scheduler import StepLR as Step

    def run(epochs, resume_at=None):
        opt = SGD([Value(0.0)], lr=1.0)
        schedule = Step(opt, step_size=3, gamma=0.5)
        rates = []
        for epoch in range(epochs):
            if epoch == resume_at:
                saved = json.loads(json.dumps([opt.state_dict(), schedule.state_dict()]))
                opt = SGD([Value(0.0)], lr=1.0)
                opt.load_state_dict(saved[0])
                schedule = Step(opt, step_size=3, gamma=0.5)
                schedule.load_state_dict(saved[1])
            rates.append(schedule.get_last_lr()[0])
            schedule.step()
        return rates

    assert run(10, resume_at=4) == run(10) == [1.0] * 3 + [0.5] * 3 + [0.25] * 3 + [0.125]
    with pytest.raises(ValueError, match="last_epoch must be a whole number >= 0"):
        Step(SGD([Value(0.0)], lr=1.0), step_size=1).load_state_dict({"last_epoch": -2})


# -- one rule for a float and for an array: opt.packed() ----------------------------------

# Every optimizer, and every option that changes its rule or its state.
PACKED_CASES = [
    (SGD, dict(lr=0.05)),
    (SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, dict(lr=0.05, momentum=0.9, dampening=0.25)),
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (SGD, dict(lr=0.05, weight_decay=0.1)),
    (SGD, dict(lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.1)),
    (Momentum, dict(lr=0.05)),
    (AdaGrad, dict(lr=0.1)),
    (AdaGrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
    (RMSProp, dict(lr=0.01)),
    (RMSProp, dict(lr=0.01, momentum=0.5)),
    (RMSProp, dict(lr=0.01, centered=True)),
    (RMSProp, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    (AdaDelta, dict()),
    (AdaDelta, dict(rho=0.8, weight_decay=0.1)),
    (Adam, dict(lr=0.05)),
    (Adam, dict(lr=0.05, amsgrad=True)),
    (Adam, dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.9))),
    (AdamW, dict(lr=0.05)),
    (AdamW, dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
]
N_PACKED = 23  # parameters: enough that every sign and size of gradient occurs


def _gradient_constants():
    import random

    rng = random.Random(5)
    start = [rng.uniform(-2, 2) for _ in range(N_PACKED)]
    c = [rng.uniform(-1, 1) for _ in range(N_PACKED)]
    d = [0.0 if i % 7 == 0 else rng.uniform(-1, 1) for i in range(N_PACKED)]
    return start, c, d


def _eager_steps(opt, params, steps, c, d):
    # g = θ(θ - c) + d: a gradient that depends on where the parameters are, computed
    # with the same float operations here and on the packed array below.
    for _ in range(steps):
        for p, ci, di in zip(params, c, d, strict=True):
            p.grad = p.data * (p.data - ci) + di
        opt.step()


def _packed_steps(run, steps, c, d):
    c, d = run.xp.asarray(c, dtype=run.xp.float64), run.xp.asarray(d, dtype=run.xp.float64)
    for _ in range(steps):
        run.step(run.data * (run.data - c) + d)


# numpy is in the dev extra; array-api-strict (the Array API and nothing more) where installed.
NAMESPACES = ["numpy", "array_api_strict"]


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("cls, hyper", PACKED_CASES, ids=_case_id)
def test_packed_steps_on_an_array_equal_eager_steps_bit_for_bit_state_included(
    cls, hyper, namespace
):
    assert_packed_equals_eager(cls, hyper, pytest.importorskip(namespace))


def assert_packed_equals_eager(cls, hyper, xp):
    """9 steps of the rule on an array of 23 parameters equal 9 eager steps, state included."""
    start, c, d = _gradient_constants()
    eager_params = [Value(x) for x in start]
    eager = cls(eager_params, **hyper)
    _eager_steps(eager, eager_params, 9, c, d)

    packed_params = [Value(x) for x in start]
    opt = cls(packed_params, **hyper)
    run = opt.packed(xp)
    _packed_steps(run, 9, c, d)
    assert [p.data for p in packed_params] == start, "packed steps wrote the Values early"
    run.write_back()

    assert [p.data for p in packed_params] == [p.data for p in eager_params]  # exactly
    assert opt.state_dict() == eager.state_dict()
    floats = [x for s in opt.state.values() for k, x in s.items() if k != "step"]
    assert all(type(x) is float for x in floats), "write_back left numpy scalars in the state"


@pytest.mark.parametrize("cls, hyper", PACKED_CASES, ids=_case_id)
def test_a_packed_run_continues_an_eager_one_and_eager_continues_it(cls, hyper):
    pytest.importorskip("numpy")
    start, c, d = _gradient_constants()
    straight_params = [Value(x) for x in start]
    straight = cls(straight_params, **hyper)
    _eager_steps(straight, straight_params, 3, c, d)
    straight.lr = straight.lr / 2  # a scheduler's change, read by the next steps
    _eager_steps(straight, straight_params, 6, c, d)

    params = [Value(x) for x in start]
    opt = cls(params, **hyper)
    _eager_steps(opt, params, 2, c, d)
    run = opt.packed()  # packs the state the eager steps made
    _packed_steps(run, 1, c, d)
    opt.lr = opt.lr / 2
    _packed_steps(run, 2, c, d)
    run.write_back()
    run.write_back()  # writing back twice changes nothing
    _eager_steps(opt, params, 4, c, d)

    assert [p.data for p in params] == [p.data for p in straight_params]
    assert opt.state_dict() == straight.state_dict()


def test_packed_step_reads_the_values_gradients_by_default():
    pytest.importorskip("numpy")
    w, b = Value(1.0), Value(-2.0)
    opt = SGD([w, b], lr=0.5)
    w.grad, b.grad = 0.5, -1.0
    run = opt.packed()
    run.step()
    run.write_back()
    assert (w.data, b.data) == (0.75, -1.5)


def test_packed_refuses_a_wrong_gradient_and_mixed_states():
    pytest.importorskip("numpy")
    params = [Value(1.0), Value(2.0)]
    opt = Adam(params)
    with pytest.raises(ValueError, match=r"grad must have shape \(2,\).*got \(3,\)"):
        opt.packed().step([1.0, 2.0, 3.0])
    params[0].grad = 1.0
    opt.step()
    # load_state_dict refuses such states (see the hostile dicts above); edited in place,
    # packed() still says what is wrong.
    opt.state[params[1]] = {}  # parameter 1 has not stepped: the two are at different steps
    with pytest.raises(ValueError, match="same entries"):
        opt.packed()
    opt.step()  # eager steps are fine: each parameter has its own step count
    opt.state[params[1]]["step"] = 5
    with pytest.raises(ValueError, match="same point, but their 'step' differ"):
        opt.packed()


@pytest.mark.parametrize("cls, hyper", PACKED_CASES, ids=_case_id)
def test_a_rule_reads_its_hyperparameters_by_name_not_by_position(cls, hyper):
    # As torch's optimizers read group["momentum"]: the order a group lists its
    # hyperparameters in, or an entry the rule does not know, cannot change a step.
    opt = cls([Value(0.5)], **hyper)
    (group,) = opt.param_groups
    reordered = {"unknown": 0.5, **dict(reversed(list(group.items())))}
    paths = []
    for g in (group, reordered):
        theta, state = 0.5, dict(opt._initial_state(group))
        update = cls.rule(g, FLOATS)
        path = []
        for grad in (0.3, -1.2, 0.7, 0.0, 2.5):
            theta = update(theta, grad, state)
            path.append((theta, dict(state)))
        paths.append(path)
    assert paths[0] == paths[1]
    assert paths[0][-1][0] != 0.5, "the rule moved nothing: the test would prove nothing"


# Every function FLOATS adds to math's, for a rule to call on a float as on an array.
ADDED_TO_MATH = sorted(set(vars(FLOATS)) - set(vars(math)))
SPECIAL = [1.0, 2.0, -3.0, 0.0, -0.0, math.nan, math.inf, -math.inf, 1e-300]


def test_floats_is_maths_functions_and_the_array_functions_math_lacks():
    assert FLOATS.sqrt is math.sqrt and FLOATS.exp is math.exp and FLOATS.log is math.log
    assert ADDED_TO_MATH == ["maximum", "minimum", "sign"]


@pytest.mark.parametrize("name", ADDED_TO_MATH)
def test_what_floats_adds_to_math_is_numpys_even_for_nan_and_signed_zeros(name):
    np = pytest.importorskip("numpy")
    ours, numpys = getattr(FLOATS, name), getattr(np, name)
    arity = 1 if name == "sign" else 2
    for args in itertools.product(SPECIAL, repeat=arity):
        got, expected = ours(*args), float(numpys(*args))
        assert type(got) is float, (name, args)
        assert repr(got) == repr(expected), (name, args)  # tells -0.0 from 0.0, keeps nan
        assert math.copysign(1.0, got) == math.copysign(1.0, expected), (name, args)


def test_amsgrad_keeps_a_nan_gradient_in_its_maximum_as_torch_maximum_does():
    w = Value(1.0)
    opt = Adam([w], amsgrad=True)
    w.grad = math.nan
    opt.step()
    # max(0.0, nan) is 0.0 in Python: the NaN would vanish from the running maximum.
    assert math.isnan(opt.state[w]["max_exp_avg_sq"])
    assert math.isnan(w.data)


@pytest.mark.parametrize("cls", [AdaGrad, RMSProp, AdaDelta, Adam, AdamW])
def test_eps_zero_and_a_zero_gradient_is_a_clear_error_eagerly_and_nan_packed_as_in_torch(cls):
    # eps=0 is accepted, as torch accepts it. A parameter whose gradient has been 0 then
    # divides 0 by 0: torch and numpy give NaN, a float raises. The eager step says why.
    moving, still = Value(2.0), Value(1.0, label="w")
    opt = cls([moving, still], lr=0.1, eps=0.0)
    moving.grad, still.grad = 1.0, 0.0
    with pytest.raises(
        ZeroDivisionError, match=r"step divided by zero at parameter 1 \('w'\): with eps=0"
    ):
        opt.step()
    np = pytest.importorskip("numpy")
    opt = cls([Value(2.0), Value(1.0)], lr=0.1, eps=0.0)
    packed = opt.packed(np)
    with np.errstate(invalid="ignore"):
        packed.step([1.0, 0.0])
    assert math.isfinite(packed.data[0]) and math.isnan(packed.data[1])


def test_a_division_by_zero_in_a_rule_of_ones_own_names_the_parameter():
    class Normalised(Optimizer):  # θ ← θ - γ g / |g|: divides by 0 at a zero gradient
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @staticmethod
        def rule(group, xp):
            return lambda theta, g, state: theta - group["lr"] * g / abs(g)

    w = Value(1.0)
    opt = Normalised([Value(3.0), w])
    opt.params[0].grad, w.grad = -2.0, 0.0
    with pytest.raises(
        ZeroDivisionError,
        match=r"Normalised.step divided by zero at parameter 1 \(its gradient is 0.0\)",
    ):
        opt.step()


def test_packed_without_numpy_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "numpy", None)  # makes `import numpy` fail
    with pytest.raises(ModuleNotFoundError, match=r"needs numpy \(pip install numpy\)"):
        SGD([Value(1.0)], lr=0.1).packed()


def test_import_nn_optim_does_not_import_numpy():
    import subprocess
    import sys

    code = "import nn.optim, sys; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_optimizer_step_benchmark_runs_and_new_equals_old_bit_for_bit():
    # benchmarks/optim_step.py steps nn.optim as of 957ea34 beside today's on the same
    # parameters and reports the largest gap; the rules must still compute the same numbers.
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if subprocess.run(["git", "-C", root, "cat-file", "-e", "957ea34"]).returncode != 0:
        pytest.skip("needs the git history (commit 957ea34) of a checkout")
    script = os.path.join(root, "benchmarks", "optim_step.py")
    args = [sys.executable, script, "--rounds", "1", "--steps", "2", "--params", "7"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    rows = [line for line in out.splitlines() if line.startswith("| ") and "µs" in line]
    assert len(rows) == 10
    assert all(line.rstrip(" |").endswith("0e+00") for line in rows), out


# -- one list of optimizers: fit, the command line and these tests read OPTIMIZERS ----------


def test_every_registered_optimizer_has_its_cases_in_every_table_here():
    # A new optimizer registered in nn/optim.py fails here until its cases are written.
    registered = set(OPTIMIZERS.values())
    assert set(TORCH_SIGNATURES) == registered
    assert {cls for cls, *_ in STATE_KEYS} == registered
    assert {cls for cls, _ in RESUME_CASES} == registered
    assert {cls for cls, _ in PACKED_CASES} == registered
    assert list(OPTIMIZERS) == ["sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam",
                                "adamw"]  # fmt: skip


def assert_trains_from_the_command_line(name, tmp_path, monkeypatch, capsys):
    """python -m nn train --optimizer name: a few epochs on moons, its demo lr, the loss falls."""
    pytest.importorskip("matplotlib")
    import nn.__main__ as cli

    histories, fit = [], cli.fit
    monkeypatch.setattr(cli, "fit", lambda *a, **k: histories.append(fit(*a, **k)) or histories[-1])
    out_dir = tmp_path / name
    # The demo's network, half as wide: drawing the decision boundary is most of the time.
    code = cli.main(["train", "--optimizer", name, "--epochs", "5", "--hidden", "8,8",
                     "--no-progress", "--out", str(out_dir)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"; {name} lr={OPTIMIZERS[name].demo_lr:g}; " in out
    ((history),) = histories
    assert history.epochs == 5 and history.loss[-1] < history.loss[0], history.loss
    assert sorted(os.listdir(out_dir)) == sorted(cli.RESULTS)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_registered_optimizer_trains_from_the_command_line(
    name, tmp_path, monkeypatch, capsys
):
    assert_trains_from_the_command_line(name, tmp_path, monkeypatch, capsys)


class ToyLion(Optimizer):
    r"""A made-up newcomer, registered only by the test below: ToyLion (Chen et al., 2023).

    ::

        input: γ (lr), β₁, β₂ (betas), λ (weight_decay)
        initialize: m ← 0
        for t = 1, 2, …:
            c ← β₁m + (1 - β₁)g                 # where to step: a blend of m and g
            θ ← θ - γ(sign(c) + λθ)             # a step of the same size for every weight
            m ← β₂m + (1 - β₂)g                 # momentum, updated after the step
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        betas = tuple(number(f"betas[{i}]", b) for i, b in enumerate(betas))
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    def _initial_state(self, group):
        return {"exp_avg": 0.0}

    @staticmethod
    def rule(group, xp):
        lr = group["lr"]  # γ
        beta1, beta2 = group["betas"]  # β₁, β₂
        weight_decay = group["weight_decay"]  # λ

        def update(theta, g, state):
            m = state["exp_avg"]
            c = beta1 * m + (1 - beta1) * g  # where to step
            state["exp_avg"] = beta2 * m + (1 - beta2) * g  # momentum
            return theta - lr * (xp.sign(c) + weight_decay * theta)  # the sign's step

        return update


@pytest.fixture
def toylion():
    """ToyLion, registered as it would be in nn/optim.py; unregistered afterwards."""
    registered = register("toylion", demo_lr=0.01)(ToyLion)
    yield registered
    del OPTIMIZERS["toylion"]


def test_one_registration_makes_an_optimizer_exist_everywhere(
    toylion, tmp_path, monkeypatch, capsys
):
    from nn import MLP, fit
    from nn.__main__ import main

    with pytest.raises(SystemExit) as done:
        main(["train", "--help"])
    usage = capsys.readouterr().out
    assert done.value.code == 0
    assert "adamw,toylion}" in usage and "toylion 0.01" in " ".join(usage.split())
    assert_trains_from_the_command_line("toylion", tmp_path, monkeypatch, capsys)

    model = MLP(2, [3, 1], seed=0)
    history = fit(model, [[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0], optimizer="toylion", lr=0.01,
                  epochs=3, progress=False)  # fmt: skip
    assert history.epochs == 3
    hyper = dict(lr=0.02, betas=(0.8, 0.95), weight_decay=0.1)
    assert_resumes_bit_for_bit(toylion, hyper)
    assert_packed_equals_eager(toylion, hyper, pytest.importorskip("numpy"))


def test_register_refuses_what_would_half_exist():
    with pytest.raises(ValueError, match="lower-case word"):
        register("ToyLion", demo_lr=0.01)
    with pytest.raises(ValueError, match="demo_lr must be > 0, got 0"):
        register("toylion", demo_lr=0)
    with pytest.raises(ValueError, match="the name 'adam' is taken by Adam"):
        register("adam", demo_lr=0.01)(ToyLion)
    with pytest.raises(TypeError, match="has no update rule"):
        register("bare", demo_lr=0.01)(type("Bare", (Optimizer,), {}))
    with pytest.raises(TypeError, match="takes an Optimizer class"):
        register("fn", demo_lr=0.01)(lambda params: None)
    assert "toylion" not in OPTIMIZERS and "bare" not in OPTIMIZERS
