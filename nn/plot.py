"""Pictures of training: loss curves, decision boundaries, loss surfaces with optimizer paths.

Pictures of images (``images``, ``confusion_matrix``, ``weight_images``) live in
``nn/plot_images.py`` and are here too, so every picture is ``nn.plot.<name>``.

matplotlib is imported only when a function here draws (``pip install
scalarflow[plot]``). Each function takes an optional ``ax`` to draw into and
returns the matplotlib ``Figure``, so notebooks show it and scripts can
``fig.savefig("out.png")``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from engine import Value, no_grad
from engine.utils.arguments import finite_float, greater_than, whole_number

from .canvas import figure_and_axes as _figure_and_axes
from .canvas import pyplot as _pyplot
from .landscape import loss_grid, trajectory
from .module import Module
from .plot_images import confusion_matrix, images, weight_images
from .train import History

__all__ = [
    "loss_curve",
    "decision_boundary",
    "loss_surface",
    "trajectory",
    "images",
    "confusion_matrix",
    "weight_images",
]


def loss_curve(history: History, ax=None):
    """The loss per epoch (left axis) and, for classification, the accuracy (right axis).

    >>> from nn import History
    >>> fig = loss_curve(History(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.75, 1.0]))
    >>> [a.get_ylabel() for a in fig.axes]
    ['loss', 'accuracy']
    """
    if not isinstance(history, History):
        raise TypeError(f"loss_curve takes the History that fit returns, got {type(history)}")
    if not history.loss:
        raise ValueError("the history is empty: train for at least one epoch")
    fig, ax = _figure_and_axes(ax, (6.4, 4.0))
    epochs = range(1, history.epochs + 1)
    dots = "o" if history.epochs <= 20 else None  # a short run's points, one per epoch
    ax.plot(epochs, history.loss, color="tab:blue", marker=dots, markersize=3, label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    if history.epochs <= 10:  # a short run: every epoch ticked, none squeezed to one point
        ax.set_xticks(list(epochs))
        ax.set_xlim(0.5, history.epochs + 0.5)
    if min(history.loss) > 0 and max(history.loss) / min(history.loss) > 100:
        ax.set_yscale("log")  # losses spanning decades read better on a log scale
    # The legend gets a band of its own along the top: every axis is stretched so its data
    # ends at DATA_TOP of the height, and nothing is drawn above that but the legend.
    _leave_headroom(ax)
    if history.best_epoch is not None:
        ax.axvline(
            history.best_epoch + 1,
            ymax=DATA_TOP,
            color="0.6",
            linestyle=":",
            label="best epoch",
        )
    handles, labels = ax.get_legend_handles_labels()
    if history.accuracy:
        right = ax.twinx()
        right.plot(
            epochs,
            history.accuracy,
            color="tab:orange",
            marker=dots,
            markersize=3,
            label="accuracy",
        )
        right.set_ylabel("accuracy")
        right.set_ylim(-0.02, 1.02)
        _leave_headroom(right)
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    # On the top axes (the twin, if any), so no curve is drawn over it.
    (right if history.accuracy else ax).legend(
        handles, labels, loc="upper center", ncol=len(handles), fontsize="small", frameon=False
    )
    how = {"early_stopping": ", stopped early", "diverged": ", diverged"}.get(
        history.stop_reason, ""
    )
    plural = "" if history.epochs == 1 else "s"
    ax.set_title(f"training: {history.epochs} epoch{plural}{how}")
    fig.tight_layout()
    return fig


#: The fraction of a loss curve's height that holds data; the band above holds the legend.
DATA_TOP = 0.82


def _leave_headroom(ax) -> None:
    """Raise the top of ``ax``'s y axis so its current range fills only DATA_TOP of it.

    The ticks stay within the old range: the band above is the legend's, not more loss.
    """
    low, high = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if low <= t <= high]
    if ax.get_yscale() == "log":  # the same fraction, measured in decades
        ax.set_ylim(low, low * (high / low) ** (1 / DATA_TOP))
    else:
        ax.set_ylim(low, low + (high - low) / DATA_TOP)
    ax.set_yticks(ticks)


def _bounds(values: list[float], margin: float) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = margin * (high - low or 1.0)
    return low - pad, high + pad


def decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    threshold: float = 0.0,
    resolution: int = 80,
    ax=None,
):
    """The regions a 2-input model assigns to each class, with the data and a class legend.

    One output: class 1 where output > ``threshold`` (0 for logits or hinge
    scores; use 0.5 for a sigmoid output). Several outputs: the argmax, with the
    boundaries drawn where the two highest scores are equal. Each class's
    region has the colour of its points; the legend names them, in a band
    along the top where no point is (``LEGEND_BAND`` of the height).

    >>> from nn import MLP, datasets
    >>> X, y = datasets.moons(n=20, seed=0)
    >>> fig = decision_boundary(MLP(2, [4, 1], seed=0), X, y, resolution=10)
    >>> fig.axes[0].get_title()
    'decision boundary'
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['class 0', 'class 1']
    """
    if not X or len(X) != len(y):
        raise ValueError(f"X and y must be non-empty and equally long, got {len(X)} and {len(y)}")
    if any(len(x) != 2 for x in X):
        raise ValueError("decision_boundary draws 2-D inputs: every sample needs 2 features")
    resolution = whole_number("resolution", resolution, 2)
    fig, ax = _figure_and_axes(ax, (5.5, 5.0))
    xr, (y0, y1) = _bounds([p[0] for p in X], 0.15), _bounds([p[1] for p in X], 0.15)
    yr = (y0, y1 + LEGEND_BAND * (y1 - y0))  # a band above the data for the legend
    xs, ys = _linspace(*xr, resolution), _linspace(*yr, resolution)
    with no_grad():  # thousands of forward passes: no graph needed
        outputs = [[model([gx, gy]) for gx in xs] for gy in ys]
    classes = sorted({int(c) for c in y})
    binary = all(isinstance(o, Value) for row in outputs for o in row)
    cmap = _pyplot().get_cmap("coolwarm" if binary or len(classes) <= 2 else "viridis")
    if binary:
        vmin, vmax = _binary_regions(ax, xs, ys, outputs, threshold, cmap)
    else:
        vmin, vmax = _class_regions(ax, xs, ys, outputs, classes, cmap)
    ax.scatter(
        [p[0] for p in X],
        [p[1] for p in X],
        c=[int(c) for c in y],
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        edgecolors="k",
        linewidths=0.5,
        s=25,
    )
    _class_legend(ax, classes, cmap, vmin, vmax)
    ax.set_xlim(xr)
    ax.set_ylim(yr)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title("decision boundary")
    fig.tight_layout()
    return fig


def _linspace(low: float, high: float, n: int) -> list[float]:
    return [low + (high - low) * i / (n - 1) for i in range(n)]


def _binary_regions(ax, xs, ys, outputs, threshold, cmap) -> tuple[float, float]:
    """Fill where one score is above/below ``threshold``; returns the colour range (0, 1).

    The score itself is contoured, so the boundary (score = threshold) is a smooth curve.
    Class 0 gets the colour map's first colour, class 1 its last.
    """
    scores = [[o.data for o in row] for row in outputs]
    lo, hi = min(min(row) for row in scores), max(max(row) for row in scores)
    if not lo < threshold < hi:  # one class everywhere in the window
        ax.set_facecolor(cmap(1.0 if lo >= threshold else 0.0, alpha=0.35))
        return 0, 1
    colours = [cmap(0.0), cmap(1.0)]
    ax.contourf(xs, ys, scores, levels=[lo, threshold, hi], colors=colours, alpha=0.35)
    ax.contour(xs, ys, scores, levels=[threshold], colors="k", linewidths=1.0)
    return 0, 1


#: The fraction added above a decision boundary's data: the legend's band, over no point.
LEGEND_BAND = 0.2


def _class_legend(ax, classes, cmap, vmin, vmax) -> None:
    """One entry per class, in the colour its points and region have, along the top band."""
    from matplotlib.lines import Line2D

    def colour(c):
        return cmap(min(max((c - vmin) / (vmax - vmin), 0.0), 1.0))  # as scatter clips

    handles = [
        Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=colour(c),
               markeredgecolor="k", markeredgewidth=0.5, label=f"class {c}")
        for c in classes
    ]  # fmt: skip
    ax.legend(
        handles=handles,
        loc="upper center",
        ncol=len(handles),
        fontsize="small",
        framealpha=0.8,
        borderaxespad=0.3,
        handletextpad=0.2,
        columnspacing=0.8,
    )


def _class_regions(ax, xs, ys, outputs, classes, cmap) -> tuple[float, float]:
    """Fill each class's region of a several-output model and draw the boundaries between.

    Class k wins where its margin m_k = score_k − max_{j≠k} score_j is positive, and a
    boundary is where m_k = 0. Contouring m_k (a smooth function of the point) gives smooth
    regions and lines; filling the argmax grid cell by cell gives staircases, and contouring
    class numbers would invent slivers of the classes in between (a 0|2 border would show 1).
    Returns the colour range (vmin, vmax) the points must share.
    """
    import numpy as np

    scores = np.array([[[o.data for o in out] for out in row] for row in outputs], dtype=float)
    n_outputs = scores.shape[2]
    low, high = min(0, *classes), max(n_outputs - 1, *classes)
    vmin, vmax = low - 0.5, high + 0.5
    for k in range(n_outputs):
        rivals = np.delete(scores, k, axis=2).max(axis=2) if n_outputs > 1 else 0.0
        margin = scores[:, :, k] - rivals
        known = margin[np.isfinite(margin)]  # a nan score (a broken model) is left blank
        if not known.size or not known.max() > 0:  # class k wins nowhere in the window
            continue
        colour = cmap((k - vmin) / (vmax - vmin))
        ax.contourf(xs, ys, margin, levels=[0.0, known.max()], colors=[colour], alpha=0.35)
        if known.min() < 0:
            ax.contour(xs, ys, margin, levels=[0.0], colors="k", linewidths=1.0)
    return vmin, vmax


def loss_surface(
    closure: Callable[[], Value | float],
    params: Sequence[Value],
    trajectories: Mapping[str, Sequence[Sequence[float]]] | None = None,
    *,
    span: float | None = None,
    minimum: Sequence[float] | None = None,
    resolution: int = 60,
    levels: int = 30,
    ax=None,
):
    """Contours of the loss as two weights vary, with optimizer paths drawn on top.

    ``closure()`` computes the loss from the current values of ``params``
    (exactly two Values); each grid point sets their ``.data``, evaluates
    without recording a graph, and the weights are restored afterwards.
    ``trajectories`` maps a name to a path of ``(w1, w2)`` points, such as
    ``nn.landscape.trajectory`` returns; the current point (×) is where they start.
    ``minimum``, if known, is marked with a gold star.

    The window covers the start, every path and the minimum, with a margin;
    ``span`` makes it at least ``2·span`` wide and high, centred on them. A
    loss spanning more than two decades is coloured on a log scale, with at
    least three contour levels per decade (``levels`` in all, about), down to
    10⁻⁸ of the highest loss: lower values share the lowest band.

    ``ax`` is one Axes (all paths on one surface, with a legend), or several
    (e.g. ``plt.subplots(2, 3)[1]``): then each path gets a panel of its own,
    titled with its name, all with the same window and colours and one colour
    bar beside them; spare Axes are left empty for the caller. The figure is
    laid out before that colour bar is added: call no ``tight_layout`` after.

    >>> from engine import Value
    >>> from nn.optim import SGD, Adam
    >>> w = [Value(-1.5), Value(1.0)]
    >>> bowl = lambda: w[0] ** 2 + 5 * w[1] ** 2
    >>> paths = {"SGD": trajectory(bowl, SGD(w, lr=0.05), 20),
    ...          "Adam": trajectory(bowl, Adam(w, lr=0.2), 20)}
    >>> fig = loss_surface(bowl, w, paths, minimum=(0, 0), resolution=20)
    >>> sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    ['Adam', 'SGD']
    """
    # 1. check everything before drawing anything
    a, b = _two_parameters(params)
    paths, minimum = _checked_paths(trajectories), _checked_point(minimum)
    resolution = whole_number("resolution", resolution, 2)
    levels = whole_number("levels", levels, 2)
    span = _checked_span(span)
    panels = _panels(ax, len(paths))
    # 2. the window: the start, every path and the minimum, with a margin
    start = (a.data, b.data)
    shown = [start, *(p for path in paths.values() for p in path)]
    shown += [minimum] if minimum is not None else []
    xr, yr = _window([p[0] for p in shown], span), _window([p[1] for p in shown], span)
    # 3. the loss over it, and its contour levels (log-spaced over many decades)
    xs, ys = _linspace(*xr, resolution), _linspace(*yr, resolution)
    grid, bands, norm, ticks = _contour_levels(loss_grid(closure, (a, b), xs, ys), levels)
    # 4. each Axes: contours, its paths, the start and the minimum
    fig, groups = _surface_panels(ax, panels, paths)
    colour_of = _path_colours(paths)
    for panel, group in groups:
        filled = _draw_contours(panel, xs, ys, grid, bands, norm)
        _draw_paths(panel, group, colour_of)
        _mark_start_and_minimum(panel, start, minimum)
        _frame(panel, xr, yr, a.label or "w1", b.label or "w2")
    # 5. titles, legend and one colour bar
    _label_panels(groups, shared=panels is not None)
    _colour_bar(fig, filled, panels if panels is not None else groups[0][0], ticks)
    return fig


# -- loss_surface's steps -----------------------------------------------------------------


def _two_parameters(params) -> tuple[Value, Value]:
    params = list(params)
    if len(params) != 2 or not all(isinstance(p, Value) for p in params):
        raise ValueError("loss_surface needs exactly two parameters (Values) to vary")
    return params[0], params[1]


def _checked_paths(trajectories) -> dict[str, Sequence[Sequence[float]]]:
    paths = dict(trajectories or {})
    for name, path in paths.items():
        if not path or any(len(point) != 2 for point in path):
            raise ValueError(f"trajectory {name!r} must be a non-empty list of (w1, w2) points")
    return paths


def _checked_point(minimum) -> tuple[float, float] | None:
    if minimum is None:
        return None
    point = list(minimum) if isinstance(minimum, Iterable) else []
    if len(point) != 2 or any(finite_float(v) is None for v in point):
        raise ValueError(f"minimum must be a point (w1, w2) of finite numbers, got {minimum!r}")
    return float(point[0]), float(point[1])


def _checked_span(span) -> float | None:
    return None if span is None else greater_than("span", span)


def _surface_panels(ax, panels, paths):
    """The figure and which paths go in which Axes: all in one, or one per panel."""
    if panels is None:
        fig, only = _figure_and_axes(ax, (6.0, 5.0))
        return fig, [(only, list(paths.items()))]
    groups = [(panel, [item]) for panel, item in zip(panels, paths.items())]
    return panels[0].figure, groups or [(panels[0], [])]


def _path_colours(paths) -> dict[str, str]:
    """Each path keeps one colour in every panel: matplotlib's cycle, in order."""
    colours = _pyplot().rcParams["axes.prop_cycle"].by_key()["color"]
    return {name: colours[i % len(colours)] for i, name in enumerate(paths)}


def _draw_contours(panel, xs, ys, grid, bands, norm):
    filled = panel.contourf(xs, ys, grid, levels=bands, cmap="viridis", norm=norm, alpha=0.85)
    # thin lines on the band edges: the shape of the surface reads without the colour bar
    panel.contour(xs, ys, grid, levels=filled.levels, colors="k", linewidths=0.3, alpha=0.3)
    return filled


def _draw_paths(panel, group, colour_of) -> None:
    """Each path as a line (dots at the steps, if few enough to see) ending in a big dot."""
    for name, path in group:
        px, py = [p[0] for p in path], [p[1] for p in path]
        dots = "o" if len(path) <= 60 else None  # dots show the step sizes; too many blur
        colour = colour_of[name]
        panel.plot(px, py, marker=dots, markersize=2.5, linewidth=1.2, color=colour, label=name)
        panel.plot(px[-1], py[-1], marker="o", markersize=6, color=colour, mec="white")


def _mark_start_and_minimum(panel, start, minimum) -> None:
    panel.plot(*start, marker="x", color="white", markersize=8, mew=2)
    if minimum is not None:
        panel.plot(*minimum, marker="*", color="gold", mec="black", markersize=13)


def _frame(panel, xr, yr, xlabel: str, ylabel: str) -> None:
    panel.set_xlim(xr)
    panel.set_ylim(yr)
    panel.set_xlabel(xlabel)
    panel.set_ylabel(ylabel)


def _label_panels(groups, *, shared: bool) -> None:
    """One surface: a title and a legend of the paths; panels: each titled with its path."""
    for panel, group in groups:
        if shared:
            panel.set_title(group[0][0] if group else "loss surface")
        else:
            panel.set_title("loss surface")
            if group:
                panel.legend(loc="best")  # where it covers the fewest path points


def _colour_bar(fig, filled, target, ticks) -> None:
    """The loss scale beside ``target`` (an Axes, or a list of panels sharing the bar).

    Panels are laid out first: a colour bar shared by several Axes takes its room from
    all of them (spare ones too, so the grid stays aligned), which tight_layout cannot
    undo. One surface is laid out with its bar. On a log scale the bar is labelled at
    powers of ten.
    """
    if isinstance(target, list):
        fig.tight_layout()
        bar = fig.colorbar(filled, ax=target, label="loss")
    else:
        bar = fig.colorbar(filled, ax=target, label="loss")
        fig.tight_layout()
    if ticks is not None:
        from matplotlib.ticker import LogFormatterSciNotation

        label = LogFormatterSciNotation(labelOnlyBase=False)
        bar.set_ticks(ticks, labels=[label(t) for t in ticks])


def _panels(ax, paths: int) -> list | None:
    """The Axes to draw one path each in, or None when ``ax`` is a single Axes (or None)."""
    if ax is None or hasattr(ax, "plot"):  # an Axes: everything on one surface
        return None
    panels = list(getattr(ax, "flat", ax))  # a grid from plt.subplots, or a list of Axes
    if not panels or not all(hasattr(p, "plot") for p in panels):
        raise ValueError("ax must be an Axes or a list of Axes")
    if len(panels) < paths:
        raise ValueError(f"{paths} trajectories need {paths} panels, got {len(panels)} Axes")
    if any(p.figure is not panels[0].figure for p in panels):
        raise ValueError("the panels must belong to one figure (they share one colour bar)")
    return panels


def _window(values: list[float], span: float | None) -> tuple[float, float]:
    """A range covering ``values`` with a margin, at least ``2·span`` wide if span is given."""
    low, high = _bounds(values, 0.15)
    if span is not None and high - low < 2 * span:
        middle = (min(values) + max(values)) / 2
        low, high = middle - span, middle + span
    return low, high


def _contour_levels(grid, levels: int):
    """The grid to contour, its levels, the colour norm and colour-bar ticks (None: linear).

    A loss spanning more than two decades gets levels 10^(k/n), n >= 3 per decade, from
    10⁻⁸ of the top up: evenly spaced levels would put the whole valley in the lowest band.
    The colour bar is labelled at the powers of ten (and 2×, 5× when there are few).
    """
    finite = [v for row in grid for v in row if math.isfinite(v)]
    if not finite:
        raise ValueError("the loss is not finite anywhere in this window; choose another span")
    low, high = min(finite), max(finite)
    if not (low >= 0 and high > 0 and high > 100 * low):
        return grid, levels, None, None
    import matplotlib.colors as colors

    floor = max(low, high * 1e-8)
    decades = math.log10(high / floor)
    per = min(10, max(3, math.ceil(levels / decades)))
    first, last = math.floor(math.log10(floor) * per), math.ceil(math.log10(high) * per)
    bands = [10 ** (k / per) for k in range(first, last + 1)]
    # Values under the lowest level (a 0 at the minimum) join the lowest band; a log scale
    # has no place for them.
    grid = [[v if not v < bands[0] else bands[0] for v in row] for row in grid]
    steps = (1,) if decades > 4 else (1, 2, 5)
    powers = range(math.floor(math.log10(bands[0])), math.ceil(math.log10(bands[-1])) + 1)
    ticks = [m * 10.0**e for e in powers for m in steps]
    ticks = [t for t in ticks if bands[0] * (1 - 1e-9) <= t <= bands[-1] * (1 + 1e-9)]
    return grid, bands, colors.LogNorm(vmin=bands[0], vmax=bands[-1]), ticks
