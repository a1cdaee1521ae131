"""Graphviz drawings turned into bytes within a time budget, and shown at a column's width.

``render`` lays a drawing out (Graphviz's full layout, else a quick one, else a clear
``RenderTimeout``) and keeps bitmaps a screen can show; ``fit_column``, ``as_image``
and ``drawing_html`` put an SVG into a notebook or a page; ``new_drawing`` is the
``graphviz.Digraph`` every drawing here starts from, which Jupyter shows that way.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import subprocess
import time
from typing import TYPE_CHECKING, Any

from ..utils import arguments
from .style import HIGHLIGHT

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "render",
    "RenderTimeout",
    "fit_column",
    "as_image",
    "drawing_html",
    "new_drawing",
]

RENDER_SECONDS = 10.0  # the most a drawing may take, fallback layout included
MAX_PIXELS = 6_000_000  # bitmaps are scaled down to this (cairo's time grows with the pixels)
MAX_SIDE = 4_000  # ... and to this many pixels on their long side: a screen or slide shows it
MAX_DPI = 1_200
PAD = 4  # points Graphviz leaves around a drawing
BITMAPS = ("png", "jpg", "jpeg", "gif")


class RenderTimeout(RuntimeError):
    """Graphviz could not lay the graph out within the time budget, even the quick way."""


def render(
    dot: graphviz.Digraph,
    format: str | None = None,
    *,
    seconds: float = RENDER_SECONDS,
    dpi: float | None = None,
    fit: tuple[int, int] = (MAX_SIDE, MAX_SIDE),
) -> bytes:
    """``dot`` drawn as ``format`` (default ``dot.format``) in at most about ``seconds``.

    First Graphviz's full layout, given two thirds of the budget. If that
    runs out, the quick layout in the rest: local derivatives as labels
    beside the edges instead of on them (labels on edges double the ranks
    Graphviz lays out), straight edges, and bounded crossing and placement
    searches; its caption says it was used. If that runs out too,
    ``RenderTimeout`` says to draw fewer nodes.

    A bitmap (PNG, JPEG, GIF) comes out at ``dpi`` (default: the drawing's
    own, else 96) unless that would be larger than ``fit`` (width, height in
    pixels; at most ``MAX_SIDE`` = 4000 on each side by default) or
    ``MAX_PIXELS`` (6 million) in all: then it is scaled down to fit both,
    keeping its proportions, since drawing the pixels is what takes the
    time. So a 30-step RNN, 23,000 points long, is a PNG 4,000 pixels wide
    drawn in about the time of its SVG (zoom into the SVG for its numbers).
    Vector formats (SVG, PDF) keep their size.

    >>> from engine import Value, draw_graph
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> render(draw_graph(y), "svg").startswith(b"<?xml")
    True
    """
    import graphviz

    arguments.greater_than("seconds", seconds)
    if dpi is not None:
        arguments.in_range("dpi", dpi, 0, MAX_DPI, low_open=True, high_open=False)
    for name, side in zip(("fit width", "fit height"), fit, strict=True):
        arguments.whole_number(name, side, 1)
    format = format or dot.format
    program = getattr(dot, "engine", None) or "dot"
    exe = shutil.which(program)
    if exe is None:
        raise graphviz.ExecutableNotFound((program,))
    start = time.monotonic()
    source = dot.source
    bitmap = format in BITMAPS
    # A vector format is drawn in one go; a bitmap is laid out first (-Tdot), to learn its
    # size and scale it down if need be, then drawn from the positions by neato -n2.
    first = [exe, "-Tdot" if bitmap else f"-T{format}"]
    try:
        laid_out = _run(first, source, seconds * 2 / 3, text=bitmap)
    except subprocess.TimeoutExpired:
        left = seconds - (time.monotonic() - start)
        try:
            laid_out = _run([*first, *QUICK_LAYOUT], _quick(source), left, text=bitmap)
        except subprocess.TimeoutExpired:
            nodes = source.count("[label=<<TABLE")
            raise RenderTimeout(
                f"Graphviz could not lay out this graph of {nodes:,} values in {seconds:g} s, "
                "even the quick way: draw fewer of them with max_nodes (on the command line, "
                "--max-nodes), e.g. max_nodes=200"
            ) from None
    if not bitmap:
        return laid_out
    resolution = float(dpi or dot.graph_attr.get("dpi") or 96)
    options = [f"-T{format}", f"-Gdpi={_bitmap_dpi(laid_out, resolution, fit):.4f}"]
    # Positions and splines are fixed now: neato -n2 only draws (no second layout); the
    # pixel cap bounds its time, and what is left of the budget (at least 2 s) bounds it too.
    left = max(seconds - (time.monotonic() - start), 2.0)
    try:
        return _run([shutil.which("neato") or exe, "-n2", *options], laid_out, left, text=False)
    except subprocess.TimeoutExpired:
        raise RenderTimeout(
            f"Graphviz could not draw this {format.upper()} in {seconds:g} s: draw fewer "
            "values with max_nodes (on the command line, --max-nodes), or write an SVG"
        ) from None


# The quick layout: bounded network-simplex and crossing-minimisation passes, straight edges.
QUICK_LAYOUT = ("-Gnslimit=1", "-Gmclimit=0.1", "-Gsplines=line")
_EDGE_LABEL = re.compile(r"^(\s*\S+ -> \S+ \[(?:.* )?)label=", re.MULTILINE)
_CAPTION_END = re.compile(r"^(\t(?:graph \[)?label=<.*)>( labelloc=)", re.MULTILINE)


def _quick(source: str) -> str:
    """The source for the quick layout: edge labels become xlabels, the caption says so."""
    quick = _EDGE_LABEL.sub(r"\1xlabel=", source)
    note = "quick layout (the full one took too long): edge numbers beside their edges"
    caption = f'<BR/><FONT POINT-SIZE="10" COLOR="{HIGHLIGHT}">{note}</FONT>>'
    return _CAPTION_END.sub(lambda m: m[1] + caption + m[2], quick, count=1)


def _run(command: list[str], source: str, timeout: float | None, text: bool = True):
    import graphviz

    try:
        completed = subprocess.run(
            command, input=source.encode(), capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:  # the program went away since shutil.which found it
        raise graphviz.ExecutableNotFound(command[:1]) from None
    if completed.returncode != 0:
        raise graphviz.CalledProcessError(
            completed.returncode, command, output=completed.stdout, stderr=completed.stderr
        )
    return completed.stdout.decode() if text else completed.stdout


def _bitmap_dpi(laid_out: str, dpi: float, fit: tuple[int, int]) -> float:
    """``dpi``, or less if need be to keep a bitmap of the laid-out graph within ``fit`` and
    ``MAX_PIXELS``: the drawing shrinks as a whole, in proportion."""
    box = re.search(r'bb="([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)"', laid_out)
    if not box:
        return dpi
    # In inches, with the margin ("pad", 4 points a side) Graphviz draws around the box.
    width = (float(box[3]) - float(box[1]) + 2 * PAD) / 72
    height = (float(box[4]) - float(box[2]) + 2 * PAD) / 72
    # A pixel of room on each side: Graphviz rounds the size up.
    most = min((MAX_PIXELS / (width * height)) ** 0.5, (fit[0] - 1) / width, (fit[1] - 1) / height)
    return min(dpi, most)


_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)


def _svg_element(svg: str) -> str:
    """Graphviz's SVG from its ``<svg>`` on, without the XML prolog and comments."""
    start = svg.find("<svg")
    return _COMMENT.sub("", svg[start:] if start >= 0 else svg)


def fit_column(svg: str) -> str:
    """Graphviz's SVG as inline HTML that scales down to its container's width, never up.

    The ``<svg>`` gets ``width="100%"`` and a ``max-width`` of its own width,
    so a small graph keeps its size and a large one shrinks to the column
    (its height follows from the viewBox): no horizontal scrollbar. The XML
    prolog and comments, which inline HTML needs neither of, are left out.

    >>> fit_column('<?xml ...?>\\n<svg width="300pt" height="100pt" viewBox="0 0 300 100"></svg>')
    '<svg width="100%" style="max-width:300pt;height:auto" viewBox="0 0 300 100"></svg>'
    """
    svg = _svg_element(svg)
    return _SVG_SIZE.sub(
        lambda m: f'<svg width="100%" style="max-width:{m[1]}pt;height:auto"', svg, count=1
    )


def as_image(svg: str, alt: str = "graph") -> str:
    """Graphviz's SVG as an HTML ``<img>`` at its own size that scales down to the column.

    What a notebook shows whether or not it trusts the output. A notebook
    opened without being run (a fresh clone) is untrusted: JupyterLab then
    sanitizes HTML, which removes an inline ``<svg>`` and leaves the text of
    its boxes as loose words, and will not draw an ``image/svg+xml`` output
    at all; an ``<img>`` with a ``data:`` URL survives, and is as sharp (an
    SVG inside an image runs no scripts, which is why it is safe).

    >>> image = as_image('<?xml version="1.0"?>\\n<!-- dot -->\\n<svg width="3pt"></svg>')
    >>> image.split(",")[0], base64.b64decode(image.split(",")[1].split('"')[0])
    ('<img src="data:image/svg+xml;base64', b'<svg width="3pt"></svg>')
    >>> image.split('" ', 1)[1]
    'alt="graph" style="max-width:100%;height:auto">'
    """
    data = base64.b64encode(_svg_element(svg).encode())
    return (
        f'<img src="data:image/svg+xml;base64,{data.decode()}" alt="{html.escape(alt)}" '
        'style="max-width:100%;height:auto">'
    )


# Where scripts run (a trusted notebook, an exported page), the image before this script
# becomes the inline SVG again, sized as fit_column sizes it: an inline SVG's boxes and
# lines show their tooltips (draw_network puts a wide layer's weights there) and its text
# can be selected; an image's cannot. Where scripts do not run, the image stays.
_INLINE_JS = """<script>(function (here) {
  var img = here && here.previousElementSibling;
  if (!img || img.tagName !== "IMG" || !window.TextDecoder) return;
  var text = atob(img.src.split(",")[1]);
  var bytes = Uint8Array.from(text, function (c) { return c.charCodeAt(0); });
  var box = document.createElement("div");
  box.innerHTML = new TextDecoder().decode(bytes);
  var svg = box.querySelector("svg");
  if (!svg) return;
  svg.style.maxWidth = svg.getAttribute("width");
  svg.style.height = "auto";
  svg.setAttribute("width", "100%");
  svg.removeAttribute("height");
  img.replaceWith(svg);
})(document.currentScript);</script>"""


def drawing_html(svg: str, alt: str = "graph") -> str:
    """A drawing as a notebook's HTML: ``as_image``, turned back into inline SVG where scripts run.

    >>> html_ = drawing_html('<svg width="3pt"></svg>')
    >>> html_.startswith("<img ") and "<script>" in html_
    True
    """
    return as_image(svg, alt) + _INLINE_JS


_DRAWING: type | None = None


def new_drawing(**options: Any) -> graphviz.Digraph:
    """An empty ``graphviz.Digraph`` that Jupyter shows at the column's width, within budget.

    What ``draw_graph`` builds on; other drawings (``nn.draw_network``) use it too.
    ``options`` go to ``graphviz.Digraph`` (``format``, ``engine``, ...).
    """
    return _drawing_class()(**options)


def _drawing_class() -> type:
    """``graphviz.Digraph`` that shows itself in Jupyter at the column's width, within budget."""
    global _DRAWING
    if _DRAWING is None:
        import graphviz

        class Drawing(graphviz.Digraph):
            """A ``graphviz.Digraph`` that notebooks show scaled to their column.

            As HTML, an image (``as_image``): JupyterLab renders ``text/html``
            before any other type whether the notebook is trusted or not (an
            untrusted one sanitized), so that image is what every view shows;
            the SVG itself rides along for front ends that want it.
            """

            def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
                svg = render(self, "svg").decode()
                return {"text/html": drawing_html(svg), "image/svg+xml": svg}

            def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None,
                     quiet=False, *, engine=None, encoding=None):  # fmt: skip
                """As ``graphviz.Digraph.pipe``; a bitmap comes out as ``render`` sizes it."""
                fmt = format or self.format
                if _plain_call(self, fmt, renderer, formatter, neato_no_op, engine):
                    data = render(self, fmt)
                    return data.decode(encoding) if encoding else data
                return super().pipe(
                    format, renderer, formatter, neato_no_op, quiet,
                    engine=engine, encoding=encoding,
                )  # fmt: skip

            def render(self, *args, **kwargs):
                """As ``graphviz.Digraph.render``; a bitmap comes out as ``render`` sizes it
                (at most ``MAX_SIDE`` pixels a side), so a big graph is no 32,767-pixel PNG."""
                import inspect

                call = inspect.signature(graphviz.Digraph.render).bind(self, *args, **kwargs)
                given = call.arguments
                fmt = given.get("format") or _suffix(given.get("outfile")) or self.format
                options = (given.get(k) for k in ("renderer", "formatter", "neato_no_op"))
                if not _plain_call(self, fmt, *options, given.get("engine")):
                    return super().render(*args, **kwargs)
                # The drawing's own dpi, lowered if need be; Graphviz draws the file as usual.
                bounded = self.copy()
                bounded.attr(dpi=f"{_fitting_dpi(self):.4f}")
                return super(Drawing, bounded).render(*args, **kwargs)

        _DRAWING = Drawing
    return _DRAWING


def _plain_call(dot: graphviz.Digraph, format: str, renderer, formatter, no_op, engine) -> bool:
    """True for a bitmap drawn the usual way: the size cap applies (see ``render``)."""
    plain = renderer is None and formatter is None and not no_op
    return format in BITMAPS and plain and engine in (None, dot.engine)


def _suffix(path: str | os.PathLike | None) -> str | None:
    """The format a file name asks for (``g.png``: png), as graphviz reads it."""
    if path is None:
        return None
    return os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or None


def _fitting_dpi(dot: graphviz.Digraph) -> float:
    """The dpi at which ``dot`` drawn as a bitmap fits ``MAX_SIDE`` and ``MAX_PIXELS``."""
    program = shutil.which(getattr(dot, "engine", None) or "dot") or "dot"
    # No time budget: graphviz's own render() has none, and waits for the drawing.
    laid_out = _run([program, "-Tdot"], dot.source, None)
    dpi = float(dot.graph_attr.get("dpi") or 96)
    return _bitmap_dpi(laid_out, dpi, (MAX_SIDE, MAX_SIDE))
