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
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

from engine import Value

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "AdaGrad",
    "RMSProp",
    "AdaDelta",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "StepLR",
    "ExponentialLR",
    "trajectory",
]


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {number!r}")
    return number


def _at_least(name: str, value: object, low: float = 0.0) -> float:
    value = _number(name, value)
    if not value >= low:
        raise ValueError(f"{name} must be >= {low:g}, got {value:g}")
    return value


def _in_range(name: str, value: object, low: float, high: float, *, high_open: bool) -> float:
    value = _number(name, value)
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:
        interval = f"[{low:g}, {high:g})" if high_open else f"[{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {interval}, got {value:g}")
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


class Optimizer:
    """The base of every optimizer: holds the parameters, validates ``lr``, owns ``zero_grad``.

    Subclasses validate their own hyperparameters in ``__init__`` and
    implement ``step()``, reading ``p.grad`` and assigning ``p.data`` (plain
    floats, so an update never records graph).
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if isinstance(params, Value):
            raise TypeError("params must be a list of Values, e.g. model.parameters() or [w, b]")
        try:
            self.params: list[Value] = list(params)
        except TypeError:
            raise TypeError(
                f"params must be an iterable of Values, got {type(params).__name__}"
            ) from None
        if not self.params:
            raise ValueError("the optimizer got an empty list of parameters")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"every parameter must be a Value, got {type(p).__name__}: {p!r}")
        if len(set(self.params)) != len(self.params):
            raise ValueError("a parameter appears twice in params; it would be updated twice")
        self.lr = _at_least("lr", lr)
        self.t = 0  # steps taken

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad`` (one step of the rule)."""
        raise NotImplementedError

    def _hyperparameters(self) -> dict[str, object]:
        return {"lr": self.lr}

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


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
        super().__init__(params, lr)
        self.momentum = _at_least("momentum", momentum)
        self.dampening = _number("dampening", dampening)
        self.weight_decay = _at_least("weight_decay", weight_decay)
        self.nesterov = _flag("nesterov", nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0 (as in PyTorch)")
        self.b: list[float] = [0.0] * len(self.params)  # momentum buffers

    def step(self) -> None:
        self.t += 1
        lr, mu, tau, wd = self.lr, self.momentum, self.dampening, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0:
                g = g + wd * p.data  # L2 penalty
            if mu != 0:
                if self.t > 1:
                    self.b[i] = mu * self.b[i] + (1 - tau) * g  # velocity
                else:
                    self.b[i] = g  # first step: no dampening, the buffer is the gradient
                g = g + mu * self.b[i] if self.nesterov else self.b[i]
            p.data = p.data - lr * g

    def _hyperparameters(self) -> dict[str, object]:
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "dampening": self.dampening,
            "weight_decay": self.weight_decay,
            "nesterov": self.nesterov,
        }


class Momentum(SGD):
    """SGD with momentum 0.9: ``SGD(params, lr, momentum=0.9, …)``; the rule is SGD's.

    A heavy ball rolling downhill: the velocity keeps it moving through flat
    stretches and small bumps where plain gradient descent would stall.

    >>> from engine import Value
    >>> Momentum([Value(0.0)], lr=0.01).momentum
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.9,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr, momentum, dampening, weight_decay, nesterov)


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
        super().__init__(params, lr)
        self.lr_decay = _at_least("lr_decay", lr_decay)
        self.weight_decay = _at_least("weight_decay", weight_decay)
        self.initial_accumulator_value = _at_least(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.eps = _at_least("eps", eps)
        self.s: list[float] = [self.initial_accumulator_value] * len(self.params)

    def step(self) -> None:
        self.t += 1
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)  # decayed learning rate
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data  # L2 penalty
            self.s[i] = self.s[i] + g * g  # sum of squared gradients
            p.data = p.data - clr * (g / (math.sqrt(self.s[i]) + self.eps))

    def _hyperparameters(self) -> dict[str, object]:
        return {
            "lr": self.lr,
            "lr_decay": self.lr_decay,
            "weight_decay": self.weight_decay,
            "initial_accumulator_value": self.initial_accumulator_value,
            "eps": self.eps,
        }


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
        super().__init__(params, lr)
        self.alpha = _in_range("alpha", alpha, 0.0, 1.0, high_open=False)
        self.eps = _at_least("eps", eps)
        self.weight_decay = _at_least("weight_decay", weight_decay)
        self.momentum = _at_least("momentum", momentum)
        self.centered = _flag("centered", centered)
        n = len(self.params)
        self.v: list[float] = [0.0] * n  # square averages
        self.b: list[float] = [0.0] * n  # momentum buffers
        self.g_avg: list[float] = [0.0] * n  # gradient averages (centered)

    def step(self) -> None:
        self.t += 1
        alpha, eps = self.alpha, self.eps
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data  # L2 penalty
            self.v[i] = alpha * self.v[i] + (1 - alpha) * g * g  # running mean of g²
            v = self.v[i]
            if self.centered:
                self.g_avg[i] = alpha * self.g_avg[i] + (1 - alpha) * g  # running mean of g
                # v - ḡ² >= 0 in exact arithmetic; max() guards a rounding error below zero.
                v = max(v - self.g_avg[i] * self.g_avg[i], 0.0)
            denom = math.sqrt(v) + eps
            if self.momentum > 0:
                self.b[i] = self.momentum * self.b[i] + g / denom
                p.data = p.data - self.lr * self.b[i]
            else:
                p.data = p.data - self.lr * (g / denom)

    def _hyperparameters(self) -> dict[str, object]:
        return {
            "lr": self.lr,
            "alpha": self.alpha,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "momentum": self.momentum,
            "centered": self.centered,
        }


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
        super().__init__(params, lr)
        self.rho = _in_range("rho", rho, 0.0, 1.0, high_open=False)
        self.eps = _at_least("eps", eps)
        self.weight_decay = _at_least("weight_decay", weight_decay)
        n = len(self.params)
        self.v: list[float] = [0.0] * n  # square averages of gradients
        self.u: list[float] = [0.0] * n  # square averages of updates

    def step(self) -> None:
        self.t += 1
        rho, eps = self.rho, self.eps
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data  # L2 penalty
            self.v[i] = rho * self.v[i] + (1 - rho) * g * g  # running mean of g²
            delta = math.sqrt(self.u[i] + eps) / math.sqrt(self.v[i] + eps) * g
            self.u[i] = rho * self.u[i] + (1 - rho) * delta * delta  # running mean of Δx²
            p.data = p.data - self.lr * delta

    def _hyperparameters(self) -> dict[str, object]:
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps, "weight_decay": self.weight_decay}


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

    (With amsgrad the maximum is taken over the raw v and bias-corrected
    afterwards, as PyTorch's code does and its docs say since late 2024.)

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> Adam([w], lr=0.1).step(); round(w.data, 9)   # first step moves by lr·sign(g)
    0.9
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} values")
        self.betas = (
            _in_range("betas[0]", betas[0], 0.0, 1.0, high_open=True),
            _in_range("betas[1]", betas[1], 0.0, 1.0, high_open=True),
        )
        self.eps = _at_least("eps", eps)
        self.weight_decay = _at_least("weight_decay", weight_decay)
        self.amsgrad = _flag("amsgrad", amsgrad)
        n = len(self.params)
        self.m: list[float] = [0.0] * n  # first moments
        self.v: list[float] = [0.0] * n  # second moments
        self.v_max: list[float] = [0.0] * n  # largest second moments (amsgrad)

    def step(self) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        lr, wd, eps = self.lr, self.weight_decay, self.eps
        correction1 = 1 - beta1**self.t  # bias corrections: m and v started at 0
        correction2 = 1 - beta2**self.t
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0:
                if self._decoupled:
                    p.data = p.data * (1 - lr * wd)  # AdamW: shrink θ itself
                else:
                    g = g + wd * p.data  # Adam: L2 penalty in the gradient
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g  # first moment
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g  # second moment
            m_hat = self.m[i] / correction1
            if self.amsgrad:
                self.v_max[i] = max(self.v_max[i], self.v[i])
                v_hat = self.v_max[i] / correction2
            else:
                v_hat = self.v[i] / correction2
            p.data = p.data - lr * m_hat / (math.sqrt(v_hat) + eps)

    def _hyperparameters(self) -> dict[str, object]:
        return {
            "lr": self.lr,
            "betas": self.betas,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "amsgrad": self.amsgrad,
        }


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

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> AdamW([w], lr=0.1).step(); round(w.data, 9)   # 1·(1 - 0.1·0.01) - 0.1
    0.899
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class StepLR:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (torch's StepLR).

    ``lr_e = lr_0 · γ^⌊e / step_size⌋``; call ``step()`` once per epoch, after
    the optimizer's steps. Like PyTorch it multiplies the current rate
    (chainable form), so the numbers equal torch's to the last bit.

    >>> from engine import Value
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(opt.lr); schedule.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"StepLR needs an optimizer, got {type(optimizer).__name__}")
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"step_size must be a whole number >= 1, got {step_size!r}")
        self.optimizer = optimizer
        self.step_size = step_size
        self.gamma = _at_least("gamma", gamma)
        self.last_epoch = 0

    def step(self) -> None:
        """End an epoch: decay the optimizer's lr if a multiple of step_size is reached."""
        self.last_epoch += 1
        if self.last_epoch % self.step_size == 0:
            self.optimizer.lr = self.optimizer.lr * self.gamma


class ExponentialLR:
    """Multiply the learning rate by ``gamma`` every epoch (torch's ExponentialLR).

    ``lr_e = lr_0 · γ^e``; call ``step()`` once per epoch.

    >>> from engine import Value
    >>> opt = Adam([Value(0.0)], lr=0.1)
    >>> schedule = ExponentialLR(opt, gamma=0.5)
    >>> schedule.step(); schedule.step(); opt.lr
    0.025
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ExponentialLR needs an optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.gamma = _at_least("gamma", gamma)
        self.last_epoch = 0

    def step(self) -> None:
        """End an epoch: multiply the optimizer's lr by gamma."""
        self.last_epoch += 1
        self.optimizer.lr = self.optimizer.lr * self.gamma


#: Optimizers by the lower-case names ``fit`` and the command line accept.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adadelta": AdaDelta,
    "adam": Adam,
    "adamw": AdamW,
}


def trajectory(
    closure: Callable[[], Value], optimizer: Optimizer, steps: int
) -> list[tuple[float, ...]]:
    """The path an optimizer takes: parameter values before each step and after the last.

    ``closure()`` computes the loss from the optimizer's parameters. The
    parameters are put back where they started afterwards (data and grad),
    so several optimizers can be compared from the same starting point, e.g.
    with ``nn.plot.loss_surface``.

    >>> from engine import Value
    >>> x, y = Value(1.0), Value(-1.0)
    >>> bowl = lambda: x * x + 10 * y * y
    >>> path = trajectory(bowl, SGD([x, y], lr=0.05), steps=3)
    >>> [(round(a, 4), round(b, 4)) for a, b in path]
    [(1.0, -1.0), (0.9, 0.0), (0.81, 0.0), (0.729, 0.0)]
    >>> x.data, y.data                        # back at the start
    (1.0, -1.0)
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    params = optimizer.params
    start = [(p.data, p.grad) for p in params]
    path = [tuple(p.data for p in params)]
    try:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = closure()
            if not isinstance(loss, Value):
                raise TypeError(f"closure must return a Value, got {type(loss).__name__}")
            loss.backward()
            optimizer.step()
            path.append(tuple(p.data for p in params))
    finally:
        for p, (data, grad) in zip(params, start, strict=True):
            p.data, p.grad = data, grad
    return path
