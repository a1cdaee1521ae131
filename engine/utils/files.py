"""Writing files so that readers see the old version or the whole new one, never part.

``atomic_write`` writes one file: the data goes to a temporary file in the
target's directory, which then replaces the target in one step
(``os.replace``), so a crash, a full disk or an error while writing leaves the
old file (or none) and no temporary file. ``write_together`` does the same for
a set of files that belong together (the results of one training run): all of
them are replaced, or none. The command lines, ``save_steps`` and ``nn``'s
checkpoints all write this way.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["atomic_write", "write_together"]

# Short on purpose: a temporary name built from the target's name would pass the 255-byte
# limit on a name for targets of 232 bytes and more, which are themselves valid.
_TEMPORARY = ".scalarflow-{}.tmp"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never part.

    A new file gets the mode a plain ``open()`` would give it (0o666 less the
    umask); a replaced file keeps its mode. Errors name ``path``, never the
    temporary file.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> atomic_write(p, b"hello"); open(p).read()
    'hello'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    # Said in the caller's words: otherwise the error would name the temporary file.
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory, give a file name")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {directory!r} does not exist")
    try:
        tmp = _write_new_file(directory, data, like=path)
        try:
            os.replace(tmp, path)
        except BaseException:
            _remove(tmp)
            raise
    except OSError as error:
        if error.errno is None:  # one of the messages above, or a caller's own: as it is
            raise
        # The user's file, not the temporary one that really failed.
        raise type(error)(error.errno, error.strerror, path) from None


def write_together(
    folder: str | os.PathLike,
    files: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    *,
    remove: Iterable[str] = (),
) -> None:
    """Write ``files`` (name -> data) into ``folder``: all replace their old versions, or none.

    Every file is first written in full into a temporary folder, then moved in.
    If anything fails on the way — a full disk, a name taken by a directory,
    Ctrl-C — each name is left as it was (its previous file, or no file), other
    files in ``folder`` are untouched and no temporary folder remains. A missing
    ``folder`` (and its missing parents) is created, and only if everything
    was written. ``files`` may also be an iterable of (name, data) pairs, made
    one at a time (frames drawn as they are written: only one is in memory).
    The files named in ``remove`` (the frames of a longer earlier pass) go in
    the same step: deleted once every new file is in, kept if anything fails.

    >>> import os, tempfile
    >>> folder = os.path.join(tempfile.mkdtemp(), "run")
    >>> write_together(folder, {"a.txt": b"1", "b.txt": b"2"}); sorted(os.listdir(folder))
    ['a.txt', 'b.txt']
    >>> write_together(folder, [("a.txt", b"3")], remove=["b.txt"]); os.listdir(folder)
    ['a.txt']
    """
    folder = os.fspath(folder)
    remove = list(remove)
    if isinstance(files, Mapping):  # every name known: all are checked before any writing
        for name in [*files, *remove]:
            _check_name(folder, name)
        files = files.items()
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise NotADirectoryError(f"cannot write into {folder!r}: it is not a folder")
    if os.path.isdir(folder):
        _replace_in(folder, files, remove)
    else:
        _create(folder, files)


def _check_name(folder: str, name: str) -> None:
    """A plain file name (no folder in it) that no directory in ``folder`` holds."""
    if not name or os.path.basename(name) != name or name in (".", ".."):
        raise ValueError(f"write_together takes plain file names, got {name!r}")
    target = os.path.join(folder, name)
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot write {target!r}: it is a directory")


def _stage(stage: str, folder: str, files: Iterable[tuple[str, bytes]]) -> list[str]:
    """Write ``files`` in full into the temporary folder ``stage``; their names, in order."""
    names: dict[str, None] = {}
    for name, data in files:
        _check_name(folder, name)
        like = os.path.join(folder, name)
        os.replace(_write_new_file(stage, data, like=like), os.path.join(stage, name))
        names[name] = None
    return list(names)


def _create(folder: str, files: Iterable[tuple[str, bytes]]) -> None:
    """A new ``folder`` with ``files`` in it, appearing in one rename once all are written."""
    parent = os.path.dirname(os.path.abspath(folder))
    missing = []  # the parents to make, deepest last; removed again if anything fails
    ancestor = parent
    while not os.path.exists(ancestor):
        missing.insert(0, ancestor)
        ancestor = os.path.dirname(ancestor)
    stage = None
    try:
        for directory in missing:
            os.mkdir(directory)
        stage = _new_folder(parent)
        _stage(stage, folder, files)
        os.rename(stage, folder)
    except BaseException:
        if stage is not None:
            _remove_tree(stage)
        for directory in reversed(missing):
            try:
                os.rmdir(directory)
            except OSError:
                pass
        raise


def _replace_in(folder: str, files: Iterable[tuple[str, bytes]], remove: list[str]) -> None:
    """Move ``files`` into the existing ``folder`` and ``remove`` out of it, putting every
    name back if anything fails."""
    # The temporary folder goes inside ``folder``, not beside it: renames within one folder
    # never cross file systems (``folder`` may be a mount point), and the parent need not be
    # writable (``--out .`` in a folder whose parent belongs to someone else).
    stage = _new_folder(folder)
    try:
        names = _stage(stage, folder, files)
        for name in remove:
            _check_name(folder, name)
        gone = [name for name in remove if name not in names]
        previous = _new_folder(stage)
        with _interrupts_deferred() as interrupted:
            done: list[tuple[str, bool]] = []  # (name, whether an old file was set aside)
            try:
                for name in names:
                    target = os.path.join(folder, name)
                    had_one = os.path.lexists(target)
                    if had_one:
                        os.rename(target, os.path.join(previous, name))
                    done.append((name, had_one))
                    os.rename(os.path.join(stage, name), target)
                for name in gone:  # set aside with the replaced files: deleted with them
                    target = os.path.join(folder, name)
                    if os.path.lexists(target):
                        os.rename(target, os.path.join(previous, name))
                        done.append((name, True))
                if interrupted():
                    raise KeyboardInterrupt
            except BaseException:
                _put_back(folder, stage, previous, done)
                raise
    finally:
        _remove_tree(stage)


def _put_back(folder: str, stage: str, previous: str, done: list[tuple[str, bool]]) -> None:
    """Undo the moves of ``_replace_in``: each name gets its old file back, or none."""
    for name, had_one in reversed(done):
        target = os.path.join(folder, name)
        if os.path.lexists(os.path.join(stage, name)):  # the new file had not moved in yet
            pass
        elif os.path.lexists(target):
            os.rename(target, os.path.join(stage, name))
        if had_one:
            os.rename(os.path.join(previous, name), target)


@contextmanager
def _interrupts_deferred() -> Iterator:
    """Hold Ctrl-C back while files are being moved, so a move is never left half undone.

    Yields a function telling whether Ctrl-C was pressed meanwhile. Only the main thread
    can change signal handlers; in other threads Ctrl-C does not raise anyway.
    """
    pressed = []
    previous = signal.getsignal(signal.SIGINT)
    # None: a handler installed outside Python, which could not be put back afterwards.
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield lambda: False
        return
    signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)


def _write_new_file(directory: str, data: bytes, like: str | None = None) -> str:
    """Write ``data`` to a new file with a short unused name in ``directory``; its path.

    The file is created with mode 0o666 and the kernel takes the umask off, as for any
    ``open()``; asking for the umask would mean setting it, for every thread at once. If
    ``like`` is an existing file, the new one gets its mode instead.
    """
    try:
        kept = stat.S_IMODE(os.stat(like).st_mode) if like is not None else None
    except FileNotFoundError:
        kept = None
    # Never more open than the file it replaces, even for the moment until chmod.
    mode = 0o666 if kept is None else kept
    tmp, fd = _unused(directory, lambda name: os.open(name, _CREATE, mode))
    try:
        with os.fdopen(fd, "wb") as f:  # owns fd from here: closed whatever happens
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if kept is not None:
            os.chmod(tmp, kept)  # the umask may have taken bits off the kept mode
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _new_folder(parent: str) -> str:
    """A new empty folder with a short unused name in ``parent`` (its mode follows the umask)."""
    return _unused(parent, os.mkdir)[0]


def _unused(directory: str, create: Callable[[str], Any]) -> tuple[str, Any]:
    """``create`` a file or folder under a random temporary name in ``directory``: (name, what
    ``create`` returned)."""
    for _ in range(100):
        name = os.path.join(directory, _TEMPORARY.format(os.urandom(4).hex()))
        try:
            return name, create(name)
        except FileExistsError:  # one name in four billion is taken: draw another
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", directory)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _remove_tree(path: str) -> None:
    import shutil  # here, not at the top: ``import engine`` stays light

    shutil.rmtree(path, ignore_errors=True)
