"""Names for nodes in printed derivations and drawings.

A node is called by its label. An unlabelled node gets a name from what made
it, numbered in topological order: ``mul1``, ``tanh2``; an unlabelled leaf is
``v1``, ``v2``, ... The same graph always gets the same names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value

__all__ = ["display_names"]


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
        stem = node._op.name if node._op is not None else "v"
        counts[stem] = counts.get(stem, 0) + 1
        names[node] = f"{stem}{counts[stem]}"
    return names
