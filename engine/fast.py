"""The fast path: what ``Value`` runs for ``backward()``, written for speed.

Every function here has a plain counterpart, written to be read, that it is
tested equal to, bit for bit (tests/test_fast.py): the walk is
``autograd._walk``, the pass is ``autograd.chain_rule_at`` at every node. What
makes these fast is that they read a ``Value``'s slots (``_x``, ``_y`` its
inputs, ``_dx``, ``_dy`` the local derivatives) where the plain ones ask for
``.parents`` and ``.local_grads`` tuples, and that they are written out for
nodes of at most two inputs, which every op of the table is.
benchmarks/README.md measures what each trick buys.
"""

from __future__ import annotations

__all__ = ["backward", "walk", "backward_pass"]


def backward(root, seed: float) -> None:
    """``autograd.backward(root, seed)`` for a Value: the walk, the resets, the seed, the pass."""
    nodes = walk(root)
    for node in nodes:
        node.grad = 0.0  # non-leaves hold this call's gradient, not a running sum
    root.grad += seed
    backward_pass(nodes)


def walk(root) -> list:
    """``autograd._walk(root)``, read straight from the slots: output first, leaves left out.

    The same depth-first walk, in the same order, each node after every node it
    feeds into. Where the plain walk keeps a set of the nodes it has reached,
    this one marks them: it sets their ``.grad``, which backward resets right
    after the walk anyway, to an object made for this call. Together about twice
    as fast as the plain walk.
    """
    reached = object()  # new on every call, so no mark an earlier walk left counts
    order: list = []
    stack: list = [root] if root._x is not None else []
    try:
        while stack:
            node = stack.pop()
            if node is None:  # all it feeds into is done
                order.append(stack.pop())
                continue
            if node.grad is reached:
                continue
            node.grad = reached
            stack.append(node)
            stack.append(None)
            if node._dx is None:  # runs a closure: no recorded local gradients, any parents
                stack += [p for p in node.parents[::-1] if p._x is not None]
                continue
            y = node._y
            if y is not None and y._x is not None and y.grad is not reached:
                stack.append(y)
            x = node._x
            if x._x is not None and x.grad is not reached:
                stack.append(x)
    except BaseException:  # interrupted (Ctrl-C, out of memory): leave numbers, not marks
        for node in order + stack:
            if node is not None:
                node.grad = 0.0
        raise
    order.reverse()
    return order


def backward_pass(nodes: list) -> None:
    """The chain rule at each node of the walk, ``autograd.chain_rule_at``, written into the loop.

    The edge x -> node adds ``∂node/∂x · node.grad`` to ``x.grad``, then the
    same for y, without a generator or a method call per node. A node that runs a
    closure (micrograd's way) runs it.
    """
    for node in nodes:
        local = node._dx
        if local is None:  # runs a closure
            node._backward()
            continue
        upstream = node.grad
        node._x.grad += local * upstream
        y = node._y
        if y is not None:
            y.grad += node._dy * upstream
