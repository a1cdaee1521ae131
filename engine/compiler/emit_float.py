"""Float code: the whole graph once per example in a loop, the chain rule one edge per line.

``float_source(graph, loss, rules)`` writes a function ``run(theta, inputs..., n, scale,
require_finite)`` for a batch of plain Python lists: ``theta`` holds the parameters' data in the
order of ``graph.state``. The parameters are read once; each node is computed before the
loop or, if it varies per example, inside it. In loss mode it returns ``(loss, grads)``,
``grads`` one number per entry of ``Source.slots``; in forward mode the outputs per example.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .. import ops
from ..naming import printable
from .emit import Code, Source, Writer, label
from .symbols import PYTHON, multiply, python_symbol, text
from .trace import Constant, Graph, Input, Operation, State, taken_by_code

__all__ = ["float_source"]


def float_source(graph: Graph, loss: bool, rules: Mapping, detect_anomaly: bool = False) -> Source:
    """The graph as straight-line float code, looped over the examples of the batch.

    The parameters are read once; each node is computed before the loop or, if it
    varies per example, inside it. Forward mode collects the outputs per example;
    loss mode adds the loss up over the loop and runs the chain rule edge by edge.
    """
    code = _FloatCode(graph, rules, detect_anomaly)
    code.read_parameters()
    code.forward()
    if not loss:
        return code.source(code.forward_function())
    code.backward()
    return code.source(code.loss_function())


class _FloatCode(Code):
    """One float program being written: names, the lines before and inside the loop."""

    symbol = staticmethod(python_symbol)
    dialect = PYTHON

    def __init__(self, graph: Graph, rules: Mapping, detect_anomaly: bool) -> None:
        super().__init__(graph, rules, detect_anomaly)
        self.functions: dict[str, Callable] = {}  # float forwards the code calls by name
        self.descriptions: list[str] = []  # what fail(k, value) is about
        self.before = Writer()  # once per call: parameters and what does not vary
        self.inside = Writer("        ")  # per example, in the loop
        self.grads_before = Writer()  # the gradients that add up over the loop start at 0
        self.grads_inside = Writer("        ")
        self.grads_after = Writer()
        self.assigned: set[int] = set()  # nodes whose gradient has a first contribution

    # -- names ----------------------------------------------------------------

    def name(self, i: int) -> str:
        """Node ``i`` in the code: a constant's number, ``p{state}`` or ``v{i}``."""
        node = self.nodes[i]
        if isinstance(node, Constant):
            return text(node.data)
        if isinstance(node, State):
            return f"p{node.index}"
        return f"v{i}"

    def gradient(self, i: int) -> str:
        """Node ``i``'s gradient in the code: ``g`` and its name (``gp0`` for ``p0``, ``g7``)."""
        return f"g{self.name(i).lstrip('v')}"

    def call(self, op: ops.Op, args: list, function: Callable | None = None) -> str:
        """A call of the op's float forward (or ``function``) by name, one name per function."""
        function = op.forward if function is None else function
        key = op.name if function is op.forward else f"{op.name}_derivative"
        taken = self.graph.arg_names  # an argument may be called tanh_ (fn's tanh, renamed)
        while (
            key in taken
            or taken_by_code(key)  # an op of one's own named total, e0, ...
            or (key in self.functions and self.functions[key] is not function)
        ):
            key += "_"
        self.functions[key] = function
        return f"{key}({', '.join(map(text, args))})"

    # -- forward ----------------------------------------------------------------

    def read_parameters(self) -> None:
        """``p{s} = theta[s]`` once per parameter the graph reads, labelled."""
        labels: dict[int, str] = {}
        for n in self.nodes:
            if isinstance(n, State):
                labels.setdefault(n.index, n.label)
        for s in sorted(labels):
            self.before.line(f"p{s} = theta[{s}]", printable(labels[s]))

    def forward(self) -> None:
        """One line per operation: before the loop, or inside it if it varies per example."""
        for i, node in enumerate(self.nodes):
            if not isinstance(node, Operation):
                continue
            op = self.rule(node.op)
            args = self.arguments(node)
            value = self.forward_of(node.op, args)
            code = text(value) if value is not None else self.call(op, args)
            where = self.inside if node.batched else self.before
            where.line(f"v{i} = {code}", f"{op.name}{label(node)}")
            if self.detect_anomaly:
                k = len(self.descriptions)
                self.descriptions.append(f"{op.name} (node v{i}{label(node)})")
                where.line(f"if not isfinite(v{i}): fail({k}, v{i})", self.descriptions[k])

    # -- backward, edge by edge ---------------------------------------------------

    def backward(self) -> None:
        """The seed dL/dout, then every node last first: its gradient to each parent."""
        (o,) = self.graph.outputs
        batched = self.nodes[o].batched
        self.add(o, "scale" if batched else "n * scale", batched, "d loss / d output")
        for i in range(len(self.nodes) - 1, -1, -1):
            self._chain_rule(i)

    def _chain_rule(self, i: int) -> None:
        """Node ``i``'s gradient times each local derivative, to every parent that needs it."""
        node = self.nodes[i]
        if not isinstance(node, Operation) or i not in self.assigned:
            return
        if not any(self.needs[p] for p in node.parents):
            return
        try:
            locals_ = self.derivatives_of(node.op, f"v{i}", self.arguments(node))
        except TypeError:  # written with math (engine.define_op): called, as forwards are
            op = self.rule(node.op)
            call = self.call(op, [python_symbol(f"v{i}"), *self.arguments(node)], op.derivative)
            locals_ = [python_symbol(f"{call}[{k}]") for k in range(op.arity)]
        for k, p in enumerate(node.parents):
            if self.needs[p]:
                expr = text(multiply(locals_[k], python_symbol(self.gradient(i))))
                self.add(p, expr, node.batched, self.comment(i, k))

    def add(self, target: int, expr: str, inside_loop: bool, comment: str) -> None:
        """Add ``expr`` to ``target``'s gradient: per example, a gradient lives inside the loop;
        a parameter's (and anything not batched) adds up over it, from 0 set before it."""
        writer = self.grads_inside if inside_loop else self.grads_after
        g = self.gradient(target)
        if self.nodes[target].batched:
            if target in self.assigned:
                writer.line(f"{g} += {expr}", comment)
            else:
                writer.line(f"{g} = {expr}", comment)
                self.assigned.add(target)
        else:
            if target not in self.assigned:
                self.grads_before.line(f"{g} = 0.0")
                self.assigned.add(target)
            writer.line(f"{g} += {expr}", comment)

    # -- the function ----------------------------------------------------------------

    def forward_function(self) -> list[str]:
        """Forward mode: the outputs of every example, collected in a list."""
        outputs = [self.name(o) for o in self.graph.outputs]
        result = outputs[0] if self.graph.single else f"[{', '.join(outputs)}]"
        return [
            *self.before.lines,
            "    results = []",
            "    " + _loop_header(self.graph),
            *_unpack(self.graph),
            *self.inside.lines,
            f"        results.append({result})",
            "    return results",
        ]

    def loss_function(self) -> list[str]:
        """Loss mode: the loss added up over the loop, then the parameters' gradients."""
        (o,) = self.graph.outputs
        batched = self.nodes[o].batched
        lines = [*self.before.lines, *self.grads_before.lines]
        if batched:
            lines.append("    total = 0.0")
        body = _unpack(self.graph) + self.inside.lines
        if batched:
            body.append(f"        total += {self.name(o)}")
        body += self.grads_inside.lines
        if batched or body:  # nothing varies per example: no loop at all
            lines.append("    " + _loop_header(self.graph))
            lines += body
        lines += self.grads_after.lines
        loss = "total * scale" if batched else self.name(o)
        grads = ", ".join(self.gradient(i) for i in self._parameters_with_gradients())
        lines.append(f"    return {loss}, [{grads}]")
        return lines

    def _parameters_with_gradients(self) -> list[int]:
        """The state nodes the loss reaches, in graph order (one gradient, one slot each)."""
        return [i for i, n in enumerate(self.nodes) if isinstance(n, State) and i in self.assigned]

    def source(self, lines: list[str]) -> Source:
        """The function's lines as source, with the slots and the functions it calls."""
        slots = [self.nodes[i].index for i in self._parameters_with_gradients()]
        text, code = self.function(lines)
        return Source(
            text, code, slots=slots, functions=self.functions, descriptions=self.descriptions
        )


def _loop_header(graph: Graph) -> str:
    """``for e0 in x:``, or ``for e0, e1 in zip(x, y):`` over several batch arguments."""
    if len(graph.shapes) == 1:
        return f"for e0 in {graph.arg_names[0]}:"
    loop_vars = ", ".join(f"e{k}" for k in range(len(graph.shapes)))
    return f"for {loop_vars} in zip({', '.join(graph.arg_names)}):"


def _unpack(graph: Graph) -> list[str]:
    """The lines that name one example's numbers: ``v3 = e0``, ``v4, _, v6 = e1``."""
    lines = []
    for k, shape in enumerate(graph.shapes):
        present = [(i, n) for i, n in enumerate(graph.nodes) if isinstance(n, Input) and n.arg == k]
        if shape is None:
            if present:
                lines.append(f"        v{present[0][0]} = e{k}")
            continue
        names = ["_"] * shape
        for i, n in present:
            names[n.position] = f"v{i}"
        if any(x != "_" for x in names):
            lines.append(f"        {', '.join(names)}{',' if shape == 1 else ''} = e{k}")
    return lines
