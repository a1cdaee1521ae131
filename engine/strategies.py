"""``engine.strategies``: Hypothesis strategies for property tests.

The import path the design names; the strategies live beside gradcheck, in
``engine/testing/strategies.py``. Needs hypothesis (``pip install scalarflow[dev]``).
"""

from .testing.strategies import (
    BINARY,
    MARGIN,
    UNARY,
    DrawnExpression,
    expressions,
    op_inputs,
    values,
)

__all__ = ["values", "op_inputs", "expressions", "DrawnExpression", "UNARY", "BINARY", "MARGIN"]
