"""Every primitive, table-driven: forward and local derivatives against formulas derived
by hand, gradients against finite differences, second derivatives, kinks, domains."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import DomainError, Value, grad, gradcheck, gradgradcheck
from engine.ops import OPS
from engine.testing.strategies import BINARY, UNARY, apply_op, op_inputs

# Each op's value and local derivatives, derived by hand and written independently of
# engine/ops.py (e.g. sigmoid' as e^-x / (1 + e^-x)² rather than σ(1 - σ)).
HAND = {
    "add": (lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    "pow": (lambda x, y: x**y, lambda x, y: (y * x ** (y - 1), x**y * math.log(x))),
    "neg": (lambda x: -x, lambda x: (-1.0,)),
    "abs": (lambda x: math.fabs(x), lambda x: (math.copysign(1.0, x),)),
    "exp": (math.exp, lambda x: (math.exp(x),)),
    "log": (math.log, lambda x: (1 / x,)),
    "sqrt": (lambda x: x**0.5, lambda x: (1 / (2 * x**0.5),)),
    "tanh": (
        lambda x: (math.exp(x) - math.exp(-x)) / (math.exp(x) + math.exp(-x)),
        lambda x: (1 / math.cosh(x) ** 2,),
    ),
    "sigmoid": (
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: (math.exp(-x) / (1 + math.exp(-x)) ** 2,),
    ),
    "relu": (lambda x: max(x, 0.0), lambda x: (float(x > 0),)),
    "leaky_relu": (
        lambda x, s: x if x > 0 else s * x,
        lambda x, s: (1.0 if x > 0 else s,),
    ),
    "softplus": (lambda x: math.log(1 + math.exp(x)), lambda x: (1 / (1 + math.exp(-x)),)),
    "sin": (math.sin, lambda x: (math.cos(x),)),
    "cos": (math.cos, lambda x: (-math.sin(x),)),
    "pow_const": (
        lambda x, c: x**c,
        lambda x, c: (c * x ** (c - 1) if c != 0 else 0.0,),
    ),
    # torch.maximum's backward: all to the larger input, half each at a tie.
    "maximum": (
        lambda a, b: (a + b + abs(a - b)) / 2,
        lambda a, b: (1.0, 0.0) if a > b else (0.0, 1.0) if b > a else (0.5, 0.5),
    ),
}
NAMES = UNARY + BINARY
TABLE = {op.name: op for op in OPS}


def close(a: float, b: float) -> bool:
    # Two float64 evaluations of one formula by different routes differ by a few ulps.
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


def split(name, xs):
    """Value inputs and the constant (if the op takes one)."""
    takes_constant = TABLE[name].has_constant
    return (xs[:-1], xs[-1]) if takes_constant else (xs, None)


def as_function(name, xs):
    """The op as a function of a list of Values (gradcheck's ``fn``), and the point to check."""
    data, constant = split(name, xs)
    extra = [constant] if constant is not None else []
    return (lambda values: apply_op(name, [*values, *extra])), data


def build(name, xs):
    data, constant = split(name, xs)
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(data)]
    args = leaves + ([constant] if constant is not None else [])
    return leaves, apply_op(name, args)


def test_every_primitive_has_a_hand_derived_rule_and_its_own_name():
    assert set(HAND) == {op.name for op in OPS} == set(NAMES)
    assert len({op.name for op in OPS}) == len(OPS)  # x ** y and x ** 2 are pow and pow_const
    for op in OPS:
        assert op.symbol and len(op.formulas) == op.arity


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_and_local_grads_match_hand_derived_formulas(name, data):
    xs = data.draw(op_inputs(name))
    leaves, out = build(name, xs)
    value, derivative = HAND[name]
    assert close(out.data, value(*xs))
    assert out.parents == tuple(leaves)
    expected = derivative(*xs)
    assert len(out.local_grads) == len(expected)
    for got, want in zip(out.local_grads, expected):
        assert close(got, want)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradient_matches_finite_differences(name, data):
    gradcheck(*as_function(name, data.draw(op_inputs(name))))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_second_derivative_matches_finite_differences(name, data):
    gradgradcheck(*as_function(name, data.draw(op_inputs(name))))


@pytest.mark.parametrize(
    "name, x, second",
    [
        # Second derivatives derived by hand at a fixed point.
        ("exp", 0.5, math.exp(0.5)),
        ("log", 2.0, -1 / 4),
        ("sqrt", 4.0, -1 / 4 * 4.0**-1.5),
        ("tanh", 0.5, -2 * math.tanh(0.5) / math.cosh(0.5) ** 2),
        ("sigmoid", 0.0, 0.0),
        ("softplus", 0.0, 0.25),
        ("sin", 1.0, -math.sin(1.0)),
        ("cos", 1.0, -math.cos(1.0)),
        ("relu", 2.0, 0.0),
        ("abs", -2.0, 0.0),
    ],
)
def test_second_derivative_by_hand(name, x, second):
    v = Value(x)
    (first,) = grad(apply_op(name, [v]), [v], create_graph=True)
    assert isinstance(first, Value)
    assert close(grad(first, [v])[0], second)


# -- kinks: PyTorch's conventions, exactly ---------------------------------------------


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda x: x.relu(), 0.0),
        (lambda x: abs(x), 0.0),
        (lambda x: x.leaky_relu(0.1), 0.1),
        (lambda x: x.leaky_relu(), 0.01),
    ],
)
def test_slopes_at_the_kink(make, expected):
    x = Value(0.0)
    make(x).backward()
    assert x.grad == expected


@pytest.mark.parametrize(
    "a, b, slopes",
    [
        # torch.maximum's backward (derivatives.yaml): the larger input takes the gradient,
        # a tie splits it in half; one ulp either side of the tie is no tie.
        (2.0, 2.0, (0.5, 0.5)),
        (-0.0, 0.0, (0.5, 0.5)),
        (-1000.0, -1000.0, (0.5, 0.5)),
        (math.nextafter(2.0, 3.0), 2.0, (1.0, 0.0)),
        (math.nextafter(2.0, 1.0), 2.0, (0.0, 1.0)),
        (3.0, -1.0, (1.0, 0.0)),
        (-1.0, 3.0, (0.0, 1.0)),
    ],
)
def test_maximum_at_and_beside_the_tie(a, b, slopes):
    x, y = Value(a), Value(b)
    out = x.maximum(y)
    out.backward()
    assert out.data == max(a, b) and (x.grad, y.grad) == slopes
    assert grad(x.maximum(y), [x, y]) == list(slopes)


def test_maximum_at_a_tie_agrees_with_central_differences():
    # (max(a + h, a) - max(a - h, a)) / 2h = h / 2h: the central difference is ½, the tie's slope.
    gradcheck(lambda v: v[0].maximum(v[1]), [2.0, 2.0])
    gradcheck(lambda v: v[0].maximum(v[1]), [-0.5, -0.5])


def test_maximum_of_a_value_with_itself_has_slope_one_and_takes_plain_numbers():
    x = Value(1.5)
    out = x.maximum(x)  # half through each edge: 1 in all, as torch.maximum(x, x)
    out.backward()
    assert (out.data, x.grad) == (1.5, 1.0)
    assert Value(-2.0).maximum(0).data == 0.0 and Value(-2.0).maximum(-3).data == -2.0


def test_maximum_second_derivative_is_zero_off_the_tie():
    x, y = Value(2.0), Value(-1.0)
    dx, dy = grad(x.maximum(y), [x, y], create_graph=True)
    assert (dx.data, dy.data) == (1.0, 0.0)
    assert grad(dx, [x, y]) == [0.0, 0.0] and grad(dy, [x, y]) == [0.0, 0.0]


@pytest.mark.parametrize("x, slope", [(-2.0, 0.0), (-1e-300, 0.0), (1e-300, 1.0), (3.0, 1.0)])
def test_relu_on_both_sides_of_the_kink(x, slope):
    v = Value(x)
    out = v.relu()
    out.backward()
    assert out.data == max(x, 0.0) and v.grad == slope


def test_pow_special_cases():
    x = Value(0.0)
    (x**2).backward()
    assert x.grad == 0.0
    y = Value(0.0)
    (y**0.5).backward()
    assert y.grad == math.inf  # the slope of sqrt at 0 is vertical, as in PyTorch
    z = Value(-2.0)
    (z**3).backward()
    assert z.grad == 12.0  # negative base, whole exponent: fine
    w = Value(5.0)
    (w**0).backward()
    assert w.grad == 0.0
    base, exponent = Value(0.0), Value(2.0)
    (base**exponent).backward()
    assert (base.grad, exponent.grad) == (0.0, 0.0)  # d/dy 0**y taken as 0, as in PyTorch


def test_sqrt_at_zero_has_infinite_slope():
    x = Value(0.0)
    out = x.sqrt()
    out.backward()
    assert out.data == 0.0 and x.grad == math.inf


# -- numerics at the extremes ----------------------------------------------------------


@pytest.mark.parametrize(
    "make, x, value, slope",
    [
        (lambda v: v.sigmoid(), 1000.0, 1.0, 0.0),
        (lambda v: v.sigmoid(), -1000.0, 0.0, 0.0),
        (lambda v: v.tanh(), 1e6, 1.0, 0.0),
        (lambda v: v.tanh(), -1e6, -1.0, 0.0),
        (lambda v: v.softplus(), -1000.0, 0.0, 0.0),
        (lambda v: v.softplus(), 1000.0, 1000.0, 1.0),
        (lambda v: v.exp(), -1000.0, 0.0, 0.0),
    ],
)
def test_no_overflow_where_the_result_is_finite(make, x, value, slope):
    v = Value(x)
    out = make(v)
    out.backward()
    assert out.data == pytest.approx(value, abs=1e-300)
    assert v.grad == pytest.approx(slope, abs=1e-300)


def test_sigmoid_keeps_precision_in_the_tails():
    assert Value(-40.0).sigmoid().data == pytest.approx(math.exp(-40), rel=1e-12)
    assert Value(-800.0).softplus().data == pytest.approx(math.exp(-800), rel=1e-12)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda v: v.exp(), r"exp of 1000\.0 \(node 'x'\) overflows"),
        (lambda v: v**400, r"pow_const of 1000\.0 \(node 'x'\) and 400\.0 overflows"),
    ],
)
def test_overflow_is_a_clear_error(make, pattern):
    with pytest.raises(OverflowError, match=pattern):
        make(Value(1000.0, label="x"))


# -- domain errors: op, data, label and the way out ------------------------------------


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda x: x.log(), DomainError, r"log of -1\.0 \(node 'x'\): .*positive inputs only"),
        (lambda x: (x + 1).log(), DomainError, r"log of 0\.0: log is defined for positive"),
        (lambda x: x.sqrt(), DomainError, r"sqrt of -1\.0 \(node 'x'\): .* >= 0 only"),
        (lambda x: x**0.5, DomainError, r"-1\.0 \(node 'x'\) \*\* 0\.5: a negative base needs"),
        (lambda x: 1 / (x + 1), ZeroDivisionError, r"division by zero in 1\.0 / 0\.0"),
        (lambda x: x / 0, ZeroDivisionError, r"-1\.0 \(node 'x'\) / 0\.0: the divisor"),
        (lambda x: (x + 1) ** -1, ZeroDivisionError, r"0 cannot be raised to a negative"),
        (lambda x: x ** Value(2.0), DomainError, r"base must not be negative.*x \*\* 2"),
    ],
)
def test_domain_errors_name_op_data_and_label(make, error, pattern):
    x = Value(-1.0, label="x")
    with pytest.raises(error, match=pattern):
        make(x)


def test_domain_errors_are_value_errors_and_never_complex():
    with pytest.raises(ValueError):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError):
        Value(-8.0) ** Value(1 / 3)


# -- NaN, infinities and overflow: the values PyTorch gives ----------------------------

NAN = math.nan


@pytest.mark.parametrize(
    "make, inputs, locals_",
    [
        # Local derivatives at NaN, from PyTorch's derivatives.yaml and kernels:
        # relu: threshold_backward(grad, result, 0) is `result <= 0 ? 0 : grad`, so 1 at NaN.
        (lambda x: x.relu(), [NAN], [1.0]),
        # leaky_relu_backward is `x > 0 ? grad : grad * slope`, so the slope at NaN.
        (lambda x: x.leaky_relu(0.2), [NAN], [0.2]),
        # abs: grad * sgn(x), and sign is (0 < x) - (x < 0): 0 at NaN.
        (lambda x: abs(x), [NAN], [0.0]),
        (lambda x: -x, [NAN], [-1.0]),
        (lambda x: x.exp(), [NAN], [NAN]),
        (lambda x: x.log(), [NAN], [NAN]),
        (lambda x: x.sqrt(), [NAN], [NAN]),
        (lambda x: x.tanh(), [NAN], [NAN]),
        (lambda x: x.sigmoid(), [NAN], [NAN]),
        (lambda x: x.softplus(), [NAN], [NAN]),
        (lambda x: x.sin(), [NAN], [NAN]),
        (lambda x: x.cos(), [NAN], [NAN]),
        (lambda x: x**2, [NAN], [NAN]),
        (lambda x, y: x + y, [NAN, 1.0], [1.0, 1.0]),
        (lambda x, y: x - y, [1.0, NAN], [1.0, -1.0]),
        (lambda x, y: x * y, [NAN, 2.0], [2.0, NAN]),
        (lambda x, y: x / y, [2.0, NAN], [NAN, NAN]),
        # pow_backward_self: exponent * x^(exponent-1); pow_backward_exponent: x^y · log(x).
        (lambda x, y: x**y, [NAN, 2.0], [NAN, NAN]),
        (lambda x, y: x**y, [2.0, NAN], [NAN, NAN]),
        (lambda x, y: x**y, [0.0, NAN], [NAN, NAN]),  # (x == 0 & y >= 0) is false at NaN
        # maximum: where(self == other, grad / 2, grad).masked_fill_(self < other, 0) for self,
        # (self > other) for other: at NaN neither mask holds, so both inputs get the gradient.
        (lambda x, y: x.maximum(y), [NAN, 1.0], [1.0, 1.0]),
        (lambda x, y: x.maximum(y), [1.0, NAN], [1.0, 1.0]),
    ],
)
def test_nan_propagates_like_pytorch(make, inputs, locals_):
    leaves = [Value(x) for x in inputs]
    out = make(*leaves)
    assert math.isnan(out.data)  # so detect_anomaly sees it where it starts
    assert len(out.local_grads) == len(locals_)
    for got, want in zip(out.local_grads, locals_):
        assert got == want or (math.isnan(got) and math.isnan(want)), (got, want)


def test_detect_anomaly_sees_the_nan_relu_passes_on():
    from engine import detect_anomaly

    with detect_anomaly(), pytest.raises(FloatingPointError, match="relu produced nan"):
        Value(NAN).relu()


def test_powers_that_ieee_defines_for_nan_stay_defined():
    out = Value(NAN) ** 0
    assert out.data == 1.0  # pow(nan, 0) = 1 in IEEE 754 and in PyTorch
    assert out.local_grads == (0.0,)  # pow_backward: exponent == 0 gives 0, whatever the base
    assert (Value(1.0) ** NAN).data == 1.0  # pow(1, nan) = 1 likewise


def test_pow_with_a_value_exponent_at_zero_zero_has_slope_zero_like_pytorch():
    # pow_backward_self masks exponent == 0 to 0 (rather than 0 · 0^-1 = 0 · inf = nan), and
    # pow_backward_exponent masks base == 0 & exponent >= 0 to 0.
    x, y = Value(0.0), Value(0.0)
    out = x**y
    out.backward()
    assert out.data == 1.0
    assert (x.grad, y.grad) == (0.0, 0.0)


def test_pow_zero_zero_slope_keeps_the_second_derivative_away_from_the_origin():
    # d/dx x^y = y·x^(y-1); its slope in y at (2, 0) is x^(y-1) = 0.5, not 0.
    x, y = Value(2.0), Value(0.0)
    (dx,) = grad(x**y, [x], create_graph=True)
    assert dx.data == 0.0
    assert grad(dx, [y]) == [0.5]


@pytest.mark.parametrize(
    "make, x, slope",
    [
        # pow_backward: grad * exponent * x^(exponent-1) = -1 · (1e-200)^-2 = -inf in float64;
        # the result itself, 1e200, is finite.
        (lambda x: x**-1, 1e-200, -math.inf),
        (lambda x: x ** Value(-1.0), 1e-200, -math.inf),
        # -2 · x^-3 at x = -1e-150: x^-3 is -inf (an odd power keeps the sign), so +inf.
        (lambda x: x**-2, -1e-150, math.inf),
    ],
)
def test_an_overflowing_slope_is_inf_like_pytorch(make, x, slope):
    x = Value(x, label="x")
    out = make(x)
    assert math.isfinite(out.data)
    assert out.local_grads[0] == slope  # not Python's OverflowError from **


def test_an_overflowing_result_names_op_data_and_label():
    pattern = r"pow_const of 1e-200 \(node 'x'\) and -2\.0 overflows"
    with pytest.raises(OverflowError, match=pattern):
        Value(1e-200, label="x") ** -2


@pytest.mark.parametrize("x", [math.inf, -math.inf])
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos_of_infinity_say_op_data_and_label(name, x):
    # PyTorch returns nan; the engine, as for log of a negative number, says why instead.
    with pytest.raises(DomainError, match=rf"{name} of {x!r} \(node 'x'\): .*finite inputs"):
        getattr(Value(x, label="x"), name)()


@pytest.mark.parametrize(
    "base, exponent, result",
    [
        # IEEE 754's pow (and PyTorch's) for infinite exponents of a negative base.
        (-2.0, math.inf, math.inf),
        (-0.5, math.inf, 0.0),
        (-1.0, math.inf, 1.0),
        (-2.0, -math.inf, 0.0),
    ],
)
def test_infinite_exponents_give_ieee_results(base, exponent, result):
    out = Value(base) ** exponent
    assert out.data == result


def test_a_nan_exponent_gives_nan_rather_than_an_error():
    # PyTorch's pow gives nan, as IEEE's does.
    out = Value(-2.0) ** NAN
    assert math.isnan(out.data) and math.isnan(out.local_grads[0])


# -- tanh to the last bit ----------------------------------------------------------------


def exact_tanh(x: float) -> float:
    """tanh(x) correctly rounded: the binary input is exact in Decimal, 40 digits to spare."""
    from decimal import Decimal, localcontext

    with localcontext() as context:
        # 40 digits, plus those that e^2x - 1 cancels when x is tiny.
        context.prec = 40 + max(0, -math.frexp(x)[1] * 3 // 10)
        e = (2 * Decimal(x)).exp()
        return float((e - 1) / (e + 1))


def test_tanh_gives_the_lecture_value_exactly():
    # Karpathy's "spelled-out intro" prints o = 0.7071067811865476; math.tanh gives ...477.
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    assert repr(o.data) == "0.7071067811865476" == repr(exact_tanh(n.data))


@given(st.floats(-25.0, 25.0, allow_nan=False))
def test_tanh_is_within_one_ulp_of_the_exact_value(x):
    want = exact_tanh(x)
    assert abs(Value(x).tanh().data - want) <= math.ulp(want)


def test_tanh_series_coefficients_are_the_exact_ones_rounded():
    from fractions import Fraction

    from engine.ops import _TANH_SERIES

    # Bernoulli numbers B_0..B_2N (Akiyama-Tanigawa), then 2^2n (2^2n - 1) B_2n / (2n)!.
    size = 2 * (len(_TANH_SERIES) + 1)
    bernoulli, row = [], []
    for m in range(size + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        bernoulli.append(row[0])
    for k, coefficient in enumerate(_TANH_SERIES):
        n = k + 2
        exact = Fraction(4**n * (4**n - 1)) * bernoulli[2 * n] / math.factorial(2 * n)
        assert coefficient == float(exact), k


@pytest.mark.parametrize(
    "x, want",
    [
        (1e6, 1.0),
        (-1e6, -1.0),
        (math.inf, 1.0),
        (-math.inf, -1.0),
        (1e-300, 1e-300),
        (5e-324, 5e-324),
        (700.0, 1.0),  # (e^2x - 1)/(e^2x + 1) would overflow here
    ],
)
def test_tanh_at_the_extremes(x, want):
    assert Value(x).tanh().data == want


def test_tanh_keeps_the_sign_of_zero_and_passes_nan():
    assert math.copysign(1.0, Value(-0.0).tanh().data) == -1.0
    assert math.isnan(Value(math.nan).tanh().data)


@pytest.mark.parametrize("edge", [0.45, 19.06, 20.0])
def test_tanh_is_monotonic_across_its_formulas_edges(edge):
    points = [edge]
    for _ in range(20):
        points = [math.nextafter(points[0], 0.0), *points, math.nextafter(points[-1], math.inf)]
    values = [Value(x).tanh().data for x in points]
    assert values == sorted(values)
    assert all(
        v == exact_tanh(x) or abs(v - exact_tanh(x)) <= math.ulp(v) for x, v in zip(points, values)
    )


def test_x_to_the_0_has_the_constant_slope_0_even_for_tiny_x():
    # pow_backward returns zeros for a 0 exponent, so its second derivative is 0 too;
    # 0 · x^-1 differentiated would give 0 · x^-2 = 0 · inf = nan at x = 4e-156.
    x = Value(4.346425622336985e-156)
    (slope,) = grad(x**0, [x], create_graph=True)
    assert slope.data == 0.0 and grad(slope, [x]) == [0.0]
