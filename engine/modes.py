"""Modes that change how operations record the graph: ``no_grad`` and ``detect_anomaly``.

Both live in one ``ContextVar`` so that an op reads a single flag set, and so
that each thread and each asyncio task sees only the modes it entered itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["no_grad", "enable_grad", "detect_anomaly", "is_grad_enabled", "is_anomaly_enabled"]

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
