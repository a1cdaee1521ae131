"""``engine.compile``: trace a function of one example once, then run generated code on batches.

trace.py records the graph fn builds, fusion.py plans it (layers as matrix products),
codegen.py (with symbols.py) writes it out as Python source, and api.py compiles and runs
that source.
"""

from .api import CompiledStep, TraceError, compile

__all__ = ["compile", "CompiledStep", "TraceError"]
