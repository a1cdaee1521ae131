"""Tracing: run a function once on Values and keep the graph it built, as a plain record.

``trace(fn, example, state)`` makes every number of ``example`` a leaf Value,
calls ``fn`` on them, and walks back from the result along the nodes' recorded
op (``_primitive``), inputs and constant, which are all the table needs. The
result is a ``Graph``: one ``Node`` per Value in topological order, each naming
its op and its inputs by position, so it can be compared with the trace of
another example and turned into code.

Tracing is honest about what a trace can hold. Comparing Values inside ``fn``
(``if x > 0``, ``max(a, b)``, ``t == 1``) or indexing a list with one would fix
one branch for every example, so while tracing it raises ``TraceError`` (in the
tracing thread only: a context variable says a trace is running, nothing is
patched):

>>> from engine import Value
>>> def step(x):
...     return x * 2 if x > 0 else -x
>>> trace(step, (1.5,))
Traceback (most recent call last):
...
engine.compiler.trace.TraceError: x > 0 compares a Value while tracing ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..modes import _tracing, enable_grad
from ..naming import printable
from ..ops import OPS, Op
from ..value import Value
from .symbols import FLOAT_FUNCTIONS

__all__ = [
    "TraceError",
    "Input",
    "State",
    "Constant",
    "Operation",
    "Node",
    "Graph",
    "trace",
    "example_arguments",
]


class TraceError(TypeError):
    """A function that cannot be traced once and run on every example."""


# ---------------------------------------------------------------------------
# The records: a traced program is a small typed data structure that prints itself.


@dataclass(frozen=True, slots=True)
class Input:
    """A number of the example: argument ``arg``, at ``position`` in it (None: it is a number)."""

    arg: int
    position: int | None
    label: str = ""
    data: float = 0.0  # its value in the traced example

    kind = "input"
    parents = ()
    batched = True  # differs per example

    def signature(self) -> tuple:
        """What must agree between two traces of the same program."""
        return ("input", self.arg, self.position)


@dataclass(frozen=True, slots=True)
class State:
    """A Value that existed before the trace and is read at every call: ``Graph.state[index]``."""

    index: int
    label: str = ""
    data: float = 0.0

    kind = "state"
    parents = ()
    batched = False

    def signature(self) -> tuple:
        return ("state", self.index)


@dataclass(frozen=True, slots=True)
class Constant:
    """Any other leaf: its number is written into the code."""

    data: float
    label: str = ""

    kind = "constant"
    parents = ()
    batched = False

    def signature(self) -> tuple:
        return ("constant", repr(self.data))  # repr: a nan equals a nan, -0.0 is not 0.0


@dataclass(frozen=True, slots=True)
class Operation:
    """``op`` applied to ``parents`` (positions of earlier nodes), then its ``constant``."""

    op: Op
    parents: tuple[int, ...]
    constant: float | None
    batched: bool  # depends on an input, so differs per example
    label: str = ""
    data: float = 0.0

    kind = "operation"

    def signature(self) -> tuple:
        return (self.op, self.parents, self.constant)


#: One Value of a traced graph.
Node = Input | State | Constant | Operation


@dataclass
class Graph:
    """A traced program: nodes in topological order, its outputs, its state leaves.

    It prints as a listing, one equation per operation, as a jaxpr does: ``p0``
    is ``state[0]``, an input is named for fn's argument, ``v7`` is node 7.
    """

    nodes: list[Node]
    outputs: list[int]  # positions of the output nodes, in the order fn returned them
    single: bool  # fn returned one Value (not a list of them)
    shapes: tuple[int | None, ...]  # per argument: None for a number, else its length
    state: list[Value] = field(default_factory=list)  # leaves read at every call
    arg_names: list[str] = field(default_factory=list)  # what generated code calls each argument

    def signature(self) -> tuple:
        return (
            tuple(n.signature() for n in self.nodes),
            tuple(self.outputs),
            self.single,
            self.shapes,
        )

    def consumers(self) -> list[list[int]]:
        """For each node, the nodes that take it as an input (once per use)."""
        users: list[list[int]] = [[] for _ in self.nodes]
        for i, node in enumerate(self.nodes):
            for p in node.parents:
                users[p].append(i)
        return users

    def name(self, i: int) -> str:
        """Node ``i`` as the listing writes it."""
        node = self.nodes[i]
        if isinstance(node, Operation):
            return f"v{i}"
        if isinstance(node, State):
            return f"p{node.index}"
        if isinstance(node, Input):
            arg = self.arg_names[node.arg] if node.arg < len(self.arg_names) else f"a{node.arg}"
            return arg if node.position is None else f"{arg}[{node.position}]"
        return repr(node.data)

    def __str__(self) -> str:
        inputs = ", ".join(
            name if shape is None else f"{name}[{shape}]"
            for name, shape in zip(self.arg_names, self.shapes)
        )
        lines = [f"{{ lambda {', '.join(f'p{k}' for k in range(len(self.state)))} ; {inputs} ."]
        for i, node in enumerate(self.nodes):
            if isinstance(node, Operation):
                args = [self.name(p) for p in node.parents]
                args += [] if node.constant is None else [repr(node.constant)]
                lines.append(f"    v{i} = {node.op.name} {' '.join(args)}")
        outputs = ", ".join(self.name(o) for o in self.outputs)
        lines.append(f"  in {outputs if self.single else f'({outputs})'} }}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Comparisons while tracing.


def _name(x: object) -> str:
    if isinstance(x, Value):
        return printable(x.label) or "x"
    return repr(x)


def _refuse(value: Value, symbol: str, other: object) -> None:
    """What comparing ``value`` does while fn is traced: raise TraceError naming the comparison.

    Value's comparisons and truth call this while ``_refusing_comparisons`` is active in
    the running thread or task (``engine.modes._tracing``); anywhere else they compare.
    """
    if symbol == "bool":
        raise TraceError(
            f"the truth of a Value ({_name(value)}) was asked while tracing (engine.compile): "
            f"'if value:' would pick one branch for every example; compare plain numbers "
            f"(value.data) only where the answer is the same for every example"
        )
    comparison = f"{_name(value)} {symbol} {_name(other)}"
    if symbol in ("==", "!="):
        raise TraceError(
            f"{comparison} compares a Value while tracing (engine.compile): the compiled code "
            f"runs one program for every example, so it cannot take a branch chosen by one "
            f"example's data (such as '1.0 if t == 1 else -1.0'). Write the choice as "
            f"arithmetic on the Value (for t in {{0, 1}}: 2 * t - 1), or run fn eagerly. "
            f"Outside a trace == between Values is identity, never their numbers"
        )
    raise TraceError(
        f"{comparison} compares a Value while tracing "
        f"(engine.compile): the compiled code runs one program for every example, so it "
        f"cannot take a branch chosen by one example's data. Write the choice with an op "
        f"that keeps both sides: relu(x), abs(x), leaky_relu(x) instead of "
        f"'x if x > 0 else ...', or compare plain numbers (x.data) only where the "
        f"branch is the same for every example (validate checks that)."
    )


@contextmanager
def _refusing_comparisons() -> Iterator[None]:
    """While active (in this thread or task only), comparing Values raises TraceError."""
    token = _tracing.set(_refuse)
    try:
        yield
    finally:
        _tracing.reset(token)


# An index that is a Value (a list[t] in fn), as CPython words the TypeError.
_VALUE_INDEX = re.compile(r"indices must be integers or slices, not Value$")


def _call(fn: Callable, args: list) -> object:
    """``fn(*args)`` with the graph recorded and comparisons of Values refused."""
    with enable_grad(), _refusing_comparisons():
        try:
            return fn(*args)
        except TypeError as error:
            if isinstance(error, TraceError) or not _VALUE_INDEX.search(str(error)):
                raise
            raise TraceError(
                f"fn used a Value as an index while tracing (engine.compile): {error}. Which "
                f"element to take would be chosen by one example's data, and the compiled code "
                f"runs one program for every example. Write the choice as a sum over the "
                f"elements with a one-hot row (Σ q[c] · x[c], nn.losses.one_hot), or run fn "
                f"eagerly"
            ) from error


# ---------------------------------------------------------------------------
# The trace.


def _leaves(example: Sequence, arg_labels: Sequence[str]) -> tuple[list, list[Value], tuple]:
    """Leaf Values for every number of ``example``: (fn's arguments, the leaves, shapes)."""
    args, leaves, shapes = [], [], []
    for k, value in enumerate(example):
        name = arg_labels[k] if k < len(arg_labels) else f"a{k}"
        if isinstance(value, Value):
            raise TypeError(
                f"compile's example holds numbers, not Values (argument {k} is {value!r}); "
                f"pass plain numbers, e.g. (x.data,)"
            )
        if isinstance(value, (int, float)) or _is_scalar(value):
            leaf = Value(float(value), label=name)
            args.append(leaf)
            leaves.append(leaf)
            shapes.append(None)
            continue
        try:
            items = [float(v) for v in value]
        except TypeError:
            raise TypeError(
                f"compile's example: argument {k} must be a number or a list of numbers, "
                f"got {type(value).__name__}: {value!r}"
            ) from None
        row = [Value(v, label=f"{name}[{j}]") for j, v in enumerate(items)]
        args.append(row)
        leaves.extend(row)
        shapes.append(len(row))
    return args, leaves, tuple(shapes)


def _is_scalar(value: object) -> bool:
    """A 0-d number that is not a Python int/float: numpy scalars, 0-d arrays."""
    return getattr(value, "shape", None) == () or (
        hasattr(value, "__float__") and not hasattr(value, "__len__")
    )


def example_arguments(batch: Sequence, i: int, shapes: tuple) -> tuple:
    """Example ``i`` of a batch (lists or arrays, batch first) as plain Python numbers."""
    example = []
    for arg, shape in zip(batch, shapes):
        if shape is None:
            example.append(float(arg[i]))
        elif hasattr(arg, "shape"):  # an array: index both axes (the Array API wants that)
            example.append([float(arg[i, j]) for j in range(shape)])
        else:
            example.append([float(v) for v in arg[i]])
    return tuple(example)


def _outputs(result: object) -> tuple[list[Value], bool]:
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, (list, tuple)) and result and all(isinstance(v, Value) for v in result):
        return list(result), False
    raise TraceError(
        f"compile: fn must return a Value or a list of Values, got {type(result).__name__}: "
        f"{result!r:.80}"
    )


def trace(
    fn: Callable,
    example: Sequence,
    state: Sequence[Value] | None = None,
    arg_labels: Sequence[str] = (),
) -> Graph:
    """Run ``fn`` on ``example`` (numbers made leaf Values) and record the graph it built.

    ``state``: the Values to read at every call (parameters), each a leaf of the
    graph even if it was computed (its ``.data`` is what eager ops read too); any
    other Value that existed before the trace is a constant, baked in with the
    value it has now. With None, the state is every Value that existed before fn
    ran (found by running fn twice: they are the same objects both times, where
    whatever fn makes is new), so a forward pass reads its weights at every call.

    >>> from engine import Value
    >>> w = Value(3.0, label="w")
    >>> g = trace(lambda x: (w * x).tanh(), (0.5,), state=[w])
    >>> print(g)
    { lambda p0 ; x .
        v2 = mul p0 x
        v3 = tanh v2
      in v3 }
    >>> g.nodes[:2]
    [State(index=0, label='w', data=3.0), Input(arg=0, position=None, label='x', data=0.5)]
    """
    if not isinstance(example, (tuple, list)):
        raise TypeError(
            f"compile's example is a tuple of fn's arguments, got {type(example).__name__}; "
            f"for one argument write (x,)"
        )
    names = list(arg_labels or _parameter_names(fn))
    args, leaves, shapes = _leaves(example, names)
    outputs, single = _outputs(_call(fn, args))
    if state is None:
        state = _existing(fn, example, names, outputs)
    graph = _record(outputs, single, leaves, shapes, state)
    graph.arg_names = _variables(names, len(shapes))
    return graph


# Names generated code uses for its own variables and functions: an argument must not
# take one, nor a function the float code calls by name (a define_op written with math).
# The array code's vectors: z1, h2 (layers), s3, m4 (sums, maxima), g_z1, g_s3, W_z1, x_T.
_GENERATED = re.compile(r"[A-Za-z]+\d+|\w*_[zhx]\d+|g_[sm]\d+|e\d+|a\d+|\w+_T")
_CODE_NAMES = {"xp", "theta", "n", "scale", "loss", "grads", "zeros", "total", "results"}
_CODE_NAMES |= {"run", "math", "isfinite", "require_finite", "fail", "zip", "float", "_"}
_CODE_NAMES |= {"__debug__", "max_slopes"}
_CODE_NAMES |= {name for name in FLOAT_FUNCTIONS.values() if name.isidentifier()}  # abs, max
_RESERVED = _CODE_NAMES | {op.name for op in OPS}  # float code calls some ops' forwards by name


def taken_by_code(name: str) -> bool:
    """Whether generated code gives ``name`` to one of its own variables or functions."""
    return name in _CODE_NAMES or _GENERATED.fullmatch(name) is not None


def _variables(names: Sequence[str], count: int) -> list[str]:
    """Variable names for the ``count`` arguments of generated code, all different:
    fn's own where they are safe, else with ``_`` added (``n_`` for ``n``), else ``a{k}``.

    >>> _variables(["x", "n", "n_", "zip", "v3", "lambda"], 6)
    ['x', 'n__', 'n_', 'zip_', 'a4', 'a5']
    """
    import keyword
    import unicodedata

    # Python reads identifiers in NFKC form: compare names the way it will.
    own = [unicodedata.normalize("NFKC", name) for name in names[:count]]
    own += [""] * (count - len(own))
    taken = set(own)
    chosen = []
    for k, name in enumerate(own):
        if not name.isidentifier() or keyword.iskeyword(name) or _GENERATED.fullmatch(name):
            name = f"a{k}"  # no name of fn's matches a{k}: they all went this way
        elif name in _RESERVED or name in chosen:
            name += "_"
            while name in _RESERVED or name in taken:
                name += "_"
        taken.add(name)
        chosen.append(name)
    return chosen


def trace_signature(fn: Callable, example: Sequence, state: Sequence[Value], names) -> tuple:
    """(``trace(fn, example, state).signature()``, the outputs' data), without a Graph."""
    args, leaves, shapes = _leaves(example, names)
    outputs, single = _outputs(_call(fn, args))
    known = {v: record.signature() for v, record in _leaf_records(leaves, shapes, state).items()}
    index: dict[Value, int] = {}
    signature = []
    for v in _topological(outputs, known):
        if v._x is None or v in known:
            signature.append(known.get(v) or Constant(v.data).signature())
        else:
            op, parents = _operation(v, index)
            signature.append((op, parents, v._constant))
        index[v] = len(signature) - 1
    shape = (tuple(signature), tuple(index[v] for v in outputs), single, shapes)
    return shape, [v.data for v in outputs]


def _leaf_records(leaves: list[Value], shapes: tuple, state: Sequence[Value]) -> dict:
    """The example's leaves as Inputs and the state Values as States (a Value listed twice:
    its first place)."""
    records: dict[Value, Node] = {}
    for i, v in enumerate(state):
        records.setdefault(v, State(i, v.label, v.data))
    numbers = iter(leaves)
    for k, shape in enumerate(shapes):
        for j in [None] if shape is None else range(shape):
            leaf = next(numbers)
            records[leaf] = Input(k, j, leaf.label, leaf.data)
    return records


def _operation(v: Value, index: dict[Value, int]) -> tuple[Op, tuple[int, ...]]:
    """``v``'s op and its inputs' positions; a node the table does not know is refused."""
    op = v._primitive
    if type(op) is not Op or v._runs_a_closure():
        raise _hand_built(v)
    y = v._y
    return op, (index[v._x],) if y is None else (index[v._x], index[y])


def _parameter_names(fn: Callable) -> list[str]:
    """fn's argument names, to label the inputs (so messages say 'x > 0', not 'a0 > 0')."""
    import inspect

    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _existing(fn: Callable, example: Sequence, names: list[str], outputs: list) -> list[Value]:
    """The Values of ``outputs``' graph that existed before fn ran, as far as the walk goes:
    fn is run again, and what it made anew the first time is not in the second graph.

    The walk stops at each of them (eager ops read a Value's ``.data``, not its history),
    so a weight computed before the trace (``w = Value(0.1) * 2``) is one, its inputs not.
    """
    args, _, _ = _leaves(example, names)
    again, _ = _outputs(_call(fn, args))
    before = set(_topological(again))
    return [v for v in _topological(outputs, before) if v in before]


def _record(outputs, single, leaves, shapes, state) -> Graph:
    leaf_records = _leaf_records(leaves, shapes, state)
    parameters = {v: leaf_records[v] for v in state}  # the walk stops there: read, not traced
    index: dict[Value, int] = {}
    nodes: list[Node] = []
    for v in _topological(outputs, parameters):
        if v in parameters:  # a parameter: read at every call, a leaf even if computed
            node = parameters[v]
        elif v._x is None:
            node = leaf_records.get(v) or Constant(v.data, v.label)
        else:
            op, parents = _operation(v, index)
            batched = any(nodes[p].batched for p in parents)
            node = Operation(op, parents, v._constant, batched, v.label, v.data)
        index[v] = len(nodes)
        nodes.append(node)
    return Graph(nodes, [index[v] for v in outputs], single, shapes, list(state))


def _hand_built(v: Value) -> TraceError:
    return TraceError(
        f"compile cannot trace {v!r}: it was built by hand or given its own _backward "
        f"closure (micrograd's way), so the op table has no rule for it and no source can "
        f"be written for its derivative; build it with Value's operators and methods "
        f"(a * b, a.tanh(), ...) instead"
    )


def _topological(outputs: list[Value], leaves: Container[Value] = frozenset()) -> list[Value]:
    """Every node reachable from ``outputs``, parents first; an explicit stack, like autograd.

    A Value in ``leaves`` is taken as a leaf: the walk does not go on to its inputs.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list = list(reversed(outputs))
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
        if node in leaves:
            continue
        # The second input goes on first, so that the first is visited first.
        y = node._y
        if y is not None and y not in seen:
            stack.append(y)
        x = node._x
        if x is not None and x not in seen:
            stack.append(x)
    return order


def same_numbers(a: float, b: float, rtol: float = 1e-9) -> bool:
    """Equal to ``rtol`` relative (NaNs equal each other, infinities must match)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)
