"""Pictures of images: a grid of samples, a confusion matrix, and a layer's weights as images.

For data whose samples are images (``nn.datasets.digits``: 64 pixels, 8×8, row by
row). matplotlib is imported only when a function draws; each returns the
``Figure``. All three are also ``nn.plot.images``, ``nn.plot.confusion_matrix`` and
``nn.plot.weight_images``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

from engine import Value
from engine.utils.arguments import finite_float, sequence, whole_number

from .canvas import figure_and_axes, pyplot

__all__ = ["images", "confusion_matrix", "weight_images"]

#: The most images one figure draws: a grid of thousands would take minutes and show nothing.
MAX_IMAGES = 400


def images(
    X: Sequence[Sequence[float]],
    labels: Sequence | None = None,
    shape: tuple[int, int] = (8, 8),
    *,
    columns: int = 10,
):
    """Each sample of ``X`` drawn as a ``shape`` (rows, columns) image, in a grid; labels above.

    A sample is the image's pixels row by row (``rows · columns`` numbers). Every image
    shares one grey scale, from the smallest value shown (white, paper) to the largest
    (black, ink). ``labels`` (one per sample: a class, or any text such as
    ``"9 → 5"``) are written above the images; ``columns`` images go in a row.

    >>> from nn import datasets
    >>> X, y = datasets.digits()
    >>> fig = images(X[:20], y[:20])
    >>> len(fig.axes), fig.axes[0].get_title(), fig.axes[0].images[0].get_array().shape
    (20, '0', (8, 8))
    """
    rows, cols = _shape(shape)
    samples = _images(X, rows, cols, "X")
    if labels is not None:
        labels = list(labels) if isinstance(labels, Iterable) else None
        if labels is None or len(labels) != len(samples):
            raise ValueError(
                f"labels must give one label per image: {len(samples)} images, "
                f"got {'no list' if labels is None else len(labels)}"
            )
    columns = min(whole_number("columns", columns, 1), len(samples))
    grid_rows = math.ceil(len(samples) / columns)
    values = [v for image in samples for row in image for v in row]
    low, high = min(values), max(values)
    if low == high:  # a blank set of images: any scale shows them alike
        low, high = low - 1.0, high + 1.0
    width = 0.85 * columns * max(cols / rows, 0.5)
    fig, axes = pyplot().subplots(
        grid_rows, columns, figsize=(width, 0.95 * grid_rows * max(rows / cols, 0.5) + 0.1),
        squeeze=False,
    )  # fmt: skip
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= len(samples):  # the last row's spare places stay empty
            continue
        ax.imshow(samples[i], cmap="gray_r", vmin=low, vmax=high, interpolation="nearest")
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=9, pad=2)
    for ax in axes.flat[len(samples) :]:
        fig.delaxes(ax)
    fig.tight_layout(pad=0.3, h_pad=0.2, w_pad=0.2)
    return fig


def confusion_matrix(
    y_true: Sequence[Hashable],
    y_pred: Sequence[Hashable],
    *,
    classes: Sequence[Hashable] | None = None,
    ax=None,
):
    """How often each true class (row) was predicted as each class (column), drawn as a table.

    The diagonal counts the right answers, every other cell a kind of mistake: row 9,
    column 5 is how many 9s the model called a 5. Each cell shows its count and is
    shaded by it; mistakes (off the diagonal, above zero) are outlined in red so that
    the few stand out beside the many right ones. ``classes`` fixes which classes are
    shown and their order (default: every label in either list, sorted). The title says
    how many were right. The counts are the image's data (``ax.images[0].get_array()``).

    >>> fig = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0])
    >>> fig.axes[0].images[0].get_array().tolist()
    [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    >>> fig.axes[0].get_title()
    'confusion matrix: 3 of 5 right (60.0%)'
    """
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}: one prediction "
            f"per true label"
        )
    if not y_true:
        raise ValueError("y_true is empty: there is nothing to count")
    shown = _classes(classes, y_true, y_pred)
    where = {c: k for k, c in enumerate(shown)}
    counts = [[0] * len(shown) for _ in shown]
    for t, p in zip(y_true, y_pred):
        counts[where[t]][where[p]] += 1
    # room for the title and the axis labels even when there are only two classes
    n = len(shown)
    fig, ax = figure_and_axes(ax, (max(4.5, 1.3 + 0.48 * n), max(3.4, 0.9 + 0.45 * n)))
    ax.imshow(counts, cmap="Blues", vmin=0, interpolation="nearest")
    _write_counts(ax, counts)
    ticks = range(len(shown))
    ax.set_xticks(ticks, [str(c) for c in shown])
    ax.set_yticks(ticks, [str(c) for c in shown])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    right = sum(counts[k][k] for k in ticks)
    ax.set_title(f"confusion matrix: {right} of {len(y_true)} right ({right / len(y_true):.1%})")
    fig.tight_layout()
    return fig


def _write_counts(ax, counts: list[list[int]]) -> None:
    """Each cell's count, legible on its shade; a red outline round every mistake."""
    from matplotlib.patches import Rectangle

    top = max(max(row) for row in counts)
    small = len(counts) > 12  # a big table: smaller numbers
    for r, row in enumerate(counts):
        for c, count in enumerate(row):
            dark = count > 0.6 * top
            colour = "white" if dark else ("0.75" if count == 0 else "black")
            ax.text(c, r, str(count), ha="center", va="center", color=colour,
                    fontsize=7 if small else 9)  # fmt: skip
            if r != c and count:
                ax.add_patch(Rectangle((c - 0.45, r - 0.45), 0.9, 0.9, fill=False,
                                       edgecolor="tab:red", linewidth=1.5))  # fmt: skip


def weight_images(layer, shape: tuple[int, int] = (8, 8), *, columns: int = 8):
    """Each neuron's input weights drawn as an image: what that neuron looks for.

    A first-layer neuron of an image model has one weight per pixel; laid out as the
    image (``shape``: rows, columns), they show which ink raises the neuron's sum (red,
    positive weights) and which lowers it (blue, negative). Colours diverge from white
    at 0 and share one scale, ±the largest weight of the layer, so neurons compare
    fairly; a colour bar gives the scale. Each image is titled with its neuron's name
    (``L0.N3``). ``layer`` is a ``Layer`` (``model.layers[0]``) or an ``MLP``, whose
    first layer is drawn.

    >>> from nn import MLP
    >>> model = MLP(64, [12, 10], seed=0)
    >>> fig = weight_images(model.layers[0])
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['L0.N0', 'L0.N1', 'L0.N2']
    """
    rows, cols = _shape(shape)
    neurons = _neurons(layer)
    pictures = []
    for j, neuron in enumerate(neurons):
        name = neuron.named_parameters()[-1][0].rpartition(".")[0] or f"N{j}"  # L0.N3.b: L0.N3
        weights = [w.data for w in neuron.w]
        if len(weights) != rows * cols:
            raise ValueError(
                f"{name} has {len(weights)} input weights, but shape {(rows, cols)} needs "
                f"{rows * cols}: weight_images draws the first layer of an image model"
            )
        if any(finite_float(w) is None for w in weights):
            raise ValueError(f"{name} has a weight that is nan or inf: the training diverged")
        pictures.append((name, [weights[r * cols : (r + 1) * cols] for r in range(rows)]))
    limit = max(abs(w) for _, image in pictures for row in image for w in row) or 1.0
    columns = min(whole_number("columns", columns, 1), len(pictures))
    grid_rows = math.ceil(len(pictures) / columns)
    fig, axes = pyplot().subplots(
        grid_rows, columns, figsize=(1.0 * columns + 0.9, 1.1 * grid_rows + 0.2), squeeze=False
    )
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (name, image) in zip(axes.flat, pictures):
        drawn = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(name, fontsize=9, pad=2)
    for ax in axes.flat[len(pictures) :]:
        fig.delaxes(ax)
    fig.tight_layout(pad=0.3, h_pad=0.3, w_pad=0.2, rect=(0, 0, 1 - 0.8 / fig.get_figwidth(), 1))
    bar = fig.colorbar(drawn, ax=list(axes.flat[: len(pictures)]), shrink=0.8, pad=0.02)
    bar.set_label("weight")
    return fig


# -- checks ---------------------------------------------------------------------------------


def _shape(shape) -> tuple[int, int]:
    if not isinstance(shape, Sequence) or len(shape) != 2:
        raise ValueError(f"shape must be (rows, columns), got {shape!r}")
    return whole_number("shape's rows", shape[0], 1), whole_number("shape's columns", shape[1], 1)


def _images(X, rows: int, cols: int, name: str) -> list[list[list[float]]]:
    """Every sample of X as a rows × cols grid of finite floats, or a clear error."""
    samples = sequence(name, X, of="images")
    if not samples:
        raise ValueError(f"{name} is empty: there is no image to draw")
    if len(samples) > MAX_IMAGES:
        raise ValueError(
            f"{name} has {len(samples)} images; one figure draws at most {MAX_IMAGES}: "
            f"pass a slice, such as {name}[:100]"
        )
    grids = []
    for i, sample in enumerate(samples):
        if isinstance(sample, (str, bytes)) or not isinstance(sample, Iterable):
            raise ValueError(f"{name}[{i}] is {sample!r}, not an image (a list of pixels)")
        pixels = [v.data if isinstance(v, Value) else finite_float(v) for v in sample]
        if len(pixels) != rows * cols:
            raise ValueError(
                f"{name}[{i}] has {len(pixels)} values, but shape {(rows, cols)} needs "
                f"{rows * cols}: give shape=(rows, columns) of the images"
            )
        if any(p is None or not math.isfinite(p) for p in pixels):
            raise ValueError(f"{name}[{i}] holds a value that is not a finite number")
        grids.append([pixels[r * cols : (r + 1) * cols] for r in range(rows)])
    return grids


def _labels(values, name: str) -> list:
    labels = sequence(name, values, of="class labels")
    for i, label in enumerate(labels):
        if not isinstance(label, Hashable):
            raise TypeError(f"{name}[{i}] is {label!r}, not a class label (an int or a string)")
    return labels


def _classes(classes, y_true: list, y_pred: list) -> list:
    """The classes to show: the given ones (each label must be among them), or all, sorted."""
    found = set(y_true) | set(y_pred)
    if classes is None:
        try:
            return sorted(found)
        except TypeError:  # labels of mixed kinds: in order of first appearance
            return list(dict.fromkeys([*y_true, *y_pred]))
    shown = list(classes)
    if len(set(shown)) != len(shown):
        raise ValueError(f"classes lists a class twice: {shown!r}")
    missing = [c for c in dict.fromkeys([*y_true, *y_pred]) if c not in set(shown)]
    if missing:
        raise ValueError(f"classes leaves out {missing[0]!r}, which the labels use")
    return shown


def _neurons(layer) -> list:
    if hasattr(layer, "layers"):  # an MLP: its first layer, the one that reads the image
        layer = layer.layers[0]
    neurons = getattr(layer, "neurons", None)
    if not neurons or not all(hasattr(n, "w") for n in neurons):
        raise TypeError(
            f"weight_images draws a Layer (such as model.layers[0]) or an MLP, got "
            f"{type(layer).__name__}"
        )
    return neurons
