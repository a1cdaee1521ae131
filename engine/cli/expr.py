"""A safe parser for the command line's expressions: ``tanh(w*x + b)`` -> a graph of Values.

The text is parsed with ``ast`` and only a whitelist is accepted: numbers,
the names bound on the command line, ``+ - * / **``, unary ``-`` and ``+``,
and calls of the engine's functions. Nothing is ever evaluated by Python
(no ``eval``): each accepted node becomes a Value operation.

Every number becomes a Value *before* any arithmetic, so nothing is folded
into a constant and ``9**9**9**9`` overflows into a clear error at once
instead of computing a number with millions of digits. One exception: a
number as exponent (``x ** 2``, ``x ** -0.5``) stays a plain number, so the
graph shows ``**2`` and ``x ** 2`` works for negative ``x``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .. import ops
from ..utils.arguments import finite_float
from ..value import Value

__all__ = ["ExpressionError", "Expression", "parse", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH"]

MAX_LENGTH = 1000  # characters
MAX_DEPTH = 500  # levels of nesting; the walks are iterative, so this only bounds work


def _functions() -> dict[str, ops.Op]:
    """The ops written as a call of their name, ``exp(x)``: read from the table at each use."""
    return {op.name: op for op in ops.OPS if op.by_name}


# name -> (method of Value, how many plain numbers it takes after x): what can be called.
FUNCTIONS: dict[str, tuple[Callable[..., Value], int]] = {
    name: (getattr(Value, op.method), int(op.has_constant)) for name, op in _functions().items()
}

_BINARY = {
    ast.Add: ("+", lambda a, b: a + b),
    ast.Sub: ("-", lambda a, b: a - b),
    ast.Mult: ("*", lambda a, b: a * b),
    ast.Div: ("/", lambda a, b: a / b),
    ast.Pow: ("**", lambda a, b: a**b),
}

# What a rejected piece of syntax is called in the message.
_WHAT = {
    ast.Attribute: "an attribute (a.b)",
    ast.Subscript: "a subscript (a[i])",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.Lambda: "lambda",
    ast.IfExp: "if/else",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "* unpacking",
    ast.JoinedStr: "a string",
    ast.NamedExpr: ":=",
    ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.FloorDiv: "// (use /)",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^ (for powers use **)",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Not: "not",
    ast.Invert: "~",
}


class ExpressionError(ValueError):
    """An expression the parser does not accept; the message says what and where."""


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression: call it with Values for its names to build the graph.

    >>> e = parse("tanh(w*x + b)")
    >>> e.names
    ('w', 'x', 'b')
    >>> y = e({"w": Value(-1.0), "x": Value(0.5), "b": Value(2.0)})
    >>> round(y.data, 4)
    0.9051
    """

    text: str
    tree: ast.Expression
    names: tuple[str, ...]  # the free names, in order of first appearance

    def __call__(self, values: Mapping[str, Value]) -> Value:
        """Build the graph: one Value operation per operator and call, numbers as leaves."""
        missing = [name for name in self.names if name not in values]
        if missing:
            raise ExpressionError(f"no value given for {', '.join(missing)}")
        return _build(self.tree.body, values, self.text)


def parse(text: str) -> Expression:
    """Parse and check ``text`` against the whitelist; raise ``ExpressionError`` if it fails.

    >>> parse("x ** 2 + leaky_relu(y, 0.1)").names
    ('x', 'y')
    >>> parse("x.real")
    Traceback (most recent call last):
    ...
    engine.cli.expr.ExpressionError: an attribute (a.b) is not allowed (column 1: 'x.real')
    """
    if not isinstance(text, str):
        raise TypeError(f"parse needs a str, got {type(text).__name__}")
    try:  # a byte that is not UTF-8 arrives from the command line as a lone surrogate
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ExpressionError(f"column {error.start + 1} is not a character (not UTF-8)") from None
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed"
        )
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if "\0" in text:  # Python 3.10's parser raises ValueError for it, 3.11's SyntaxError
        raise ExpressionError(f"column {text.index(chr(0)) + 1} is a NUL character")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" (column {error.offset})" if error.offset else ""
        raise ExpressionError(f"syntax error: {error.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"the expression is nested too deeply (at most {MAX_DEPTH} levels)"
        ) from None
    text = text.strip()
    names = _check(tree.body, text)
    return Expression(text, tree, tuple(names))


def _where(node: ast.AST, text: str) -> str:
    segment = ast.get_source_segment(text, node) or ""
    if len(segment) > 30:
        segment = segment[:27] + "..."
    return f"(column {node.col_offset + 1}: {segment!r})"


def _check(root: ast.expr, text: str) -> list[str]:
    """Walk the tree (iteratively) rejecting anything off the whitelist; return the names."""
    names: dict[str, None] = {}  # ordered set
    functions = _functions()
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested too deeply (more than {MAX_DEPTH} levels)"
            )
        children: list[ast.AST] = []
        if isinstance(node, ast.Constant):
            _number(node, text)
        elif isinstance(node, ast.Name):
            if node.id in functions:
                raise ExpressionError(
                    f"{node.id} is a function: call it, as in {node.id}(x) {_where(node, text)}"
                )
            names.setdefault(node.id, None)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(f"{_describe(node.op)} is not allowed {_where(node, text)}")
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError(f"{_describe(node.op)} is not allowed {_where(node, text)}")
            children = [node.operand]
        elif isinstance(node, ast.Call):
            children = _check_call(node, text, functions)
        else:
            raise ExpressionError(f"{_describe(node)} is not allowed {_where(node, text)}")
        stack.extend((child, depth + 1) for child in reversed(children))
    return list(names)


def _check_call(node: ast.Call, text: str, functions: dict[str, ops.Op]) -> list[ast.AST]:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(
            f"only the functions {', '.join(functions)} can be called {_where(node, text)}"
        )
    name = node.func.id
    if name not in functions:
        raise ExpressionError(
            f"unknown function {name!r}: the functions are {', '.join(functions)} "
            f"{_where(node, text)}"
        )
    op = functions[name]
    if node.keywords:
        usage = f"{name}(x, {op.constant})" if op.has_constant else f"{name}(x)"
        raise ExpressionError(
            f"keyword arguments are not allowed; write {usage} {_where(node, text)}"
        )
    extra = int(op.has_constant)
    args = node.args
    if any(isinstance(a, ast.Starred) for a in args):
        raise ExpressionError(f"* unpacking is not allowed {_where(node, text)}")
    if op.arity == 2 and len(args) != 2:  # maximum(x, y)
        raise ExpressionError(f"{name} takes two arguments, got {len(args)} {_where(node, text)}")
    if not op.arity <= len(args) <= op.arity + extra:
        takes = "one argument" if not extra else "one or two arguments"
        raise ExpressionError(f"{name} takes {takes}, got {len(args)} {_where(node, text)}")
    if extra and len(args) == 2 and _literal(args[1]) is None:
        raise ExpressionError(
            f"the {op.constant} of {name} must be a plain number, as in {name}(x, 0.1) "
            f"{_where(args[1], text)}"
        )
    return args[: op.arity]  # the constant, if any, is a literal (checked above)


def _describe(node: ast.AST) -> str:
    return _WHAT.get(type(node), type(node).__name__)


def _number(node: ast.Constant, text: str) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(
            f"{value!r} is not a number; only numbers and names are allowed {_where(node, text)}"
        )
    number = finite_float(value)
    if number is None:  # 1e999 is inf; 10**400 overflows float()
        raise ExpressionError(f"the number is too large for a float {_where(node, text)}")
    return number


def _literal(node: ast.AST) -> float | None:
    """The number a literal like ``2``, ``-0.5`` or ``+3`` stands for, else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        number = finite_float(node.value)
        return None if number is None else sign * number
    return None


def _build(root: ast.expr, values: Mapping[str, Value], text: str) -> Value:
    """Evaluate the checked tree into Values, children first, with an explicit stack."""
    results: dict[int, Value] = {}  # id(ast node) -> its Value
    functions = _functions()
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results[id(node)] = Value(_number(node, text), label=_source(node, text))
            continue
        if isinstance(node, ast.Name):
            results[id(node)] = values[node.id]
            continue
        children = _operands(node)
        if not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        if isinstance(node, ast.BinOp):
            exponent = _literal(node.right) if isinstance(node.op, ast.Pow) else None
            left = results[id(node.left)]
            if exponent is not None:  # x ** 2: a plain-number exponent
                results[id(node)] = left**exponent
            else:
                results[id(node)] = _BINARY[type(node.op)][1](left, results[id(node.right)])
        elif isinstance(node, ast.UnaryOp):
            operand = results[id(node.operand)]
            results[id(node)] = -operand if isinstance(node.op, ast.USub) else operand
        else:  # a call, checked by _check_call: the op's Values, then its constant
            op = functions[node.func.id]
            x, *ys = (results[id(a)] for a in node.args[: op.arity])
            args = [_literal(a) for a in node.args[op.arity :]]
            results[id(node)] = getattr(x, op.method)(*ys, *args)
    return results[id(root)]


def _operands(node: ast.expr) -> list[ast.expr]:
    """The sub-expressions that become Values (a literal exponent or slope does not)."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _literal(node.right) is not None:
            return [node.left]
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    return node.args[: _functions()[node.func.id].arity]  # ast.Call: the op's Value inputs


def _source(node: ast.AST, text: str) -> str:
    return ast.get_source_segment(text, node) or ""
