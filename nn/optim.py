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

Learning-rate schedules live in ``nn.lr_scheduler`` and the path an optimizer
takes in ``nn.landscape``; both are importable from here too, where they
used to live.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping
from typing import Any

from engine import Value

from .checks import at_least, flag, in_range, number
from .landscape import trajectory
from .lr_scheduler import ExponentialLR, StepLR

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
    # importable from here as before; they live in nn.lr_scheduler and nn.landscape
    "StepLR",
    "ExponentialLR",
    "trajectory",
]


class Optimizer:
    """The base of every optimizer, shaped like ``torch.optim.Optimizer(params, defaults)``.

    - ``defaults``: the hyperparameters it was built with, ``{"lr": 0.1, ...}``.
    - ``param_groups``: one group, ``{"params": [...], **defaults}``. ``step`` reads
      the hyperparameters from it, so a scheduler (or you) changing ``lr`` takes effect.
    - ``opt.lr``, ``opt.betas``, …: the group's hyperparameters as attributes;
      assigning one checks it as the constructor does.
    - ``state[p]``: a dict per parameter (``{"step": 3, "exp_avg": …}``, the names
      torch uses), filled at the first step.
    - ``state_dict()`` / ``load_state_dict()``: all of that as plain JSON data, so a
      run saved mid-way and resumed continues exactly as if never stopped.

    A subclass checks its arguments, passes them to ``__init__`` as ``defaults``,
    says what a parameter's state starts as (``_initial_state``) and implements
    ``step``, reading ``p.grad`` and assigning ``p.data`` (plain floats, so an
    update never records graph). Its constructor takes ``(params, **defaults)``.

    >>> from engine import Value
    >>> opt = SGD([Value(1.0)], lr=0.1, momentum=0.9)
    >>> opt.defaults["momentum"], opt.param_groups[0]["lr"], opt.lr
    (0.9, 0.1, 0.1)
    >>> opt
    SGD(1 parameter, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    """

    def __init__(self, params: Iterable[Value], defaults: Mapping[str, Any]) -> None:
        self.params: list[Value] = _parameter_list(params)
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[dict[str, Any]] = [{"params": self.params, **self.defaults}]
        self.state: dict[Value, dict[str, Any]] = {p: {} for p in self.params}

    @classmethod
    def default_lr(cls) -> float | None:
        """The learning rate this optimizer's signature gives, None if ``lr`` is required.

        >>> Adam.default_lr(), SGD.default_lr()
        (0.001, None)
        """
        default = inspect.signature(cls).parameters["lr"].default
        return None if default is inspect.Parameter.empty else default

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad`` (one step of the rule)."""
        raise NotImplementedError

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        """What a parameter's state holds before its first step (nothing, by default)."""
        return {}

    def _state(self, p: Value, group: Mapping[str, Any]) -> dict[str, Any]:
        """``state[p]``, created at the parameter's first step (as torch does, lazily)."""
        state = self.state[p]
        if not state:
            state.update(self._initial_state(group))
        return state

    # -- hyperparameters as attributes -------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only called when ordinary lookup fails: opt.lr, opt.betas, … read the group.
        groups = self.__dict__.get("param_groups")
        if groups and name != "params" and name in groups[0]:
            return groups[0][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        groups = self.__dict__.get("param_groups")
        if groups and name != "params" and name in groups[0]:
            checked = self._checked({**_hyperparameters(groups[0]), name: value})
            for group in groups:
                group[name] = checked[name]
        else:
            object.__setattr__(self, name, value)

    def _checked(self, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
        """The hyperparameters as this optimizer's constructor checks and stores them."""
        return type(self)(self.params, **hyperparameters).defaults

    # -- saving and resuming -----------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The hyperparameters and per-parameter state as JSON-safe data (torch's layout).

        Parameters are named by their position: ``{"state": {0: {...}, ...},
        "param_groups": [{"lr": ..., ..., "params": [0, 1, ...]}]}``.

        >>> import json
        >>> from engine import Value
        >>> w = Value(1.0); w.grad = 2.0
        >>> opt = SGD([w], lr=0.1, momentum=0.9); opt.step()
        >>> saved = opt.state_dict()
        >>> saved["state"], saved["param_groups"][0]["params"]
        ({0: {'momentum_buffer': 2.0}}, [0])
        >>> resumed = SGD([w], lr=0.5)
        >>> resumed.load_state_dict(json.loads(json.dumps(saved)))
        >>> resumed.lr, resumed.momentum, resumed.state[w]
        (0.1, 0.9, {'momentum_buffer': 2.0})
        """
        index = {p: i for i, p in enumerate(self.params)}
        groups = [
            {**_jsonable(_hyperparameters(group)), "params": [index[p] for p in group["params"]]}
            for group in self.param_groups
        ]
        state = {index[p]: dict(s) for p, s in self.state.items() if s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned (also after a trip through JSON).

        Everything is checked before anything changes: the parameter count, the
        hyperparameters (as the constructor checks them) and every state entry.
        A mismatch raises ValueError/TypeError and leaves the optimizer as it was.
        """
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("an optimizer state_dict is a dict with 'state' and 'param_groups'")
        groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], Mapping):
            raise ValueError("the state_dict must hold exactly one parameter group")
        group = groups[0]
        ids = group.get("params")
        if not isinstance(ids, list) or len(ids) != len(self.params):
            count = len(ids) if isinstance(ids, list) else "no"
            raise ValueError(
                f"the state_dict is for {count} parameters; this optimizer has {len(self.params)}"
            )
        hyper = {k: v for k, v in group.items() if k != "params"}
        missing, unexpected = set(self.defaults) - set(hyper), set(hyper) - set(self.defaults)
        if missing or unexpected:
            raise ValueError(
                f"the state_dict's hyperparameters are not {type(self).__name__}'s: "
                f"missing {sorted(missing)}, unexpected {sorted(unexpected)}"
            )
        checked = self._checked(hyper)  # JSON's list of betas becomes a tuple again
        by_id = {_param_id(i): p for i, p in zip(ids, self.params, strict=True)}
        if not isinstance(saved_state, Mapping):
            raise ValueError("the state_dict's 'state' must be a dict of parameter id -> state")
        state = {p: {} for p in self.params}
        for key, entry in saved_state.items():
            if _param_id(key) not in by_id:
                raise ValueError(f"the state_dict has state for an unknown parameter {key!r}")
            state[by_id[_param_id(key)]] = _checked_state(
                entry, self._initial_state(checked), f"parameter {key}"
            )
        for g in self.param_groups:
            g.update(checked)
        self.state = state

    def __repr__(self) -> str:
        n = len(self.params)
        hyper = ", ".join(f"{k}={v!r}" for k, v in _hyperparameters(self.param_groups[0]).items())
        return f"{type(self).__name__}({n} parameter{'' if n == 1 else 's'}, {hyper})"


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

    def step(self) -> None:
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            wd, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                state = self._state(p, group)
                g = _gradient(p, wd)  # the gradient, plus the L2 penalty λθ
                if mu != 0:
                    b = state["momentum_buffer"]
                    if b is None:
                        b = g  # first step: the buffer is the gradient, not dampened
                    else:
                        b = mu * b + (1 - tau) * g  # velocity
                    state["momentum_buffer"] = b
                    g = g + mu * b if nesterov else b  # nesterov looks ahead along b
                p.data = p.data - lr * g  # step downhill


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

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": group["initial_accumulator_value"]}

    def step(self) -> None:
        for group in self.param_groups:
            lr, lr_decay = group["lr"], group["lr_decay"]
            wd, eps = group["weight_decay"], group["eps"]
            for p in group["params"]:
                state = self._state(p, group)
                state["step"] += 1
                clr = lr / (1 + (state["step"] - 1) * lr_decay)  # decayed learning rate
                g = _gradient(p, wd)  # the gradient, plus the L2 penalty λθ
                s = state["sum"] = state["sum"] + g * g  # sum of squared gradients
                p.data = p.data - clr * (g / (math.sqrt(s) + eps))  # big history, small step


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

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": 0.0}
        if group["momentum"] > 0:
            state["momentum_buffer"] = 0.0
        if group["centered"]:
            state["grad_avg"] = 0.0
        return state

    def step(self) -> None:
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            wd, mu, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p in group["params"]:
                state = self._state(p, group)
                state["step"] += 1
                g = _gradient(p, wd)  # the gradient, plus the L2 penalty λθ
                v = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
                if centered:
                    g_avg = state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
                    # v - ḡ² >= 0 in exact arithmetic; max() guards a rounding error below zero.
                    v = max(v - g_avg * g_avg, 0.0)
                denom = math.sqrt(v) + eps  # the running RMS
                if mu > 0:
                    b = state["momentum_buffer"] = mu * state["momentum_buffer"] + g / denom
                    p.data = p.data - lr * b  # momentum on the normalised step
                else:
                    p.data = p.data - lr * (g / denom)  # the normalised step


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

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        return {"step": 0, "square_avg": 0.0, "acc_delta": 0.0}

    def step(self) -> None:
        for group in self.param_groups:
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                state = self._state(p, group)
                state["step"] += 1
                g = _gradient(p, wd)  # the gradient, plus the L2 penalty λθ
                v = state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g
                u = state["acc_delta"]
                delta = math.sqrt(u + eps) / math.sqrt(v + eps) * g  # RMS of steps / RMS of g
                state["acc_delta"] = rho * u + (1 - rho) * delta * delta  # running mean of Δx²
                p.data = p.data - lr * delta


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

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": 0.0, "exp_avg_sq": 0.0}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = 0.0
        return state

    def step(self) -> None:
        for group in self.param_groups:
            wd = group["weight_decay"]
            for p in group["params"]:
                g = _gradient(p, wd)  # the gradient, plus the L2 penalty λθ
                self._adam_update(p, g, self._state(p, group), group)

    @staticmethod
    def _adam_update(p: Value, g: float, state: dict[str, Any], group: Mapping[str, Any]) -> None:
        """Adam's rule from the moments on, shared with AdamW: m, v, bias correction, step."""
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        state["step"] += 1
        t = state["step"]
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g  # first moment
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g  # second
        m_hat = m / (1 - beta1**t)  # bias correction: m and v started at 0
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = max(state["max_exp_avg_sq"], v)  # never shrinks
        v_hat = v / (1 - beta2**t)
        p.data = p.data - lr * m_hat / (math.sqrt(v_hat) + eps)  # eps outside the root


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

    def step(self) -> None:
        for group in self.param_groups:
            decay = 1 - group["lr"] * group["weight_decay"]
            for p in group["params"]:
                p.data = p.data * decay  # θ ← θ - γλθ: shrink θ itself, not its gradient
                self._adam_update(p, p.grad, self._state(p, group), group)


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


# -- helpers ------------------------------------------------------------------------------


def _gradient(p: Value, weight_decay: float) -> float:
    """``g ← ∇θ f(θ)``, and ``g ← g + λθ`` when ``λ ≠ 0``: the L2 penalty folded into g."""
    return p.grad + weight_decay * p.data if weight_decay != 0 else p.grad


def _parameter_list(params: object) -> list[Value]:
    if isinstance(params, Value):
        raise TypeError("params must be a list of Values, e.g. model.parameters() or [w, b]")
    try:
        result = list(params)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"params must be an iterable of Values, got {type(params).__name__}"
        ) from None
    if not result:
        raise ValueError("the optimizer got an empty list of parameters")
    for p in result:
        if isinstance(p, Mapping):
            raise TypeError("parameter groups (dicts) are not supported: pass one list of Values")
        if not isinstance(p, Value):
            raise TypeError(f"every parameter must be a Value, got {type(p).__name__}: {p!r}")
    if len(set(result)) != len(result):
        raise ValueError("a parameter appears twice in params; it would be updated twice")
    return result


def _betas(betas: object) -> tuple[float, float]:
    if isinstance(betas, (str, bytes)) or not isinstance(betas, (tuple, list)):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} values")
    return (
        in_range("betas[0]", betas[0], 0.0, 1.0, high_open=True),
        in_range("betas[1]", betas[1], 0.0, 1.0, high_open=True),
    )


def _hyperparameters(group: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in group.items() if k != "params"}


def _jsonable(hyper: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in hyper.items()}


def _param_id(key: object) -> object:
    """A parameter id as saved: an int, or its digits after a trip through JSON."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return key


def _checked_state(entry: object, initial: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A saved per-parameter state, checked against what this optimizer keeps."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"the state of {where} must be a dict, got {type(entry).__name__}")
    if not entry:
        return {}
    if set(entry) != set(initial):
        raise ValueError(
            f"the state of {where} holds {sorted(entry)}; this optimizer keeps {sorted(initial)}"
        )
    result: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "step":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"the step count of {where} must be a whole number >= 0")
            result[key] = value
        else:
            result[key] = number(f"{key} of {where}", value)
    return result
