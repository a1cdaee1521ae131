"""Build the lesson notebooks in notebooks/ from their sources, execute them, and check them.

Each lesson is kept as a jupytext percent-format script, ``notebooks/NN_name.py`` (what
people edit and review), paired with ``notebooks/NN_name.ipynb``, committed with its
outputs so a code host shows it as it ran. After editing a source:

    python scripts/build_notebooks.py               # rebuild and execute every notebook
    python scripts/build_notebooks.py 03 05         # only those whose file name contains 03, 05
    python scripts/build_notebooks.py --no-execute  # write the cells without running them
    python scripts/build_notebooks.py --check       # only say which pairs are out of step
    python scripts/build_notebooks.py --translated 03   # ko/03 now translates English 03 as is

The Korean edition, ``notebooks/ko/NN_name.py`` with its ``.ipynb``, is built and checked
with the English one (``ko/03`` names only the Korean lesson 3; ``03`` names both). A Korean
lesson is its English twin cell for cell: the same cells, each code cell the same program
once comments and string literals are set aside. ``notebooks/ko/translations.json`` keeps,
for each Korean lesson, a fingerprint of the English lesson it translates: when the English
lesson changes, its Korean twin is out of step until it is brought up to date and
``--translated`` records the new fingerprint.

(Opened in Jupyter with jupytext installed, either file of a pair can be edited: jupytext
writes both on save. The build still has to run to refresh the outputs.)

Notebooks run with the "python3" kernel in a fresh temporary folder, so nothing they
write lands in the repository. The build refuses to save a notebook whose outputs hold
an error, an absolute path, or more than MAX_BYTES. tests/test_notebooks.py runs them
again, checks that every pair is in step and lints the sources with ruff.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import tokenize
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
KOREAN = "ko"  # notebooks/ko/: the Korean edition, lesson for lesson
TRANSLATIONS = "translations.json"  # in notebooks/ko/: the English fingerprint each translates
# A lesson's source: two digits, an underscore, its name, ".py".
SOURCE = re.compile(r"\d\d_\w+\.py")
PAIRING = "ipynb,py:percent"
KERNEL = "python3"
CELL_TIMEOUT = 120  # seconds; far more than any cell needs, so only a hang trips it
MINUTE = 60  # seconds a whole lesson may take; the build says so when one takes longer
MAX_BYTES = 1_500_000
# An absolute path in a cell or an output: a Unix root folder or a Windows drive.
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:work|tmp|home|Users|usr|root|var|opt|private)/|[A-Z]:\\")

OBJECT_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# A tqdm bar's text: "training:  34%|███▍      | 103/300 [...]".
PROGRESS_BAR = re.compile(r"\d+%\|.*\| *\d+/\d+")
KERNELSPEC = {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"}
# The kernel's array libraries run on one thread: sums then add up in the same order on
# every run (the saved outputs stay put), and on a shared machine threads that outnumber
# the free cores slow a lesson down many times over instead of speeding it up.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def sources() -> list[Path]:
    """Every lesson's percent-format source, in lesson order: English, then Korean."""
    return english_sources() + korean_sources()


def english_sources() -> list[Path]:
    """The English lessons, in order."""
    return sorted(p for p in NOTEBOOK_DIR.glob("*.py") if SOURCE.fullmatch(p.name))


def korean_sources() -> list[Path]:
    """The Korean lessons (notebooks/ko/), in order."""
    return sorted(p for p in (NOTEBOOK_DIR / KOREAN).glob("*.py") if SOURCE.fullmatch(p.name))


def is_korean(source: Path) -> bool:
    return source.parent.name == KOREAN


def english_twin(source: Path) -> Path:
    """The English lesson a Korean one translates (the same file name, one folder up)."""
    return source.parent.parent / source.name


def display_name(source: Path) -> str:
    """A lesson's name as the build and its messages show it: ``03_x.py`` or ``ko/03_x.py``."""
    return f"{KOREAN}/{source.name}" if is_korean(source) else source.name


def notebook_path(source: Path) -> Path:
    """The ``.ipynb`` paired with a lesson's source."""
    return source.with_suffix(".ipynb")


def read_lesson(source: Path) -> nbformat.NotebookNode:
    """The notebook a source describes: its cells, no outputs, kernelspec and pairing set."""
    nb = jupytext.read(source, fmt="py:percent")
    return build(nb.cells)


def cell_sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """What a pair must agree on: each cell's type and source, outputs aside."""
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def out_of_step(source: Path) -> str | None:
    """Why a source and its ``.ipynb`` disagree (or a Korean lesson and its English twin),
    or None when they are in step."""
    if is_korean(source):
        reason = translation_problem(source)
        if reason:
            return reason
    target = notebook_path(source)
    if not target.exists():
        return f"{display_name(target)} is missing: build it"
    committed = nbformat.read(target, as_version=4)
    if committed.metadata.get("jupytext", {}).get("formats") != PAIRING:
        return f"{display_name(target)} is not paired with its source (formats {PAIRING!r})"
    if cell_sources(committed) != cell_sources(read_lesson(source)):
        return f"{display_name(target)} differs from {display_name(source)}: rebuild it"
    return None


# ---------------------------------------------------------------------------
# The Korean edition: each lesson the same program as its English twin


def code_tokens(source: str) -> list[tuple[str, str]]:
    """A code cell as the program it is: its tokens, with comments and line breaks left out
    and every string literal (f-strings and implicit concatenations whole) as one ``"…"``.

    >>> code_tokens("x = f(1, 'two')  # a comment") == code_tokens('x = f(1, "둘")')
    True
    >>> code_tokens("x = f(1)") == code_tokens("x = f(2)")
    False
    """
    found: list[tuple[str, str]] = []
    depth = 0  # inside an f-string (Python 3.12 tokenizes its parts)
    lines = io.StringIO(source + "\n").readline
    for token in tokenize.generate_tokens(lines):
        kind = tokenize.tok_name[token.type]
        if kind in ("COMMENT", "NL", "NEWLINE", "INDENT", "DEDENT", "ENDMARKER"):
            continue
        if kind == "FSTRING_START":
            depth += 1
            kind = "STRING" if depth == 1 else ""
        elif kind == "FSTRING_END":
            depth -= 1
            continue
        if depth and kind != "STRING":
            continue
        if kind == "STRING":
            if found and found[-1] == ("STRING", "…"):
                continue  # "a" "b" is one literal
            found.append(("STRING", "…"))
            continue
        found.append((kind, token.string))
    return found


def fingerprint(source: Path) -> str:
    """What identifies an English lesson as it is: a hash of its cells' types and sources."""
    cells = cell_sources(read_lesson(source))
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()[:16]


def recorded_fingerprints() -> dict[str, str]:
    path = NOTEBOOK_DIR / KOREAN / TRANSLATIONS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def translation_problem(source: Path) -> str | None:
    """Why a Korean lesson is not a translation of its English twin as it is, or None."""
    english = english_twin(source)
    name = display_name(source)
    if not english.exists():
        return f"{name} translates {english.name}, which is not a lesson"
    theirs, ours = read_lesson(english).cells, read_lesson(source).cells
    if [c.cell_type for c in theirs] != [c.cell_type for c in ours]:
        return (
            f"{name} does not follow {english.name} cell for cell: "
            f"{len(ours)} cells against {len(theirs)}, or not of the same kinds"
        )
    for i, (a, b) in enumerate(zip(theirs, ours, strict=True)):
        if a.cell_type == "code" and code_tokens(a.source) != code_tokens(b.source):
            return (
                f"{name} cell {i} is not the same program as {english.name} cell {i} "
                "(comments and string literals aside): change both, or neither"
            )
    if recorded_fingerprints().get(english.stem) != fingerprint(english):
        return (
            f"{english.name} changed since {name} was translated: bring the Korean lesson "
            f"up to date, then record it (python scripts/build_notebooks.py "
            f"--translated {KOREAN}/{source.stem[:2]})"
        )
    return None


def record_translated(source: Path) -> None:
    """Record that the Korean ``source`` translates its English twin as the twin is now."""
    recorded = recorded_fingerprints()
    english = english_twin(source)
    recorded[english.stem] = fingerprint(english)
    path = NOTEBOOK_DIR / KOREAN / TRANSLATIONS
    text = json.dumps(dict(sorted(recorded.items())), indent=2, ensure_ascii=False) + "\n"
    from engine.utils.files import atomic_write

    atomic_write(path, text.encode())


def build(cells: list) -> nbformat.NotebookNode:
    """A notebook of these cells: kernelspec python3, paired with its source, stable cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["jupytext"] = {"formats": PAIRING}
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids keep rebuilds free of noise in diffs
    nb.cells = cells
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell with the python3 kernel in a fresh temporary folder; outputs are kept."""
    workdir = tempfile.mkdtemp(prefix="scalarflow-nb-")
    saved = {name: os.environ.get(name) for name in ONE_THREAD}
    os.environ.update(ONE_THREAD)  # the kernel inherits this process's environment
    try:
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=timeout,
            record_timing=False,
            resources={"metadata": {"path": workdir}},
        )
        client.execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(workdir, ignore_errors=True)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def last_states(text: str) -> str:
    """Each line of a stream as a screen would leave it: only what follows its last ``\\r``.

    A progress bar redraws its line with carriage returns; Jupyter shows the final state
    live, but a code host rendering the saved text might show every state or the first.

    >>> last_states("\\rtraining 0/3\\rtraining 3/3\\r\\nsummary\\n")
    'training 3/3\\nsummary\\n'
    """
    text = re.sub(r"\r+\n", "\n", text)  # "\r\n" ends a line, as Jupyter reads it
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Outputs that do not change from run to run, so a rebuild's diff shows real changes.

    Consecutive prints to one stream become one output (the kernel splits them by timing),
    lines redrawn with carriage returns (progress bars) keep only their last state, and
    object addresses (``<graphviz.graphs.Digraph at 0x7f...>``) are dropped from the
    plain-text fallbacks of pictures, and widget ids are numbered in order.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list = []
        for output in cell.outputs:
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
                continue
            text = output.get("data", {}).get("text/plain")
            if isinstance(text, str):
                output.data["text/plain"] = OBJECT_ADDRESS.sub(">", text)
            merged.append(output)
        for output in merged:
            if output.output_type == "stream":
                output.text = last_states(output.text)
        cell.outputs = merged
    return stable_widget_ids(nb)


def stable_widget_ids(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Widget model ids renamed ``widget-00`` ... in the order the kernel made them.

    The kernel draws each widget's id at random, so without this a rebuild rewrites
    every id in the saved widget state and in the outputs that show them.

    >>> nb = nbformat.v4.new_notebook()
    >>> box, button = "9f" * 16, "3c" * 16  # ids as the kernel draws them
    >>> state = {box: {"child": "IPY_MODEL_" + button}, button: {}}
    >>> nb.metadata["widgets"] = {WIDGET_STATE: {"state": state}}
    >>> sorted(stable_widget_ids(nb).metadata["widgets"][WIDGET_STATE]["state"])
    ['widget-00', 'widget-01']
    >>> nb.metadata["widgets"][WIDGET_STATE]["state"]["widget-00"]
    {'child': 'IPY_MODEL_widget-01'}
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return nb
    names = {old: f"widget-{k:02d}" for k, old in enumerate(state)}
    text = re.sub("|".join(map(re.escape, names)), lambda m: names[m.group()], json.dumps(nb))
    nb.update(nbformat.from_dict(json.loads(text)))
    return nb


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """What keeps a notebook from being committed: errors, absolute paths, missing outputs,
    widgets, and progress-bar lines not yet reduced to their last state."""
    found = []
    if nb.metadata.get("kernelspec", {}).get("name") != KERNEL:
        found.append(f"kernelspec is not {KERNEL}")
    for i, cell in enumerate(nb.cells):
        if ABSOLUTE_PATH.search(cell.source):
            found.append(f"cell {i}: an absolute path in the source")
        if not cell.source.strip():
            found.append(f"cell {i}: empty (a stray blank line or marker in the source?)")
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is None:
            found.append(f"cell {i}: not executed")
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {i}: {output.ename}: {output.evalue}")
            text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            if ABSOLUTE_PATH.search(text):
                found.append(f"cell {i}: an absolute path in the output")
            data = output.get("data", {})
            if WIDGET in data and PROGRESS_BAR.search(str(data.get("text/plain", ""))):
                # saved, a widget keeps only its first state: "0/300", as if nothing ran
                found.append(f"cell {i}: a progress-bar widget (use a text bar)")
            if "\r" in output.get("text", ""):
                found.append(f"cell {i}: a carriage return in a stream (tidy the notebook)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="build only notebooks whose name contains these")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--no-execute", action="store_true", help="write cells without outputs")
    what.add_argument("--check", action="store_true", help="only check each pair is in step")
    what.add_argument(
        "--translated",
        action="store_true",
        help="record that the chosen Korean lessons translate their English twins as they are",
    )
    args = parser.parse_args(argv)
    chosen = [p for p in sources() if not args.only or any(o in display_name(p) for o in args.only)]
    if not chosen:
        print(f"no lesson source in notebooks/ matches {' '.join(args.only)}", file=sys.stderr)
        return 2
    if args.translated:
        korean = [p for p in chosen if is_korean(p)]
        for source in korean:
            record_translated(source)
            print(f"{display_name(source)}: translates {source.name} as it is now")
        return 0 if korean else 2
    if args.check:
        found = [reason for reason in map(out_of_step, chosen) if reason]
        print("\n".join(found) or f"{len(chosen)} notebooks in step with their sources")
        return 1 if found else 0
    for source in chosen:
        name = display_name(notebook_path(source))
        nb = read_lesson(source)
        if not args.no_execute:
            start = time.perf_counter()
            try:
                execute(nb)
            except CellExecutionError as error:
                print(f"{name}: not saved: a cell failed\n{error}", file=sys.stderr)
                return 1
            seconds = time.perf_counter() - start
            tidy(nb)
            found = problems(nb)
            size = len(nbformat.writes(nb).encode())
            if size > MAX_BYTES:
                found.append(f"{size:,} bytes, more than {MAX_BYTES:,}")
            if found:
                print(f"{name}: not saved:\n  " + "\n  ".join(found), file=sys.stderr)
                return 1
            slow = " (over a minute: make it lighter)" if seconds > MINUTE else ""
            print(f"{name}: ran in {seconds:.1f} s{slow}, {size / 1000:.0f} kB")
        write(nb, notebook_path(source))
    return 0


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Save a notebook whole or not at all (a failed write leaves the old one)."""
    from engine.utils.files import atomic_write

    atomic_write(path, nbformat.writes(nb).encode() + b"\n")


if __name__ == "__main__":
    sys.exit(main())
