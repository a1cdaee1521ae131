"""What the compile tests share: a batch in each backend's form, and agreement to rounding.

Generated code adds in a different order than eager backward (a layer is one matrix
product; a batch's gradients are summed at once): compiled and eager agree to rounding,
RTOL = 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

xp_strict = pytest.importorskip("array_api_strict")

RTOL = 1e-12
BACKENDS = ("python", "numpy", "strict")


def as_batch(rows, backend):
    """A batch argument (a list over examples) in the backend's form."""
    if backend == "python":
        return rows
    if backend == "numpy":
        return np.asarray(rows, dtype=float)
    return xp_strict.asarray(rows, dtype=xp_strict.float64)


def close(a: float, b: float, rtol: float = RTOL, floor: float = 0.0) -> bool:
    """``a`` equals ``b`` to ``rtol`` relative (plus ``floor``); inf and nan only themselves."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + floor + 1e-300
