"""The benchmark workloads, written once per contender: scalarflow, micrograd, plain floats.

Every contender computes the same numbers from the same inputs, so each
benchmark can check that the contenders agree before it trusts their times.

W1  micrograd's demo step: MLP 2-16-16-1 on 100 "moons" points, hinge loss
    plus L2 (1e-4 · Σ p²), forward + backward + one SGD step.
W2  a deep chain: n links of ``x -> x * 1.0001 + 0.001``, then backward.
W3  a wide sum: 1e5 products ``w_i * x_i`` added up as a balanced tree, then
    backward. (A tree, not ``sum()``: ``sum()`` makes a chain 1e5 deep, which
    micrograd's recursive backward cannot walk; W2 already covers depth.)
"""

from __future__ import annotations

import math
import random

# ---------------------------------------------------------------------------
# W1 data and initial weights, identical for every contender.

SIZES = (2, 16, 16, 1)  # MLP(2, [16, 16, 1]), as in micrograd's demo
ALPHA = 1e-4  # L2 strength in micrograd's demo loss


def moons(n: int = 100, noise: float = 0.1, seed: int = 1337) -> tuple[list, list]:
    """Two interleaving half circles, like sklearn's ``make_moons``; labels are -1 or +1.

    Written out here so the benchmark needs neither sklearn nor numpy.
    """
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    points, labels = [], []
    for i in range(n_out):
        t = math.pi * i / max(n_out - 1, 1)
        points.append([math.cos(t), math.sin(t)])
        labels.append(-1)
    for i in range(n_in):
        t = math.pi * i / max(n_in - 1, 1)
        points.append([1 - math.cos(t), 1 - math.sin(t) - 0.5])
        labels.append(1)
    for p in points:
        p[0] += rng.gauss(0.0, noise)
        p[1] += rng.gauss(0.0, noise)
    order = list(range(n))
    rng.shuffle(order)
    return [points[i] for i in order], [labels[i] for i in order]


def initial_weights(seed: int = 1337) -> list[list[tuple[list[float], float]]]:
    """Per layer, per neuron: (weights, bias). Weights ~ U(-1, 1) and bias 0, as in micrograd."""
    rng = random.Random(seed)
    layers = []
    for nin, nout in zip(SIZES, SIZES[1:]):
        layers.append([([rng.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)])
    return layers


def learning_rate(k: int) -> float:
    """The demo's decaying step size at step k."""
    return 1.0 - 0.9 * k / 100


# ---------------------------------------------------------------------------
# W1 as a model over Value nodes; the same code serves scalarflow and micrograd,
# whose Values share the operators this needs (+, *, relu, .data, .grad).


def nn_mlp(weights):
    """scalarflow's own ``nn.MLP(2, [16, 16, 1])`` holding ``weights`` (same parameter order)."""
    from nn import MLP

    model = MLP(SIZES[0], list(SIZES[1:]), seed=0)
    flat = [v for layer in weights for ws, b in layer for v in (*ws, b)]
    params = model.parameters()
    assert len(params) == len(flat)
    for p, v in zip(params, flat):
        p.data = v
    return model


class ValueMLP:
    """micrograd's ``MLP`` written out over any Value class: ``sum(w·x, b)``, relu between."""

    def __init__(self, Value, weights) -> None:
        self.layers = [[([Value(w) for w in ws], Value(b)) for ws, b in layer] for layer in weights]

    def __call__(self, x):
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            outs = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = outs if i == last else [o.relu() for o in outs]
        return x[0]

    def parameters(self) -> list:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]


def value_step(model, Value, X, y, k: int) -> float:
    """One step of micrograd's demo: forward, loss, zero_grad, backward, SGD. Returns the loss.

    ``model`` is any callable from a list of Values to one Value with ``parameters()``.
    """
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    total.backward()
    lr = learning_rate(k)
    for p in params:
        p.data -= lr * p.grad
    return total.data


# ---------------------------------------------------------------------------
# W1 by hand with plain floats: the same arithmetic in the same order, backward
# written out. The floor any autograd engine in pure Python pays on top of.


class FloatMLP:
    """The same network as lists of floats, with a hand-written backward pass."""

    def __init__(self, weights) -> None:
        self.layers = [[(list(ws), b) for ws, b in layer] for layer in weights]

    def step(self, X, y, k: int) -> float:
        layers = self.layers
        last = len(layers) - 1
        grads = [[[0.0] * len(ws) for ws, _ in layer] for layer in layers]
        bgrads = [[0.0] * len(layer) for layer in layers]
        scale = 1.0 / len(X)
        data_loss = 0
        for row, yi in zip(X, y):
            # forward, keeping each layer's input and pre-activation
            acts, pres = [row], []
            x = row
            for i, layer in enumerate(layers):
                z = []
                for ws, b in layer:
                    s = b
                    for wi, xi in zip(ws, x):
                        s = s + wi * xi
                    z.append(s)
                pres.append(z)
                x = z if i == last else [v if v > 0 else 0.0 for v in z]
                acts.append(x)
            margin = x[0] * -yi + 1
            loss = margin if margin > 0 else 0.0
            data_loss = data_loss + loss
            # backward
            up = [(scale if margin > 0 else 0.0) * -yi]
            for i in range(last, -1, -1):
                if i != last:
                    up = [u if z > 0 else 0.0 for u, z in zip(up, pres[i])]
                inp = acts[i]
                down = [0.0] * len(inp)
                for j, ((ws, _), u) in enumerate(zip(layers[i], up)):
                    g = grads[i][j]
                    for m, (wi, xi) in enumerate(zip(ws, inp)):
                        g[m] += u * xi
                        down[m] += u * wi
                    bgrads[i][j] += u
                up = down
        reg = 0
        for layer in layers:
            for ws, b in layer:
                for p in (*ws, b):
                    reg = reg + p * p
        total = data_loss * scale + ALPHA * reg
        lr = learning_rate(k)
        for i, layer in enumerate(layers):
            for j, (ws, b) in enumerate(layer):
                g = grads[i][j]
                new_ws = [w - lr * (gw + 2 * ALPHA * w) for w, gw in zip(ws, g)]
                layer[j] = (new_ws, b - lr * (bgrads[i][j] + 2 * ALPHA * b))
        return total


# ---------------------------------------------------------------------------
# W2: the deep chain.

RATE, SHIFT = 1.0001, 0.001


def chain_values(Value, n: int):
    """Build n links of ``x * 1.0001 + 0.001`` over Values, backward.

    Returns ((output, d out/d x0), graph): the graph is handed back so that the
    caller frees it after the clock stops (build + backward is what is timed).
    """
    x0 = Value(1.0)
    x = x0
    for _ in range(n):
        x = x * RATE + SHIFT
    x.backward()
    return (x.data, x0.grad), x


def chain_floats(n: int):
    """The same chain by hand: a forward loop, then the chain rule as a loop of products."""
    x = 1.0
    for _ in range(n):
        x = x * RATE + SHIFT
    g = 1.0
    for _ in range(n):
        g = g * RATE  # d(x·1.0001 + 0.001)/dx, one link at a time
    return (x, g), None


# ---------------------------------------------------------------------------
# W3: the wide sum.


def wide_inputs(n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def tree_sum(terms: list):
    """Add up terms pairwise, level by level: a tree of depth log2(n), not a chain of n."""
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def wide_graph(Value, ws: list[float], xs: list[float]):
    """The graph of W3 (leaves, products, tree of sums); returns (root, leaves)."""
    wv = [Value(w) for w in ws]
    xv = [Value(x) for x in xs]
    return tree_sum([w * x for w, x in zip(wv, xv)]), wv + xv


def wide_values(Value, ws: list[float], xs: list[float]):
    """Build W3 over Values and backward; ((sum, Σ of all leaf gradients), graph)."""
    root, leaves = wide_graph(Value, ws, xs)
    root.backward()
    return (root.data, math.fsum(v.grad for v in leaves)), (root, leaves)


def wide_floats(ws: list[float], xs: list[float]):
    """W3 by hand: the products, the same tree of sums, and the gradients d/dw = x, d/dx = w."""
    total = tree_sum([w * x for w, x in zip(ws, xs)])
    grads = [*xs, *ws]
    return (total, math.fsum(grads)), grads
