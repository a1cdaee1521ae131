"""Draw a computation graph: every Value with its data and gradient, every op, every edge.

``draw_graph(root)`` returns a ``graphviz.Digraph`` and writes nothing: in
Jupyter it shows inline; ``.render()`` or ``.pipe(format="png")`` make files.

How to read a drawing:

- a box per Value: its name, ``data`` and ``grad`` (d root / d node); the
  grad cell is shaded by the gradient's size (darker = larger) and tinted by
  its sign (blue positive, red negative), and the number keeps its sign, so
  the picture reads the same in grayscale print;
- a small oval per operation (``×``, ``+``, ``tanh``, ``**2``...), between
  its inputs and its result;
- on each input edge, the local derivative ∂out/∂in recorded in the forward
  pass: backward multiplies gradients by exactly these numbers;
- highlighted nodes and edges (a chain-rule path, a backward step) are drawn
  thick and orange.

Models stay legible: parameters labelled like ``L0.N3.w1`` and ``L0.N3.b``
are boxed together as ``L0.N3`` (see ``_clusters`` for which computed nodes
join them), and ``max_nodes`` draws only the nodes nearest the root.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .autograd import BackwardStep, topological_order
from .naming import display_names, format_number
from .value import Value

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_graph"]

RANKDIRS = ("LR", "TB", "RL", "BT")
DEFAULT_MAX_NODES = 250

FONT = "Helvetica,Arial,sans-serif"
POSITIVE = (0x21, 0x66, 0xAC)  # ColorBrewer RdBu blue: safe for the common colour blindnesses
NEGATIVE = (0xB2, 0x18, 0x2B)  # ColorBrewer RdBu red
HIGHLIGHT = "#E66100"  # orange, distinct from both; highlights are also drawn thick
NAME_FILL = "#EEEEEE"
OP_FILL = "#F7F7F7"
INK = "#222222"
MUTED = "#555555"

# How each op is shown in its oval: the symbols of school maths where they differ.
OP_GLYPHS = {"*": "×", "-": "−", "/": "÷", "neg": "−x"}

# A parameter label such as "L0.N3.w1": a dotted name whose prefix ("L0.N3") names its module.
_GROUPED_LABEL = re.compile(r"[A-Za-z_]\w*(\.\w+)+")


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local_grads: bool = True,
    highlight: Any = (),
    format: str = "svg",
    grads: Mapping[Value, float] | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    cluster: bool = True,
    legend: bool = True,
    title: str | None = None,
) -> graphviz.Digraph:
    """The computation graph behind ``root`` as a ``graphviz.Digraph`` (nothing is written).

    - ``rankdir``: "LR" (inputs on the left), "TB", "RL" or "BT".
    - ``show_grad`` / ``show_local_grads``: show each node's gradient / each
      edge's local derivative ∂out/∂in.
    - ``highlight``: Values, a ``ChainRule`` or one of its paths, a
      ``BackwardStep``, or a list of these: drawn thick and orange.
    - ``format``: what ``.render()``/``.pipe()`` produce ("svg", "png", "pdf").
    - ``grads``: show these gradients instead of ``.grad``; a node missing
      from the mapping shows "grad ?" (not computed yet). The step-through uses it.
    - ``max_nodes``: draw only this many Values, the nearest to ``root``, and
      one "… N more nodes" box for the rest (None draws everything).
    - ``cluster``: box the nodes of each module together (``L0.N3.w1`` -> ``L0.N3``).
    - ``legend``: a line saying how to read the drawing; ``title``: a heading above it.

    >>> from engine import Value
    >>> w = Value(-1.0, label="w"); x = Value(0.5, label="x")
    >>> y = (w * x).tanh(); y.label = "y"
    >>> y.backward()
    >>> dot = draw_graph(y)
    >>> "v0 -> op2 [label=0.5000]" in dot.source   # w -> ×, labelled ∂(w·x)/∂w = x
    True
    >>> print(dot.source.splitlines()[5][:60])     # the first Value: name, data, grad
        v0 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0"
    """
    try:
        import graphviz
    except ImportError:  # pragma: no cover - graphviz is a dependency of scalarflow
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install graphviz "
            "(and the Graphviz 'dot' program to render images)"
        ) from None
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph needs a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive whole number or None, got {max_nodes!r}")

    order = topological_order(root)
    names = display_names(order)
    index = {node: i for i, node in enumerate(order)}
    shown = _nearest(root, max_nodes) if max_nodes and len(order) > max_nodes else set(order)
    nodes = [node for node in order if node in shown]
    hl_nodes, hl_edges = _highlights(highlight)

    def gradient(node: Value) -> float | None:
        if grads is None:
            return node.grad
        return grads.get(node)

    scale = max(
        (abs(g) for g in map(gradient, nodes) if g is not None and abs(g) != float("inf")),
        default=0.0,
    )

    dot = graphviz.Digraph(format=format)
    dot.attr(rankdir=rankdir, fontname=FONT, nodesep="0.25", ranksep="0.35", bgcolor="white")
    dot.attr("node", fontname=FONT, fontsize="12", color=INK, fontcolor=INK)
    dot.attr("edge", fontname=FONT, fontsize="10", color=MUTED, fontcolor=MUTED, arrowsize="0.7")
    label = _caption(title, legend, show_grad, show_local_grads, names[root])
    if label:
        dot.attr(label=label, labelloc="t" if title else "b")

    groups = _clusters(nodes) if cluster else {}
    subgraphs: dict[str, graphviz.Digraph] = {}

    def home(node: Value) -> graphviz.Digraph:
        prefix = groups.get(node)
        if prefix is None:
            return dot
        if prefix not in subgraphs:
            sub = graphviz.Digraph(name=f"cluster_{prefix}")
            sub.attr(
                label=prefix,
                labelloc="t",
                style="rounded,dashed",
                color="#999999",
                fontcolor=MUTED,
                fontsize="11",
                labeljust="l",
            )
            subgraphs[prefix] = sub
        return subgraphs[prefix]

    edges: list[tuple[str, str, dict[str, str]]] = []
    truncated = False
    for node in nodes:
        i = index[node]
        home(node).node(
            f"v{i}",
            _value_label(
                names[node],
                node.data,
                gradient(node),
                show_grad,
                scale,
                node in hl_nodes,
                stacked=rankdir in ("LR", "RL"),
            ),
            shape="plain",
        )
        if node.is_leaf:
            continue
        bold = any((node, k) in hl_edges for k in range(len(node.parents)))
        home(node).node(
            f"op{i}",
            _op_text(node),
            shape="ellipse",
            style="filled",
            fillcolor=OP_FILL,
            fontsize="11",
            height="0.3",
            margin="0.04,0.02",
            **({"color": HIGHLIGHT, "penwidth": "2.5"} if bold else {}),
        )
        edges.append((f"op{i}", f"v{i}", _edge_style(bold)))
        for k, (parent, local) in enumerate(zip(node.parents, node.local_grads, strict=True)):
            if parent not in shown:
                truncated = True
                continue
            attrs = _edge_style((node, k) in hl_edges)
            if show_local_grads:
                attrs["label"] = format_number(local)
            edges.append((f"v{index[parent]}", f"op{i}", attrs))

    for prefix in sorted(subgraphs, key=_natural):
        dot.subgraph(subgraphs[prefix])
    if truncated:
        hidden = len(order) - len(nodes)
        dot.node(
            "more",
            f"… {hidden:,} more nodes\n(not drawn: max_nodes={max_nodes:,})",
            shape="box",
            style="dashed,rounded",
            color=MUTED,
            fontcolor=MUTED,
            fontsize="11",
        )
        for node in nodes:
            if not node.is_leaf and any(p not in shown for p in node.parents):
                dot.edge("more", f"op{index[node]}", style="dashed", color="#999999")
    for tail, head, attrs in edges:
        dot.edge(tail, head, **attrs)
    return dot


# ---------------------------------------------------------------------------
# Pieces of the drawing


def _value_label(
    name: str,
    data: float,
    grad: float | None,
    show_grad: bool,
    scale: float,
    bold: bool,
    stacked: bool,
) -> str:
    """An HTML-like table: name | data | grad, the grad cell shaded by size and sign."""
    cells = [
        f'<TD BGCOLOR="{NAME_FILL}"><B>{html.escape(name)}</B></TD>',
        f"<TD>data {format_number(data)}</TD>",
    ]
    if show_grad:
        if grad is None:
            cells.append(f'<TD><FONT COLOR="{MUTED}">grad ?</FONT></TD>')
        else:
            fill, ink = _shade(grad, scale)
            cells.append(
                f'<TD BGCOLOR="{fill}"><FONT COLOR="{ink}">grad {format_number(grad)}</FONT></TD>'
            )
    border = f' BORDER="3" COLOR="{HIGHLIGHT}"' if bold else ' BORDER="0"'
    # Stacked across the flow (name over data over grad) keeps the drawing compact.
    rows = (
        "".join(f"<TR>{cell}</TR>" for cell in cells) if stacked else f"<TR>{''.join(cells)}</TR>"
    )
    return f'<<TABLE{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">{rows}</TABLE>>'


def _shade(grad: float, scale: float) -> tuple[str, str]:
    """Fill and text colour for a gradient: darker for larger |grad|, blue +, red −."""
    if grad != grad:  # NaN: no size, no sign
        return "#BBBBBB", INK
    if grad == 0 or scale == 0:
        return "#FFFFFF", INK
    # sqrt spreads the small gradients out so that they are not all white.
    t = min(1.0, (abs(grad) / scale) ** 0.5) if abs(grad) != float("inf") else 1.0
    strength = 0.12 + 0.78 * t
    base = POSITIVE if grad > 0 else NEGATIVE
    rgb = [round(255 + (c - 255) * strength) for c in base]
    luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255
    ink = "#FFFFFF" if luminance < 0.5 else INK
    return "#{:02X}{:02X}{:02X}".format(*rgb), ink


def _op_text(node: Value) -> str:
    """The op's symbol, with its plain-number argument: ``**2``, ``leaky_relu(0.01)``."""
    symbol = OP_GLYPHS.get(node.op, node.op)
    c = node.constant
    if c is None:
        return symbol
    number = f"{c:g}"
    return f"**{number}" if node.op == "**" else f"{symbol}({number})"


def _edge_style(bold: bool) -> dict[str, str]:
    if not bold:
        return {}
    return {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "3", "fontsize": "11"}


def _caption(
    title: str | None, legend: bool, show_grad: bool, show_local_grads: bool, root: str
) -> str:
    """The graph's label: the title (large) over the how-to-read line (small); '' if neither."""
    parts = []
    if legend:
        if show_grad:
            parts.append(f"grad = d{root}/d(node): blue +, red −, darker = larger")
        if show_local_grads:
            parts.append("edge numbers: local derivative ∂out/∂in")
    lines = []
    if title:
        lines.append(f'<FONT POINT-SIZE="14">{html.escape(title)}</FONT>')
    if parts:
        lines.append(
            f'<FONT POINT-SIZE="10" COLOR="{MUTED}">{html.escape("   ·   ".join(parts))}</FONT>'
        )
    return f"<{'<BR/>'.join(lines)}>" if lines else ""


# ---------------------------------------------------------------------------
# Which nodes, grouped how, highlighted how


def _nearest(root: Value, limit: int) -> set[Value]:
    """The ``limit`` nodes nearest ``root`` (breadth first through parents, in order)."""
    seen = {root}
    queue = [root]
    for node in queue:  # the list grows as we go: a queue without pops
        for parent in node.parents:
            if parent not in seen:
                if len(seen) == limit:
                    return seen
                seen.add(parent)
                queue.append(parent)
    return seen


def _natural(text: str) -> list:
    """A sort key that puts L2 before L10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _clusters(nodes: list[Value]) -> dict[Value, str]:
    """The module each node belongs to, for boxing nodes together; nodes in none are absent.

    A leaf labelled like ``L0.N3.w1`` belongs to ``L0.N3`` (its label up to the
    last dot). A computed node joins the module of the first such labelled
    leaf it uses directly (``w1 * x1``, ``act + b``); failing that, it joins
    a module only when every one of its inputs belongs to it (the sum of a
    neuron's terms, its activation). So the inputs and the loss, which mix a
    module's output with unlabelled data, stay outside every box. ``nodes``
    must be in topological order.
    """
    group: dict[Value, str] = {}
    for node in nodes:
        if node.is_leaf:
            if _GROUPED_LABEL.fullmatch(node.label):
                group[node] = node.label.rsplit(".", 1)[0]
            continue
        direct = [group[p] for p in node.parents if p.is_leaf and p in group]
        if direct:
            group[node] = direct[0]
            continue
        shared = {group.get(p) for p in node.parents}
        if len(shared) == 1 and None not in shared:
            group[node] = shared.pop()
    return group


def _highlights(items: Any) -> tuple[set[Value], set[tuple[Value, int]]]:
    """Nodes and edges ``(child, index)`` to draw thick, from whatever ``highlight`` holds."""
    from .chain import ChainPath, ChainRule

    nodes: set[Value] = set()
    edges: set[tuple[Value, int]] = set()
    stack = [items]
    while stack:
        item = stack.pop()
        if isinstance(item, Value):
            nodes.add(item)
        elif isinstance(item, BackwardStep):
            nodes.update((item.node, item.parent))
            edges.add((item.node, item.index))
        elif isinstance(item, ChainPath):
            nodes.update(item.nodes)
            edges.update(item.edges)
        elif isinstance(item, ChainRule):
            stack.extend(item.paths)
        elif isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            stack.extend(item)
        else:
            raise TypeError(
                "highlight takes Values, a ChainRule or ChainPath, a BackwardStep, "
                f"or a list of these; got {type(item).__name__}: {item!r}"
            )
    return nodes, edges
