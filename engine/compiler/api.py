"""``engine.compile``: trace a function once, run whole batches as generated code.

A scalar graph of one example has the same shape for every example, so it can
be traced once (``engine.compiler.trace``), written out as straight-line code over the
whole batch (``engine.compiler.codegen``, with layers recognised as matrix products by
``engine.compiler.fusion``), compiled by Python's own ``compile()``, and run on every
batch after that.

>>> from engine import Value, compile
>>> w = Value(0.5, label="w"); b = Value(0.0, label="b")
>>> def loss(x, y):
...     return ((w * x + b).tanh() - y) ** 2
>>> step = compile(loss, (1.0, 0.0), params=[w, b])
>>> round(step([1.0, 2.0, -1.0], [0.0, 1.0, 0.0]), 6)      # the mean loss
0.161314
>>> round(w.grad, 6), round(b.grad, 6)                     # added, as backward() would
(0.351076, -0.06675)

Backends follow the batch: plain lists run pure-Python floats; numpy arrays
run numpy; any other Array API array runs in its own namespace.

The compiled code skips the eager engine's per-node domain checks (log of a
negative number gives nan on arrays, a bare ``ValueError`` in pure Python,
instead of a ``DomainError`` naming the node). ``checks=True`` checks every
value the forward computes and reports the first that is not finite, with the
op that made it.
"""

from __future__ import annotations

import builtins
import linecache
import math
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .. import ops
from ..autograd import topological_order
from ..errors import describe
from ..naming import printable
from ..utils.arguments import choice, whole_number
from ..value import Value
from .trace import (
    CONSTANT,
    Graph,
    TraceError,
    example_arguments,
    same_numbers,
    trace,
    trace_signature,
)

__all__ = ["compile", "CompiledStep", "TraceError"]

#: Beyond this many nodes ``source_per_node`` declines: the text would be too long to read.
PER_NODE_LIMIT = 500


def compile(
    fn: Callable,
    example: Sequence,
    params: Sequence[Value] | None = None,
    reduce: str = "mean",
    *,
    validate: int = 2,
    checks: bool = False,
    fuse: bool = True,
    rules: Mapping[ops.Op, ops.Op] | None = None,
) -> CompiledStep:
    """Trace ``fn`` on ``example`` once; return a step that runs whole batches.

    ``fn`` takes one example (each argument a number or a list of numbers) and
    returns a Value, or a list of them. ``example`` is a tuple of arguments.

    - ``params=None``: ``step(*batch)`` returns the outputs for every example.
    - ``params=[...]``: ``fn`` returns one Value, a loss; ``step(*batch)``
      returns its mean over the batch (``reduce="sum"``: the sum) as a float
      and *adds* the gradient of that to every parameter's ``.grad``. The
      parameters' ``.data`` is read at every call; any other Value ``fn``
      closes over is a constant, taken at its value now. A Value listed twice
      is one parameter.
    - Every parameter is a leaf of the step, a computed one too (a scaled
      initialisation, ``w = Value(0.1) * 2``): its ``.data`` is read and its
      gradient added, as for any parameter, so that ``opt.zero_grad(); step(X, y);
      opt.step()`` trains it as the eager loop does. (Eager ``backward()`` *sets* a
      computed Value's ``.grad`` and passes it on to the Values it was computed from;
      after ``zero_grad()`` the parameters' gradients are the same. A parameter
      computed from another parameter would pass it some of its gradient: that is
      refused, naming both.)
    - ``validate``: how many examples of the first batch are traced again
      and compared with this trace (and with eager results); a different graph
      (a branch on ``.data`` that flips) raises ``TraceError``.
    - ``checks=True``: stop at the first value that is not finite, naming the op.
      Without it the compiled code skips the eager engine's per-node domain checks:
      on arrays a log of a negative number is nan (passed on, never swallowed), in
      pure Python ``math`` raises and the message names the generated line.
    - ``fuse=False``: no layer recognition (one line per node, slower).
    - ``rules``: replacement ops, ``{ops.TANH: my_tanh}``: for testing tests.
    """
    choice("reduce", reduce, ("mean", "sum"))
    if not callable(fn):
        raise TypeError(f"compile needs a function, got {type(fn).__name__}: {fn!r}")
    whole_number("validate", validate, 0)
    if params is not None:
        params = _parameters(params)
    return CompiledStep(fn, tuple(example), params, reduce, validate, checks, fuse, rules or {})


def _parameters(params: Sequence[Value]) -> list[Value]:
    """``params`` as the step's state: Values, each once, none computed from another."""
    params = list(params)
    bad = [p for p in params if not isinstance(p, Value)]
    if bad:
        raise TypeError(
            f"params must be Values (e.g. model.parameters()), got {type(bad[0]).__name__}"
        )
    # A Value listed twice is one parameter: its gradient is added once, as backward() adds it.
    params = list({id(p): p for p in params}.values())
    position = {id(p): k for k, p in enumerate(params)}
    for k, p in enumerate(params):
        if p.is_leaf:
            continue
        for source in topological_order(p)[:-1]:
            j = position.get(id(source))
            if j is not None:
                raise ValueError(
                    f"params[{k}], {describe(p)}, was computed from params[{j}], "
                    f"{describe(source)}: eager backward() passes its gradient on to "
                    f"params[{j}], and a compiled step, which takes every parameter as a leaf "
                    f"(reading its .data), would not. Make params[{k}] a leaf "
                    f"(Value(p.data, label=p.label)), or compute it from params[{j}] inside fn "
                    f"and leave it out of params"
                )
    return params


class CompiledStep:
    """The compiled function: call it on a batch; read ``source`` to see what it runs."""

    def __init__(self, fn, example, params, reduce, validate, checks, fuse, rules) -> None:
        self.fn = fn
        self.loss = params is not None
        self.reduce = reduce
        self.validate = validate
        self.checks = checks
        self.fuse = fuse
        self.rules = dict(rules)
        if self.loss:
            graph = trace(fn, example, state=params)
            if not graph.single:
                raise TraceError(
                    f"with params, fn must return one Value (the loss), got a list of "
                    f"{len(graph.outputs)}; to get several outputs per example, compile "
                    f"without params"
                )
        else:  # the Values that existed before fn ran (its weights) are read at every call
            graph = trace(fn, example, state=None)
        self.graph: Graph = graph
        self._validated = validate == 0
        self._compiled: dict = {}
        self._last_kinds: list | None = None  # the last batch of arrays that passed _checked
        self._last_checked: tuple = ()  # and its (namespace, size)

    def __reduce_ex__(self, protocol: int):
        """Copying or pickling a step (``copy.copy``, ``copy.deepcopy``, ``pickle``) refuses.

        A step is code generated in this process, bound to the parameter Values it
        reads and updates: a copy would update the original's parameters, or copies
        of them fn never reads. Compile again where another step is needed.
        """
        raise TypeError(
            f"{self!r}: a compiled step cannot be copied or pickled, it is code generated in "
            f"this process, bound to the parameter Values it reads and updates. Compile again "
            f"where you need another (engine.compile(fn, example, params=...), e.g. with a "
            f"copied model's parameters); to save a model, save its parameters "
            f"(Module.save, state_dict)"
        )

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", "fn")
        kind = f"loss, {self.reduce}" if self.loss else "forward"
        return f"<compiled {name}: {len(self.graph.nodes)} nodes, {kind}>"

    # -- source -------------------------------------------------------------

    @property
    def source(self) -> str:
        """The generated array code: forward, then backward, layers as matrix products."""
        return self._array()[0].text

    @property
    def source_per_node(self) -> str:
        """Float code with one line per node and, backward, one line per edge (small graphs)."""
        n = len(self.graph.nodes)
        if n > PER_NODE_LIMIT:
            raise ValueError(
                f"source_per_node writes one line per node and per edge; this graph has {n} "
                f"nodes (the limit is {PER_NODE_LIMIT}), too many to read. step.source shows "
                f"the same program with layers as matrix products"
            )
        return self._python()[0].text

    # -- running ------------------------------------------------------------

    def __call__(self, *batch):
        xp, n = self._checked(batch)
        return self._run(batch, n, xp)

    def _checked(self, batch):
        """The batch's namespace and size, once it is checked (and, the first time, the trace).

        Arrays of the types and shapes of the last batch that passed pass again: a
        training loop calls the step on the same arrays (or the same shapes) every time.
        """
        kinds = [(type(a), getattr(a, "shape", None)) for a in batch]
        if self._validated and kinds == self._last_kinds:
            return self._last_checked
        if len(batch) != len(self.graph.shapes):
            raise TypeError(
                f"this step takes {len(self.graph.shapes)} batch argument(s), like fn's "
                f"example, got {len(batch)}"
            )
        xp = _namespace(batch)
        n = _batch_size(batch, self.graph.shapes, xp)
        if not self._validated:
            self._check_trace(batch, n, xp)
        if xp is not None and all(shape is not None for _, shape in kinds):  # lists: no
            self._last_kinds, self._last_checked = kinds, (xp, n)
        return xp, n

    @property
    def state(self) -> list[Value]:
        """The Values the step reads at every call: ``params`` (in order) for a loss step."""
        return self.graph.state

    def with_params(self, theta, *batch):
        """The step at parameter values ``theta``, reading and changing no Value.

        For training loops that keep the parameters packed in one array between
        steps (``opt.packed()``). ``theta`` holds one number per Value of
        ``state``, in that order: an array of the batch's namespace, or a list for
        a batch of plain lists. A loss step returns ``(loss, grad)``, ``grad`` laid
        out like ``theta`` (0 where the loss does not depend on a parameter); a
        forward step returns the outputs, as calling the step does.

        >>> from engine import Value, compile
        >>> w = Value(0.5)
        >>> step = compile(lambda x: (w * x - 1.0) ** 2, (1.0,), params=[w])
        >>> step.with_params([2.0], [1.0, 3.0])   # mean of (2·1 - 1)², (2·3 - 1)²; d/dw
        (13.0, [16.0])
        >>> w.data, w.grad
        (0.5, 0.0)
        """
        count = tuple(theta.shape) if hasattr(theta, "shape") else (len(theta),)
        if count != (len(self.graph.state),):
            raise ValueError(
                f"theta must hold {len(self.graph.state)} numbers (one per state Value), "
                f"got shape {count}"
            )
        xp, n = self._checked(batch)
        return self._run(batch, n, xp, theta=theta)

    def _run(self, batch, n, xp, deliver: bool = True, theta=None):
        # theta given (with_params): the values come from it and the gradient goes back
        # as one number per state Value; otherwise both go through the Values.
        packed = theta is not None
        scale = 1.0 / n if self.reduce == "mean" else 1.0
        state = self.graph.state
        if xp is None:
            source, run = self._python()
            args = [list(a) for a in batch]
            theta = list(theta) if packed else [v.data for v in state]
            try:
                result = run(theta, *args, n, scale, None)
            except (ValueError, ZeroDivisionError, OverflowError) as error:
                where = _generated_line(error.__traceback__, source.text)
                raise type(error)(
                    f"compiled step (pure Python): {error} in {where}. Compiled code skips "
                    f"the engine's domain checks; run fn eagerly on the example to see the "
                    f"node's value and label"
                ) from None
            if not self.loss:
                return result
            loss, grads = result
            loss *= self._repeats(n)
        else:
            xp, code = self._array_for(xp)
            if packed:  # theta in state order; the code reads it in its layout's
                theta = xp.asarray(theta, dtype=xp.float64)
                if code.layout is not None:
                    theta = xp.take(theta, code.layout)
            else:  # a comprehension, not map(attrgetter): the interpreter specialises its read
                theta = code.read([v.data for v in code.values])
            args = [xp.asarray(a, dtype=xp.float64) for a in batch]
            result = code.run(xp, theta, *args, n, scale, code.check)
            if not self.loss:
                return result
            loss, grads = result
            loss = float(loss) * self._repeats(n)
            if not deliver:
                return loss
            # One total per parameter (a weight shared by several terms has several
            # slots), summed in the array library, so Python adds once per parameter.
            # Where the code added them up itself, grads is that already.
            totals = grads
            if code.gather is not None:
                totals = xp.take(grads, code.gather)
                if code.width > 1:
                    totals = xp.sum(xp.reshape(totals, (code.width, len(code.receivers))), axis=0)
            if packed:
                return loss, self._per_state_value(totals, xp)
            for v, g in zip(code.receivers, code.numbers(totals)):
                v.grad += g
            return loss
        if packed:
            per_value = [0.0] * len(state)
            for slot, g in zip(source.slots, grads):
                per_value[slot] += g
            return loss, per_value
        if deliver:
            for slot, g in zip(source.slots, grads):
                state[slot].grad += g
        return loss

    def _per_state_value(self, totals, xp):
        """The gradient totals (one per parameter that receives any) laid out like ``state``."""
        key = ("spread", id(xp))
        if key not in self._compiled:
            src, _ = self._array()
            receivers = _collect(src.slots)[0]
            everyone = receivers == list(range(len(self.graph.state)))
            # Position of each state Value's total, or of a 0 appended after the totals.
            where = {s: k for k, s in enumerate(receivers)}
            index = [where.get(s, len(receivers)) for s in range(len(self.graph.state))]
            self._compiled[key] = None if everyone else xp.asarray(index, dtype=xp.int64)
        index = self._compiled[key]
        if index is None:
            return totals
        return xp.take(xp.concat([totals, xp.zeros(1, dtype=xp.float64)]), index)

    def _repeats(self, n: int) -> int:
        """A loss that is the same for every example (no input in it) sums to n times itself."""
        unbatched = not self.graph.nodes[self.graph.outputs[0]].batched
        return n if unbatched and self.reduce == "sum" else 1

    # -- code, made on first use and kept -------------------------------------

    def _python(self):
        if "python" not in self._compiled:
            # codegen and fusion load on first use, so `import engine` stays quick.
            from .codegen import float_sign, python_source

            src = python_source(self.graph, self.loss, self.rules, self.checks)
            names = {
                "math": math,
                "sign": float_sign,
                "sigmoid": ops.SIGMOID.forward,
                "isfinite": math.isfinite,
                "fail": _fail(src.descriptions),
                **src.functions,
            }
            self._compiled["python"] = (src, _define(src, names, self._filename("python")))
        return self._compiled["python"]

    def _array(self):
        if "array" not in self._compiled:
            from .codegen import array_source, product_rule_holds
            from .fusion import plan

            fused = self.fuse and product_rule_holds(self.rules)
            p = plan(self.graph, fuse=fused)
            src = array_source(self.graph, p, self.loss, self.rules, self.checks)
            filename = self._filename("array")
            code = builtins.compile(src.code, filename, "exec")  # the lines without comments
            _remember(filename, src.text)
            self._compiled["array"] = (src, code)
        return self._compiled["array"]

    def _array_for(self, xp):
        """The namespace to run in (numpy: with faster reductions) and the code made for it."""
        if getattr(xp, "__name__", "") == "numpy":
            xp = _fast_numpy()
        key = ("array", id(xp))
        if key not in self._compiled:
            self._compiled[key] = self._array_code(xp)
        return xp, self._compiled[key]

    def _array_code(self, xp) -> _ArrayCode:
        src, code = self._array()
        names = {"sigmoid": ops.sigmoid}
        for name, index in src.indices.items():
            names[name] = xp.asarray(index, dtype=xp.int64)
        for name, offset in src.offsets.items():
            names[name] = xp.asarray(offset, dtype=xp.float64)
        exec(code, names)  # our own generated source (see codegen), never user text
        state = self.graph.state
        receivers, gather, width = _collect(src.slots)
        in_order = width == 1 and gather == list(range(len(src.slots)))
        layout = src.layout
        unmoved = layout == list(range(len(state)))
        if isinstance(xp, _FastNumpy):
            # struct packs the floats as raw doubles in one C loop, and numpy takes the
            # bytes as they are: on W1 a third fewer instructions than np.fromiter(list)
            # (the array is read-only, which the generated code never minds: it writes
            # nothing in place).
            pack, frombuffer = struct.Struct(f"{len(layout)}d").pack, xp._np.frombuffer

            def read(values):
                return frombuffer(pack(*values))

            # A memoryview hands out each float as the loop takes it, and the loop lets it
            # go: no list of them all (the totals are a fresh contiguous float64 array).
            numbers = memoryview
        else:

            def read(values):
                return xp.asarray(values, dtype=xp.float64)

            numbers = _to_list

        return _ArrayCode(
            run=names["run"],
            check=_array_check(xp, src.descriptions) if self.checks else None,
            values=[state[s] for s in layout],
            read=read,
            layout=None if unmoved else xp.asarray(layout, dtype=xp.int64),
            receivers=[state[s] for s in receivers],
            gather=None if in_order else xp.asarray(gather, dtype=xp.int64),
            width=width,
            numbers=numbers,
        )

    def _filename(self, kind: str) -> str:
        name = printable(str(getattr(self.fn, "__name__", "fn")))  # compile() refuses a NUL
        return f"<engine.compile {name} {kind} {id(self):x}>"

    # -- honest tracing ----------------------------------------------------------

    def _check_trace(self, batch, n, xp) -> None:
        """Trace again on up to ``validate`` examples of this batch; compare graphs and results."""
        # Spread over the batch, last example included; the first is often the traced one.
        picks = sorted({round((k + 1) * (n - 1) / self.validate) for k in range(self.validate)})
        signature = self.graph.signature()
        for i in picks:
            example = example_arguments(batch, i, self.graph.shapes)
            names = self.graph.arg_names
            shape, eager = trace_signature(self.fn, example, self.graph.state, names)
            if shape != signature:
                other = trace(self.fn, example, state=self.graph.state)
                raise TraceError(
                    f"fn built a different graph for example {i} of the batch than for the "
                    f"example it was compiled on ({_difference(self.graph, other)}): it branches "
                    f"on data (an 'if' on .data, or a number read from .data), so one compiled "
                    f"program cannot serve every example. Write the branch with ops (relu, abs, "
                    f"where-style arithmetic), or run this fn eagerly"
                )
            one = tuple(_take(a, i, xp) for a in batch)
            compiled = self._run(one, 1, xp, deliver=False)
            got = _flatten(compiled)
            if not all(same_numbers(a, b) for a, b in zip(got, eager)):
                raise TraceError(
                    f"the compiled step gives {got} for example {i} but fn gives {eager} when "
                    f"run eagerly: fn reads a number (.data) that the trace took as a constant"
                )
        self._validated = True


@dataclass
class _ArrayCode:
    """The array code made for one namespace, and what a call needs around it."""

    run: Callable  # the generated ``run`` (see ``engine.compiler.codegen``)
    check: Callable | None  # with checks=True: stops at the first value not finite
    values: list[Value]  # the state Values in the order of the code's theta (its layout)
    read: Callable  # their .data, a list, into theta
    layout: object  # packed theta (state order) -> the code's order: an index array, or None
    receivers: list[Value]  # the Values that receive a gradient, in the order of the totals
    gather: object  # grads -> per-parameter slots: an index array, or None if grads is that
    width: int  # slots per parameter in the gather
    numbers: Callable  # the totals, an array, -> the floats to add to the receivers


def _generated_line(tb, source: str) -> str:
    """The generated line an exception came from, with its comment (which names the op)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<engine.compile"):
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None:
        return "the generated code"
    return f"'{source.splitlines()[line - 1].strip()}'"


def _collect(slots: list[int]) -> tuple[list[int], list[int], int]:
    """How to sum the gradient slots per parameter: (parameters, flat gather, slots each).

    Column j of the (width, parameters) gather holds the positions of parameter j's
    slots, padded with ``len(slots)``: the position of the 0 the generated code appends.
    """
    positions: dict[int, list[int]] = {}  # in the order the parameters first appear
    for k, s in enumerate(slots):
        positions.setdefault(s, []).append(k)
    receivers = list(positions)
    width = max((len(p) for p in positions.values()), default=1)
    pad = len(slots)
    rows = [positions[s] + [pad] * (width - len(positions[s])) for s in receivers]
    # Stored column by column (slot r of every parameter, then r + 1): summing over the
    # first axis adds whole contiguous rows, which numpy does fastest.
    gather = [row[r] for r in range(width) for row in rows]
    return receivers, gather, width


def _difference(a: Graph, b: Graph) -> str:
    if len(a.nodes) != len(b.nodes):
        return f"{len(a.nodes)} nodes, then {len(b.nodes)}"
    for i, (x, y) in enumerate(zip(a.nodes, b.nodes)):
        if x.signature() != y.signature():
            what = x.op.name if x.op else x.kind
            other = y.op.name if y.op else y.kind
            if x.kind == CONSTANT and y.kind == CONSTANT:
                return f"node {i} is the constant {x.data!r}, then {y.data!r}"
            return f"node {i} is {what}, then {other}"
    return "different outputs"


def _flatten(result) -> list[float]:
    if isinstance(result, float):
        return [result]
    values = _to_list(result)
    out = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return [float(v) for v in out]


# ---------------------------------------------------------------------------
# Batches and namespaces.


def _namespace(batch):
    """The Array API namespace of the batch's arrays, or None for plain Python sequences."""
    for arg in batch:
        if hasattr(arg, "__array_namespace__"):
            return arg.__array_namespace__()
        if type(arg).__module__.split(".")[0] in ("numpy", "torch", "jax", "cupy", "dask"):
            try:
                import array_api_compat
            except ImportError:
                raise ImportError(
                    f"compiling for {type(arg).__module__} arrays needs array-api-compat: "
                    f"pip install array-api-compat (or scalarflow[compile])"
                ) from None
            return array_api_compat.array_namespace(arg)
    return None


def _batch_size(batch, shapes, xp) -> int:
    sizes = set()
    for k, (arg, shape) in enumerate(zip(batch, shapes)):
        if xp is not None and not hasattr(arg, "shape"):  # a list beside an array: as one
            _sequence(arg, k)
            arg = _as_array(arg, k, xp)
        if xp is not None:
            arg_shape = tuple(arg.shape or (len(arg),))
            want = (arg_shape[0],) if shape is None else (arg_shape[0], shape)
            if tuple(arg.shape) != want:
                per_example = "a number" if shape is None else f"{shape} numbers"
                raise ValueError(
                    f"batch argument {k} has shape {tuple(arg.shape)}, expected {want}: the "
                    f"batch first, then {per_example} per example"
                )
            sizes.add(arg_shape[0])
        else:
            _sequence(arg, k)
            if shape is None:
                for item in arg:
                    if isinstance(item, Sequence):
                        raise ValueError(
                            f"batch argument {k}: every example is a number, like the example "
                            f"compile was traced on; one is {type(item).__name__} {item!r:.40}"
                        )
            else:
                for row in arg:
                    if len(row) != shape:
                        raise ValueError(
                            f"batch argument {k}: every example holds {shape} numbers, like the "
                            f"example compile was traced on; one holds {len(row)}"
                        )
            sizes.add(len(arg))
    if len(sizes) != 1:
        raise ValueError(f"the batch arguments hold different numbers of examples: {sorted(sizes)}")
    (n,) = sizes
    if n == 0:
        raise ValueError("the batch is empty: give at least one example")
    return n


def _sequence(arg, k: int) -> None:
    if not isinstance(arg, Sequence) or isinstance(arg, str):
        raise TypeError(
            f"batch argument {k} must be a sequence over examples (a list, or an array "
            f"whose first axis is the batch), got {type(arg).__name__}"
        )


def _as_array(arg, k: int, xp):
    """A batch argument given as a list, as the array the step will run on."""
    try:
        return xp.asarray(arg, dtype=xp.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"batch argument {k} is not numbers of one shape, as an array needs them: {error}"
        ) from None


def _take(arg, i, xp):
    """Example ``i`` of a batch argument, as a batch of one."""
    if xp is not None and len(getattr(arg, "shape", ())) == 2:
        return arg[i : i + 1, :]
    return arg[i : i + 1]


def _to_list(a) -> list:
    if isinstance(a, list):
        return a
    if hasattr(a, "tolist"):
        return a.tolist()
    import numpy as np  # an Array API array without tolist: through DLPack

    return np.from_dlpack(a).tolist()


_FAST_NUMPY = []


class _FastNumpy:
    """numpy, with ``sum``, ``take`` and ``reshape`` calling the C methods directly.

    numpy's module functions wrap these in Python (argument dispatch, keyword
    handling); on W1's small arrays that wrapping is a third of the step. The
    results are numpy's own, to the bit. Every other name is numpy's, looked up
    once and kept.
    """

    __name__ = "numpy (fast reductions)"

    def __init__(self, np) -> None:
        self._np = np
        add_reduce = np.add.reduce

        def sum(x, axis=None):  # noqa: A001 - the Array API's name
            return add_reduce(x, axis)

        self.sum = sum
        self.take = lambda x, indices: x.take(indices)
        self.reshape = lambda x, shape: x.reshape(shape)

    def __getattr__(self, name: str):
        value = getattr(self._np, name)
        setattr(self, name, value)
        return value


def _fast_numpy() -> _FastNumpy:
    if not _FAST_NUMPY:
        import numpy as np

        _FAST_NUMPY.append(_FastNumpy(np))
    return _FAST_NUMPY[0]


def _array_check(xp, descriptions: list[str]):
    """check(value, k) for array code: stop if ``value`` (the k-th checked) is not all finite."""

    def check(value, k: int) -> None:
        finite = xp.isfinite(value)
        if not bool(xp.all(finite)):
            raise FloatingPointError(
                f"compiled step (checks=True): {descriptions[k]} produced a value that is not "
                f"finite (nan or inf); it is the first such value of the forward pass"
            )

    return check


def _fail(descriptions: list[str]):
    """fail(k, value) for float code: the k-th checked value is ``value``, not finite."""

    def fail(k: int, value: float) -> None:
        raise FloatingPointError(
            f"compiled step (checks=True): {descriptions[k]} produced {value!r}, the first "
            f"value of the forward pass that is not finite"
        )

    return fail


def _define(src, names: dict, filename: str):
    code = builtins.compile(src.code, filename, "exec")  # the lines without their comments
    _remember(filename, src.text)  # tracebacks show them with
    exec(code, names)  # our own generated source (see codegen), never user text
    return names["run"]


def _remember(filename: str, source: str) -> None:
    """Let tracebacks show the generated lines."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
