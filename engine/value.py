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

Each operator and method (``x * y``, ``x.tanh()``) is an op of the table in
engine/ops.py, and ``apply`` below is what each of them does; ``register`` gives
Value the method an op's entry names.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from . import autograd, fast, ops
from .errors import anomaly_error, as_float, describe, domain_error, overflow_error
from .micrograd import HandBuilt, Micrograd, build_by_hand, label_argument, probe_local_grads
from .modes import ANOMALY, NO_GRAD, _mode, _tracing

if TYPE_CHECKING:
    from .autograd import BackwardStep

__all__ = ["Value", "apply", "register"]

Number = int | float


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
    #   _constant   the op's plain-number argument (the 2 of x ** 2), if any
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
        self.data: float = as_float(data)
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
        parent's gradient for a unit gradient of this node, found by running it
        once on scratch gradients, so that such a node draws and steps like any other.

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

    def __format__(self, spec: str) -> str:
        """Format the data: ``f"{v:.3f}"``."""
        return format(self.data, spec) if spec else repr(self)

    # -- gradients ----------------------------------------------------------

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

    # backward's fast path (engine/fast.py): the same walk and sums, read from the slots
    _fast_backward = staticmethod(fast.backward)

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

    # -- the operators and functions ------------------------------------------
    # Every one (+ - * / ** -x abs, exp log tanh ...) is an op of the table, and
    # ``register`` (below) gives Value its method: ``x * y`` is ``apply(ops.MUL, x, y)``.
    # Each is its own primitive, so a drawn graph shows what was written.

    def __pos__(self) -> Value:
        return self

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
            twin = object.__new__(Value)
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


def _data(x: object) -> float:
    """The number behind an operand of a comparison."""
    return x.data if isinstance(x, Value) else as_float(x)


# -- applying an op ------------------------------------------------------------------


def apply(op: ops.Op, *args: Value | Number) -> Value:
    """``op`` of ``args`` as a new node: what each operator and method of ``Value`` does.

    ``args`` are the op's inputs (Values, or numbers, which become constant
    leaves), then its constant if it takes one (the 2 of ``x ** 2``). The op's
    ``forward`` gives the node's data; its ``derivative`` gives, now, during the
    forward pass, the local derivative with respect to each input, which
    ``backward`` multiplies later. Outside the op's domain it raises, naming the
    inputs; under ``no_grad`` the node records nothing; under ``detect_anomaly`` a
    NaN or inf raises. (The methods run engine/fast.py's equivalent.)

    >>> x = Value(3.0, label="x")
    >>> y = apply(ops.MUL, x, 2)
    >>> y.data, y.op, y.local_grads
    (6.0, '*', (2.0, 3.0))
    """
    inputs = tuple(a if isinstance(a, Value) else Value(a) for a in args[: op.arity])
    constant = as_float(args[op.arity]) if op.has_constant else None
    xs = [x.data for x in inputs] + ([constant] if op.has_constant else [])
    problem = op.outside_domain(*xs) if op.outside_domain is not None else None
    if problem is not None:
        raise domain_error(problem, inputs, constant)
    try:
        data = op.forward(*xs)
    except OverflowError:
        raise overflow_error(op.name, inputs, constant) from None
    out = Value(data)
    out._constant = constant
    mode = _mode.get()
    if mode & ANOMALY and not math.isfinite(data):
        raise anomaly_error(op.symbol, data, inputs if constant is None else (*inputs, constant))
    if mode & NO_GRAD:
        return out  # a leaf: no parents, no local derivatives
    local_grads = op.derivative(data, *xs)
    out._primitive = op
    out._x, out._dx = inputs[0], local_grads[0]
    if op.arity == 2:
        out._y, out._dy = inputs[1], local_grads[1]
    return out


# -- Value's methods come from the table -------------------------------------------


def register(op: ops.Op) -> ops.Op | None:
    """Make ``op`` one of Value's ops: an entry of the table, and the method it names.

    An op with the name of one already in the table replaces it (entry and
    method); the op it replaced is returned, so that registering that one again
    puts everything back. Each method holds its op, so a changed rule reaches
    Value only by registering it.

    >>> cube = ops.Op("toycube", "toycube", 1, lambda x: x**3, lambda out, x: (3 * x * x,),
    ...               ("3·x²",), syntax="toycube({0})", method="toycube")
    >>> register(cube) is None
    True
    >>> Value(2.0).toycube().local_grads
    (12.0,)
    >>> _ = unregister("toycube")
    """
    if op.arity > 2:
        raise ValueError(f"op {op.name!r} takes {op.arity} inputs; a Value node holds two")
    if hasattr(Value, op.method) and op.method not in _GIVEN:
        raise ValueError(
            f"op {op.name!r} cannot have the method {op.method!r}: Value has its own "
            f"{op.method!r}, which no op of the table gives it"
        )
    for known in ops.OPS:
        if known.method == op.method and known.name != op.name:
            if known.has_constant == op.has_constant:  # (x ** y and x ** 2 share __pow__)
                raise ValueError(
                    f"op {op.name!r} cannot have the method {op.method!r}: op {known.name!r} has it"
                )
    replaced = _entry(op.name)
    if replaced is None:
        ops.OPS = (*ops.OPS, op)
    else:
        ops.OPS = tuple(op if known is replaced else known for known in ops.OPS)
    _give_method(op.method)
    if replaced is not None and replaced.method != op.method:
        _give_method(replaced.method)
    return replaced


def unregister(name: str) -> ops.Op:
    """Take the op called ``name`` out of the table, and its method off Value; return it."""
    removed = _entry(name)
    if removed is None:
        raise KeyError(f"no op is called {name!r}")
    ops.OPS = tuple(known for known in ops.OPS if known is not removed)
    _give_method(removed.method)
    return removed


def _entry(name: str) -> ops.Op | None:
    return next((known for known in ops.OPS if known.name == name), None)


def _give_method(name: str) -> None:
    """Value's method ``name`` (and its reflection, ``__radd__`` for ``__add__``), made from
    the op(s) of the table that name it; none left: the method goes."""
    named = [op for op in ops.OPS if op.method == name]
    by_value = next((op for op in named if not op.has_constant), None)
    by_number = next((op for op in named if op.has_constant), None)
    reflection = f"__r{name[2:]}" if name.startswith("__") else None
    method = reflected = None
    if by_value is not None:
        method = (fast.unary if by_value.arity == 1 else fast.binary)(by_value, Value)
        if reflection is not None and by_value.arity == 2:
            reflected = fast.reflected(method, Value)
    if by_number is not None and method is None:  # x.leaky_relu(0.1): the constant named
        method = fast.constant_method(by_number, Value)
    elif by_number is not None:  # x ** y: a Value y, or a number (checked by either)
        method = fast.either(method, fast.with_constant(by_number, Value), Value)
    _set_method(name, method, named)
    if reflection is not None:
        _set_method(reflection, reflected, [by_value] if reflected else [])


_GIVEN: set[str] = set()  # the names of the methods the table gave Value


def _set_method(name: str, method: Callable | None, named: list[ops.Op]) -> None:
    if method is None:
        if name in _GIVEN:
            delattr(Value, name)
            _GIVEN.discard(name)
        return
    _GIVEN.add(name)
    method.__name__ = name
    method.__qualname__ = f"Value.{name}"
    method.__doc__ = "\n".join(map(_doc, named))
    setattr(Value, name, method)


def _doc(op: ops.Op) -> str:
    """A method's docstring, from its op's entry: what it computes, its local derivatives."""
    names = ["x", "y"][: op.arity] + ([op.constant] if op.has_constant else [])
    where = "".join(f" {_sentence(e.message.partition(': ')[2])}." for e in op.domain)
    return (
        f"{op.syntax.format(*names)} as a new node (op {op.name!r}); its local derivatives, "
        f"as the table writes them: {', '.join(op.formulas)}.{where}"
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


for _op in ops.OPS:
    _give_method(_op.method)
del _op
