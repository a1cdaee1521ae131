"""Pictures of training: loss curves, decision boundaries, loss surfaces with optimizer paths.

matplotlib is imported only when a function here draws (``pip install
scalarflow[plot]``). Each function takes an optional ``ax`` to draw into and
returns the matplotlib ``Figure``, so notebooks show it and scripts can
``fig.savefig("out.png")``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence

from engine import Value, no_grad

from .module import Module
from .train import History

__all__ = ["loss_curve", "decision_boundary", "loss_surface"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "nn.plot needs matplotlib: pip install matplotlib (or scalarflow[plot])"
        ) from None
    return plt


def _figure_and_axes(ax, figsize):
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


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
    """The regions a 2-input model assigns to each class, with the data on top.

    One output: class 1 where output > ``threshold`` (0 for logits or hinge
    scores; use 0.5 for a sigmoid output). Several outputs: the argmax, with the
    boundaries drawn where the two highest scores are equal.

    >>> from nn import MLP, datasets
    >>> X, y = datasets.moons(n=20, seed=0)
    >>> fig = decision_boundary(MLP(2, [4, 1], seed=0), X, y, resolution=10)
    >>> fig.axes[0].get_title()
    'decision boundary'
    """
    if not X or len(X) != len(y):
        raise ValueError(f"X and y must be non-empty and equally long, got {len(X)} and {len(y)}")
    if any(len(x) != 2 for x in X):
        raise ValueError("decision_boundary draws 2-D inputs: every sample needs 2 features")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be a whole number >= 2, got {resolution!r}")
    plt = _pyplot()
    fig, ax = _figure_and_axes(ax, (5.5, 5.0))
    x0, x1 = _bounds([p[0] for p in X], 0.15)
    y0, y1 = _bounds([p[1] for p in X], 0.15)
    xs = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    ys = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():  # thousands of forward passes: no graph needed
        outputs = [[model([gx, gy]) for gx in xs] for gy in ys]
    classes = sorted({int(c) for c in y})
    binary = all(isinstance(o, Value) for row in outputs for o in row)
    cmap = plt.get_cmap("coolwarm" if binary or len(classes) <= 2 else "viridis")
    if binary:
        # Contour the score itself, so the boundary (score = threshold) is a smooth curve.
        vmin, vmax = 0, 1  # class 0 gets the colormap's first colour, class 1 its last
        scores = [[o.data for o in row] for row in outputs]
        lo = min(min(row) for row in scores)
        hi = max(max(row) for row in scores)
        if lo < threshold < hi:
            ax.contourf(
                xs,
                ys,
                scores,
                levels=[lo, threshold, hi],
                colors=[cmap(0.0), cmap(1.0)],
                alpha=0.35,
            )
            ax.contour(xs, ys, scores, levels=[threshold], colors="k", linewidths=1.0)
        else:  # one class everywhere in the window
            ax.set_facecolor(cmap(1.0 if lo >= threshold else 0.0, alpha=0.35))
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
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title("decision boundary")
    fig.tight_layout()
    return fig


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
    ``nn.optim.trajectory`` returns; the current point (×) is where they start.
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
    >>> from nn.optim import SGD, Adam, trajectory
    >>> w = [Value(-1.5), Value(1.0)]
    >>> bowl = lambda: w[0] ** 2 + 5 * w[1] ** 2
    >>> paths = {"SGD": trajectory(bowl, SGD(w, lr=0.05), 20),
    ...          "Adam": trajectory(bowl, Adam(w, lr=0.2), 20)}
    >>> fig = loss_surface(bowl, w, paths, minimum=(0, 0), resolution=20)
    >>> sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    ['Adam', 'SGD']
    """
    params = list(params)
    if len(params) != 2 or not all(isinstance(p, Value) for p in params):
        raise ValueError("loss_surface needs exactly two parameters (Values) to vary")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be a whole number >= 2, got {resolution!r}")
    if span is not None and (
        isinstance(span, bool) or not isinstance(span, numbers.Real) or not 0 < span < math.inf
    ):
        raise ValueError(f"span must be a finite number > 0, got {span!r}")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"levels must be a whole number >= 2, got {levels!r}")
    trajectories = dict(trajectories or {})
    for name, path in trajectories.items():
        if not path or any(len(point) != 2 for point in path):
            raise ValueError(f"trajectory {name!r} must be a non-empty list of (w1, w2) points")
    if minimum is not None:
        point = list(minimum) if isinstance(minimum, Iterable) else []
        if len(point) != 2 or not all(_finite(v) for v in point):
            raise ValueError(f"minimum must be a point (w1, w2) of finite numbers, got {minimum!r}")
        minimum = (float(point[0]), float(point[1]))
    panels = _panels(ax, len(trajectories))

    a, b = params
    start = (a.data, b.data)
    shown = [start, *(p for path in trajectories.values() for p in path)]
    if minimum is not None:
        shown.append(minimum)
    xr = _window([p[0] for p in shown], span)
    yr = _window([p[1] for p in shown], span)
    xs = [xr[0] + (xr[1] - xr[0]) * i / (resolution - 1) for i in range(resolution)]
    ys = [yr[0] + (yr[1] - yr[0]) * j / (resolution - 1) for j in range(resolution)]
    grid = []
    try:
        with no_grad():
            for gy in ys:
                row = []
                for gx in xs:
                    a.data, b.data = gx, gy
                    value = closure()
                    row.append(value.data if isinstance(value, Value) else float(value))
                grid.append(row)
    finally:
        a.data, b.data = start
    finite = [v for row in grid for v in row if math.isfinite(v)]
    if not finite:
        raise ValueError("the loss is not finite anywhere in this window; choose another span")
    grid, bands, norm, ticks = _contour_levels(grid, min(finite), max(finite), levels)

    if panels is None:
        fig, only = _figure_and_axes(ax, (6.0, 5.0))
        targets, groups = [only], [list(trajectories.items())]
    else:
        fig = panels[0].figure
        targets, groups = panels, [[item] for item in trajectories.items()] or [[]]
    colours = _pyplot().rcParams["axes.prop_cycle"].by_key()["color"]
    colour_of = {name: colours[i % len(colours)] for i, name in enumerate(trajectories)}
    filled = None
    for panel, group in zip(targets, groups):
        filled = panel.contourf(xs, ys, grid, levels=bands, cmap="viridis", norm=norm, alpha=0.85)
        # thin lines on the band edges: the shape of the surface reads without the colour bar
        panel.contour(xs, ys, grid, levels=filled.levels, colors="k", linewidths=0.3, alpha=0.3)
        for name, path in group:
            px, py = [p[0] for p in path], [p[1] for p in path]
            dots = "o" if len(path) <= 60 else None  # dots show the step sizes; too many blur
            colour = colour_of[name]
            panel.plot(px, py, marker=dots, markersize=2.5, linewidth=1.2, color=colour, label=name)
            panel.plot(px[-1], py[-1], marker="o", markersize=6, color=colour, mec="white")
        panel.plot(*start, marker="x", color="white", markersize=8, mew=2)
        if minimum is not None:
            panel.plot(*minimum, marker="*", color="gold", mec="black", markersize=13)
        panel.set_xlim(xr)
        panel.set_ylim(yr)
        panel.set_xlabel(a.label or "w1")
        panel.set_ylabel(b.label or "w2")
        if panels is None:
            panel.set_title("loss surface")
            if trajectories:
                panel.legend(loc="best")  # where it covers the fewest path points
        else:
            panel.set_title(group[0][0] if group else "loss surface")
    if panels is None:
        bar = fig.colorbar(filled, ax=targets[0], label="loss")
        fig.tight_layout()
    else:
        # Laid out first: a colour bar shared by several Axes takes its room from all of them
        # (spare ones too, so the grid stays aligned), which tight_layout cannot undo.
        fig.tight_layout()
        bar = fig.colorbar(filled, ax=panels, label="loss")
    if ticks is not None:
        from matplotlib.ticker import LogFormatterSciNotation

        label = LogFormatterSciNotation(labelOnlyBase=False)
        bar.set_ticks(ticks, labels=[label(t) for t in ticks])
    return fig


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)


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


def _contour_levels(grid, low: float, high: float, levels: int):
    """The grid to contour, its levels, the colour norm and colour-bar ticks (None: linear).

    A loss spanning more than two decades gets levels 10^(k/n), n >= 3 per decade, from
    10⁻⁸ of the top up: evenly spaced levels would put the whole valley in the lowest band.
    The colour bar is labelled at the powers of ten (and 2×, 5× when there are few).
    """
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
