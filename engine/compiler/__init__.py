"""``engine.compile``: trace a function of one example once, then run generated code on batches.

The pipeline, one module per step, each read in turn: trace.py records the graph fn
builds (a ``Graph`` that prints itself), plan.py finds the layers in it (matrix
products) and what follows them lane by lane, emit_array.py and emit_float.py write it
out as Python (with emit.py, which both share, and symbols.py, on which the op table's
rules write source), and runtime.py runs that code on batches. api.py is ``compile``
and the step it returns, where the four meet.
"""

from .api import CompiledStep, TraceError, compile

__all__ = ["compile", "CompiledStep", "TraceError"]
