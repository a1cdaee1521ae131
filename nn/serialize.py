"""Saving and loading weights as JSON: atomic on write, validated on read, never pickle.

The file records what it is (``format``, ``version``), the architecture
(``config``: kind, sizes, activations) and the weights by name::

    {"format": "scalarflow.nn", "version": 1,
     "config": {"kind": "MLP", "nin": 2, "nouts": [16, 16, 1], ...},
     "parameters": {"L0.N0.w0": 0.52, ...}}

Writing goes through ``engine.utils.files.atomic_write``: a temporary file in the same
directory then replaces the target in one step, so a crash never leaves half a file.
Reading checks everything (a regular file of a size a model can have, valid
JSON, the format, the architecture, every name and number) before a single
weight changes.

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
import stat
from collections.abc import Mapping
from typing import Any, Protocol

from engine.utils.files import atomic_write

__all__ = [
    "FORMAT",
    "VERSION",
    "MAX_FILE_BYTES",
    "CheckpointError",
    "model_json",
    "save_module",
    "load_module",
    "read_checkpoint",
]

FORMAT = "scalarflow.nn"
VERSION = 1

# The largest file ``load`` reads, so that a wrong path (a 1 GB log, a link to /dev/zero)
# is refused at once instead of filling memory. A model of this library keeps each weight as
# a Python Value (~200 bytes) and builds a few more per weight for every sample it sees, so a
# million weights (~4x the biggest MLP the command line trains, 266,506) already means hours
# of training; in the file a weight takes at most 64 bytes: a name of up to 24 characters
# ("L4.N255.w255" is 12), a number of up to 24 ("-2.2250738585072014e-308"), and 8 for
# quotes, ": ", comma, indent and newline. ``save`` refuses to write anything larger.
MAX_PARAMETERS = 1_000_000
BYTES_PER_PARAMETER = 64
MAX_FILE_BYTES = MAX_PARAMETERS * BYTES_PER_PARAMETER
_LIMIT = (
    f"{MAX_FILE_BYTES:,} bytes: {MAX_PARAMETERS:,} weights of at most {BYTES_PER_PARAMETER} "
    f"bytes each"
)


class Saveable(Protocol):
    """What saving and loading need of a model (``nn.Module`` has it): its architecture as
    plain data and its weights by name. ``module.py`` calls this module, never the reverse."""

    def config(self) -> dict[str, Any]: ...

    def state_dict(self) -> dict[str, float]: ...

    def load_state_dict(self, state: Mapping[str, object]) -> None: ...


class CheckpointError(ValueError):
    """A saved-model file that cannot be loaded: unreadable, corrupt, or for another model."""


def save_module(module: Saveable, path: str | os.PathLike) -> None:
    """Write ``module``'s config and weights to ``path`` as JSON (see the module docstring)."""
    atomic_write(path, model_json(module))


def model_json(module: Saveable) -> bytes:
    """The file ``save`` writes for ``module`` (UTF-8 JSON), checked to be loadable again.

    >>> from nn import MLP
    >>> import json
    >>> json.loads(model_json(MLP(1, [1], seed=0)))["parameters"]
    {'L0.N0.w0': 0.6888437030500962, 'L0.N0.b': 0.0}
    """
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
    data = (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("utf-8")
    if len(data) > MAX_FILE_BYTES:  # never write a file that load() would refuse
        raise ValueError(
            f"cannot save {type(module).__name__}: with {len(state):,} parameters its file would "
            f"be {len(data):,} bytes, more than load() reads ({_LIMIT})"
        )
    return data


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check the envelope of a saved model: JSON, format, version, fields' types."""
    where = os.fspath(path)
    raw = _read_bounded(where)
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


def _read_bounded(where: str) -> bytes:
    """The bytes of ``where`` if it is a regular file no bigger than MAX_FILE_BYTES."""
    try:
        _check_is_model_sized_file(where, os.stat(where))  # before opening: a FIFO would block
        # O_NONBLOCK: should the name become a FIFO after the check, open() still returns.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        with open(os.open(where, flags), "rb") as f:
            _check_is_model_sized_file(where, os.fstat(f.fileno()))  # what was opened
            raw = f.read(MAX_FILE_BYTES + 1)  # + 1: a file that grew since is caught too
    except OSError as e:
        raise CheckpointError(f"cannot read {where!r}: {e.strerror or e}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise CheckpointError(_too_big(where, len(raw), grew=True))
    return raw


def _check_is_model_sized_file(where: str, info: os.stat_result) -> None:
    mode = info.st_mode
    if not stat.S_ISREG(mode):
        kind = (
            "a directory" if stat.S_ISDIR(mode)
            else "a pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "something other than a regular file"
        )  # fmt: skip
        raise CheckpointError(f"cannot read {where!r}: it is {kind}, not a saved model file")
    if info.st_size > MAX_FILE_BYTES:
        raise CheckpointError(_too_big(where, info.st_size))


def _too_big(where: str, size: int, grew: bool = False) -> str:
    size_text = (
        f"more than {MAX_FILE_BYTES:,} bytes (it grew while read)" if grew else (f"{size:,} bytes")
    )
    return (
        f"{where!r} is {size_text}, larger than any saved model can be ({_LIMIT}); "
        f"it is not a model file"
    )


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def load_module(module: Saveable, path: str | os.PathLike) -> None:
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
