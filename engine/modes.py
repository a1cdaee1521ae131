"""Modes: how operations record the graph (``no_grad``, ``detect_anomaly``), and ``gc_paused``.

The recording modes live in one ``ContextVar`` so that an op reads a single flag
set, and so that each thread and each asyncio task sees only the modes it entered
itself. ``gc_paused`` is the other switch a big graph wants: Python's collector off.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "no_grad",
    "enable_grad",
    "detect_anomaly",
    "is_grad_enabled",
    "is_anomaly_enabled",
    "gc_paused",
]

NO_GRAD = 1  # ops record no parents and no local gradients
ANOMALY = 2  # a NaN or inf produced by an op or by backward raises FloatingPointError

_mode: ContextVar[int] = ContextVar("scalarflow_mode", default=0)

# While engine.compile traces fn, the function that refuses comparing a Value (it
# raises TraceError: a branch on one example's data cannot be compiled); None
# otherwise. A context variable, like the modes: a trace in one thread changes
# nothing for another thread's comparisons.
_tracing: ContextVar[Callable[..., None] | None] = ContextVar("scalarflow_tracing", default=None)


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return not _mode.get() & NO_GRAD


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return bool(_mode.get() & ANOMALY)


@contextmanager
def _with_flag(flag: int, on: bool) -> Iterator[None]:
    mode = _mode.get()
    token = _mode.set(mode | flag if on else mode & ~flag)
    try:
        yield
    finally:
        _mode.reset(token)


def no_grad():
    """Context manager: ops inside it record no parents and no local gradients.

    Use it for evaluation and for updating weights, where no graph is wanted.

    >>> from engine import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.is_leaf, y.data
    (True, 4.0)
    """
    return _with_flag(NO_GRAD, True)


def enable_grad():
    """Context manager: record the graph again, even inside ``no_grad()``."""
    return _with_flag(NO_GRAD, False)


def detect_anomaly():
    """Context manager: a NaN or inf made by an op or by backward raises ``FloatingPointError``.

    The message names the op and the labels of the nodes involved.

    >>> from engine import Value, detect_anomaly
    >>> big = Value(1e308, label="big")
    >>> with detect_anomaly():
    ...     big * 10
    Traceback (most recent call last):
    ...
    FloatingPointError: * produced inf from 1e+308 (node 'big') and 10.0
    """
    return _with_flag(ANOMALY, True)


# -- gc_paused ---------------------------------------------------------------
#
# ``gc_paused()``: build and differentiate big graphs without Python's cyclic collector.
#
# Every Value is an object the cyclic garbage collector tracks, and every *full*
# collection walks all tracked objects that are alive. While a graph grows, the
# collector runs such a walk each time the number of long-lived objects has grown
# by a quarter, so building a graph of n nodes walks ~5n nodes; for big graphs
# that is a large part of the build time, and it grows faster than n.
#
# scalarflow's graphs have no reference cycles (a node points only at its
# inputs, never back), so reference counting frees a graph the moment the last
# reference to it goes, with or without the collector. Pausing the collector
# while a graph is built and walked therefore frees nothing later; it only
# postpones collecting cycles made by *other* code until the block ends.
#
# The pause is not free of walks altogether: what was made inside is young to the
# collector, so its first collection after the block walks it once (instead of
# ~5 times). ``gc.freeze()`` + ``gc.unfreeze()`` would skip that walk too, but
# frozen objects leave the collector's bookkeeping, so full collections would
# come ever more rarely and other code's cycles would pile up.


@contextmanager
def gc_paused() -> Iterator[None]:
    """Context manager: pause the cyclic garbage collector; on exit, restore it, even on error.

    The collector is process-wide: the pause applies to every thread until the
    block ends. If the collector was already off, it stays off.

    >>> import gc
    >>> from engine import Value, gc_paused
    >>> with gc_paused():
    ...     x = Value(1.0)
    ...     for _ in range(10_000):
    ...         x = x * 1.0001
    ...     x.backward()
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
