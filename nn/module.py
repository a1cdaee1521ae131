"""``Module``: anything with named parameters (Values) that training can adjust.

A module lists its parameters by name (``L0.N3.w1``), zeroes their gradients,
and turns them into a plain ``{name: number}`` dictionary and back, which is
what saving and loading use.

>>> from engine import Value
>>> class Line(Module):
...     def __init__(self):
...         self.a, self.b = Value(2.0, label="a"), Value(1.0, label="b")
...     def named_parameters(self):
...         return [("a", self.a), ("b", self.b)]
>>> line = Line()
>>> line.state_dict()
{'a': 2.0, 'b': 1.0}
>>> line.load_state_dict({"a": -1.0, "b": 0.5}); line.a.data
-1.0
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from engine import Value
from engine.utils.arguments import number

from .serialize import load_module, save_module

__all__ = ["Module"]


class Module:
    """The base of Neuron, Layer and MLP: parameters by name, gradients, state, save/load."""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every trainable Value with its name, in a fixed order (subclasses override this)."""
        return []

    def parameters(self) -> list[Value]:
        """Every trainable Value, in the order of ``named_parameters()``."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (backward accumulates into leaves)."""
        for p in self.parameters():
            p.grad = 0.0

    def config(self) -> dict[str, Any]:
        """The architecture as plain data (kind and sizes), stored with saved weights."""
        return {"kind": type(self).__name__}

    # -- state ----------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """The parameters' current values as ``{name: float}``, in parameter order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from ``{name: number}``; all checked before any is changed.

        The names must be exactly this module's parameter names and the values
        finite real numbers, otherwise ValueError/TypeError says what is wrong
        and the module is left as it was.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a dict of name -> number, got {type(state).__name__}")
        named = self.named_parameters()
        expected = [name for name, _ in named]
        missing = [name for name in expected if name not in state]
        known = set(expected)  # once, not per name: a big model's load stays linear
        unexpected = [name for name in state if name not in known]
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(f"missing {_preview(missing)}")
            if unexpected:
                problems.append(f"unexpected {_preview(unexpected)}")
            raise ValueError(
                f"state does not match {type(self).__name__}'s parameters: " + "; ".join(problems)
            )
        values = {name: number(f"parameter {name!r}", state[name]) for name in expected}
        for name, p in named:
            p.data = values[name]

    # -- files ----------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the architecture and weights to ``path`` as JSON, atomically (never pickle)."""
        save_module(self, path)

    def load(self, path: str | os.PathLike) -> None:
        """Read weights saved by ``save`` into this module; a bad file changes nothing."""
        load_module(self, path)


def _preview(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{shown}{more}"
