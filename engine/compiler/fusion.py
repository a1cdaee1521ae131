"""Recognising layers in a traced graph: sums of products that share one input vector.

A scalar graph of a neural network is mostly dot products: ``nn.Layer``
builds ``b + w0·x0 + w1·x1 + ...`` for every neuron, all reading the same
inputs ``x``. ``plan(graph)`` finds these and turns the graph into a list of
statements over whole vectors:

- ``Layer``: m such sums over the same n inputs, ``z = x @ W.T + b``;
- ``Map``: the same unary op on every lane of a vector, ``h = relu(z)``;
- ``ParamDot``: a sum of products of parameters only (an L2 penalty,
  ``Σ p·p``), computed once per call, without the batch axis;
- ``Scalar``: any other node, one line of its own (correct, just slower).

A sum is only taken apart when nothing else reads its partial sums or its
products, so fusing never changes what is computed, only how.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ops
from .trace import CONSTANT, INPUT, OPERATION, STATE, Graph

__all__ = ["Scalar", "Layer", "Map", "ParamDot", "Vector", "plan"]


@dataclass
class Vector:
    """Lanes computed together as the columns of one (batch, len(lanes)) array."""

    name: str
    lanes: list[int]


@dataclass
class Scalar:
    node: int


@dataclass
class Layer:
    """``out = x @ W.T + bias + offset``; ``W[j][i]`` is the state node multiplying ``x[i]``."""

    out: Vector
    x: list[int]  # the shared input nodes, in the order of the terms
    W: list[list[int]]  # per lane, per input: the weight's node
    bias: list[int] | None  # per lane, the bias's node (state), or None
    offset: list[float]  # per lane, the constants added (the 0 that sum() starts from)


@dataclass
class Map:
    """``out = op(source)`` lane by lane."""

    out: Vector
    source: Vector
    op: ops.Op
    constant: float | None


@dataclass
class ParamDot:
    """``node = Σ left[k] · right[k] + Σ extra + offset``, all parameters: no batch axis."""

    node: int
    left: list[int]
    right: list[int]
    extra: list[int]  # state nodes added
    offset: float


@dataclass
class Plan:
    statements: list = field(default_factory=list)
    # node -> (vector, column) for every lane of a vector statement
    lane: dict[int, tuple[Vector, int]] = field(default_factory=dict)


@dataclass
class _Sum:
    root: int
    products: list[tuple[int, int]]  # (left, right) node of each product term, in order
    extras: list[int]  # terms that are not products


def _is(graph: Graph, i: int, op: ops.Op) -> bool:
    node = graph.nodes[i]
    return node.kind == OPERATION and node.op is op


def _sums(graph: Graph, users: list[list[int]], outputs: set[int]) -> list[_Sum]:
    """Every maximal tree of additions whose inner sums and products nobody else reads."""

    def private(i: int) -> bool:
        return len(users[i]) == 1 and i not in outputs

    def absorbed(i: int) -> bool:  # an inner sum of a larger tree
        return _is(graph, i, ops.ADD) and private(i) and _is(graph, users[i][0], ops.ADD)

    found = []
    for root in range(len(graph.nodes)):
        if not _is(graph, root, ops.ADD) or absorbed(root):
            continue
        products, extras = [], []
        stack = [root]
        while stack:  # left to right, an explicit stack
            i = stack.pop()
            if i == root or absorbed(i):
                a, b = graph.nodes[i].parents
                stack.append(b)
                stack.append(a)
            elif _is(graph, i, ops.MUL) and private(i):
                products.append(graph.nodes[i].parents)
            else:
                extras.append(i)
        found.append(_Sum(root, products, extras))
    return found


def _weight_and_input(graph: Graph, pair: tuple[int, int]) -> tuple[int, int] | None:
    """(weight, input) if one factor is a parameter and the other varies per example."""
    a, b = pair
    na, nb = graph.nodes[a], graph.nodes[b]
    if na.kind == STATE and nb.batched:
        return a, b
    if nb.kind == STATE and na.batched:
        return b, a
    return None


def _as_layer_row(graph: Graph, s: _Sum):
    """(inputs, weights, bias, offset) if ``s`` is one neuron's ``Σ w·x + b``, else None."""
    if not s.products:
        return None
    pairs = [_weight_and_input(graph, p) for p in s.products]
    if any(p is None for p in pairs):
        return None
    state = [e for e in s.extras if graph.nodes[e].kind == STATE]
    constants = [e for e in s.extras if graph.nodes[e].kind == CONSTANT]
    if len(state) > 1 or len(state) + len(constants) != len(s.extras):
        return None
    offset = sum(graph.nodes[e].data for e in constants)
    return (
        tuple(x for _, x in pairs),
        [w for w, _ in pairs],
        state[0] if state else None,
        offset,
    )


def _as_param_dot(graph: Graph, s: _Sum) -> ParamDot | None:
    if len(s.products) < 2:
        return None
    if not all(graph.nodes[i].kind == STATE for pair in s.products for i in pair):
        return None
    if any(graph.nodes[e].kind not in (STATE, CONSTANT) for e in s.extras):
        return None
    return ParamDot(
        s.root,
        [a for a, _ in s.products],
        [b for _, b in s.products],
        [e for e in s.extras if graph.nodes[e].kind == STATE],
        sum(graph.nodes[e].data for e in s.extras if graph.nodes[e].kind == CONSTANT),
    )


def _maps(graph: Graph, users: list[list[int]], vector: Vector, count: list[int]) -> list[Map]:
    """Unary ops applied to every lane of ``vector`` alike, and then to their results."""
    found = []
    first = vector.lanes[0]
    for candidate in users[first]:
        node = graph.nodes[candidate]
        if node.op is None or node.op.arity != 1:
            continue
        lanes = []
        for lane in vector.lanes:
            match = next(
                (
                    u
                    for u in users[lane]
                    if graph.nodes[u].op is node.op
                    and graph.nodes[u].constant == node.constant
                    and graph.nodes[u].parents == (lane,)
                ),
                None,
            )
            if match is None:
                break
            lanes.append(match)
        if len(lanes) != len(vector.lanes) or len(set(lanes)) != len(lanes):
            continue
        count[0] += 1
        out = Vector(f"h{count[0]}", lanes)
        found.append(Map(out, vector, node.op, node.constant))
        found.extend(_maps(graph, users, out, count))
    return found


def plan(graph: Graph, fuse: bool = True) -> Plan:
    """The graph as statements, in an order that computes everything before its use."""
    result = Plan()
    users = graph.consumers()
    if fuse:
        outputs = set(graph.outputs)
        rows: dict[tuple, list] = {}
        vector_of: dict[int, object] = {}  # first node -> statement
        covered: set[int] = set()
        dots = []
        for s in _sums(graph, users, outputs):
            row = _as_layer_row(graph, s)
            if row is not None:
                rows.setdefault(row[0], []).append((s, row))
                continue
            dot = _as_param_dot(graph, s)
            if dot is not None:
                dots.append((s, dot))
        count = [0]
        statements = []
        for x, group in rows.items():
            if len({row[2] is None for _, row in group}) != 1:
                continue  # some lanes have a bias, some not: leave them unfused
            count[0] += 1
            out = Vector(f"z{count[0]}", [s.root for s, _ in group])
            layer = Layer(
                out,
                list(x),
                [row[1] for _, row in group],
                None if group[0][1][2] is None else [row[2] for _, row in group],
                [row[3] for _, row in group],
            )
            statements.append(layer)
            statements.extend(_maps(graph, users, out, count))
            for s, _ in group:
                covered.update(_inner(graph, s))
        for s, dot in dots:
            statements.append(dot)
            covered.update(_inner(graph, s))
        for st in statements:
            lanes = st.out.lanes if isinstance(st, (Layer, Map)) else [st.node]
            covered.update(lanes)
            vector_of[min(lanes)] = st
            if isinstance(st, (Layer, Map)):
                for j, lane in enumerate(lanes):
                    result.lane[lane] = (st.out, j)
    else:
        covered, vector_of = set(), {}
    for i, node in enumerate(graph.nodes):
        if i in vector_of:
            result.statements.append(vector_of[i])
        elif node.kind == OPERATION and i not in covered:
            result.statements.append(Scalar(i))
    return result


def _inner(graph: Graph, s: _Sum) -> set[int]:
    """The sums and products inside ``s`` (not its terms' factors): computed by the fused line."""
    inner = set()
    stack = [s.root]
    factors = {i for pair in s.products for i in pair}
    extras = set(s.extras)
    while stack:
        i = stack.pop()
        inner.add(i)
        for p in graph.nodes[i].parents:
            if p in extras or p in factors:
                continue
            stack.append(p)
    return inner


def input_vector(graph: Graph, nodes: list[int]) -> int | None:
    """The argument whose whole row ``nodes`` is, in order, or None."""
    first = graph.nodes[nodes[0]]
    if first.kind != INPUT or graph.shapes[first.arg] != len(nodes):
        return None
    for j, i in enumerate(nodes):
        n = graph.nodes[i]
        if n.kind != INPUT or n.arg != first.arg or n.position != j:
            return None
    return first.arg
