"""The views: ways to *see* a graph and its gradients.

``draw_graph`` (graph.py) draws it, ``chain_rule`` (chain.py) writes a gradient out as a
sum of products of local derivatives, and ``step_through``/``save_steps`` (stepper.py)
play the backward pass one edge at a time. They read the graph; none of them changes it.
"""

from .chain import ChainPath, ChainRule, TooManyPathsError, chain_rule
from .graph import draw_graph
from .stepper import BackwardTrace, save_steps, step_through, trace_backward

__all__ = [
    "draw_graph",
    "chain_rule",
    "ChainRule",
    "ChainPath",
    "TooManyPathsError",
    "step_through",
    "save_steps",
    "trace_backward",
    "BackwardTrace",
]
