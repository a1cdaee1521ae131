"""Writing a traced graph as Python source: forward, then backward, one commented line each.

Every line comes from the op table: the forward and the local derivatives
are the table's rules run on ``Symbol``s (see ``engine.symbols``), and the
comment is the rule's ``formulas`` entry. Two writers:

- ``array_source(graph, plan)``: code over whole batches in an Array API
  namespace ``xp``; layers (see ``engine.fusion``) are matrix products.
- ``python_source(graph)``: float code, the whole graph once per example in a
  loop, the chain rule one edge per line.

Both write a function ``run(theta, inputs..., n, scale)``: ``theta`` holds the
parameters' data, ``n`` is the batch size, ``scale`` is 1/n for a mean (1 for a
sum). In loss mode it returns ``(loss, grads)``, ``grads`` one number per entry
of the writer's ``slots`` (the parameter each belongs to); in forward mode the
outputs per example.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import ops
from .fusion import Layer, Map, ParamDot, Plan, Scalar, Vector, input_vector
from .symbols import ARRAY, PYTHON, Symbol, array_symbol, multiply, python_symbol, text
from .trace import CONSTANT, INPUT, OPERATION, STATE, Graph

__all__ = ["Source", "array_source", "python_source", "forward_rule", "derivative_rule"]


@dataclass
class Source:
    """Generated code and what running it needs."""

    text: str
    slots: list[int] = field(default_factory=list)  # per gradient: the index into theta
    indices: dict[str, list[int]] = field(default_factory=dict)  # name -> index list (gathers)
    offsets: dict[str, list[float]] = field(default_factory=dict)  # name -> constant vector
    functions: dict[str, Callable] = field(default_factory=dict)  # float forwards called by name


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


def _comment(op: ops.Op, k: int, node_label: str = "") -> str:
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


class _Writer:
    def __init__(self, indent: str = "    ") -> None:
        self.lines: list[str] = []
        self.indent = indent

    def line(self, code: str, comment: str = "") -> None:
        if comment:
            code = f"{code}  # {comment}"
        self.lines.append(self.indent + code)

    def blank(self) -> None:
        self.lines.append("")


def _label(node) -> str:
    return f" {node.label}" if node.label else ""


class _Gradients:
    """Accumulators: the first contribution assigns, later ones add (never in place)."""

    def __init__(self, writer: _Writer, total: Callable[[str], str], name: Callable) -> None:
        self.writer = writer
        self.total = total  # batched expression -> its sum over the batch
        self.name = name  # key -> variable name
        self.assigned: set = set()
        self.batched: dict = {}

    def add(self, key, expr: str, expr_batched: bool, target_batched: bool, comment: str = ""):
        if expr_batched and not target_batched:
            expr = self.total(expr)
        g = self.name(key)
        if key in self.assigned:
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
    """The plan as array code in namespace ``xp``: forward, then backward in reverse."""
    src = Source("")
    w = _Writer()
    lane = plan.lane
    nodes = graph.nodes

    def name(i: int) -> str:
        node = nodes[i]
        if i in lane:
            vector, j = lane[i]
            return f"{vector.name}[:, {j}]"
        if node.kind == INPUT:
            arg = graph.arg_names[node.arg]
            return arg if node.position is None else f"{arg}[:, {node.position}]"
        if node.kind == STATE:
            return f"theta[{node.state}]"
        if node.kind == CONSTANT:
            return text(node.data)
        return f"v{i}"

    def sym(i: int) -> Symbol | float:
        return nodes[i].data if nodes[i].kind == CONSTANT else array_symbol(name(i))

    def rule(op):
        return rules.get(op, op)

    def check(what: str, description: str) -> None:
        if checks:
            w.line(f"check({what}, {description!r})")

    inputs_of: dict[int, str] = {}
    count = [0]

    def gather(prefix: str, indices: list[int]) -> str:
        count[0] += 1
        key = f"I{count[0]}"
        src.indices[key] = [nodes[i].state for i in indices]
        return f"xp.take(theta, {key})"

    w.line("# forward")
    for st in plan.statements:
        if isinstance(st, Scalar):
            node = nodes[st.node]
            op = rule(node.op)
            value = forward_rule(op, _arguments(node, [sym(p) for p in node.parents]), ARRAY)
            w.line(f"v{st.node} = {text(value)}", f"{op.name}{_label(node)}")
            check(f"v{st.node}", f"{op.name} (node v{st.node}{_label(node)})")
        elif isinstance(st, Layer):
            out = st.out.name
            m, n_in = len(st.W), len(st.x)
            x = _layer_input(graph, plan, st)
            if x is None:
                x = f"x_{out}"
                w.line(
                    f"{x} = xp.stack([{', '.join(name(i) for i in st.x)}], axis=1)",
                    "the layer's inputs as columns",
                )
            inputs_of[id(st)] = x
            flat = [i for row in st.W for i in row]
            w.line(
                f"W_{out} = xp.reshape({gather('W', flat)}, ({m}, {n_in}))",
                f"the {m}×{n_in} weights, from the parameters",
            )
            terms = f"{x} @ W_{out}.T"
            if st.bias is not None:
                w.line(f"b_{out} = {gather('b', st.bias)}", f"the {m} bias{'es' if m > 1 else ''}")
                terms += f" + b_{out}"
            if any(o != 0 for o in st.offset):
                src.offsets[f"o_{out}"] = st.offset
                terms += f" + o_{out}"
            w.line(
                f"{out} = {terms}",
                f"{m} neuron{'s' if m > 1 else ''} at once: Σ w·x{' + b' if st.bias else ''}",
            )
            check(out, f"layer {out}")
        elif isinstance(st, Map):
            op = rule(st.op)
            args = [array_symbol(st.source.name)]
            if st.constant is not None:
                args.append(st.constant)
            value = forward_rule(op, args, ARRAY)
            w.line(f"{st.out.name} = {text(value)}", f"{op.name}, every lane")
            check(st.out.name, f"{op.name} ({st.out.name})")
        elif isinstance(st, ParamDot):
            i = st.node
            left = gather("l", st.left)
            w.line(f"l{i} = {left}", "the parameters multiplied")
            if st.right == st.left:
                terms = f"xp.sum(l{i} * l{i})"
            else:
                w.line(f"r{i} = {gather('r', st.right)}")
                terms = f"xp.sum(l{i} * r{i})"
            for e in st.extra:
                terms += f" + {name(e)}"
            if st.offset != 0:
                terms += f" + {text(st.offset)}"
            w.line(f"v{i} = {terms}", f"Σ of {len(st.left)} products of parameters, once")
            check(f"v{i}", f"sum of products (node v{i})")
    outputs = [name(o) for o in graph.outputs]
    batched = [nodes[o].batched for o in graph.outputs]
    if not loss:
        shaped = [o if b else f"xp.broadcast_to({o}, (n,))" for o, b in zip(outputs, batched)]
        result = shaped[0] if graph.single else f"xp.stack([{', '.join(shaped)}], axis=1)"
        w.line(f"return {result}")
        src.text = _function("run(xp, theta, {args}n, scale, check)", graph, w)
        return src

    (o,) = graph.outputs
    out_batched = nodes[o].batched
    if out_batched:
        w.line(f"loss = xp.sum({outputs[0]}) * scale", "scale = 1/n for the mean, 1 for the sum")
    else:
        w.line(f"loss = {outputs[0]}", "the same for every example")
    w.blank()
    w.line("# backward, last statement first")
    needs = needs_gradient(graph)

    def gname(key) -> str:
        return f"g{key}" if isinstance(key, int) else f"g_{key}"

    grads = _Gradients(w, lambda e: f"xp.sum({e})", gname)
    if out_batched:
        seed = "xp.full((n,), scale, dtype=xp.float64)"
    else:
        seed = "xp.asarray(n * scale, dtype=xp.float64)"
    grads.add(o, seed, out_batched, out_batched, "d loss / d output")
    pieces: list[tuple[list[int], str]] = []  # (theta indices, flat gradient expression)
    scalar_slots: list[int] = []
    zeros_written = False

    def finish_vector(vector: Vector) -> str | None:
        nonlocal zeros_written
        lanes = [grads.has(i) for i in vector.lanes]
        if any(lanes):
            if not all(lanes) and not zeros_written:
                w.line("zeros = xp.zeros((n,), dtype=xp.float64)")
                zeros_written = True
            columns = ", ".join(gname(i) if has else "zeros" for i, has in zip(vector.lanes, lanes))
            if len(vector.lanes) == 1:  # one column: a reshape, cheaper than a stack
                grads.add(vector.name, f"xp.reshape({columns}, (n, 1))", True, True, "as a column")
            else:
                grads.add(
                    vector.name, f"xp.stack([{columns}], axis=1)", True, True, "lanes as columns"
                )
        return gname(vector.name) if grads.has(vector.name) else None

    for st in reversed(plan.statements):
        if isinstance(st, Scalar):
            i = st.node
            node = nodes[i]
            if not grads.has(i) or not any(needs[p] for p in node.parents):
                continue
            op = rule(node.op)
            locals_ = derivative_rule(
                op, array_symbol(f"v{i}"), _arguments(node, [sym(p) for p in node.parents])
            )
            for k, p in enumerate(node.parents):
                if not needs[p]:
                    continue
                expr = text(_times(locals_[k], array_symbol(gname(i))))
                grads.add(p, expr, node.batched, nodes[p].batched, _comment(op, k))
        elif isinstance(st, Map):
            g = finish_vector(st.out)
            if g is None or not any(needs[i] for i in st.source.lanes):
                continue
            op = rule(st.op)
            args = [array_symbol(st.source.name)]
            if st.constant is not None:
                args.append(st.constant)
            (local,) = derivative_rule(op, array_symbol(st.out.name), args)
            expr = text(_times(local, array_symbol(g)))
            grads.add(st.source.name, expr, True, True, f"{_comment(op, 0)}, every lane")
        elif isinstance(st, Layer):
            g = finish_vector(st.out)
            if g is None:
                continue
            out = st.out.name
            x = inputs_of[id(st)]
            w.line(f"gW_{out} = {g}.T @ {x}", "∂z/∂W = x, summed over the batch")
            pieces.append(([nodes[i].state for row in st.W for i in row], f"gW_{out}"))
            if st.bias is not None:
                w.line(f"gb_{out} = xp.sum({g}, axis=0)", "∂z/∂b = 1, summed over the batch")
                pieces.append(([nodes[i].state for i in st.bias], f"gb_{out}"))
            if any(needs[i] for i in st.x):
                source = _layer_source_vector(plan, st)
                if source is not None:
                    grads.add(source.name, f"{g} @ W_{out}", True, True, "∂z/∂x = W")
                else:
                    w.line(f"gx_{out} = {g} @ W_{out}", "∂z/∂x = W")
                    for j, i in enumerate(st.x):
                        if needs[i]:
                            grads.add(i, f"gx_{out}[:, {j}]", True, True)
        elif isinstance(st, ParamDot):
            i = st.node
            if not grads.has(i):
                continue
            g = gname(i)
            if st.right == st.left:  # p · p: both factors are the same parameter
                w.line(f"gl{i} = {g} * l{i}", "∂(a·b)/∂a = b, and ∂(a·b)/∂b = a, the same")
                w.line(f"gl{i} = gl{i} + gl{i}", "p is both factors: both slopes reach it")
                pieces.append(([nodes[j].state for j in st.left], f"gl{i}"))
            else:
                w.line(f"gl{i} = {g} * r{i}", "∂(a·b)/∂a = b, per product")
                w.line(f"gr{i} = {g} * l{i}", "∂(a·b)/∂b = a, per product")
                pieces.append(([nodes[j].state for j in st.left], f"gl{i}"))
                pieces.append(([nodes[j].state for j in st.right], f"gr{i}"))
            for e in st.extra:
                grads.add(e, g, False, False, "∂(a + b)/∂b = 1")
    for i, node in enumerate(nodes):
        if node.kind == STATE and grads.has(i):
            scalar_slots.append(node.state)
    parts = [f"xp.reshape({expr}, (-1,))" for _, expr in pieces]
    if scalar_slots:
        leaves = ", ".join(
            gname(i) for i, n in enumerate(nodes) if n.kind == STATE and grads.has(i)
        )
        parts.append(f"xp.stack([{leaves}])")
    src.slots = [s for slots, _ in pieces for s in slots] + scalar_slots
    w.blank()
    # A trailing 0: where a parameter has fewer slots than another, it gathers that.
    parts.append("xp.zeros((1,), dtype=xp.float64)")
    w.line(f"grads = xp.concat([{', '.join(parts)}])", "one entry per slot, then a 0")
    w.line("return loss, grads")
    src.text = _function("run(xp, theta, {args}n, scale, check)", graph, w)
    return src


def _times(local, g: Symbol):
    return multiply(local, g)


def _layer_source_vector(plan: Plan, st: Layer) -> Vector | None:
    """The vector statement whose lanes are exactly the layer's inputs, in order, if any."""
    first = plan.lane.get(st.x[0])
    if first is None:
        return None
    vector, _ = first
    return vector if vector.lanes == st.x else None


def _layer_input(graph: Graph, plan: Plan, st: Layer) -> str | None:
    vector = _layer_source_vector(plan, st)
    if vector is not None:
        return vector.name
    arg = input_vector(graph, st.x)
    return None if arg is None else graph.arg_names[arg]


def _function(signature: str, graph: Graph, w: _Writer) -> str:
    args = "".join(f"{a}, " for a in graph.arg_names)
    header = "def " + signature.format(args=args) + ":"
    return "\n".join([header, *w.lines]) + "\n"


# ---------------------------------------------------------------------------
# Float code: one example at a time, the chain rule edge by edge.


def python_source(graph: Graph, loss: bool, rules: Mapping, checks: bool = False) -> Source:
    """The graph as straight-line float code, looped over the examples of the batch."""
    src = Source("")
    nodes = graph.nodes
    before, inside = _Writer(), _Writer("        ")

    def name(i: int) -> str:
        node = nodes[i]
        if node.kind == CONSTANT:
            return text(node.data)
        if node.kind == STATE:
            return f"p{node.state}"
        return f"v{i}"

    def sym(i: int):
        return nodes[i].data if nodes[i].kind == CONSTANT else python_symbol(name(i))

    def rule(op):
        return rules.get(op, op)

    functions: dict[str, Callable] = {}

    def call(op: ops.Op, args: list) -> str:
        key = op.name
        while key in functions and functions[key] is not op.forward:
            key += "_"
        functions[key] = op.forward
        return f"{key}({', '.join(map(text, args))})"

    used_state = sorted({n.state for n in nodes if n.kind == STATE})
    for s in used_state:
        label = next(n.label for n in nodes if n.kind == STATE and n.state == s)
        before.line(f"p{s} = theta[{s}]", label)
    for i, node in enumerate(nodes):
        if node.kind != OPERATION:
            continue
        op = rule(node.op)
        args = _arguments(node, [sym(p) for p in node.parents])
        value = forward_rule(op, args, PYTHON)
        code = text(value) if value is not None else call(op, args)
        where = inside if node.batched else before
        where.line(f"v{i} = {code}", f"{op.name}{_label(node)}")
        if checks:
            where.line(
                f"if not isfinite(v{i}): fail({op.name + ' (node v' + str(i) + ')'!r}, v{i})"
            )

    needs = needs_gradient(graph)
    outputs = [name(o) for o in graph.outputs]
    loop_vars = [f"e{k}" for k in range(len(graph.shapes))]
    unpack = []
    for k, shape in enumerate(graph.shapes):
        if shape is None:
            present = [i for i, n in enumerate(nodes) if n.kind == INPUT and n.arg == k]
            unpack.append(f"v{present[0]} = e{k}" if present else "")
        else:
            names = ["_"] * shape
            for i, n in enumerate(nodes):
                if n.kind == INPUT and n.arg == k:
                    names[n.position] = f"v{i}"
            if any(x != "_" for x in names):
                unpack.append(f"{', '.join(names)}{',' if shape == 1 else ''} = e{k}")
    if len(loop_vars) == 1:
        header = f"for e0 in {graph.arg_names[0]}:"
    else:
        arrays = ", ".join(graph.arg_names)
        header = f"for {', '.join(loop_vars)} in zip({arrays}):"
    lines = [
        "def run(theta, {args}n, scale, check):".format(
            args="".join(f"{a}, " for a in graph.arg_names)
        )
    ]
    lines += before.lines

    if not loss:
        lines.append("    results = []")
        lines.append("    " + header)
        lines += ["        " + u for u in unpack if u]
        lines += inside.lines
        result = outputs[0] if graph.single else f"[{', '.join(outputs)}]"
        lines.append(f"        results.append({result})")
        lines.append("    return results")
        src.text = "\n".join(lines) + "\n"
        src.functions = functions
        return src

    (o,) = graph.outputs
    batched_out = nodes[o].batched
    grads_before = _Writer()
    g_inside = _Writer("        ")
    g_after = _Writer()

    def gname(i) -> str:
        return f"g{i}"

    # Per-example gradients live inside the loop; parameters' (and everything not
    # batched) add up over the loop, so they start at 0 before it.
    assigned: set[int] = set()

    def add(target: int, expr: str, inside_loop: bool, comment: str) -> None:
        writer = g_inside if inside_loop else g_after
        g = gname(target)
        if nodes[target].batched:
            if target in assigned:
                writer.line(f"{g} += {expr}", comment)
            else:
                writer.line(f"{g} = {expr}", comment)
                assigned.add(target)
        else:
            if target not in assigned:
                grads_before.line(f"{g} = 0.0")
                assigned.add(target)
            writer.line(f"{g} += {expr}", comment)

    add(o, "scale" if batched_out else "n * scale", batched_out, "d loss / d output")
    for i in range(len(nodes) - 1, -1, -1):
        node = nodes[i]
        if node.kind != OPERATION or i not in assigned:
            continue
        if not any(needs[p] for p in node.parents):
            continue
        op = rule(node.op)
        locals_ = derivative_rule(
            op, python_symbol(f"v{i}"), _arguments(node, [sym(p) for p in node.parents])
        )
        for k, p in enumerate(node.parents):
            if needs[p]:
                expr = text(_times(locals_[k], python_symbol(gname(i))))
                add(p, expr, node.batched, _comment(op, k))
    slots = [n.state for i, n in enumerate(nodes) if n.kind == STATE and i in assigned]
    grad_names = [gname(i) for i, n in enumerate(nodes) if n.kind == STATE and i in assigned]
    lines += grads_before.lines
    if batched_out:
        lines.append("    total = 0.0")
    body = ["        " + u for u in unpack if u] + inside.lines
    if batched_out:
        body.append(f"        total += {outputs[0]}")
    body += g_inside.lines
    if batched_out or body:  # nothing varies per example: no loop at all
        lines.append("    " + header)
        lines += body
    lines += g_after.lines
    loss_expr = "total * scale" if batched_out else outputs[0]
    lines.append(f"    return {loss_expr}, [{', '.join(grad_names)}]")
    src.text = "\n".join(lines) + "\n"
    src.slots = slots
    src.functions = functions
    return src


def float_sign(x: float) -> float:
    """sign(x) as a float: 1.0, -1.0 or 0.0 (and nan for nan)."""
    return math.copysign(1.0, x) if x != 0 and x == x else x * 0.0 if x == x else x
