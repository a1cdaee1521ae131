"""Pictures of training: loss curves, decision boundaries, loss surfaces with optimizer paths.

matplotlib is imported only when a function here draws (``pip install
scalarflow[plot]``). Each function takes an optional ``ax`` to draw into and
returns the matplotlib ``Figure``, so notebooks show it and scripts can
``fig.savefig("out.png")``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence

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
    ax.plot(epochs, history.loss, color="tab:blue", label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    if min(history.loss) > 0 and max(history.loss) / min(history.loss) > 100:
        ax.set_yscale("log")  # losses spanning decades read better on a log scale
    if history.best_epoch is not None:
        ax.axvline(history.best_epoch + 1, color="0.6", linestyle=":", label="best epoch")
    handles, labels = ax.get_legend_handles_labels()
    if history.accuracy:
        right = ax.twinx()
        right.plot(epochs, history.accuracy, color="tab:orange", label="accuracy")
        right.set_ylabel("accuracy")
        right.set_ylim(-0.02, 1.02)
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="center right")
    how = {"early_stopping": ", stopped early", "diverged": ", diverged"}.get(
        history.stop_reason, ""
    )
    ax.set_title(f"training: {history.epochs} epochs{how}")
    fig.tight_layout()
    return fig


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
    scores; use 0.5 for a sigmoid output). Several outputs: the argmax.

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
        grid = [[_argmax(o) for o in row] for row in outputs]
        classes = sorted(set(classes) | {c for row in grid for c in row})
        low, high = classes[0], classes[-1]
        vmin, vmax = low - 0.5, high + 0.5
        # Cells, not contours: interpolating class numbers would invent thin bands of the
        # classes in between (a 0|2 border would show a sliver of class 1).
        ax.pcolormesh(xs, ys, grid, shading="nearest", cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.35)
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


def _argmax(outputs: list[Value]) -> int:
    scores = [o.data for o in outputs]
    return max(range(len(scores)), key=scores.__getitem__)


def loss_surface(
    closure: Callable[[], Value | float],
    params: Sequence[Value],
    trajectories: Mapping[str, Sequence[Sequence[float]]] | None = None,
    *,
    span: float | None = None,
    resolution: int = 60,
    levels: int = 30,
    ax=None,
):
    """Contours of the loss as two weights vary, with optimizer paths drawn on top.

    ``closure()`` computes the loss from the current values of ``params``
    (exactly two Values); each grid point sets their ``.data``, evaluates
    without recording a graph, and the weights are restored afterwards.
    ``trajectories`` maps a name to a path of ``(w1, w2)`` points, such as
    ``nn.optim.trajectory`` returns. The window covers the paths and the
    current point, or ``span`` around the current point.

    >>> from engine import Value
    >>> from nn.optim import SGD, Adam, trajectory
    >>> w = [Value(-1.5), Value(1.0)]
    >>> bowl = lambda: w[0] ** 2 + 5 * w[1] ** 2
    >>> paths = {"SGD": trajectory(bowl, SGD(w, lr=0.05), 20),
    ...          "Adam": trajectory(bowl, Adam(w, lr=0.2), 20)}
    >>> fig = loss_surface(bowl, w, paths, resolution=20)
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
    a, b = params
    start = (a.data, b.data)
    if span is not None:
        xr = (start[0] - span, start[0] + span)
        yr = (start[1] - span, start[1] + span)
    else:
        xs_all = [start[0], *(p[0] for path in trajectories.values() for p in path)]
        ys_all = [start[1], *(p[1] for path in trajectories.values() for p in path)]
        xr, yr = _bounds(xs_all, 0.25), _bounds(ys_all, 0.25)
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
    fig, ax = _figure_and_axes(ax, (6.0, 5.0))
    low, high = min(finite), max(finite)
    norm, bands = None, levels
    if low > 0 and high / low > 100:
        import matplotlib.colors as colors

        # Geometric levels on a log colour scale: valleys stay visible next to steep walls.
        norm = colors.LogNorm(vmin=low, vmax=high)
        bands = [low * (high / low) ** (i / (levels - 1)) for i in range(levels)]
    filled = ax.contourf(xs, ys, grid, levels=bands, cmap="viridis", norm=norm, alpha=0.85)
    ticks = bands[:: max(1, len(bands) // 6)] if norm is not None else None
    fig.colorbar(filled, ax=ax, label="loss", ticks=ticks, format="%.3g")
    for name, path in trajectories.items():
        px, py = [p[0] for p in path], [p[1] for p in path]
        dots = "o" if len(path) <= 60 else None  # dots show the step sizes; too many blur
        (line,) = ax.plot(px, py, marker=dots, markersize=2.5, linewidth=1.2, label=name)
        ax.plot(px[-1], py[-1], marker="*", markersize=10, color=line.get_color())
    ax.plot(*start, marker="x", color="white", markersize=8)
    ax.set_xlabel(a.label or "w1")
    ax.set_ylabel(b.label or "w2")
    ax.set_title("loss surface")
    if trajectories:
        ax.legend(loc="upper right")
    fig.tight_layout()
    return fig
