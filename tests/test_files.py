"""engine.utils.files: one file or a set of files appears whole or not at all, normal mode."""

import errno
import os
import signal
import stat
import threading

import pytest

from engine.utils.files import atomic_write, write_together

UMASK = 0o027  # distinct from the usual 0o022, so a mode that ignores it shows


@pytest.fixture
def umask():
    """Run the test under UMASK and put the process's umask back afterwards."""
    previous = os.umask(UMASK)
    yield UMASK
    os.umask(previous)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def forbid_umask(monkeypatch):
    def umask(mask):
        raise AssertionError("os.umask sets the umask of every thread at once")

    monkeypatch.setattr(os, "umask", umask)


# --- atomic_write: the mode, without touching the umask --------------------------------


def test_a_new_file_gets_the_umask_mode_and_the_umask_is_never_set(tmp_path, umask, monkeypatch):
    forbid_umask(monkeypatch)
    atomic_write(tmp_path / "a.bin", b"abc")
    assert mode(tmp_path / "a.bin") == 0o666 & ~umask == 0o640


def test_a_replaced_file_keeps_its_mode_and_the_umask_is_never_set(tmp_path, umask, monkeypatch):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o604)  # a bit the umask would take off: kept all the same
    forbid_umask(monkeypatch)
    atomic_write(target, b"new")
    assert mode(target) == 0o604 and target.read_bytes() == b"new"


def test_two_threads_saving_at_once_both_get_the_umask_mode(tmp_path, umask, monkeypatch):
    # Learning the umask by setting it (umask(0), then back) left a window in which another
    # thread's save read 0 and made its file 0o666. Should anything still call os.umask, this
    # makes the window certain: each call waits until the other thread has made its own.
    real_umask = os.umask
    both = threading.Barrier(2)

    def slow_umask(mask):
        old = real_umask(mask)
        try:
            both.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass
        return old

    monkeypatch.setattr(os, "umask", slow_umask)
    errors = []

    def save(name):
        try:
            atomic_write(tmp_path / name, b"x")
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=save, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (mode(tmp_path / "a"), mode(tmp_path / "b")) == (0o640, 0o640)


# --- atomic_write: long names, and errors that name the user's file -------------------------


@pytest.mark.parametrize("length", [243, 250, 255])
def test_names_up_to_the_255_byte_limit_are_written(tmp_path, length):
    name = "m" * (length - len(".json")) + ".json"
    atomic_write(tmp_path / name, b"{}")
    assert os.listdir(tmp_path) == [name]


def test_a_name_over_the_limit_is_refused_naming_it_not_the_temporary_file(tmp_path):
    target = tmp_path / ("m" * 256)
    with pytest.raises(OSError) as info:
        atomic_write(target, b"{}")
    assert info.value.errno == errno.ENAMETOOLONG
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_names_the_users_file_and_keeps_the_old_one(tmp_path, monkeypatch, failing):
    target = tmp_path / "model.json"
    target.write_bytes(b"old")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device", *args[:1])

    monkeypatch.setattr(os, failing, full)
    with pytest.raises(OSError) as info:
        atomic_write(target, b"new")
    monkeypatch.undo()
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)
    assert str(info.value) == f"[Errno 28] No space left on device: {str(target)!r}"
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["model.json"]


# --- write_together: the results of one run appear together or not at all ------------------

NEW = {"loss.png": b"new loss", "neuron.png": b"new neuron", "model.json": b"new model"}


@pytest.fixture
def previous_run(tmp_path):
    """A folder holding an earlier run's results and a file of the user's own."""
    folder = tmp_path / "out"
    folder.mkdir()
    for name in NEW:
        (folder / name).write_bytes(b"old " + name.encode())
    (folder / "notes.txt").write_bytes(b"mine")
    return folder


def contents(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


OLD = {
    "loss.png": b"old loss.png",
    "model.json": b"old model.json",
    "neuron.png": b"old neuron.png",
    "notes.txt": b"mine",
}


def test_a_new_folder_appears_with_every_file_and_the_umask_mode(tmp_path, umask, monkeypatch):
    forbid_umask(monkeypatch)
    folder = tmp_path / "deep" / "out"
    write_together(folder, NEW)
    assert contents(folder) == dict(sorted(NEW.items()))
    assert mode(folder) == mode(tmp_path / "deep") == 0o777 & ~umask
    assert {mode(folder / name) for name in NEW} == {0o666 & ~umask}
    assert os.listdir(tmp_path) == ["deep"] and os.listdir(tmp_path / "deep") == ["out"]


def test_a_previous_run_is_replaced_and_other_files_stay(previous_run):
    os.chmod(previous_run / "model.json", 0o600)
    write_together(previous_run, NEW)
    assert contents(previous_run) == {**dict(sorted(NEW.items())), "notes.txt": b"mine"}
    assert mode(previous_run / "model.json") == 0o600  # as atomic_write: the mode is kept


def failing_on_call(monkeypatch, name, k, error):
    """Make ``os.<name>`` raise ``error`` on its k-th call (1-based); earlier calls work."""
    real = getattr(os, name)
    calls = []

    def fake(*args, **kwargs):
        calls.append(args)
        if len(calls) == k:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, fake)
    return calls


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left"), KeyboardInterrupt()])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_failure_while_writing_leaves_the_previous_run(previous_run, monkeypatch, error, k):
    failing_on_call(monkeypatch, "fsync", k, error)  # the disk fills up, or Ctrl-C, at file k
    with pytest.raises(type(error)):
        write_together(previous_run, NEW)
    monkeypatch.undo()
    assert contents(previous_run) == OLD  # no temporary folder left inside or beside it
    assert os.listdir(previous_run.parent) == ["out"]


@pytest.mark.parametrize("error", [OSError(errno.EIO, "I/O error"), KeyboardInterrupt()])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
def test_a_failure_while_moving_in_puts_every_old_file_back(previous_run, monkeypatch, error, k):
    # Six renames: each old file set aside, then its new one moved in; fail at each.
    calls = failing_on_call(monkeypatch, "rename", k, error)
    with pytest.raises(type(error)):
        write_together(previous_run, NEW)
    monkeypatch.undo()
    assert len(calls) >= k
    assert contents(previous_run) == OLD
    assert os.listdir(previous_run.parent) == ["out"]


@pytest.fixture
def ctrl_c_as_in_a_terminal():
    """SIGINT raises KeyboardInterrupt, as in a terminal, even where the tests were started
    with it ignored (a shell's background job); restored afterwards."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.usefixtures("ctrl_c_as_in_a_terminal")
def test_ctrl_c_while_moving_in_is_held_back_then_undoes_the_move(previous_run, monkeypatch):
    # A real SIGINT between two renames: the move is not cut in half, it is undone whole,
    # and the interrupt still reaches the caller.
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append(src)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_together(previous_run, NEW)
    monkeypatch.undo()
    assert len(calls) > 3  # the moves went on after the signal, then were undone
    assert contents(previous_run) == OLD
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_name_that_is_a_directory_is_refused_before_anything_is_written(previous_run):
    (previous_run / "neuron.png").unlink()
    (previous_run / "neuron.png").mkdir()
    with pytest.raises(IsADirectoryError, match="neuron.png.*it is a directory"):
        write_together(previous_run, NEW)
    assert (previous_run / "loss.png").read_bytes() == b"old loss.png"
    assert sorted(os.listdir(previous_run)) == ["loss.png", "model.json", "neuron.png", "notes.txt"]


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left"), KeyboardInterrupt()])
def test_a_failure_creating_a_new_folder_leaves_nothing(tmp_path, monkeypatch, error):
    failing_on_call(monkeypatch, "fsync", 2, error)
    with pytest.raises(type(error)):
        write_together(tmp_path / "new" / "out", NEW)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []  # not even the parent it had to make


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", os.sep + "abs"])
def test_write_together_takes_plain_names_only(tmp_path, name):
    with pytest.raises(ValueError, match="plain file names"):
        write_together(tmp_path, {name: b""})


# --- write_together: files made one at a time, and names that go with the old ones -------


def test_files_made_one_at_a_time_and_old_names_removed_in_the_same_step(previous_run):
    made = []

    def files():  # as save_steps draws its frames: one in memory at a time
        for name, data in NEW.items():
            made.append(name)
            yield name, data

    (previous_run / "stale.png").write_bytes(b"a longer earlier pass")
    # A name both written and removed is written; one that is not there is no error.
    write_together(previous_run, files(), remove=["stale.png", "neuron.png", "gone.txt"])
    assert made == list(NEW)
    assert contents(previous_run) == {**dict(sorted(NEW.items())), "notes.txt": b"mine"}


@pytest.mark.parametrize("error", [OSError(errno.EIO, "I/O error"), KeyboardInterrupt()])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_a_failure_while_moving_in_puts_removed_files_back_too(previous_run, monkeypatch, error, k):
    new = {"loss.png": b"new loss.png", "model.json": b"new model.json"}
    failing_on_call(monkeypatch, "rename", k, error)  # 2 set aside, 2 moved in, 1 removed
    with pytest.raises(type(error)):
        write_together(previous_run, new, remove=["neuron.png"])
    monkeypatch.undo()
    assert contents(previous_run) == OLD
    assert os.listdir(previous_run.parent) == ["out"]


def test_a_failure_while_making_the_files_leaves_the_folder_as_it_was(previous_run):
    def files():
        yield "loss.png", b"new loss.png"
        raise KeyboardInterrupt  # Ctrl-C while the second file is being made

    with pytest.raises(KeyboardInterrupt):
        write_together(previous_run, files(), remove=["neuron.png"])
    assert contents(previous_run) == OLD


@pytest.mark.parametrize("name", ["", "a/b", ".."])
def test_a_bad_name_made_on_the_way_is_refused_and_nothing_changes(previous_run, name):
    with pytest.raises(ValueError, match="plain file names"):
        write_together(previous_run, iter([("loss.png", b"new"), (name, b"")]))
    assert contents(previous_run) == OLD
