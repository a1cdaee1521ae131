"""Saving and loading: JSON round trips, atomic writes, and every way a file can be bad."""

import json
import os

import pytest

from nn import MLP, CheckpointError, Layer, Neuron
from nn.serialize import FORMAT, VERSION, atomic_write


@pytest.fixture
def saved(tmp_path):
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    return model, path


def test_round_trip_restores_every_weight_exactly(saved):
    model, path = saved
    other = MLP(2, [3, 1], activation="tanh", seed=1)
    other.load(path)
    assert other.state_dict() == model.state_dict()  # JSON keeps floats exactly (repr)


def test_the_file_is_readable_json_with_format_version_and_architecture(saved):
    _, path = saved
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT and document["version"] == VERSION
    assert document["config"] == {
        "kind": "MLP",
        "nin": 2,
        "nouts": [3, 1],
        "activation": "tanh",
        "output_activation": "linear",
    }
    assert list(document["parameters"])[:3] == ["L0.N0.w0", "L0.N0.w1", "L0.N0.b"]


def test_neuron_and_layer_save_and_load_too(tmp_path):
    for make in (lambda: Neuron(3, activation="sigmoid"), lambda: Layer(2, 4)):
        a, b = make(), make()
        a.save(tmp_path / "m.json")
        b.load(tmp_path / "m.json")
        assert a.state_dict() == b.state_dict()


def corrupt_cases(path):
    text = path.read_text()
    document = json.loads(text)

    def edited(change):
        d = json.loads(text)
        change(d)
        return json.dumps(d)

    return {
        "truncated": (text[: len(text) // 2], "corrupt or truncated JSON"),
        "empty": ("", "corrupt or truncated JSON"),
        "binary": ("", "not a valid saved model"),
        "not a model": (json.dumps({"hello": 1}), "not a scalarflow model file"),
        "a list": ("[1, 2, 3]", "not a scalarflow model file"),
        "deeply nested": ("[" * 100_000 + "]" * 100_000, "not a valid saved model"),
        "future version": (edited(lambda d: d.update(version=99)), "format version 99"),
        "no parameters": (edited(lambda d: d.pop("parameters")), "missing its 'config' or"),
        "missing weight": (
            edited(lambda d: d["parameters"].pop("L0.N2.b")),
            "missing 'L0.N2.b'",
        ),
        "extra weight": (
            edited(lambda d: d["parameters"].update({"L9.N0.b": 1.0})),
            "unexpected 'L9.N0.b'",
        ),
        "string weight": (
            edited(lambda d: d["parameters"].update({"L0.N0.w1": "0.5"})),
            "'L0.N0.w1' must be a number",
        ),
        "NaN weight": (text.replace(str(document["parameters"]["L1.N0.b"]), "NaN", 1), "NaN"),
        "huge weight": (  # valid JSON, but an integer no float can hold
            text.replace(str(document["parameters"]["L1.N0.w2"]), "1" + "0" * 400, 1),
            "parameter 'L1.N0.w2' must be a finite number, got an integer too big for a float",
        ),
        "other sizes": (
            edited(lambda d: d["config"].update(nouts=[4, 1])),
            r"nouts is \[4, 1\] in the file but \[3, 1\] in this model",
        ),
        "other activation": (
            edited(lambda d: d["config"].update(activation="relu")),
            "activation is 'relu' in the file but 'tanh' in this model",
        ),
        "other kind": (edited(lambda d: d["config"].update(kind="Layer")), "kind is 'Layer'"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "truncated", "empty", "binary", "not a model", "a list", "deeply nested",
        "future version",
        "no parameters", "missing weight", "extra weight", "string weight", "NaN weight",
        "huge weight",
        "other sizes", "other activation", "other kind",
    ],
)  # fmt: skip
def test_a_bad_file_raises_a_clear_error_and_changes_nothing(saved, tmp_path, case):
    model, path = saved
    content, message = corrupt_cases(path)[case]
    bad = tmp_path / "bad.json"
    if case == "binary":
        bad.write_bytes(b"\xff\xfe\x00garbage")
    else:
        bad.write_text(content)
    target = MLP(2, [3, 1], activation="tanh", seed=5)
    before = target.state_dict()
    with pytest.raises(CheckpointError, match=message) as info:
        target.load(bad)
    assert str(bad) in str(info.value)
    assert target.state_dict() == before
    assert isinstance(info.value, ValueError)


def test_a_missing_file_is_a_clear_error(tmp_path):
    model = MLP(2, [1], seed=0)
    with pytest.raises(CheckpointError, match="cannot read .*nope.json"):
        model.load(tmp_path / "nope.json")


def test_models_with_custom_activations_or_non_finite_weights_are_not_saved(tmp_path):
    path = tmp_path / "m.json"
    with pytest.raises(ValueError, match="custom function"):
        MLP(2, [1], activation=lambda z: z, seed=0).save(path)
    model = MLP(2, [1], seed=0)
    model.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="'L0.N0.w0' is nan"):
        model.save(path)
    assert not path.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left behind


def test_a_failed_save_leaves_the_old_file_whole(saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    model.parameters()[0].data = 42.0
    with pytest.raises(OSError, match="disk on fire"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["model.json"]  # the temp file is cleaned up


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files via /proc")
def test_a_failed_atomic_write_closes_its_temporary_file(tmp_path, monkeypatch):
    def broken_fsync(fd):
        raise PermissionError("fsync refused")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    open_before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(PermissionError):
        atomic_write(tmp_path / "x.bin", b"abc")
    monkeypatch.undo()
    assert len(os.listdir("/proc/self/fd")) == open_before  # no file descriptor leaked
    assert os.listdir(tmp_path) == []


def test_atomic_write_keeps_normal_permissions(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write(target, b"abc")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(target, 0o640)
    atomic_write(target, b"def")
    assert target.stat().st_mode & 0o777 == 0o640 and target.read_bytes() == b"def"


def test_the_loader_never_unpickles(saved):
    # The format is JSON: a pickle stream is just a corrupt file.
    import pickle

    model, path = saved
    path.write_bytes(pickle.dumps({"format": FORMAT}))
    with pytest.raises(CheckpointError, match="not a valid saved model"):
        model.load(path)


def test_saving_to_a_folder_or_into_a_missing_folder_names_the_path_given(tmp_path):
    model = MLP(2, [1], seed=0)
    with pytest.raises(IsADirectoryError, match="cannot write .*: it is a directory") as info:
        model.save(tmp_path)
    assert ".tmp" not in str(info.value) and os.listdir(tmp_path) == []
    missing = tmp_path / "no" / "model.json"
    with pytest.raises(FileNotFoundError, match="the folder '.*no' does not exist") as info:
        model.save(missing)
    assert str(missing) in str(info.value) and ".tmp" not in str(info.value)


# --- what load() refuses before reading: not a regular file, or bigger than any model --------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_with_no_writer_is_refused_at_once_not_waited_on(tmp_path):
    import threading

    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    model = MLP(2, [1], seed=0)
    outcome = []

    def load():
        try:
            model.load(fifo)
        except BaseException as error:  # checked below, in the test's thread
            outcome.append(error)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(timeout=10)  # not a speed limit: only so a blocked open cannot hang the suite
    if reader.is_alive():  # blocked in open(): give it a writer so the thread can finish
        os.close(os.open(fifo, os.O_WRONLY))
        reader.join()
        pytest.fail("load() blocked on a FIFO that has no writer")
    assert len(outcome) == 1 and isinstance(outcome[0], CheckpointError)
    assert (
        str(outcome[0]) == f"cannot read {str(fifo)!r}: it is a pipe (FIFO), not a saved model file"
    )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_link_to_a_device_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")  # read() would never end: ~6 GB, then MemoryError
    with pytest.raises(CheckpointError, match="it is a device, not a saved model file"):
        MLP(2, [1], seed=0).load(link)


def test_a_folder_is_refused_as_such(tmp_path):
    with pytest.raises(CheckpointError, match="it is a directory, not a saved model file"):
        MLP(2, [1], seed=0).load(tmp_path)


def test_a_file_larger_than_any_model_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from nn import serialize

    big = tmp_path / "model.json"
    with open(big, "wb") as f:
        f.truncate(serialize.MAX_FILE_BYTES + 1)  # sparse: no disk, and no read to fill memory
    reads = []
    real_open = open

    def spying_open(file, *args, **kwargs):
        handle = real_open(file, *args, **kwargs)
        reads.append(handle)
        return handle

    monkeypatch.setattr("builtins.open", spying_open)
    with pytest.raises(CheckpointError) as info:
        MLP(2, [1], seed=0).load(big)
    monkeypatch.undo()
    assert str(info.value) == (
        f"{str(big)!r} is 64,000,001 bytes, larger than any saved model can be "
        "(64,000,000 bytes: 1,000,000 weights of at most 64 bytes each); it is not a model file"
    )
    assert all(handle.tell() == 0 for handle in reads)  # not one byte was read


def test_the_limit_is_generous_for_the_largest_model_the_command_line_trains():
    from nn.serialize import BYTES_PER_PARAMETER, MAX_FILE_BYTES, model_json

    # 5 hidden layers of 256 (the CLI's limits) and 10 classes, counted (building it takes
    # seconds): 266,506 weights.
    sizes = [2, 256, 256, 256, 256, 256, 10]
    weights = sum((nin + 1) * nout for nin, nout in zip(sizes, sizes[1:]))
    assert weights == 266_506
    # Each weight's line at its longest: the longest number a float prints as, and the
    # longest name of that model (L4.N255.w255 instead of this model's 8-character names).
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.data = -2.2250738585072014e-308
    lines = [line for line in model_json(model).decode().splitlines() if "e-308" in line]
    longest = max(len(line) + 1 for line in lines) - 8 + len("L4.N255.w255")  # + 1: newline
    assert longest <= BYTES_PER_PARAMETER
    assert weights * longest * 3 < MAX_FILE_BYTES  # room for models 3x bigger still


def test_save_refuses_a_file_that_load_would_refuse(tmp_path, monkeypatch):
    from nn import serialize

    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValueError, match="more than load\\(\\) reads") as info:
        MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    assert "13 parameters" in str(info.value) and os.listdir(tmp_path) == []


# --- long names: the temporary file must not be what breaks the limit -----------------------


@pytest.mark.parametrize("length", [243, 255])
def test_save_and_load_a_name_of_up_to_255_bytes(tmp_path, length):
    path = tmp_path / ("m" * (length - 5) + ".json")
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    a.save(path)
    b.load(path)
    assert a.state_dict() == b.state_dict() and os.listdir(tmp_path) == [path.name]


def test_a_name_too_long_is_an_error_naming_the_users_file(tmp_path):
    path = tmp_path / ("m" * 251 + ".json")  # 256 bytes
    with pytest.raises(OSError, match="File name too long") as info:
        MLP(2, [1], seed=0).save(path)
    assert info.value.filename == str(path) and ".tmp" not in str(info.value)
