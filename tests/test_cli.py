"""``python -m engine graph|check``: output, exit codes, and one clear line per mistake."""

import os
import shutil
import subprocess
import sys

import pytest

from engine import chain_rule
from engine.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")

TANH = ["tanh(w*x + b)", "w=-1", "x=0.5", "b=2"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_graph_prints_steps_and_chain_rules(capsys):
    code, out, err = run(capsys, "graph", *TANH)
    assert code == 0 and err == ""
    assert out == (
        "f = tanh(w*x + b) = 0.905148   (w = -1, x = 0.5, b = 2)\n"
        "\n"
        "backward, one edge at a time (5 steps):\n"
        "  1. df/dadd1 += ∂f/∂add1 · df/df = 0.1807 · 1.0000 = 0.1807\n"
        "  2. df/dmul1 += ∂add1/∂mul1 · df/dadd1 = 1.0000 · 0.1807 = 0.1807\n"
        "  3. df/db += ∂add1/∂b · df/dadd1 = 1.0000 · 0.1807 = 0.1807\n"
        "  4. df/dw += ∂mul1/∂w · df/dmul1 = 0.5000 · 0.1807 = 0.0904\n"
        "  5. df/dx += ∂mul1/∂x · df/dmul1 = -1.0000 · 0.1807 = -0.1807\n"
        "\n"
        "the chain rule, path by path:\n"
        "  df/dw = ∂mul1/∂w · ∂add1/∂mul1 · ∂f/∂add1 = 0.5000 · 1.0000 · 0.1807 = 0.0904\n"
        "  df/dx = ∂mul1/∂x · ∂add1/∂mul1 · ∂f/∂add1 = -1.0000 · 1.0000 · 0.1807 = -0.1807\n"
        "  df/db = ∂add1/∂b · ∂f/∂add1 = 1.0000 · 0.1807 = 0.1807\n"
    )


def test_a_formula_of_numbers_only(capsys):
    code, out, _ = run(capsys, "graph", "2*3")
    assert code == 0 and "df/d2 += ∂f/∂2 · df/df = 3.0000" in out and "chain rule" not in out


def test_the_output_is_not_named_like_an_input(capsys):
    code, out, _ = run(capsys, "graph", "f * 2", "f=3", "--no-steps")
    assert code == 0 and out.startswith("out = f * 2 = 6") and "dout/df = " in out


def test_wrt_and_no_steps(capsys):
    code, out, _ = run(capsys, "graph", "x*y + x", "x=2", "y=3", "--wrt", "x", "--no-steps")
    assert code == 0
    assert "backward, one edge" not in out and "df/dy" not in out
    assert "      = 4.0000   (sum over 2 paths)" in out


def test_too_many_paths_are_reported_not_listed(capsys, monkeypatch):
    # A formula of at most 1000 characters is a tree over its inputs, so it has fewer
    # than 1000 paths per input; lower the cap to see the message.
    import engine.cli.commands as cli

    monkeypatch.setattr(cli, "chain_rule", lambda out, x: chain_rule(out, x, max_paths=2))
    code, out, _ = run(capsys, "graph", "a*a*a", "a=1", "--no-steps")
    assert code == 0
    assert "  df/da: 3 paths lead from a to f, more than max_paths=2 will be listed" in out


@needs_dot
@pytest.mark.parametrize("extension", ["png", "svg", "pdf", "gv", "dot"])
def test_graph_writes_the_drawing(capsys, tmp_path, extension):
    target = tmp_path / f"g.{extension}"
    code, out, _ = run(capsys, "graph", *TANH, "-o", str(target))
    assert code == 0 and out.endswith(f"\nwrote {target}\n")
    data = target.read_bytes()
    magic = {
        "png": b"\x89PNG",
        "svg": b"<?xml",
        "pdf": b"%PDF",
        "gv": b"digraph",
        "dot": b"digraph",
    }
    assert data.startswith(magic[extension])
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left behind
    mode = target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


@needs_dot
def test_display_options_reach_the_drawing(capsys, tmp_path):
    target = tmp_path / "g.gv"
    options = ["--rankdir", "TB", "--no-grad", "--no-local-grads"]
    assert run(capsys, "graph", *TANH, "-o", str(target), *options)[0] == 0
    source = target.read_text()
    assert "rankdir=TB" in source and "grad" not in source and "label=0.5000" not in source


@needs_dot
def test_max_nodes(capsys, tmp_path):
    target = tmp_path / "g.gv"
    formula = " + ".join(f"x*{k}" for k in range(100))  # 300 Values
    assert run(capsys, "graph", formula, "x=1", "-o", str(target), "--no-steps")[0] == 0
    assert "… 50 more nodes\n(not drawn: max_nodes=250)" in target.read_text()
    options = ["--no-steps", "--max-nodes", "0"]
    assert run(capsys, "graph", formula, "x=1", "-o", str(target), *options)[0] == 0
    assert "more nodes" not in target.read_text()


def test_check_passes_with_the_users_names(capsys):
    code, out, err = run(capsys, "check", "sigmoid(a) * log(b)", "a=0.3", "b=2")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("gradcheck passed")
    assert lines[2].split()[0] == "a" and lines[3].split()[0] == "b"
    assert lines[2].index("0.1694") == lines[3].index("0.2872")  # columns still line up


def test_check_fails_with_exit_status_1_at_a_kink(capsys):
    code, out, _ = run(capsys, "check", "relu(x) + y", "x=0", "y=1")
    assert code == 1
    assert "FAILED for 1 of 2" in out and "<-- mismatch" in out
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["x", "y"]


def test_check_keeps_a_name_that_looks_like_gradchecks_own(capsys):
    code, out, _ = run(capsys, "check", "relu(x1) + y", "x1=0", "y=1")
    assert code == 1
    rows = out.splitlines()[2:]
    assert [line.split()[0] for line in rows] == ["x1", "y"]
    assert len(rows[0].removesuffix("  <-- mismatch")) == len(rows[1])  # columns line up


def test_check_tolerances(capsys):
    assert (
        run(capsys, "check", "x**3", "x=1", "--eps", "1e-3", "--rtol", "0", "--atol", "0")[0] == 1
    )
    assert run(capsys, "check", "x**3", "x=1", "--eps", "1e-3", "--atol", "1e-5")[0] == 0


TMP = "{tmp}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["graph", "tanh(w*x + b", "w=1", "x=1", "b=1"], "syntax error: '(' was never closed"),
        (["graph", "w*z", "w=1"], "no value for z: add z=<number>"),
        (["graph", "w*x", "w=1", "w=2", "x=1"], "w is given twice (w=1 and w=2)"),
        (["graph", "w*x", "w=abc", "x=1"], "w='abc': not a number"),
        (["graph", "w*x", "w=", "x=1"], "w='': not a number"),
        (["graph", "w*x", "w=nan", "x=1"], "w=nan: the value must be a finite number"),
        (["graph", "w*x", "w=1e999", "x=1"], "w=1e999: the value must be a finite number"),
        (["graph", "x", "x=1", "y=2"], "y is given but not used in 'x'"),
        (["graph", "x", "x"], "expected name=value, got 'x'"),
        (["graph", "x", "1x=1", "x=1"], "'1x' (in '1x=1') is not a valid name"),
        (["graph", "x", "exp=1", "x=1"], "'exp' is a function's name"),
        (["graph", "x.y", "x=1"], "an attribute (a.b) is not allowed (column 1: 'x.y')"),
        (["graph", "log(x)", "x=-1"], "log of -1.0 (node 'x'): log is defined for positive"),
        (["graph", "x/y", "x=1", "y=0"], "division by zero"),
        (["graph", "9**9**9**9"], "overflows"),
        (["graph", "1e308 * x", "x=10"], "* produced inf from 1e+308 (node '1e308') and 10.0"),
        (["check", "exp(x) - exp(x)", "x=710"], "exp of 710.0 (node 'x') overflows"),
        (["graph", "x", "x=1", "--wrt", "y"], "--wrt y: no input is called 'y' (inputs: x)"),
        (["graph", "x", "x=1", "-o", "g.jpg"], "cannot tell the format of"),
        (["graph", "x", "x=1", "-o", TMP], "is a directory; give a file name"),
        (["graph", "x", "x=1", "-o", "missing/g.png"], "the directory"),
        (["graph", "x", "x=1", "--rankdir", "XY"], "invalid choice: 'XY'"),
        (
            ["graph", "x", "x=1", "--max-nodes", "-1"],
            "--max-nodes must be a whole number >= 0 (0 draws all), got -1",
        ),
        (["graph", "x", "x=1", "--max-nodes", "many"], "invalid int value: 'many'"),
        (["graph", "-x", "x=1"], 'a formula that starts with "-" goes after "--"'),
        (["graph"], "required"),
        (["frob"], "invalid choice: 'frob'"),
        ([], "required: COMMAND"),
        (["check", "3"], "nothing to check"),
        (["check", "x", "x=1", "--eps", "0"], "--eps must be > 0, got 0"),
        (["check", "x", "x=1", "--atol", "-1"], "--atol must be >= 0, got -1"),
        (["check", "x", "x=1", "--rtol", "inf"], "--rtol must be a finite number, got inf"),
        (["check", "sqrt(x)", "x=-1"], "sqrt of -1.0 (node 'x')"),
    ],
)
def test_every_mistake_exits_2_with_one_line_and_no_file(
    capsys, tmp_path, monkeypatch, argv, message
):
    monkeypatch.chdir(tmp_path)
    argv = [str(tmp_path) if a == TMP else a for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and "error: " in err and message in err
    assert "Traceback" not in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("output", ["g.png", "g.gv"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(capsys, tmp_path, monkeypatch, output):
    target = tmp_path / output
    target.write_bytes(b"old")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    code, _, err = run(capsys, "graph", *TANH, "-o", str(target))
    assert code == 2 and err.strip().endswith("No space left on device")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == [output]


def test_an_unwritable_directory_is_said_before_any_work(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for a non-root user
    code, out, err = run(capsys, "graph", *TANH, "-o", str(tmp_path / "g.png"))
    assert code == 2 and out == "" and err.strip().endswith("is not writable")
    assert os.listdir(tmp_path) == []


def test_missing_dot_is_one_clear_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, out, err = run(capsys, "graph", *TANH, "-o", str(tmp_path / "g.png"))
    assert code == 2 and out == "" and "sudo apt-get install graphviz" in err
    assert os.listdir(tmp_path) == []


@needs_dot
def test_dot_vanishing_mid_run_is_one_clear_line(capsys, tmp_path, monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "dot")

    monkeypatch.setattr(subprocess, "run", missing)  # how engine.views.render.render starts dot
    code, _, err = run(capsys, "graph", *TANH, "-o", str(tmp_path / "g.svg"))
    assert code == 2 and "'dot' program" in err and err.count("\n") == 1
    assert os.listdir(tmp_path) == []


def test_help_is_good_enough_for_a_newcomer(capsys):
    for argv in ([], ["graph"], ["check"]):
        with pytest.raises(SystemExit) as exit:
            main([*argv, "--help"])
        assert exit.value.code == 0
        out = capsys.readouterr().out
        assert 'python -m engine graph "tanh(w*x + b)" w=-1 x=0.5 b=2 -o g.png' in out
        assert "exit status" in out


def test_the_module_runs_as_a_program(tmp_path):
    python = [sys.executable, "-m", "engine"]
    ok = subprocess.run([*python, "check", "x*y", "x=2", "y=3"], capture_output=True, text=True)
    assert ok.returncode == 0 and "gradcheck passed" in ok.stdout
    bad = subprocess.run([*python, "graph", "x.y", "x=1"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == (
        "python -m engine graph: error: an attribute (a.b) is not allowed (column 1: 'x.y')\n"
    )


def test_the_output_gets_a_free_name_whatever_the_inputs_are_called(capsys):
    # f, out, result and f_ all taken: this raised StopIteration.
    code, out, _ = run(capsys, "graph", "f + out + result + f_", "f=1", "out=2", "result=3",
                       "f_=4", "--no-steps")  # fmt: skip
    assert code == 0 and out.startswith("f1 = f + out + result + f_ = 10")
    taken = [f"{name}=1" for name in ("f", "out", "result", "f1", "f2")]
    code, out, _ = run(capsys, "graph", "f + out + result + f1 + f2", *taken, "--no-steps")
    assert code == 0 and out.startswith("f3 = ") and "df3/df2 = " in out


def test_a_byte_that_is_not_utf8_is_a_clear_error():
    # bash's $'x\xff' reaches Python as 'x\udcff' (surrogateescape): ast.parse raised
    # UnicodeEncodeError. Run as a program, so the bytes go through a real argv.
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"engine", b"graph", b"x\xff", b"x=1"],
        capture_output=True,
    )
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr == (
        b"python -m engine graph: error: column 2 is not a character (not UTF-8)\n"
    )


def test_parse_raises_expression_error_for_a_lone_surrogate():
    from engine.cli.expr import ExpressionError, parse

    with pytest.raises(ExpressionError, match="column 3 is not a character"):
        parse("x+\udcff")


@pytest.mark.parametrize("where", ["_render", "draw_graph", "_explain"])
def test_ctrl_c_prints_interrupted_and_exits_130(capsys, tmp_path, monkeypatch, where):
    import engine.cli.commands as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, where, interrupted)
    code, _, err = run(capsys, "graph", *TANH, "-o", str(tmp_path / "g.gv"))
    assert (code, err) == (130, "interrupted\n")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "killpg") or shutil.which("dot") is None,
                    reason="needs POSIX signals and Graphviz")  # fmt: skip
def test_sigint_while_drawing_a_program_ends_it_cleanly(tmp_path):
    # A real Ctrl-C: the program stops itself with SIGINT once it starts to render.
    # raise_signal sends it to this thread: os.kill may hand it to another thread of the
    # process, and pause() then waits for ever (it did, once, on a loaded machine).
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # as in a terminal
        "import engine.cli.commands as cli\n"
        "def render(*args): signal.raise_signal(signal.SIGINT); time.sleep(60)\n"
        "cli._render = render\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    target = tmp_path / "g.png"
    result = subprocess.run(
        [sys.executable, "-c", script, "graph", *TANH, "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (130, "interrupted\n")
    assert not target.exists()


def test_a_closed_pipe_ends_quietly(tmp_path):
    # `python -m engine graph ... | head -1`: the reader goes away while steps are printed.
    formula = "+".join(["x*x"] * 200)
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "graph", formula, "x=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert err == b""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_is_one_line_not_a_traceback():
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "engine", "graph", "x*y", "x=1", "y=2"],
                                stdout=full, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == "python -m engine: error: [Errno 28] No space left on device\n"


def test_a_file_in_place_of_the_directory_is_said_so(capsys, tmp_path):
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "graph", "x", "x=1", "-o", str(tmp_path / "afile" / "g.png"))
    assert code == 2 and "afile' is a file, not a directory" in err


@pytest.mark.parametrize("length", [243, 255])
def test_output_names_up_to_255_bytes_are_written(capsys, tmp_path, length):
    target = tmp_path / ("g" * (length - 3) + ".gv")
    code, out, err = run(capsys, "graph", *TANH, "-o", str(target), "--no-steps")
    assert code == 0 and err == "" and os.listdir(tmp_path) == [target.name]


def test_an_output_name_too_long_names_it_not_the_temporary_file(capsys, tmp_path):
    target = tmp_path / ("g" * 253 + ".gv")  # 256 bytes
    code, _, err = run(capsys, "graph", *TANH, "-o", str(target), "--no-steps")
    assert code == 2 and err == (
        f"python -m engine graph: error: cannot write {str(target)!r}: File name too long\n"
    )
    assert os.listdir(tmp_path) == []
