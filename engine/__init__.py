"""scalarflow's autograd engine: scalar Values that remember how they were made.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.005364
"""

from .autograd import BackwardStep, grad, topological_order
from .chain import ChainPath, ChainRule, TooManyPathsError, chain_rule
from .collector import gc_paused
from .compiler import CompiledStep, compile
from .errors import DomainError, GradcheckError
from .gradcheck import GradcheckReport, gradcheck, gradgradcheck
from .graph import draw_graph
from .modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .stepper import BackwardTrace, save_steps, step_through, trace_backward
from .trace import TraceError
from .value import Value

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
]
