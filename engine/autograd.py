"""Reverse-mode differentiation: ordering the graph and walking it backwards.

``backward`` visits the nodes from the output back to the leaves, and at each
edge child -> parent adds ``local_grad · child.grad`` to the parent: the chain
rule. Every walk uses an explicit stack, so a graph a million nodes deep works
at the default recursion limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .collector import gc_paused
from .errors import describe
from .modes import ANOMALY, _mode, enable_grad
from .naming import display_names, format_number
from .value import Number, Value, _as_float

__all__ = ["topological_order", "backward", "backward_steps", "BackwardStep", "grad"]


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each after all of its parents (root last).

    >>> a = Value(1.0, label="a"); b = Value(2.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> [v.label for v in topological_order(c + a)]
    ['a', 'b', 'c', '']
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order needs a Value, got {type(root).__name__}")
    order: list[Value] = []
    seen: set[Value] = set()
    # Depth-first, post-order, with an explicit stack. A node is pushed back with
    # None above it before its inputs go on top; when the None comes off again,
    # everything above it is placed, so the node under it comes next. (No
    # per-node tuples or iterators: a walk allocates nothing per node.)
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append(node)
        stack.append(None)
        # Push the second input first, so that the first is visited first.
        if node._y is not None and node._y not in seen:
            stack.append(node._y)
        if node._x is not None and node._x not in seen:
            stack.append(node._x)
    return order


def _operations(root: Value, zero: float) -> list[Value]:
    """``topological_order(root)`` without the leaves, setting each node's ``.grad`` to ``zero``.

    The walk of ``backward``: ``topological_order``'s walk with two shortcuts.
    Leaves are reached but never visited: a leaf has no inputs to pass gradient
    on to (and dropping them keeps the others' order). And ``zero`` is a float
    object made for this one call, so a node whose ``.grad`` *is* it has been
    visited: no set is needed, and the same write resets the gradient to 0.
    """
    order: list[Value] = []
    stack: list[Value | None] = [root] if root._x is not None else []
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
            continue
        if node.grad is zero:
            continue
        node.grad = zero
        stack.append(node)
        stack.append(None)
        if node._dx is None:  # built by hand: any number of parents
            parents = reversed(node.parents)
            stack.extend(p for p in parents if p._x is not None and p.grad is not zero)
            continue
        y = node._y
        if y is not None and y._x is not None and y.grad is not zero:
            stack.append(y)
        x = node._x
        if x._x is not None and x.grad is not zero:
            stack.append(x)
    return order


def _seed(grad: Number) -> float:
    try:
        return _as_float(grad)
    except TypeError:
        raise TypeError(
            f"backward(grad=...) needs a number, got {type(grad).__name__}: {grad!r}"
        ) from None


def _raise_anomaly(node: Value, parent: Value, local: float, upstream: float) -> None:
    raise FloatingPointError(
        f"backward through {node.op} produced {local * upstream!r} for {describe(parent)}: "
        f"local gradient {local!r} times upstream gradient {upstream!r} "
        f"(from {describe(node)})"
    )


def backward(root: Value, grad: Number = 1.0) -> None:
    """Accumulate d root / d leaf into every leaf's ``.grad``; set every other node's.

    Leaves add to what they hold (as in PyTorch); every non-leaf's ``.grad``
    becomes the gradient of this call alone. A node reached along several
    paths gets the sum over all of them.
    """
    seed = _seed(grad)
    # Non-leaves hold this call's gradient, not a running sum: the walk zeroes them,
    # with a zero made for this call (the literal 0.0 is one object shared by all).
    order = _operations(root, zero=float("0"))
    root.grad += seed
    check = _mode.get() & ANOMALY
    # Each node has at most two inputs (see Value), so the edges are spelled out:
    # input x, then input y, the order backward_steps shows them in.
    for node in reversed(order):
        if node._dx is None:  # built by hand: its _backward closure is its chain rule
            node._backward()
            continue
        x = node._x
        upstream = node.grad
        contribution = node._dx * upstream
        if check and not math.isfinite(contribution):
            _raise_anomaly(node, x, node._dx, upstream)
        x.grad += contribution
        y = node._y
        if y is not None:
            contribution = node._dy * upstream
            if check and not math.isfinite(contribution):
                _raise_anomaly(node, y, node._dy, upstream)
            y.grad += contribution


@dataclass(frozen=True)
class BackwardStep:
    """One edge of the backward pass: ``parent.grad += local_grad · node.grad``."""

    node: Value  # the child, whose gradient is final when this step runs
    parent: Value
    local_grad: float  # ∂node/∂parent
    upstream: float  # d output / d node
    contribution: float  # local_grad · upstream
    parent_grad: float  # parent.grad after adding the contribution
    output: Value = field(repr=False)
    names: dict = field(repr=False, compare=False)
    index: int = field(repr=False)  # node.parents[index] is parent (a * a has two such edges)

    def __str__(self) -> str:
        """``dL/dw += dz/dw · dL/dz = 2.0000 · 0.5000 = 1.0000``: the edge's chain-rule term."""
        out, node, parent = (self.names[v] for v in (self.output, self.node, self.parent))
        numbers = (self.local_grad, self.upstream, self.contribution)
        local, upstream, contribution = map(format_number, numbers)
        return (
            f"d{out}/d{parent} += d{node}/d{parent} · d{out}/d{node} = "
            f"{local} · {upstream} = {contribution}"
        )


def backward_steps(root: Value, grad: Number = 1.0) -> Iterator[BackwardStep]:
    """``backward(root, grad)`` one edge at a time, yielding each step after applying it.

    The steps come in exactly the order ``backward`` uses, so exhausting the
    generator equals ``backward()``, and stopping halfway leaves the gradients
    exactly as far as the steps went.
    """
    seed = _seed(grad)

    def steps() -> Iterator[BackwardStep]:
        order = topological_order(root)
        names = display_names(order)
        for node in order:
            if not node.is_leaf:
                node.grad = 0.0
        root.grad += seed
        check = _mode.get() & ANOMALY
        for node in reversed(order):
            upstream = node.grad
            hand_built = not node.is_leaf and node._runs_a_closure()
            locals_ = node.local_grads
            before = [parent.grad for parent in node.parents]
            if hand_built:
                node._backward()
            for index, (parent, local) in enumerate(zip(node.parents, locals_)):
                contribution = local * upstream
                if check and not math.isfinite(contribution):
                    _raise_anomaly(node, parent, local, upstream)
                if hand_built:
                    contribution = parent.grad - before[index]
                else:
                    parent.grad += contribution
                yield BackwardStep(
                    node, parent, local, upstream, contribution, parent.grad, root, names, index
                )

    return steps()


def grad(output: Value, inputs: Value | Iterable[Value], create_graph: bool = False) -> list:
    """Gradients of ``output`` with respect to each of ``inputs``; no ``.grad`` is touched.

    With ``create_graph=True`` the gradients are Values wired into the graph,
    so they can be differentiated again (second derivatives, Hessians).
    An input ``output`` does not depend on has gradient 0.

    >>> x = Value(3.0, label="x")
    >>> y = x ** 3
    >>> grad(y, [x])                             # 3x² = 27
    [27.0]
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> grad(dy, [x])                            # 6x = 18
    [18.0]
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad needs a Value as output, got {type(output).__name__}")
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad inputs must be Values; inputs[{i}] is {type(x).__name__}")
    order = topological_order(output)
    if create_graph:
        with enable_grad(), gc_paused():  # it builds a graph as big as the one it walks
            grads = _gradient_graph(output, order)
        zero = Value(0.0)
        results = [grads.get(x, zero) for x in inputs]
        names = display_names(order)
        for x, g in zip(inputs, results):
            if g is not zero and not g.label:
                g.label = f"d{names[output]}/d{names[x]}"
        return results
    grads: dict[Value, float] = {output: 1.0}
    for node in reversed(order):
        upstream = grads[node]
        for parent, local in zip(node.parents, node.local_grads):
            grads[parent] = grads.get(parent, 0.0) + local * upstream
    return [grads.get(x, 0.0) for x in inputs]


def _gradient_graph(output: Value, order: list[Value]) -> dict[Value, Value]:
    """The backward pass built out of Values: each local derivative re-derived as a Value."""
    grads: dict[Value, Value] = {output: Value(1.0)}
    for node in reversed(order):
        parents = node.parents
        if not parents:
            continue
        upstream = grads[node]
        args = parents if node._constant is None else (*parents, node._constant)
        locals_ = node._primitive.derivative(node, *args)
        for parent, local in zip(parents, locals_):
            if isinstance(local, Value):
                contribution = local * upstream
            elif local == 1.0:  # keep the graph free of "· 1" nodes
                contribution = upstream
            elif local == -1.0:
                contribution = -upstream
            else:
                contribution = upstream * local
            previous = grads.get(parent)
            grads[parent] = contribution if previous is None else previous + contribution
    return grads
