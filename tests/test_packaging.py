"""What a learner's `pip install scalarflow` gets, and what a fresh clone's set-up installs.

The wheel is built here as pip would build it (no warnings: a deprecation today is a broken
build on its deadline), and the development lock must pin every package pyproject.toml asks
for, at a version inside the range it asks for, for every Python the project supports.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli, the same parser
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = ROOT / "scripts" / "requirements-lock.txt"

packaging_requirements = pytest.importorskip("packaging.requirements")
packaging_markers = pytest.importorskip("packaging.markers")

SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a clean copy of the checkout: setuptools reuses an earlier build's
    # build/lib, and a module left there would ship even once pyproject.toml leaves it out.
    source = tmp_path_factory.mktemp("source") / "scalarflow"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))  # fmt: skip
    # With bytecode writing off, setuptools warns that it skips byte-compiling: not ours.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-v", "-w", str(out), str(source)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    (path,) = out.glob("scalarflow-*.whl")
    return path, run.stdout + run.stderr


def test_the_wheel_builds_without_a_warning(wheel):
    _, log = wheel
    warnings = [line for line in log.splitlines() if re.search(r"deprecat|warning", line, re.I)]
    assert warnings == [], "\n".join(warnings)


def test_the_wheel_holds_the_packages_the_licence_and_nothing_else(wheel):
    path, _ = wheel
    names = zipfile.ZipFile(path).namelist()
    top = {name.split("/")[0] for name in names}
    assert {"engine", "nn"} <= top
    assert not top & {"tests", "notebooks", "benchmarks", "scripts"}
    assert "engine/__init__.py" in names and "nn/__init__.py" in names
    assert any(re.fullmatch(r"scalarflow-[^/]+\.dist-info/licenses/LICENSE", n) for n in names)


def test_the_wheel_holds_every_module_of_engine_and_nn(wheel):
    # A sub-package missing from the wheel (engine.views once, when engine moved into
    # rooms) imports in a checkout and fails only once installed.
    path, _ = wheel
    names = set(zipfile.ZipFile(path).namelist())
    modules = {
        p.relative_to(ROOT).as_posix()
        for package in ("engine", "nn")
        for p in (ROOT / package).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert modules - names == set()
    assert "nn/exercises/lesson1.py" in modules


def test_the_wheel_ships_the_digits(wheel):
    # datasets.digits() reads its file from the installed package: without it in the
    # wheel, the digits, lesson 9 and the digits demo fail once installed.
    path, _ = wheel
    names = zipfile.ZipFile(path).namelist()
    assert {"nn/data/digits.csv.gz", "nn/data/README.md"} <= set(names)


def test_the_wheel_says_its_licence_and_pythons(wheel):
    path, _ = wheel
    with zipfile.ZipFile(path) as archive:
        (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(meta).decode()
    assert "License-Expression: MIT" in metadata
    assert f"Requires-Python: {PYPROJECT['project']['requires-python']}" in metadata
    said = re.findall(r"Classifier: Programming Language :: Python :: (3\.\d+)$", metadata, re.M)
    assert said == SUPPORTED


def _lock() -> dict[str, list[tuple[str, str]]]:
    """Each locked package's name and its (version, environment marker) pins."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)(?:\s*;\s*(.*))?$", line)
        if match:
            name, version, marker = match.groups()
            pins.setdefault(_normal(name), []).append((version, marker or ""))
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted() -> list:
    project = PYPROJECT["project"]
    found = [*project["dependencies"], *PYPROJECT["build-system"]["requires"]]
    for extra in ("dev", "compile", "plot", "jupyter"):
        found += project["optional-dependencies"][extra]
    return [packaging_requirements.Requirement(r) for r in found]


@pytest.mark.parametrize("python", SUPPORTED)
def test_the_lock_pins_every_requirement_inside_its_range(python):
    pins = _lock()
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    for requirement in _wanted():
        versions = [
            version
            for version, marker in pins.get(_normal(requirement.name), [])
            if not marker or packaging_markers.Marker(marker).evaluate(environment)
        ]
        assert len(versions) == 1, (
            f"{requirement.name} is pinned {len(versions)} times for Python {python}: "
            "refresh the lock (bash scripts/lock.sh)"
        )
        assert requirement.specifier.contains(versions[0], prereleases=True), (
            f"the lock has {requirement.name}=={versions[0]}, outside {requirement} "
            "(pyproject.toml changed since the lock was made: bash scripts/lock.sh)"
        )


def test_every_pin_is_exact():
    lines = [
        line
        for line in LOCK.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    loose = [line for line in lines if "==" not in line]
    assert loose == [] and len(lines) > 50
