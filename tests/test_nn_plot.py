"""nn.plot: the figures hold the data they claim to show, and inputs are checked."""

import math
import subprocess
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from engine import Value  # noqa: E402
from nn import MLP, History, datasets, plot  # noqa: E402
from nn.optim import SGD, Adam, trajectory  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures")


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


def _legend_clear_of_the_data(fig):
    """True if the figure's legend lies above every point of every curve (display coords)."""
    fig.canvas.draw()
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    assert len(legends) == 1, "one legend for all the curves"
    box = legends[0].get_window_extent()
    tops = [
        line.get_transform().transform(line.get_xydata())[:, 1].max()
        for a in fig.axes
        for line in a.lines
    ]
    return box.y0 > max(tops)


@pytest.mark.parametrize(
    "history",
    [
        # the reviewer's case: loss falling and accuracy rising through the middle
        History(
            loss=[0.6 * 0.95**e + 0.01 for e in range(100)],
            accuracy=[min(1.0, 0.5 + e / 80) for e in range(100)],
            best_epoch=90,
            best_loss=0.02,
        ),
        History(loss=[1.0, 0.5, 0.4], accuracy=[0.5, 0.8, 0.9], best_epoch=2, best_loss=0.4),
        History(loss=[1000.0, 1.0, 0.001], best_epoch=2, best_loss=0.001),  # log scale
    ],
)
def test_loss_curve_legend_covers_no_curve(history):
    fig = plot.loss_curve(history)
    assert _legend_clear_of_the_data(fig)
    labels = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert labels == ["loss", "best epoch", "accuracy"][: len(labels)] and len(labels) >= 2


def test_loss_curve_ticks_stay_below_the_legend_band_and_short_runs_tick_every_epoch():
    fig = plot.loss_curve(History(loss=[0.5], accuracy=[0.25]))
    left, right = fig.axes
    assert left.get_title() == "training: 1 epoch"
    assert list(left.get_xticks()) == [1] and left.get_xlim() == (0.5, 1.5)
    assert max(right.get_yticks()) == pytest.approx(1.0)  # no "1.2" accuracy in the band
    low, high = left.get_ylim()
    assert all((t - low) / (high - low) <= plot.DATA_TOP for t in left.get_yticks())


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


def test_decision_boundary_of_several_classes_is_drawn_where_the_top_two_scores_tie():
    # Scores x, y and -x-y: the regions are three wedges meeting at (0, 0). The boundary lines
    # must lie where the two highest scores are equal (a staircase of argmax cells would be
    # up to a cell off), except within a cell of the triple point, where the margins kink.
    def scores(p):
        return [Value(p[0]), Value(p[1]), Value(-p[0] - p[1])]

    X = [[2.0, -1.0], [-1.0, 2.0], [-1.5, -1.5], [1.0, 0.5]]
    y = [0, 1, 2, 0]
    fig = plot.decision_boundary(scores, X, y, resolution=21)
    ax = fig.axes[0]
    from matplotlib.contour import ContourSet

    lines = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    fills = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    assert len(fills) == 3 and len(lines) == 3  # a region and its edge for each class
    vertices = [v for c in lines for seg in c.allsegs[0] for v in seg]
    assert len(vertices) > 3 * 15
    cell = (ax.get_xlim()[1] - ax.get_xlim()[0]) / 20
    for x1, x2 in vertices:
        first, second = sorted([x1, x2, -x1 - x2], reverse=True)[:2]
        assert first - second < 1e-9 or math.hypot(x1, x2) < 1.5 * cell


@pytest.mark.filterwarnings("error")
def test_decision_boundary_of_a_model_scoring_nan_somewhere_draws_what_it_can_quietly():
    X, y = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], [0, 1, 2]
    broken = {
        "nan everywhere": lambda p: [Value(math.nan)] * 3,
        "nan in part": lambda p: [Value(p[0] if p[0] > 1 else math.nan), Value(p[1]), Value(0.5)],
    }
    for name, model in broken.items():
        fig = plot.decision_boundary(model, X, y, resolution=9)
        assert len(fig.axes[0].collections[-1].get_offsets()) == 3, name  # the points, still


def _legend_above_every_point(ax):
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    points = ax.collections[-1]
    ys = points.get_transform().transform(points.get_offsets())[:, 1]
    return box.y0 > ys.max()


@pytest.mark.parametrize(
    "data, model",
    [
        (datasets.moons(n=40, noise=0.1, seed=0), MLP(2, [4, 1], seed=0)),
        (datasets.spirals(n=45, classes=3, seed=0), MLP(2, [4, 3], seed=0)),
        (datasets.blobs(n=40, centers=4, seed=1), MLP(2, [4, 4], seed=0)),
    ],
)
def test_decision_boundary_has_a_class_legend_in_the_points_colours_over_no_point(data, model):
    X, y = data
    ax = plot.decision_boundary(model, X, y, resolution=10).axes[0]
    legend = ax.get_legend()
    classes = sorted(set(y))
    assert [t.get_text() for t in legend.get_texts()] == [f"class {c}" for c in classes]
    points = ax.collections[-1]
    colour_of_point = {c: tuple(points.to_rgba(c)) for c in classes}
    assert [tuple(h.get_markerfacecolor()) for h in legend.legend_handles] == [
        colour_of_point[c] for c in classes
    ]
    assert _legend_above_every_point(ax)


def test_decision_boundary_legend_stays_clear_in_small_panels_with_their_own_titles():
    X, y = datasets.moons(n=60, noise=0.1, seed=0)
    fig, axes = plt.subplots(1, 4, figsize=(12, 3))  # panels as in a lesson's 2×4 grid
    for ax in axes.flat:
        plot.decision_boundary(MLP(2, [3, 1], seed=0), X, y, resolution=6, ax=ax)
        ax.set_title("tanh")
    fig.tight_layout()
    fig.canvas.draw()
    for ax in axes.flat:
        assert _legend_above_every_point(ax)
        legend = ax.get_legend().get_window_extent()
        frame = ax.get_window_extent()
        assert frame.x0 <= legend.x0 and legend.x1 <= frame.x1  # inside its panel
        assert legend.y1 <= frame.y1 < ax.title.get_window_extent().y0  # under the title


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


def _valley():
    w = [Value(-1.5, label="w1"), Value(2.0, label="w2")]

    def loss():  # a Rosenbrock valley, minimum 0 at (1, 1): its loss spans many decades
        return (1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2

    paths = {
        "SGD": trajectory(loss, SGD(w, lr=0.01), 40),
        "Adam": trajectory(loss, Adam(w, lr=0.05), 40),
    }
    return w, loss, paths


def _filled(ax):
    from matplotlib.contour import ContourSet

    return next(c for c in ax.collections if isinstance(c, ContourSet) and c.filled)


def test_loss_surface_window_covers_the_start_the_paths_and_the_minimum():
    w, loss, paths = _valley()
    shown = [(-1.5, 2.0), (1.0, 1.0), *(p for path in paths.values() for p in path)]
    for span in (None, 0.1, 3.0):
        ax = plot.loss_surface(loss, w, paths, span=span, minimum=(1, 1), resolution=8).axes[0]
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert all(x0 < x < x1 and y0 < y < y1 for x, y in shown), span
        if span == 3.0:  # a wide span is centred on what is shown, not on the start
            middle_x = (min(p[0] for p in shown) + max(p[0] for p in shown)) / 2
            assert (x0 + x1) / 2 == pytest.approx(middle_x) and x1 - x0 == pytest.approx(6.0)
        plt.close("all")


def test_loss_surface_log_scale_has_several_levels_per_decade():
    w, loss, paths = _valley()
    fig = plot.loss_surface(loss, w, paths, minimum=(1, 1), resolution=30)
    levels = _filled(fig.axes[0]).levels
    ratios = [b / a for a, b in zip(levels, levels[1:], strict=False)]
    assert levels[-1] / levels[0] > 1e3  # a log scale over several decades
    assert max(ratios) <= 10 ** (1 / 3) * (1 + 1e-9)  # at least three levels per decade
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "$\\mathdefault{10^{0}}$" in labels  # the colour bar is labelled in powers of ten


def test_loss_surface_in_several_panels_shares_one_window_and_one_colour_bar():
    w, loss, paths = _valley()
    fig, axes = plt.subplots(2, 2)
    out = plot.loss_surface(loss, w, paths, ax=axes, resolution=8)
    assert out is fig
    used, spare = axes.flat[:2], axes.flat[2:]
    assert [a.get_title() for a in used] == ["SGD", "Adam"]
    assert len(fig.axes) == 5  # four panels and one colour bar
    assert used[0].get_xlim() == used[1].get_xlim()
    assert list(_filled(used[0]).levels) == list(_filled(used[1]).levels)
    assert [line.get_label() for line in used[1].lines][0] == "Adam"
    assert all(not a.collections and not a.lines for a in spare)  # left for the caller
    widths = {round(a.get_position().width, 6) for a in axes.flat}
    assert len(widths) == 1  # the colour bar took room from every panel: the grid stays aligned
    with pytest.raises(ValueError, match="2 trajectories need 2 panels, got 1 Axes"):
        plot.loss_surface(loss, w, paths, ax=[axes[0, 0]], resolution=4)


def test_loss_surface_checks_its_input():
    w = [Value(0.0), Value(0.0)]
    with pytest.raises(TypeError, match="span must be a number, got str"):
        plot.loss_surface(lambda: w[0], w, span="1")
    with pytest.raises(ValueError, match="exactly two parameters"):
        plot.loss_surface(lambda: w[0], w[:1])
    with pytest.raises(ValueError, match="trajectory 'x' must be"):
        plot.loss_surface(lambda: w[0], w, {"x": [(1.0, 2.0, 3.0)]})


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(span=0.0), "span must be > 0, got 0"),
        (dict(span=-1.0), "span must be > 0, got -1"),
        (dict(span=math.inf), "span must be a finite number, got inf"),
        (dict(levels=1), "levels must be a whole number >= 2"),
        (dict(levels=2.5), "levels must be a whole number >= 2"),
        (dict(minimum=(1.0,)), "minimum must be a point"),
        (dict(minimum=(1.0, math.nan)), "minimum must be a point"),
        (dict(minimum=5), "minimum must be a point"),
        (dict(ax="axes"), "ax must be an Axes or a list of Axes"),
    ],
)
def test_loss_surface_checks_span_and_levels(options, message):
    # A zero or negative span gave an empty or mirrored window without a word; odd levels
    # failed deep inside matplotlib.
    w = [Value(1.0), Value(1.0)]
    with pytest.raises(ValueError, match=message):
        plot.loss_surface(lambda: w[0] * w[0] + w[1] * w[1], w, resolution=5, **options)
