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
from typing import NamedTuple

from .. import ops
from .trace import Constant, Graph, Input, Operation, State

__all__ = ["Plan", "Scalar", "Layer", "Map", "ParamDot", "Vector", "Lane", "plan"]


@dataclass
class Vector:
    """Lanes computed together as the columns of one (batch, len(lanes)) array."""

    name: str
    lanes: list[int]


@dataclass
class Scalar:
    """Any other operation: one line of its own (correct, just slower)."""

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


Statement = Scalar | Layer | Map | ParamDot


class Lane(NamedTuple):
    """Where a node is computed as part of a vector: column ``column`` of ``vector``."""

    vector: Vector
    column: int


@dataclass
class Plan:
    """The statements in an order that computes everything before its use."""

    statements: list[Statement] = field(default_factory=list)
    lane: dict[int, Lane] = field(default_factory=dict)  # for every lane of a vector statement


class Product(NamedTuple):
    left: int
    right: int


@dataclass
class _Sum:
    """A tree of additions: its root, the products among its terms, the other terms."""

    root: int
    products: list[Product]  # in order
    extras: list[int]


@dataclass
class _Neuron:
    """A sum that is one neuron, ``Σ w·x + bias + offset``."""

    sum: _Sum
    inputs: tuple[int, ...]  # the x, in the order of the terms
    weights: list[int]  # the state node multiplying each
    bias: int | None  # a state node added, if any
    offset: float  # the constants added (the 0 that sum() starts from)


def _is(graph: Graph, i: int, op: ops.Op) -> bool:
    node = graph.nodes[i]
    return isinstance(node, Operation) and node.op is op


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
                products.append(Product(*graph.nodes[i].parents))
            else:
                extras.append(i)
        found.append(_Sum(root, products, extras))
    return found


def _weight_and_input(graph: Graph, product: Product) -> Product | None:
    """The product as (weight, input) if one factor is a parameter and the other varies per
    example, else None."""
    a, b = product
    na, nb = graph.nodes[a], graph.nodes[b]
    if isinstance(na, State) and nb.batched:
        return Product(a, b)
    if isinstance(nb, State) and na.batched:
        return Product(b, a)
    return None


def _of(graph: Graph, nodes: list[int], kind: type) -> list[int]:
    return [i for i in nodes if isinstance(graph.nodes[i], kind)]


def _as_neuron(graph: Graph, s: _Sum) -> _Neuron | None:
    """``s`` as one neuron's ``Σ w·x + b``, or None."""
    if not s.products:
        return None
    pairs = [_weight_and_input(graph, p) for p in s.products]
    if any(p is None for p in pairs):
        return None
    state, constants = _of(graph, s.extras, State), _of(graph, s.extras, Constant)
    if len(state) > 1 or len(state) + len(constants) != len(s.extras):
        return None
    return _Neuron(
        s,
        inputs=tuple(x for _, x in pairs),
        weights=[w for w, _ in pairs],
        bias=state[0] if state else None,
        offset=sum(graph.nodes[e].data for e in constants),
    )


def _as_param_dot(graph: Graph, s: _Sum) -> ParamDot | None:
    if len(s.products) < 2:
        return None
    if not all(isinstance(graph.nodes[i], State) for pair in s.products for i in pair):
        return None
    state, constants = _of(graph, s.extras, State), _of(graph, s.extras, Constant)
    if len(state) + len(constants) != len(s.extras):
        return None
    return ParamDot(
        s.root,
        [p.left for p in s.products],
        [p.right for p in s.products],
        state,
        sum(graph.nodes[e].data for e in constants),
    )


class _Names:
    """Vector names in the order they are made: z1 for a layer, h2 for what follows it, ..."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"


def _maps(graph: Graph, users: list[list[int]], vector: Vector, names: _Names) -> list[Map]:
    """Unary ops applied to every lane of ``vector`` alike, and then to their results."""
    found = []
    first = vector.lanes[0]
    for candidate in users[first]:
        node = graph.nodes[candidate]
        if not isinstance(node, Operation) or node.op.arity != 1:
            continue
        lanes = []
        for lane in vector.lanes:
            match = next(
                (
                    u
                    for u in users[lane]
                    if isinstance(graph.nodes[u], Operation)
                    and graph.nodes[u].op is node.op
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
        out = Vector(names("h"), lanes)
        found.append(Map(out, vector, node.op, node.constant))
        found.extend(_maps(graph, users, out, names))
    return found


def plan(graph: Graph, fuse: bool = True) -> Plan:
    """The graph as statements, in an order that computes everything before its use."""
    result = Plan()
    vector_of: dict[int, Statement] = {}  # its first node -> a statement that fuses nodes
    covered: set[int] = set()  # the nodes those statements compute
    if fuse:
        for st, inner in _fused(graph):
            lanes = st.out.lanes if isinstance(st, (Layer, Map)) else [st.node]
            covered.update(inner, lanes)
            vector_of[min(lanes)] = st
            if isinstance(st, (Layer, Map)):
                for j, lane in enumerate(lanes):
                    result.lane[lane] = Lane(st.out, j)
    for i, node in enumerate(graph.nodes):
        if i in vector_of:
            result.statements.append(vector_of[i])
        elif isinstance(node, Operation) and i not in covered:
            result.statements.append(Scalar(i))
    return result


def _fused(graph: Graph) -> list[tuple[Statement, set[int]]]:
    """The layers (with the maps that follow them) and the sums of products of parameters,
    each with the inner sums and products it computes."""
    users = graph.consumers()
    outputs = set(graph.outputs)
    layers: dict[tuple[int, ...], list[_Neuron]] = {}  # the neurons of each input vector
    dots = []
    for s in _sums(graph, users, outputs):
        neuron = _as_neuron(graph, s)
        if neuron is not None:
            layers.setdefault(neuron.inputs, []).append(neuron)
        elif (dot := _as_param_dot(graph, s)) is not None:
            dots.append((dot, _inner(graph, s)))
    names = _Names()
    fused: list[tuple[Statement, set[int]]] = []
    for x, neurons in layers.items():
        if len({neuron.bias is None for neuron in neurons}) != 1:
            continue  # some lanes have a bias, some not: leave them unfused
        out = Vector(names("z"), [neuron.sum.root for neuron in neurons])
        biased = neurons[0].bias is not None
        layer = Layer(
            out,
            list(x),
            [neuron.weights for neuron in neurons],
            [neuron.bias for neuron in neurons] if biased else None,
            [neuron.offset for neuron in neurons],
        )
        fused.append((layer, set().union(*(_inner(graph, n.sum) for n in neurons))))
        fused.extend((m, set()) for m in _maps(graph, users, out, names))
    return fused + dots


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
    if not isinstance(first, Input) or graph.shapes[first.arg] != len(nodes):
        return None
    for j, i in enumerate(nodes):
        n = graph.nodes[i]
        if not isinstance(n, Input) or n.arg != first.arg or n.position != j:
            return None
    return first.arg
