"""The loss landscape of two weights: the path an optimizer takes across it.

``trajectory`` runs an optimizer and records where its parameters go, then
puts them back, so several optimizers can race from the same start;
``nn.plot.loss_surface`` draws the paths on the contours of the loss.

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

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine import Value

from .checks import whole_number

if TYPE_CHECKING:
    from .optim import Optimizer

__all__ = ["trajectory"]


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
