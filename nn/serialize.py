"""Saving and loading weights as JSON: atomic on write, validated on read, never pickle.

The file records what it is (``format``, ``version``), the architecture
(``config``: kind, sizes, activations) and the weights by name::

    {"format": "scalarflow.nn", "version": 1,
     "config": {"kind": "MLP", "nin": 2, "nouts": [16, 16, 1], ...},
     "parameters": {"L0.N0.w0": 0.52, ...}}

Writing goes through ``engine.files.atomic_write``: a temporary file in the same
directory then replaces the target in one step, so a crash never leaves half a file.
Reading checks everything (valid JSON, the format, the architecture, every
name and number) before a single weight changes.

>>> import os, tempfile
>>> from nn import MLP
>>> path = os.path.join(tempfile.mkdtemp(), "model.json")
>>> a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
>>> a.save(path); b.load(path)
>>> a.state_dict() == b.state_dict()
True
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from engine.files import atomic_write

if TYPE_CHECKING:
    from .module import Module

__all__ = ["FORMAT", "VERSION", "CheckpointError", "save_module", "load_module", "read_checkpoint"]

FORMAT = "scalarflow.nn"
VERSION = 1


class CheckpointError(ValueError):
    """A saved-model file that cannot be loaded: unreadable, corrupt, or for another model."""


def save_module(module: Module, path: str | os.PathLike) -> None:
    """Write ``module``'s config and weights to ``path`` as JSON (see the module docstring)."""
    config = module.config()
    custom = [k for k, v in config.items() if callable(v)]
    if custom:
        raise ValueError(
            f"cannot save {type(module).__name__}: its {', '.join(custom)} is a custom function, "
            f"which JSON cannot store; use one of the named activations to save the model"
        )
    state = module.state_dict()
    bad = [name for name, v in state.items() if v != v or v in (float("inf"), float("-inf"))]
    if bad:
        raise ValueError(
            f"cannot save {type(module).__name__}: parameter {bad[0]!r} is {state[bad[0]]!r} "
            f"(training diverged?); JSON stores finite numbers only"
        )
    document = {"format": FORMAT, "version": VERSION, "config": config, "parameters": state}
    text = json.dumps(document, indent=1, allow_nan=False)
    atomic_write(path, (text + "\n").encode("utf-8"))


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check the envelope of a saved model: JSON, format, version, fields' types."""
    where = os.fspath(path)
    try:
        with open(where, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read {where!r}: {e.strerror or e}") from None
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    # RecursionError: json's decoder recurses per nesting level, so "[[[[…" exhausts the stack.
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as e:
        raise CheckpointError(
            f"{where!r} is not a valid saved model (corrupt or truncated JSON: {e})"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointError(f"{where!r} is not a scalarflow model file (no format {FORMAT!r})")
    version = document.get("version")
    if version != VERSION:
        raise CheckpointError(
            f"{where!r} has format version {version!r}; this scalarflow reads version {VERSION}"
        )
    config, parameters = document.get("config"), document.get("parameters")
    if not isinstance(config, dict) or not isinstance(parameters, dict):
        raise CheckpointError(f"{where!r} is missing its 'config' or 'parameters' section")
    return document


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def load_module(module: Module, path: str | os.PathLike) -> None:
    """Load weights saved by ``save_module`` into ``module``; on any problem nothing changes."""
    where = os.fspath(path)
    document = read_checkpoint(where)
    saved, ours = document["config"], module.config()
    if saved != ours:
        raise CheckpointError(f"{where!r} holds a different model: {_difference(saved, ours)}")
    try:
        module.load_state_dict(document["parameters"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{where!r}: {e}") from None


def _difference(saved: dict, ours: dict) -> str:
    keys = [
        k for k in [*saved, *(k for k in ours if k not in saved)] if saved.get(k) != ours.get(k)
    ]
    parts = [f"{k} is {saved.get(k)!r} in the file but {ours.get(k)!r} in this model" for k in keys]
    return "; ".join(parts)
