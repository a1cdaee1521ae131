"""``gc_paused()``: build and differentiate big graphs without Python's cyclic collector.

Every Value is an object the cyclic garbage collector tracks, and every *full*
collection walks all tracked objects that are alive. While a graph grows, the
collector runs such a walk each time the number of long-lived objects has grown
by a quarter, so building a graph of n nodes walks ~5n nodes; for big graphs
that is a large part of the build time, and it grows faster than n.

scalarflow's graphs have no reference cycles (a node points only at its
inputs, never back), so reference counting frees a graph the moment the last
reference to it goes, with or without the collector. Pausing the collector
while a graph is built and walked therefore frees nothing later; it only
postpones collecting cycles made by *other* code until the block ends.

The pause is not free of walks altogether: what was made inside is young to the
collector, so its first collection after the block walks it once (instead of
~5 times). ``gc.freeze()`` + ``gc.unfreeze()`` would skip that walk too, but
frozen objects leave the collector's bookkeeping, so full collections would
come ever more rarely and other code's cycles would pile up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


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
