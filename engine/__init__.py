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

__all__ = [
    "Value",
    "BackwardStep",
    "grad",
    "topological_order",
    "draw_graph",
    "chain_rule",
    "ChainRule",
    "ChainPath",
    "TooManyPathsError",
    "step_through",
    "save_steps",
    "trace_backward",
    "BackwardTrace",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "gc_paused",
    "gradcheck",
    "gradgradcheck",
    "GradcheckReport",
    "GradcheckError",
    "DomainError",
    "compile",
    "CompiledStep",
    "TraceError",
    "define_op",
    "DefinedOp",
    "opcheck",
    "where",
    "exp",
    "log",
    "sqrt",
    "tanh",
    "sigmoid",
    "sin",
    "cos",
    "maximum",
]
