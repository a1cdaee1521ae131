"""The loss landscape of two weights: the path an optimizer takes across it.

``trajectory`` runs an optimizer and records where its parameters go, then
puts them back, so several optimizers can race from the same start;
``loss_grid`` evaluates the loss over a grid of the two weights;
``nn.plot.loss_surface`` draws the one on the contours of the other.

>>> from engine import Value
>>> from nn.optim import SGD
>>> x, y = Value(1.0), Value(-1.0)
>>> bowl = lambda: x * x + 10 * y * y
>>> path = trajectory(bowl, SGD([x, y], lr=0.05), steps=3)
>>> [(round(a, 4), round(b, 4)) for a, b in path]
[(1.0, -1.0), (0.9, 0.0), (0.81, 0.0), (0.729, 0.0)]
>>> x.data, y.data                        # back at the start
(1.0, -1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from engine import Value, no_grad
from engine.utils.arguments import whole_number

if TYPE_CHECKING:
    from .optimizer import Optimizer

__all__ = ["trajectory", "loss_grid"]


def trajectory(
    closure: Callable[[], Value], optimizer: Optimizer, steps: int
) -> list[tuple[float, ...]]:
    """The path an optimizer takes: parameter values before each step and after the last.

    ``closure()`` computes the loss from the optimizer's parameters. The
    parameters are put back where they started afterwards (data and grad),
    so several optimizers can be compared from the same starting point, e.g.
    with ``nn.plot.loss_surface``.
    """
    steps = whole_number("steps", steps, 0)
    params = optimizer.params
    start = [(p.data, p.grad) for p in params]
    path = [tuple(p.data for p in params)]
    try:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = closure()
            if not isinstance(loss, Value):
                raise TypeError(f"closure must return a Value, got {type(loss).__name__}")
            loss.backward()
            optimizer.step()
            path.append(tuple(p.data for p in params))
    finally:
        for p, (data, grad) in zip(params, start, strict=True):
            p.data, p.grad = data, grad
    return path


def loss_grid(
    closure: Callable[[], Value | float],
    params: tuple[Value, Value],
    xs: Sequence[float],
    ys: Sequence[float],
) -> list[list[float]]:
    """The loss at every grid point: row j, column i is the loss at ``(xs[i], ys[j])``.

    Each point sets the two parameters' ``.data`` and calls ``closure()`` without
    recording a graph; the parameters are put back afterwards, even on error.

    >>> from engine import Value
    >>> a, b = Value(0.0), Value(0.0)
    >>> loss_grid(lambda: a * a + b, (a, b), [0.0, 1.0, 2.0], [10.0, 20.0])
    [[10.0, 11.0, 14.0], [20.0, 21.0, 24.0]]
    >>> a.data, b.data
    (0.0, 0.0)
    """
    a, b = params
    start = (a.data, b.data)
    grid = []
    try:
        with no_grad():
            for y in ys:
                row = []
                for x in xs:
                    a.data, b.data = x, y
                    loss = closure()
                    row.append(loss.data if isinstance(loss, Value) else float(loss))
                grid.append(row)
    finally:
        a.data, b.data = start
    return grid
