"""``python -m engine``: draw, step through and check a formula typed on the command line.

commands.py is the command line; expr.py parses the formula with ``ast`` against the op
table (never ``eval``).
"""

from .commands import main

__all__ = ["main"]
