"""nn.plot: the figures hold the data they claim to show, and inputs are checked."""

import subprocess
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from engine import Value  # noqa: E402
from nn import MLP, History, datasets, plot  # noqa: E402
from nn.optim import SGD, Adam, trajectory  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_import_nn_stays_light():
    heavy = "('matplotlib', 'tqdm', 'graphviz', 'hypothesis', 'ipywidgets')"
    imports = "import nn, nn.optim, nn.plot, nn.datasets, nn.serialize, nn.__main__, sys"
    code = f"{imports}; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_loss_curve_plots_the_history():
    h = History(loss=[1.0, 0.5, 0.4], accuracy=[0.5, 0.8, 0.9], best_epoch=2, best_loss=0.4)
    fig = plot.loss_curve(h)
    left, right = fig.axes
    assert list(left.lines[0].get_xdata()) == [1, 2, 3]
    assert list(left.lines[0].get_ydata()) == h.loss
    assert list(right.lines[0].get_ydata()) == h.accuracy
    assert left.get_yscale() == "linear"


def test_loss_curve_for_regression_has_one_axis_and_log_scale_for_wide_ranges():
    fig = plot.loss_curve(History(loss=[1000.0, 1.0, 0.001]))
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "log"


def test_loss_curve_rejects_an_empty_or_wrong_history():
    with pytest.raises(ValueError, match="history is empty"):
        plot.loss_curve(History())
    with pytest.raises(TypeError, match="History that fit returns"):
        plot.loss_curve([1.0, 2.0])


def test_decision_boundary_draws_every_point_and_a_boundary():
    X, y = datasets.moons(n=30, seed=0)
    model = MLP(2, [4, 1], seed=0)
    fig = plot.decision_boundary(model, X, y, resolution=12)
    ax = fig.axes[0]
    points = ax.collections[-1].get_offsets()
    assert len(points) == 30 and points[0].tolist() == X[0]
    assert list(ax.collections[-1].get_array()) == y


def test_decision_boundary_multiclass_and_into_a_given_axes():
    X, y = datasets.blobs(n=30, centers=3, seed=0)
    fig, ax = plt.subplots()
    out = plot.decision_boundary(MLP(2, [4, 3], seed=0), X, y, resolution=8, ax=ax)
    assert out is fig and ax.get_title() == "decision boundary"


def test_decision_boundary_checks_its_input():
    model = MLP(3, [1], seed=0)
    with pytest.raises(ValueError, match="2-D inputs"):
        plot.decision_boundary(model, [[0.0, 1.0, 2.0]], [0])
    with pytest.raises(ValueError, match="equally long"):
        plot.decision_boundary(model, [[0.0, 1.0]], [0, 1])


def test_decision_boundary_leaves_the_model_and_its_gradients_alone():
    X, y = datasets.moons(n=10, seed=0)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    plot.decision_boundary(model, X, y, resolution=5)
    assert model.state_dict() == before
    assert all(p.grad == 0.0 for p in model.parameters())


def test_loss_surface_with_trajectories():
    w = [Value(-1.5, label="a"), Value(1.0, label="b")]

    def bowl():
        return w[0] ** 2 + 5 * w[1] ** 2

    paths = {
        "SGD": trajectory(bowl, SGD(w, lr=0.05), 15),
        "Adam": trajectory(bowl, Adam(w, lr=0.2), 15),
    }
    fig = plot.loss_surface(bowl, w, paths, resolution=15)
    ax = fig.axes[0]
    drawn = {line.get_label(): line for line in ax.lines}
    assert list(drawn["SGD"].get_xdata()) == [p[0] for p in paths["SGD"]]
    assert list(drawn["Adam"].get_ydata()) == [p[1] for p in paths["Adam"]]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    assert (w[0].data, w[1].data) == (-1.5, 1.0)  # restored after the grid


def test_loss_surface_of_two_weights_of_a_model():
    X, y = datasets.xor()
    model = MLP(2, [1], seed=0)
    p1, p2 = model.parameters()[:2]
    from nn import bce_with_logits

    def loss():
        return bce_with_logits([model(x) for x in X], y)

    fig = plot.loss_surface(loss, [p1, p2], span=2.0, resolution=6)
    assert fig.axes[0].get_xlabel() == "L0.N0.w0"


def test_loss_surface_checks_its_input():
    w = [Value(0.0), Value(0.0)]
    with pytest.raises(ValueError, match="exactly two parameters"):
        plot.loss_surface(lambda: w[0], w[:1])
    with pytest.raises(ValueError, match="trajectory 'x' must be"):
        plot.loss_surface(lambda: w[0], w, {"x": [(1.0, 2.0, 3.0)]})


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(span=0.0), "span must be a finite number > 0"),
        (dict(span=-1.0), "span must be a finite number > 0"),
        (dict(span="1"), "span must be a finite number > 0"),
        (dict(levels=1), "levels must be a whole number >= 2"),
        (dict(levels=2.5), "levels must be a whole number >= 2"),
    ],
)
def test_loss_surface_checks_span_and_levels(options, message):
    # A zero or negative span gave an empty or mirrored window without a word; odd levels
    # failed deep inside matplotlib.
    w = [Value(1.0), Value(1.0)]
    with pytest.raises(ValueError, match=message):
        plot.loss_surface(lambda: w[0] * w[0] + w[1] * w[1], w, resolution=5, **options)
