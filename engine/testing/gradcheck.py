"""Check gradients against finite differences: trust, but verify.

The slope of ``f`` at ``x`` is approximated by the central difference

    (f(x + eps) - f(x - eps)) / (2 · eps)

whose error is O(eps²) from the curvature plus O(ε_machine · |f| / eps) from
rounding; eps = 1e-6 balances the two for float64, so analytic and numeric
slopes of a smooth function agree to about 1e-9 · max(1, |f|).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..autograd import grad
from ..errors import GradcheckError
from ..modes import no_grad
from ..utils.arguments import at_least, greater_than, number
from ..value import Value

__all__ = ["GradcheckReport", "GradcheckRow", "gradcheck", "gradgradcheck"]

Function = Callable[[list[Value]], Value]
Inputs = Sequence[
    float | Value
]  # the point to check at: numbers, or Values (whose labels name rows)


@dataclass(frozen=True)
class GradcheckRow:
    """One compared derivative: which, the engine's value, the finite difference."""

    name: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport:
    """What ``gradcheck`` compared; ``str()`` prints the table."""

    rows: tuple[GradcheckRow, ...]
    output: float  # f at the inputs
    eps: float
    atol: float
    rtol: float

    @property
    def passed(self) -> bool:
        """True when every analytic derivative matches its finite difference."""
        return all(row.ok for row in self.rows)

    @property
    def max_abs_error(self) -> float:
        return max((row.abs_error for row in self.rows), default=0.0)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        failed = sum(not row.ok for row in self.rows)
        verdict = "passed" if not failed else f"FAILED for {failed} of {len(self.rows)}"
        lines = [
            f"gradcheck {verdict} (f = {self.output:.6g}, eps={self.eps:g}, "
            f"atol={self.atol:g}, rtol={self.rtol:g}):",
            f"  {'input':<12} {'analytic':>14} {'numeric':>14} {'abs error':>10} {'rel error':>10}",
        ]
        for row in self.rows:
            mark = "" if row.ok else "  <-- mismatch"
            lines.append(
                f"  {row.name:<12} {row.analytic:>14.8g} {row.numeric:>14.8g} "
                f"{row.abs_error:>10.2e} {row.rel_error:>10.2e}{mark}"
            )
        return "\n".join(lines)


def _compare(name: str, analytic: float, numeric: float, atol: float, rtol: float):
    abs_error = abs(analytic - numeric)
    rel_error = abs_error / abs(numeric) if numeric else (0.0 if not abs_error else math.inf)
    ok = abs_error <= atol + rtol * abs(numeric)  # False for NaN, as it should be
    return GradcheckRow(name, analytic, numeric, abs_error, rel_error, ok)


def _validate(
    fn: Function, inputs: Inputs, eps: float, atol: float, rtol: float
) -> tuple[list[float], list[str]]:
    """The inputs as floats, and their names: a labelled Value's label, else ``x0``, ``x1``, ..."""
    if not callable(fn):
        raise TypeError(f"gradcheck needs a function of a list of Values, got {fn!r}")
    if isinstance(inputs, (int, float, Value)):
        raise TypeError("gradcheck needs a list of input numbers, e.g. [0.5, -1.0]")
    inputs = list(inputs)
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    greater_than("eps", eps)
    at_least("atol", atol)
    at_least("rtol", rtol)
    names = [x.label if isinstance(x, Value) and x.label else f"x{i}" for i, x in enumerate(inputs)]
    xs = [
        number(f"input {name}", x.data if isinstance(x, Value) else x)
        for name, x in zip(names, inputs, strict=True)
    ]
    return xs, names


def _evaluate(fn: Function, xs: Sequence[float], names: Sequence[str]) -> tuple[list[Value], Value]:
    """Fresh leaves at ``xs``, labelled ``names``, and ``fn`` of them."""
    leaves = [Value(x, label=name) for x, name in zip(xs, names, strict=True)]
    out = fn(leaves)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {type(out).__name__}: {out!r}")
    return leaves, out


def _nudged(xs: list[float], i: int, delta: float) -> list[float]:
    moved = list(xs)
    moved[i] += delta
    return moved


def _central_difference(
    f: Callable[[list[float]], float], xs, i: int, eps: float, name: str
) -> float:
    try:
        return (f(_nudged(xs, i, eps)) - f(_nudged(xs, i, -eps))) / (2 * eps)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise GradcheckError(
            f"the finite difference for {name} left the function's domain at {name} ± {eps:g}: "
            f"{error}. Check a point farther from the domain's edge, or use a smaller eps."
        ) from error


def gradcheck(
    fn: Function, inputs: Inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4
) -> GradcheckReport:
    """Compare ``backward()``'s gradients of ``fn`` at ``inputs`` with central differences.

    ``fn`` takes a list of Values and returns one Value. The Values are labelled
    ``x0``, ``x1``, ..., or with the labels of ``inputs`` given as labelled Values,
    and the report and its errors use the same names. A derivative passes when
    ``|analytic - numeric| <= atol + rtol·|numeric|``.
    Also checked, because a careful user would: a second ``backward()``
    doubles the gradients (leaves accumulate), ``backward(0.0)`` gives zeros,
    and ``grad()`` agrees with ``backward()``.

    Raises ``GradcheckError`` (an ``AssertionError``) with the table on a mismatch.

    >>> report = gradcheck(lambda x: x[0] * x[1].tanh(), [2.0, 0.5])
    >>> report.passed
    True
    >>> gradcheck(lambda x: x[0] ** 3, [2.0]).rows[0].analytic
    12.0
    >>> [row.name for row in gradcheck(lambda x: x[0] * x[1], [Value(2.0, label="w"), 3.0]).rows]
    ['w', 'x1']
    """
    xs, names = _validate(fn, inputs, eps, atol, rtol)

    leaves, out = _evaluate(fn, xs, names)
    out.backward()
    analytic = [leaf.grad for leaf in leaves]
    for i, a in enumerate(analytic):
        if not math.isfinite(a):
            raise GradcheckError(
                f"the gradient for {names[i]} is {a!r}: the function has no finite slope at "
                f"{xs}, e.g. sqrt at 0; check a point inside the domain"
            )
    _check_consistency(out, leaves, names, analytic)

    def f(point: list[float]) -> float:
        with no_grad():
            return _evaluate(fn, point, names)[1].data

    rows = tuple(
        _compare(name, analytic[i], _central_difference(f, xs, i, eps, name), atol, rtol)
        for i, name in enumerate(names)
    )
    report = GradcheckReport(rows, out.data, eps, atol, rtol)
    if not report.passed:
        raise GradcheckError(str(report))
    return report


def _close(a: float, b: float) -> bool:
    # Sums taken in a different order may differ in the last bits, no more.
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def _check_consistency(
    out: Value, leaves: list[Value], names: list[str], analytic: list[float]
) -> None:
    """Checks that need no finite differences: accumulation, zero upstream, ``grad()``."""
    from_grad = grad(out, leaves)
    for i, (a, g) in enumerate(zip(analytic, from_grad)):
        if not _close(a, g):
            raise GradcheckError(f"grad() gives {g!r} for {names[i]} but backward() gives {a!r}")
    out.backward()  # the same graph again: leaves must now hold exactly twice as much
    for i, leaf in enumerate(leaves):
        if not _close(leaf.grad, 2 * analytic[i]):
            raise GradcheckError(
                f"a second backward() left {names[i]}.grad = {leaf.grad!r}, "
                f"not twice {analytic[i]!r}: leaves must accumulate"
            )
        leaf.grad = 0.0
    out.backward(0.0)
    for i, leaf in enumerate(leaves):
        if leaf.grad != 0.0:
            raise GradcheckError(
                f"backward(0.0) left {names[i]}.grad = {leaf.grad!r}: a zero upstream gradient "
                f"must give zero gradients"
            )


def gradgradcheck(
    fn: Function, inputs: Inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4
) -> GradcheckReport:
    """Check second derivatives: ``grad(..., create_graph=True)`` differentiated again.

    Each entry of the Hessian, d²f/dxi dxj, is compared with the central
    difference of the first derivative dfi/dxj. Raises ``GradcheckError`` on a mismatch.

    >>> gradgradcheck(lambda x: x[0] ** 3 * x[1], [2.0, 0.5]).rows[0].analytic  # 6·x0·x1
    6.0
    """
    xs, names = _validate(fn, inputs, eps, atol, rtol)

    leaves, out = _evaluate(fn, xs, names)
    first = grad(out, leaves, create_graph=True)
    hessian = [grad(g, leaves) for g in first]

    def first_derivative(i: int) -> Callable[[list[float]], float]:
        def f(point: list[float]) -> float:
            point_leaves, point_out = _evaluate(fn, point, names)
            return grad(point_out, point_leaves)[i]

        return f

    rows = tuple(
        _compare(
            f"d²/d{names[i]}d{names[j]}",
            hessian[i][j],
            _central_difference(first_derivative(i), xs, j, eps, names[j]),
            atol,
            rtol,
        )
        for i in range(len(xs))
        for j in range(len(xs))
    )
    report = GradcheckReport(rows, out.data, eps, atol, rtol)
    if not report.passed:
        raise GradcheckError(str(report))
    return report
