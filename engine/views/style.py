"""How scalarflow's drawings look: one palette, one font, and text made safe for Graphviz.

``draw_graph``, the step-through player and ``nn.diagram`` all draw with these, so a
gradient is the same blue or red in every picture. The colours are ColorBrewer's RdBu
ends (safe for the common colour blindnesses); a shaded cell's number keeps its sign, so
a drawing printed in grey still reads.
"""

from __future__ import annotations

import html

from ..naming import MAX_SHOWN, printable

__all__ = [
    "FONT",
    "POSITIVE",
    "NEGATIVE",
    "HIGHLIGHT",
    "NAME_FILL",
    "OP_FILL",
    "INK",
    "MUTED",
    "FAINT",
    "label_html",
    "plain_label",
    "shade",
]

FONT = "Helvetica,Arial,sans-serif"
POSITIVE = (0x21, 0x66, 0xAC)  # ColorBrewer RdBu blue: safe for the common colour blindnesses
NEGATIVE = (0xB2, 0x18, 0x2B)  # ColorBrewer RdBu red
HIGHLIGHT = "#E66100"  # orange, distinct from both; highlights are also drawn thick
NAME_FILL = "#EEEEEE"
OP_FILL = "#F7F7F7"
INK = "#222222"
MUTED = "#555555"
FAINT = "#999999"  # table cell lines, module boxes, the edges from "… N more nodes"


def label_html(text: str) -> str:
    r"""Drawn text (``printable``) inside an HTML-like label: escaped, its backslashes too.

    Graphviz decodes a table cell's entities and then reads ``\N``, ``\G``...
    in it (``&lt;\N`` draws as ``<v3``), so a backslash is written as the
    entities of an escaped one, which draw as one backslash in any text.

    >>> label_html("a<b>\\N")
    'a&lt;b&gt;&#92;&#92;N'
    """
    return html.escape(text).replace("\\", "&#92;&#92;")


def plain_label(text: str, limit: int = MAX_SHOWN) -> str:
    """``printable(text, limit)`` as a plain (not HTML-like) label, tooltip or other text.

    Marked as no HTML, so that text which looks like ``<b>`` is not read as
    markup, and with its backslashes doubled: Graphviz reads ``\\N``, ``\\l``
    and the like in plain labels.
    """
    import graphviz

    return graphviz.nohtml(printable(text, limit).replace("\\", "\\\\"))


def shade(grad: float, scale: float) -> tuple[str, str]:
    """Fill and text colour for a gradient: darker for larger |grad|, blue +, red −.

    >>> shade(1.0, 1.0), shade(-0.01, 1.0), shade(0.0, 1.0)
    (('#3775B4', '#FFFFFF'), ('#F0D1D5', '#222222'), ('#FFFFFF', '#222222'))
    """
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
