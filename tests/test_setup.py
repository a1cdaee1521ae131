"""scripts/setup.sh, which both README commands run first, interrupted and run again.

A learner who presses Ctrl-C while the first `bash scripts/test.sh` creates its virtual
environment must not be left with a `.venv` that fails on every later run; the next run
makes it again. These tests set up throwaway environments with no extras (the package
alone, from the lock), so each takes seconds.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / "scripts" / "setup.sh"

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not os.path.exists("/bin/bash"), reason="setup.sh is bash"
)


def _environment(venv: Path) -> dict[str, str]:
    return {**os.environ, "VENV": str(venv), "EXTRAS": "", "PYTHON": sys.executable}


def _setup(venv: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SETUP)], env=_environment(venv), capture_output=True, text=True, timeout=600
    )


def _works(venv: Path) -> bool:
    check = [str(venv / "bin" / "python"), "-c", "import engine, pip; print(engine.Value(2.0))"]
    return subprocess.run(check, capture_output=True, cwd="/").returncode == 0


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory) -> Path:
    """An environment whose first set-up was interrupted by Ctrl-C while it was created."""
    venv = tmp_path_factory.mktemp("setup") / "venv"

    # Ctrl-C as in a terminal: a shell started with SIGINT ignored (a background job)
    # could not be interrupted at all, and its children inherit that.
    def as_in_a_terminal():
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    first = subprocess.Popen(
        ["bash", str(SETUP)], env=_environment(venv), stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=as_in_a_terminal,
    )  # fmt: skip
    said = ""
    deadline = time.monotonic() + 120
    while "creating the virtual environment" not in said and time.monotonic() < deadline:
        if select.select([first.stderr], [], [], 1)[0]:
            said += first.stderr.readline()
    assert "creating the virtual environment" in said, said
    time.sleep(0.3)  # inside `python -m venv`, which installs pip for seconds
    os.killpg(first.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    first.communicate(timeout=60)
    assert first.returncode != 0
    return venv


def test_ctrl_c_while_the_environment_is_created_is_repaired_by_the_next_run(interrupted):
    assert interrupted.exists() and not _works(interrupted), "Ctrl-C should leave it broken"
    second = _setup(interrupted)
    assert second.returncode == 0, second.stderr
    assert "unusable" in second.stderr and "making it again" in second.stderr
    assert _works(interrupted)
    again = _setup(interrupted)
    assert again.returncode == 0 and again.stderr == "", "a set-up environment is left alone"


def test_an_install_that_did_not_finish_is_made_again(interrupted):
    assert _works(interrupted)
    # Ctrl-C during `pip install` leaves this mark (and maybe half a package behind it).
    (interrupted / ".incomplete").touch()
    run = _setup(interrupted)
    assert run.returncode == 0, run.stderr
    assert "making it again" in run.stderr
    assert _works(interrupted) and not (interrupted / ".incomplete").exists()


def test_the_environment_holds_the_locked_versions(interrupted):
    assert _works(interrupted)
    frozen = subprocess.run(
        [str(interrupted / "bin" / "python"), "-m", "pip", "freeze", "--all"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    lock = (ROOT / "scripts" / "requirements-lock.txt").read_text(encoding="utf-8")
    pinned = {line.split(" ;")[0].lower() for line in lock.splitlines() if "==" in line}
    for name in ("pip", "setuptools", "graphviz", "tqdm"):
        (installed,) = [f.lower() for f in frozen if f.lower().startswith(f"{name}==")]
        assert installed in pinned, f"{installed} is not what the lock pins"
