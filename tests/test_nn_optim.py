"""Each optimizer against its published torch.optim algorithm, recomputed by hand step by step.

Every test drives an optimizer with a fixed sequence of gradients (set on
``.grad`` directly, so the loss plays no part) and compares each parameter
after each step with the rule from PyTorch's documentation, written out
again here in plain Python. Both sides do the same float operations up to
reordering, so they agree to a few ulps; 1e-12 leaves room for that and
nothing else.
"""

import inspect
import math

import pytest

from engine import Value
from nn.optim import (
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
    (SGD, dict(lr=10**400), "lr must be a finite number, got inf"),
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


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_descends_a_bowl_and_zero_grad_clears(name):
    w = Value(2.0)
    lr = {"sgd": 0.1, "momentum": 0.05}.get(name, 0.1 if name != "adadelta" else 1.0)
    opt = OPTIMIZERS[name]([w], lr=lr)
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
