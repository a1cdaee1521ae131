"""The fast path: what ``Value`` runs for its operators and for ``backward()``, written for speed.

Every function here has a plain counterpart, written to be read, that it is
tested equal to, bit for bit (tests/test_fast.py):

- each method made here (``x * y``, ``x.tanh()``) is ``value.apply`` of its op:
  the table's forward and derivative called directly, the new node's slots written
  in place, one straight path per shape of op (no lists, no ``*args``), and the op's
  functions held by the method itself rather than looked up at each call;
- ``walk`` is ``autograd._walk``; ``backward_pass`` is ``autograd.chain_rule_at`` at
  every node of the walk, written into one loop.

What makes them fast is that they read and write a ``Value``'s slots (``_x``, ``_y``
its inputs, ``_dx``, ``_dy`` the local derivatives) where the plain ones build
``.parents`` and ``.local_grads`` tuples, and that they are written out for nodes of
at most two inputs, which every op of the table is. The modes (``no_grad``,
``detect_anomaly``) leave the straight path for ``_finish_in_mode``.
benchmarks/README.md measures what each trick buys.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

from .autograd import _start
from .errors import anomaly_error, as_float, domain_error, overflow_error
from .modes import ANOMALY, NO_GRAD, _mode
from .ops import Op

__all__ = ["unary", "binary", "reflected", "with_constant", "either", "lift", "backward", "walk"]

_new = object.__new__


# -- the methods: one new node per call ------------------------------------------------


def unary(op: Op, kind: type) -> Callable:
    """The method ``x.name()`` of ``kind`` for a one-input ``op``."""
    forward, derivative, outside, mode = op.forward, op.derivative, op.outside_domain, _mode.get

    def method(x):
        a = x.data
        if outside is not None:
            problem = outside(a)
            if problem is not None:
                raise domain_error(problem, (x,))
        try:
            data = forward(a)
        except OverflowError:
            raise overflow_error(op.name, (x,)) from None
        out = _node(kind, data, None)
        if mode():
            return _finish_in_mode(out, op, (x,), None)
        out._primitive = op
        out._x = x
        out._y = out._dy = None
        (out._dx,) = derivative(data, a)
        return out

    return method


def binary(op: Op, kind: type) -> Callable:
    """The method ``x.name(y)`` (or ``x + y``) of ``kind`` for a two-input ``op``; a number
    ``y`` becomes a constant leaf."""
    forward, derivative, outside, mode = op.forward, op.derivative, op.outside_domain, _mode.get

    def method(x, y):
        if type(y) is not kind:
            y = lift(y, kind)
        a = x.data
        b = y.data
        if outside is not None:
            problem = outside(a, b)
            if problem is not None:
                raise domain_error(problem, (x, y))
        try:
            data = forward(a, b)
        except OverflowError:
            raise overflow_error(op.name, (x, y)) from None
        out = _node(kind, data, None)
        if mode():
            return _finish_in_mode(out, op, (x, y), None)
        out._primitive = op
        out._x = x
        out._y = y
        out._dx, out._dy = derivative(data, a, b)
        return out

    return method


def reflected(method: Callable, kind: type) -> Callable:
    """``y + x`` for a number ``y``, which Python asks of ``x`` as ``x.__radd__(y)``."""

    def reflected_method(x, y):
        return method(lift(y, kind), x)

    return reflected_method


def with_constant(op: Op, kind: type) -> Callable:
    """``op`` of a Value ``x`` and a plain number ``c`` (the 2 of ``x ** 2``): one parent."""
    forward, derivative, outside, mode = op.forward, op.derivative, op.outside_domain, _mode.get

    def node(x, c: float):
        a = x.data
        if outside is not None:
            problem = outside(a, c)
            if problem is not None:
                raise domain_error(problem, (x,), c)
        try:
            data = forward(a, c)
        except OverflowError:
            raise overflow_error(op.name, (x,), c) from None
        out = _node(kind, data, c)
        if mode():
            return _finish_in_mode(out, op, (x,), c)
        out._primitive = op
        out._x = x
        out._y = out._dy = None
        (out._dx,) = derivative(data, a, c)
        return out

    return node


def constant_method(op: Op, kind: type) -> Callable:
    """The method ``x.name(c)`` for an op with a constant: ``x.leaky_relu(0.1)``,
    ``x.leaky_relu(slope=0.1)``, ``x.leaky_relu()`` (its ``default``)."""
    node = with_constant(op, kind)
    signature = inspect.Signature(
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(
                op.constant, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=op.default
            ),
        ]
    )

    default = op.default

    def method(x, *args, **kwargs):
        if kwargs or len(args) > 1:  # x.leaky_relu(slope=0.1), or a mistake
            bound = signature.bind(x, *args, **kwargs)
            bound.apply_defaults()
            args = (bound.arguments[op.constant],)
        return node(x, as_float(args[0] if args else default))  # x.leaky_relu(): the default

    method.__signature__ = signature
    return method


def either(by_value: Callable, by_number: Callable, kind: type) -> Callable:
    """``x ** y``: one op for a Value ``y``, another for a plain number (``x ** 2``)."""

    def method(x, y):
        if isinstance(y, kind):
            return by_value(x, y)
        return by_number(x, as_float(y))

    return method


def lift(x: object, kind: type):
    """An operand as a node of ``kind``: nodes pass through, numbers become constant leaves.

    ``kind(x)``, minus the label check: this runs for every number in an expression.
    """
    if isinstance(x, kind):
        return x
    leaf = _node(kind, x if type(x) is float else as_float(x), None)
    leaf._primitive = leaf._x = leaf._y = leaf._dx = leaf._dy = None
    return leaf


def _node(kind: type, data: float, constant: float | None):
    """A new node of ``kind`` holding ``data``, gradient 0, no label; what made it comes next.

    ``kind(data)`` without ``__init__``'s checks: every op makes one, so it is written
    once, here; its other slots are the caller's to fill.
    """
    out = _new(kind)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._constant = constant
    return out


def _finish_in_mode(out, op: Op, inputs: tuple, constant: float | None):
    """Record ``out`` (data already set) as ``op`` of ``inputs``, honouring the active modes.

    In ``detect_anomaly`` a NaN or inf raises; in ``no_grad`` the node is a
    leaf (no op, no parents, no local gradients); otherwise it records ``op``,
    its inputs and the local derivative with respect to each.
    """
    mode = _mode.get()
    if mode & ANOMALY and not math.isfinite(out.data):
        operands = inputs if constant is None else (*inputs, constant)
        raise anomaly_error(op.symbol, out.data, operands)
    if mode & NO_GRAD:
        out._primitive = out._x = out._y = out._dx = out._dy = None
        return out
    xs = [x.data for x in inputs]
    if constant is not None:
        xs.append(constant)
    local_grads = op.derivative(out.data, *xs)
    out._primitive = op
    out._x = inputs[0]
    out._dx = local_grads[0]
    out._y = inputs[1] if len(inputs) == 2 else None
    out._dy = local_grads[1] if len(inputs) == 2 else None
    return out


# -- backward --------------------------------------------------------------------------


def backward(root, seed: float) -> None:
    """``autograd.backward(root, seed)`` for a Value: the walk, the resets, the seed, the pass."""
    backward_pass(_start(root, seed, walk))


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
