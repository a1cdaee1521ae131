"""``atomic_write``: a file appears whole or not at all, never half written.

The data goes to a temporary file in the target's directory, which then
replaces the target in one step (``os.replace``), so a crash, a full disk or
an error while writing leaves the old file (or none) and no temporary file.
The command lines, ``save_steps`` and ``nn``'s checkpoints all write this way.
"""

from __future__ import annotations

import os

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never part.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> atomic_write(p, b"hello"); open(p).read()
    'hello'
    """
    import tempfile  # here, not at the top: ``import engine`` stays light

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    # Said in the caller's words: otherwise the error would name the temporary file.
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory, give a file name")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {directory!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:  # owns fd from here: closed whatever happens
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a normal open() would.
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777  # keep an existing file's permissions
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
