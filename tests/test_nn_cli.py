"""The demo command line: it trains, writes its pictures, and refuses bad options in one line."""

import json
import math
import os
import re
import subprocess
import sys

import pytest

from nn import MLP
from nn.__main__ import main

pytest.importorskip("matplotlib")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "moon"], "invalid choice: 'moon'"),
        (["--optimizer", "adamax"], "invalid choice: 'adamax'"),
        (["--epochs", "0"], "--epochs must be a whole number >= 1, got 0"),
        (["--epochs", "ten"], "--epochs: expected a whole number, got 'ten'"),
        (["--seed", "x"], "--seed: expected a whole number, got 'x'"),
        (["--lr", "-1"], "--lr must be > 0, got -1"),
        (["--lr", "inf"], "--lr must be a finite number, got inf"),
        (["--batch-size", "0"], "--batch-size must be a whole number >= 1"),
        (["--patience", "-1"], "--patience must be a whole number >= 0"),
        (["--min-delta", "-0.5"], "--min-delta must be >= 0, got -0.5"),
        (["--hidden", "16,,16"], "--hidden: expected layer sizes like 16,16"),
        (["--hidden", "16,0"], "every --hidden size must be a whole number >= 1"),
        (["--noise", "nan"], "--noise must be a finite number, got nan"),
        (["--noise", "1e308"], "--noise must be at most 10 (the data spans a few units"),
        (["--hidden", "16,16,16,16,16,16"], "--hidden: at most 5 hidden layers, got 6"),
        (["--hidden", "16,257"], "--hidden: at most 256 neurons per layer"),
        (["--samples", "10001"], "--samples: at most 10000 points (training is pure Python; with"),
        (["--samples", "1"], "--samples must be at least 2 for moons"),
        (["--dataset", "spirals", "--samples", "2"], "at least 3 for spirals"),
        (["--dataset", "xor", "--samples", "100"], "--samples does not apply to xor"),
        (["--activation", "gelu"], "invalid choice: 'gelu'"),
        (["--dataset", "digits", "--samples", "500"], "--samples does not apply to digits"),
        (["--dataset", "digits", "--noise", "0.1"], "--noise does not apply to digits"),
        (["--unknown"], "unrecognized arguments: --unknown"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(args, message, capsys, tmp_path):
    code = main(["train", "--out", str(tmp_path / "out"), "--no-progress", *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("python -m nn: error: ")
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # a mistake leaves nothing, not even the folder


def test_out_must_be_a_directory(capsys, tmp_path):
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    assert main(["train", "--out", str(a_file), "--no-progress"]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
    assert a_file.read_text() == "x"


def test_no_command_shows_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "train" in capsys.readouterr().out


def test_a_small_run_writes_every_output(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["train", "--dataset", "xor", "--activation", "tanh", "--hidden", "4",
                 "--epochs", "40", "--out", str(out), "--no-progress"])  # fmt: skip
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert re.search(r"final loss \d+\.\d{4}, accuracy \d+\.\d%", stdout)
    for name in ("loss.png", "decision_boundary.png", "neuron.png"):
        assert (out / name).read_bytes().startswith(PNG), name
    model = MLP(2, [4, 1], activation="tanh")
    model.load(out / "model.json")  # the saved model matches the architecture it reports
    assert sorted(os.listdir(out)) == [
        "decision_boundary.png", "loss.png", "model.json", "neuron.png",
    ]  # fmt: skip


def test_multiclass_datasets_use_cross_entropy(tmp_path, capsys):
    code = main(["train", "--dataset", "spirals", "--samples", "30", "--hidden", "4",
                 "--epochs", "2", "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    assert code == 0
    assert "loss cross_entropy" in capsys.readouterr().out
    config = json.loads((tmp_path / "model.json").read_text())["config"]
    assert config["nouts"] == [4, 3]


def test_compile_trains_the_same_network_and_writes_every_output(tmp_path, capsys):
    args = ["train", "--dataset", "spirals", "--samples", "60", "--hidden", "8", "--epochs", "5",
            "--no-progress"]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "eager")]) == 0
    eager = capsys.readouterr().out
    assert main([*args, "--compile", "--out", str(tmp_path / "compiled")]) == 0
    compiled = capsys.readouterr().out
    # The same final loss and accuracy to the digit printed, and the same weights to 1e-12.
    assert eager.splitlines()[-2] == compiled.splitlines()[-2]
    weights = [
        json.loads((tmp_path / d / "model.json").read_text())["parameters"]
        for d in ("eager", "compiled")
    ]
    assert weights[0].keys() == weights[1].keys()
    assert all(math.isclose(weights[0][k], weights[1][k], rel_tol=1e-12) for k in weights[0])
    for name in ("loss.png", "decision_boundary.png", "neuron.png"):
        assert (tmp_path / "compiled" / name).read_bytes().startswith(PNG), name


def test_compile_takes_ten_times_the_points(capsys, tmp_path):
    out = str(tmp_path / "out")
    assert main(["train", "--samples", "100001", "--compile", "--out", out]) == 2
    assert "--samples: at most 100000 points with --compile" in capsys.readouterr().err
    assert main(["train", "--samples", "20000", "--epochs", "1", "--hidden", "4", "--compile",
                 "--no-progress", "--out", out]) == 0  # fmt: skip
    assert "moons: 20000 points" in capsys.readouterr().out


def test_the_readme_demo_reaches_97_percent_on_moons(tmp_path):
    # The demo exactly as the README runs it (defaults: 100 moons, MLP(2, [16, 16, 1]),
    # bce_with_logits, Adam lr 0.05, 100 full-batch epochs), as a separate process.
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "nn", "train", "--dataset", "moons", "--optimizer", "adam",
           "--epochs", "100", "--out", str(out)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"accuracy (\d+\.\d)%", result.stdout).group(1))
    assert accuracy >= 97.0
    assert "100/100" in result.stderr  # the progress bar ran
    assert all((out / name).exists() for name in ("loss.png", "decision_boundary.png"))


# --- the handwritten digits ---------------------------------------------------------------------

DIGITS_RESULTS = ["confusion_matrix.png", "loss.png", "model.json", "weights.png"]


def test_digits_writes_the_loss_the_confusion_matrix_and_the_weights(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["train", "--dataset", "digits", "--compile", "--epochs", "3",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert stdout.startswith("digits: 1437 images, 360 held out, 10 classes; MLP(nin=64, ")
    assert "adam lr=0.01, batches of 32" in stdout and "eager" not in stdout
    assert re.search(r"final loss \d+\.\d{4}, accuracy \d+\.\d% \(training\)", stdout)
    assert re.search(r"test loss \d+\.\d{4}, accuracy \d+\.\d% \(360 held-out images\)", stdout)
    assert sorted(os.listdir(out)) == DIGITS_RESULTS  # no decision boundary for 64 inputs
    for name in DIGITS_RESULTS[:2] + DIGITS_RESULTS[3:]:
        assert (out / name).read_bytes().startswith(PNG), name
    MLP(64, [32, 10]).load(out / "model.json")


def test_the_held_out_digits_go_through_the_network_once(tmp_path, capsys, monkeypatch):
    # The test loss, the test accuracy and the confusion matrix are read from one forward
    # pass over the held-out images (there were two: evaluate's and classify's).
    import nn.__main__ as cli
    from nn import History, plot, train_compiled

    history = History(loss=[2.0], accuracy=[0.1], best_epoch=0, best_loss=2.0)
    monkeypatch.setattr(cli, "fit", lambda *args, **kwargs: history)  # the untrained network
    compiled, compile_model = [], train_compiled.compile_step
    monkeypatch.setattr(
        train_compiled,
        "compile_step",
        lambda fn, example: compiled.append(len(example[0])) or compile_model(fn, example),
    )
    drawn, draw = [], plot.confusion_matrix
    monkeypatch.setattr(plot, "confusion_matrix", lambda t, p: drawn.append((t, p)) or draw(t, p))
    code = main(["train", "--dataset", "digits", "--compile", "--out", str(tmp_path / "out"),
                 "--no-progress"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert compiled == [64, 64]  # one compiled forward for the training images, one held out
    ((y_test, predicted),) = drawn
    printed = float(re.search(r"test loss .*, accuracy (\d+\.\d)%", out).group(1))
    agreed = sum(t == p for t, p in zip(y_test, predicted, strict=True)) / len(y_test)
    assert printed == round(100 * agreed, 1)


def test_held_out_outputs_that_overflow_exit_1_and_write_nothing(tmp_path, capsys, monkeypatch):
    # classify raised a ValueError on a nan output: a traceback from the command line.
    import nn.__main__ as cli
    from nn import History, demo

    history = History(loss=[2.0], accuracy=[0.1], best_epoch=0, best_loss=2.0)
    monkeypatch.setattr(cli, "fit", lambda *args, **kwargs: history)
    monkeypatch.setattr(demo, "predict", lambda model, X, **kw: [[math.nan] * 10 for _ in X])
    out = tmp_path / "out"
    code = main(["train", "--dataset", "digits", "--compile", "--out", str(out), "--no-progress"])
    stdout, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("error: the held-out images give a loss of nan: the trained weights")
    assert "test loss nan, accuracy" in stdout
    assert not out.exists()


def test_digits_as_the_readme_runs_it_reads_95_percent_of_the_held_out_images(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "nn", "train", "--dataset", "digits", "--compile",
           "--out", str(out)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"test loss .*, accuracy (\d+\.\d)%", result.stdout).group(1))
    assert accuracy >= 95.0
    assert "30/30" in result.stderr  # the progress bar ran, over the digits' 30 epochs
    assert sorted(os.listdir(out)) == DIGITS_RESULTS


def test_eager_digits_says_how_long_an_epoch_takes_before_training(tmp_path, capsys, monkeypatch):
    import nn.__main__ as cli

    def interrupted(*args, **kwargs):  # stands in for the minutes of eager training
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "fit", interrupted)
    code = main(["train", "--dataset", "digits", "--out", str(tmp_path / "out"), "--no-progress"])
    stdout, err = capsys.readouterr()
    assert code == 130 and err == "interrupted\n"
    said = stdout.splitlines()[1]
    assert re.fullmatch(
        r"eager training, one Value at a time: about \d+ (s|min) an epoch, \d+(\.\d)? (s|min|h) "
        r"for 30 epochs; --compile runs the same training as generated code on whole "
        r"batches, many times faster",
        said,
    ), said
    assert not (tmp_path / "out").exists()


def test_the_estimate_is_measured_and_said_only_when_an_epoch_takes_a_second(monkeypatch, capsys):
    from nn import demo

    ticks = iter([0.0, 0.25])  # the probe of 8 samples takes 0.25 s: 1 s for 32 of them
    monkeypatch.setattr(demo.time, "perf_counter", lambda: next(ticks))
    model = MLP(2, [2, 1], seed=0)
    demo.say_if_slow(model, [[0.0, 1.0]] * 32, [0, 1] * 16, "bce_with_logits", 1)
    assert capsys.readouterr().out.startswith(
        "eager training, one Value at a time: about 1 s an epoch; --compile runs"
    )
    assert all(p.grad == 0.0 for p in model.parameters())  # the probe's gradients are gone
    ticks = iter([0.0, 0.2])  # 0.8 s an epoch: nothing to say
    demo.say_if_slow(model, [[0.0, 1.0]] * 32, [0, 1] * 16, "bce_with_logits", 1000)
    assert capsys.readouterr().out == ""


def test_digits_need_no_graphviz(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot`: neuron.png is not drawn
    code = main(["train", "--dataset", "digits", "--compile", "--epochs", "1",
                 "--out", str(tmp_path / "out"), "--no-progress"])  # fmt: skip
    assert code == 0, capsys.readouterr().err


def test_without_graphviz_it_says_so_before_training_and_writes_nothing(
    tmp_path, capsys, monkeypatch
):
    # No `dot` on PATH: neuron.png cannot be drawn, which must be said up front in one line
    # (not a traceback after training), with no half set of pictures left behind.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "out"
    code = main(["train", "--dataset", "xor", "--hidden", "2", "--epochs", "2",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    stdout, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and "Graphviz 'dot' program" in err and "apt-get" in err
    assert "brew install graphviz" in err and "--help" not in err  # how to install, not usage
    assert "trained" not in stdout
    assert not out.exists()


def test_a_diverging_run_exits_1_and_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["train", "--dataset", "xor", "--hidden", "2", "--epochs", "3", "--lr", "1e300",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "try a smaller --lr" in err
    assert not out.exists()


def test_out_inside_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    assert main(["train", "--out", str(tmp_path / "taken" / "sub"), "--no-progress"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_without_matplotlib_it_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    out = tmp_path / "out"
    assert main(["train", "--dataset", "xor", "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install matplotlib" in err
    assert not out.exists()


def test_the_limits_themselves_are_accepted():
    from nn.__main__ import build_parser

    args = build_parser().parse_args(
        ["train", "--noise", "10", "--hidden", "256,1,1,1,1", "--samples", "10000"]
    )
    assert (args.noise, args.hidden, args.samples) == (10.0, [256, 1, 1, 1, 1], 10000)


# --- the results of one run appear together or not at all ----------------------------------

SMALL = ["train", "--dataset", "xor", "--hidden", "2", "--epochs", "2", "--no-progress"]
RESULTS = ["decision_boundary.png", "loss.png", "model.json", "neuron.png"]


@pytest.fixture
def previous_run(tmp_path, capsys):
    """An --out folder holding a finished run, and its bytes."""
    out = tmp_path / "out"
    assert main([*SMALL, "--seed", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    return out, {name: (out / name).read_bytes() for name in RESULTS}


def fail_on_call(monkeypatch, k, error):
    """os.fsync raises ``error`` on its k-th call: the k-th result file is being written."""
    real, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == k:
            raise error
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("k", [1, 3, 4])
def test_a_failed_write_keeps_the_previous_run_whole(previous_run, capsys, monkeypatch, k):
    out, before = previous_run
    fail_on_call(monkeypatch, k, OSError(28, "No space left on device"))
    code = main([*SMALL, "--seed", "2", "--out", str(out)])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot write the results to {out}{os.sep}: No space left on device" in err
    assert err.rstrip().endswith(
        f"nothing written, {out} keeps the previous run's loss.png, decision_boundary.png, "
        "neuron.png, model.json"
    )
    assert {name: (out / name).read_bytes() for name in sorted(os.listdir(out))} == before
    assert os.listdir(out.parent) == ["out"]  # no temporary folder, inside or beside


@pytest.mark.parametrize("k", [2, 4])
def test_ctrl_c_while_writing_keeps_the_previous_run_and_exits_130(
    previous_run, capsys, monkeypatch, k
):
    out, before = previous_run
    fail_on_call(monkeypatch, k, KeyboardInterrupt())
    code = main([*SMALL, "--seed", "2", "--out", str(out)])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert code == 130 and err.startswith("interrupted") and "Traceback" not in err
    assert f"{out} keeps the previous run's" in err
    assert {name: (out / name).read_bytes() for name in sorted(os.listdir(out))} == before
    assert os.listdir(out.parent) == ["out"]


def test_a_failed_first_run_creates_no_folder(tmp_path, capsys, monkeypatch):
    out = tmp_path / "new" / "out"
    fail_on_call(monkeypatch, 2, OSError(28, "No space left on device"))
    assert main([*SMALL, "--out", str(out)]) == 1
    monkeypatch.undo()
    assert f"nothing written, {out} was not created" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_a_result_name_taken_by_a_folder_is_said_before_training(previous_run, capsys):
    out, before = previous_run
    (out / "neuron.png").unlink()
    (out / "neuron.png").mkdir()
    code = main([*SMALL, "--out", str(out)])
    stdout, err = capsys.readouterr()
    assert code == 2 and "has a folder called neuron.png" in err and "trained" not in stdout
    assert (out / "loss.png").read_bytes() == before["loss.png"]


# --- a run that diverges writes nothing and says so ------------------------------------------


def test_a_last_step_that_diverges_is_not_reported_as_a_result(tmp_path, capsys):
    # One epoch of SGD at lr 1e300: the loss is measured before the step (finite), the step
    # makes the weights ~1e300, and the loss at them is nan. It printed "final loss nan",
    # wrote a model.json of 1e300 weights and exited 0.
    out = tmp_path / "out"
    code = main(["train", "--optimizer", "sgd", "--lr", "1e300", "--epochs", "1",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    stdout, err = capsys.readouterr()
    assert code == 1 and "final loss" not in stdout
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "training diverged: after epoch 1 the loss is nan" in err
    assert "nothing written; try a smaller --lr than 1e+300" in err
    assert not out.exists()


def test_a_diverged_run_keeps_the_previous_model(previous_run, capsys):
    out, before = previous_run
    code = main(["train", "--optimizer", "sgd", "--lr", "1e300", "--epochs", "1",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 1 and "try a smaller --lr" in capsys.readouterr().err
    assert {name: (out / name).read_bytes() for name in sorted(os.listdir(out))} == before


def test_divergence_names_the_epoch_and_the_first_bad_weight(tmp_path, capsys, monkeypatch):
    # The demo's datasets have no NaN; give one sample a NaN feature as a user's data might.
    import nn.__main__ as cli

    real = cli.DATASETS["xor"]
    monkeypatch.setitem(
        cli.DATASETS, "xor", lambda *a: ([[math.nan, 0.0], *real(*a)[0][1:]], real(*a)[1])
    )
    code = main([*SMALL, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "training diverged in epoch 1 (loss " in err and "L0.N0.w0 is nan or inf" in err
    assert not (tmp_path / "out").exists()


def test_an_empty_out_is_a_usage_mistake(capsys):
    assert main(["train", "--out", "", "--no-progress"]) == 2
    assert "--out needs a folder name" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(tmp_path):
    # `python -m nn train ... | head -1`: the reader is gone before the results are reported.
    process = subprocess.Popen(
        [sys.executable, "-m", "nn", *SMALL, "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=300) == 1
    assert err == b""
