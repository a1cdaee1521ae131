"""micrograd's nn code and demo, run against scalarflow with only the imports changed.

Written from the published code's behaviour (both MIT-licensed), not vendored:

- karpathy/micrograd (commit c911406): ``micrograd/nn.py`` (``Neuron(nin, nonlin=True)``
  drawing ``random.uniform(-1,1)`` per weight, ``Value(0)`` bias; ``Layer``; ``MLP`` with
  a linear last layer) and ``demo.ipynb`` (the moons demo and its printed losses).
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

import pytest

from engine import Value
from nn import MLP, Layer, Neuron, cross_entropy
from nn.optim import AdamW

np = pytest.importorskip("numpy")  # in the dev extra


def make_moons(n_samples, noise):
    """sklearn's make_moons(n_samples, noise=noise) with random_state=None, step by step."""
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
