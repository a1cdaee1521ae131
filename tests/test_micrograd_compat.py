"""micrograd's code runs on scalarflow with only the import changed.

Written from the behaviour of micrograd's published code (MIT licence), not
vendored. The files followed:

- karpathy/micrograd ``test/test_engine.py``: ``test_sanity_check`` and
  ``test_more_ops``, whose torch (float64) results are recorded here as numbers;
- karpathy/micrograd ``micrograd/engine.py`` and ``README.md`` (the example's
  printed 24.7041, 138.8338, 645.5773);
- karpathy/micrograd ``trace_graph.ipynb``: ``trace`` and ``draw_dot`` with
  ``format``/``rankdir``;
- karpathy/nn-zero-to-hero ``lectures/micrograd/micrograd_lecture_first_half_roughly.ipynb``
  and ``..._second_half_roughly.ipynb``: the labelled ``draw_dot``, ``build_topo``,
  the neuron ``o = tanh(x1*w1 + x2*w2 + b)`` with its hand-called ``_backward()``
  chain, the ``a + a`` bug, and Value extended by methods that build
  ``Value(t, (self,), 'tanh')`` and assign an ``_backward`` closure;
- karpathy/micrograd (commit c911406) ``micrograd/nn.py`` (``Neuron(nin, nonlin=True)``
  drawing ``random.uniform(-1,1)`` per weight, ``Value(0)`` bias; ``Layer``; ``MLP`` with
  a linear last layer) and ``demo.ipynb`` (the moons demo and its printed losses);
- EurekaLabsAI/micrograd (commit e6b3705), the newer single-file ``micrograd.py``: its
  ``AdamW`` keeps the moments on the parameters themselves (``p.m``, ``p.v``).

The demo's data comes from ``sklearn.datasets.make_moons``; sklearn is not a dependency,
so ``make_moons`` below repeats its steps (``sklearn/datasets/_samples_generator.py``:
two half circles, then ``sklearn.utils.shuffle`` = ``resample(replace=False)`` which
shuffles ``np.arange(n)`` with the generator, then ``generator.normal(scale=noise)``) on
numpy's global RandomState, which is what ``random_state=None`` means there. numpy's
legacy RandomState streams are frozen (NEP 19), so the numbers are the notebook's.
"""

import math
import random
from fractions import Fraction

import pytest
from graphviz import Digraph

from engine import Value, chain_rule, draw_graph, grad, gradcheck, topological_order
from nn import MLP, Layer, Neuron, cross_entropy
from nn.optim import AdamW

# -- micrograd's test/test_engine.py ---------------------------------------------------


def test_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    # torch, in float64: y = -20.0 and dy/dx = 46.0 (micrograd's test asserts equality;
    # every intermediate is a small integer, so the arithmetic is exact).
    assert y.data == -20.0
    assert x.grad == 46.0


def test_more_ops():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    # micrograd checks against torch (float64) within 1e-6; its README prints
    # 24.7041, 138.8338, 645.5773. The exact values (rational arithmetic) are
    # 2421/98, 47620/343 and 221433/343; a few roundings away, so 1e-14 relative.
    tol = 1e-6
    assert abs(g.data - 24.70408163265306) < tol
    assert abs(a.grad - 138.8338192419825) < tol
    assert abs(b.grad - 645.5772594752186) < tol
    exact = (Fraction(2421, 98), Fraction(47620, 343), Fraction(221433, 343))
    assert (g.data, a.grad, b.grad) == pytest.approx([float(v) for v in exact], rel=1e-14)
    assert f"{g.data:.4f} {a.grad:.4f} {b.grad:.4f}" == "24.7041 138.8338 645.5773"


# -- the lecture's helpers, copied in the lecture's style ------------------------------


def trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root, format="svg", rankdir="LR"):
    assert rankdir in ["LR", "TB"]
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})
    for n in nodes:
        uid = str(id(n))
        label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad)  # noqa: UP031
        dot.node(name=uid, label=label, shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def build_topo(root):
    topo = []
    visited = set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(root)
    return topo


def lecture_neuron():
    """The lecture's neuron, with its labels: o = tanh(x1*w1 + x2*w2 + b)."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)


def assert_lecture_gradients(v):
    # The lecture's drawing after backward: n, b, both products 0.5 (1 - o² is
    # 0.4999999999999999 there); x1 -1.5, w1 1.0, x2 0.5, w2 0.0. (Its torch cell
    # prints 0.5000001283844369 etc.: it made b a float32 before .double().)
    slope = 1 - v["o"].data ** 2
    assert slope == pytest.approx(0.5, rel=1e-15)
    for name in ("n", "b", "x1w1x2w2", "x1w1", "x2w2"):
        assert v[name].grad == slope
    assert v["x1"].grad == -3.0 * slope and v["w1"].grad == 2.0 * slope
    assert v["x2"].grad == 1.0 * slope and v["w2"].grad == 0.0


def test_the_lectures_draw_dot_draws_labels_data_grads_and_op_nodes():
    v = lecture_neuron()
    v["o"].backward()
    source = draw_dot(v["o"]).source
    o = v["o"]
    assert f"{id(o)}tanh" in source  # the op node micrograd names id + _op
    assert f"{{ o | data {o.data:.4f} | grad 1.0000 }}" in source
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in source
    assert "{ w2 | data 1.0000 | grad 0.0000 }" in source
    nodes, edges = trace(o)
    assert len(nodes) == 10 and len(edges) == 9
    op_nodes = {n._op for n in nodes if f"{id(n)}{n._op}" in source and n._op}
    assert op_nodes == {"+", "*", "tanh"}


def test_trace_graphs_draw_dot_on_its_first_example():
    # trace_graph.ipynb: x = Value(1.0); y = (x * 2 + 1).relu(); y.backward(); draw_dot(y)
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    dot = draw_dot(y, format="png", rankdir="TB")
    assert "rankdir=TB" in dot.source and dot.format == "png"
    ops = {n._op for n in trace(y)[0]}
    assert ops == {"", "*", "+", "relu"}  # micrograd says 'ReLU'; .op names are scalarflow's
    assert x.grad == 2.0


def test_build_topo_orders_every_node_after_its_children():
    v = lecture_neuron()
    topo = build_topo(v["o"])
    assert set(topo) == set(topological_order(v["o"])) and len(topo) == 10
    position = {node: i for i, node in enumerate(topo)}
    assert all(position[child] < position[node] for node in topo for child in node._prev)
    assert topo[-1] is v["o"]


def test_backward_fills_the_lectures_numbers():
    v = lecture_neuron()
    v["o"].backward()
    assert v["o"].data == pytest.approx(0.7071067811865476, rel=1e-15)
    assert_lecture_gradients(v)


def test_a_hand_called_backward_chain():
    v = lecture_neuron()
    v["o"].grad = 1.0
    v["o"]._backward()
    v["n"]._backward()
    v["b"]._backward()  # a leaf: nothing happens
    v["x1w1x2w2"]._backward()
    v["x2w2"]._backward()
    v["x1w1"]._backward()
    assert_lecture_gradients(v)


def test_a_plus_a_is_the_lectures_bug_fixed_by_plus_equals():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    assert a.grad == 2.0
    assert len(trace(b)[1]) == 1  # micrograd's _prev is a set: one edge drawn


def test_the_lectures_shared_node_example():
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    # df/da = e·b + d = 3 - 6, df/db = e·a + d = -2 - 6
    assert (a.grad, b.grad) == (-3.0, -8.0)


# -- Value extended the lecture's way: a method that builds a node and a closure -------


def lecture_tanh(self):
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def lecture_exp(self):
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def lecture_mul(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


@pytest.fixture
def extended(monkeypatch):
    """Value with the lecture's methods added to it, as the lecture adds them to its class."""
    monkeypatch.setattr(Value, "lecture_tanh", lecture_tanh, raising=False)
    monkeypatch.setattr(Value, "lecture_exp", lecture_exp, raising=False)
    monkeypatch.setattr(Value, "lecture_mul", lecture_mul, raising=False)
    return Value


def extended_fn(xs):
    x, y = xs
    return (x.lecture_mul(y) + x).lecture_tanh() * y.lecture_exp()


def test_backward_calls_the_closures_and_matches_finite_differences(extended):
    report = gradcheck(extended_fn, [0.3, -1.2])  # central differences, raises on mismatch
    x, y = Value(0.3), Value(-1.2)
    out = extended_fn([x, y])
    out.backward()
    # By hand: out = tanh(xy + x) · e^y.
    t = math.tanh(0.3 * -1.2 + 0.3)
    assert x.grad == pytest.approx((1 - t * t) * (-1.2 + 1) * math.exp(-1.2), rel=1e-13)
    assert y.grad == pytest.approx((1 - t * t) * 0.3 * math.exp(-1.2) + t * math.exp(-1.2))
    assert [row.analytic for row in report.rows] == pytest.approx([x.grad, y.grad], rel=1e-15)


def test_the_lectures_neuron_with_its_own_tanh(extended):
    v = lecture_neuron()
    o = v["n"].lecture_tanh()
    o.backward()
    assert o.op == o._op == "tanh" and o.parents == (v["n"],)
    assert v["n"].grad == pytest.approx(0.5, rel=1e-15) and v["w2"].grad == 0.0


def test_hand_built_nodes_step_and_draw_like_built_in_ones(extended):
    x = Value(0.5, label="x")
    h = x.lecture_mul(x)  # the node's one parent is x, once (micrograd's set)
    h.label = "h"
    out = h.lecture_tanh()
    out.label = "out"
    steps = list(out.backward_steps())
    assert [(s.node, s.parent) for s in steps] == [(out, h), (h, x)]
    slope = 1 - math.tanh(0.25) ** 2
    assert steps[0].local_grad == pytest.approx(slope, rel=1e-15)
    assert steps[1].local_grad == 1.0  # ∂(x·x)/∂x = 2x, x = 0.5
    assert x.grad == steps[1].parent_grad == pytest.approx(slope, rel=1e-15)
    source = draw_graph(out).source
    assert "tanh" in source and "out" in source and "h" in source
    assert chain_rule(out, x).total == pytest.approx(x.grad, rel=1e-15)


def test_grad_goes_through_closures_without_touching_grad(extended):
    x, y = Value(0.3), Value(-1.2)
    out = extended_fn([x, y])
    gx, gy = grad(out, [x, y])
    assert (x.grad, y.grad, out.grad) == (0.0, 0.0, 0.0)
    out.backward()
    assert (gx, gy) == pytest.approx((x.grad, y.grad), rel=1e-15)


# -- micrograd's nn.py, its demo, and the newer micrograd's AdamW ---------------------


def make_moons(n_samples, noise):
    """sklearn's make_moons(n_samples, noise=noise) with random_state=None, step by step."""
    np = pytest.importorskip("numpy")  # in the dev extra
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer_x = np.cos(np.linspace(0, np.pi, n_out))
    outer_y = np.sin(np.linspace(0, np.pi, n_out))
    inner_x = 1 - np.cos(np.linspace(0, np.pi, n_in))
    inner_y = 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5
    X = np.vstack([np.append(outer_x, inner_x), np.append(outer_y, inner_y)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    indices = np.arange(n_samples)  # sklearn.utils.shuffle -> resample(replace=False)
    np.random.shuffle(indices)
    X, y = X[indices], y[indices]
    X += np.random.normal(scale=noise, size=X.shape)
    return X, y


# demo.ipynb's printed output of its optimization cell: `step k loss ..., accuracy ...%`
DEMO_LOSSES = [
    (0.8958441028683222, 50.0),
    (1.7235905336972022, 81.0),
    (0.7429006313851131, 77.0),
    (0.7705641260584198, 82.0),
    (0.3692793385976538, 84.0),
    (0.313545481918522, 86.0),
    (0.2814234349772435, 89.0),
    (0.26888733313983904, 91.0),
    (0.2567147286057417, 91.0),
    (0.2704862551637922, 91.0),
]


def test_micrograds_demo_reproduces_its_printed_losses():
    # demo.ipynb, cell by cell; only `from micrograd...` became `from engine/nn ...`
    np = pytest.importorskip("numpy")  # in the dev extra
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1  # make y be -1 or 1
    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    assert len(model.parameters()) == 337

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]  # svm max-margin
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())  # L2 regularization
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    seen = []
    for k in range(len(DEMO_LOSSES)):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        seen.append((total_loss.data, acc * 100))

    for k, ((got, got_acc), (printed, printed_acc)) in enumerate(zip(seen, DEMO_LOSSES)):
        # the notebook prints repr(float): equal up to the summation order of the gradients,
        # a few ulps (measured: at most 5e-16 relative over these steps)
        assert got == pytest.approx(printed, rel=1e-14, abs=0), f"step {k}"
        assert got_acc == printed_acc, f"step {k}"
    assert seen[0][0] == DEMO_LOSSES[0][0]  # before any update: the very same float


def test_micrograds_nn_constructors_run_unchanged():
    # micrograd/nn.py's shapes: Neuron(nin, nonlin=True), Layer(nin, nout, **kwargs),
    # MLP(nin, nouts) with relu hidden layers and a linear last layer.
    random.seed(0)
    neuron = Neuron(3, nonlin=False)
    layer = Layer(3, 2, nonlin=True)
    model = MLP(2, [4, 4, 1])
    assert neuron.activation == "linear" and layer.activation == "relu"
    assert [la.activation for la in model.layers] == ["relu", "relu", "linear"]
    assert len(model.parameters()) == 3 * 4 + 5 * 4 + 5
    assert isinstance(model([1.0, -1.0]), Value)  # one output: a Value, as micrograd
    model.zero_grad()


class MicrogradAdamW:
    """EurekaLabsAI/micrograd's AdamW as a learner copies it: state on the parameters."""

    def __init__(self, parameters, lr=1e-1, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0):
        self.parameters = parameters
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        for p in self.parameters:
            p.m = 0  # first moment
            p.v = 0  # second moment

    def step(self):
        self.t += 1
        for p in self.parameters:
            p.m = self.beta1 * p.m + (1 - self.beta1) * p.grad
            p.v = self.beta2 * p.v + (1 - self.beta2) * (p.grad**2)
            m_hat = p.m / (1 - self.beta1**self.t)
            v_hat = p.v / (1 - self.beta2**self.t)
            p.data -= self.lr * (m_hat / (v_hat**0.5 + 1e-8) + self.weight_decay * p.data)

    def zero_grad(self):
        for p in self.parameters:
            p.grad = 0


def test_the_newer_micrograds_adamw_keeping_p_m_and_p_v_runs_and_equals_nn_optim_adamw():
    points = [([0.5, -1.0], 0), ([-0.3, 0.8], 1), ([1.2, 0.1], 2), ([0.0, -0.6], 1)]

    def train(make_optimizer, steps=8):
        model = MLP(2, [8, 3], activation="tanh", seed=42)  # micrograd.py's MLP(2, [8, 3])
        optimizer = make_optimizer(model.parameters())
        losses = []
        for _ in range(steps):
            loss = cross_entropy([model(x) for x, _ in points], [c for _, c in points])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.data)
        return losses, model.state_dict(), model.parameters()

    theirs, their_weights, their_params = train(
        lambda ps: MicrogradAdamW(ps, lr=1e-1, weight_decay=1e-4)
    )
    ours, our_weights, _ = train(
        lambda ps: AdamW(ps, lr=1e-1, betas=(0.9, 0.95), weight_decay=1e-4)
    )
    assert all(isinstance(p.m, float) and isinstance(p.v, float) for p in their_params)
    # The same rule; micrograd writes θ - γ(m̂/(√v̂+ε) + λθ), torch θ(1-γλ) - γm̂/(√v̂+ε):
    # equal in exact arithmetic, a few ulps apart in floats.
    assert ours == pytest.approx(theirs, rel=1e-12)
    for name, w in their_weights.items():
        assert our_weights[name] == pytest.approx(w, rel=1e-11, abs=1e-14), name
    assert theirs[-1] < theirs[0]  # and it trains
    assert not math.isnan(theirs[-1])


def test_micrograds_names_come_from_their_own_module():
    # value.py is the teaching node; micrograd's emulation (its names, nodes built by hand,
    # closures probed for their local derivatives) lives in engine/micrograd.py.
    import ast
    import inspect

    from engine import micrograd, value

    tree = ast.parse(inspect.getsource(value))
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    } | {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets
         if isinstance(t, ast.Name)}  # fmt: skip
    assert not defined & {"_prev", "_op", "_backward", "_runs_a_closure", "HandBuilt"}
    assert issubclass(Value, micrograd.Micrograd)
    assert "_backward" in micrograd.Micrograd.__dict__
