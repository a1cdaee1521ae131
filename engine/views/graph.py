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
  thick and orange;
- a small dashed box with a name is a value drawn again beside a use far from
  its own box (a weight shared by every step of an RNN), instead of an edge
  across the whole drawing.

``render(dot, "svg" | "png" | "pdf")`` (render.py) draws within a time budget, and in
a notebook a drawing scales down to the output column, and shows as a picture even
where the notebook is not trusted; the colours and fonts are style.py's.

Models stay legible: parameters labelled like ``L0.N3.w1`` and ``L0.N3.b``
are boxed together as ``L0.N3`` (see ``_clusters`` for which computed nodes
join them), and ``max_nodes`` draws only the nodes nearest the root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import ops
from ..autograd import BackwardStep, topological_order
from ..naming import display_names, format_number, printable
from ..utils import arguments
from ..value import Value
from .chain import ChainPath, ChainRule
from .render import new_drawing
from .style import (
    FAINT,
    FONT,
    HIGHLIGHT,
    INK,
    MUTED,
    NAME_FILL,
    OP_FILL,
    label_html,
    plain_label,
    shade,
)

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_graph"]

RANKDIRS = ("LR", "TB", "RL", "BT")
DEFAULT_MAX_NODES = 250
MAX_TITLE = 400  # characters of a title a drawing shows (names in it are short already)
GHOST_SPAN = 3  # a use further than this many ranks from its value's box gets a ghost box


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
    cell_width: float | None = None,
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
    - ``cell_width``: the least width, in points, of each grad cell; the
      step-through sets it so that every frame has one layout and one size.

    A value used again far from where it is drawn (a weight shared by every
    step of an RNN) gets a small dashed box with its name beside each far
    use instead of an edge across the drawing. Shown in Jupyter, the drawing
    scales to the width of the output column; ``render`` draws it to bytes
    within a time budget.

    As a bitmap (``format="png"``, ``.pipe(format="png")``, ``.render()``,
    ``render(dot, "png")``) it comes out at its ``dpi`` (96 unless set),
    scaled down as a whole if need be to at most ``MAX_SIDE`` = 4,000 pixels
    on its long side and ``MAX_PIXELS`` = 6 million in all, in about the
    time of its SVG: a 30-step RNN is a PNG of about 4,000 × 300 pixels that
    shows its shape; the SVG (or ``max_nodes``) shows its numbers.

    >>> from engine import Value
    >>> w = Value(-1.0, label="w"); x = Value(0.5, label="x")
    >>> y = (w * x).tanh(); y.label = "y"
    >>> y.backward()
    >>> dot = draw_graph(y)
    >>> "v0 -> op2 [label=0.5000]" in dot.source   # w -> ×, labelled ∂(w·x)/∂w = x
    True
    >>> print(dot.source.splitlines()[5][:44])     # the first Value: name, data, grad
        v0 [label=<<TABLE BORDER="3" COLOR="white"
    """
    _check_arguments(root, rankdir, max_nodes)
    chosen = _choose_nodes(root, max_nodes, cluster)
    style = _style(chosen, highlight, grads, rankdir, show_grad, show_local_grads, cell_width)
    ghosts = bool(chosen.ghosts)
    caption = _caption(title, legend, show_grad, show_local_grads, chosen.names[root], ghosts)
    dot = _canvas(format, rankdir, caption, on_top=bool(title))
    _emit(dot, chosen, style)
    return dot


# ---------------------------------------------------------------------------
# The steps of draw_graph: check the arguments, choose the nodes, style them, emit them


def _check_arguments(root: object, rankdir: object, max_nodes: object) -> None:
    """A clear error for a missing graphviz, a root that is no Value, a bad option."""
    try:
        import graphviz  # noqa: F401
    except ImportError:  # pragma: no cover - graphviz is a dependency of scalarflow
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install graphviz "
            "(and the Graphviz 'dot' program to render images)"
        ) from None
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph needs a Value, got {type(root).__name__}")
    arguments.choice("rankdir", rankdir, RANKDIRS)
    if max_nodes is not None:
        arguments.whole_number("max_nodes", max_nodes, 1, or_else="or None")


@dataclass(frozen=True)
class _Chosen:
    """The nodes to draw, what they are called, and which are boxed or ghosted."""

    order: list[Value]  # every node behind the root, inputs first
    nodes: list[Value]  # the ones drawn, in that order
    shown: set[Value]  # the same, to look up
    limit: int | None  # max_nodes
    names: dict[Value, str]  # as drawn: printable and short (``printable``)
    ids: dict[Value, int]  # a node's place in ``order``: its box is "v{id}", its oval "op{id}"
    ghosts: set[tuple[Value, int]]  # the edges (child, index) whose input is drawn again
    groups: dict[Value, str]  # the module each node is boxed in (absent: in none)


def _choose_nodes(root: Value, max_nodes: int | None, cluster: bool) -> _Chosen:
    """Every node behind ``root``, or the ``max_nodes`` nearest it, named, grouped, ghosted."""
    order = topological_order(root)
    shown = _nearest(root, max_nodes) if max_nodes and len(order) > max_nodes else set(order)
    nodes = [node for node in order if node in shown]
    return _Chosen(
        order=order,
        nodes=nodes,
        shown=shown,
        limit=max_nodes,
        names={node: printable(name) for node, name in display_names(order).items()},
        ids={node: i for i, node in enumerate(order)},
        ghosts=_ghosted_uses(order, shown),
        groups=_clusters(nodes) if cluster else {},
    )


@dataclass(frozen=True)
class _Style:
    """How each node and edge looks: what is shown, what is highlighted, how grads shade."""

    show_grad: bool
    show_local_grads: bool
    stacked: bool  # name over data over grad (across a left-right flow), else side by side
    cell_width: float | None
    grads: Mapping[Value, float] | None  # instead of each node's .grad
    scale: float  # the largest finite |grad| drawn: it gets the darkest shade
    bold_nodes: set[Value]
    bold_edges: set[tuple[Value, int]]
    glyphs: Mapping[tuple[str, bool], str]

    def value_box(self, node: Value, name: str) -> dict[str, str]:
        """The node's table of name, data and grad."""
        bold = node in self.bold_nodes
        grad = _gradient(node, self.grads)
        label = _value_label(
            name, node.data, grad, self.show_grad, self.scale, bold, self.stacked, self.cell_width
        )
        return {"label": label, "shape": "plain"}

    def op_oval(self, node: Value) -> dict[str, str]:
        """The oval of the op that made ``node``: its glyph, thick if an input edge is."""
        bold = self.bold_op(node)
        return {
            "label": _op_text(node, self.glyphs),
            "shape": "ellipse",
            "style": "filled",
            "fillcolor": OP_FILL,
            "fontsize": "11",
            "height": "0.3",
            "margin": "0.04,0.02",
            "color": HIGHLIGHT if bold else INK,
            "penwidth": "2.5" if bold else "1",
        }

    def bold_op(self, node: Value) -> bool:
        """True if an edge into the op's oval is highlighted: the oval and its output edge are."""
        return any((node, k) in self.bold_edges for k in range(len(node.parents)))

    def output_edge(self, node: Value) -> dict[str, str]:
        """The edge from the op's oval to ``node``'s box: heavy, so the chain stays straight."""
        return {**_edge_style(self.bold_op(node)), "weight": "8"}

    def ghost_box(self, node: Value, k: int, name: str) -> dict[str, str]:
        """The small box with the name of ``node``'s ``k``-th input, drawn beside ``node``."""
        return {"label": plain_label(name), **_ghost_style((node, k) in self.bold_edges)}

    def input_edge(self, node: Value, k: int, local: float) -> dict[str, str]:
        """The edge into ``node``'s oval from its ``k``-th input, labelled ∂node/∂input."""
        attrs = _edge_style((node, k) in self.bold_edges)
        if self.show_local_grads:
            attrs["label"] = format_number(local)
        if not node.parents[k].is_leaf:  # along the chain of computed values: heavy, as above
            attrs["weight"] = "8"
        return attrs


def _style(
    chosen: _Chosen,
    highlight: Any,
    grads: Mapping[Value, float] | None,
    rankdir: str,
    show_grad: bool,
    show_local_grads: bool,
    cell_width: float | None,
) -> _Style:
    """The look of the chosen nodes: the options, the highlights, the scale of the grads."""
    bold_nodes, bold_edges = _highlights(highlight)
    shown = (_gradient(node, grads) for node in chosen.nodes)
    scale = max((abs(g) for g in shown if g is not None and abs(g) != float("inf")), default=0.0)
    return _Style(
        show_grad=show_grad,
        show_local_grads=show_local_grads,
        stacked=rankdir in ("LR", "RL"),
        cell_width=cell_width,
        grads=grads,
        scale=scale,
        bold_nodes=bold_nodes,
        bold_edges=bold_edges,
        glyphs=_glyphs(),
    )


def _gradient(node: Value, grads: Mapping[Value, float] | None) -> float | None:
    """The gradient to show: ``.grad``, or what ``grads`` says (None: not computed yet)."""
    return node.grad if grads is None else grads.get(node)


def _canvas(format: str, rankdir: str, caption: str, on_top: bool) -> graphviz.Digraph:
    """An empty drawing with the fonts, colours and spacing of every drawing, and its caption."""
    dot = new_drawing(format=format)
    dot.attr(rankdir=rankdir, fontname=FONT, nodesep="0.25", ranksep="0.35", bgcolor="white")
    dot.attr("node", fontname=FONT, fontsize="12", color=INK, fontcolor=INK)
    dot.attr("edge", fontname=FONT, fontsize="10", color=MUTED, fontcolor=MUTED, arrowsize="0.7")
    if caption:
        dot.attr(label=caption, labelloc="t" if on_top else "b")
    return dot


def _emit(dot: graphviz.Digraph, chosen: _Chosen, style: _Style) -> None:
    """Into ``dot``: each node (in its module's box), the boxes, "… N more", then the edges."""
    boxes = {
        prefix: _module_box(prefix) for prefix in sorted({*chosen.groups.values()}, key=_natural)
    }
    edges: list[tuple[str, str, dict[str, str]]] = []
    for node in chosen.nodes:
        home = boxes[chosen.groups[node]] if node in chosen.groups else dot
        edges += _emit_node(home, node, chosen, style)
    for box in boxes.values():
        dot.subgraph(box)
    _emit_more(dot, chosen)
    for tail, head, attrs in edges:
        dot.edge(tail, head, **attrs)


def _emit_node(
    home: graphviz.Digraph, node: Value, chosen: _Chosen, style: _Style
) -> list[tuple[str, str, dict[str, str]]]:
    """``node``'s box, its op's oval and its ghost inputs into ``home``; returns their edges."""
    i = chosen.ids[node]
    home.node(f"v{i}", **style.value_box(node, chosen.names[node]))
    if node.is_leaf:
        return []
    home.node(f"op{i}", **style.op_oval(node))
    edges = [(f"op{i}", f"v{i}", style.output_edge(node))]
    for k, (parent, local) in enumerate(zip(node.parents, node.local_grads, strict=True)):
        if parent not in chosen.shown:
            continue
        tail = f"v{chosen.ids[parent]}"
        if (node, k) in chosen.ghosts:  # far from where the value is drawn: its name, drawn here
            tail = f"g{chosen.ids[parent]}_{i}_{k}"
            home.node(tail, **style.ghost_box(node, k, chosen.names[parent]))
        edges.append((tail, f"op{i}", style.input_edge(node, k, local)))
    return edges


def _module_box(prefix: str) -> graphviz.Digraph:
    """The dashed box, named for its module (``L0.N3``), that its nodes are drawn in."""
    import graphviz

    prefix = printable(prefix)
    box = graphviz.Digraph(name=f"cluster_{prefix}")
    box.attr(
        label=plain_label(prefix),
        labelloc="t",
        style="rounded,dashed",
        color=FAINT,
        fontcolor=MUTED,
        fontsize="11",
        labeljust="l",
    )
    return box


def _emit_more(dot: graphviz.Digraph, chosen: _Chosen) -> None:
    """If inputs were left out: one "… N more nodes" box, with an edge to each op missing some."""
    cut = [node for node in chosen.nodes if any(p not in chosen.shown for p in node.parents)]
    if not cut:
        return
    hidden = len(chosen.order) - len(chosen.nodes)
    dot.node(
        "more",
        f"… {hidden:,} more nodes\n(not drawn: max_nodes={chosen.limit:,})",
        shape="box",
        style="dashed,rounded",
        color=MUTED,
        fontcolor=MUTED,
        fontsize="11",
    )
    for node in cut:
        dot.edge("more", f"op{chosen.ids[node]}", style="dashed", color=FAINT)


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
    cell_width: float | None = None,
) -> str:
    """An HTML-like table: name | data | grad, the grad cell shaded by size and sign."""
    cells = [
        f'<TD BGCOLOR="{NAME_FILL}"><B>{label_html(name)}</B></TD>',
        f"<TD>data {_number(data)}</TD>",
    ]
    if show_grad:
        if grad is None:
            cells.append(f'<TD><FONT COLOR="{MUTED}">grad ?</FONT></TD>')
        else:
            fill, ink = shade(grad, scale)
            cells.append(
                f'<TD BGCOLOR="{fill}"><FONT COLOR="{ink}">grad {_number(grad)}</FONT></TD>'
            )
        if cell_width:
            cells[-1] = cells[-1].replace("<TD", f'<TD WIDTH="{round(cell_width)}"', 1)
    # Cells keep their grey lines whatever colour the table's (highlight) border has.
    cells = [cell.replace("<TD", f'<TD COLOR="{FAINT}"', 1) for cell in cells]
    # The border is there either way (white when not highlighted): the box keeps its size.
    border = f' BORDER="3" COLOR="{HIGHLIGHT if bold else "white"}"'
    # Stacked across the flow (name over data over grad) keeps the drawing compact.
    rows = (
        "".join(f"<TR>{cell}</TR>" for cell in cells) if stacked else f"<TR>{''.join(cells)}</TR>"
    )
    return f'<<TABLE{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">{rows}</TABLE>>'


def _number(x: float) -> str:
    """A number for an HTML-like label: ``format_number``, made safe like every drawn text."""
    return label_html(printable(format_number(x)))


def _glyphs() -> dict[tuple[str, bool], str]:
    """Each op's ``glyph`` from the table, by its symbol and whether it takes a constant.

    (``**`` is two ops: ``x ** y`` and ``x ** 2``.) A node built by hand with
    one of these symbols (micrograd's ``"*"``) is drawn as the table's op is.
    """
    return {(op.symbol, op.has_constant): op.glyph for op in ops.OPS}


def _op_text(node: Value, glyphs: Mapping[tuple[str, bool], str]) -> str:
    """How the node's op is drawn, with its plain-number argument: ``×``, ``**2``."""
    c = node.constant
    glyph = glyphs.get((node.op, c is not None))
    if glyph is None:  # an op built by hand that the table does not have
        return plain_label(node.op)
    return glyph.format(f"{c:g}") if c is not None else glyph


def _edge_style(bold: bool) -> dict[str, str]:
    # Only colours and pen widths change: sizes stay put, so a highlight never moves the layout.
    if not bold:
        return {}
    return {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "3"}


def _ghost_style(bold: bool) -> dict[str, str]:
    """A value drawn again beside a far use: its name only, dashed (data and grad are at home)."""
    return {
        "shape": "box",
        "style": "dashed,rounded",
        "fontsize": "10",
        "height": "0.25",
        "margin": "0.05,0.02",
        "color": HIGHLIGHT if bold else MUTED,
        "fontcolor": HIGHLIGHT if bold else MUTED,
        "penwidth": "2.5" if bold else "1",
    }


def _caption(
    title: str | None,
    legend: bool,
    show_grad: bool,
    show_local_grads: bool,
    root: str,
    ghosts: bool = False,
) -> str:
    """The graph's label: the title (large) over the how-to-read line (small); '' if neither."""
    parts = []
    if legend:
        if show_grad:
            parts.append(f"grad = d{root}/dnode: blue +, red −, darker = larger")
        if show_local_grads:
            parts.append("edge numbers: local derivative ∂child/∂parent")
        if ghosts:
            parts.append("dashed name: a value drawn again where it is used")
    lines = []
    if title:
        lines.append(f'<FONT POINT-SIZE="14">{label_html(printable(title, MAX_TITLE))}</FONT>')
    if parts:
        lines.append(
            f'<FONT POINT-SIZE="10" COLOR="{MUTED}">{label_html("   ·   ".join(parts))}</FONT>'
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


def _ghosted_uses(order: list[Value], shown: set[Value]) -> set[tuple[Value, int]]:
    """The edges ``(child, index)`` whose input is drawn again as a ghost beside the child.

    A value used at many depths (a weight shared by every step of an RNN, the
    ``x`` of ``x*x*…*x``) would send edges across the whole drawing: Graphviz
    then spends minutes placing and routing them (its position and spline
    phases grow with the ranks each edge crosses), and the reader follows
    lines from end to end. So a value is drawn once, where it is used first
    (as Graphviz would place it: each node as close to the output as its
    uses allow), and every use more than ``GHOST_SPAN`` ranks further on
    gets a small box with its name instead of a long edge.
    """
    # rank = longest path to the root, negated: the root is at 0, its inputs at -1, ...
    rank: dict[Value, int] = {}
    for node in reversed(order):  # children before parents
        r = rank.setdefault(node, 0)
        for parent in node.parents:
            if rank.get(parent, 1) > r - 1:
                rank[parent] = r - 1
    uses: dict[Value, list[tuple[Value, int]]] = {}
    for node in order:
        if node in shown:
            for k, parent in enumerate(node.parents):
                uses.setdefault(parent, []).append((node, k))
    ghosts: set[tuple[Value, int]] = set()
    for parent, edges in uses.items():
        if len(edges) > 1 and parent in shown:
            ghosts.update(edge for edge in edges if rank[edge[0]] - rank[parent] > GHOST_SPAN)
    return ghosts


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
