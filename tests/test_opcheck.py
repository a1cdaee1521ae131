"""The check define_op runs: every op of the table passes it (kinks, domains, ties and
all), and a wrong rule fails it with a table of where."""

import dataclasses

import pytest

from engine import GradcheckError, ops
from engine.testing import opcheck
from engine.testing.opcheck import PAIRS, SPREAD


@pytest.mark.parametrize("op", [op for op in ops.OPS if not op.has_constant], ids=lambda o: o.name)
def test_every_op_of_the_table_passes(op):
    report = opcheck(op)
    assert report.passed and str(report).splitlines()[0].endswith("points checked.")
    points = {row.point for row in report.rows}
    assert len(report.rows) == op.arity * len(points)
    assert points <= ({(x,) for x in SPREAD} | {(a, b) for a in PAIRS for b in PAIRS})


def test_points_outside_the_domain_or_too_near_its_edge_are_left_out():
    assert {row.point for row in opcheck(ops.SQRT).rows} == {(x,) for x in SPREAD if x > 0}
    assert all(b != 0 for a, b in {row.point for row in opcheck(ops.DIV).rows})


def test_a_kink_accepts_any_slope_between_its_one_sided_slopes():
    # relu'(0) = 0 and abs'(0) = 0, as PyTorch: neither is the central difference there.
    for op in (ops.RELU, ops.ABS):
        (at_zero,) = [row for row in opcheck(op).rows if row.point == (0.0,)]
        assert at_zero.kink and at_zero.ok and at_zero.yours == 0.0
    wrong = dataclasses.replace(ops.RELU, derivative=lambda out, x: (ops.where(x < 0, 2.0, 1.0),))
    with pytest.raises(GradcheckError, match="wrong at 5 of 11 points"):
        opcheck(wrong)  # 2 is outside [0, 1] at the kink, and wrong for x < 0


def test_a_wrong_rule_fails_with_its_table():
    wrong = dataclasses.replace(ops.TANH, derivative=lambda out, x: (1 - out,))
    with pytest.raises(GradcheckError) as caught:
        opcheck(wrong, ["z"])
    message = str(caught.value)
    assert message.startswith("tanh's derivative is wrong at 10 of 11 points.")
    assert "right at z = 0 but wrong everywhere else" in message
    assert "        z             yours  finite differences" in message


def test_an_op_with_a_constant_is_not_what_it_checks():
    with pytest.raises(ValueError, match="leaky_relu takes a constant"):
        opcheck(ops.LEAKY_RELU)
