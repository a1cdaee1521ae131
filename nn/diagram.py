"""A network drawn at neuron granularity, in layers: inputs on the left, one column per layer.

``draw_graph`` shows every multiplication and addition, which is the point in
lesson 1 and too much for a whole network: ``MLP(2, [16, 16, 1])`` is a
thousand Values. ``draw_network`` draws what a textbook draws instead:

- one box per input and per neuron: its name (``L1.N0``), its activation and
  bias; given an input, its output for it; given also a loss, the gradient of
  the loss with respect to that output (shaded like ``draw_graph``'s: blue +,
  red −, darker = larger);
- one line per weight, from the input or neuron it reads to the neuron it
  feeds, coloured by the weight's gradient and as thick as the weight is large;
  the weight and its gradient are in the line's tooltip and, on a small
  network, listed in the box of the neuron it feeds.

Positions are fixed by the layers (Graphviz only draws), so a network of any
size lays out at once and every neuron stays in order down its column.

A wide network stays readable and small: a column of more than ``MAX_COLUMN``
neurons (or inputs) shows its first ``SHOWN`` and a box saying how many more
there are, and a layer of more than ``MAX_LINES`` weights draws, into each
neuron, only its ``STRONGEST`` strongest weights (largest ``|w|``) from the
boxes drawn. A note under the picture says what was left out.
``MLP(2, [256, 256, 1])`` is then 35 boxes and 83 lines, not 66,000 lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine import Value, grad
from engine.naming import format_number, printable
from engine.views.graph import MAX_TITLE
from engine.views.render import new_drawing
from engine.views.style import FAINT, FONT, INK, MUTED, NAME_FILL, label_html, plain_label, shade

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_network"]

COLUMN = 2.6  # inches between layers
WIDE_COLUMN = 3.6  # ... when boxes hold their numbers side by side
LINE = 0.27  # inches a row of a box takes (11-point text and padding)
GAP = 0.3  # inches between two boxes of a column
MAX_LABELLED = 12  # more weights than this: their numbers go in the tooltips only
COMPACT = 8  # a column of more neurons than this gets boxes of one row
MAX_COLUMN = 32  # a column of more neurons or inputs than this shows only ...
SHOWN = 16  # ... its first this many, and a box with the number of the others
MAX_LINES = 256  # a layer of more weights than this draws, into each neuron, only ...
STRONGEST = 3  # ... this many of its weights: the largest |w| from the boxes drawn


def draw_network(
    model: Any,
    x: Sequence[float] | None = None,
    loss: Callable[[Any], Value] | None = None,
    *,
    format: str = "svg",
    title: str | None = None,
) -> graphviz.Digraph:
    """``model`` (an MLP, a Layer or a Neuron) drawn neuron by neuron, layer by layer.

    - ``x``: one input; each neuron then shows its output for it.
    - ``loss``: a function of the model's output giving the loss, e.g.
      ``lambda out: (out - 1.0) ** 2``; each neuron and input then shows
      dL/d(its output) and each weight dL/dw. Without it, weights show their
      ``.grad`` (what the last ``backward()`` left).

    Nothing in the model changes (the gradients come from ``engine.grad``).
    A column of more than 32 neurons shows its first 16, and a layer of more
    than 256 weights only the 3 strongest into each neuron; the picture's
    note says what was left out (see the module's docstring).

    >>> from nn import MLP
    >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
    >>> dot = draw_network(model, [0.5, -1.0], loss=lambda out: (out - 1.0) ** 2)
    >>> dot.source.count("->")          # one line per weight: 2·3 + 3·1
    9
    >>> "L0.N2" in dot.source and "dL/dout" in dot.source
    True
    """
    layers = _layers(model)
    numbers = _Numbers.of(layers, x, loss)
    layout = _Layout.of(layers, numbers)
    lines = _lines(layers, layout)
    dot = _canvas(format, title, _left_out(layers, layout, lines))
    _draw_inputs(dot, numbers, layout)
    _draw_neurons(dot, layers, numbers, layout)
    _draw_more(dot, layout)
    _draw_weights(dot, layers, numbers, layout, lines)
    return dot


@dataclass
class _Numbers:
    """What the boxes and lines show: the input, each neuron's output, the gradients."""

    inputs: list[Value]  # one Value per input (none without x)
    outputs: list[list[Value]]  # each neuron's output, layer by layer (none without x)
    gradients: dict[Value, float] | None  # dL/d(each Value) with a loss; None: read .grad
    node_scale: float  # the largest |dL/d(output)|: the darkest shade

    @classmethod
    def of(cls, layers: list[list[Any]], x, loss) -> _Numbers:
        """The model run on ``x`` and, given a loss, differentiated; the arguments checked."""
        if loss is not None and x is None:
            raise ValueError("draw_network: a loss needs an input x to compute it from")
        width = len(layers[0][0].w)
        inputs = [Value(float(v), label=f"x{i}") for i, v in enumerate(x)] if x is not None else []
        if x is not None and len(inputs) != width:
            raise ValueError(f"draw_network: the model takes {width} inputs, x has {len(inputs)}")
        outputs: list[list[Value]] = []
        if x is not None:
            h: list = inputs
            for neurons in layers:
                h = [neuron(h) for neuron in neurons]
                outputs.append(h)
        if loss is None:
            return cls(inputs, outputs, None, 0.0)
        gradients = _gradients(layers, inputs, outputs, loss)
        return cls(inputs, outputs, gradients, max(map(abs, gradients.values()), default=0.0))

    def gradient(self, v: Value) -> float | None:
        """dL/dv with a loss (0 where the loss does not reach v), else ``v.grad``."""
        if self.gradients is not None:
            return self.gradients.get(v, 0.0)
        return v.grad


def _gradients(layers, inputs: list[Value], outputs: list[list[Value]], loss) -> dict:
    """dL/dv for every input, neuron output and parameter, by ``engine.grad`` (no ``.grad``)."""
    result = loss(outputs[-1][0] if len(outputs[-1]) == 1 else outputs[-1])
    if not isinstance(result, Value):
        raise TypeError(f"draw_network: loss must return a Value, got {type(result).__name__}")
    wanted = [*inputs, *(v for layer in outputs for v in layer)]
    wanted += [p for neurons in layers for n in neurons for p in (*n.w, n.b)]
    return dict(zip(wanted, grad(result, wanted)))


@dataclass
class _Layout:
    """Where every box goes: inputs in column 0, layer k in column k + 1, top to bottom."""

    columns: list[list[int]]  # the inputs, then each layer's neurons, drawn: their indices
    sizes: list[int]  # how many inputs, then neurons per layer, there are
    labelled: bool  # a small network: each weight listed in the box it feeds
    compact: bool  # tall columns: boxes of one row
    position: dict[str, tuple[float, float]]  # box id -> (x, y) in inches

    @classmethod
    def of(cls, layers: list[list[Any]], numbers: _Numbers) -> _Layout:
        """Columns spaced by the tallest box, boxes in a column centred on y = 0."""
        sizes = [len(layers[0][0].w), *map(len, layers)]
        columns = [list(range(n if n <= MAX_COLUMN else SHOWN)) for n in sizes]
        labelled = sum(len(n.w) for neurons in layers for n in neurons) <= MAX_LABELLED
        # A neuron's box has 2-4 rows (name, bias, output, gradient): the tallest sets the spacing.
        fan_in = max(len(neurons[0].w) for neurons in layers) if labelled else 0
        # Columns of more than COMPACT neurons get one-row boxes, so a column fits a screen.
        compact = max(map(len, layers)) > COMPACT
        with_loss = numbers.gradients is not None
        lines = 2 if compact else 2 + fan_in + bool(numbers.outputs) + with_loss
        step = lines * LINE + (GAP / 2 if compact else GAP)
        across = WIDE_COLUMN if compact else COLUMN
        position = {}
        for c, shown in enumerate(columns):
            boxes = [_box(c, i) for i in shown] + ([f"more{c}"] if len(shown) < sizes[c] else [])
            for r, box in enumerate(boxes):
                position[box] = (c * across, ((len(boxes) - 1) / 2 - r) * step)
        return cls(columns, sizes, labelled, compact, position)

    def place(self, box: str) -> str:
        """The box's fixed position, as Graphviz's ``pos``."""
        px, py = self.position[box]
        return f"{px:.3f},{py:.3f}!"


def _box(column: int, index: int) -> str:
    """The id of a box: ``x3`` for input 3, ``L1.N0`` for neuron 0 of layer 1 (column 2).

    Ids follow the positions, not the labels: a label can be anything (two
    neurons may share one), and it is only shown.
    """
    return f"x{index}" if column == 0 else f"L{column - 1}.N{index}"


def _lines(layers: list[list[Any]], layout: _Layout) -> list[dict[int, list[int]]]:
    """Layer by layer, for each neuron drawn: the inputs whose weights are drawn as lines.

    Every weight between boxes drawn; in a layer of more than ``MAX_LINES``
    weights, only the ``STRONGEST`` with the largest ``|w|``.
    """
    lines = []
    for depth, neurons in enumerate(layers):
        sources = layout.columns[depth]
        wide = len(neurons) * layout.sizes[depth] > MAX_LINES
        chosen = {}
        for j in layout.columns[depth + 1]:
            w = neurons[j].w
            strongest = sorted(sources, key=lambda i: -abs(w[i].data))[:STRONGEST]
            chosen[j] = sorted(strongest) if wide else list(sources)
        lines.append(chosen)
    return lines


def _left_out(layers: list[list[Any]], layout: _Layout, lines: list[dict]) -> list[str]:
    """What a wide network's picture leaves out, in words (nothing for a small one)."""
    cut: dict[str, list[str]] = {}  # "the first 16 of 256 neurons" -> the columns it is true of
    for c, shown in enumerate(layout.columns):
        if len(shown) < layout.sizes[c]:
            what = "inputs" if c == 0 else "neurons"
            phrase = f"the first {len(shown)} of {layout.sizes[c]:,} {what} drawn"
            cut.setdefault(phrase, []).append("inputs" if c == 0 else f"L{c - 1}")
    thinned = [
        f"L{depth}"
        for depth, neurons in enumerate(layers)
        if len(neurons) * layout.sizes[depth] > MAX_LINES
        and len(layout.columns[depth]) > STRONGEST  # else every weight drawn is drawn
    ]
    if not cut and not thinned:
        return []
    drawn = sum(len(sources) for layer in lines for sources in layer.values())
    weights = sum(len(n.w) for neurons in layers for n in neurons)
    notes = [f"left out to stay readable ({drawn:,} of {weights:,} weights drawn):"]
    notes += [f"{', '.join(columns)}: {phrase}" for phrase, columns in cut.items()]
    if thinned:
        notes.append(
            f"into each neuron of {', '.join(thinned)}: its {STRONGEST} strongest weights "
            "(largest |w|) from the boxes drawn"
        )
    return notes


def _canvas(format: str, title: str | None, notes: list[str]) -> graphviz.Digraph:
    """An empty drawing: fixed positions, straight lines, the key (title, notes) below."""
    dot = new_drawing(format=format, engine="neato")
    dot.attr(splines="line", outputorder="edgesfirst", bgcolor="white", fontname=FONT)
    dot.attr("node", fontname=FONT, fontsize="11", color=INK, fontcolor=INK, shape="plain")
    dot.attr("edge", fontname=FONT, fontsize="9", fontcolor=MUTED, arrowsize="0.5")
    caption = label_html(
        "lines: weights, coloured by dL/dw (blue +, red −, darker = larger), thicker = larger |w|"
    )
    for note in notes:
        caption += f"<BR/>{label_html(note)}"
    if title:
        heading = label_html(printable(title, MAX_TITLE))
        caption = f'<FONT POINT-SIZE="14">{heading}</FONT><BR/>{caption}'
    dot.attr(label=f'<<FONT POINT-SIZE="10" COLOR="{MUTED}">{caption}</FONT>>', labelloc="b")
    return dot


def _draw_inputs(dot: graphviz.Digraph, numbers: _Numbers, layout: _Layout) -> None:
    """One box per input: its name; given x, its value; given a loss, dL/dx."""
    for i in layout.columns[0]:
        name = f"x{i}"
        rows = [f"<B>{name}</B>"]
        if numbers.inputs:
            rows.append(f"in {format_number(numbers.inputs[i].data)}")
            if numbers.gradients is not None:
                g = numbers.gradients[numbers.inputs[i]]
                rows.append(_grad_cell(g, numbers.node_scale, name))
        dot.node(_box(0, i), _table(rows, layout.compact), pos=layout.place(_box(0, i)))


def _draw_neurons(
    dot: graphviz.Digraph, layers: list[list[Any]], numbers: _Numbers, layout: _Layout
) -> None:
    """One box per neuron, column by column."""
    for depth, neurons in enumerate(layers):
        for j in layout.columns[depth + 1]:
            out = numbers.outputs[depth][j] if numbers.outputs else None
            rows = _neuron_rows(neurons[j], out, numbers, layout)
            box = _box(depth + 1, j)
            dot.node(box, _table(rows, layout.compact), pos=layout.place(box))


def _draw_more(dot: graphviz.Digraph, layout: _Layout) -> None:
    """Under a column drawn in part, a box with how many inputs or neurons are left out."""
    for c, shown in enumerate(layout.columns):
        hidden = layout.sizes[c] - len(shown)
        if hidden:
            what = "inputs" if c == 0 else "neurons"
            dot.node(
                f"more{c}",
                f"… {hidden:,} more {what}\n(not drawn)",
                shape="box",
                style="dashed,rounded",
                color=FAINT,
                fontcolor=MUTED,
                pos=layout.place(f"more{c}"),
            )


def _neuron_rows(neuron: Any, out: Value | None, numbers: _Numbers, layout: _Layout) -> list:
    """A neuron's box: name and activation; on a small network its weights; its bias
    (unless compact); given x, its output; given a loss, dL/dout."""
    # A no-break space too: browsers draw the bold name wider than Graphviz measured it.
    name = label_html(printable(_name(neuron)))
    activation = label_html(printable(_activation(neuron)))
    rows = [f"<B>{name}</B>&#160; · {activation}"]
    if layout.labelled:  # a small network: each weight and its gradient in the box it feeds
        for i, w in enumerate(neuron.w):
            g = numbers.gradient(w)
            dw = "" if g is None else f" · dL/dw {format_number(g)}"
            rows.append(f"w{i} {format_number(w.data)}{dw}")
    if not layout.compact:
        g = numbers.gradient(neuron.b)
        db = "" if g is None else f" · dL/db {format_number(g)}"
        rows.append(f"b {format_number(neuron.b.data)}{db}")
    if out is not None:
        rows.append(f"out {format_number(out.data)}")
        if numbers.gradients is not None:
            rows.append(_grad_cell(numbers.gradients[out], numbers.node_scale))
    return rows


def _draw_weights(
    dot: graphviz.Digraph,
    layers: list[list[Any]],
    numbers: _Numbers,
    layout: _Layout,
    lines: list[dict[int, list[int]]],
) -> None:
    """One line per weight drawn, from what it reads to the neuron it feeds."""
    weights = [w for neurons in layers for n in neurons for w in n.w]
    scale = max((abs(g) for w in weights if (g := numbers.gradient(w)) is not None), default=0.0)
    biggest = max((abs(w.data) for w in weights), default=0.0) or 1.0
    for depth, neurons in enumerate(layers):
        for j, sources in lines[depth].items():
            for i in sources:
                w = neurons[j].w[i]
                attrs = _weight_line(w, numbers.gradient(w), scale, biggest)
                dot.edge(_box(depth, i), _box(depth + 1, j), **attrs)


def _weight_line(w: Value, g: float | None, scale: float, biggest: float) -> dict[str, str]:
    """A weight's line: coloured by its gradient, as thick as it is large, both in the tooltip."""
    colour = shade(g, scale)[0] if g else "#BBBBBB"
    text = f"{printable(w.label or 'w')} = {format_number(w.data)}"
    if g is not None:
        text += f"\ndL/dw = {format_number(g)}"
    return {
        "color": colour if colour != "#FFFFFF" else "#BBBBBB",
        "penwidth": f"{0.6 + 2.4 * (abs(w.data) / biggest) ** 0.5:.2f}",
        "tooltip": plain_label(text.replace("\n", ", "), limit=200),
    }


def _layers(model: Any) -> list[list[Any]]:
    """The model's neurons, layer by layer: an MLP's layers, a Layer, or one Neuron."""
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]
    if hasattr(model, "w") and hasattr(model, "b"):
        return [[model]]
    raise TypeError(f"draw_network needs an MLP, a Layer or a Neuron, got {type(model).__name__}")


def _name(neuron: Any) -> str:
    """``L1.N0`` from the bias's label ``L1.N0.b``; a lone neuron is ``N``."""
    label = neuron.b.label
    return label.rsplit(".", 1)[0] if "." in label else "N"


def _activation(neuron: Any) -> str:
    act = neuron.activation
    return act if isinstance(act, str) else getattr(act, "__name__", "?")


def _grad_cell(g: float, scale: float, what: str = "out") -> str:
    fill, ink = shade(g, scale)
    return f'<TD BGCOLOR="{fill}"><FONT COLOR="{ink}">dL/d{what} {format_number(g)}</FONT></TD>'


def _table(rows: list[str], compact: bool = False) -> str:
    """A box: one row per entry, or all in one row (``compact``, for tall columns)."""
    cells = []
    for k, row in enumerate(rows):
        if row.startswith("<TD"):
            cells.append(row)
        elif k == 0:
            cells.append(f'<TD BGCOLOR="{NAME_FILL}">{row}</TD>')
        else:
            cells.append(f"<TD>{row}</TD>")
    if compact and len(cells) > 1:  # the name over one row of numbers
        first = cells[0].replace("<TD", f'<TD COLSPAN="{len(cells) - 1}"', 1)
        body = f"<TR>{first}</TR><TR>{''.join(cells[1:])}</TR>"
    else:
        body = "".join(f"<TR>{c}</TR>" for c in cells)
    return (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" BGCOLOR="white">'
        f"{body}</TABLE>>"
    )
