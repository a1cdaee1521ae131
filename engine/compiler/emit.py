"""Emitting: what both code writers share — the rules run on symbols, lines, comments, gradients.

Every line of generated code comes from the op table: the forward and the local
derivatives are the table's rules run on ``Symbol``s (see ``engine.compiler.symbols``),
and a backward line's comment is the rule's formula in the generated code's own
names, as google/tangent writes its adjoints::

    g4 = (1.0 - v5 * v5) * g5  # ∂v5/∂v4 = 1 - tanh(v4)²

Two writers: ``emit_array.array_source`` (code over whole batches, layers as matrix
products) and ``emit_float.float_source`` (float code, one example at a time, the
chain rule one edge per line).

A line's comment (the op, the rule, the node's label) is for people: ``Source.text``
has it, ``Source.code``, what Python compiles, has the same lines without it. No
label, which may come from data (a column name read from a file), ever reaches
code Python reads; in ``text`` it is shown on one line, escaped where not printable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import ops
from ..naming import printable
from .symbols import ARRAY, Symbol, text
from .trace import Constant, Graph, State

__all__ = ["Source", "forward_rule", "derivative_rule", "derivative_comment", "needs_gradient"]


@dataclass
class Source:
    """Generated code and what running it needs."""

    text: str  # what people read: every line with its comment
    code: str = ""  # what Python compiles: the same lines, without their comments
    slots: list[int] = field(default_factory=list)  # per gradient: its parameter (state index)
    layout: list[int] = field(default_factory=list)  # array code: theta[k] is state[layout[k]]
    indices: dict[str, list[int]] = field(default_factory=dict)  # name -> index list (gathers)
    offsets: dict[str, list[float]] = field(default_factory=dict)  # name -> constant vector
    functions: dict[str, Callable] = field(default_factory=dict)  # float forwards called by name
    descriptions: list[str] = field(default_factory=list)  # anomaly check k is about this value


# ---------------------------------------------------------------------------
# The rules, run on symbols.


def forward_rule(op: ops.Op, args: list, dialect) -> object:
    """The op's forward on symbols: its array form; for float code the fast float forward,
    or None where that cannot write source (``math.exp``): then the code calls it by name."""
    if dialect is ARRAY:
        return op.forward_array(*args)
    try:
        return op.forward(*args)
    except TypeError:
        return None


def derivative_rule(op: ops.Op, out, args: list) -> tuple:
    """The op's local derivatives on symbols: the table's rule, run on them."""
    return tuple(op.derivative(out, *args))


# The letters the table's formulas use for an op's inputs: x and a the first, y and b the
# second ("1/b", "y·x^(y-1)"); c, or the constant's own name, its constant.
_PLACEHOLDER = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?![\w(])")


def derivative_comment(op: ops.Op, k: int, out: str, args: list[str]) -> str:
    """``∂out/∂arg = formula``, the table's formula for input ``k`` in the code's own names.

    >>> derivative_comment(ops.MUL, 0, "v3", ["p0", "x"])
    '∂v3/∂p0 = x'
    >>> derivative_comment(ops.TANH, 0, "h1", ["z1"])
    '∂h1/∂z1 = 1 - tanh(z1)²'
    """
    names = {"x": args[0], "a": args[0]}
    if op.arity == 2:
        names.update(y=args[1], b=args[1])
    if op.has_constant:
        names.update({"c": args[-1], op.constant: args[-1]})
    formula = _PLACEHOLDER.sub(lambda m: names.get(m.group(), m.group()), op.formulas[k])
    return f"∂{out}/∂{args[k]} = {formula}"


# ---------------------------------------------------------------------------
# Writing lines.


class _Line(str):
    """A line of generated code as people read it (with its comment); ``.code`` without."""

    code: str


def _line(code: str, comment: str = "") -> str:
    if not comment:
        return code
    line = _Line(f"{code}  # {comment}")
    line.code = code
    return line


def relined(line: str, code: str) -> str:
    """``line`` as people read it, running ``code`` instead of its own code."""
    new = _Line(str(line))
    new.code = code
    return new


def text_and_code(lines: list[str]) -> tuple[str, str]:
    """The lines as (text with comments, code without them): the same lines, one for one."""
    return "\n".join(lines) + "\n", "\n".join(getattr(x, "code", x) for x in lines) + "\n"


class Writer:
    """Lines of code at one indentation."""

    def __init__(self, indent: str = "    ") -> None:
        self.lines: list[str] = []
        self.indent = indent

    def line(self, code: str, comment: str = "") -> None:
        self.lines.append(_line(self.indent + code, comment))

    def blank(self) -> None:
        self.lines.append("")


def label(node) -> str:
    """A node's label for a comment (never for code), with a space before it."""
    return f" {printable(node.label)}" if node.label else ""


def needs_gradient(graph: Graph) -> list[bool]:
    """Per node: does a parameter lie upstream (so its gradient is wanted)?"""
    needs: list[bool] = []
    for node in graph.nodes:
        needs.append(isinstance(node, State) or any(needs[p] for p in node.parents))
    return needs


def header(graph: Graph, namespace: str = "") -> str:
    """``def run(xp, theta, x, y, n, scale, require_finite):`` — the function's first line.

    ``require_finite(value, k)`` is what array code calls under ``detect_anomaly=True``
    (None otherwise; float code calls ``fail`` instead)."""
    args = "".join(f"{a}, " for a in graph.arg_names)
    return f"def run({namespace}theta, {args}n, scale, require_finite):"


class Code:
    """What both writers share: the graph, the rules, and a node's arguments as symbols."""

    symbol: Callable[[str], Symbol]  # the dialect's symbol: array_symbol or python_symbol
    dialect: object  # the dialect's namespace: ARRAY or PYTHON

    def __init__(self, graph: Graph, rules: Mapping, detect_anomaly: bool) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.rules = rules
        self.detect_anomaly = detect_anomaly
        self.needs = needs_gradient(graph)  # per node: is a gradient wanted

    def function(self, lines: list[str], namespace: str = "") -> tuple[str, str]:
        """The lines as the body of ``run``: (text with comments, code without them)."""
        return text_and_code([header(self.graph, namespace), *lines])

    def name(self, i: int) -> str:
        """Node ``i`` as the code writes it."""
        raise NotImplementedError

    def sym(self, i: int) -> Symbol | float:
        """Node ``i`` as a rule's argument: a constant's number, else a symbol of its name."""
        node = self.nodes[i]
        return node.data if isinstance(node, Constant) else self.symbol(self.name(i))

    def arguments(self, node) -> list:
        """A node's rule arguments: its parents' symbols, then its constant if any."""
        parents = [self.sym(p) for p in node.parents]
        return parents if node.constant is None else [*parents, node.constant]

    def rule(self, op: ops.Op) -> ops.Op:
        """The op that runs: the table's, or its replacement in ``rules``."""
        return self.rules.get(op, op)

    def forward_of(self, op: ops.Op, args: list):
        """The op's forward on ``args`` in this dialect (None: the float code calls it)."""
        return forward_rule(self.rule(op), args, self.dialect)

    def derivatives_of(self, op: ops.Op, out: str, args: list) -> tuple:
        """The op's local derivatives, its result named ``out``."""
        return derivative_rule(self.rule(op), self.symbol(out), args)

    def comment(self, i: int, k: int) -> str:
        """The comment of the line that passes node ``i``'s gradient to its input ``k``."""
        node = self.nodes[i]
        return derivative_comment(node.op, k, f"v{i}", [text(a) for a in self.arguments(node)])
