"""Generic utilities engine and nn share, which know nothing of Values.

arguments.py checks a function's arguments (a finite number, a count, a choice) in one
vocabulary; files.py writes files all or nothing (``atomic_write``, ``write_together``).
"""

__all__: list[str] = []
