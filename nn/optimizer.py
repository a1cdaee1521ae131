"""The base of every optimizer, shaped like ``torch.optim.Optimizer``, and the list of them.

``nn.optim`` holds the published update rules (SGD, Adam, ...); this module holds
what they share: the parameters, ``defaults`` and ``param_groups``, a state dict
per parameter, ``zero_grad``, ``step``, ``state_dict`` / ``load_state_dict``
(JSON-safe; what a loaded state must pass is in ``nn.state_dict``); ``Packed``, the
same rule run on one array holding every parameter, for fast training loops; and
``register``, which makes an optimizer known by name to ``fit``, the command line and
the tests (``OPTIMIZERS``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar, TypeVar

from engine import Value
from engine.utils.arguments import greater_than

from .state_dict import check_ids, check_in_step, checked_state, param_id

#: What an update rule computes with: one float, or an array of them (numpy, …).
Tensor = Any
#: A rule's update of one parameter (or of the array of all of them): ``update(θ, g, state)``
#: returns the new θ and changes ``state`` in place.
Update = Callable[[Tensor, Tensor, dict], Tensor]

__all__ = ["Optimizer", "Packed", "FLOATS", "OPTIMIZERS", "register"]


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

    A subclass checks its arguments and passes them to ``__init__`` as ``defaults``
    (its constructor takes ``(params, **defaults)``), says what a parameter's state
    starts as (``_initial_state``) and writes its update rule once, as
    ``rule(group, xp)``: it reads each hyperparameter from the group by name
    (``momentum = group["momentum"]``, as torch's optimizers do) and returns
    ``update(theta, g, state)``, which changes ``state`` in place and returns the
    new θ. The update is arithmetic, plus ``xp.sqrt``, ``xp.maximum``, … where it
    needs them, so the same rule moves one float parameter (``step``; ``xp`` is
    ``FLOATS``) or an array of all of them (``packed``; ``xp`` is the array's
    namespace). Floats in, floats out, so an update never records graph.
    ``register`` then makes it known by name.

    >>> from engine import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(1.0)], lr=0.1, momentum=0.9)
    >>> opt.defaults["momentum"], opt.param_groups[0]["lr"], opt.lr
    (0.9, 0.1, 0.1)
    >>> opt
    SGD(1 parameter, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    """

    #: The state entries the rule takes a square root of, each with what it is: sums
    #: and means of squares, never below 0. ``load_state_dict`` refuses one that is.
    _non_negative: Mapping[str, str] = {}
    #: Set by ``register``: the learning rates the command line's demos train with.
    demo_lr: ClassVar[float | None] = None
    digits_lr: ClassVar[float | None] = None

    def __init__(self, params: Iterable[Value], defaults: Mapping[str, Any]) -> None:
        self.params: list[Value] = _parameter_list(params)
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[dict[str, Any]] = [{"params": self.params, **self.defaults}]
        self.state: dict[Value, dict[str, Any]] = {p: {} for p in self.params}

    @classmethod
    def default_lr(cls) -> float | None:
        """The learning rate this optimizer's signature gives, None if ``lr`` is required.

        >>> from nn.optim import SGD, Adam
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
        """Update every parameter from its ``.grad``: one step of the optimizer's ``rule``."""
        states = self.state
        for group in self.param_groups:
            update = self.rule(group, FLOATS)  # reads the hyperparameters, once a step
            initial = self._initial_state(group)
            for p in group["params"]:
                state = states[p]
                if not state and initial:
                    state.update(initial)  # created at the first step, as torch does
                try:
                    p.data = update(p.data, p.grad, state)
                except ZeroDivisionError:
                    raise ZeroDivisionError(self._divided_by_zero(group, p)) from None

    def _divided_by_zero(self, group: Mapping[str, Any], p: Value) -> str:
        """What to say when an update divided by zero (a float does; an array gives NaN)."""
        name = type(self).__name__
        where = f"parameter {self.params.index(p)}" + (f" ({p.label!r})" if p.label else "")
        if group.get("eps") == 0:
            eps = inspect.signature(type(self)).parameters.get("eps")
            default = f" (the default is eps={eps.default:g})" if eps and eps.default else ""
            return (
                f"{name}.step divided by zero at {where}: with eps=0 the step's divisor "
                f"is 0 while the gradient has been 0 at every step. torch (and "
                f"opt.packed()) make the parameter NaN there; eps > 0 keeps the divisor "
                f"above 0{default}"
            )
        return f"{name}.step divided by zero at {where} (its gradient is {p.grad!r})"

    @staticmethod
    def rule(group: Mapping[str, Any], xp: Any) -> Update:
        """The update of one step, ``update(theta, g, state) -> new theta``.

        ``group`` holds the hyperparameters, read by name; θ and g are floats (``xp``
        is ``FLOATS``) or arrays (``xp`` is their namespace); ``update`` changes
        ``state`` in place.
        """
        raise NotImplementedError("an optimizer writes its update as rule(group, xp)")

    def _initial_state(self, group: Mapping[str, Any]) -> dict[str, Any]:
        """What a parameter's state holds before its first step (nothing, by default)."""
        return {}

    def packed(self, xp: Any = None) -> Packed:
        """The parameters as one array, stepped by the same rule: for fast training loops.

        ``packed().data`` holds every parameter's value in ``params`` order,
        ``.step(grad)`` runs one step of the rule on whole arrays (the state is
        packed too), and ``.write_back()`` puts data and state back into the
        Values and ``opt.state`` — the same numbers ``opt.step()`` would have
        reached in as many steps. ``xp`` is the array namespace (numpy by default).

        >>> from engine import Value
        >>> from nn.optim import Adam
        >>> w, b = Value(1.0), Value(-2.0)
        >>> opt = Adam([w, b], lr=0.1)
        >>> run = opt.packed()
        >>> for _ in range(3):
        ...     run.step(2 * run.data)               # the gradient of w² + b²
        >>> run.write_back()
        >>> round(w.data, 6), round(b.data, 6), opt.state[w]["step"]
        (0.701586, -1.700623, 3)
        """
        return Packed(self, xp)

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
        >>> from nn.optim import SGD, Adam
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
        A state_dict loads only if both ``step()`` and ``packed()`` (the path
        ``fit(compile=True)`` takes) can resume from it, so nothing fails later:

        - each entry is a finite number and ``step`` a whole number from 0 to
          2**53 (the counts a float holds exactly; no run takes more steps);
        - an entry the rule takes a square root of (``sum``, ``square_avg``,
          ``acc_delta``, ``exp_avg_sq``, ``max_exp_avg_sq``: sums and means of
          squares) is >= 0;
        - every parameter has state, or none has (a fresh start with these
          hyperparameters), and every parameter is at the same ``step``.

        The last rule refuses what torch accepts: there a parameter whose
        ``.grad`` is None is skipped, so it may have no state or fewer steps.
        Here every parameter has a gradient and ``step()`` moves all of them
        together, so a state_dict this optimizer saved always passes; a partial
        one (from torch, or edited) cannot be packed into one array per entry.
        Relations between entries that the rule keeps but does not need are not
        checked (centered RMSProp's ``grad_avg``² <= ``square_avg``, amsgrad's
        ``max_exp_avg_sq`` >= ``exp_avg_sq``): the next step resumes from either.
        A mismatch raises ValueError/TypeError naming the entry and the
        parameter, and leaves the optimizer as it was.

        >>> from engine import Value
        >>> from nn.optim import SGD, Adam
        >>> w, b = Value(1.0), Value(2.0)
        >>> opt = Adam([w, b])
        >>> saved = {"state": {0: {"step": 3, "exp_avg": 0.1, "exp_avg_sq": -0.5}},
        ...          "param_groups": [{**opt.state_dict()["param_groups"][0]}]}
        >>> opt.load_state_dict(saved)
        Traceback (most recent call last):
        ValueError: exp_avg_sq of parameter 0 must be >= 0, got -0.5: it is a running mean ...
        >>> saved["state"][0]["exp_avg_sq"] = 0.5
        >>> opt.load_state_dict(saved)
        Traceback (most recent call last):
        ValueError: the state_dict has state for parameter 0 but none for parameter 1: ...
        >>> opt.state[w]                          # nothing changed
        {}
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
        check_ids(ids)
        by_id = {param_id(i): p for i, p in zip(ids, self.params, strict=True)}
        if not isinstance(saved_state, Mapping):
            raise ValueError("the state_dict's 'state' must be a dict of parameter id -> state")
        state = {p: {} for p in self.params}
        for key, entry in saved_state.items():
            if param_id(key) not in by_id:
                raise ValueError(f"the state_dict has state for an unknown parameter {key!r}")
            state[by_id[param_id(key)]] = checked_state(
                entry, self._initial_state(checked), f"parameter {key}", self._non_negative
            )
        check_in_step([(i, state[p]) for i, p in zip(ids, self.params, strict=True)])
        for g in self.param_groups:
            g.update(checked)
        self.state = state

    def __repr__(self) -> str:
        n = len(self.params)
        hyper = ", ".join(f"{k}={v!r}" for k, v in _hyperparameters(self.param_groups[0]).items())
        return f"{type(self).__name__}({n} parameter{'' if n == 1 else 's'}, {hyper})"


def _maximum(a: float, b: float) -> float:
    """numpy's maximum of two floats: a NaN on either side wins, and a tie gives b."""
    return a if a > b or a != a else b


def _minimum(a: float, b: float) -> float:
    """numpy's minimum of two floats: a NaN on either side wins, and a tie gives b."""
    return a if a < b or a != a else b


def _sign(x: float) -> float:
    """numpy's sign of a float: 1.0 or -1.0, 0.0 for either zero, NaN for NaN."""
    return 1.0 if x > 0 else -1.0 if x < 0 else x if x != x else 0.0


#: What ``xp`` is when a rule updates one float: every function of ``math`` under its own
#: name (``sqrt``, ``exp``, ``log``, …, as math computes them), and the element-wise
#: functions of the array libraries that math lacks, with numpy's results for NaN and
#: signed zeros, so that a rule computes the same bits on a float as on an array. A rule
#: on arrays gets the arrays' own namespace (numpy, …) instead.
FLOATS = SimpleNamespace(
    **{name: f for name, f in vars(math).items() if callable(f) and not name.startswith("_")},
    maximum=_maximum,
    minimum=_minimum,
    sign=_sign,
)


class Packed:
    """An optimizer's parameters and state as arrays, stepped by its rule (``opt.packed()``).

    - ``data``: a 1-D array of every parameter's value, in ``optimizer.params`` order.
    - ``state``: the per-parameter state with one array per entry (``exp_avg``, …);
      entries every parameter shares (``step``) stay one number.
    - ``step(grad)``: one step of the rule on the whole arrays; ``grad`` is in the
      order of ``data`` (default: every parameter's ``.grad``).
    - ``write_back()``: data and state into the Values and ``optimizer.state``.

    Until ``write_back`` the Values and ``optimizer.state`` keep what they held when
    packed, so do not call ``optimizer.step()`` in between. The hyperparameters are
    read from ``optimizer.param_groups`` at every step, so schedulers work as usual.
    """

    def __init__(self, optimizer: Optimizer, xp: Any = None) -> None:
        if xp is None:
            try:
                import numpy as xp  # only packed training needs numpy; import nn stays light
            except ImportError:
                raise ModuleNotFoundError(
                    "opt.packed() needs numpy (pip install numpy), or pass an array "
                    "namespace: opt.packed(xp)"
                ) from None
        self.optimizer = optimizer
        self.xp = xp
        params = optimizer.params
        self.data = xp.asarray([p.data for p in params], dtype=xp.float64)
        self.state: dict[str, Any] = _pack_state([optimizer.state[p] for p in params], xp)

    def step(self, grad: Any = None) -> None:
        """One step of the optimizer's rule on every parameter at once."""
        opt, xp = self.optimizer, self.xp
        (group,) = opt.param_groups  # one group, holding every parameter
        if grad is None:
            grad = [p.grad for p in opt.params]
        # A copy the rule may keep (SGD's first momentum buffer is the gradient itself).
        g = xp.asarray(grad, dtype=xp.float64, copy=True)
        if g.shape != self.data.shape:
            raise ValueError(
                f"grad must have shape {tuple(self.data.shape)} (one entry per parameter), "
                f"got {tuple(g.shape)}"
            )
        if not self.state:  # the first step, as in Optimizer.step
            initial = opt._initial_state(group)
            self.state.update({k: _column(v, self.data.shape, xp) for k, v in initial.items()})
        update = opt.rule(group, xp)  # the same rule as step(), on the whole arrays
        self.data = update(self.data, g, self.state)

    def write_back(self) -> None:
        """Put the packed data and state into the Values and ``optimizer.state``."""
        params = self.optimizer.params
        for p, x in zip(params, _floats(self.data), strict=True):
            p.data = x
        columns = {k: _floats(v) for k, v in self.state.items() if not _shared(v)}
        for i, p in enumerate(params):
            self.optimizer.state[p].update(
                {k: columns[k][i] if k in columns else v for k, v in self.state.items()}
            )


# -- the optimizers by name ---------------------------------------------------------------

#: The optimizers by the lower-case names ``fit`` and ``python -m nn train --optimizer``
#: take, in the order the command line lists them. ``register`` fills it: it is the one
#: list of optimizers, which the command line and the tests read too.
OPTIMIZERS: dict[str, type[Optimizer]] = {}

_O = TypeVar("_O", bound=type[Optimizer])


def register(name: str, *, demo_lr: float, digits_lr: float | None = None) -> Callable[[_O], _O]:
    """A class decorator: make an optimizer known as ``name`` to ``fit`` and the command line.

    ``demo_lr`` is the learning rate ``python -m nn train --optimizer name`` trains
    with when ``--lr`` is not given: one that trains the demo's small networks on a
    2-D dataset in ~100 full-batch epochs (torch's defaults are tuned for big
    networks: Adam's 1e-3 would need thousands of epochs here). ``digits_lr`` is
    the same for ``--dataset digits``, 30 epochs of 45 mini-batches each (default:
    ``demo_lr``). The class keeps both (``cls.demo_lr``, ``cls.digits_lr``).

    >>> from nn.optim import Adam
    >>> OPTIMIZERS["adam"] is Adam, Adam.demo_lr, Adam.digits_lr
    (True, 0.05, 0.01)
    """
    if not (isinstance(name, str) and name.isidentifier() and name == name.lower()):
        raise ValueError(
            f"an optimizer's name is a lower-case word (what --optimizer takes), got {name!r}"
        )
    demo_lr = greater_than("demo_lr", demo_lr)
    digits_lr = demo_lr if digits_lr is None else greater_than("digits_lr", digits_lr)

    def decorate(cls: _O) -> _O:
        if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
            raise TypeError(f"register({name!r}) takes an Optimizer class, got {cls!r}")
        if cls.rule is Optimizer.rule:
            raise TypeError(f"{cls.__name__} has no update rule: write rule(group, xp)")
        if "lr" not in inspect.signature(cls).parameters:
            raise TypeError(f"{cls.__name__} takes no lr=: fit and the command line pass one")
        if OPTIMIZERS.get(name, cls) is not cls:
            raise ValueError(f"the name {name!r} is taken by {OPTIMIZERS[name].__name__}")
        cls.demo_lr, cls.digits_lr = demo_lr, digits_lr
        OPTIMIZERS[name] = cls
        return cls

    return decorate


# -- helpers ------------------------------------------------------------------------------


def _shared(value: object) -> bool:
    """True for a state entry every parameter shares (a step count, an unset buffer)."""
    return value is None or isinstance(value, (int, float))


def _column(value: Any, shape: tuple, xp: Any) -> Any:
    """A state entry for a packed run: a float becomes an array, a shared entry stays."""
    return xp.full(shape, value, dtype=xp.float64) if isinstance(value, float) else value


def _pack_state(states: Sequence[Mapping[str, Any]], xp: Any) -> dict[str, Any]:
    """The per-parameter state dicts as one dict of arrays (see ``Packed``)."""
    keys = states[0].keys()
    if any(s.keys() != keys for s in states):
        raise ValueError("packed() needs every parameter's state to hold the same entries")
    packed: dict[str, Any] = {}
    for key in keys:
        values = [s[key] for s in states]
        if isinstance(values[0], float):
            packed[key] = xp.asarray(values, dtype=xp.float64)
        elif any(v != values[0] or type(v) is not type(values[0]) for v in values):
            raise ValueError(
                f"packed() needs every parameter at the same point, but their {key!r} differ"
            )
        else:
            packed[key] = values[0]
    return packed


def _floats(array: Any) -> list[float]:
    """A 1-D array as a list of Python floats."""
    if hasattr(array, "tolist"):
        return array.tolist()
    return [float(array[i]) for i in range(array.shape[0])]


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


def _hyperparameters(group: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in group.items() if k != "params"}


def _jsonable(hyper: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in hyper.items()}
