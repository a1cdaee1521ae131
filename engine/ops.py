"""The table of primitives: every op scalarflow knows, declared once.

Each entry says how to compute the op (``forward`` on floats, ``forward_array``
on arrays), its local derivative with respect to each input (``derivative``),
where it is defined (``check``), and how to show it (``symbol``, ``formulas``).

One rule, many interpreters. A derivative rule is written with operators and
with the helpers below (``where``, ``exp``, ``log``, ``sigmoid``, ...), never
with ``if`` on data or with ``math`` directly, so the one rule serves

- ``backward()``: called with floats, it gives numbers;
- ``grad(..., create_graph=True)``: called with Values, it gives a graph that
  can be differentiated again;
- arrays (numpy, or any Array API library): one call gives the slopes of a
  whole batch; and ``engine.compile``'s tracer, which prints the rule as source.

A helper looks at its argument: a real number takes the ``math`` path, a
``Value`` its method, anything else its Array API namespace
(``x.__array_namespace__()``). A rule's arguments are ``(out, *inputs)``: the
op's result first, so rules can reuse it (exp' = out, tanh' = 1 - out²), then
the inputs in order, then the op's constant argument if it has one (the
exponent of ``x ** 2``, the slope of ``leaky_relu``).

>>> MUL.forward(3.0, 4.0), MUL.derivative(12.0, 3.0, 4.0)
(12.0, (4.0, 3.0))
>>> RELU.derivative(0.0, -2.0), RELU.derivative(3.0, 3.0)
((0.0,), (1.0,))
>>> TANH.formulas
('1 - tanh(x)²',)
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import DomainError

__all__ = [
    "Op",
    "OPS",
    "where",
    "equal",
    "power",
    "reciprocal",
    "exp",
    "log",
    "log1p",
    "sqrt",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
]


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
    # The forward on arrays, written with the helpers; by default ``forward`` itself,
    # for ops made of operators, which work on arrays as they do on floats.
    forward_array: Callable | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.forward_array is None:
            object.__setattr__(self, "forward_array", self.forward)

    @property
    def arity(self) -> int:
        """How many Value inputs the op takes."""
        return len(self.formulas)


# ---------------------------------------------------------------------------
# Helpers for rules and array forms: floats, Values and arrays alike.


def _is_real(x: object) -> bool:
    return type(x) is float or isinstance(x, numbers.Real)


def _is_value(x: object) -> bool:
    from .value import Value  # value.py imports this module, so the import is lazy

    return isinstance(x, Value)


def _namespace(x: object):
    """The Array API namespace of an array (or of anything that provides one, like a tracer)."""
    try:
        return x.__array_namespace__()
    except AttributeError:
        pass
    try:
        from array_api_compat import array_namespace
    except ImportError:
        raise TypeError(
            f"the ops work on real numbers, Values and arrays; {type(x).__name__} has no "
            "__array_namespace__ (for arrays of such a library, install array-api-compat: "
            "pip install 'scalarflow[compile]')"
        ) from None
    return array_namespace(x)


def _dispatch(x, on_number: Callable, name: str):
    """``name`` of ``x``: ``on_number`` for a number, the Value's method, else ``xp.name``."""
    if _is_real(x):
        return on_number(x)
    if _is_value(x):
        return getattr(x, name)()
    return getattr(_namespace(x), name)(x)


def _is_scalar_bool(cond: object) -> bool:
    """True for a bool, including numpy's bool scalar (what a numpy float comparison gives)."""
    kind = type(cond)
    return kind is bool or (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"))


def where(cond, a, b):
    """``a`` where ``cond`` holds, else ``b``: a rule's ``a if cond else b``, for arrays too.

    Both branches are computed before one is chosen (as in every array
    library), so each must be safe to compute where it is not chosen.

    >>> where(2.0 > 0, 1.0, 0.0), where(-2.0 > 0, 1.0, 0.0)
    (1.0, 0.0)
    """
    if _is_scalar_bool(cond):
        return a if cond else b
    xp = _namespace(cond)
    if _is_real(a) and _is_real(b):  # the standard wants at least one array among a, b
        a = xp.asarray(float(a))
    return xp.where(cond, a, b)


def equal(a, b):
    """``a == b`` on data (a Value's ``==`` is identity, as a graph node's must be)."""
    if type(a) is not float and _is_value(a):
        return a.data == b
    return a == b


def power(x, e):
    """``x ** e``; on floats ±inf where the result is beyond the float range or 0 meets a
    negative power (as PyTorch), instead of Python's OverflowError or ZeroDivisionError.

    >>> power(1e-200, -2.0), power(0.0, -1.0), power(2.0, 3.0)
    (inf, inf, 8.0)
    """
    if _is_real(x) and _is_real(e):
        try:
            return float(x) ** e
        except ZeroDivisionError:
            return math.inf
        except OverflowError:
            negative = x < 0 and e % 2 == 1  # an odd whole power keeps the sign
            return -math.inf if negative else math.inf
    return x**e


def reciprocal(x):
    """``1 / x``; on floats ±inf at 0 (IEEE, as PyTorch) instead of ZeroDivisionError."""
    if _is_real(x):
        try:
            return 1.0 / x
        except ZeroDivisionError:
            return math.copysign(math.inf, x)
    return 1 / x


def exp(x):
    """e ** x."""
    return math.exp(x) if type(x) is float else _dispatch(x, math.exp, "exp")


def log(x):
    """The natural logarithm."""
    return math.log(x) if type(x) is float else _dispatch(x, math.log, "log")


def log1p(x):
    """log(1 + x), accurate for tiny x."""
    return math.log1p(x) if type(x) is float else _dispatch(x, math.log1p, "log1p")


def sqrt(x):
    """The square root."""
    return math.sqrt(x) if type(x) is float else _dispatch(x, math.sqrt, "sqrt")


def sin(x):
    """The sine (radians)."""
    return math.sin(x) if type(x) is float else _dispatch(x, math.sin, "sin")


def cos(x):
    """The cosine (radians)."""
    return math.cos(x) if type(x) is float else _dispatch(x, math.cos, "cos")


def tanh(x):
    """The hyperbolic tangent."""
    return _tanh_float(x) if type(x) is float else _dispatch(x, _tanh_float, "tanh")


def sigmoid(x):
    """1 / (1 + e^-x), without overflow for any x.

    >>> sigmoid(0.0), sigmoid(-1000.0)
    (0.5, 0.0)
    """
    if _is_real(x):
        return _sigmoid_float(x)
    if _is_value(x):
        return x.sigmoid()
    e = exp(-abs(x))  # in (0, 1]: never overflows
    return where(x >= 0, 1 / (1 + e), e / (1 + e))


# ---------------------------------------------------------------------------
# Forward functions on floats: fast, and never overflowing where the result is finite.


def _sigmoid_float(x: float) -> float:
    # exp of a large positive number overflows, so only ever exponentiate -|x|.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus_float(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), which never overflows.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _softplus_array(x):
    return where(x > 0, x, 0.0) + log1p(exp(-abs(x)))


_tanh_float = math.tanh


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0 else slope * x


def _pow_forward(x: float, e: float) -> float:
    # math.pow raises where ** would quietly return a complex number.
    return math.pow(x, e)


# ---------------------------------------------------------------------------
# Derivatives of the powers.

_SMALLEST = sys.float_info.min  # the smallest normal float: 1 / x overflows below it


def _pow_slope(x, e):
    """∂(x ** e)/∂x = e · x^(e-1), which is 0 where e = 0 (as PyTorch's pow_backward).

    At e = 0 and x = 0 (or x so small that 1/x overflows) the product would be
    0 · inf, so the base is taken as 1 there; everywhere else it is the formula
    itself, so second derivatives through it stay right.
    """
    e_is_0_at_0 = equal(e, 0.0) & (x < _SMALLEST) & (x > -_SMALLEST)
    return e * power(where(e_is_0_at_0, 1.0, x), e - 1)


def _pow_slope_in_exponent(out, x):
    """∂(x ** y)/∂y = x^y · ln(x), taken as 0 at x = 0 (PyTorch's pow_backward_exponent)."""
    at_0 = x <= 0  # a negative base is outside the domain; log is never taken of 0
    return where(at_0, 0.0, out * log(where(at_0, 1.0, x)))


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
    lambda out, x, y: (_pow_slope(x, y), _pow_slope_in_exponent(out, x)),
    ("y·x^(y-1)", "x^y·ln(x)"),
    check=_check_pow_variable,
    forward_array=lambda x, y: x**y,
)
POW_CONST = Op(  # x ** c with a plain-number exponent
    "pow",
    "**",
    _pow_forward,
    lambda out, x, c: (_pow_slope(x, c),),
    ("c·x^(c-1)",),
    check=_check_pow,
    has_constant=True,
    forward_array=lambda x, c: x**c,
)
ABS = Op(
    "abs",
    "abs",
    abs,
    # abs'(0) = 0, as in PyTorch.
    lambda out, x: (where(x > 0, 1.0, where(x < 0, -1.0, 0.0)),),
    ("sign(x)",),
)
EXP = Op("exp", "exp", math.exp, lambda out, x: (out,), ("exp(x)",), forward_array=exp)
LOG = Op(
    "log",
    "log",
    math.log,
    lambda out, x: (1 / x,),
    ("1/x",),
    check=_check_log,
    forward_array=log,
)
SQRT = Op(
    "sqrt",
    "sqrt",
    math.sqrt,
    lambda out, x: (0.5 * reciprocal(out),),  # inf at 0, where the slope is vertical
    ("1/(2·sqrt(x))",),
    check=_check_sqrt,
    forward_array=sqrt,
)
TANH = Op(
    "tanh",
    "tanh",
    _tanh_float,
    lambda out, x: (1 - out * out,),
    ("1 - tanh(x)²",),
    forward_array=tanh,
)
SIGMOID = Op(
    "sigmoid",
    "sigmoid",
    _sigmoid_float,
    lambda out, x: (out * (1 - out),),
    ("σ(x)·(1 - σ(x))",),
    forward_array=sigmoid,
)
RELU = Op(
    "relu",
    "relu",
    _relu,
    # relu'(0) = 0, as in PyTorch.
    lambda out, x: (where(x > 0, 1.0, 0.0),),
    ("1 if x > 0 else 0",),
    forward_array=lambda x: where(x > 0, x, 0.0),
)
LEAKY_RELU = Op(
    "leaky_relu",
    "leaky_relu",
    _leaky_relu,
    lambda out, x, slope: (where(x > 0, 1.0, slope),),
    ("1 if x > 0 else slope",),
    has_constant=True,
    forward_array=lambda x, slope: where(x > 0, x, slope * x),
)
SOFTPLUS = Op(
    "softplus",
    "softplus",
    _softplus_float,
    lambda out, x: (sigmoid(x),),
    ("σ(x)",),
    forward_array=_softplus_array,
)
SIN = Op("sin", "sin", math.sin, lambda out, x: (cos(x),), ("cos(x)",), forward_array=sin)
COS = Op("cos", "cos", math.cos, lambda out, x: (-sin(x),), ("-sin(x)",), forward_array=cos)

OPS: tuple[Op, ...] = (
    ADD, SUB, MUL, DIV, NEG, POW, POW_CONST, ABS, EXP, LOG, SQRT,
    TANH, SIGMOID, RELU, LEAKY_RELU, SOFTPLUS, SIN, COS,
)  # fmt: skip
