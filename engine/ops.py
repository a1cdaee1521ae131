"""The table of primitives: every op scalarflow knows, declared once.

Each entry says how to compute the op (``forward``, on floats), its local
derivative with respect to each input (``derivative``), where it is defined
(``check``), and how to show it (``symbol``, ``formulas``).

A derivative rule is written with operators and with the helpers below
(``_sin``, ``_sigmoid``, ...) that work on floats *and* on Values alike, so the
one rule serves ``backward()`` (called with floats, giving numbers) and
``grad(..., create_graph=True)`` (called with Values, giving a graph that can
be differentiated again). Its arguments are ``(out, *inputs)``: the op's
result first, so rules can reuse it (exp' = out, tanh' = 1 - out²), then the
inputs in order, then the op's constant argument if it has one (the exponent
of ``x ** 2``, the slope of ``leaky_relu``).

>>> MUL.forward(3.0, 4.0), MUL.derivative(12.0, 3.0, 4.0)
(12.0, (4.0, 3.0))
>>> TANH.formulas
('1 - tanh(x)²',)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import DomainError

__all__ = ["Op", "OPS"]


@dataclass(frozen=True, slots=True)
class Op:
    """One primitive: how to compute it, differentiate it, check it and show it."""

    name: str  # a word for messages and generated node names: "mul", "tanh"
    symbol: str  # what Value.op returns and graphs show: "*", "tanh"
    forward: Callable[..., float]  # floats (then the constant, if any) -> float
    derivative: Callable[..., tuple]  # (out, *inputs[, constant]) -> ∂out/∂input, per input
    formulas: tuple[str, ...]  # each local derivative written out, for teaching
    check: Callable[..., tuple[type[Exception], str] | None] | None = None
    has_constant: bool = False  # takes a plain number besides its Value inputs

    @property
    def arity(self) -> int:
        """How many Value inputs the op takes."""
        return len(self.formulas)


# ---------------------------------------------------------------------------
# Helpers that work on floats and on Values (anything with the method).


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float))


def _sin(x):
    return math.sin(x) if _is_number(x) else x.sin()


def _cos(x):
    return math.cos(x) if _is_number(x) else x.cos()


def _sigmoid(x):
    return _sigmoid_float(x) if _is_number(x) else x.sigmoid()


def _log(x):
    return math.log(x) if _is_number(x) else x.log()


def _power(x, e):
    """x ** e for a derivative: inf (like PyTorch) where a float 0 meets a negative power."""
    if _is_number(x) and x == 0 and e < 0:
        return math.inf
    return x**e


def _reciprocal(x):
    """1 / x for a derivative: inf (like PyTorch) at a float 0, where the slope is vertical."""
    if _is_number(x) and x == 0:
        return math.inf
    return 1 / x


# ---------------------------------------------------------------------------
# Forward functions that must not overflow where the true result is finite.


def _sigmoid_float(x: float) -> float:
    # exp of a large positive number overflows, so only ever exponentiate -|x|.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus_float(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), which never overflows.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0 else slope * x


def _pow_forward(x: float, e: float) -> float:
    # math.pow raises where ** would quietly return a complex number.
    return math.pow(x, e)


# ---------------------------------------------------------------------------
# Domain checks: None where the inputs are fine, else (error class, message).
# "{0}" and "{1}" in a message stand for the inputs as describe() names them.


def _check_div(a: float, b: float):
    if b == 0:
        return ZeroDivisionError, "division by zero in {0} / {1}: the divisor must not be 0"
    return None


def _check_pow(x: float, e: float):
    if x == 0 and e < 0:
        return ZeroDivisionError, (
            "{0} ** {1}: 0 cannot be raised to a negative power (the result is infinite)"
        )
    if x < 0 and e != int(e):
        return DomainError, (
            "{0} ** {1}: a negative base needs a whole-number exponent "
            "(anything else is a complex number)"
        )
    return None


def _check_pow_variable(x: float, e: float):
    if x < 0:
        return DomainError, (
            "{0} ** {1}: with a Value as exponent the base must not be negative, because "
            "the slope with respect to the exponent, x**y · log(x), is undefined there; "
            "use a plain number as the exponent (x ** 2)"
        )
    return _check_pow(x, e)


def _check_log(x: float):
    if x <= 0:
        return DomainError, "log of {0}: log is defined for positive inputs only"
    return None


def _check_sqrt(x: float):
    if x < 0:
        return DomainError, "sqrt of {0}: sqrt is defined for inputs >= 0 only"
    return None


# ---------------------------------------------------------------------------
# The table.

ADD = Op("add", "+", lambda a, b: a + b, lambda out, a, b: (1.0, 1.0), ("1", "1"))
SUB = Op("sub", "-", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0), ("1", "-1"))
MUL = Op("mul", "*", lambda a, b: a * b, lambda out, a, b: (b, a), ("b", "a"))
DIV = Op(
    "div",
    "/",
    lambda a, b: a / b,
    lambda out, a, b: (1 / b, -out / b),  # d(a/b)/db = -a/b² = -out/b
    ("1/b", "-a/b²"),
    check=_check_div,
)
NEG = Op("neg", "neg", lambda a: -a, lambda out, a: (-1.0,), ("-1",))
POW = Op(  # x ** y with a Value exponent
    "pow",
    "**",
    _pow_forward,
    # 0 ** y has slope 0 in y (PyTorch's convention); log(0) is never taken.
    lambda out, x, y: (y * _power(x, y - 1), out * _log(x) if x > 0 else 0.0),
    ("y·x^(y-1)", "x^y·ln(x)"),
    check=_check_pow_variable,
)
POW_CONST = Op(  # x ** c with a plain-number exponent
    "pow",
    "**",
    _pow_forward,
    lambda out, x, c: (c * _power(x, c - 1) if c != 0 else 0.0,),
    ("c·x^(c-1)",),
    check=_check_pow,
    has_constant=True,
)
ABS = Op(
    "abs",
    "abs",
    abs,
    # abs'(0) = 0, as in PyTorch.
    lambda out, x: (1.0 if x > 0 else -1.0 if x < 0 else 0.0,),
    ("sign(x)",),
)
EXP = Op("exp", "exp", math.exp, lambda out, x: (out,), ("exp(x)",))
LOG = Op("log", "log", math.log, lambda out, x: (1 / x,), ("1/x",), check=_check_log)
SQRT = Op(
    "sqrt",
    "sqrt",
    math.sqrt,
    lambda out, x: (0.5 * _reciprocal(out),),
    ("1/(2·sqrt(x))",),
    check=_check_sqrt,
)
TANH = Op("tanh", "tanh", math.tanh, lambda out, x: (1 - out * out,), ("1 - tanh(x)²",))
SIGMOID = Op(
    "sigmoid",
    "sigmoid",
    _sigmoid_float,
    lambda out, x: (out * (1 - out),),
    ("σ(x)·(1 - σ(x))",),
)
RELU = Op(
    "relu",
    "relu",
    _relu,
    # relu'(0) = 0, as in PyTorch.
    lambda out, x: (1.0 if x > 0 else 0.0,),
    ("1 if x > 0 else 0",),
)
LEAKY_RELU = Op(
    "leaky_relu",
    "leaky_relu",
    _leaky_relu,
    lambda out, x, slope: (1.0 if x > 0 else slope,),
    ("1 if x > 0 else slope",),
    has_constant=True,
)
SOFTPLUS = Op(
    "softplus",
    "softplus",
    _softplus_float,
    lambda out, x: (_sigmoid(x),),
    ("σ(x)",),
)
SIN = Op("sin", "sin", math.sin, lambda out, x: (_cos(x),), ("cos(x)",))
COS = Op("cos", "cos", math.cos, lambda out, x: (-_sin(x),), ("-sin(x)",))

OPS: tuple[Op, ...] = (
    ADD, SUB, MUL, DIV, NEG, POW, POW_CONST, ABS, EXP, LOG, SQRT,
    TANH, SIGMOID, RELU, LEAKY_RELU, SOFTPLUS, SIN, COS,
)  # fmt: skip
