"""What ``Optimizer.load_state_dict`` checks in a saved state before anything changes.

A state_dict can come from anywhere (a file, torch, an edit by hand), so each part is
checked here: the parameter ids, each parameter's state entries (finite numbers, a
whole step count, no negative sums of squares) and that every parameter is at the
same step. Each check raises ValueError/TypeError naming the entry and the parameter.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from engine.utils.arguments import number, whole_number

__all__ = ["check_ids", "param_id", "checked_state", "step_count", "check_in_step", "MAX_STEP"]


def check_ids(ids: Sequence[object]) -> None:
    """Refuse saved parameter ids that are not distinct whole numbers >= 0."""
    seen: set[object] = set()
    for i in ids:
        try:
            whole_number("a parameter id", i, 0)
        except ValueError:  # said with the id shortened: a state_dict can hold anything
            raise ValueError(
                f"the state_dict's 'params' holds {shown(i)}: parameter ids are whole numbers >= 0"
            ) from None
        if i in seen:
            raise ValueError(f"the state_dict's 'params' lists parameter {shown(i)} twice")
        seen.add(i)


def param_id(key: object) -> object:
    """A parameter id as saved: an int, or its digits after a trip through JSON."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return key


def checked_state(
    entry: object, initial: Mapping[str, Any], where: str, non_negative: Mapping[str, str]
) -> dict[str, Any]:
    """A saved per-parameter state, checked against what this optimizer keeps.

    ``non_negative`` names the entries that must be >= 0 (and what each one is).
    """
    if not isinstance(entry, Mapping):
        raise ValueError(f"the state of {where} must be a dict, got {type(entry).__name__}")
    if not entry:
        return {}
    if set(entry) != set(initial):
        raise ValueError(
            f"the state of {where} holds {sorted(entry)}; this optimizer keeps {sorted(initial)}"
        )
    result: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "step":
            result[key] = step_count(value, where)
        else:
            result[key] = number(f"{key} of {where}", value)
            if key in non_negative and not result[key] >= 0:
                raise ValueError(
                    f"{key} of {where} must be >= 0, got {result[key]:g}: it is "
                    f"{non_negative[key]}, and the next step takes its square root"
                )
    return result


#: The largest step count a state may hold: a float counts exactly up to here (the bias
#: corrections compute β**t with it), and no run takes anywhere near as many steps.
MAX_STEP = 2**53


def step_count(value: object, where: str) -> int:
    """A saved step count: a whole number from 0 to ``MAX_STEP``."""
    name = f"the step count of {where}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if not 0 <= value <= MAX_STEP:
            raise ValueError(
                f"{name} must be a whole number from 0 to 2**53 = {MAX_STEP}, got "
                f"{shown(int(value))}" + (": no run takes that many steps" if value > 0 else "")
            )
    return whole_number(name, value, 0)


def shown(value: object) -> str:
    """A value as a message shows it: an int too long to read by its size, else its repr."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return f"about {'-' if value < 0 else ''}10**{math.log10(abs(value)):.0f}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_in_step(states: Sequence[tuple[object, Mapping[str, Any]]]) -> None:
    """Refuse checked states (id, state) that leave some parameters behind the others.

    ``step()`` moves every parameter together and ``packed()`` holds one array per
    entry and one step count for all, so every parameter has state or none has,
    and every parameter is at the same step.
    """
    stepped = [(i, s) for i, s in states if s]
    if not stepped:
        return
    missing = [i for i, s in states if not s]
    if missing:
        raise ValueError(
            f"the state_dict has state for parameter {stepped[0][0]} but none for parameter "
            f"{missing[0]}: every parameter needs its state, or none does (step() moves them "
            "all at once, and fit(compile=True) packs their states together); to keep only "
            "the hyperparameters, load it with 'state': {}"
        )
    first, first_state = stepped[0]
    for i, s in stepped[1:]:
        if s.get("step") != first_state.get("step"):
            raise ValueError(
                f"the step count of parameter {i} is {s['step']} but that of parameter "
                f"{first} is {first_state['step']}: every parameter must be at the same step "
                "(step() moves them all at once, and fit(compile=True) packs one count for "
                "all); to keep only the hyperparameters, load it with 'state': {}"
            )
