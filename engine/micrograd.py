"""micrograd's way, kept working: ``_prev``, ``_op``, ``_backward`` and nodes built by hand.

Code written for micrograd and Karpathy's lectures runs on scalarflow by changing
only the import. micrograd makes each op by hand: ``Value(t, (x,), "tanh")``, then
a closure assigned to the node's ``_backward`` pushes its gradient to its parents;
its lecture calls ``node._backward()`` itself, one node at a time. scalarflow's ops
come from a table instead (engine/ops.py), so this module is what lets the old
way through:

- ``Micrograd``, which ``Value`` inherits: micrograd's names for what a node has
  (``_prev``, ``_op``) and ``_backward``, the chain rule at one node, or the
  closure assigned in its place;
- ``build_by_hand``: ``Value(data, _children, _op)``, a node whose parents and op
  string are given and whose derivative is whatever closure it is given;
- ``probe_local_grads``: the local derivatives of a node that runs a closure,
  found by running it once on scratch gradients, so that such a node draws and
  steps through its edges like any other.

A node runs a closure when it has parents but no recorded local derivative
(``_dx`` is None): assigning ``_backward`` drops the recorded ones, and every walk
checks this to know whether to call the closure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MethodType

from . import autograd
from .errors import anomaly_error
from .modes import ANOMALY, NO_GRAD, _mode

__all__ = ["Micrograd", "HandBuilt", "build_by_hand", "probe_local_grads", "label_argument"]


@dataclass(frozen=True, slots=True)
class HandBuilt:
    """What a node built by hand, micrograd's way (``Value(t, (x,), "tanh")``), records.

    Such a node has no rule in the table: its ``_backward`` is a closure the
    user assigns. It keeps the op's string and its parents (each once, in the
    order given, like the set micrograd keeps).
    """

    symbol: str
    parents: tuple

    @property
    def name(self) -> str:
        """A stem for generated node names: the op's string if it is a word, else "v"."""
        return self.symbol if self.symbol.isidentifier() else "v"


class _Backward:
    """``node._backward``: the chain rule at this node, or the closure assigned in its place.

    Reading it gives ``autograd.chain_rule_once`` bound to the node, unless a
    closure was assigned (micrograd's way of defining an op): then that closure.
    Assigning one also drops the node's recorded local derivatives, so that
    "``_dx`` is None" is how every walk knows a node runs a closure; its local
    derivatives are then what the closure adds (see ``probe_local_grads``).
    """

    def __get__(self, node, owner: type | None = None):
        if node is None:
            return self
        if node._dx is None:  # a leaf, or a node that runs a closure
            closure = node.__dict__.get("_backward")
            if closure is not None:
                return closure
        return MethodType(autograd.chain_rule_once, node)

    def __set__(self, node, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(
                f"_backward must be a function of no arguments, got "
                f"{type(closure).__name__}: {closure!r}"
            )
        node.__dict__["_backward"] = closure
        node._dx = node._dy = None


class Micrograd:
    """micrograd's names on a node: ``_prev``, ``_op`` and ``_backward`` (``Value`` has them)."""

    __slots__ = ()

    _backward = _Backward()  # the chain rule at this node, or the closure it was given

    @property
    def _prev(self) -> set:
        """micrograd's name: the parents, as a set."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name for ``op``: the operation's string, '' for a leaf."""
        return self.op

    def _runs_a_closure(self) -> bool:
        """True if backward runs a closure assigned to this node (it recorded no derivatives)."""
        return self._dx is None and self._x is not None


def label_argument(second: str, label: str) -> str:
    """``Value(2.0, "x")``: a string as second argument is the label (micrograd's is _children)."""
    if label:
        raise TypeError(f"Value got two labels: {second!r} and {label!r}")
    return second


def build_by_hand(node, children: object, op: str) -> None:
    """Record ``children`` and ``op`` on ``node`` as micrograd does; backward calls ``_backward``.

    Until a closure is assigned, ``_backward`` does nothing (micrograd's
    ``lambda: None``). Under ``no_grad`` nothing is recorded, as for the table's ops.
    """
    parents = _parents(children, op)
    mode = _mode.get()
    if mode & ANOMALY and not math.isfinite(node.data):
        raise anomaly_error(op, node.data, parents)
    if mode & NO_GRAD:
        return
    node._primitive = HandBuilt(op, parents)
    node._x = parents[0] if parents else None
    node._backward = _no_backward


def _no_backward() -> None:
    """A hand-built node's ``_backward`` until one is assigned (micrograd's ``lambda: None``)."""


def _parents(children: object, op: object) -> tuple:
    """micrograd's ``_children`` as parents: each Value once, in the order given."""
    if not isinstance(children, (tuple, list, set, frozenset)):
        raise TypeError(
            f"Value(data, _children, _op): _children must be a tuple (or list or set) of "
            f"Values, got {type(children).__name__}: {children!r}"
        )
    for child in children:
        if not isinstance(child, Micrograd):
            raise TypeError(
                f"Value(data, _children, _op): every child must be a Value, "
                f"got {type(child).__name__}: {child!r}"
            )
    if not isinstance(op, str):
        raise TypeError(f"_op must be a str, got {type(op).__name__}: {op!r}")
    return tuple(dict.fromkeys(children))


def probe_local_grads(node) -> tuple[float, ...]:
    """∂node/∂parent of a node whose ``_backward`` is a closure: what it adds for a unit gradient.

    The closure runs once with ``node.grad = 1`` and every parent's gradient at
    0; every gradient touched is then put back as it was.
    """
    parents = node.parents
    saved = node.grad, [parent.grad for parent in parents]
    try:
        for parent in parents:
            parent.grad = 0.0
        node.grad = 1.0
        node._backward()
        return tuple(float(parent.grad) for parent in parents)
    finally:
        node.grad = saved[0]
        for parent, grad in zip(parents, saved[1]):
            parent.grad = grad
