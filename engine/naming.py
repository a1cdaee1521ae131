"""Names for nodes in printed derivations and drawings.

A node is called by its label. An unlabelled node gets a name from what made
it, numbered in topological order: ``mul1``, ``tanh2``; an unlabelled leaf is
``v1``, ``v2``, ... The same graph always gets the same names, and no two nodes
of one graph get the same name, so every line of a derivation is about one node:

- a generated name skips any label in the graph (a node labelled ``mul1`` keeps
  it, and the unlabelled product becomes ``mul2``);
- two nodes with the same label (``w`` twice, or the constant ``2`` in
  ``x*2 + y*2``): the first in topological order keeps it, the next become
  ``w#2``, ``w#3``, ... Only a graph that has both is affected.

Drawings and generated code show a name through ``printable``: whatever a label
holds (text read from a file, an escape sequence, a newline, 16 KB of it), what is
shown is short, printable text on one line.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from typing import Any, Protocol


class Named(Protocol):
    """What a name is made from (``Value`` is one): a label, or the op that made the node."""

    label: str
    _primitive: Any  # the op that made it (its ``.name`` is the stem), None for a leaf


__all__ = ["display_names", "format_number", "printable"]

MAX_SHOWN = 40  # characters of a name a drawing, comment or message shows; longer is cut


def display_names(nodes: Iterable[Named]) -> dict[Named, str]:
    """A name for every node, different for different nodes: its label, or one made from its op.

    >>> from engine import Value, topological_order
    >>> x = Value(2.0, label="x")
    >>> y = (x * 3).tanh()
    >>> list(display_names(topological_order(y)).values())
    ['x', 'v1', 'mul1', 'tanh1']
    >>> a, b = Value(1.0, label="mul1"), Value(2.0, label="a")
    >>> list(display_names(topological_order(a * b * Value(3.0, label="a"))).values())
    ['mul1', 'a', 'mul2', 'a#2', 'mul3']
    """
    nodes = nodes if isinstance(nodes, list) else list(nodes)
    labels = {node.label for node in nodes if node.label}  # no generated name may be one
    kept: set[str] = set()  # the labels already given to a node
    counts: dict[str, int] = {}
    names: dict[Named, str] = {}
    for node in nodes:
        label = node.label
        if label and label not in kept:
            kept.add(label)
            names[node] = label
            continue
        if label:  # another node has this label already: this one is label#2, label#3, ...
            stem = f"{label}#"
            n = counts.get(stem, 1) + 1
        else:
            stem = node._primitive.name if node._primitive is not None else "v"
            n = counts.get(stem, 0) + 1
        # Generated names cannot meet each other: a stem never ends in a digit (an op's
        # name, "v", or "label#"), so stem + number reads back one way only.
        name = f"{stem}{n}"
        while name in labels:
            n += 1
            name = f"{stem}{n}"
        counts[stem] = n
        names[node] = name
    return names


def format_number(x: float) -> str:
    """A number as derivations and drawings show it: 4 decimals, or scientific when tiny/huge.

    Fixed point hides a gradient of 1e-7 as ``0.0000``, so numbers outside
    [1e-4, 1e6) switch to scientific notation.

    >>> format_number(0.5), format_number(-2.0), format_number(0.0)
    ('0.5000', '-2.0000', '0.0000')
    >>> format_number(1.5e-7), format_number(2.5e8), format_number(float("inf"))
    ('1.5000e-07', '2.5000e+08', 'inf')
    """
    if not math.isfinite(x):
        return repr(x)
    if x == 0:
        return "0.0000"  # also for -0.0, whose sign means nothing to a reader
    return f"{x:.4f}" if 1e-4 <= abs(x) < 1e6 else f"{x:.4e}"


def printable(text: object, limit: int = MAX_SHOWN) -> str:
    r"""``text`` as a drawing, a comment or a message shows it: printable, at most ``limit`` long.

    Graphviz reads labels as XML, which has no room for control characters
    (an ANSI colour code, a form feed, NUL), lone surrogates or U+FFFE/U+FFFF,
    and refuses HTML labels past 16 KB: such characters are written as their
    Python escapes (``\x1b``), and a longer text keeps its start and its end
    (where ``#2`` tells two similar names apart) around an ellipsis.

    A label comes from data (a CSV column, a name read from a file), so it is shown
    this way wherever it is written out: in drawings, and in the comments of
    ``engine.compile``'s generated source, where a newline would start a new line
    (the code Python compiles carries no comments at all).

    >>> printable("w\x1b[31m"), printable("x" * 50, limit=10)
    ('w\\x1b[31m', 'xxxxxx…xxx')
    """
    text = text if isinstance(text, str) else str(text)
    if not text.isprintable():  # the fast way out for the common case
        text = "".join(_escaped(c) for c in text)
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 3
    return f"{text[: limit - 1 - tail]}…{text[len(text) - tail :] if tail else ''}"


def _escaped(c: str) -> str:
    """A character XML cannot hold, or one that breaks a line, as its escape."""
    if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in "\ufffe\uffff":
        return c.encode("unicode_escape", "backslashreplace").decode("ascii")
    return c
