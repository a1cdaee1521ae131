"""Array code: the plan's statements over whole batches, in an Array API namespace ``xp``.

``array_source(graph, plan, loss, rules)`` writes a function
``run(xp, theta, inputs..., n, scale, check)``: ``theta`` holds the parameters' data in
the order of ``Source.layout``, which puts each layer's weights, row by row, then its
biases, side by side, so that a layer reads them as a slice; ``n`` is the batch size,
``scale`` is 1/n for a mean (1 for a sum). In loss mode it returns ``(loss, grads)``,
``grads`` one number per entry of ``Source.slots`` (the parameter each belongs to); in
forward mode the outputs per example. Layers (see ``engine.compiler.plan``) are matrix
products.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from .. import ops
from .emit import Code, Source, Writer, derivative_comment, derivative_rule, label
from .plan import Layer, Map, ParamDot, Plan, Scalar, Vector, input_vector
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


def _gradient_name(key) -> str:
    """``g7`` for node 7's gradient, ``g_z1`` for vector ``z1``'s."""
    return f"g{key}" if isinstance(key, int) else f"g_{key}"


class Piece(NamedTuple):
    """Part of the flat gradient: the theta positions it covers, and its expression."""

    positions: list[int]
    expr: str


class _ArrayCode(Code):
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
        self.grads = _Gradients(self.w, lambda e: f"xp.sum({e})", _gradient_name)
        self.pieces: list[Piece] = []  # the flat gradient, piece by piece
        self.zeros_written = False
        self.src.layout = _layout(graph, plan)
        self.position = {s: k for k, s in enumerate(self.src.layout)}  # state index -> theta
        self.dots: dict[int, tuple[list[int], list[int]]] = {}  # id(ParamDot) -> its factors

    # -- names ----------------------------------------------------------------

    def name(self, i: int) -> str:
        """Node ``i`` in the code: its lane's column, its input, its parameter, or ``v{i}``."""
        node = self.nodes[i]
        lane = self.plan.lane.get(i)
        if lane is not None:
            return f"{lane.vector.name}[:, {lane.column}]"
        if isinstance(node, Input):
            arg = self.graph.arg_names[node.arg]
            return arg if node.position is None else f"{arg}[:, {node.position}]"
        if isinstance(node, State):
            return f"theta[{self.position[node.index]}]"
        if isinstance(node, Constant):
            return text(node.data)
        return f"v{i}"

    def check(self, what: str, description: str) -> None:
        """With ``detect_anomaly``, a line that stops at the first value of ``what`` not finite.

        The line names its value by number: the description, which may hold a
        label, stays out of the code (``Source.descriptions``).
        """
        if self.detect_anomaly:
            self.w.line(f"check({what}, {len(self.src.descriptions)})", description)
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

    def factors(self, st: ParamDot) -> tuple[list[int], list[int]]:
        """A sum of products' factors, the products in theta's order (a sum in any order)."""
        if id(st) not in self.dots:
            position = self.position
            pairs = sorted(
                zip(st.left, st.right), key=lambda pair: position[self.nodes[pair[0]].index]
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
        value = self.forward_of(node.op, self.arguments(node))
        self.w.line(f"v{st.node} = {text(value)}", f"{node.op.name}{label(node)}")
        self.check(f"v{st.node}", f"{node.op.name} (node v{st.node}{label(node)})")

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
        value = self.forward_of(st.op, _map_arguments(st))
        self.w.line(f"{st.out.name} = {text(value)}", f"{st.op.name}, every lane")
        self.check(st.out.name, f"{st.op.name} ({st.out.name})")

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
        locals_ = self.derivatives_of(node.op, f"v{i}", self.arguments(node))
        for k, p in enumerate(node.parents):
            if self.needs[p]:
                expr = text(multiply(locals_[k], array_symbol(_gradient_name(i))))
                self.grads.add(p, expr, node.batched, self.nodes[p].batched, self.comment(i, k))

    def _backward_map(self, st: Map) -> None:
        """Every lane at once: the vector's gradient times the op's derivative."""
        g = self._vector_gradient(st.out)
        if g is None or not any(self.needs[i] for i in st.source.lanes):
            return
        args = _map_arguments(st)
        (local,) = self.derivatives_of(st.op, st.out.name, args)
        expr = text(multiply(local, array_symbol(g)))
        comment = derivative_comment(st.op, 0, st.out.name, [text(a) for a in args])
        self.grads.add(st.source.name, expr, True, True, comment)

    def _backward_layer(self, st: Layer) -> None:
        """A layer: its weights' and biases' gradients summed over the batch, then its input's."""
        g = self._vector_gradient(st.out)
        if g is None:
            return
        out, x = st.out.name, self.inputs_of[id(st)]
        self.w.line(f"gW_{out} = {g}.T @ {x}", f"∂{out}/∂W_{out} = {x}, summed over the batch")
        flat = [i for row in st.W for i in row]
        self.pieces.append(Piece(self.positions(flat), f"xp.reshape(gW_{out}, (-1,))"))
        if st.bias is not None:
            self.w.line(
                f"gb_{out} = xp.sum({g}, axis=0)", f"∂{out}/∂b_{out} = 1, summed over the batch"
            )
            self.pieces.append(Piece(self.positions(st.bias), f"gb_{out}"))
        if any(self.needs[i] for i in st.x):
            self._layer_input_gradient(st, g)

    def _layer_input_gradient(self, st: Layer, g: str) -> None:
        """``∂z/∂x = W``: to the vector the layer read, or column by column to its inputs."""
        out, x = st.out.name, self.inputs_of[id(st)]
        source = _layer_source_vector(self.plan, st)
        if source is not None:
            self.grads.add(source.name, f"{g} @ W_{out}", True, True, f"∂{out}/∂{x} = W_{out}")
            return
        self.w.line(f"gx_{out} = {g} @ W_{out}", f"∂{out}/∂{x} = W_{out}")
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
            self.w.line(f"gl{i} = {g} * l{i}", f"∂v{i}/∂l{i} = l{i}, product by product")
            self.w.line(f"gl{i} = gl{i} + gl{i}", f"l{i} is both factors: both slopes reach it")
            self.pieces.append(Piece(self.positions(left), f"gl{i}"))
        else:
            self.w.line(f"gl{i} = {g} * r{i}", f"∂v{i}/∂l{i} = r{i}, product by product")
            self.w.line(f"gr{i} = {g} * l{i}", f"∂v{i}/∂r{i} = l{i}, product by product")
            self.pieces.append(Piece(self.positions(left), f"gl{i}"))
            self.pieces.append(Piece(self.positions(right), f"gr{i}"))
        for e in st.extra:
            self.grads.add(e, g, False, False, f"∂v{i}/∂{self.name(e)} = 1")

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
        leaves = [i for i, n in enumerate(self.nodes) if isinstance(n, State) and has(i)]
        pieces = list(self.pieces)
        if leaves:
            stacked = f"xp.stack([{', '.join(_gradient_name(i) for i in leaves)}])"
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
        self.src.text, self.src.code = self.function(self.w.lines, "xp, ")
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
        order.update((nodes[i].index, None) for i in used)
    order.update((n.index, None) for n in nodes if isinstance(n, State))
    order.update((s, None) for s in range(len(graph.state)))
    return list(order)


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
    return first.vector if first.vector.lanes == st.x else None
