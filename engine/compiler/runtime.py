"""Running generated code: batches in, parameters' values in, gradients out.

What a compiled step does around the generated ``run`` at every call, kept apart
from the pipeline that makes it (see ``engine.compiler.api``):

- the batch: its namespace (plain lists, numpy, any Array API library) and size,
  checked against the example the step was traced on (``measure``);
- the program for one namespace (``FloatProgram``, ``ArrayProgram``): theta, the
  parameters' ``.data`` laid out as the code reads it, the call, and the gradients
  it returns delivered into ``.grad`` (or, for ``with_params``, laid out like theta);
- numpy with its reductions called directly (``fast_numpy``), and the checks
  ``detect_anomaly=True`` writes into the code.
"""

from __future__ import annotations

import builtins
import linecache
import math
import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import ops
from ..value import Value

if TYPE_CHECKING:  # emit loads when a step is first made, not with engine
    from .emit import Source

__all__ = ["measure", "FloatProgram", "ArrayProgram", "load", "take", "flatten"]


# ---------------------------------------------------------------------------
# Batches and namespaces.


def measure(batch: Sequence, shapes: tuple) -> tuple[object, int]:
    """The batch's Array API namespace (None for plain Python sequences) and its size,
    once every argument holds one example per row, shaped like the traced example's."""
    if len(batch) != len(shapes):
        raise TypeError(
            f"this step takes {len(shapes)} batch argument(s), like fn's example, got {len(batch)}"
        )
    xp = _namespace(batch)
    return xp, _batch_size(batch, shapes, xp)


def _namespace(batch):
    """The Array API namespace of the batch's arrays, or None for plain Python sequences."""
    for arg in batch:
        if hasattr(arg, "__array_namespace__"):
            return arg.__array_namespace__()
        if type(arg).__module__.split(".")[0] in ("numpy", "torch", "jax", "cupy", "dask"):
            try:
                import array_api_compat
            except ImportError:
                raise ImportError(
                    f"compiling for {type(arg).__module__} arrays needs array-api-compat: "
                    f"pip install array-api-compat (or scalarflow[compile])"
                ) from None
            return array_api_compat.array_namespace(arg)
    return None


def _batch_size(batch, shapes, xp) -> int:
    sizes = set()
    for k, (arg, shape) in enumerate(zip(batch, shapes)):
        if xp is not None and not hasattr(arg, "shape"):  # a list beside an array: as one
            _sequence(arg, k)
            arg = _as_array(arg, k, xp)
        if xp is not None:
            arg_shape = tuple(arg.shape or (len(arg),))
            want = (arg_shape[0],) if shape is None else (arg_shape[0], shape)
            if tuple(arg.shape) != want:
                per_example = "a number" if shape is None else f"{shape} numbers"
                raise ValueError(
                    f"batch argument {k} has shape {tuple(arg.shape)}, expected {want}: the "
                    f"batch first, then {per_example} per example"
                )
            sizes.add(arg_shape[0])
        else:
            _sequence(arg, k)
            _rows(arg, k, shape)
            sizes.add(len(arg))
    if len(sizes) != 1:
        raise ValueError(f"the batch arguments hold different numbers of examples: {sorted(sizes)}")
    (n,) = sizes
    if n == 0:
        raise ValueError("the batch is empty: give at least one example")
    return n


def _rows(arg: Sequence, k: int, shape: int | None) -> None:
    """Every example of a list argument is what the traced one was: a number, or ``shape``."""
    if shape is None:
        for item in arg:
            if isinstance(item, Sequence):
                raise ValueError(
                    f"batch argument {k}: every example is a number, like the example "
                    f"compile was traced on; one is {type(item).__name__} {item!r:.40}"
                )
        return
    for row in arg:
        if len(row) != shape:
            raise ValueError(
                f"batch argument {k}: every example holds {shape} numbers, like the "
                f"example compile was traced on; one holds {len(row)}"
            )


def _sequence(arg, k: int) -> None:
    if not isinstance(arg, Sequence) or isinstance(arg, str):
        raise TypeError(
            f"batch argument {k} must be a sequence over examples (a list, or an array "
            f"whose first axis is the batch), got {type(arg).__name__}"
        )


def _as_array(arg, k: int, xp):
    """A batch argument given as a list, as the array the step will run on."""
    try:
        return xp.asarray(arg, dtype=xp.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"batch argument {k} is not numbers of one shape, as an array needs them: {error}"
        ) from None


def take(arg, i: int, xp):
    """Example ``i`` of a batch argument, as a batch of one."""
    if xp is not None and len(getattr(arg, "shape", ())) == 2:
        return arg[i : i + 1, :]
    return arg[i : i + 1]


def to_list(a) -> list:
    if isinstance(a, list):
        return a
    if hasattr(a, "tolist"):
        return a.tolist()
    import numpy as np  # an Array API array without tolist: through DLPack

    return np.from_dlpack(a).tolist()


def flatten(result) -> list[float]:
    """A step's result (a loss, or outputs per example) as one list of floats."""
    if isinstance(result, float):
        return [result]
    out = []
    for v in to_list(result):
        out.extend(v if isinstance(v, list) else [v])
    return [float(v) for v in out]


# ---------------------------------------------------------------------------
# Loading generated code.


def load(source: Source, filename: str):
    """``source`` compiled (without its comments); tracebacks show its lines with them."""
    code = builtins.compile(source.code, filename, "exec")
    linecache.cache[filename] = (len(source.text), None, source.text.splitlines(True), filename)
    return code


def _define(code, names: dict) -> Callable:
    exec(code, names)  # our own generated source (see emit), never user text
    return names["run"]


def _generated_line(tb, source: str) -> str:
    """The generated line an exception came from, with its comment (which names the op)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<engine.compile"):
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None:
        return "the generated code"
    return f"'{source.splitlines()[line - 1].strip()}'"


# ---------------------------------------------------------------------------
# Programs: the generated code for one namespace, and what a call needs around it.


class FloatProgram:
    """Float code on plain lists: theta in ``state`` order, one gradient per slot."""

    def __init__(self, source: Source, code, state: list[Value]) -> None:
        self.source, self.state = source, state
        names = {
            "math": math,
            "sign": float_sign,
            "sigmoid": ops.SIGMOID.forward,
            "isfinite": math.isfinite,
            "fail": _float_anomaly(source.descriptions),
            **source.functions,
        }
        self.function = _define(code, names)

    def run(self, batch, n: int, scale: float, theta=None):
        """The code on ``batch``: its outputs, or (loss, the gradient per slot)."""
        theta = [v.data for v in self.state] if theta is None else list(theta)
        try:
            return self.function(theta, *[list(a) for a in batch], n, scale, None)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            where = _generated_line(error.__traceback__, self.source.text)
            raise type(error)(
                f"compiled step (pure Python): {error} in {where}. Compiled code skips "
                f"the eager engine's per-node domain checks; run fn eagerly on this "
                f"example for a message naming the node"
            ) from None

    def deliver(self, grads) -> None:
        """Add the gradient of each slot into its parameter's ``.grad``."""
        state = self.state
        for slot, g in zip(self.source.slots, grads):
            state[slot].grad += g

    def per_state_value(self, grads) -> list[float]:
        """The gradient laid out like ``state``: a total per Value, 0 where none reaches it."""
        per_value = [0.0] * len(self.state)
        for slot, g in zip(self.source.slots, grads):
            per_value[slot] += g
        return per_value


def float_sign(x: float) -> float:
    """sign(x) as a float: 1.0, -1.0 or 0.0 (and nan for nan)."""
    return math.copysign(1.0, x) if x != 0 and x == x else x * 0.0 if x == x else x


class ArrayProgram:
    """Array code in one namespace: theta in the code's layout, gradients summed per slot.

    The code reads theta in ``Source.layout``'s order (a layer's weights side by side)
    and returns one gradient per ``Source.slots`` entry; a parameter with several slots
    (a weight shared by several terms) gets their sum, added up in the array library
    by one gather, so that Python adds once per parameter.
    """

    def __init__(self, source: Source, code, state: list[Value], xp, detect_anomaly: bool):
        if getattr(xp, "__name__", "") == "numpy":
            xp = fast_numpy()
        self.xp, self.source, self.state = xp, source, state
        names = {"sigmoid": ops.sigmoid, "max_slopes": _max_slopes(xp)}
        for name, index in source.indices.items():
            names[name] = xp.asarray(index, dtype=xp.int64)
        for name, offset in source.offsets.items():
            names[name] = xp.asarray(offset, dtype=xp.float64)
        self.function = _define(code, names)
        self.require_finite = _array_anomaly(xp, source.descriptions) if detect_anomaly else None
        layout = source.layout
        self.values = [state[s] for s in layout]  # the Values in the order the code reads them
        self.layout = None  # packed theta (state order) -> the code's: an index array, or None
        if layout != list(range(len(state))):
            self.layout = xp.asarray(layout, dtype=xp.int64)
        receivers, gather, self.width = _collect(source.slots)
        self.receivers = [state[s] for s in receivers]  # in the order of the totals
        self.gather = None  # grads -> per-parameter slots: an index array, or None if grads is
        if self.width != 1 or gather != list(range(len(source.slots))):
            self.gather = xp.asarray(gather, dtype=xp.int64)
        self.spread = _spread(receivers, len(state), xp)  # totals -> state order, for theta
        self.read, self.numbers = _converters(xp, len(layout))

    def run(self, batch, n: int, scale: float, theta=None):
        """The code on ``batch``: its outputs, or (loss, the gradient per slot)."""
        xp = self.xp
        if theta is None:  # a comprehension, not map(attrgetter): the interpreter specialises it
            theta = self.read([v.data for v in self.values])
        else:  # packed: in state order; the code reads it in its layout's
            theta = xp.asarray(theta, dtype=xp.float64)
            if self.layout is not None:
                theta = xp.take(theta, self.layout)
        args = [xp.asarray(a, dtype=xp.float64) for a in batch]
        return self.function(xp, theta, *args, n, scale, self.require_finite)

    def _totals(self, grads):
        """One total per parameter that receives a gradient, in the order of ``receivers``."""
        if self.gather is None:
            return grads  # the code added them up itself
        xp = self.xp
        totals = xp.take(grads, self.gather)
        if self.width > 1:
            totals = xp.sum(xp.reshape(totals, (self.width, len(self.receivers))), axis=0)
        return totals

    def deliver(self, grads) -> None:
        """Add each parameter's total into its ``.grad``."""
        for v, g in zip(self.receivers, self.numbers(self._totals(grads))):
            v.grad += g

    def per_state_value(self, grads):
        """The totals laid out like ``state`` (theta), 0 where no gradient reaches a Value."""
        totals = self._totals(grads)
        if self.spread is None:
            return totals
        xp = self.xp
        if len(self.receivers) == len(self.state):  # every Value has a total: reorder them
            return xp.take(totals, self.spread)
        return xp.take(xp.concat([totals, xp.zeros(1, dtype=xp.float64)]), self.spread)


def _max_slopes(xp) -> Callable:
    """``max_slopes(z, m)``: the slope of ``m``, a chain of maximum over the lanes (rows) of
    ``z`` (``m = max(...max(max(z[0], z[1]), z[2])..., z[k])``), with respect to every lane,
    for every example (column).

    The table's maximum gives 1 to the larger input and ½ to each where they tie, so the
    chain gives 1 to the largest lane; where t lanes tie for the largest, each link that
    meets a tie halves the slope of what came before: the first of them gets ½^(t-1),
    each later one ½ for its own tie times ½ for every tie after it.

    >>> import numpy as np
    >>> from engine.compiler.runtime import fast_numpy
    >>> z = np.array([[1.0, 3.0], [3.0, 3.0], [2.0, 3.0]])   # 3 lanes, 2 examples
    >>> _max_slopes(fast_numpy())(z, z.max(axis=0)).T.tolist()
    [[0.0, 1.0, 0.0], [0.25, 0.25, 0.5]]
    """

    def max_slopes(z, m):
        largest = z == m
        at_max = xp.astype(largest, xp.float64)
        if int(xp.count_nonzero(largest)) == z.shape[1]:  # one largest lane each: no tie
            return at_max
        ties = xp.cumulative_sum(at_max, axis=0)  # the lanes at the maximum so far
        later = ties[-1, :] - ties + xp.astype(ties > 1.0, xp.float64)
        return at_max * 0.5**later

    return max_slopes


def _collect(slots: list[int]) -> tuple[list[int], list[int], int]:
    """How to sum the gradient slots per parameter: (parameters, flat gather, slots each).

    Column j of the (width, parameters) gather holds the positions of parameter j's
    slots, padded with ``len(slots)``: the position of the 0 the generated code appends.
    """
    positions: dict[int, list[int]] = {}  # in the order the parameters first appear
    for k, s in enumerate(slots):
        positions.setdefault(s, []).append(k)
    receivers = list(positions)
    width = max((len(p) for p in positions.values()), default=1)
    pad = len(slots)
    rows = [positions[s] + [pad] * (width - len(positions[s])) for s in receivers]
    # Stored column by column (slot r of every parameter, then r + 1): summing over the
    # first axis adds whole contiguous rows, which numpy does fastest.
    gather = [row[r] for r in range(width) for row in rows]
    return receivers, gather, width


def _spread(receivers: list[int], count: int, xp):
    """Where each of ``count`` state Values finds its total: None if the totals are laid
    out so already, else an index into the totals with a 0 appended."""
    if receivers == list(range(count)):
        return None
    where = {s: k for k, s in enumerate(receivers)}
    return xp.asarray([where.get(s, len(receivers)) for s in range(count)], dtype=xp.int64)


def _converters(xp, count: int) -> tuple[Callable, Callable]:
    """(floats -> theta array, totals array -> floats to add), the fastest this xp allows."""
    if isinstance(xp, _FastNumpy):
        # struct packs the floats as raw doubles in one C loop, and numpy takes the
        # bytes as they are: on W1 a third fewer instructions than np.fromiter(list)
        # (the array is read-only, which the generated code never minds: it writes
        # nothing in place).
        pack, frombuffer = struct.Struct(f"{count}d").pack, xp._np.frombuffer

        def read(values):
            return frombuffer(pack(*values))

        # A memoryview hands out each float as the loop takes it, and the loop lets it
        # go: no list of them all (the totals are a fresh contiguous float64 array).
        return read, memoryview

    def read_any(values):
        return xp.asarray(values, dtype=xp.float64)

    return read_any, to_list


# ---------------------------------------------------------------------------
# numpy, faster.

_FAST_NUMPY = []


class _FastNumpy:
    """numpy, with ``sum``, ``max``, ``take``, ``reshape`` and ``astype`` calling C directly,
    and ``permute_dims`` giving contiguous rows.

    numpy's module functions wrap these in Python (argument dispatch, keyword
    handling); on W1's small arrays that wrapping is a third of the step. The
    results are numpy's own, to the bit. Every other name is numpy's, looked up
    once and kept.
    """

    __name__ = "numpy (fast reductions)"

    def __init__(self, np) -> None:
        self._np = np
        add_reduce = np.add.reduce

        def sum(x, axis=None, keepdims=False):  # noqa: A001 - the Array API's name
            return add_reduce(x, axis, None, None, keepdims)

        self.sum = sum
        maximum_reduce = np.maximum.reduce

        def max(x, axis=None):  # noqa: A001 - the Array API's name
            return maximum_reduce(x, axis)

        self.max = max
        self.take = lambda x, indices: x.take(indices)
        self.reshape = lambda x, shape: x.reshape(shape)
        self.astype = lambda x, dtype: x.astype(dtype)
        # An argument turned for lane-by-lane code, copied so that its rows are contiguous:
        # a sum over them then adds whole rows (numpy's transpose, a view, would not).
        self.permute_dims = lambda x, axes: np.ascontiguousarray(np.transpose(x, axes))

    def __getattr__(self, name: str):
        value = getattr(self._np, name)
        setattr(self, name, value)
        return value


def fast_numpy() -> _FastNumpy:
    if not _FAST_NUMPY:
        import numpy as np

        keep_freed_memory()
        _FAST_NUMPY.append(_FastNumpy(np))
    return _FAST_NUMPY[0]


#: glibc's mallopt parameters, and what the compiled numpy code asks of them.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEPT = {_M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: 64 << 20}


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep the memory numpy frees for the next call; True if it did.

    A compiled step makes and frees the same arrays at every call. By default glibc
    maps every array over 128 kB afresh and hands freed memory back to the system, so
    each call touches its arrays' pages anew: at 1,437 digits that is 400 page faults
    a step, half its time. Arrays up to 32 MB then come from the heap, and up to 64 MB
    that is free at its top stays there (PyTorch's allocator and XLA keep theirs too).
    Done once, the first time compiled code runs on numpy; the setting is the
    process's, so ``SCALARFLOW_KEEP_MEMORY=0`` in the environment leaves malloc as it
    is. Elsewhere than glibc (macOS, Windows) it does nothing.
    """
    import os

    if os.environ.get("SCALARFLOW_KEEP_MEMORY", "1") == "0":
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return all(mallopt(parameter, value) == 1 for parameter, value in KEPT.items())


# ---------------------------------------------------------------------------
# detect_anomaly=True: what the checks the code carries call.


def _array_anomaly(xp, descriptions: list[str]):
    """require_finite(value, k) for array code: stop if ``value`` (the k-th) is not all finite."""

    def require_finite(value, k: int) -> None:
        finite = xp.isfinite(value)
        if not bool(xp.all(finite)):
            raise FloatingPointError(
                f"compiled step (detect_anomaly=True): {descriptions[k]} produced a value that "
                f"is not finite (nan or inf); it is the first such value of the forward pass"
            )

    return require_finite


def _float_anomaly(descriptions: list[str]):
    """fail(k, value) for float code: the k-th checked value is ``value``, not finite."""

    def fail(k: int, value: float) -> None:
        raise FloatingPointError(
            f"compiled step (detect_anomaly=True): {descriptions[k]} produced {value!r}, the "
            f"first value of the forward pass that is not finite"
        )

    return fail
