"""Reverse-mode differentiation: the chain rule, one edge at a time, from the output back.

The walk visits every node that passes gradient on, output first, each one only
after all the nodes it feeds into (the reverse of ``topological_order``). At each
node, ``chain_rule_at`` does the one multiply-and-add of reverse mode for every
edge node -> parent:

    dL/dparent += ∂node/∂parent · dL/dnode

``backward``, ``backward_steps``, ``grad`` and ``grad(..., create_graph=True)`` all
run it: they differ only in where the gradients are kept (each node's ``.grad``, or
a dict) and in what the local derivatives are (numbers, or Values that can be
differentiated again). ``Value`` brings a faster equivalent of ``backward``
(``engine/fast.py``), tested equal to this one.

Everything here reads a node through a small protocol (minitorch's): its
``.parents``, their ``.local_grads`` (∂node/∂parent, recorded in the forward
pass) and its ``.grad``. Walks use an explicit stack, so a graph a million nodes
deep works at the default recursion limit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from .errors import describe
from .modes import ANOMALY, _mode, enable_grad, gc_paused
from .naming import display_names, format_number

__all__ = [
    "topological_order",
    "backward",
    "backward_steps",
    "BackwardStep",
    "grad",
    "chain_rule_at",
    "chain_rule_once",
    "Edge",
]


class Node(Protocol):
    """What the walk needs of a node (``Value`` is one)."""

    grad: float

    @property
    def parents(self) -> tuple[Node, ...]: ...

    @property
    def local_grads(self) -> tuple[float, ...]: ...

    def _runs_a_closure(self) -> bool: ...  # built micrograd's way: see engine/micrograd.py

    def _backward(self) -> None: ...


# -- backward ------------------------------------------------------------------------


def backward(root: Node, grad: float = 1.0, *, plain: bool = False) -> None:
    """Accumulate d root / d leaf into every leaf's ``.grad``; set every other node's.

    Leaves add to what they hold (as in PyTorch); every non-leaf's ``.grad`` is
    the gradient of this call alone. A node reached along several paths gets the
    sum over all of them. Under ``detect_anomaly`` every edge's term is checked.
    ``Value`` brings a faster equivalent (engine/fast.py, tested equal to this
    bit for bit); ``plain=True`` takes this one.
    """
    seed = _seed(grad)
    anomaly = _mode.get() & ANOMALY
    fast = None if plain or anomaly else getattr(type(root), "_fast_backward", None)
    if fast is not None:
        fast(root, seed)
        return
    for node in _start(root, seed):
        if node._runs_a_closure():  # built micrograd's way: its closure adds to the parents
            _run_closure(node, anomaly)
            continue
        for edge in chain_rule_at(node, NODE_GRADS, node.local_grads):
            if anomaly:
                _refuse_non_finite(edge)


def _start(root: Node, seed: float, walk: Callable[[Node], list[Node]] | None = None) -> list[Node]:
    """The walk from ``root`` (``_walk``, or ``walk``: fast.py's), with every non-leaf's
    gradient reset and the root's seeded."""
    nodes = (walk or _walk)(root)
    for node in nodes:
        node.grad = 0.0  # non-leaves hold this call's gradient, not a running sum
    root.grad += seed
    return nodes


def _seed(grad: object) -> float:
    if isinstance(grad, numbers.Real):
        return float(grad)
    raise TypeError(f"backward(grad=...) needs a number, got {type(grad).__name__}: {grad!r}")


# -- the chain rule at one node ------------------------------------------------------


class Edge(NamedTuple):
    """One edge node -> parent, as ``chain_rule_at`` applied it."""

    node: Node
    index: int  # node.parents[index] is parent (a * a has two such edges)
    parent: Node
    local: float  # ∂node/∂parent
    upstream: float  # dL/dnode
    contribution: float  # local · upstream
    before: float | None  # dL/dparent before adding; None where this is its first


def chain_rule_at(node: Node, grads, local_grads: Sequence) -> Iterator[Edge]:
    """The chain rule at ``node``: ``dL/dparent += ∂node/∂parent · dL/dnode``, for each parent.

    ``grads`` holds dL/dnode for each node so far: in the nodes' ``.grad``
    (``NODE_GRADS``), or a dict, where a parent not yet in it starts at this edge's
    term. ``local_grads``: ∂node/∂parent for each parent, numbers or Values. Each
    edge is yielded after it is applied, so ``backward_steps`` can pause between two.

    >>> from engine import Value
    >>> x, y = Value(3.0), Value(4.0)
    >>> z = x * y
    >>> grads = {z: 1.0}
    >>> [edge.contribution for edge in chain_rule_at(z, grads, z.local_grads)]
    [4.0, 3.0]
    """
    upstream = grads[node]
    for index, (parent, local) in enumerate(zip(node.parents, local_grads)):
        contribution = _product(local, upstream)  # local · upstream
        before = grads[parent] if parent in grads else None
        grads[parent] = contribution if before is None else before + contribution
        yield Edge(node, index, parent, local, upstream, contribution, before)


def _product(local, upstream):
    """``local · upstream``; a constant ±1 (an add's, a sub's) is no product, so that
    ``create_graph`` puts no ``1 ·`` node into the gradient's graph."""
    if type(upstream) is float or _is_node(local):  # floats: backward, grad; no graph built
        return local * upstream
    return upstream if local == 1.0 else -upstream if local == -1.0 else local * upstream


class _NodeGrads:
    """``grads`` for ``chain_rule_at`` kept where ``backward`` keeps them: in each ``.grad``."""

    def __getitem__(self, node: Node) -> float:
        return node.grad

    def __setitem__(self, node: Node, value: float) -> None:
        node.grad = value

    def __contains__(self, node: Node) -> bool:
        return True  # every node has a .grad; non-leaves are reset to 0 before a walk


NODE_GRADS = _NodeGrads()


def chain_rule_once(node: Node) -> None:
    """micrograd's ``node._backward()``: the chain rule at ``node`` once, on each ``.grad``."""
    for _ in chain_rule_at(node, NODE_GRADS, node.local_grads):
        pass


def _run_closure(node: Node, anomaly: bool) -> None:
    """``node._backward()``; under ``detect_anomaly``, each term it adds is checked."""
    terms = list(chain_rule_at(node, {node: node.grad}, node.local_grads)) if anomaly else ()
    node._backward()
    for edge in terms:
        _refuse_non_finite(edge)


def _refuse_non_finite(edge: Edge) -> None:
    if not math.isfinite(edge.contribution):
        raise FloatingPointError(
            f"backward through {edge.node.op} produced {edge.contribution!r} for "
            f"{describe(edge.parent)}: local gradient {edge.local!r} times upstream gradient "
            f"{edge.upstream!r} (from {describe(edge.node)})"
        )


# -- backward_steps ------------------------------------------------------------------


@dataclass(frozen=True)
class BackwardStep:
    """One edge of the backward pass: ``parent.grad += local_grad · node.grad``."""

    node: Node  # the child, whose gradient is final when this step runs
    parent: Node
    local_grad: float  # ∂node/∂parent
    upstream: float  # d output / d node
    contribution: float  # local_grad · upstream
    parent_grad: float  # parent.grad after adding the contribution
    output: Node = field(repr=False)
    names: dict = field(repr=False, compare=False)
    index: int = field(repr=False)  # node.parents[index] is parent (a * a has two such edges)
    parent_grad_before: float = field(repr=False, default=0.0)  # parent.grad before adding

    def __str__(self) -> str:
        """The edge's chain-rule term: ``dL/dw += ∂z/∂w · dL/dz = 2.0000 · 0.5000 = 1.0000``.

        ``∂z/∂w`` is the local derivative (one edge, recorded in the forward
        pass); ``dL/dz`` is the gradient of the output L (what backward
        accumulates). When the parent already held a gradient, the running
        total follows: ``(dL/dw now 1.5000)``.
        """
        out, node, parent = (self.names[v] for v in (self.output, self.node, self.parent))
        numbers = (self.local_grad, self.upstream, self.contribution)
        local, upstream, contribution = map(format_number, numbers)
        text = (
            f"d{out}/d{parent} += ∂{node}/∂{parent} · d{out}/d{node} = "
            f"{local} · {upstream} = {contribution}"
        )
        if self.parent_grad_before != 0:
            text += f" (d{out}/d{parent} now {format_number(self.parent_grad)})"
        return text


def backward_steps(root: Node, grad: float = 1.0) -> Iterator[BackwardStep]:
    """``backward(root, grad)`` one edge at a time, yielding each step after applying it.

    The steps come in exactly the order ``backward`` uses, so exhausting the
    generator equals ``backward()``, and stopping halfway leaves the gradients
    exactly as far as the steps went. A node built by hand steps through its
    local derivatives (what its closure adds for a unit gradient) rather than
    running its closure, so that it too moves one edge at a time.
    """
    seed = _seed(grad)  # a bad seed fails at the call, not at the first next()

    def steps() -> Iterator[BackwardStep]:
        nodes = _start(root, seed)
        names = display_names(topological_order(root))
        anomaly = _mode.get() & ANOMALY
        for node in nodes:
            for edge in chain_rule_at(node, NODE_GRADS, node.local_grads):
                if anomaly:
                    _refuse_non_finite(edge)
                yield BackwardStep(
                    node, edge.parent, edge.local, edge.upstream, edge.contribution,
                    edge.parent.grad, root, names, edge.index, edge.before,
                )  # fmt: skip

    return steps()


# -- grad ------------------------------------------------------------------------------


def grad(output: Node, inputs: Node | Iterable[Node], create_graph: bool = False) -> list:
    """Gradients of ``output`` with respect to each of ``inputs``; no ``.grad`` is touched.

    With ``create_graph=True`` the gradients are Values wired into the graph,
    so they can be differentiated again (second derivatives, Hessians): each
    node's local derivatives are taken as Values (``node.local_grad_values()``,
    the table's rules run on Values). An input ``output`` does not depend on has
    gradient 0.

    >>> from engine import Value
    >>> x = Value(3.0, label="x")
    >>> y = x ** 3
    >>> grad(y, [x])                             # 3x² = 27
    [27.0]
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> grad(dy, [x])                            # 6x = 18
    [18.0]
    """
    _require_node(output, "grad", " as output")
    inputs = [inputs] if _is_node(inputs) else list(inputs)
    for i, x in enumerate(inputs):
        if not _is_node(x):
            raise TypeError(f"grad inputs must be Values; inputs[{i}] is {type(x).__name__}")
    if not create_graph:
        grads = {output: 1.0}
        for node in _walk(output):
            for _ in chain_rule_at(node, grads, node.local_grads):
                pass
        return [grads.get(x, 0.0) for x in inputs]
    make = type(output)  # constants of the output's own kind
    with enable_grad(), gc_paused():  # it builds a graph as big as the one it walks
        grads = {output: make(1.0)}
        for node in _walk(output):
            for _ in chain_rule_at(node, grads, node.local_grad_values()):
                pass
    return _labelled(output, inputs, grads, make(0.0))


def _labelled(output: Node, inputs: list[Node], grads: dict, zero: Node) -> list:
    """Each input's gradient (``zero`` where it has none), labelled ``dy/dx`` if unlabelled."""
    names = display_names(topological_order(output))
    results = [grads.get(x, zero) for x in inputs]
    for x, g in zip(inputs, results):
        if g is not zero and not g.label:
            g.label = f"d{names[output]}/d{names[x]}"
    return results


# -- the walk --------------------------------------------------------------------------


def _is_node(x: object) -> bool:
    return hasattr(type(x), "parents")


def _require_node(x: object, who: str, what: str = "") -> None:
    if not _is_node(x):
        raise TypeError(f"{who} needs a Value{what}, got {type(x).__name__}")


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from ``root``, each after all of its parents (root last).

    >>> from engine import Value
    >>> a = Value(1.0, label="a"); b = Value(2.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> [v.label for v in topological_order(c + a)]
    ['a', 'b', 'c', '']
    """
    _require_node(root, "topological_order")
    return _depth_first(root, leaves=True)


def _walk(root: Node) -> list[Node]:
    """The nodes that pass gradient on, in the walk's order: output first, leaves left out."""
    order = _depth_first(root, leaves=False)
    order.reverse()
    return order


def _depth_first(root: Node, leaves: bool) -> list[Node]:
    """``topological_order(root)``, with or without the leaves (the rest keep their order).

    Depth-first, post-order, with an explicit stack: a node with parents is
    pushed back with None above it before its parents go on top; when the None
    comes off again, everything above it is placed, so the node under it comes
    next. A leaf is placed as soon as it is reached.
    """
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[Node | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # everything above it is placed
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        parents = node.parents
        if parents:
            seen.add(node)
            stack.append(node)
            stack.append(None)
            stack += parents[::-1]  # so that the first parent is visited first
        elif leaves:
            seen.add(node)
            order.append(node)
    return order
