"""The table of primitives: every op scalarflow knows, declared once.

Each entry says how to compute the op (``forward`` on floats, ``forward_array``
on arrays), its local derivative with respect to each input (``derivative``),
where it is defined (``domain``, as data), and how it is written and shown
(``syntax``, ``symbol``, ``glyph``, ``formulas``). This is the only list of ops:
``Value`` takes its methods from it (``method``; ``engine.value.register``), and the
parser (``engine.cli.expr``), the property-test strategies (``engine.strategies``) and
the drawing (``engine.views.graph``) read it, so adding an op is one entry here.

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
>>> LOG.outside_domain(-1.0)[1]
'log of {0}: log is defined for positive inputs only'
"""

from __future__ import annotations

import math
import numbers
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import DomainError

__all__ = [
    "Op",
    "Excluded",
    "OPS",
    "where",
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
    "maximum",
]


@dataclass(frozen=True, slots=True)
class Excluded:
    """Where an op is undefined: argument ``at`` (0 is x; 1 is y, or the constant) is ``where``.

    ``where`` is "< 0", "<= 0", "== 0" or "±inf"; ``when``, if given, restricts
    the exclusion to where another argument is so, e.g. ``(1, "< 0")``: only for
    negative exponents. NaN is never excluded: it passes through, as in PyTorch.
    """

    at: int
    where: str
    error: type[Exception]
    message: str  # "{0}" and "{1}" stand for the arguments as errors.describe() names them
    when: tuple[int, str] | None = None

    def applies(self, args: tuple) -> bool:
        """False only where ``when`` is given and fails for ``args`` (None: not known yet)."""
        if self.when is None:
            return True
        at, condition = self.when
        compare, bound = _TESTS[condition]
        return args[at] is None or compare(args[at], bound)


# What each word of a domain means, as (comparison, bound): outside_domain runs for every node;
# a comparison from the operator module is one C call.
_TESTS = {
    "< 0": (operator.lt, 0.0),
    "<= 0": (operator.le, 0.0),
    "== 0": (operator.eq, 0.0),
    "±inf": (lambda v, _: math.isinf(v), None),
    "fractional": (lambda v, _: math.isfinite(v) and not float(v).is_integer(), None),
}


@dataclass(frozen=True, slots=True)
class Op:
    """One primitive: how to compute it, differentiate it, where it is defined, how it reads.

    Everything else that needs to know the ops reads this table: the parser
    offers each op whose ``syntax`` is a call of its name, the strategies draw
    points inside each ``domain`` and away from each kink, the drawing shows
    each ``glyph``, and ``outside_domain`` is derived from the domain.
    """

    name: str  # unique; messages, generated node names ("mul1"), the parser's function names
    symbol: str  # what Value.op returns and graphs show: "*", "tanh"
    arity: int  # how many Value inputs
    forward: Callable[..., float]  # floats (then the constant, if any) -> float
    derivative: Callable[..., tuple]  # (out, *inputs[, constant]) -> ∂out/∂input, per input
    formulas: tuple[str, ...]  # each local derivative written out, for teaching
    syntax: str  # how it is written, {0} {1} its arguments: "{0} + {1}", "leaky_relu({0}, {1})"
    method: str  # the Value method that applies it: "__add__", "exp"
    domain: tuple[Excluded, ...] = ()
    # Where its slope jumps: values of x (relu: 0), or for a binary op of x - y (maximum: 0,
    # where x = y).
    kinks: tuple[float, ...] = ()
    constant: str | None = None  # what its plain-number argument is called, if it takes one
    # How a drawn graph shows it, "{0}" standing for its constant: the signs of school maths
    # ("×", "÷"); by default its symbol, followed by "({0})" if it takes a constant.
    glyph: str = ""
    # The forward on arrays, written with the helpers; by default ``forward`` itself,
    # for ops made of operators, which work on arrays as they do on floats.
    forward_array: Callable | None = field(default=None, compare=False)
    default: float | None = None  # the constant when a method call leaves it out (slope)
    # Where it is defined, as a test of its inputs' data, for an op whose domain is not
    # written as ``domain`` (one made by ``engine.define_op``): False is outside.
    defined: Callable[..., bool] | None = field(default=None, compare=False)
    # None where the inputs are inside the domain, else (error class, message); derived
    # from ``domain``, and None for an op defined everywhere.
    outside_domain: Callable[..., tuple[type[Exception], str] | None] | None = field(
        init=False, compare=False
    )

    def __post_init__(self) -> None:
        assert len(self.formulas) == self.arity, f"{self.name}: one formula per input"
        if self.forward_array is None:
            object.__setattr__(self, "forward_array", self.forward)
        if not self.glyph:
            glyph = f"{self.symbol}({{0}})" if self.has_constant else self.symbol
            object.__setattr__(self, "glyph", glyph)
        object.__setattr__(self, "outside_domain", _outside(self))

    @property
    def has_constant(self) -> bool:
        """True if the op takes a plain number besides its Value inputs (the 2 of ``x ** 2``)."""
        return self.constant is not None

    @property
    def by_name(self) -> bool:
        """True if it is written as a call of its name, ``exp(x)``: the command line offers it."""
        return self.syntax.startswith(f"{self.name}(")


def _outside(op: Op) -> Callable | None:
    """``outside_domain`` for ``op``: runs for every node, so each test is looked up once."""
    if op.defined is not None:  # NaN passes, as it does through the table's ops
        defined, inputs = op.defined, " and ".join(f"{{{i}}}" for i in range(op.arity))
        problem = (DomainError, f"{op.name} of {inputs}: outside the domain given for {op.name}")
        return lambda *args: None if defined(*args) or any(map(math.isnan, args)) else problem
    if not op.domain:
        return None
    tests = [(*_TESTS[e.where], e.at, e, (e.error, e.message)) for e in op.domain]

    def outside_domain(*args):
        for compare, bound, at, excluded, problem in tests:
            if compare(args[at], bound) and excluded.applies(args):
                return problem
        return None

    return outside_domain


# ---------------------------------------------------------------------------
# Helpers for rules and array forms: floats, Values and arrays alike.


def _is_real(x: object) -> bool:
    return type(x) is float or isinstance(x, numbers.Real)


def _is_value(x: object) -> bool:
    """A Value, known by the protocol the walks read (value.py imports this module, not back)."""
    return hasattr(type(x), "local_grads")


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
    if cond is True:
        return a
    if cond is False or _is_scalar_bool(cond):
        return a if cond else b
    xp = _namespace(cond)
    if _is_real(a) and _is_real(b):  # the standard wants at least one array among a, b
        a = xp.asarray(float(a))
    return xp.where(cond, a, b)


def power(x, e):
    """``x ** e``; on floats ±inf where the result is beyond the float range or 0 meets a
    negative power (as PyTorch), instead of Python's OverflowError or ZeroDivisionError.

    >>> power(1e-200, -2.0), power(0.0, -1.0), power(2.0, 3.0)
    (inf, inf, 8.0)
    """
    if (type(x) is float or _is_real(x)) and (type(e) is float or _is_real(e)):
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


def _elementwise(name: str, on_float: Callable[[float], float], doc: str) -> Callable:
    """A helper for rules: ``on_float`` of a float, else the Value's or array library's ``name``."""

    def helper(x):
        return on_float(x) if type(x) is float else _dispatch(x, on_float, name)

    helper.__name__ = helper.__qualname__ = name
    helper.__doc__ = doc
    return helper


exp = _elementwise("exp", math.exp, "e ** x.")
log = _elementwise("log", math.log, "The natural logarithm.")
log1p = _elementwise("log1p", math.log1p, "log(1 + x), accurate for tiny x.")
sqrt = _elementwise("sqrt", math.sqrt, "The square root.")
sin = _elementwise("sin", math.sin, "The sine (radians).")
cos = _elementwise("cos", math.cos, "The cosine (radians).")


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


def maximum(a, b):
    """The larger of ``a`` and ``b``, NaN if either is NaN (as ``torch.maximum``).

    >>> maximum(2.0, -1.0), maximum(0.5, math.nan)
    (2.0, nan)
    """
    if _is_real(a) and _is_real(b):
        return _maximum_float(a, b)
    if _is_value(a):
        return a.maximum(b)
    if _is_value(b):  # a number first: as a constant Value, so that it stays the first input
        return type(b)(a).maximum(b)
    xp = _namespace(b if _is_real(a) else a)
    # Array API functions take arrays: a plain-number operand becomes a 0-d array.
    return xp.maximum(xp.asarray(a) if _is_real(a) else a, xp.asarray(b) if _is_real(b) else b)


# ---------------------------------------------------------------------------
# Forward functions on floats: fast, and never overflowing where the result is finite.


def _maximum_float(a: float, b: float) -> float:
    # Neither >= nor > holds when either is NaN: then a + b is NaN, as torch.maximum gives.
    return a if a >= b else (b if b > a else a + b)


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


# tanh, correctly rounded more often than math.tanh (benchmarks/tanh_rounding.py measures
# both): near 0 its Taylor series, elsewhere t / (t + 2) with t = expm1(2|x|), the rounding
# errors of the sum and of the quotient computed exactly and added back.

_TANH_SERIES = (  # tanh x = x + x³ (c₀ + c₁x² + c₂x⁴ + ...), cₖ = 2²ⁿ(2²ⁿ - 1)·B₂ₙ/(2n)!, n = k+2
    -0.3333333333333333, 0.13333333333333333, -0.05396825396825397, 0.021869488536155203,
    -0.008863235529902197, 0.003592128036572481, -0.0014558343870513183, 0.000590027440945586,
    -0.00023912911424355248, 9.691537956929451e-05, -3.927832388331683e-05,
    1.5918905069328964e-05, -6.451689215655431e-06, 2.6147711512907546e-06,
)  # fmt: skip
_TANH_HORNER = _TANH_SERIES[::-1]
_SPLIT = 2.0**27 + 1.0  # Dekker's constant: splits a float into two 26-bit halves


def _two_product(a: float, b: float) -> tuple[float, float]:
    """(p, e) with p = fl(a · b) and p + e = a · b exactly (Dekker)."""
    p = a * b
    c = _SPLIT * a
    a_hi = c - (c - a)
    a_lo = a - a_hi
    c = _SPLIT * b
    b_hi = c - (c - b)
    b_lo = b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _tanh_float(x: float) -> float:
    a = abs(x)
    if a < 0.45:  # the series converges fast, and x + x³·p is exact but for its last rounding
        z = a * a
        p = 0.0
        for c in _TANH_HORNER:
            p = p * z + c
        y = a + a * z * p
    elif a < 20.0:  # beyond 19.06, tanh rounds to 1
        t = math.expm1(2.0 * a)
        s = t + 2.0
        s_err = (2.0 - s) + t if t <= 2.0 else (t - s) + 2.0  # s + s_err = t + 2 exactly
        q = t / s
        qs, qs_err = _two_product(q, s)  # qs + qs_err = q · s exactly
        y = q + ((t - qs) - qs_err - q * s_err) / s  # q + (t - q·(t + 2)) / (t + 2)
    elif a >= 20.0:
        y = 1.0
    else:
        return x  # NaN
    return math.copysign(y, x)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # NaN is not <= 0, so it passes through, as in PyTorch


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

    Where e = 0 and x is 0, NaN or so small that 1/x overflows, e · x^(e-1)
    would be 0 · inf or 0 · NaN, so the base is taken as 1 there; everywhere
    else the formula is used as it stands, so second derivatives through it
    stay right.
    """
    as_is = (e > 0) | (e < 0) | (x >= _SMALLEST) | (x <= -_SMALLEST)
    return e * power(where(as_is, x, 1.0), e - 1)


def _pow_slope_in_exponent(out, x, y):
    """∂(x ** y)/∂y = x^y · ln(x), which is 0 at x = 0, y >= 0 (PyTorch's pow_backward_exponent)."""
    # A negative base is outside the domain; log is never taken of 0 or less.
    return where((x <= 0) & (y >= 0), 0.0, out * log(where(x > 0, x, 1.0)))


# ---------------------------------------------------------------------------
# The table.

_NEGATIVE_POWER_OF_0 = Excluded(
    0,
    "== 0",
    ZeroDivisionError,
    "{0} ** {1}: 0 cannot be raised to a negative power (the result is infinite)",
    when=(1, "< 0"),
)

ADD = Op(
    "add", "+", 2, lambda a, b: a + b, lambda out, a, b: (1.0, 1.0), ("1", "1"),
    syntax="{0} + {1}", method="__add__",
)  # fmt: skip
SUB = Op(
    "sub", "-", 2, lambda a, b: a - b, lambda out, a, b: (1.0, -1.0), ("1", "-1"),
    syntax="{0} - {1}", method="__sub__", glyph="−",
)  # fmt: skip
MUL = Op(
    "mul", "*", 2, lambda a, b: a * b, lambda out, a, b: (b, a), ("b", "a"),
    syntax="{0} * {1}", method="__mul__", glyph="×",
)  # fmt: skip
DIV = Op(
    "div", "/", 2, lambda a, b: a / b,
    lambda out, a, b: (1 / b, -out / b),  # d(a/b)/db = -a/b² = -out/b
    ("1/b", "-a/b²"),
    syntax="{0} / {1}", method="__truediv__", glyph="÷",
    domain=(
        Excluded(1, "== 0", ZeroDivisionError,
                 "division by zero in {0} / {1}: the divisor must not be 0"),
    ),
)  # fmt: skip
POW = Op(  # x ** y with a Value exponent
    "pow", "**", 2, _pow_forward,
    lambda out, x, y: (_pow_slope(x, y), _pow_slope_in_exponent(out, x, y)),
    ("y·x^(y-1)", "x^y·ln(x)"),
    syntax="{0} ** {1}", method="__pow__",
    domain=(
        Excluded(0, "< 0", DomainError,
                 "{0} ** {1}: with a Value as exponent the base must not be negative, because "
                 "the slope with respect to the exponent, x**y · log(x), is undefined there; "
                 "use a plain number as the exponent (x ** 2)"),
        _NEGATIVE_POWER_OF_0,
    ),
    forward_array=lambda x, y: x**y,
)  # fmt: skip
NEG = Op(
    "neg", "neg", 1, lambda a: -a, lambda out, a: (-1.0,), ("-1",),
    syntax="-{0}", method="__neg__", glyph="−x",
)  # fmt: skip
POW_CONST = Op(  # x ** c with a plain-number exponent
    "pow_const", "**", 1, _pow_forward,
    # A plain-number exponent of 0 makes the slope the constant 0, as in PyTorch's pow_backward.
    lambda out, x, c: (where(c == 0, 0.0, _pow_slope(x, c)),),
    ("c·x^(c-1)",),
    syntax="{0} ** {1}", method="__pow__", constant="exponent", glyph="**{0}",
    domain=(
        _NEGATIVE_POWER_OF_0,
        # ±inf and NaN exponents are not fractional: IEEE's pow defines those results.
        Excluded(0, "< 0", DomainError,
                 "{0} ** {1}: a negative base needs a whole-number exponent "
                 "(anything else is a complex number)",
                 when=(1, "fractional")),
    ),
    forward_array=lambda x, c: x**c,
)  # fmt: skip
EXP = Op(
    "exp", "exp", 1, math.exp, lambda out, x: (out,), ("exp(x)",),
    syntax="exp({0})", method="exp", forward_array=exp,
)  # fmt: skip
LOG = Op(
    "log", "log", 1, math.log, lambda out, x: (1 / x,), ("1/x",),
    syntax="log({0})", method="log",
    domain=(Excluded(0, "<= 0", DomainError,
                     "log of {0}: log is defined for positive inputs only"),),
    forward_array=log,
)  # fmt: skip
SQRT = Op(
    "sqrt", "sqrt", 1, math.sqrt,
    lambda out, x: (0.5 * reciprocal(out),),  # inf at 0, where the slope is vertical
    ("1/(2·sqrt(x))",),
    syntax="sqrt({0})", method="sqrt",
    domain=(Excluded(0, "< 0", DomainError, "sqrt of {0}: sqrt is defined for inputs >= 0 only"),),
    forward_array=sqrt,
)  # fmt: skip
TANH = Op(
    "tanh", "tanh", 1, _tanh_float, lambda out, x: (1 - out * out,), ("1 - tanh(x)²",),
    syntax="tanh({0})", method="tanh", forward_array=tanh,
)  # fmt: skip
SIGMOID = Op(
    "sigmoid", "sigmoid", 1, _sigmoid_float, lambda out, x: (out * (1 - out),),
    ("σ(x)·(1 - σ(x))",),
    syntax="sigmoid({0})", method="sigmoid", forward_array=sigmoid,
)  # fmt: skip
RELU = Op(
    "relu", "relu", 1, _relu,
    # relu'(0) = 0, and NaN's slope is 1, as PyTorch's threshold_backward (x <= 0 ? 0 : 1).
    lambda out, x: (where(x <= 0, 0.0, 1.0),),
    ("0 if x <= 0 else 1",),
    syntax="relu({0})", method="relu", kinks=(0.0,),
    forward_array=lambda x: where(x <= 0, 0.0, x),
)  # fmt: skip
LEAKY_RELU = Op(
    "leaky_relu", "leaky_relu", 1, _leaky_relu,
    lambda out, x, slope: (where(x > 0, 1.0, slope),),
    ("1 if x > 0 else slope",),
    syntax="leaky_relu({0}, {1})", method="leaky_relu", kinks=(0.0,), constant="slope",
    default=0.01,
    forward_array=lambda x, slope: where(x > 0, x, slope * x),
)  # fmt: skip
SOFTPLUS = Op(
    "softplus", "softplus", 1, _softplus_float, lambda out, x: (sigmoid(x),), ("σ(x)",),
    syntax="softplus({0})", method="softplus", forward_array=_softplus_array,
)  # fmt: skip
SIN = Op(
    "sin", "sin", 1, math.sin, lambda out, x: (cos(x),), ("cos(x)",),
    syntax="sin({0})", method="sin",
    domain=(Excluded(0, "±inf", DomainError, "sin of {0}: sin is defined for finite inputs only"),),
    forward_array=sin,
)  # fmt: skip
COS = Op(
    "cos", "cos", 1, math.cos, lambda out, x: (-sin(x),), ("-sin(x)",),
    syntax="cos({0})", method="cos",
    domain=(Excluded(0, "±inf", DomainError, "cos of {0}: cos is defined for finite inputs only"),),
    forward_array=cos,
)  # fmt: skip
ABS = Op(
    "abs", "abs", 1, abs,
    # abs'(0) = 0 and abs'(NaN) = 0, as PyTorch's sign.
    lambda out, x: (where(x > 0, 1.0, where(x < 0, -1.0, 0.0)),),
    ("sign(x)",),
    syntax="abs({0})", method="__abs__", kinks=(0.0,),
)  # fmt: skip

MAXIMUM = Op(
    "maximum", "max", 2, _maximum_float,
    # torch.maximum's backward: the gradient goes to the larger input, split in half at a tie;
    # where either is NaN both get it (neither a < b nor a == b holds).
    lambda out, a, b: (
        where(a < b, 0.0, where(a == b, 0.5, 1.0)),
        where(a > b, 0.0, where(a == b, 0.5, 1.0)),
    ),
    ("1 if a > b, ½ if a = b, else 0", "1 if b > a, ½ if a = b, else 0"),
    syntax="maximum({0}, {1})", method="maximum", kinks=(0.0,), forward_array=maximum,
)  # fmt: skip

# Operators first, then the functions in the order the command line lists them.
OPS: tuple[Op, ...] = (
    ADD, SUB, MUL, DIV, POW, NEG, POW_CONST,
    EXP, LOG, SQRT, TANH, SIGMOID, RELU, LEAKY_RELU, SOFTPLUS, SIN, COS, ABS, MAXIMUM,
)  # fmt: skip
assert len({op.name for op in OPS}) == len(OPS), "op names must be unique"
