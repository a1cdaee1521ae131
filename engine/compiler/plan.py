"""Planning: the traced graph as statements over whole vectors, where it repeats itself.

A scalar graph of a neural network is mostly the same work done once per neuron:
``nn.Layer`` builds ``b + w0·x0 + w1·x1 + ...`` for every neuron, all reading the same
inputs ``x``, then applies one activation to each; a softmax shifts, exponentiates and
adds up every output alike. ``plan(graph)`` finds these and turns the graph into a list
of statements:

- ``Layer``: m such sums over the same n inputs, ``z = W @ x + b``;
- ``Map``: the same op on every lane of a vector, its other inputs lanes of vectors too
  or one value for every lane: ``h = tanh(z)``, ``h = z - m``, ``h = t.T * h``;
- ``Reduce``: a chain of ``add`` or ``maximum`` over every lane of a vector, in order,
  ``s = sum(h, axis=0)``, ``m = max(z, axis=0)``;
- ``ParamDot``: a sum of products of parameters only (an L2 penalty,
  ``Σ p·p``), computed once per call, without the batch axis;
- ``Scalar``: any other node, one line of its own (correct, just slower).

The vectors are the layers' outputs and the batch arguments that are lists (a one-hot
row), then what maps make of them. A sum is only taken apart when nothing else reads its
partial sums or its products, so fusing never changes what is computed, only how (and,
for sums, the order the terms are added in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .. import ops
from .trace import Constant, Graph, Input, Operation, State

__all__ = ["Plan", "Scalar", "Layer", "Map", "Reduce", "ParamDot", "Vector", "Lane", "plan"]


@dataclass
class Vector:
    """Lanes computed together as the rows of one (len(lanes), batch) array."""

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
    """``out = op(*args)`` lane by lane: lane j of each vector argument, or one node for all."""

    out: Vector
    op: ops.Op
    args: list[Vector | int]  # per input of the op: a vector, or the node every lane reads
    constant: float | None

    @property
    def vectors(self) -> list[Vector]:
        return [a for a in self.args if isinstance(a, Vector)]


@dataclass
class Reduce:
    """``node = op(...op(op(start, source[0]), source[1])..., source[-1])``: one call."""

    node: int  # the last link of the chain: its result
    name: str
    op: ops.Op  # ADD or MAXIMUM
    source: Vector
    chain: list[int]  # the links before the last, computed by the same call
    start: float | None  # add: a constant the chain starts from (sum()'s 0), if any


@dataclass
class ParamDot:
    """``node = Σ left[k] · right[k] + Σ extra + offset``, all parameters: no batch axis."""

    node: int
    left: list[int]
    right: list[int]
    extra: list[int]  # state nodes added
    offset: float


Statement = Scalar | Layer | Map | Reduce | ParamDot


class Lane(NamedTuple):
    """Where a node is computed as part of a vector: column ``column`` of ``vector``."""

    vector: Vector
    column: int


@dataclass
class Plan:
    """The statements in an order that computes everything before its use."""

    statements: list[Statement] = field(default_factory=list)
    lane: dict[int, Lane] = field(default_factory=dict)  # for every lane of a vector
    named: dict[int, str] = field(default_factory=dict)  # a reduction's node -> its name
    inputs: dict[str, str] = field(default_factory=dict)  # an argument's vector -> the argument


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


def plan(graph: Graph, fuse: bool = True, reducible: tuple = (ops.ADD, ops.MAXIMUM)) -> Plan:
    """The graph as statements, in an order that computes everything before its use.

    ``fuse=False``: one statement per node. ``reducible``: the ops whose chains over a
    vector may become one call (the code writer must know their slopes: the table's own
    add and maximum).
    """
    result = Plan()
    placed: dict[int, Statement] = {}  # node -> a statement that computes it and others
    covered: set[int] = set()  # the nodes those statements compute
    if fuse:
        planner = _Planner(graph, reducible)
        for st in planner.statements:
            if isinstance(st, (Layer, Map)):
                placed[min(st.out.lanes)] = st  # before any lane's first use
            else:
                placed[st.node] = st  # a reduction, a sum of products: where its result is
        covered = planner.covered
        result.lane = planner.lane
        result.inputs = planner.inputs
        result.named = {st.node: st.name for st in planner.statements if isinstance(st, Reduce)}
    for i, node in enumerate(graph.nodes):
        if i in placed:
            result.statements.append(placed[i])
        elif isinstance(node, Operation) and i not in covered:
            result.statements.append(Scalar(i))
    _number(result)
    return result


def _number(result: Plan) -> None:
    """Number the vectors and reductions in the order the code computes them: z1, h2, m3."""
    count = 0
    for st in result.statements:
        if isinstance(st, (Layer, Map, Reduce)):
            count += 1
            if isinstance(st, Reduce):
                st.name = f"{st.name.rstrip('0123456789')}{count}"
                result.named[st.node] = st.name
            else:
                st.out.name = f"{st.out.name.rstrip('0123456789')}{count}"


class _Planner:
    """Finds the statements: layers and sums of products first, then what repeats lane by
    lane from the vectors, the layers' outputs and the batch's list arguments."""

    def __init__(self, graph: Graph, reducible: tuple) -> None:
        self.graph, self.nodes, self.reducible = graph, graph.nodes, reducible
        self.users = graph.consumers()
        self.outputs = set(graph.outputs)
        self.names = _Names()
        self.statements: list[Statement] = []
        self.covered: set[int] = set()
        self.lane: dict[int, Lane] = {}
        self.vectors: list[Vector] = []
        self.inputs: dict[str, str] = {}  # an argument's vector -> the argument
        inputs = self._input_vectors()
        layers, dots = self._layers_and_dots()
        for st, inner in layers + dots:  # theirs before any map can take one
            self.covered.update(inner, st.out.lanes if isinstance(st, Layer) else [st.node])
        for layer, _ in layers:
            layer.out.name = self.names("z")  # numbered in the order the code reads them
            self._add(layer, set())
            self._grow(layer.out)
        for vector in inputs:
            self._grow(vector)
        while any([self._grow(vector) for vector in list(self.vectors)]):
            pass  # a map of two vectors is found once both are known
        self.statements.extend(dot for dot, _ in dots)

    def _add(self, st: Statement, inner: set[int]) -> None:
        self.statements.append(st)
        self.covered.update(inner)
        if isinstance(st, (Layer, Map)):
            self._known(st.out)
            self.covered.update(st.out.lanes)
        else:
            self.covered.add(st.node)

    def _known(self, vector: Vector) -> None:
        self.vectors.append(vector)
        for j, lane in enumerate(vector.lanes):
            self.lane[lane] = Lane(vector, j)

    def _input_vectors(self) -> list[Vector]:
        """Each list argument whose every number the graph reads, as a vector of its own."""
        found = []
        for arg, shape in enumerate(self.graph.shapes):
            if shape is None:
                continue
            lanes = [-1] * shape
            for i, node in enumerate(self.nodes):
                if isinstance(node, Input) and node.arg == arg:
                    lanes[node.position] = i
            if -1 not in lanes:
                name = self.graph.arg_names[arg]
                vector = Vector(f"{name}_T", lanes)  # the argument turned: a row per number
                self.inputs[vector.name] = name
                self._known(vector)
                found.append(vector)
        return found

    def _layers_and_dots(self):
        """The layers (sums of weight·input over one input vector) and the sums of products
        of parameters, each with the inner sums and products it computes."""
        graph = self.graph
        layers: dict[tuple[int, ...], list[_Neuron]] = {}  # the neurons of each input vector
        dots = []
        for s in _sums(graph, self.users, self.outputs):
            neuron = _as_neuron(graph, s)
            if neuron is not None:
                layers.setdefault(neuron.inputs, []).append(neuron)
            elif (dot := _as_param_dot(graph, s)) is not None:
                dots.append((dot, _inner(graph, s)))
        found = []
        for x, neurons in layers.items():
            if len({neuron.bias is None for neuron in neurons}) != 1:
                continue  # some lanes have a bias, some not: leave them unfused
            biased = neurons[0].bias is not None
            layer = Layer(
                Vector("", [neuron.sum.root for neuron in neurons]),  # named when added
                list(x),
                [neuron.weights for neuron in neurons],
                [neuron.bias for neuron in neurons] if biased else None,
                [neuron.offset for neuron in neurons],
            )
            found.append((layer, set().union(*(_inner(graph, n.sum) for n in neurons))))
        return found, dots

    def _grow(self, vector: Vector) -> bool:
        """The maps and reductions that read ``vector``, depth first; True if any was new."""
        grew = False
        for candidate in self.users[vector.lanes[0]]:
            st = self._map(vector, candidate)
            if st is not None:
                self._add(st, set())
                self._grow(st.out)
                grew = True
        st = self._reduction(vector)
        if st is not None:
            self._add(st, set(st.chain))
            grew = True
        return grew

    def _map(self, vector: Vector, candidate: int) -> Map | None:
        """The family of ``candidate``: its op on every lane of ``vector``, or None."""
        node = self.nodes[candidate]
        if candidate in self.covered or not isinstance(node, Operation):
            return None
        width = len(vector.lanes)
        args: list[Vector | int] = []
        for p in node.parents:  # a lane 0 of a vector as wide: that vector; else one node
            lane = self.lane.get(p)
            if lane is not None and lane.column == 0 and len(lane.vector.lanes) == width:
                args.append(lane.vector)
            else:
                args.append(p)
        if width < 2 and (len(args) > 1 or not isinstance(args[0], Vector)):
            return None  # a lone lane with other inputs: as a scalar, it is one line anyway
        lanes: list[int] = []
        for j in range(width):
            want = tuple(a.lanes[j] if isinstance(a, Vector) else a for a in args)
            anchor = next(a.lanes[j] for a in args if isinstance(a, Vector))
            match = next((u for u in self.users[anchor] if self._is(u, node, want)), None)
            if match is None or match in lanes:
                return None
            lanes.append(match)
        return Map(Vector(self.names("h"), lanes), node.op, args, node.constant)

    def _is(self, u: int, like: Operation, parents: tuple) -> bool:
        node = self.nodes[u]
        return (
            u not in self.covered
            and isinstance(node, Operation)
            and node.op is like.op
            and node.constant == like.constant
            and node.parents == parents
        )

    def _reduction(self, vector: Vector) -> Reduce | None:
        """A chain of add or maximum over every lane of ``vector``, in order, or None."""
        lanes = vector.lanes
        if len(lanes) < 3:
            return None
        for op in self.reducible:
            start, rest = None, lanes[1:]
            link = self._link(lanes[0], lanes[1], op)
            if link is not None:
                rest = lanes[2:]
            elif op is ops.ADD:  # sum() starts from 0: 0 + v0 + v1 + ...
                link, start = self._first_of_a_sum(lanes[0])
            chain = []
            for lane in rest:
                if link is None or not self._private(link):
                    link = None
                    break
                chain.append(link)
                link = self._link(link, lane, op)
            if link is not None:
                return Reduce(
                    link, self.names("s" if op is ops.ADD else "m"), op, vector, chain, start
                )
        return None

    def _link(self, a: int, b: int, op: ops.Op) -> int | None:
        """The node ``op(a, b)`` or ``op(b, a)`` that nothing else has computed, or None."""
        for u in self.users[a]:
            node = self.nodes[u]
            if (
                u not in self.covered
                and isinstance(node, Operation)
                and node.op is op
                and node.parents in ((a, b), (b, a))
            ):
                return u
        return None

    def _first_of_a_sum(self, lane: int) -> tuple[int | None, float | None]:
        for u in self.users[lane]:
            node = self.nodes[u]
            if u in self.covered or not isinstance(node, Operation) or node.op is not ops.ADD:
                continue
            other = [p for p in node.parents if p != lane]
            if len(other) == 1 and isinstance(self.nodes[other[0]], Constant):
                return u, self.nodes[other[0]].data
        return None, None

    def _private(self, i: int) -> bool:
        return len(self.users[i]) == 1 and i not in self.outputs


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
