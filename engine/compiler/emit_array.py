"""Array code: the plan's statements over whole batches, in an Array API namespace ``xp``.

``array_source(graph, plan, loss, rules)`` writes a function
``run(xp, theta, inputs..., n, scale, require_finite)``: ``theta`` holds the parameters' data in
the order of ``Source.layout``, which puts each layer's weights, row by row, then its
biases, side by side, so that a layer reads them as a slice; ``n`` is the batch size,
``scale`` is 1/n for a mean (1 for a sum). In loss mode it returns ``(loss, grads)``,
``grads`` one number per entry of ``Source.slots`` (the parameter each belongs to); in
forward mode the outputs per example. Layers (see ``engine.compiler.plan``) are matrix
products.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .. import ops
from .emit import Code, Source, Writer, derivative_rule, label, relined
from .emit_vectors import Piece, VectorStatements
from .plan import Layer, Map, ParamDot, Plan, Reduce, Scalar
from .symbols import ARRAY, array_symbol, multiply, text
from .trace import Constant, Graph, Input, State

__all__ = ["array_source", "product_rule_holds"]


def product_rule_holds(rules: Mapping) -> bool:
    """Whether the table's mul and add are the plain product and sum rules fusing relies on."""
    w, x, out = array_symbol("W"), array_symbol("X"), array_symbol("Z")
    mul = rules.get(ops.MUL, ops.MUL)
    add = rules.get(ops.ADD, ops.ADD)
    dw, dx = derivative_rule(mul, out, [w, x])
    da, db = derivative_rule(add, out, [w, x])
    return text(dw) == "X" and text(dx) == "W" and da == 1 and db == 1


class _Gradients:
    """Accumulators: the first contribution assigns, later ones add (never in place)."""

    def __init__(self, writer: Writer, total: Callable[[str], str], name: Callable) -> None:
        self.writer = writer
        self.total = total  # batched expression -> its sum over the batch
        self.name = name  # key -> variable name
        self.assigned: set = set()
        # Gradients whose sum over the batch is known without summing (the seed, every
        # entry scale, and what is only another name for it): name -> that sum.
        self.sums: dict[str, str] = {}
        # Vector gradients that are still one column, (n, 1), the same for every lane (a
        # sum's): broadcasting makes them whole where they meet a whole one.
        self.narrow: set = set()

    def add(
        self,
        key,
        expr: str,
        expr_batched: bool,
        target_batched: bool,
        comment: str = "",
        narrow: bool = False,
    ) -> None:
        g = self.name(key)
        if not narrow:
            self.narrow.discard(key)
        elif key not in self.assigned:
            self.narrow.add(key)
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


def array_source(
    graph: Graph, plan: Plan, loss: bool, rules: Mapping, detect_anomaly: bool = False
) -> Source:
    """The plan as array code in namespace ``xp``: forward, then backward in reverse.

    Forward mode returns the outputs; loss mode writes the loss, the backward
    statements last first, and the gradients gathered into one flat array.
    """
    code = _ArrayCode(graph, plan, rules, detect_anomaly)
    code.forward()
    if loss:
        code.loss()
        code.backward()
        code.gather_gradients()
    else:
        code.return_outputs()
    return code.source()


class _ArrayCode(VectorStatements, Code):
    """One array program being written: its names, its lines, the gradients so far."""

    symbol = staticmethod(array_symbol)
    dialect = ARRAY

    def __init__(self, graph: Graph, plan: Plan, rules: Mapping, detect_anomaly: bool) -> None:
        super().__init__(graph, rules, detect_anomaly)
        self.plan = plan
        self.src = Source("")
        self.w = Writer()
        self.gathers = 0  # parameter gathers written so far: I1, I2, ...
        self.inputs_of: dict[int, str] = {}  # id(layer statement) -> its input matrix
        self.grads = _Gradients(self.w, lambda e: f"xp.sum({e})", self.gradient_name)
        self.pieces: list[Piece] = []  # the flat gradient, piece by piece
        # The arguments' vectors that maps or reductions read, lane by lane (a layer reads an
        # argument as it is, x.T).
        read = [v for st in plan.statements if isinstance(st, Map) for v in st.vectors]
        read += [st.source for st in plan.statements if isinstance(st, Reduce)]
        self.turned = {vector.name for vector in read if vector.name in plan.inputs}
        self.zeros_written = False
        self.src.layout = _layout(graph, plan)
        self.position = {s: k for k, s in enumerate(self.src.layout)}  # state index -> theta
        self.dots: dict[int, tuple[list[int], list[int]]] = {}  # id(ParamDot) -> its factors

    # -- names ----------------------------------------------------------------

    def name(self, i: int) -> str:
        """Node ``i`` in the code: its lane's column, its input, its parameter, or ``v{i}``."""
        node = self.nodes[i]
        lane = self.plan.lane.get(i)
        if lane is not None and not isinstance(node, Input):
            return f"{lane.vector.name}[{lane.column}, :]"
        if i in self.plan.named:  # a reduction's result
            return self.plan.named[i]
        if isinstance(node, Input):
            arg = self.graph.arg_names[node.arg]
            return arg if node.position is None else f"{arg}[:, {node.position}]"
        if isinstance(node, State):
            return f"theta[{self.position[node.index]}]"
        if isinstance(node, Constant):
            return text(node.data)
        return f"v{i}"

    def gradient_name(self, key: int | str) -> str:
        """``g7`` for node 7's gradient, ``g_z1`` for vector ``z1``'s or reduction ``z1``'s."""
        if isinstance(key, int):
            return f"g_{self.plan.named[key]}" if key in self.plan.named else f"g{key}"
        return f"g_{key}"

    def require_finite(self, what: str, description: str) -> None:
        """With ``detect_anomaly``, a line that stops at the first value of ``what`` not finite.

        The line names its value by number: the description, which may hold a
        label, stays out of the code (``Source.descriptions``).
        """
        if self.detect_anomaly:
            self.w.line(f"require_finite({what}, {len(self.src.descriptions)})", description)
            self.src.descriptions.append(description)

    def positions(self, indices: list[int]) -> list[int]:
        """Where in theta each of the state nodes ``indices`` sits."""
        nodes, position = self.nodes, self.position
        return [position[nodes[i].index] for i in indices]

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

    # -- forward, one statement at a time ---------------------------------------

    def forward(self) -> None:
        """The plan's statements in order, each as its lines of array code."""
        self.w.line("# forward (each array is let go right after its last use: a del not shown)")
        for vector, arg in self.plan.inputs.items():  # turned once, for the maps that read it
            if vector in self.turned:
                self.w.line(
                    f"{vector} = xp.permute_dims({arg}, (1, 0))", f"{arg}, a row per number"
                )
        write = {
            Scalar: self._forward_scalar,
            Layer: self._forward_layer,
            Map: self._forward_map,
            Reduce: self._forward_reduce,
            ParamDot: self._forward_param_dot,
        }
        for st in self.plan.statements:
            write[type(st)](st)

    def _forward_scalar(self, st: Scalar) -> None:
        """One node: the op's array form on its parents."""
        node = self.nodes[st.node]
        value = self.forward_of(node.op, self.arguments(node))
        self.w.line(f"v{st.node} = {text(value)}", f"{node.op.name}{label(node)}")
        self.require_finite(f"v{st.node}", f"{node.op.name} (node v{st.node}{label(node)})")

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
        (o,) = self.graph.outputs
        batched = self.nodes[o].batched
        if batched:
            seed = "xp.full((n,), scale, dtype=xp.float64)"
        else:
            seed = "xp.asarray(n * scale, dtype=xp.float64)"
        self.grads.add(o, seed, batched, batched, "d loss / d output")
        if batched:
            self.grads.sums[self.gradient_name(o)] = "xp.asarray(n * scale, dtype=xp.float64)"
        write = {
            Scalar: self._backward_scalar,
            Layer: self._backward_layer,
            Map: self._backward_map,
            Reduce: self._backward_reduce,
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
        locals_ = self.derivatives_of(node.op, f"v{i}", self.arguments(node))
        for k, p in enumerate(node.parents):
            if self.needs[p]:
                expr = text(multiply(locals_[k], array_symbol(self.gradient_name(i))))
                self.grads.add(p, expr, node.batched, self.nodes[p].batched, self.comment(i, k))

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
        leaves = [i for i, n in enumerate(self.nodes) if isinstance(n, State) and has(i)]
        pieces = list(self.pieces)
        if leaves:
            stacked = f"xp.stack([{', '.join(self.gradient_name(i) for i in leaves)}])"
            pieces.append(Piece(self.positions(leaves), stacked))
        layout = self.src.layout
        self.w.blank()
        groups = _side_by_side(pieces)
        if groups is not None:
            sums = [_joined([piece.expr for piece in group]) for group in groups]
            self.src.slots = layout[: sum(len(piece.positions) for piece in groups[0])]
            self.w.line(f"grads = {' + '.join(sums)}", "one entry per parameter, in theta's order")
        else:
            self.src.slots = [layout[k] for piece in pieces for k in piece.positions]
            parts = [piece.expr for piece in pieces] + ["xp.zeros((1,), dtype=xp.float64)"]
            self.w.line(f"grads = xp.concat([{', '.join(parts)}])", "one entry per slot, then a 0")
        self.w.line("return loss, grads")

    def source(self) -> Source:
        """The lines written, as the function ``run``, and what running it needs."""
        self.src.text, self.src.code = self.function(_released(self.w.lines), "xp, ")
        return self.src


_ASSIGNED = re.compile(r"\s*(\w+) = ")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


def _released(lines: list[str]) -> list[str]:
    """The lines, each array dropped (``del``) after the last line that reads it, so that its
    memory is reused at once rather than held to the end of the call."""
    last: dict[str, int] = {}
    assigned: set[str] = set()
    for k, line in enumerate(lines):
        code = getattr(line, "code", line)
        if (m := _ASSIGNED.match(code)) is not None:
            assigned.add(m.group(1))
        for name in _NAME.findall(code):
            last[name] = k
    dropped: dict[int, list[str]] = {}
    for name in assigned:
        dropped.setdefault(last[name], []).append(name)
    out = []
    for k, line in enumerate(lines):
        names = sorted(n for n in dropped.get(k, []) if n not in ("loss", "grads"))
        if names and not getattr(line, "code", line).lstrip().startswith("return"):
            code = f"{getattr(line, 'code', line)}; del {', '.join(names)}"
            line = relined(line, code)
        out.append(line)
    return out


def _layout(graph: Graph, plan: Plan) -> list[int]:
    """The order of the parameters in the array code's theta, as state indices.

    A layer whose parameters ``state`` already lists neuron by neuron, each neuron's
    weights then its bias (as ``nn.Layer`` does), keeps that order: it reads them as one
    (neurons, inputs + 1) view of theta, so a step that is given theta (``with_params``)
    gathers nothing, and its gradient comes back laid out the same. Any other layer
    gets its weights row by row, then its biases, so ``W = reshape(theta[a:b], (m, n))``
    is a view too. Then the parameters of sums of products, the lone ones, and any the
    graph never reads.
    """
    order: dict[int, None] = {}  # insertion-ordered set
    nodes = graph.nodes
    for st in plan.statements:
        if isinstance(st, Layer):
            used = _neuron_by_neuron(graph, st) or [i for row in st.W for i in row] + (
                st.bias or []
            )
        elif isinstance(st, ParamDot):
            used = st.left + st.right
        else:
            continue
        order.update((nodes[i].index, None) for i in used)
    order.update((n.index, None) for n in nodes if isinstance(n, State))
    order.update((s, None) for s in range(len(graph.state)))
    return list(order)


def _neuron_by_neuron(graph: Graph, st: Layer) -> list[int] | None:
    """The layer's weight and bias nodes, neuron by neuron, if ``state`` lists them so, in
    one run (``w0 … w(n-1), b`` for each neuron in turn); else None."""
    if st.bias is None:
        return None
    used = [i for row, b in zip(st.W, st.bias) for i in (*row, b)]
    indices = [graph.nodes[i].index for i in used]
    return used if indices == list(range(indices[0], indices[0] + len(indices))) else None


def _side_by_side(pieces: list[Piece]) -> list[list[Piece]] | None:
    """The gradient pieces in groups that each cover theta's first R entries in order, one
    piece after the other (each group then concatenates to one gradient per parameter);
    None if they do not fall into such groups."""
    if not pieces or not all(_contiguous(piece.positions) for piece in pieces):
        return None
    end_of_all = max(piece.positions[-1] + 1 for piece in pieces)
    left = sorted(pieces, key=lambda piece: piece.positions[0])
    groups = []
    while left:
        group, end = [], 0
        while end < end_of_all:
            following = next((piece for piece in left if piece.positions[0] == end), None)
            if following is None:
                return None
            left.remove(following)
            group.append(following)
            end = following.positions[-1] + 1
        groups.append(group)
    return groups


def _contiguous(positions: list[int]) -> bool:
    return bool(positions) and positions == list(range(positions[0], positions[0] + len(positions)))


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"xp.concat([{', '.join(parts)}])"
