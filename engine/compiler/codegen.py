"""Writing a traced graph as Python source: forward, then backward, one commented line each.

Every line comes from the op table: the forward and the local derivatives
are the table's rules run on ``Symbol``s (see ``engine.compiler.symbols``), and the
comment is the rule's ``formulas`` entry. Two writers:

- ``array_source(graph, plan)``: code over whole batches in an Array API
  namespace ``xp``; layers (see ``engine.compiler.fusion``) are matrix products.
- ``python_source(graph)``: float code, the whole graph once per example in a
  loop, the chain rule one edge per line.

Both write a function ``run(theta, inputs..., n, scale, check)``: ``theta`` holds the
parameters' data (float code: in the order of ``graph.state``; array code: in
the order of ``Source.layout``, which puts each layer's weights, row by row,
then its biases, side by side, so that a layer reads them as a slice), ``n`` is
the batch size, ``scale`` is 1/n for a mean (1 for a sum). In loss mode it
returns ``(loss, grads)``, ``grads`` one number per entry of the writer's
``slots`` (the parameter each belongs to); in forward mode the outputs per
example.

A line's comment (the op, the rule, the node's label) is for people: ``Source.text``
has it, ``Source.code``, what Python compiles, has the same lines without it. No
label, which may come from data (a column name read from a file), ever reaches
code Python reads; in ``text`` it is shown on one line, escaped where not printable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import ops
from ..naming import printable
from .fusion import Layer, Map, ParamDot, Plan, Scalar, Vector, input_vector
from .symbols import ARRAY, PYTHON, Symbol, array_symbol, multiply, python_symbol, text
from .trace import CONSTANT, INPUT, OPERATION, STATE, Graph

__all__ = ["Source", "array_source", "python_source", "forward_rule", "derivative_rule"]


@dataclass
class Source:
    """Generated code and what running it needs."""

    text: str  # what people read: every line with its comment
    code: str = ""  # what Python compiles: the same lines, without their comments
    slots: list[int] = field(default_factory=list)  # per gradient: its parameter (state index)
    layout: list[int] = field(default_factory=list)  # array code: theta[k] is state[layout[k]]
    indices: dict[str, list[int]] = field(default_factory=dict)  # name -> index list (gathers)
    offsets: dict[str, list[float]] = field(default_factory=dict)  # name -> constant vector
    functions: dict[str, Callable] = field(default_factory=dict)  # float forwards called by name
    descriptions: list[str] = field(default_factory=list)  # check(value, k) is about this value


# ---------------------------------------------------------------------------
# The rules, run on symbols.
#


def _arguments(node, parents):
    return [*parents] if node.constant is None else [*parents, node.constant]


def forward_rule(op: ops.Op, args: list, dialect) -> object:
    """The op's forward on symbols: its array form; for float code the fast float forward,
    or None where that cannot write source (``math.exp``): then the code calls it by name."""
    if dialect is ARRAY:
        return op.forward_array(*args)
    try:
        return op.forward(*args)
    except TypeError:
        return None


def derivative_rule(op: ops.Op, out, args: list) -> tuple:
    """The op's local derivatives on symbols: the table's rule, run on them."""
    return tuple(op.derivative(out, *args))


def _comment(op: ops.Op, k: int) -> str:
    """The comment of a backward line: the local derivative's formula, from the table."""
    formula = op.formulas[k]
    if op.arity == 1:
        return f"{op.name}' = {formula}"
    which = "ab"[k]
    return f"∂({_infix(op)})/∂{which} = {formula}"


def _infix(op: ops.Op) -> str:
    return f"a {op.symbol} b" if len(op.symbol) <= 2 else f"{op.name}(a, b)"


def product_rule_holds(rules: Mapping) -> bool:
    """Whether the table's mul and add are the plain product and sum rules fusing relies on."""
    w, x, out = array_symbol("W"), array_symbol("X"), array_symbol("Z")
    mul = rules.get(ops.MUL, ops.MUL)
    add = rules.get(ops.ADD, ops.ADD)
    dw, dx = derivative_rule(mul, out, [w, x])
    da, db = derivative_rule(add, out, [w, x])
    return text(dw) == "X" and text(dx) == "W" and da == 1 and db == 1


# ---------------------------------------------------------------------------
# Writing lines.


class _Line(str):
    """A line of generated code as people read it (with its comment); ``.code`` without."""

    code: str


def _line(code: str, comment: str = "") -> str:
    if not comment:
        return code
    line = _Line(f"{code}  # {comment}")
    line.code = code
    return line


def _text_and_code(lines: list[str]) -> tuple[str, str]:
    """The lines as (text with comments, code without them): the same lines, one for one."""
    return "\n".join(lines) + "\n", "\n".join(getattr(x, "code", x) for x in lines) + "\n"


class _Writer:
    def __init__(self, indent: str = "    ") -> None:
        self.lines: list[str] = []
        self.indent = indent

    def line(self, code: str, comment: str = "") -> None:
        self.lines.append(_line(self.indent + code, comment))

    def blank(self) -> None:
        self.lines.append("")


def _label(node) -> str:
    return f" {printable(node.label)}" if node.label else ""


class _Gradients:
    """Accumulators: the first contribution assigns, later ones add (never in place)."""

    def __init__(self, writer: _Writer, total: Callable[[str], str], name: Callable) -> None:
        self.writer = writer
        self.total = total  # batched expression -> its sum over the batch
        self.name = name  # key -> variable name
        self.assigned: set = set()
        # Gradients whose sum over the batch is known without summing (the seed, every
        # entry scale, and what is only another name for it): name -> that sum.
        self.sums: dict[str, str] = {}

    def add(self, key, expr: str, expr_batched: bool, target_batched: bool, comment: str = ""):
        g = self.name(key)
        if expr_batched and not target_batched:
            if expr in self.sums:
                expr, comment = self.sums[expr], f"{comment}, summed over the batch"
            else:
                expr = self.total(expr)
        elif expr in self.sums and key not in self.assigned:
            self.sums[g] = self.sums[expr]
        if key in self.assigned:
            self.sums.pop(g, None)
            self.writer.line(f"{g} = {g} + {expr}", comment)
        else:
            self.writer.line(f"{g} = {expr}", comment)
            self.assigned.add(key)

    def has(self, key) -> bool:
        return key in self.assigned


def needs_gradient(graph: Graph) -> list[bool]:
    """Per node: does a parameter lie upstream (so its gradient is wanted)?"""
    needs = []
    for node in graph.nodes:
        needs.append(node.kind == STATE or any(needs[p] for p in node.parents))
    return needs


# ---------------------------------------------------------------------------
# Array code.


def array_source(
    graph: Graph, plan: Plan, loss: bool, rules: Mapping, checks: bool = False
) -> Source:
    """The plan as array code in namespace ``xp``: forward, then backward in reverse.

    Forward mode returns the outputs; loss mode writes the loss, the backward
    statements last first, and the gradients gathered into one flat array.
    """
    code = _ArrayCode(graph, plan, rules, checks)
    code.forward()
    if loss:
        code.loss()
        code.backward()
        code.gather_gradients()
    else:
        code.return_outputs()
    return code.source()


class _Code:
    """What both writers share: the graph, the rules, and a node's arguments as symbols."""

    symbol: Callable[[str], Symbol]  # the dialect's symbol: array_symbol or python_symbol

    def __init__(self, graph: Graph, rules: Mapping, checks: bool) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.rules = rules
        self.checks = checks

    def name(self, i: int) -> str:
        """Node ``i`` as the code writes it."""
        raise NotImplementedError

    def sym(self, i: int) -> Symbol | float:
        """Node ``i`` as a rule's argument: a constant's number, else a symbol of its name."""
        node = self.nodes[i]
        return node.data if node.kind == CONSTANT else self.symbol(self.name(i))

    def arguments(self, node) -> list:
        """A node's rule arguments: its parents' symbols, then its constant if any."""
        return _arguments(node, [self.sym(p) for p in node.parents])

    def rule(self, op: ops.Op) -> ops.Op:
        """The op that runs: the table's, or its replacement in ``rules``."""
        return self.rules.get(op, op)


def _gradient_name(key) -> str:
    """``g7`` for node 7's gradient, ``g_z1`` for vector ``z1``'s."""
    return f"g{key}" if isinstance(key, int) else f"g_{key}"


class _ArrayCode(_Code):
    """One array program being written: its names, its lines, the gradients so far."""

    symbol = staticmethod(array_symbol)

    def __init__(self, graph: Graph, plan: Plan, rules: Mapping, checks: bool) -> None:
        super().__init__(graph, rules, checks)
        self.plan = plan
        self.src = Source("")
        self.w = _Writer()
        self.gathers = 0  # parameter gathers written so far: I1, I2, ...
        self.inputs_of: dict[int, str] = {}  # id(layer statement) -> its input matrix
        self.grads = _Gradients(self.w, lambda e: f"xp.sum({e})", _gradient_name)
        self.needs: list[bool] = []  # per node: is a gradient wanted (set by backward)
        self.pieces: list[tuple[list[int], str]] = []  # (theta positions, flat gradient)
        self.zeros_written = False
        self.src.layout = _layout(graph, plan)
        self.position = {s: k for k, s in enumerate(self.src.layout)}  # state index -> theta
        self.dots: dict[int, tuple[list[int], list[int]]] = {}  # id(ParamDot) -> its factors

    # -- names ----------------------------------------------------------------

    def name(self, i: int) -> str:
        """Node ``i`` in the code: its lane's column, its input, its parameter, or ``v{i}``."""
        node = self.nodes[i]
        if i in self.plan.lane:
            vector, j = self.plan.lane[i]
            return f"{vector.name}[:, {j}]"
        if node.kind == INPUT:
            arg = self.graph.arg_names[node.arg]
            return arg if node.position is None else f"{arg}[:, {node.position}]"
        if node.kind == STATE:
            return f"theta[{self.position[node.state]}]"
        if node.kind == CONSTANT:
            return text(node.data)
        return f"v{i}"

    def check(self, what: str, description: str) -> None:
        """With ``checks``, a line that stops at the first value of ``what`` not finite.

        The line names its value by number: the description, which may hold a
        label, stays out of the code (``Source.descriptions``).
        """
        if self.checks:
            self.w.line(f"check({what}, {len(self.src.descriptions)})", description)
            self.src.descriptions.append(description)

    def positions(self, indices: list[int]) -> list[int]:
        """Where in theta each of the state nodes ``indices`` sits."""
        nodes, position = self.nodes, self.position
        return [position[nodes[i].state] for i in indices]

    def gather(self, indices: list[int]) -> str:
        """The parameters of state nodes ``indices`` from theta as one array: a slice where
        they sit side by side in order (the layout sees to that for layers), else a gather."""
        positions = self.positions(indices)
        start, stop = positions[0], positions[0] + len(positions)
        if positions == list(range(start, stop)):
            return "theta" if stop - start == len(self.position) else f"theta[{start}:{stop}]"
        self.gathers += 1
        key = f"I{self.gathers}"
        self.src.indices[key] = positions
        return f"xp.take(theta, {key})"

    def factors(self, st: ParamDot) -> tuple[list[int], list[int]]:
        """A sum of products' factors, the products in theta's order (a sum in any order)."""
        if id(st) not in self.dots:
            position = self.position
            pairs = sorted(
                zip(st.left, st.right), key=lambda pair: position[self.nodes[pair[0]].state]
            )
            self.dots[id(st)] = ([a for a, _ in pairs], [b for _, b in pairs])
        return self.dots[id(st)]

    # -- forward, one statement at a time ---------------------------------------

    def forward(self) -> None:
        """The plan's statements in order, each as its lines of array code."""
        self.w.line("# forward")
        write = {
            Scalar: self._forward_scalar,
            Layer: self._forward_layer,
            Map: self._forward_map,
            ParamDot: self._forward_param_dot,
        }
        for st in self.plan.statements:
            write[type(st)](st)

    def _forward_scalar(self, st: Scalar) -> None:
        """One node: the op's array form on its parents."""
        node = self.nodes[st.node]
        op = self.rule(node.op)
        value = forward_rule(op, self.arguments(node), ARRAY)
        self.w.line(f"v{st.node} = {text(value)}", f"{op.name}{_label(node)}")
        self.check(f"v{st.node}", f"{op.name} (node v{st.node}{_label(node)})")

    def _forward_layer(self, st: Layer) -> None:
        """A layer of neurons as one matrix product: ``z = x @ W.T + b``."""
        out = st.out.name
        m, n_in = len(st.W), len(st.x)
        x = self._layer_input(st)
        flat = [i for row in st.W for i in row]
        self.w.line(
            f"W_{out} = xp.reshape({self.gather(flat)}, ({m}, {n_in}))",
            f"the {m}×{n_in} weights, from the parameters",
        )
        terms = f"{x} @ W_{out}.T"
        if st.bias is not None:
            self.w.line(f"b_{out} = {self.gather(st.bias)}", f"the {m} bias{'es' if m > 1 else ''}")
            terms += f" + b_{out}"
        if any(o != 0 for o in st.offset):
            self.src.offsets[f"o_{out}"] = st.offset
            terms += f" + o_{out}"
        self.w.line(
            f"{out} = {terms}",
            f"{m} neuron{'s' if m > 1 else ''} at once: Σ w·x{' + b' if st.bias else ''}",
        )
        self.check(out, f"layer {out}")

    def _layer_input(self, st: Layer) -> str:
        """The layer's input matrix: a vector or an argument as it is, else its columns stacked."""
        vector = _layer_source_vector(self.plan, st)
        if vector is not None:
            x = vector.name
        elif (arg := input_vector(self.graph, st.x)) is not None:
            x = self.graph.arg_names[arg]
        else:
            x = f"x_{st.out.name}"
            self.w.line(
                f"{x} = xp.stack([{', '.join(self.name(i) for i in st.x)}], axis=1)",
                "the layer's inputs as columns",
            )
        self.inputs_of[id(st)] = x
        return x

    def _forward_map(self, st: Map) -> None:
        """One op on every lane of a vector at once."""
        op = self.rule(st.op)
        value = forward_rule(op, _map_arguments(st), ARRAY)
        self.w.line(f"{st.out.name} = {text(value)}", f"{op.name}, every lane")
        self.check(st.out.name, f"{op.name} ({st.out.name})")

    def _forward_param_dot(self, st: ParamDot) -> None:
        """A sum of products of parameters (an L2 penalty), once for the whole batch."""
        i = st.node
        left, right = self.factors(st)
        self.w.line(f"l{i} = {self.gather(left)}", "the parameters multiplied")
        if right == left:
            terms = f"xp.sum(l{i} * l{i})"
        else:
            self.w.line(f"r{i} = {self.gather(right)}")
            terms = f"xp.sum(l{i} * r{i})"
        for e in st.extra:
            terms += f" + {self.name(e)}"
        if st.offset != 0:
            terms += f" + {text(st.offset)}"
        self.w.line(f"v{i} = {terms}", f"Σ of {len(st.left)} products of parameters, once")
        self.check(f"v{i}", f"sum of products (node v{i})")

    # -- the ends of the forward ------------------------------------------------

    def return_outputs(self) -> None:
        """Forward mode: the outputs per example, one column each when there are several."""
        shaped = [
            self.name(o) if self.nodes[o].batched else f"xp.broadcast_to({self.name(o)}, (n,))"
            for o in self.graph.outputs
        ]
        result = shaped[0] if self.graph.single else f"xp.stack([{', '.join(shaped)}], axis=1)"
        self.w.line(f"return {result}")

    def loss(self) -> None:
        """Loss mode: the output summed over the batch and scaled (1/n for the mean)."""
        (o,) = self.graph.outputs
        if self.nodes[o].batched:
            self.w.line(
                f"loss = xp.sum({self.name(o)}) * scale", "scale = 1/n for the mean, 1 for the sum"
            )
        else:
            self.w.line(f"loss = {self.name(o)}", "the same for every example")

    # -- backward, last statement first -------------------------------------------

    def backward(self) -> None:
        """The seed dL/dout, then every statement's chain rule, the plan in reverse."""
        self.w.blank()
        self.w.line("# backward, last statement first")
        self.needs = needs_gradient(self.graph)
        (o,) = self.graph.outputs
        batched = self.nodes[o].batched
        if batched:
            seed = "xp.full((n,), scale, dtype=xp.float64)"
        else:
            seed = "xp.asarray(n * scale, dtype=xp.float64)"
        self.grads.add(o, seed, batched, batched, "d loss / d output")
        if batched:
            self.grads.sums[_gradient_name(o)] = "xp.asarray(n * scale, dtype=xp.float64)"
        write = {
            Scalar: self._backward_scalar,
            Layer: self._backward_layer,
            Map: self._backward_map,
            ParamDot: self._backward_param_dot,
        }
        for st in reversed(self.plan.statements):
            write[type(st)](st)

    def _backward_scalar(self, st: Scalar) -> None:
        """One node: its gradient times each local derivative, to every parent that needs it."""
        i = st.node
        node = self.nodes[i]
        if not self.grads.has(i) or not any(self.needs[p] for p in node.parents):
            return
        op = self.rule(node.op)
        locals_ = derivative_rule(op, array_symbol(f"v{i}"), self.arguments(node))
        for k, p in enumerate(node.parents):
            if self.needs[p]:
                expr = text(multiply(locals_[k], array_symbol(_gradient_name(i))))
                self.grads.add(p, expr, node.batched, self.nodes[p].batched, _comment(op, k))

    def _backward_map(self, st: Map) -> None:
        """Every lane at once: the vector's gradient times the op's derivative."""
        g = self._vector_gradient(st.out)
        if g is None or not any(self.needs[i] for i in st.source.lanes):
            return
        op = self.rule(st.op)
        (local,) = derivative_rule(op, array_symbol(st.out.name), _map_arguments(st))
        expr = text(multiply(local, array_symbol(g)))
        self.grads.add(st.source.name, expr, True, True, f"{_comment(op, 0)}, every lane")

    def _backward_layer(self, st: Layer) -> None:
        """A layer: its weights' and biases' gradients summed over the batch, then its input's."""
        g = self._vector_gradient(st.out)
        if g is None:
            return
        out = st.out.name
        self.w.line(
            f"gW_{out} = {g}.T @ {self.inputs_of[id(st)]}", "∂z/∂W = x, summed over the batch"
        )
        flat = [i for row in st.W for i in row]
        self.pieces.append((self.positions(flat), f"xp.reshape(gW_{out}, (-1,))"))
        if st.bias is not None:
            self.w.line(f"gb_{out} = xp.sum({g}, axis=0)", "∂z/∂b = 1, summed over the batch")
            self.pieces.append((self.positions(st.bias), f"gb_{out}"))
        if any(self.needs[i] for i in st.x):
            self._layer_input_gradient(st, g)

    def _layer_input_gradient(self, st: Layer, g: str) -> None:
        """``∂z/∂x = W``: to the vector the layer read, or column by column to its inputs."""
        out = st.out.name
        source = _layer_source_vector(self.plan, st)
        if source is not None:
            self.grads.add(source.name, f"{g} @ W_{out}", True, True, "∂z/∂x = W")
            return
        self.w.line(f"gx_{out} = {g} @ W_{out}", "∂z/∂x = W")
        for j, i in enumerate(st.x):
            if self.needs[i]:
                self.grads.add(i, f"gx_{out}[:, {j}]", True, True)

    def _backward_param_dot(self, st: ParamDot) -> None:
        """A sum of products of parameters: each factor's gradient is the other factor."""
        i = st.node
        if not self.grads.has(i):
            return
        g = _gradient_name(i)
        left, right = self.factors(st)
        if right == left:  # p · p: both factors are the same parameter
            self.w.line(f"gl{i} = {g} * l{i}", "∂(a·b)/∂a = b, and ∂(a·b)/∂b = a, the same")
            self.w.line(f"gl{i} = gl{i} + gl{i}", "p is both factors: both slopes reach it")
            self.pieces.append((self.positions(left), f"gl{i}"))
        else:
            self.w.line(f"gl{i} = {g} * r{i}", "∂(a·b)/∂a = b, per product")
            self.w.line(f"gr{i} = {g} * l{i}", "∂(a·b)/∂b = a, per product")
            self.pieces.append((self.positions(left), f"gl{i}"))
            self.pieces.append((self.positions(right), f"gr{i}"))
        for e in st.extra:
            self.grads.add(e, g, False, False, "∂(a + b)/∂b = 1")

    def _vector_gradient(self, vector: Vector) -> str | None:
        """The gradient of a vector statement's output, its lanes' gradients stacked as columns
        (a lane with none gets zeros); None if no lane has one."""
        lanes = [self.grads.has(i) for i in vector.lanes]
        if any(lanes):
            if not all(lanes) and not self.zeros_written:
                self.w.line("zeros = xp.zeros((n,), dtype=xp.float64)")
                self.zeros_written = True
            columns = ", ".join(
                _gradient_name(i) if has else "zeros" for i, has in zip(vector.lanes, lanes)
            )
            if len(vector.lanes) == 1:  # one column: a reshape, cheaper than a stack
                self.grads.add(
                    vector.name, f"xp.reshape({columns}, (n, 1))", True, True, "as a column"
                )
            else:
                self.grads.add(
                    vector.name, f"xp.stack([{columns}], axis=1)", True, True, "lanes as columns"
                )
        return _gradient_name(vector.name) if self.grads.has(vector.name) else None

    # -- the gradients, gathered ----------------------------------------------------

    def gather_gradients(self) -> None:
        """All gradients as one flat array, from the layers' and dots' pieces and the lone
        parameters'; ``slots`` says which parameter each entry belongs to.

        Where the pieces lie side by side in theta's order (the layout makes them so for
        layers, and an L2 penalty covers all of theta), the pieces are concatenated and the
        concatenations added: one entry per parameter, in theta's order. Otherwise every
        piece is one run of slots, and a trailing 0 pads the parameters with fewer slots
        when the slots are summed per parameter (see ``engine.compiler``).
        """
        has = self.grads.has
        leaves = [i for i, n in enumerate(self.nodes) if n.kind == STATE and has(i)]
        pieces = list(self.pieces)
        if leaves:
            stacked = f"xp.stack([{', '.join(_gradient_name(i) for i in leaves)}])"
            pieces.append((self.positions(leaves), stacked))
        layout = self.src.layout
        self.w.blank()
        groups = _side_by_side(pieces)
        if groups is not None:
            sums = [_joined([expr for _, expr in group]) for group in groups]
            self.src.slots = layout[: sum(len(p) for p, _ in groups[0])]
            self.w.line(f"grads = {' + '.join(sums)}", "one entry per parameter, in theta's order")
        else:
            self.src.slots = [layout[k] for positions, _ in pieces for k in positions]
            parts = [expr for _, expr in pieces] + ["xp.zeros((1,), dtype=xp.float64)"]
            self.w.line(f"grads = xp.concat([{', '.join(parts)}])", "one entry per slot, then a 0")
        self.w.line("return loss, grads")

    def source(self) -> Source:
        """The lines written, as the function ``run``, and what running it needs."""
        self.src.text, self.src.code = _function(
            "run(xp, theta, {args}n, scale, check)", self.graph, self.w
        )
        return self.src


def _layout(graph: Graph, plan: Plan) -> list[int]:
    """The order of the parameters in the array code's theta, as state indices.

    Each layer's weights row by row, then its biases, in the order the layers run,
    so ``W = reshape(theta[a:b], (m, n))`` is a view, not a gather; then the
    parameters of sums of products, the lone ones, and any the graph never reads.
    """
    order: dict[int, None] = {}  # insertion-ordered set
    nodes = graph.nodes
    for st in plan.statements:
        if isinstance(st, Layer):
            used = [i for row in st.W for i in row] + (st.bias or [])
        elif isinstance(st, ParamDot):
            used = st.left + st.right
        else:
            continue
        order.update((nodes[i].state, None) for i in used)
    order.update((n.state, None) for n in nodes if n.kind == STATE)
    order.update((s, None) for s in range(len(graph.state)))
    return list(order)


def _side_by_side(pieces: list[tuple[list[int], str]]) -> list[list] | None:
    """The gradient pieces in groups that each cover theta's first R entries in order, one
    piece after the other (each group then concatenates to one gradient per parameter);
    None if they do not fall into such groups."""
    spans = []
    for positions, expr in pieces:
        start = positions[0] if positions else -1
        if start < 0 or positions != list(range(start, start + len(positions))):
            return None
        spans.append((start, start + len(positions), expr))
    if not spans:
        return None
    end_of_all = max(stop for _, stop, _ in spans)
    left = sorted(spans, key=lambda span: span[0])
    groups = []
    while left:
        group, end = [], 0
        while end < end_of_all:
            following = next((span for span in left if span[0] == end), None)
            if following is None:
                return None
            left.remove(following)
            group.append((list(range(following[0], following[1])), following[2]))
            end = following[1]
        groups.append(group)
    return groups


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"xp.concat([{', '.join(parts)}])"


def _map_arguments(st: Map) -> list:
    """A map's rule arguments: its source vector's symbol, then its constant if any."""
    args: list = [array_symbol(st.source.name)]
    if st.constant is not None:
        args.append(st.constant)
    return args


def _layer_source_vector(plan: Plan, st: Layer) -> Vector | None:
    """The vector statement whose lanes are exactly the layer's inputs, in order, if any."""
    first = plan.lane.get(st.x[0])
    if first is None:
        return None
    vector, _ = first
    return vector if vector.lanes == st.x else None


def _function(signature: str, graph: Graph, w: _Writer) -> tuple[str, str]:
    args = "".join(f"{a}, " for a in graph.arg_names)
    header = "def " + signature.format(args=args) + ":"
    return _text_and_code([header, *w.lines])


# ---------------------------------------------------------------------------
# Float code: one example at a time, the chain rule edge by edge.


def python_source(graph: Graph, loss: bool, rules: Mapping, checks: bool = False) -> Source:
    """The graph as straight-line float code, looped over the examples of the batch.

    The parameters are read once; each node is computed before the loop or, if it
    varies per example, inside it. Forward mode collects the outputs per example;
    loss mode adds the loss up over the loop and runs the chain rule edge by edge.
    """
    code = _FloatCode(graph, rules, checks)
    code.read_parameters()
    code.forward()
    if not loss:
        return code.source(code.forward_function())
    code.backward()
    return code.source(code.loss_function())


class _FloatCode(_Code):
    """One float program being written: names, the lines before and inside the loop."""

    symbol = staticmethod(python_symbol)

    def __init__(self, graph: Graph, rules: Mapping, checks: bool) -> None:
        super().__init__(graph, rules, checks)
        self.functions: dict[str, Callable] = {}  # float forwards the code calls by name
        self.descriptions: list[str] = []  # what fail(k, value) is about
        self.before = _Writer()  # once per call: parameters and what does not vary
        self.inside = _Writer("        ")  # per example, in the loop
        self.grads_before = _Writer()  # the gradients that add up over the loop start at 0
        self.grads_inside = _Writer("        ")
        self.grads_after = _Writer()
        self.assigned: set[int] = set()  # nodes whose gradient has a first contribution
        self.needs: list[bool] = []  # per node: is a gradient wanted (set by backward)

    # -- names ----------------------------------------------------------------

    def name(self, i: int) -> str:
        """Node ``i`` in the code: a constant's number, ``p{state}`` or ``v{i}``."""
        node = self.nodes[i]
        if node.kind == CONSTANT:
            return text(node.data)
        if node.kind == STATE:
            return f"p{node.state}"
        return f"v{i}"

    def call(self, op: ops.Op, args: list, function: Callable | None = None) -> str:
        """A call of the op's float forward (or ``function``) by name, one name per function."""
        function = op.forward if function is None else function
        key = op.name if function is op.forward else f"{op.name}_derivative"
        taken = self.graph.arg_names  # an argument may be called tanh_ (fn's tanh, renamed)
        while key in taken or (key in self.functions and self.functions[key] is not function):
            key += "_"
        self.functions[key] = function
        return f"{key}({', '.join(map(text, args))})"

    # -- forward ----------------------------------------------------------------

    def read_parameters(self) -> None:
        """``p{s} = theta[s]`` once per parameter the graph reads, labelled."""
        labels: dict[int, str] = {}
        for n in self.nodes:
            if n.kind == STATE:
                labels.setdefault(n.state, n.label)
        for s in sorted(labels):
            self.before.line(f"p{s} = theta[{s}]", printable(labels[s]))

    def forward(self) -> None:
        """One line per operation: before the loop, or inside it if it varies per example."""
        for i, node in enumerate(self.nodes):
            if node.kind != OPERATION:
                continue
            op = self.rule(node.op)
            args = self.arguments(node)
            value = forward_rule(op, args, PYTHON)
            code = text(value) if value is not None else self.call(op, args)
            where = self.inside if node.batched else self.before
            where.line(f"v{i} = {code}", f"{op.name}{_label(node)}")
            if self.checks:
                k = len(self.descriptions)
                self.descriptions.append(f"{op.name} (node v{i}{_label(node)})")
                where.line(f"if not isfinite(v{i}): fail({k}, v{i})", self.descriptions[k])

    # -- backward, edge by edge ---------------------------------------------------

    def backward(self) -> None:
        """The seed dL/dout, then every node last first: its gradient to each parent."""
        self.needs = needs_gradient(self.graph)
        (o,) = self.graph.outputs
        batched = self.nodes[o].batched
        self.add(o, "scale" if batched else "n * scale", batched, "d loss / d output")
        for i in range(len(self.nodes) - 1, -1, -1):
            self._chain_rule(i)

    def _chain_rule(self, i: int) -> None:
        """Node ``i``'s gradient times each local derivative, to every parent that needs it."""
        node = self.nodes[i]
        if node.kind != OPERATION or i not in self.assigned:
            return
        if not any(self.needs[p] for p in node.parents):
            return
        op = self.rule(node.op)
        try:
            locals_ = derivative_rule(op, python_symbol(f"v{i}"), self.arguments(node))
        except TypeError:  # written with math (engine.define_op): call it, as forwards are
            call = self.call(op, [python_symbol(f"v{i}"), *self.arguments(node)], op.derivative)
            locals_ = [python_symbol(f"{call}[{k}]") for k in range(op.arity)]
        for k, p in enumerate(node.parents):
            if self.needs[p]:
                expr = text(multiply(locals_[k], python_symbol(f"g{i}")))
                self.add(p, expr, node.batched, _comment(op, k))

    def add(self, target: int, expr: str, inside_loop: bool, comment: str) -> None:
        """Add ``expr`` to ``g{target}``: per example, a gradient lives inside the loop;
        a parameter's (and anything not batched) adds up over it, from 0 set before it."""
        writer = self.grads_inside if inside_loop else self.grads_after
        g = f"g{target}"
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
            self._header(),
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
        lines = [self._header(), *self.before.lines, *self.grads_before.lines]
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
        grads = ", ".join(f"g{i}" for i in self._parameters_with_gradients())
        lines.append(f"    return {loss}, [{grads}]")
        return lines

    def _parameters_with_gradients(self) -> list[int]:
        """The state nodes the loss reaches, in graph order (one gradient, one slot each)."""
        return [i for i, n in enumerate(self.nodes) if n.kind == STATE and i in self.assigned]

    def _header(self) -> str:
        args = "".join(f"{a}, " for a in self.graph.arg_names)
        return f"def run(theta, {args}n, scale, check):"

    def source(self, lines: list[str]) -> Source:
        """The function's lines as source, with the slots and the functions it calls."""
        slots = [self.nodes[i].state for i in self._parameters_with_gradients()]
        text, code = _text_and_code(lines)
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
        present = [(i, n) for i, n in enumerate(graph.nodes) if n.kind == INPUT and n.arg == k]
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


def float_sign(x: float) -> float:
    """sign(x) as a float: 1.0, -1.0 or 0.0 (and nan for nan)."""
    return math.copysign(1.0, x) if x != 0 and x == x else x * 0.0 if x == x else x
