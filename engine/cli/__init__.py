"""``python -m engine``: draw, step through and check a formula typed on the command line.

commands.py is the command line; expr.py parses the formula with ``ast`` against the op
table (never ``eval``).
"""

__all__ = ["main"]


def __getattr__(name: str):
    """``main``, loaded when asked for: ``nn``'s command line imports ``usage`` from here
    without loading this command line and its parser."""
    if name == "main":
        from .commands import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
