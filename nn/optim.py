"""Optimizers: how to turn gradients into a step, exactly as ``torch.optim`` does.

Gradient descent (경사하강법) moves each weight against its slope,
``w ← w - lr · ∂L/∂w``. A fixed learning rate (학습률) can crawl, overshoot,
or stall in a local minimum (지역 최솟값); the optimizers below adapt the step
as training goes. Each implements one update rule, written out in its
docstring in the notation of PyTorch's documentation, with the same keyword
names, defaults and arithmetic, so the same hyperparameters give the same
trajectory as ``torch.optim``.

The usual loop::

    opt = Adam(model.parameters(), lr=0.01)
    for epoch in range(100):
        opt.zero_grad()           # leaves accumulate gradients: clear them first
        loss = ...                # forward
        loss.backward()           # gradients into every p.grad
        opt.step()                # update every p.data

>>> from engine import Value
>>> w = Value(3.0, label="w")
>>> opt = SGD([w], lr=0.1)
>>> for _ in range(50):
...     opt.zero_grad(); (w * w).backward(); opt.step()
>>> abs(w.data) < 1e-4                        # w² is smallest at 0
True

Each optimizer writes its update rule once, as ``rule(group, xp)``: it reads
its hyperparameters from the group by name, as torch's optimizers do, and
returns ``update(θ, g, state)``, arithmetic that works on one float and on a
whole array alike. ``opt.step()`` runs it on every parameter's float;
``opt.packed()`` runs it on one array holding all of them (a training loop's
fast path), and its ``write_back()`` leaves the same numbers as as many
``step()`` calls. The base class, ``Optimizer``, lives in ``nn.optimizer``;
``@register`` there makes each optimizer known to ``fit`` and ``python -m nn``
by name (``OPTIMIZERS``).

Learning-rate schedules live in ``nn.lr_scheduler`` and the path an optimizer
takes in ``nn.landscape``; both are importable from here too, so that
``from nn.optim import StepLR`` keeps working.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine import Value
from engine.utils.arguments import at_least, flag, in_range, number

from .landscape import trajectory
from .lr_scheduler import ExponentialLR, StepLR
from .optimizer import (
    FLOATS,  # noqa: F401 - importable from here, as before
    OPTIMIZERS,
    Optimizer,
    Packed,
    Tensor,
    Update,
    register,
)

__all__ = [
    "Optimizer",
    "Packed",
    "SGD",
    "Momentum",
    "AdaGrad",
    "RMSProp",
    "AdaDelta",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "register",
    # importable from here as before; they live in nn.lr_scheduler and nn.landscape
    "StepLR",
    "ExponentialLR",
    "trajectory",
]


@register("sgd", demo_lr=0.3)
class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (torch.optim.SGD).

    ::

        input: γ (lr), θ (params), λ (weight_decay), μ (momentum), τ (dampening), nesterov
        for t = 1, 2, …:
            g ← ∇θ f(θ)                        # the gradient, p.grad
            if λ ≠ 0:  g ← g + λθ              # L2 penalty folded into the gradient
            if μ ≠ 0:
                if t > 1:  b ← μb + (1 - τ)g   # velocity: a running sum of gradients
                else:      b ← g               # first step: the buffer starts as g
                if nesterov:  g ← g + μb       # look ahead along the velocity
                else:         g ← b
            θ ← θ - γg                         # step downhill

    State per parameter: ``momentum_buffer`` (b; None until the first step).

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> opt = SGD([w], lr=0.1, momentum=0.9); opt.step(); w.data     # 1 - 0.1·2
    0.8
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=at_least("lr", lr),
            momentum=at_least("momentum", momentum),
            dampening=number("dampening", dampening),
            weight_decay=at_least("weight_decay", weight_decay),
            nesterov=flag("nesterov", nesterov),
        )
        if nesterov and (defaults["momentum"] <= 0 or defaults["dampening"] != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0 (as in PyTorch)")
        super().__init__(params, defaults)

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    @staticmethod
    def rule(group: Mapping[str, Any], xp: Any) -> Update:
        lr = group["lr"]  # γ
        momentum = group["momentum"]  # μ
        dampening = group["dampening"]  # τ
        weight_decay = group["weight_decay"]  # λ
        nesterov = group["nesterov"]

        def update(theta: Tensor, g: Tensor, state: dict) -> Tensor:
            if weight_decay != 0:
                g = g + weight_decay * theta  # L2 penalty folded into the gradient
            if momentum != 0:
                b = state["momentum_buffer"]
                if b is None:
                    b = g  # first step: the buffer is the gradient, not dampened
                else:
                    b = momentum * b + (1 - dampening) * g  # velocity
                state["momentum_buffer"] = b
                g = g + momentum * b if nesterov else b  # nesterov looks ahead along b
            return theta - lr * g  # step downhill

        return update


def _with_defaults(init: Callable[..., None], **defaults: Any) -> Callable[..., None]:
    """``init`` with other defaults for some arguments, its signature otherwise unchanged.

    For an optimizer that is another with other defaults (``Momentum`` is SGD
    with momentum=0.9): its signature still lists, in torch's order, every
    argument, and is written once, in the optimizer it is made from.
    """
    signature = inspect.signature(init)
    assert set(defaults) <= set(signature.parameters), "only existing arguments get new defaults"
    changed = signature.replace(
        parameters=[
            p.replace(default=defaults[p.name]) if p.name in defaults else p
            for p in signature.parameters.values()
        ]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = changed.bind(self, *args, **kwargs)
        bound.apply_defaults()
        init(*bound.args, **bound.kwargs)

    __init__.__signature__ = changed  # type: ignore[attr-defined]
    return __init__


@register("momentum", demo_lr=0.05)
class Momentum(SGD):
    """SGD with momentum 0.9: ``SGD(params, lr, momentum=0.9, …)``; the rule is SGD's.

    A heavy ball rolling downhill: the velocity keeps it moving through flat
    stretches and small bumps where plain gradient descent would stall.

    >>> from engine import Value
    >>> Momentum([Value(0.0)], lr=0.01).momentum
    0.9
    """

    __init__ = _with_defaults(SGD.__init__, momentum=0.9)


@register("adagrad", demo_lr=0.1)
class AdaGrad(Optimizer):
    r"""Adagrad (torch.optim.Adagrad): each weight's step shrinks with its gradient history.

    ::

        input: γ (lr), θ (params), λ (weight_decay), τ (initial_accumulator_value),
               η (lr_decay), ε (eps)
        initialize: s ← τ                       # sum of squared gradients
        for t = 1, 2, …:
            g ← ∇θ f(θ)                         # the gradient
            γ̃ ← γ / (1 + (t - 1)η)              # decayed learning rate
            if λ ≠ 0:  g ← g + λθ               # L2 penalty
            s ← s + g²                          # accumulate squared gradients
            θ ← θ - γ̃ g / (√s + ε)              # big past gradients, small steps

    State per parameter: ``step`` (t), ``sum`` (s).

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> AdaGrad([w], lr=0.1).step(); round(w.data, 9)    # 1 - 0.1·2/(√4 + 1e-10)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=at_least("lr", lr),
            lr_decay=at_least("lr_decay", lr_decay),
            weight_decay=at_least("weight_decay", weight_decay),
            initial_accumulator_value=at_least(
                "initial_accumulator_value", initial_accumulator_value
            ),
            eps=at_least("eps", eps),
        )
        super().__init__(params, defaults)

    _non_negative = {"sum": "a sum of squared gradients"}

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": group["initial_accumulator_value"]}

    @staticmethod
    def rule(group: Mapping[str, Any], xp: Any) -> Update:
        lr = group["lr"]  # γ
        lr_decay = group["lr_decay"]  # η
        weight_decay = group["weight_decay"]  # λ
        eps = group["eps"]  # ε (τ, initial_accumulator_value, is the state's start)

        def update(theta: Tensor, g: Tensor, state: dict) -> Tensor:
            t = state["step"] = state["step"] + 1
            clr = lr / (1 + (t - 1) * lr_decay)  # decayed learning rate
            if weight_decay != 0:
                g = g + weight_decay * theta  # L2 penalty
            s = state["sum"] = state["sum"] + g * g  # sum of squared gradients
            return theta - clr * (g / (xp.sqrt(s) + eps))  # big history, small step

        return update


@register("rmsprop", demo_lr=0.01)
class RMSProp(Optimizer):
    r"""RMSprop (torch.optim.RMSprop): divide by a running RMS of recent gradients.

    ::

        input: α (alpha), γ (lr), θ (params), λ (weight_decay), μ (momentum), ε (eps), centered
        initialize: v ← 0 (square average), b ← 0 (buffer), ḡ ← 0 (gradient average)
        for t = 1, 2, …:
            g ← ∇θ f(θ)                         # the gradient
            if λ ≠ 0:  g ← g + λθ               # L2 penalty
            v ← αv + (1 - α)g²                  # running mean of g²
            ṽ ← v
            if centered:
                ḡ ← αḡ + (1 - α)g               # running mean of g
                ṽ ← ṽ - ḡ²                      # variance instead of raw second moment
            if μ > 0:
                b ← μb + g / (√ṽ + ε)           # momentum on the normalised step
                θ ← θ - γb
            else:
                θ ← θ - γ g / (√ṽ + ε)          # normalised step

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, with
    momentum), ``grad_avg`` (ḡ, when centered).

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> RMSProp([w], lr=0.01).step(); round(w.data, 6)   # 1 - 0.01·2/√(0.01·4)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=at_least("lr", lr),
            alpha=in_range("alpha", alpha, 0.0, 1.0, high_open=False),
            eps=at_least("eps", eps),
            weight_decay=at_least("weight_decay", weight_decay),
            momentum=at_least("momentum", momentum),
            centered=flag("centered", centered),
        )
        super().__init__(params, defaults)

    _non_negative = {"square_avg": "a running mean of g²"}

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": 0.0}
        if group["momentum"] > 0:
            state["momentum_buffer"] = 0.0
        if group["centered"]:
            state["grad_avg"] = 0.0
        return state

    @staticmethod
    def rule(group: Mapping[str, Any], xp: Any) -> Update:
        lr = group["lr"]  # γ
        alpha = group["alpha"]  # α
        eps = group["eps"]  # ε
        weight_decay = group["weight_decay"]  # λ
        momentum = group["momentum"]  # μ
        centered = group["centered"]

        def update(theta: Tensor, g: Tensor, state: dict) -> Tensor:
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * theta  # L2 penalty
            v = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g  # mean g²
            if centered:
                g_avg = state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g  # mean g
                # v - ḡ² >= 0 in exact arithmetic; the maximum guards a rounding error below 0.
                v = xp.maximum(v - g_avg * g_avg, 0.0)
            denom = xp.sqrt(v) + eps  # the running RMS
            if momentum > 0:
                b = state["momentum_buffer"] = momentum * state["momentum_buffer"] + g / denom
                return theta - lr * b  # momentum on the normalised step
            return theta - lr * (g / denom)  # the normalised step

        return update


@register("adadelta", demo_lr=1.0)
class AdaDelta(Optimizer):
    r"""Adadelta (torch.optim.Adadelta): steps sized by past steps, so units match.

    ::

        input: γ (lr), θ (params), ρ (rho), λ (weight_decay), ε (eps)
        initialize: v ← 0 (square average), u ← 0 (accumulated squared updates)
        for t = 1, 2, …:
            g ← ∇θ f(θ)                         # the gradient
            if λ ≠ 0:  g ← g + λθ               # L2 penalty
            v ← ρv + (1 - ρ)g²                  # running mean of g²
            Δx ← √(u + ε) / √(v + ε) · g        # step: RMS of past steps over RMS of g
            u ← ρu + (1 - ρ)Δx²                 # running mean of squared steps
            θ ← θ - γΔx

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> AdaDelta([w]).step(); round(w.data, 6)    # 1 - √1e-6/√(0.1·4 + 1e-6)·2
    0.996838
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
    ) -> None:
        defaults = dict(
            lr=at_least("lr", lr),
            rho=in_range("rho", rho, 0.0, 1.0, high_open=False),
            eps=at_least("eps", eps),
            weight_decay=at_least("weight_decay", weight_decay),
        )
        super().__init__(params, defaults)

    _non_negative = {
        "square_avg": "a running mean of g²",
        "acc_delta": "a running mean of squared steps",
    }

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        return {"step": 0, "square_avg": 0.0, "acc_delta": 0.0}

    @staticmethod
    def rule(group: Mapping[str, Any], xp: Any) -> Update:
        lr = group["lr"]  # γ
        rho = group["rho"]  # ρ
        eps = group["eps"]  # ε
        weight_decay = group["weight_decay"]  # λ

        def update(theta: Tensor, g: Tensor, state: dict) -> Tensor:
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * theta  # L2 penalty
            v = state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g  # mean g²
            u = state["acc_delta"]
            delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g  # RMS of steps / RMS of g
            state["acc_delta"] = rho * u + (1 - rho) * delta * delta  # running mean of Δx²
            return theta - lr * delta  # step

        return update


# With 45 mini-batch steps an epoch on the digits, Adam's demo rate of 0.05 jumps about
# and tests worse than 0.01.
@register("adam", demo_lr=0.05, digits_lr=0.01)
class Adam(Optimizer):
    r"""Adam (torch.optim.Adam): momentum plus RMSprop, with bias correction.

    ::

        input: γ (lr), β₁, β₂ (betas), θ (params), λ (weight_decay), ε (eps), amsgrad
        initialize: m ← 0 (first moment), v ← 0 (second moment), v_max ← 0
        for t = 1, 2, …:
            g ← ∇θ f(θ)                         # the gradient
            if λ ≠ 0:  g ← g + λθ               # L2 penalty (AdamW decays θ instead)
            m ← β₁m + (1 - β₁)g                 # first moment: running mean of g
            v ← β₂v + (1 - β₂)g²                # second moment: running mean of g²
            m̂ ← m / (1 - β₁ᵗ)                   # bias correction (m, v start at 0)
            if amsgrad:
                v_max ← max(v_max, v)           # never let the denominator shrink
                v̂ ← v_max / (1 - β₂ᵗ)
            else:
                v̂ ← v / (1 - β₂ᵗ)
            θ ← θ - γ m̂ / (√v̂ + ε)              # eps outside the square root

    With amsgrad the maximum is taken over the raw v and bias-corrected
    afterwards, as PyTorch's code does (its older docs wrote the max over v̂).

    State per parameter: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v),
    ``max_exp_avg_sq`` (v_max, with amsgrad).

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> Adam([w], lr=0.1).step(); round(w.data, 9)   # first step moves by lr·sign(g)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        defaults = dict(
            lr=at_least("lr", lr),
            betas=_betas(betas),
            eps=at_least("eps", eps),
            weight_decay=at_least("weight_decay", weight_decay),
            amsgrad=flag("amsgrad", amsgrad),
        )
        super().__init__(params, defaults)

    _non_negative = {
        "exp_avg_sq": "a running mean of g²",
        "max_exp_avg_sq": "the largest exp_avg_sq so far",
    }

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": 0.0, "exp_avg_sq": 0.0}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = 0.0
        return state

    @staticmethod
    def rule(group: Mapping[str, Any], xp: Any) -> Update:
        weight_decay = group["weight_decay"]  # λ
        moments = _adam_moments(group, xp)

        def update(theta: Tensor, g: Tensor, state: dict) -> Tensor:
            if weight_decay != 0:
                g = g + weight_decay * theta  # L2 penalty
            return moments(theta, g, state)  # then the step from the moments

        return update


def _adam_moments(group: Mapping[str, Any], xp: Any) -> Update:
    """Adam's rule from the moments on: what Adam and AdamW share."""
    lr = group["lr"]  # γ
    beta1, beta2 = group["betas"]  # β₁, β₂
    eps = group["eps"]  # ε
    amsgrad = group["amsgrad"]

    def update(theta: Tensor, g: Tensor, state: dict) -> Tensor:
        t = state["step"] = state["step"] + 1
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g  # first moment
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g  # 2nd
        m_hat = m / (1 - beta1**t)  # bias correction: m and v started at 0
        if amsgrad:
            v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)  # never shrinks
        v_hat = v / (1 - beta2**t)
        return theta - lr * m_hat / (xp.sqrt(v_hat) + eps)  # eps outside the root

    return update


@register("adamw", demo_lr=0.05, digits_lr=0.01)
class AdamW(Adam):
    r"""AdamW (torch.optim.AdamW): Adam with decoupled weight decay, default 1e-2.

    ::

        input: γ (lr), β₁, β₂ (betas), θ (params), λ (weight_decay), ε (eps), amsgrad
        initialize: m ← 0, v ← 0, v_max ← 0
        for t = 1, 2, …:
            g ← ∇θ f(θ)                         # the gradient (no penalty added)
            θ ← θ - γλθ                         # decay the weight itself, before the step
            m ← β₁m + (1 - β₁)g                 # first moment
            v ← β₂v + (1 - β₂)g²                # second moment
            m̂ ← m / (1 - β₁ᵗ)                   # bias correction
            if amsgrad:
                v_max ← max(v_max, v)
                v̂ ← v_max / (1 - β₂ᵗ)
            else:
                v̂ ← v / (1 - β₂ᵗ)
            θ ← θ - γ m̂ / (√v̂ + ε)

    State per parameter: as Adam's.

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> AdamW([w], lr=0.1).step(); round(w.data, 9)   # 1·(1 - 0.1·0.01) - 0.1
    0.899
    """

    __init__ = _with_defaults(Adam.__init__, weight_decay=1e-2)

    @staticmethod
    def rule(group: Mapping[str, Any], xp: Any) -> Update:
        lr = group["lr"]  # γ
        weight_decay = group["weight_decay"]  # λ
        moments = _adam_moments(group, xp)

        def update(theta: Tensor, g: Tensor, state: dict) -> Tensor:
            theta = theta * (1 - lr * weight_decay)  # θ ← θ - γλθ: shrink θ, not its gradient
            return moments(theta, g, state)  # then Adam's moments

        return update


def _betas(betas: object) -> tuple[float, float]:
    if isinstance(betas, (str, bytes)) or not isinstance(betas, (tuple, list)):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} values")
    return (
        in_range("betas[0]", betas[0], 0.0, 1.0, high_open=True),
        in_range("betas[1]", betas[1], 0.0, 1.0, high_open=True),
    )
