"""``opcheck``: an op's local derivatives against finite differences of its forward.

``engine.define_op`` runs it the moment a learner defines an op, so that a wrong
derivative is caught before the op is used anywhere. The derivative is compared with
the central difference

    (forward(x + h) - forward(x - h)) / (2 · h),      h = 1e-6 · max(1, |x|)

at a fixed spread of points inside the op's domain (the same points every time, so
the table reads the same on every run), and a mismatch raises ``GradcheckError``
whose message says what kind of mistake the numbers look like (a flipped sign, a
constant factor, right only at 0, ...) above a table of where it is wrong.

Where the one-sided differences disagree, the op has a kink there (relu at 0): any
slope between them passes, as PyTorch's relu'(0) = 0 does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import GradcheckError
from ..ops import Op

__all__ = ["opcheck", "OpcheckReport", "OpcheckRow", "SPREAD"]

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-4  # as gradcheck's: a slope passes within ATOL + RTOL·|slope|
SPREAD = (-3.0, -2.1, -1.3, -0.6, -0.2, 0.0, 0.2, 0.6, 1.3, 2.1, 3.0)  # one input
WIDE = (
    -50.0,
    -20.0,
    -12.0,
    -8.0,
    -5.0,
    5.0,
    8.0,
    12.0,
    20.0,
    50.0,
)  # also, for a domain the spread hardly meets
PAIRS = (-1.7, -0.4, 0.0, 0.8, 2.1)  # two inputs: every pair of these
FEWEST = 3  # points inside the domain a check needs


@dataclass(frozen=True)
class OpcheckRow:
    """One point and input: your local derivative there, and the finite difference."""

    point: tuple[float, ...]
    input: int  # the derivative is with respect to this input
    yours: float
    numeric: float  # the central difference
    ok: bool
    kink: bool = False  # the one-sided differences disagree: a slope between them passes


@dataclass(frozen=True)
class OpcheckReport:
    """What ``opcheck`` compared; ``str()`` is the teaching message and the table."""

    name: str  # the op's
    inputs: tuple[str, ...]  # the names of its inputs (its forward's parameters)
    rows: tuple[OpcheckRow, ...]

    @property
    def passed(self) -> bool:
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        points = {row.point for row in self.rows}
        wrong = {row.point for row in self.rows if not row.ok}
        if not wrong:
            head = [f"{self.name}'s derivative matches finite differences at all "]
            head[0] += f"{len(points)} points checked."
        else:
            head = [f"{self.name}'s derivative is wrong at {len(wrong)} of {len(points)} points."]
            head += [_diagnosis(self, i) for i in range(len(self.inputs)) if self._wrong(i)]
        lines = [*head, "", *_table(self)]
        if wrong:
            lines += ["", f"Fix the derivative and define {self.name} again (check=False skips "
                      f"this check)."]  # fmt: skip
        return "\n".join(lines)

    def _wrong(self, i: int) -> bool:
        return any(not row.ok for row in self.rows if row.input == i)


def opcheck(op: Op, inputs: Sequence[str] | None = None) -> OpcheckReport:
    """Compare ``op.derivative`` with finite differences of ``op.forward`` inside its domain.

    ``inputs`` names the op's inputs in messages (by default x, or a and b). A
    derivative passes where ``|yours - numeric| <= ATOL + RTOL·|numeric|``. Raises
    ``GradcheckError`` on a mismatch, ``ValueError`` if fewer than three points of
    the spread lie inside the domain.

    >>> from engine import ops
    >>> report = opcheck(ops.TANH)
    >>> report.passed, len(report.rows)
    (True, 11)
    """
    if op.has_constant:
        raise ValueError(f"opcheck checks ops of Values only; {op.name} takes a constant")
    names = tuple(inputs) if inputs is not None else ("x",) if op.arity == 1 else ("a", "b")
    rows = tuple(row for point in _inside(op) for row in _compare(op, point))
    report = OpcheckReport(op.name, names, rows)
    if not report.passed:
        raise GradcheckError(str(report))
    return report


# -- where to look ---------------------------------------------------------------------


def _inside(op: Op) -> list[tuple[float, ...]]:
    """The points of the spread inside ``op``'s domain, with room for the differences."""
    spread = [(x,) for x in SPREAD] if op.arity == 1 else [(a, b) for a in PAIRS for b in PAIRS]
    points = [p for p in spread if _usable(op, p)]
    if len(points) < FEWEST and op.arity == 1:
        points += [(x,) for x in WIDE if _usable(op, (x,))]
    if len(points) < FEWEST:
        raise ValueError(
            f"cannot check {op.name}'s derivative: only {len(points)} of the points it tries "
            f"lie inside its domain ({', '.join(map(str, SPREAD))}; for two inputs every "
            f"pair of {', '.join(map(str, PAIRS))}). Check the domain, or pass check=False"
        )
    return points


def _usable(op: Op, point: tuple[float, ...]) -> bool:
    """True if the op is defined and finite at ``point`` and a step either way."""
    for i in range(len(point)):
        h = _step(point[i])
        for nearby in (point, _moved(point, i, -h), _moved(point, i, h)):
            if op.outside_domain is not None and op.outside_domain(*nearby) is not None:
                return False
            try:
                if not math.isfinite(op.forward(*nearby)):
                    return False
            except (ValueError, ZeroDivisionError, OverflowError):  # math's own domain errors
                return False
    return True


def _step(x: float) -> float:
    return EPS * max(1.0, abs(x))


def _moved(point: tuple[float, ...], i: int, delta: float) -> tuple[float, ...]:
    return (*point[:i], point[i] + delta, *point[i + 1 :])


# -- comparing ---------------------------------------------------------------------------


def _compare(op: Op, point: tuple[float, ...]):
    out = op.forward(*point)
    try:
        yours = op.derivative(out, *point)
    except ArithmeticError as error:  # 1/0 at a point of the spread: say which point
        raise GradcheckError(
            f"{op.name}'s derivative raised {type(error).__name__} at {_where(point)}: {error}"
        ) from error
    for i, slope in enumerate(yours):
        h = _step(point[i])
        f = op.forward
        below, above = f(*_moved(point, i, -h)), f(*_moved(point, i, h))
        numeric = (above - below) / (2 * h)
        left, right = (out - below) / h, (above - out) / h
        tolerance = ATOL + RTOL * max(abs(left), abs(right))
        kink = abs(left - right) > 2 * tolerance
        slope = float(slope)
        ok = abs(slope - numeric) <= ATOL + RTOL * abs(numeric)
        if kink and not ok:
            ok = min(left, right) - tolerance <= slope <= max(left, right) + tolerance
        yield OpcheckRow(point, i, slope, numeric, ok, kink)


def _where(point: tuple[float, ...]) -> str:
    return f"x = {point[0]:g}" if len(point) == 1 else f"({', '.join(f'{v:g}' for v in point)})"


# -- what kind of mistake ----------------------------------------------------------------


def _diagnosis(report: OpcheckReport, i: int) -> str:
    """One sentence on what input ``i``'s wrong derivative looks like, or where it is wrong."""
    rows = [row for row in report.rows if row.input == i]
    x = report.inputs[i]
    yours = "Your derivative" if len(report.inputs) == 1 else f"Your derivative with respect to {x}"
    for pattern in (_sign, _factor, _offset, _only_at_zero, _one_side):
        sentence = pattern(rows, x)
        if sentence:
            return f"{yours} {sentence}"
    wrong = sum(not row.ok for row in rows)
    return f"{yours} is wrong at {wrong} of the {len(rows)} points checked (marked below)."


def _tolerance(row: OpcheckRow) -> float:
    return ATOL + RTOL * abs(row.numeric)


def _sign(rows: list[OpcheckRow], x: str) -> str | None:
    if all(abs(row.yours + row.numeric) <= _tolerance(row) for row in rows):
        return (
            "has the wrong sign: it is minus the finite differences at every point. A minus "
            "sign is missing or one too many, as in (cos x)' = -sin x or (e^(-x))' = -e^(-x)."
        )
    return None


def _factor(rows: list[OpcheckRow], x: str) -> str | None:
    measured = [row for row in rows if abs(row.numeric) > 1e-3]
    if len(measured) < 2:
        return None
    ratios = sorted(row.yours / row.numeric for row in measured)
    factor = ratios[len(ratios) // 2]
    same = all(abs(r - factor) <= 1e-4 * abs(factor) + 1e-9 for r in ratios)
    small = all(abs(row.yours) <= _tolerance(row) * max(1.0, abs(factor)) for row in rows
                if row not in measured)  # fmt: skip
    if not same or not small or abs(factor - 1) < 1e-3:
        return None
    return (
        f"is {_number(factor)} times the finite differences at every point: a constant factor "
        f"is off, such as the n of (x^n)' = n·x^(n-1) or the 2 of (e^(2x))' = 2·e^(2x)."
    )


def _offset(rows: list[OpcheckRow], x: str) -> str | None:
    gap = sorted(row.yours - row.numeric for row in rows)[len(rows) // 2]
    same = all(abs(row.yours - row.numeric - gap) <= _tolerance(row) for row in rows)
    if same and abs(gap) > 1e-4:
        return (
            f"is the finite differences {'+' if gap > 0 else '-'} {_number(abs(gap))} at every "
            f"point: a constant term is off (the derivative of a constant is 0, of a·{x} is a)."
        )
    return None


def _only_at_zero(rows: list[OpcheckRow], x: str) -> str | None:
    at_zero = [row for row in rows if not any(row.point)]
    elsewhere = [row for row in rows if any(row.point)]
    if (
        at_zero
        and all(row.ok for row in at_zero)
        and elsewhere
        and not any(row.ok for row in elsewhere)
    ):
        where = f"{x} = 0" if len(rows[0].point) == 1 else "the origin"
        return (
            f"is right at {where} but wrong everywhere else it was checked: a term that is 0 "
            f"there is missing or wrong. For a product such as x·g(x), the product rule "
            f"gives g(x) + x·g'(x)."
        )
    return None


def _one_side(rows: list[OpcheckRow], x: str) -> str | None:
    """Right on one side of 0, wrong on the other: a branch (where, if) gone wrong."""
    i = rows[0].input
    wrong = {_side(row.point[i]) for row in rows if not row.ok}
    right = {_side(row.point[i]) for row in rows if row.ok}
    if len(wrong - {0}) != 1 or right - {0} != {-side for side in wrong - {0}}:
        return None
    positive = 1 in wrong
    at_zero = "=" if 0 in wrong else ""
    bad = f"{x} >{at_zero} 0" if positive else f"{x} <{at_zero} 0"
    good = f"{x} < 0" if positive else f"{x} > 0"
    return (
        f"is right for {good} but wrong for {bad}: look at what it does there "
        f"(a where(...) branch, or an if)."
    )


def _side(v: float) -> int:
    return (v > 0) - (v < 0)


def _number(x: float) -> str:
    """A factor as a reader would write it: 2, 0.5, -3, 1.5708."""
    return f"{round(x)}" if abs(x - round(x)) < 1e-6 else f"{x:.6g}"


# -- the table -----------------------------------------------------------------------------


def _table(report: OpcheckReport) -> list[str]:
    """One line per point: where, then yours and the finite difference for each input."""
    names = report.inputs
    by = len(names) > 1
    heads = [(f"yours d/d{x}", f"finite diff. d/d{x}") if by else ("yours", "finite differences")
             for x in names]  # fmt: skip
    lines = ["  " + "  ".join(f"{x:>7}" for x in names) + "".join(
        f"  {yours:>16}  {numeric:>18}" for yours, numeric in heads
    )]  # fmt: skip
    points: dict[tuple, list[OpcheckRow]] = {}
    for row in report.rows:
        points.setdefault(row.point, []).append(row)
    for point, rows in points.items():
        line = "  " + "  ".join(f"{v:>7g}" for v in point)
        line += "".join(f"  {row.yours:>16.10g}  {row.numeric:>18.10g}" for row in rows)
        if not all(row.ok for row in rows):
            line += "   <-- wrong"
        elif any(row.kink for row in rows):
            line += "   (a kink: any slope between the one-sided ones passes)"
        lines.append(line)
    return lines
