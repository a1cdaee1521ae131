"""scalarflow's autograd engine: scalar Values that remember how they were made.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.005364
"""

from .autograd import BackwardStep, grad, topological_order
from .compiler import CompiledStep, TraceError, compile
from .define import DefinedOp, define_op
from .errors import DomainError, GradcheckError
from .modes import detect_anomaly, enable_grad, gc_paused, is_grad_enabled, no_grad
from .ops import cos, exp, log, maximum, sigmoid, sin, sqrt, tanh, where
from .testing import GradcheckReport, gradcheck, gradgradcheck, opcheck
from .value import Value
from .views import (
    BackwardTrace,
    ChainPath,
    ChainRule,
    TooManyPathsError,
    chain_rule,
    draw_graph,
    save_steps,
    step_through,
    trace_backward,
)

__all__ = [  # alphabetical
    "BackwardStep",
    "BackwardTrace",
    "chain_rule",
    "ChainPath",
    "ChainRule",
    "compile",
    "CompiledStep",
    "cos",
    "define_op",
    "DefinedOp",
    "detect_anomaly",
    "DomainError",
    "draw_graph",
    "enable_grad",
    "exp",
    "gc_paused",
    "grad",
    "gradcheck",
    "GradcheckError",
    "GradcheckReport",
    "gradgradcheck",
    "is_grad_enabled",
    "log",
    "maximum",
    "no_grad",
    "opcheck",
    "save_steps",
    "sigmoid",
    "sin",
    "sqrt",
    "step_through",
    "tanh",
    "TooManyPathsError",
    "topological_order",
    "trace_backward",
    "TraceError",
    "Value",
    "where",
]
