"""Reverse-mode differentiation: one walk over the graph's edges, from the output back.

Everything here reads a node through a small protocol (minitorch's): its
``.parents``, their ``.local_grads`` (∂node/∂parent, recorded in the forward
pass), its ``.grad``, and ``_backward()``, micrograd's per-node step. Nothing
here knows how a Value stores them.

The walk: every node that passes gradient on, output first, each one only after
all the nodes it feeds into (the reverse of ``topological_order``), and at each
node its edges in the order of its parents. At an edge child -> parent the
chain rule adds ``local · child.grad`` to the parent. ``backward``,
``backward_steps`` and ``grad`` (with and without ``create_graph``) all take
this walk. Walks use an explicit stack, so a graph a million nodes deep works at
the default recursion limit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .errors import describe
from .modes import ANOMALY, _mode, enable_grad, gc_paused
from .naming import display_names, format_number

__all__ = ["topological_order", "backward", "backward_steps", "BackwardStep", "grad"]


class Node(Protocol):
    """What the walk needs of a node (``Value`` is one)."""

    grad: float

    @property
    def parents(self) -> tuple[Node, ...]: ...

    @property
    def local_grads(self) -> tuple[float, ...]: ...

    def _backward(self) -> None: ...


Walk = Callable[[Node], list[Node]]  # root -> the nodes of its backward walk, in order


def _require_node(x: object, who: str, what: str = "") -> None:
    if not hasattr(type(x), "parents"):
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


def _edges(node: Node) -> Iterator[tuple[int, tuple[Node, float]]]:
    """A node's edges in the walk: (index, (parent, ∂node/∂parent)), in the order of its parents."""
    return enumerate(zip(node.parents, node.local_grads))


def _seed(grad: object) -> float:
    if isinstance(grad, numbers.Real):
        return float(grad)
    raise TypeError(f"backward(grad=...) needs a number, got {type(grad).__name__}: {grad!r}")


def _start(root: Node, grad: object, walk: Walk = _walk) -> list[Node]:
    """The walk from ``root``, with every non-leaf's gradient reset and the root's seeded."""
    seed = _seed(grad)
    nodes = walk(root)
    for node in nodes:
        node.grad = 0.0  # non-leaves hold this call's gradient, not a running sum
    root.grad += seed
    return nodes


def _raise_anomaly(node: Node, parent: Node, local: float, upstream: float) -> None:
    raise FloatingPointError(
        f"backward through {node.op} produced {local * upstream!r} for {describe(parent)}: "
        f"local gradient {local!r} times upstream gradient {upstream!r} "
        f"(from {describe(node)})"
    )


def backward(root: Node, grad: float = 1.0, *, plain: bool = False) -> None:
    """Accumulate d root / d leaf into every leaf's ``.grad``; set every other node's.

    Leaves add to what they hold (as in PyTorch); every non-leaf's ``.grad``
    becomes the gradient of this call alone. A node reached along several
    paths gets the sum over all of them.

    At each node of the walk, ``node._backward()`` applies the chain rule to
    its edges, ``parent.grad += local · node.grad`` (a node built by hand,
    micrograd's way, runs its own closure instead). Under ``detect_anomaly``
    every edge's term is checked as it is added.

    A node type may bring a faster equivalent of the walk and of the pass over
    it (``Value._backward_walk`` and ``Value._backward_pass``, tested equal to
    these); ``plain=True`` takes the plain ones, written against the protocol.
    """
    kind = type(root)
    walk = _walk if plain else getattr(kind, "_backward_walk", _walk)
    apply = _backward_pass if plain else getattr(kind, "_backward_pass", _backward_pass)
    nodes = _start(root, grad, walk)
    if _mode.get() & ANOMALY:
        _checked_backward(nodes)
    else:
        apply(nodes)


def _backward_pass(nodes: list[Node]) -> None:
    """The chain rule at every node of the walk, in order."""
    for node in nodes:
        node._backward()


def _checked_backward(nodes: list[Node]) -> None:
    """``backward``'s walk, raising FloatingPointError at the first non-finite edge term."""
    for node in nodes:
        upstream = node.grad
        edges = list(_edges(node))
        node._backward()
        for _, (parent, local) in edges:
            if not math.isfinite(local * upstream):
                _raise_anomaly(node, parent, local, upstream)


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
    _seed(grad)  # a bad seed fails at the call, not at the first next()

    def steps() -> Iterator[BackwardStep]:
        nodes = _start(root, grad)
        names = display_names(topological_order(root))
        check = _mode.get() & ANOMALY
        for node in nodes:
            upstream = node.grad
            for index, (parent, local) in _edges(node):
                contribution = local * upstream
                if check and not math.isfinite(contribution):
                    _raise_anomaly(node, parent, local, upstream)
                before = parent.grad
                parent.grad += contribution
                yield BackwardStep(
                    node, parent, local, upstream, contribution, parent.grad, root, names,
                    index, before,
                )  # fmt: skip

    return steps()


def grad(output: Node, inputs: Node | Iterable[Node], create_graph: bool = False) -> list:
    """Gradients of ``output`` with respect to each of ``inputs``; no ``.grad`` is touched.

    With ``create_graph=True`` the gradients are Values wired into the graph,
    so they can be differentiated again (second derivatives, Hessians).
    An input ``output`` does not depend on has gradient 0.

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
    inputs = [inputs] if hasattr(type(inputs), "parents") else list(inputs)
    for i, x in enumerate(inputs):
        if not hasattr(type(x), "parents"):
            raise TypeError(f"grad inputs must be Values; inputs[{i}] is {type(x).__name__}")
    if create_graph:
        return _grad_as_values(output, inputs)
    grads: dict[Node, float] = {output: 1.0}
    for node in _walk(output):
        upstream = grads.get(node, 0.0)
        for _, (parent, local) in _edges(node):
            grads[parent] = grads.get(parent, 0.0) + local * upstream
    return [grads.get(x, 0.0) for x in inputs]


def _grad_as_values(output: Node, inputs: list[Node]) -> list:
    """``grad(output, inputs, create_graph=True)``: the walk, with every term a Value.

    Each node's local derivatives are re-derived as Values
    (``node.local_grad_values()``, the same rules run on Values), so the
    gradients are graphs that can be differentiated again.
    """
    make = type(output)  # constants of the output's own kind
    with enable_grad(), gc_paused():  # it builds a graph as big as the one it walks
        grads = {output: make(1.0)}
        for node in _walk(output):
            upstream = grads.get(node)
            if upstream is None:
                continue
            for parent, local in zip(node.parents, node.local_grad_values()):
                if hasattr(type(local), "parents"):
                    contribution = local * upstream
                elif local == 1.0:  # keep the graph free of "· 1" nodes
                    contribution = upstream
                elif local == -1.0:
                    contribution = -upstream
                else:
                    contribution = upstream * local
                previous = grads.get(parent)
                grads[parent] = contribution if previous is None else previous + contribution
    zero = make(0.0)
    results = [grads.get(x, zero) for x in inputs]
    names = display_names(topological_order(output))
    for x, g in zip(inputs, results):
        if g is not zero and not g.label:
            g.label = f"d{names[output]}/d{names[x]}"
    return results
