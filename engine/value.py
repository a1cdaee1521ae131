"""``Value``: one number in a computation, and the node that remembers how it was made.

Every operation on Values makes a new Value that records its parents (the
inputs, in order) and its *local* derivative with respect to each parent.
``backward()`` then multiplies these local derivatives along every path from
the output back to the leaves: the chain rule, one edge at a time.

>>> x = Value(2.0, label="x")
>>> y = x * x + 3
>>> y.backward()
>>> y.data, x.grad
(7.0, 4.0)
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import autograd, fast, ops
from .errors import describe
from .micrograd import HandBuilt, Micrograd, build_by_hand, label_argument, probe_local_grads
from .modes import ANOMALY, NO_GRAD, _mode, _tracing

if TYPE_CHECKING:
    from .autograd import BackwardStep

__all__ = ["Value"]

Number = int | float


def _as_float(data: object) -> float:
    """``data`` as a float, or TypeError if it is not a real number."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real) and not isinstance(data, Value):
        return float(data)  # int, bool, Fraction, numpy scalars
    raise TypeError(
        f"Value needs a real number (int, float, bool or numpy scalar), "
        f"got {type(data).__name__}: {data!r}"
    )


def _lift(x: object) -> Value:
    """An operand as a Value: Values pass through, numbers become constant leaves."""
    if isinstance(x, Value):
        return x
    # Value(x), minus the label check: this runs for every number in an expression.
    leaf = _new(Value)
    leaf.data = x if type(x) is float else _as_float(x)
    leaf.grad = 0.0
    leaf.label = ""
    leaf._primitive = leaf._x = leaf._y = leaf._dx = leaf._dy = leaf._constant = None
    return leaf


def _data(x: object) -> float:
    """The number behind an operand of a comparison."""
    return x.data if isinstance(x, Value) else _as_float(x)


# Applying an op. These run once per node of every graph, so each arity has
# its own straight path: operands as arguments (no lists, no *args), the
# table's forward and derivative called directly, and the node's slots written
# in place. The modes (no_grad, detect_anomaly) take the general path in
# _finish_in_mode, which is where to read what recording a node means.


def _unary(op: ops.Op, x: Value) -> Value:
    """``op(x)`` as a new node."""
    a = x.data
    if op.outside_domain is not None:
        _check(op, (x,), (a,))
    try:
        data = op.forward(a)
    except OverflowError:
        raise _overflow(op, (x,)) from None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._constant = None
    if _mode.get():
        return _finish_in_mode(out, op, (x,), None)
    out._primitive = op
    out._x = x
    out._y = out._dy = None
    (out._dx,) = op.derivative(data, a)
    return out


def _binary(op: ops.Op, x: Value, y: Value) -> Value:
    """``op(x, y)`` as a new node."""
    a = x.data
    b = y.data
    if op.outside_domain is not None:
        _check(op, (x, y), (a, b))
    try:
        data = op.forward(a, b)
    except OverflowError:
        raise _overflow(op, (x, y)) from None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._constant = None
    if _mode.get():
        return _finish_in_mode(out, op, (x, y), None)
    out._primitive = op
    out._x = x
    out._y = y
    out._dx, out._dy = op.derivative(data, a, b)
    return out


def _with_constant(op: ops.Op, x: Value, constant: float) -> Value:
    """``op(x, constant)`` as a new node whose one parent is ``x``."""
    a = x.data
    if op.outside_domain is not None:
        _check(op, (x,), (a, constant), constant)
    try:
        data = op.forward(a, constant)
    except OverflowError:
        raise _overflow(op, (x,), constant) from None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._constant = constant
    if _mode.get():
        return _finish_in_mode(out, op, (x,), constant)
    out._primitive = op
    out._x = x
    out._y = out._dy = None
    (out._dx,) = op.derivative(data, a, constant)
    return out


def _finish_in_mode(out: Value, op: ops.Op, inputs: tuple, constant: float | None) -> Value:
    """Record ``out`` (data already set) as ``op`` of ``inputs``, honouring the active modes.

    In ``detect_anomaly`` a NaN or inf raises; in ``no_grad`` the node is a
    leaf (no op, no parents, no local gradients); otherwise it records ``op``,
    its inputs and the local derivative with respect to each.
    """
    mode = _mode.get()
    if mode & ANOMALY and not math.isfinite(out.data):
        operands = [*inputs] if constant is None else [*inputs, constant]
        described = " and ".join(map(describe, operands))
        raise FloatingPointError(f"{op.symbol} produced {out.data!r} from {described}")
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


def _check(op: ops.Op, parents: tuple, xs: tuple, constant: float | None = None) -> None:
    """Raise the op's domain error if ``xs`` (the inputs' data) is outside its domain."""
    problem = op.outside_domain(*xs)
    if problem is not None:
        error, message = problem
        raise error(message.format(*map(describe, parents), constant))


def _overflow(op: ops.Op, parents: tuple, constant: float | None = None) -> OverflowError:
    inputs = ", ".join(map(describe, parents))
    extra = f" and {constant!r}" if constant is not None else ""
    return OverflowError(
        f"{op.name} of {inputs}{extra} overflows: the result is beyond the largest "
        f"float (~1.8e308); scale the input down"
    )


_new = object.__new__


class Value(Micrograd):
    """A scalar that records how it was computed, so its gradient can flow back.

    ``Value(data, label="")``: ``data`` is any real number (stored as a float);
    ``label`` names the node in graphs, chain rules and error messages.

    micrograd's constructor works too (engine/micrograd.py): ``Value(data,
    _children=(), _op="", label="")``. A string second argument is a label
    (``Value(2.0, "x")``); a tuple, list or set of Values builds a node by hand,
    whose ``_backward`` is whatever closure is assigned to it.

    >>> a = Value(3.0, label="a")
    >>> b = a.tanh()
    >>> b.op, b.parents == (a,), round(b.local_grads[0], 6)
    ('tanh', True, 0.009866)
    """

    # A node keeps its (at most two) inputs and their local gradients in slots of
    # its own rather than in two tuples, which would be two more objects per node
    # for memory and for the garbage collector to track. ``.parents`` and
    # ``.local_grads`` assemble the tuples when asked.
    #   _x, _y    the op's inputs, in order (None where the op has fewer)
    #   _dx, _dy  ∂self/∂x and ∂self/∂y, recorded during the forward pass
    #   _primitive  the table's Op, a HandBuilt record, or None for a leaf
    # ``__dict__`` holds what users add (``p.m``, micrograd's ``_backward`` closures);
    # no dict is made until one is set (benchmarks/README.md gives the node's size).
    __slots__ = (
        "data", "grad", "label", "_primitive", "_x", "_y", "_dx", "_dy", "_constant", "__dict__",
    )  # fmt: skip

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = "") -> None:
        if isinstance(_children, str):  # Value(2.0, "x"): the second argument is the label
            _children, label = (), label_argument(_children, label)
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
        self.data: float = _as_float(data)
        self.grad: float = 0.0
        self.label: str = label
        self._primitive: ops.Op | HandBuilt | None = None
        self._x: Value | None = None
        self._y: Value | None = None
        self._dx: float | None = None
        self._dy: float | None = None
        self._constant: float | None = None
        if _children or _op:
            build_by_hand(self, _children, _op)

    # -- the node -----------------------------------------------------------

    @property
    def op(self) -> str:
        """The operation that made this node ('+', '*', 'tanh', ...), '' for a leaf."""
        return self._primitive.symbol if self._primitive is not None else ""

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that made this node, in order."""
        x = self._x
        if x is None:
            return ()
        y = self._y
        if y is not None:
            return (x, y)
        # One input, or built by hand (which records its parents, however many).
        return self._primitive.parents if type(self._primitive) is HandBuilt else (x,)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂parent for each parent, recorded during the forward pass.

        A node whose ``_backward`` is a closure (built by hand, micrograd's way)
        recorded none: its local derivatives are what the closure adds to each
        parent's gradient for a unit gradient of this node. They are found by
        running it once on scratch gradients and putting every gradient back,
        so such a node draws and steps like any other.

        >>> x = Value(0.5, label="x")
        >>> out = Value(2 * x.data, (x,), "double")
        >>> def _backward():
        ...     x.grad += 2 * out.grad
        >>> out._backward = _backward
        >>> out.parents == (x,), out.local_grads, x.grad
        (True, (2.0,), 0.0)
        """
        if self._x is None:
            return ()
        if self._dx is None:  # it runs a closure
            return probe_local_grads(self)
        return (self._dx,) if self._y is None else (self._dx, self._dy)

    def local_grad_values(self) -> tuple[Value | float, ...]:
        """``local_grads`` as Values wired into the graph: the table's rules run on Values.

        What ``grad(..., create_graph=True)`` builds on, so that gradients can
        be differentiated again. A plain number stands for a constant factor.

        >>> x = Value(3.0, label="x")
        >>> (x * x).local_grad_values() == (x, x)   # d(x·x)/dx, one per edge, is x itself
        True
        """
        if self._x is None:
            return ()
        if self._runs_a_closure():
            raise TypeError(
                f"cannot differentiate twice through {describe(self)}, built by hand with "
                f"op {self.op!r}: its _backward is a closure, not a rule in engine's table "
                f"of ops; build it from Value's own methods to take higher derivatives"
            )
        inputs = self.parents if self._constant is None else (*self.parents, self._constant)
        return self._primitive.derivative(self, *inputs)

    @property
    def is_leaf(self) -> bool:
        """True for a node no recorded operation made: an input, weight or constant."""
        return self._x is None

    @property
    def constant(self) -> float | None:
        """The plain-number argument of the op, if it took one (the 2 of ``x ** 2``)."""
        return self._constant

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self._primitive is not None:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"

    # -- copying and pickling ---------------------------------------------------

    def __deepcopy__(self, memo: dict) -> Value:
        """``copy.deepcopy``: this node and the whole graph below it, copied without recursion.

        Nodes are copied parents first (``topological_order``), so a graph of
        any depth works; a node shared in the original is shared in the copy,
        and ``memo`` keeps nodes copied earlier in the same ``deepcopy`` call.
        The table's ops are immutable records: the copy refers to the same ones.
        """
        for node in autograd.topological_order(self):
            if id(node) in memo:
                continue
            if type(node._primitive) is HandBuilt or node._runs_a_closure():
                raise TypeError(
                    f"copy.deepcopy cannot copy {describe(node)}, made by {node.op!r} by hand: "
                    f"its _backward closure refers to the original nodes. Copy the numbers "
                    f"(Value(v.data)) and build the copy again"
                )
            twin = _new(Value)
            twin.data, twin.grad, twin.label = node.data, node.grad, node.label
            twin._primitive, twin._constant = node._primitive, node._constant
            twin._x = None if node._x is None else memo[id(node._x)]
            twin._y = None if node._y is None else memo[id(node._y)]
            twin._dx, twin._dy = node._dx, node._dy
            if node.__dict__:  # user attributes (p.m, ...)
                twin.__dict__.update(copy.deepcopy(node.__dict__, memo))
            memo[id(node)] = twin
        return memo[id(self)]

    def __reduce_ex__(self, protocol: int):
        """Pickling: a leaf pickles (data, grad, label, user attributes); a computed node refuses.

        A computed node's graph holds the engine's derivative rules (functions
        that do not pickle) and, pickled alone, would lose its identity with
        the leaves it was computed from.
        """
        if self._x is not None:
            raise TypeError(
                f"cannot pickle {describe(self)}, computed by {self.op!r}: a computed Value "
                f"carries its graph. Pickle its number (v.data) or a leaf "
                f"(Value(v.data, label=v.label)); for a model, save its parameters "
                f"(Module.save, state_dict); copy.deepcopy copies whole graphs"
            )
        return super().__reduce_ex__(protocol)

    def __format__(self, spec: str) -> str:
        """Format the data: ``f"{v:.3f}"``."""
        return format(self.data, spec) if spec else repr(self)

    # -- arithmetic (each operator is its own primitive, so graphs show what was typed)

    def __add__(self, other: Value | Number) -> Value:
        return _binary(ops.ADD, self, other if type(other) is Value else _lift(other))

    def __radd__(self, other: Number) -> Value:
        return _binary(ops.ADD, _lift(other), self)

    def __sub__(self, other: Value | Number) -> Value:
        return _binary(ops.SUB, self, other if type(other) is Value else _lift(other))

    def __rsub__(self, other: Number) -> Value:
        return _binary(ops.SUB, _lift(other), self)

    def __mul__(self, other: Value | Number) -> Value:
        return _binary(ops.MUL, self, other if type(other) is Value else _lift(other))

    def __rmul__(self, other: Number) -> Value:
        return _binary(ops.MUL, _lift(other), self)

    def __truediv__(self, other: Value | Number) -> Value:
        return _binary(ops.DIV, self, other if type(other) is Value else _lift(other))

    def __rtruediv__(self, other: Number) -> Value:
        return _binary(ops.DIV, _lift(other), self)

    def __pow__(self, exponent: Value | Number) -> Value:
        if isinstance(exponent, Value):
            return _binary(ops.POW, self, exponent)
        return _with_constant(ops.POW_CONST, self, _as_float(exponent))

    def __rpow__(self, base: Number) -> Value:
        return _binary(ops.POW, _lift(base), self)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(ops.ABS, self)

    # -- comparisons look at the data; equality stays identity ----------------
    # While engine.compile traces fn (in this thread or task only), each of them asks
    # the trace's refusal instead, which raises TraceError: a branch taken on one
    # example's data cannot be compiled (see engine.compiler.trace).

    def __lt__(self, other: Value | Number) -> bool:
        refuse = _tracing.get()
        if refuse is not None:
            refuse(self, "<", other)
        return self.data < _data(other)

    def __le__(self, other: Value | Number) -> bool:
        refuse = _tracing.get()
        if refuse is not None:
            refuse(self, "<=", other)
        return self.data <= _data(other)

    def __gt__(self, other: Value | Number) -> bool:
        refuse = _tracing.get()
        if refuse is not None:
            refuse(self, ">", other)
        return self.data > _data(other)

    def __ge__(self, other: Value | Number) -> bool:
        refuse = _tracing.get()
        if refuse is not None:
            refuse(self, ">=", other)
        return self.data >= _data(other)

    def __eq__(self, other: object) -> bool:
        """Identity, as for any object: ``a == b`` is ``a is b`` (compare ``.data`` for numbers)."""
        refuse = _tracing.get()
        if refuse is not None and isinstance(other, (Value, numbers.Real)):
            refuse(self, "==", other)
        return True if self is other else NotImplemented

    def __ne__(self, other: object) -> bool:
        refuse = _tracing.get()
        if refuse is not None and isinstance(other, (Value, numbers.Real)):
            refuse(self, "!=", other)
        return False if self is other else NotImplemented

    __hash__ = object.__hash__  # by identity, so Values key dicts and sets as nodes

    def __bool__(self) -> bool:
        """True, as for any object; ``if value:`` while tracing raises TraceError."""
        refuse = _tracing.get()
        if refuse is not None:
            refuse(self, "bool", None)
        return True

    # -- functions ----------------------------------------------------------

    def exp(self) -> Value:
        """e ** self; the local derivative is the output itself."""
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; defined for positive data only."""
        return _unary(ops.LOG, self)

    def sqrt(self) -> Value:
        """Square root; defined for data >= 0."""
        return _unary(ops.SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent, in (-1, 1); local derivative 1 - tanh²."""
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), in (0, 1), computed without overflow; local derivative σ(1 - σ)."""
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(0, x); its slope at 0 is taken as 0, as in PyTorch."""
        return _unary(ops.RELU, self)

    def leaky_relu(self, slope: Number = 0.01) -> Value:
        """x for x > 0, else slope · x."""
        return _with_constant(ops.LEAKY_RELU, self, _as_float(slope))

    def softplus(self) -> Value:
        """log(1 + e^x), a smooth relu, computed without overflow; local derivative σ(x)."""
        return _unary(ops.SOFTPLUS, self)

    def maximum(self, other: Value | Number) -> Value:
        """The larger of self and other (NaN if either is NaN), as ``torch.maximum``.

        The gradient goes to the larger input; at a tie each gets half of it.

        >>> a, b = Value(2.0), Value(2.0)
        >>> m = a.maximum(b)
        >>> m.backward()
        >>> m.data, a.grad, b.grad
        (2.0, 0.5, 0.5)
        """
        return _binary(ops.MAXIMUM, self, other if type(other) is Value else _lift(other))

    def sin(self) -> Value:
        """Sine (radians)."""
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _unary(ops.COS, self)

    # -- gradients ----------------------------------------------------------

    # backward's fast path (engine/fast.py): the same walk and sums, read from the slots
    _fast_backward = staticmethod(fast.backward)

    def backward(self, grad: Number = 1.0) -> None:
        """Fill in ``.grad`` of every node this one depends on (d self / d node).

        Leaves accumulate (``+=``) across calls, as in PyTorch, so zero them
        between training steps; every other node holds this call's gradient.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); y.backward()
        >>> x.grad      # 6.0 twice: leaves accumulate
        12.0
        """
        autograd.backward(self, grad)

    def backward_steps(self, grad: Number = 1.0) -> Iterator[BackwardStep]:
        """``backward()`` one edge at a time: yields a ``BackwardStep`` after applying each.

        >>> w = Value(2.0, label="w"); x = Value(0.5, label="x")
        >>> L = w * x; L.label = "L"
        >>> for step in L.backward_steps():
        ...     print(step)
        dL/dw += ∂L/∂w · dL/dL = 0.5000 · 1.0000 = 0.5000
        dL/dx += ∂L/∂x · dL/dL = 2.0000 · 1.0000 = 2.0000
        """
        return autograd.backward_steps(self, grad)


# A node has slots for two inputs (_x, _y): every primitive in the table must fit.
assert all(op.arity <= 2 for op in ops.OPS), "an op with more inputs needs more slots in Value"
