"""``engine.compile``: trace a function once, run whole batches as generated code.

A scalar graph of one example has the same shape for every example, so it can
be traced once, written out as straight-line code over the whole batch, compiled by
Python's own ``compile()``, and run on every batch after that. The pipeline, one
module per step:

1. **trace** (``trace.py``): run ``fn`` on Values, record its graph as a ``Graph``;
2. **plan** (``plan.py``): find the layers (sums of products over one input vector)
   and what follows them lane by lane, as statements over whole vectors;
3. **emit** (``emit_array.py``, ``emit_float.py``): write each statement as Python,
   forward then backward, from the op table's rules run on symbols;
4. **run** (``runtime.py``): check the batch, lay the parameters out as the code
   reads them, call it, deliver the gradients.

``CompiledStep._program`` is where the four meet.

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
instead of a ``DomainError`` naming the node). ``detect_anomaly=True``, as
``engine.detect_anomaly`` does eagerly, stops at the first value the forward
computes that is not finite, naming the op that made it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

from .. import ops
from ..autograd import topological_order
from ..errors import describe
from ..naming import printable
from ..utils.arguments import choice, flag, whole_number
from ..value import Value
from . import runtime
from .trace import (
    Constant,
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
    detect_anomaly: bool = False,
    fuse: bool = True,
    checks: bool | None = None,
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
    - ``detect_anomaly=True``: stop at the first value that is not finite, naming the
      op (``FloatingPointError``), as ``engine.detect_anomaly()`` does eagerly. Without
      it the compiled code skips the eager engine's per-node domain checks: on arrays a
      log of a negative number is nan (passed on, never swallowed), in pure Python
      ``math`` raises and the message names the generated line.
    - ``fuse=False``: no layer recognition (one line per node, slower).
    - ``checks``: the old name of ``detect_anomaly`` (deprecated; it warns).

    On numpy under glibc, the first compiled call asks malloc to keep the memory a
    step frees for the next call (``mallopt``: arrays up to 32 MB from the heap, up to
    64 MB kept), as torch's and XLA's allocators keep theirs; the setting is the whole
    process's. ``SCALARFLOW_KEEP_MEMORY=0`` in the environment leaves malloc alone.
    """
    if checks is not None:
        warnings.warn(
            "compile(checks=...) is deprecated and will be removed in the next release: "
            "write detect_anomaly=... (the same switch, named as engine.detect_anomaly)",
            DeprecationWarning,
            stacklevel=2,
        )
        detect_anomaly = flag("checks", checks) or detect_anomaly
    return _compile(
        fn, example, params, reduce, validate, flag("detect_anomaly", detect_anomaly), fuse, {}
    )


def compile_with_rules(rules: Mapping[ops.Op, ops.Op], fn, example, params=None, *, fuse=True):
    """``compile``, with some of the table's ops replaced by others in the generated code
    (``{ops.TANH: wrong_tanh}``): for testing the tests, never for training."""
    return _compile(fn, example, params, "mean", 2, False, fuse, dict(rules))


def _compile(fn, example, params, reduce, validate, detect_anomaly, fuse, rules) -> CompiledStep:
    choice("reduce", reduce, ("mean", "sum"))
    if not callable(fn):
        raise TypeError(f"compile needs a function, got {type(fn).__name__}: {fn!r}")
    whole_number("validate", validate, 0)
    if params is not None:
        params = _parameters(params)
    return CompiledStep(
        fn,
        tuple(example),
        params,
        reduce=reduce,
        validate=validate,
        detect_anomaly=detect_anomaly,
        fuse=fuse,
        rules=rules,
    )


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

    def __init__(
        self, fn, example, params, *, reduce, validate, detect_anomaly, fuse, rules
    ) -> None:
        self.fn = fn
        self.loss = params is not None
        self.reduce = reduce
        self.validate = validate
        self.detect_anomaly = detect_anomaly
        self.fuse = fuse
        self.rules = rules
        # 1. trace. Without params, the Values that existed before fn ran (its weights)
        # are the state, read at every call.
        self.graph: Graph = trace(fn, example, state=params)
        if self.loss and not self.graph.single:
            raise TraceError(
                f"with params, fn must return one Value (the loss), got a list of "
                f"{len(self.graph.outputs)}; to get several outputs per example, compile "
                f"without params"
            )
        self._validated = validate == 0
        # A loss that is the same for every example (no input in it) sums to n times itself.
        self._repeated = (
            self.loss and reduce == "sum" and not self.graph.nodes[self.graph.outputs[0]].batched
        )
        self._programs: dict[int, runtime.FloatProgram | runtime.ArrayProgram] = {}
        self._sources: dict[str, tuple] = {}  # "array", "float" -> (Source, code object)
        self._last_kinds: list | None = None  # the last batch of arrays that was measured
        self._last_measured: tuple = ()  # and its (namespace, size)

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

    # -- the pipeline: trace (in __init__) -> plan -> emit -> run ------------------

    def _program(self, xp) -> runtime.FloatProgram | runtime.ArrayProgram:
        """The generated code for namespace ``xp`` (None: plain lists), made on first use."""
        program = self._programs.get(id(xp))
        if program is None:
            if xp is None:
                source, code = self._float_source()
                program = runtime.FloatProgram(source, code, self.graph.state)
            else:
                source, code = self._array_source()
                program = runtime.ArrayProgram(
                    source, code, self.graph.state, xp, self.detect_anomaly
                )
            self._programs[id(xp)] = program
        return program

    def _array_source(self):
        """2. plan (layers as matrix products) and 3. emit, as array code: written once."""
        if "array" not in self._sources:
            # plan and emit load on first use, so that `import engine` stays quick.
            from .emit_array import array_source, product_rule_holds
            from .plan import plan

            fused = self.fuse and product_rule_holds(self.rules)
            reducible = tuple(op for op in (ops.ADD, ops.MAXIMUM) if op not in self.rules)
            statements = plan(self.graph, fuse=fused, reducible=reducible)
            source = array_source(
                self.graph, statements, self.loss, self.rules, self.detect_anomaly
            )
            self._sources["array"] = (source, runtime.load(source, self._filename("array")))
        return self._sources["array"]

    def _float_source(self):
        """3. emit, as float code: every node a line (no plan: nothing is fused)."""
        if "float" not in self._sources:
            from .emit_float import float_source

            source = float_source(self.graph, self.loss, self.rules, self.detect_anomaly)
            self._sources["float"] = (source, runtime.load(source, self._filename("python")))
        return self._sources["float"]

    def _filename(self, kind: str) -> str:
        name = printable(str(getattr(self.fn, "__name__", "fn")))  # compile() refuses a NUL
        return f"<engine.compile {name} {kind} {id(self):x}>"

    # -- source -------------------------------------------------------------

    @property
    def source(self) -> str:
        """The generated array code: forward, then backward, layers as matrix products."""
        return self._array_source()[0].text

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
        return self._float_source()[0].text

    # -- 4. run -------------------------------------------------------------

    def __call__(self, *batch):
        xp, n = self._measured(batch)
        return self._run(batch, n, xp)

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
        xp, n = self._measured(batch)
        return self._run(batch, n, xp, theta=theta)

    def _run(self, batch, n, xp, deliver: bool = True, theta=None):
        # theta given (with_params): the values come from it and the gradient goes back
        # as one number per state Value; otherwise both go through the Values.
        program = self._program(xp)
        scale = 1.0 / n if self.reduce == "mean" else 1.0
        result = program.run(batch, n, scale, theta)
        if not self.loss:
            return result
        loss, grads = result
        loss = float(loss) * n if self._repeated else float(loss)
        if theta is not None:
            return loss, program.per_state_value(grads)
        if deliver:
            program.deliver(grads)
        return loss

    def _measured(self, batch):
        """The batch's namespace and size, once it is checked (and, the first time, the trace
        validated).

        Arrays of the types and shapes of the last batch that passed pass again: a
        training loop calls the step on the same arrays (or the same shapes) every time.
        """
        kinds = [(type(a), getattr(a, "shape", None)) for a in batch]
        if self._validated and kinds == self._last_kinds:
            return self._last_measured
        xp, n = runtime.measure(batch, self.graph.shapes)
        if not self._validated:
            self._validate_trace(batch, n, xp)
        if xp is not None and all(shape is not None for _, shape in kinds):  # lists: no
            self._last_kinds, self._last_measured = kinds, (xp, n)
        return xp, n

    # -- honest tracing ----------------------------------------------------------

    def _validate_trace(self, batch, n, xp) -> None:
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
            one = tuple(runtime.take(a, i, xp) for a in batch)
            got = runtime.flatten(self._run(one, 1, xp, deliver=False))
            if not all(same_numbers(a, b) for a, b in zip(got, eager)):
                raise TraceError(
                    f"the compiled step gives {got} for example {i} but fn gives {eager} when "
                    f"run eagerly: fn reads a number (.data) that the trace took as a constant"
                )
        self._validated = True


def _difference(a: Graph, b: Graph) -> str:
    if len(a.nodes) != len(b.nodes):
        return f"{len(a.nodes)} nodes, then {len(b.nodes)}"
    for i, (x, y) in enumerate(zip(a.nodes, b.nodes)):
        if x.signature() != y.signature():
            if isinstance(x, Constant) and isinstance(y, Constant):
                return f"node {i} is the constant {x.data!r}, then {y.data!r}"
            return f"node {i} is {_what(x)}, then {_what(y)}"
    return "different outputs"


def _what(node) -> str:
    op = getattr(node, "op", None)
    return op.name if op is not None else node.kind
