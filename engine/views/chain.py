"""The chain rule written out: every path from an input to the output, as a product.

The gradient of an output ``E`` with respect to a node ``w`` is a sum over
every path from ``w`` to ``E`` of the product of the local derivatives along
it:

    dE/dw3 = ∂z3/∂w3 · ∂a3/∂z3 · ∂E/∂a3

(``∂child/∂parent`` is one edge's local derivative; ``dE/dw3`` the gradient.)
``backward()`` computes the same sum without listing the paths (it adds them
up edge by edge); ``chain_rule`` lists them, for reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..autograd import topological_order
from ..naming import display_names, format_number
from ..value import Value

__all__ = ["ChainPath", "ChainRule", "TooManyPathsError", "chain_rule"]

DEFAULT_MAX_PATHS = 1000


class TooManyPathsError(ValueError):
    """More paths lead from the input to the output than ``chain_rule`` will list."""


@dataclass(frozen=True)
class ChainPath:
    """One path from ``wrt`` to the output: its nodes and the local derivative of each edge.

    ``nodes[0]`` is ``wrt`` and ``nodes[-1]`` the output; ``factors[i]`` is
    ∂nodes[i+1]/∂nodes[i], and ``edges[i]`` says which edge that is:
    ``(child, index)`` with ``child.parents[index] is nodes[i]`` (it matters
    when a node uses the same parent twice, as in ``a * a``).
    """

    nodes: tuple[Value, ...]
    factors: tuple[float, ...]
    edges: tuple[tuple[Value, int], ...] = field(repr=False)
    names: dict = field(repr=False, compare=False)

    @property
    def product(self) -> float:
        """The product of the factors: this path's share of the gradient."""
        return math.prod(self.factors)

    def symbols(self) -> list[str]:
        """The factors written as local derivatives: ``['∂z/∂w', '∂L/∂z']``."""
        n = self.names
        return [f"∂{n[b]}/∂{n[a]}" for a, b in zip(self.nodes[:-1], self.nodes[1:], strict=True)]

    def __str__(self) -> str:
        """``∂z/∂w · ∂L/∂z = 0.5000 · 1.0000 = 0.5000``."""
        if not self.factors:
            return "1 (the output itself)"
        numbers = " · ".join(map(format_number, self.factors))
        if len(self.factors) == 1:  # one edge: its number is the product
            return f"{self.symbols()[0]} = {numbers}"
        return f"{' · '.join(self.symbols())} = {numbers} = {format_number(self.product)}"


@dataclass(frozen=True)
class ChainRule:
    """d output / d wrt as a sum over paths; ``str()`` writes it out as in a textbook."""

    output: Value
    wrt: Value
    paths: tuple[ChainPath, ...]
    names: dict = field(repr=False, compare=False)

    @property
    def total(self) -> float:
        """The sum over paths of their products: the gradient of output with respect to wrt.

        Summed exactly (``math.fsum``) while the terms are finite; with
        infinite terms, as IEEE adds them (inf - inf is nan), as backward does.
        """
        products = [path.product for path in self.paths]
        if all(map(math.isfinite, products)):
            try:
                return math.fsum(products)
            except OverflowError:  # finite terms whose exact sum overflows
                pass
        return sum(products)

    def __str__(self) -> str:
        lhs = f"d{self.names[self.output]}/d{self.names[self.wrt]}"
        if not self.paths:
            return (
                f"{lhs} = 0 (no path leads from {self.names[self.wrt]} "
                f"to {self.names[self.output]})"
            )
        if len(self.paths) == 1:
            return f"{lhs} = {self.paths[0]}"
        # One path per line, the symbols padded so that the numbers line up.
        symbolic = [" · ".join(path.symbols()) or "1" for path in self.paths]
        width = max(map(len, symbolic))
        indent = " " * (len(lhs) + 1)
        lines = []
        for i, (path, symbols) in enumerate(zip(self.paths, symbolic, strict=True)):
            numbers = " · ".join(map(format_number, path.factors)) or "1"
            start = f"{lhs} =" if i == 0 else f"{indent}+"
            lines.append(f"{start} {symbols:<{width}} = {numbers} = {format_number(path.product)}")
        lines.append(f"{indent}= {format_number(self.total)}   (sum over {len(self.paths)} paths)")
        return "\n".join(lines)


def count_paths(output: Value, wrt: Value) -> int:
    """How many paths lead from ``wrt`` to ``output`` (an edge used twice counts twice).

    Counted by dynamic programming in topological order, so it is fast even
    when the count is astronomically large.

    >>> x = Value(1.0)
    >>> y = x
    >>> for _ in range(100):
    ...     y = y + y              # every step doubles the number of paths
    >>> count_paths(y, x) == 2 ** 100
    True
    """
    return _path_counts(topological_order(output), wrt).get(output, 0)


def _path_counts(order: list[Value], wrt: Value) -> dict[Value, int]:
    counts: dict[Value, int] = {wrt: 1}
    for node in order:
        if node is wrt:
            continue
        n = sum(counts.get(parent, 0) for parent in node.parents)
        if n:
            counts[node] = n
    return counts


def chain_rule(output: Value, wrt: Value, *, max_paths: int = DEFAULT_MAX_PATHS) -> ChainRule:
    """Every path from ``wrt`` to ``output`` with its local derivatives; they sum to the gradient.

    d output/d wrt = Σ over paths Π over edges (∂child/∂parent). Raises
    ``TooManyPathsError`` (a ``ValueError``) when more than ``max_paths``
    paths would be listed; ``grad()`` gives the number without listing them.

    >>> w = Value(0.5, label="w3"); x = Value(2.0, label="x")
    >>> z = w * x; z.label = "z3"
    >>> a = z.tanh(); a.label = "a3"
    >>> E = a * 1.0; E.label = "E"
    >>> print(chain_rule(E, w))
    dE/dw3 = ∂z3/∂w3 · ∂a3/∂z3 · ∂E/∂a3 = 2.0000 · 0.4200 · 1.0000 = 0.8399
    >>> y = x.tanh() * x.exp(); y.label = "y"        # two paths from x to y
    >>> print(chain_rule(y, x))
    dy/dx = ∂tanh1/∂x · ∂y/∂tanh1 = 0.0707 · 7.3891 = 0.5220
          + ∂exp1/∂x · ∂y/∂exp1   = 7.3891 · 0.9640 = 7.1233
          = 7.6453   (sum over 2 paths)
    """
    for what, v in (("output", output), ("wrt", wrt)):
        if not isinstance(v, Value):
            raise TypeError(f"chain_rule needs a Value as {what}, got {type(v).__name__}")
    order = topological_order(output)
    names = display_names(order)
    if wrt not in names:  # not part of the graph: still give it a name for the message
        names[wrt] = wrt.label or "wrt"
    counts = _path_counts(order, wrt)
    n_paths = counts.get(output, 0)
    if n_paths > max_paths:
        raise TooManyPathsError(
            f"{n_paths:,} paths lead from {names[wrt]} to {names[output]}, more than "
            f"max_paths={max_paths:,} will be listed; grad({names[output]}, "
            f"[{names[wrt]}]) gives the gradient without listing them"
        )
    paths = tuple(_enumerate_paths(output, wrt, counts, names)) if n_paths else ()
    return ChainRule(output, wrt, paths, names)


def _enumerate_paths(output: Value, wrt: Value, counts: dict[Value, int], names: dict):
    """The paths, depth-first from the output, following parents in order; no recursion."""
    # The stack holds (node, iterator over (index, parent)); `edges` is the path so far,
    # from the output down to the node on top of the stack.
    stack = [(output, iter(enumerate(output.parents)))]
    edges: list[tuple[Value, int]] = []
    while stack:
        node, parents = stack[-1]
        if node is wrt:
            yield _path(edges, wrt, names)
            stack.pop()
            if edges:
                edges.pop()
            continue
        for index, parent in parents:
            if parent in counts:  # only parents that wrt reaches lie on a path
                edges.append((node, index))
                stack.append((parent, iter(enumerate(parent.parents))))
                break
        else:
            stack.pop()
            if edges:
                edges.pop()


def _path(edges: list[tuple[Value, int]], wrt: Value, names: dict) -> ChainPath:
    up = edges[::-1]  # from wrt up to the output
    nodes = (wrt, *(child for child, _ in up))
    factors = tuple(child.local_grads[index] for child, index in up)
    return ChainPath(nodes, factors, tuple(up), names)
