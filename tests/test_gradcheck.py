"""The test tool itself: gradcheck must pass right rules and fail wrong ones, loudly."""

import dataclasses
import math

import pytest

from engine import GradcheckError, Value, gradcheck, gradgradcheck, ops


def test_a_passing_report():
    report = gradcheck(lambda x: (x[0] * x[1]).tanh() + x[2].exp(), [0.3, -0.7, 0.2])
    assert report.passed and bool(report)
    assert [row.name for row in report.rows] == ["x0", "x1", "x2"]
    assert report.rows[2].analytic == pytest.approx(math.exp(0.2), rel=1e-15)
    assert report.max_abs_error < 1e-8
    assert "gradcheck passed" in str(report)


def test_labelled_value_inputs_name_the_rows_and_the_errors():
    w, b = Value(0.5, label="w"), Value(0.0, label="b")
    report = gradgradcheck(lambda v: v[0] * v[1].exp(), [w, b])
    assert [row.name for row in report.rows] == ["d²/dwdw", "d²/dwdb", "d²/dbdw", "d²/dbdb"]
    with pytest.raises(GradcheckError, match="the finite difference for b left"):
        gradcheck(lambda v: v[0] * v[1].log(), [w, Value(1e-7, label="b")])
    with pytest.raises(GradcheckError, match="the gradient for b is inf"):
        gradcheck(lambda v: v[0] + v[1].sqrt(), [w, Value(0.0, label="b")])


@pytest.fixture
def wrong_tanh_rule(register_op):
    """tanh with a deliberately wrong local derivative: 1 - out instead of 1 - out²."""
    register_op(dataclasses.replace(ops.TANH, derivative=lambda out, x: (1 - out,)))


def test_gradcheck_fails_on_a_deliberately_wrong_rule(wrong_tanh_rule):
    with pytest.raises(GradcheckError) as failure:
        gradcheck(lambda x: (x[0] * x[1]).tanh(), [0.5, 2.0])
    table = str(failure.value)
    assert "FAILED for 2 of 2" in table
    for column in ("input", "analytic", "numeric", "abs error", "rel error"):
        assert column in table
    assert "x0" in table and "x1" in table and "<-- mismatch" in table


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_gradgradcheck_fails_on_a_wrong_rule_the_first_order_misses(register_op):
    # exp with derivative written as e^x taken from the *data* (a float), not the output:
    # right numbers, but invisible to create_graph, so the second derivative comes out 0.
    def frozen(out, x):
        return (out.data if isinstance(out, Value) else out,)

    register_op(dataclasses.replace(ops.EXP, derivative=frozen))
    gradcheck(lambda x: x[0].exp(), [0.5])  # first order is fine
    with pytest.raises(GradcheckError, match="d²/dx0dx0"):
        gradgradcheck(lambda x: x[0].exp(), [0.5])


def test_a_tiny_error_within_tolerance_passes_and_outside_fails(register_op):
    register_op(dataclasses.replace(ops.SIN, derivative=lambda out, x: (math.cos(x) + 1e-7,)))
    gradcheck(lambda x: x[0].sin(), [0.5])  # 1e-7 is within atol=1e-5
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x[0].sin(), [0.5], atol=1e-9, rtol=1e-9)


def test_gradcheck_catches_a_backward_that_does_not_accumulate(monkeypatch):
    import engine.autograd as autograd

    real = autograd.backward

    def overwriting(root, grad=1.0):
        for node in autograd.topological_order(root):
            node.grad = 0.0
        real(root, grad)

    monkeypatch.setattr(autograd, "backward", overwriting)
    with pytest.raises(GradcheckError, match="leaves must accumulate"):
        gradcheck(lambda x: x[0] * 3, [1.0])


def test_gradcheck_catches_a_nan_gradient():
    # sqrt at 0 has an infinite slope: no finite difference can agree.
    with pytest.raises(GradcheckError, match="the gradient for x0 is nan: .* no finite slope"):
        gradcheck(lambda x: (x[0] * x[0]).sqrt(), [0.0])
    with pytest.raises(GradcheckError, match="the gradient for x0 is inf"):
        gradcheck(lambda x: x[0].sqrt(), [0.0])


def test_leaving_the_domain_is_explained():
    with pytest.raises(GradcheckError, match="left the function's domain"):
        gradcheck(lambda x: x[0].log(), [1e-7])


@pytest.mark.parametrize(
    "fn, inputs, error, pattern",
    [
        (lambda x: 3.0, [1.0], TypeError, "must return a Value, got float"),
        ("not callable", [1.0], TypeError, "needs a function"),
        (lambda x: x[0], 1.0, TypeError, "list of input numbers"),
        (lambda x: x[0], [], ValueError, "at least one input"),
        (lambda x: x[0], ["a"], TypeError, "input x0 must be a number, got str: 'a'"),
        (lambda x: x[0], [1.0, True], TypeError, "input x1 must be a number, got bool"),
        (lambda x: x[0], [Value(math.nan, label="w")], ValueError, "input w must be a finite"),
    ],
)
def test_bad_arguments(fn, inputs, error, pattern):
    with pytest.raises(error, match=pattern):
        gradcheck(fn, inputs)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
@pytest.mark.parametrize(
    "option, error, pattern",
    [
        ({"eps": 0.0}, ValueError, "eps must be > 0, got 0"),
        ({"eps": math.inf}, ValueError, "eps must be a finite number, got inf"),
        ({"atol": -1e-5}, ValueError, "atol must be >= 0, got -1e-05"),
        # A NaN tolerance would fail every row with a table that does not say why.
        ({"rtol": math.nan}, ValueError, "rtol must be a finite number, got nan"),
        ({"atol": "1e-5"}, TypeError, "atol must be a number, got str"),
    ],
)
def test_bad_step_or_tolerance(check, option, error, pattern):
    with pytest.raises(error, match=pattern):
        check(lambda x: x[0] * x[0], [1.0], **option)


def test_inputs_may_be_any_iterable():
    assert gradcheck(lambda x: x[0] * x[1], (v for v in [2.0, 3.0])).passed


def test_second_order_report():
    report = gradgradcheck(lambda x: x[0] ** 2 * x[1], [3.0, 2.0])
    hessian = [row.analytic for row in report.rows]
    assert hessian == [4.0, 6.0, 6.0, 0.0]  # [[2y, 2x], [2x, 0]]
