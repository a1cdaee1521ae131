"""Symbols that print source: the op table's rules run on them and write code.

A ``Symbol`` stands for a variable of generated code. Arithmetic on symbols
builds the text of the expression instead of a number, and
``symbol.__array_namespace__()`` is a namespace whose functions (``exp``,
``where``, ``maximum``, ...) do the same, so the *same* rule that computes
floats, Values and arrays writes the line of code that computes it (as a JAX
rule runs on tracers):

>>> from engine import ops
>>> x, out = array_symbol("x"), array_symbol("out")
>>> ops.TANH.derivative(out, x)[0]
Symbol('1.0 - out * out')
>>> python_symbol("a") * python_symbol("b") + 1
Symbol('a * b + 1.0')

Two dialects: ``array_symbol`` writes Array API calls on ``xp`` (numpy, or
any other namespace the batch lives in); ``python_symbol`` writes float code
(``a if c else b``, the table's float forwards by name).
"""

from __future__ import annotations

import math

__all__ = ["Symbol", "array_symbol", "python_symbol", "text", "is_symbol", "FLOAT_FUNCTIONS"]

# Operator precedence, loosest first, as Python parses it.
_ADD, _MUL, _UNARY, _POW, _ATOM = 1, 2, 3, 4, 5


def _literal(x: object) -> str:
    if isinstance(x, bool):
        return repr(x)
    x = float(x)
    if math.isfinite(x):
        return repr(x)
    return f"float({repr(x)!r})"  # inf and nan have no literal: float('inf'), float('nan')


def text(x: object) -> str:
    """The source for a symbol or a plain number."""
    return x.text if isinstance(x, Symbol) else _literal(x)


def _level(x: object) -> int:
    if isinstance(x, Symbol):
        return x.level
    return _UNARY if float(x) < 0 or math.isinf(float(x)) else _ATOM


def _wrap(x: object, level: int) -> str:
    s = text(x)
    return f"({s})" if _level(x) < level else s


def is_symbol(x: object) -> bool:
    return isinstance(x, Symbol)


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _in_namespace(name: str):
    """A Symbol method for an elementwise function: the namespace writes the call."""

    def method(self):
        return getattr(self.namespace, name)(self)

    method.__name__ = name
    return method


class Symbol:
    """A variable or expression of generated code; arithmetic on it writes source."""

    __slots__ = ("text", "level", "namespace")

    def __init__(self, text: str, namespace: _Namespace, level: int = _ATOM) -> None:
        self.text = text
        self.level = level
        self.namespace = namespace

    def __repr__(self) -> str:
        return f"Symbol({self.text!r})"

    def __array_namespace__(self, api_version: str | None = None) -> _Namespace:
        return self.namespace

    def _new(self, source: str, level: int) -> Symbol:
        return Symbol(source, self.namespace, level)

    # -- arithmetic -----------------------------------------------------------

    def _binary(self, a, b, symbol: str, level: int) -> Symbol:
        # Left-associative: the right operand needs parentheses at equal precedence.
        return self._new(f"{_wrap(a, level)} {symbol} {_wrap(b, level + 1)}", level)

    def __add__(self, other):
        return self._binary(self, other, "+", _ADD)

    def __radd__(self, other):
        return self._binary(other, self, "+", _ADD)

    def __sub__(self, other):
        return self._binary(self, other, "-", _ADD)

    def __rsub__(self, other):
        return self._binary(other, self, "-", _ADD)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __truediv__(self, other):
        return self._binary(self, other, "/", _MUL)

    def __rtruediv__(self, other):
        return self._binary(other, self, "/", _MUL)

    def __pow__(self, other):
        # ** binds right to left, and tighter than a unary minus on its left.
        return self._new(f"{_wrap(self, _POW + 1)} ** {_wrap(other, _UNARY)}", _POW)

    def __rpow__(self, other):
        return self._new(f"{_wrap(other, _POW + 1)} ** {_wrap(self, _UNARY)}", _POW)

    def __neg__(self):
        return self._new(f"-{_wrap(self, _UNARY)}", _UNARY)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.namespace.abs(self)

    # -- comparisons write a condition; a branch on one is refused ------------

    def _compare(self, other, symbol: str) -> Symbol:
        return self._new(f"{_wrap(self, _ADD)} {symbol} {_wrap(other, _ADD)}", 0)

    def __gt__(self, other):
        return self._compare(other, ">")

    def __lt__(self, other):
        return self._compare(other, "<")

    def __ge__(self, other):
        return self._compare(other, ">=")

    def __le__(self, other):
        return self._compare(other, "<=")

    def __eq__(self, other):  # noqa: D105 - a rule's equal(a, b) on data
        return self._compare(other, "==")

    def __ne__(self, other):
        return self._compare(other, "!=")

    # Conditions combine with & | ~ as on arrays; a plain bool on one side folds away.
    def __and__(self, other):
        if isinstance(other, bool):
            return self if other else False
        return self._new(f"({self.text}) & ({text(other)})", _ATOM)

    __rand__ = __and__  # b & a is a & b

    def __or__(self, other):
        if isinstance(other, bool):
            return True if other else self
        return self._new(f"({self.text}) | ({text(other)})", _ATOM)

    __ror__ = __or__  # b | a is a | b

    def __invert__(self):
        return self._new(f"~({self.text})", _ATOM)

    def __bool__(self):
        raise TypeError(
            f"a rule branched on data ({self.text}): rules must use where(...), "
            f"not 'if', to run on arrays and write source"
        )

    __hash__ = object.__hash__

    # -- the methods the table's helpers call on anything that is not a float --

    exp, log, sqrt, tanh, sin, cos, sigmoid = (
        _in_namespace(name) for name in ("exp", "log", "sqrt", "tanh", "sin", "cos", "sigmoid")
    )


def multiply(a, b):
    """``a * b``, writing ``x`` for ``1.0 * x`` and ``-x`` for ``-1.0 * x`` (both exact)."""
    if _is_number(a) and _is_number(b):
        return a * b
    for one, other in ((a, b), (b, a)):
        if _is_number(one) and one == 1:
            return other
        if _is_number(one) and one == -1:
            return -other
    sym = a if isinstance(a, Symbol) else b
    return sym._binary(a, b, "*", _MUL)


class _Namespace:
    """Functions on symbols: each writes a call."""

    def __init__(self, prefix: str, renames: dict[str, str]) -> None:
        self._prefix = prefix
        self._renames = renames

    def _call(self, name: str, *args) -> Symbol:
        function = self._renames.get(name, f"{self._prefix}{name}")
        sym = next(a for a in args if isinstance(a, Symbol))
        return sym._new(f"{function}({', '.join(map(text, args))})", _ATOM)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self._call(name, *args)


class _ArrayNamespace(_Namespace):
    """Array API calls on ``xp``."""

    def where(self, condition, a, b):
        if not isinstance(a, Symbol) and not isinstance(b, Symbol):
            # The Array API allows at most one Python scalar among where's branches.
            a = Symbol(f"xp.asarray({_literal(a)})", self, _ATOM)
        return self._call("where", condition, a, b)

    def asarray(self, x, **kwargs):
        return x if isinstance(x, Symbol) else Symbol(f"xp.asarray({_literal(x)})", self, _ATOM)

    def sigmoid(self, x):  # not an Array API function: the table's forward, by name
        return Symbol(f"sigmoid({text(x)})", self, _ATOM)


class _PythonNamespace(_Namespace):
    """Float code: math functions, ``a if c else b``."""

    def where(self, condition, a, b):
        sym = next(s for s in (condition, a, b) if isinstance(s, Symbol))
        return sym._new(f"({text(a)} if {text(condition)} else {text(b)})", _ATOM)

    def sign(self, x):
        return self._call("copysign_or_zero", x)

    def asarray(self, x, **kwargs):  # a float is already what float code needs
        return x


#: What the float dialect calls the Array API's functions.
FLOAT_FUNCTIONS = {
    "exp": "math.exp",
    "log": "math.log",
    "log1p": "math.log1p",
    "expm1": "math.expm1",
    "sqrt": "math.sqrt",
    "sin": "math.sin",
    "cos": "math.cos",
    "tan": "math.tan",
    "tanh": "math.tanh",
    "abs": "abs",
    "maximum": "max",
    "minimum": "min",
    "pow": "math.pow",
    "copysign_or_zero": "sign",
    "sigmoid": "sigmoid",
}

ARRAY = _ArrayNamespace("xp.", {})
PYTHON = _PythonNamespace("math.", FLOAT_FUNCTIONS)


def array_symbol(name: str) -> Symbol:
    """A variable of generated array code."""
    return Symbol(name, ARRAY)


def python_symbol(name: str) -> Symbol:
    """A variable of generated float code."""
    return Symbol(name, PYTHON)
