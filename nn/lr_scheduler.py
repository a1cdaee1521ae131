"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: change ``lr`` as epochs pass.

Build one on an optimizer and call its ``step()`` once per epoch, after that
epoch's optimizer steps. Like PyTorch's, these multiply the current rate
(the chainable form), so the rates equal torch's to the last bit.

>>> from engine import Value
>>> from nn.optim import SGD
>>> opt = SGD([Value(0.0)], lr=1.0)
>>> schedule = StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(opt.lr); schedule.step()
>>> rates
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.utils.arguments import at_least, whole_number

if TYPE_CHECKING:
    from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR"]


class LRScheduler:
    """The base of the schedules: counts epochs and rewrites the optimizer's ``lr``.

    A subclass says what the next rate is (``_next_lr``) from the current one.
    ``state_dict()`` holds the epoch count, so a resumed run schedules on
    (the rate itself is in the optimizer's state_dict).
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(getattr(optimizer, "param_groups", None), list):
            raise TypeError(
                f"{type(self).__name__} needs an optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0

    def _next_lr(self, lr: float) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """End an epoch: set every group's lr to the schedule's next rate."""
        self.last_epoch += 1
        for group in self.optimizer.param_groups:
            group["lr"] = self._next_lr(group["lr"])

    def get_last_lr(self) -> list[float]:
        """The rate of each parameter group now (one group here)."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """How far the schedule has gone, as JSON-safe data."""
        return {"last_epoch": self.last_epoch}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a ``state_dict()``."""
        if not isinstance(state, Mapping) or set(state) != {"last_epoch"}:
            raise ValueError("a scheduler state_dict is {'last_epoch': n}")
        self.last_epoch = whole_number("last_epoch", state["last_epoch"], 0)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (torch's StepLR).

    ``lr_e = lr_0 · γ^⌊e / step_size⌋``.

    >>> from engine import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> for _ in range(4): schedule.step()
    >>> schedule.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = whole_number("step_size", step_size, 1)
        self.gamma = at_least("gamma", gamma)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch (torch's ExponentialLR).

    ``lr_e = lr_0 · γ^e``.

    >>> from engine import Value
    >>> from nn.optim import Adam
    >>> opt = Adam([Value(0.0)], lr=0.1)
    >>> schedule = ExponentialLR(opt, gamma=0.5)
    >>> schedule.step(); schedule.step(); opt.lr
    0.025
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = at_least("gamma", gamma)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma
