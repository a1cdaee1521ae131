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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from engine import Value, grad
from engine.graph import FONT, INK, MUTED, NAME_FILL, new_drawing, shade
from engine.naming import format_number

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_network"]

COLUMN = 2.6  # inches between layers
WIDE_COLUMN = 3.6  # ... when boxes hold their numbers side by side
LINE = 0.27  # inches a row of a box takes (11-point text and padding)
GAP = 0.3  # inches between two boxes of a column
MAX_LABELLED = 12  # more weights than this: their numbers go in the tooltips only
COMPACT = 8  # a column of more neurons than this gets boxes of one row


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

    >>> from nn import MLP
    >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
    >>> dot = draw_network(model, [0.5, -1.0], loss=lambda out: (out - 1.0) ** 2)
    >>> dot.source.count("->")          # one line per weight: 2·3 + 3·1
    9
    >>> "L0.N2" in dot.source and "dL/dout" in dot.source
    True
    """
    layers = _layers(model)
    if loss is not None and x is None:
        raise ValueError("draw_network: a loss needs an input x to compute it from")
    width = len(layers[0][0].w)
    inputs = [Value(float(v), label=f"x{i}") for i, v in enumerate(x)] if x is not None else []
    if x is not None and len(inputs) != width:
        raise ValueError(f"draw_network: the model takes {width} inputs, x has {len(inputs)}")

    outputs: list[list[Value]] = []  # each neuron's output Value, layer by layer
    if x is not None:
        h: list = inputs
        for neurons in layers:
            h = [neuron(h) for neuron in neurons]
            outputs.append(h)
    gradients: dict[Value, float] = {}
    if loss is not None:
        result = loss(outputs[-1][0] if len(outputs[-1]) == 1 else outputs[-1])
        if not isinstance(result, Value):
            raise TypeError(f"draw_network: loss must return a Value, got {type(result).__name__}")
        wanted = [*inputs, *(v for layer in outputs for v in layer)]
        wanted += [p for neurons in layers for n in neurons for p in (*n.w, n.b)]
        gradients = dict(zip(wanted, grad(result, wanted)))

    def gradient(v: Value) -> float | None:
        if loss is not None:
            return gradients.get(v, 0.0)
        return v.grad

    weights = [(n, i, w) for neurons in layers for n in neurons for i, w in enumerate(n.w)]
    scale = max((abs(g) for *_, w in weights if (g := gradient(w)) is not None), default=0.0)
    node_scale = max((abs(g) for g in gradients.values()), default=0.0)
    biggest = max((abs(w.data) for *_, w in weights), default=0.0) or 1.0

    dot = new_drawing(format=format, engine="neato")
    dot.attr(splines="line", outputorder="edgesfirst", bgcolor="white", fontname=FONT)
    dot.attr("node", fontname=FONT, fontsize="11", color=INK, fontcolor=INK, shape="plain")
    dot.attr("edge", fontname=FONT, fontsize="9", fontcolor=MUTED, arrowsize="0.5")
    caption = (
        "lines: weights, coloured by dL/dw (blue +, red −, darker = larger), thicker = larger |w|"
    )
    if title:
        caption = f'<FONT POINT-SIZE="14">{_escape(title)}</FONT><BR/>{_escape(caption)}'
    else:
        caption = _escape(caption)
    dot.attr(label=f'<<FONT POINT-SIZE="10" COLOR="{MUTED}">{caption}</FONT>>', labelloc="b")

    columns = [[f"x{i}" for i in range(width)]] + [
        [_name(n) for n in neurons] for neurons in layers
    ]
    # A neuron's box has 2-4 rows (name, bias, output, gradient): the tallest sets the spacing.
    labelled = len(weights) <= MAX_LABELLED
    fan_in = max(len(neurons[0].w) for neurons in layers) if labelled else 0
    # Columns of more than COMPACT neurons get one-row boxes, so a column fits a screen.
    compact = max(map(len, layers)) > COMPACT
    lines = 2 if compact else 2 + fan_in + bool(outputs) + (loss is not None)
    step = lines * LINE + (GAP / 2 if compact else GAP)
    position = {}
    for c, names in enumerate(columns):
        for r, name in enumerate(names):
            position[name] = (
                c * (WIDE_COLUMN if compact else COLUMN),
                ((len(names) - 1) / 2 - r) * step,
            )

    def place(name: str) -> str:
        px, py = position[name]
        return f"{px:.3f},{py:.3f}!"

    for i in range(width):
        rows = [f"<B>x{i}</B>"]
        if inputs:
            rows.append(f"in {format_number(inputs[i].data)}")
            if loss is not None:
                rows.append(_grad_cell(gradients[inputs[i]], node_scale, f"x{i}"))
        dot.node(f"x{i}", _table(rows, compact), pos=place(f"x{i}"))
    for depth, neurons in enumerate(layers):
        for j, neuron in enumerate(neurons):
            rows = [f"<B>{_escape(_name(neuron))}</B> · {_escape(_activation(neuron))}"]
            if labelled:  # a small network: each weight and its gradient in the box it feeds
                for i, w in enumerate(neuron.w):
                    g = gradient(w)
                    dw = "" if g is None else f" · dL/dw {format_number(g)}"
                    rows.append(f"w{i} {format_number(w.data)}{dw}")
            if not compact:
                rows.append(f"b {format_number(neuron.b.data)}")
            if outputs:
                out = outputs[depth][j]
                rows.append(f"out {format_number(out.data)}")
                if loss is not None:
                    rows.append(_grad_cell(gradients[out], node_scale))
            dot.node(_name(neuron), _table(rows, compact), pos=place(_name(neuron)))

    for depth, neurons in enumerate(layers):
        sources = columns[depth]
        for neuron in neurons:
            for i, w in enumerate(neuron.w):
                g = gradient(w)
                colour = shade(g, scale)[0] if g else "#BBBBBB"
                text = f"{w.label or 'w'} = {format_number(w.data)}"
                if g is not None:
                    text += f"\ndL/dw = {format_number(g)}"
                attrs = {
                    "color": colour if colour != "#FFFFFF" else "#BBBBBB",
                    "penwidth": f"{0.6 + 2.4 * (abs(w.data) / biggest) ** 0.5:.2f}",
                    "tooltip": text.replace("\n", ", "),
                }
                dot.edge(sources[i], _name(neuron), **attrs)
    return dot


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


def _escape(text: str) -> str:
    import html

    return html.escape(text)
