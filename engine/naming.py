"""Names for nodes in printed derivations and drawings.

A node is called by its label. An unlabelled node gets a name from what made
it, numbered in topological order: ``mul1``, ``tanh2``; an unlabelled leaf is
``v1``, ``v2``, ... The same graph always gets the same names.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value

__all__ = ["display_names", "format_number"]


def display_names(nodes: Iterable[Value]) -> dict[Value, str]:
    """A name for every node: its label, or one made from its op and position.

    >>> from engine import Value, topological_order
    >>> x = Value(2.0, label="x")
    >>> y = (x * 3).tanh()
    >>> list(display_names(topological_order(y)).values())
    ['x', 'v1', 'mul1', 'tanh1']
    """
    counts: dict[str, int] = {}
    names: dict[Value, str] = {}
    for node in nodes:
        if node.label:
            names[node] = node.label
            continue
        stem = node._primitive.name if node._primitive is not None else "v"
        counts[stem] = counts.get(stem, 0) + 1
        names[node] = f"{stem}{counts[stem]}"
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
