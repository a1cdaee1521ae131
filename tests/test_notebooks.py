"""The lesson notebooks: each runs top to bottom, and is committed exactly as it ran.

Each lesson is a jupytext percent-format source (notebooks/NN_name.py) paired with its
executed notebook (notebooks/NN_name.ipynb), built by scripts/build_notebooks.py. These
tests check that every pair is in step (the same cells, outputs aside), that the sources
pass ruff, that markdown stays markdown, and what was committed: kernelspec, outputs
present and clean, no absolute paths, a modest size. Then they run each notebook again
with the "python3" kernel in a temporary folder (so nothing lands in the repository) and
fail on any error.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient")
jupytext = pytest.importorskip("jupytext", reason="the notebook tests need jupytext")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
KOREAN_DIR = NOTEBOOK_DIR / "ko"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + sorted(KOREAN_DIR.glob("*.ipynb"))


def _load_builder():
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "scripts" / "build_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()
SOURCES = builder.sources()
ENGLISH = builder.english_sources()
KOREAN = builder.korean_sources()


def lesson_id(path: Path) -> str:
    """``03_loss…`` for an English lesson, ``ko/03_loss…`` for its Korean twin."""
    return builder.display_name(path).rsplit(".", 1)[0]


def _notebook(*sources: str) -> nbformat.NotebookNode:
    return builder.build([nbformat.v4.new_code_cell(s) for s in sources])


def test_every_lesson_is_a_pair():
    assert len(ENGLISH) >= 9, "nine lessons at least"
    assert [builder.notebook_path(s) for s in SOURCES] == NOTEBOOKS, (
        "every lesson needs both its .py source and its .ipynb, and nothing else is a notebook"
    )


@pytest.mark.parametrize("folder", [NOTEBOOK_DIR, KOREAN_DIR], ids=["en", "ko"])
def test_readme_lists_the_notebooks_in_order(folder):
    readme = (folder / "README.md").read_text(encoding="utf-8")
    notebooks = sorted(folder.glob("*.ipynb"))
    positions = [readme.find(f"({p.name})") for p in notebooks]
    assert all(pos >= 0 for pos in positions), "every notebook needs its line in the README"
    assert positions == sorted(positions)


@pytest.mark.parametrize("source", SOURCES, ids=lesson_id)
def test_notebook_is_in_step_with_its_source(source):
    assert builder.out_of_step(source) is None


def _as_jupytext_reads(text: str) -> tuple:
    """A percent-format text as jupytext reads it: its metadata and cells, not its stamp.

    The header's ``text_representation`` records which jupytext wrote the file
    (``jupytext_version: 1.19.6``); it changes with every jupytext release and says nothing
    about the lesson, so it is left out.
    """
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata.get("jupytext", {}).pop("text_representation", None)
    return nb.metadata, [(c.cell_type, c.source, c.metadata) for c in nb.cells]


@pytest.mark.parametrize("source", SOURCES, ids=lesson_id)
def test_saving_the_notebook_with_jupytext_rewrites_its_source_unchanged(source):
    # What Jupyter with jupytext writes on save: editing there changes no cell.
    committed = nbformat.read(builder.notebook_path(source), as_version=4)
    saved = jupytext.writes(committed, fmt="py:percent")
    assert _as_jupytext_reads(saved) == _as_jupytext_reads(source.read_text(encoding="utf-8"))


def test_the_round_trip_ignores_the_jupytext_version_but_not_the_cells():
    text = SOURCES[0].read_text(encoding="utf-8")
    assert "jupytext_version: " in text
    newer = re.sub(r"jupytext_version: \S+", "jupytext_version: 99.0.0", text)
    assert _as_jupytext_reads(newer) == _as_jupytext_reads(text)
    edited = text.replace("# %% [markdown]\n", '# %% [markdown] tags=["x"]\n', 1)
    assert _as_jupytext_reads(edited) != _as_jupytext_reads(text), "a cell's metadata counts"
    assert _as_jupytext_reads(text + "\n# %%\nprint(1)\n") != _as_jupytext_reads(text)


def test_a_notebook_edited_apart_from_its_source_is_caught(tmp_path, monkeypatch):
    source = tmp_path / "01_one.py"
    source.write_text("# %% [markdown]\n# One idea.\n\n# %%\nprint(1)\n", encoding="utf-8")
    monkeypatch.setattr(builder, "NOTEBOOK_DIR", tmp_path)
    assert builder.sources() == [source]
    assert "missing" in builder.out_of_step(source)
    nb = builder.read_lesson(source)
    assert builder.cell_sources(nb) == [("markdown", "One idea."), ("code", "print(1)")]
    builder.write(nb, builder.notebook_path(source))
    assert builder.out_of_step(source) is None
    nb.cells[1].source = "print(2)"
    builder.write(nb, builder.notebook_path(source))
    assert "differs" in builder.out_of_step(source)


@pytest.mark.parametrize("source", SOURCES, ids=lesson_id)
def test_markdown_stays_markdown(source):
    # Four leading spaces outside a fence turn prose into a code block, as one line did
    # in notebook 5 when the lessons were strings in the build script.
    for i, cell in enumerate(builder.read_lesson(source).cells):
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            assert fenced or not line.startswith("    "), f"cell {i} renders as code: {line!r}"


def test_lesson_sources_pass_ruff():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the dev extra)")
    paths = [str(s) for s in SOURCES]
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        run = subprocess.run([ruff, *command, *paths], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def _glossary() -> list[tuple[str, str, int]]:
    """The README's glossary rows: English, Korean (without a note in brackets), lesson."""
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Glossary", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in table.splitlines() if line.startswith("| ")]
    return [(e.strip(), k.split("(")[0].strip(), int(n)) for e, k, n in rows[1:]]


def test_each_korean_term_is_given_once_where_its_lesson_introduces_it():
    glossary = _glossary()
    assert len(glossary) >= 29, "the issue lists 29 terms"
    prose = {
        int(source.name[:2]): " ".join(
            cell.source.replace("\n", " ")
            for cell in builder.read_lesson(source).cells
            if cell.cell_type == "markdown"
        )
        for source in ENGLISH
    }
    for english, korean, lesson in glossary:
        where = [n for n, text in prose.items() for _ in range(text.count(f"({korean})"))]
        assert where == [lesson], f"{english} ({korean}): given in lessons {where}, not [{lesson}]"


def test_tidy_keeps_the_last_state_of_a_progress_bar():
    nb = _notebook("fit(...)")
    nb.cells[0].execution_count = 1
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="\rtraining:   0%| | 0/300"),
        nbformat.v4.new_output("stream", name="stderr", text="\rtraining: 100%|█| 300/300\n"),
        nbformat.v4.new_output("stream", name="stdout", text="300 epochs\n"),
    ]
    assert any("carriage return" in p for p in builder.problems(nb))
    builder.tidy(nb)
    assert [o.text for o in nb.cells[0].outputs] == ["training: 100%|█| 300/300\n", "300 epochs\n"]
    assert builder.problems(nb) == []


def test_tidy_numbers_widget_ids_so_a_rebuild_leaves_them_alone():
    # The kernel draws widget ids at random: unnumbered, each rebuild of lesson 1 rewrote
    # hundreds of lines of widget state.
    committed = nbformat.read(NOTEBOOKS[0], as_version=4)
    text = nbformat.writes(committed)
    ids = sorted(set(re.findall(r"widget-\d\d", text)))
    assert len(ids) > 3, "lesson 1's step-through should leave widget state"
    drawn = {name: os.urandom(16).hex() for name in ids}  # as a fresh run has them
    fresh = nbformat.reads(re.sub(r"widget-\d\d", lambda m: drawn[m.group()], text), 4)
    assert "widget-0" not in nbformat.writes(fresh)
    assert nbformat.writes(builder.tidy(fresh)) == text


def test_a_progress_bar_widget_is_not_committed():
    # Saved, a tqdm.auto widget shows its first state ("0/300"), as if nothing had run;
    # other widgets (step_through's buttons) say what they are and may stay.
    nb = _notebook("fit(...)", "step_through(a)")
    for i, text in enumerate(["training:   0%|          | 0/300", "VBox(children=(Button(...))"]):
        nb.cells[i].execution_count = i + 1
        data = {builder.WIDGET: {"model_id": str(i)}, "text/plain": text}
        nb.cells[i].outputs = [nbformat.v4.new_output("display_data", data=data)]
    assert builder.problems(nb) == ["cell 0: a progress-bar widget (use a text bar)"]


def test_the_build_can_only_check_the_pairs(capsys):
    assert builder.main(["--check"]) == 0
    assert f"{len(SOURCES)} notebooks in step" in capsys.readouterr().out


def test_the_build_says_which_name_matched_nothing(capsys):
    assert builder.main(["no-such-lesson"]) == 2
    assert "no lesson source in notebooks/ matches no-such-lesson" in capsys.readouterr().err


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lesson_id)
def test_committed_with_clean_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # no errors, no absolute paths (sources or outputs), every code cell executed
    assert builder.problems(nb) == []
    assert any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    assert path.stat().st_size <= builder.MAX_BYTES


# What a page shows where it cannot draw an output: the repr of the Python object.
OBJECT_REPR = re.compile(r"&lt;(?:[A-Za-z_][\w.]* object|graphviz\.[\w.]+)&gt;")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lesson_id)
def test_exported_to_html_every_picture_shows(path):
    # nbconvert (and the pages built with it) draws fewer kinds of output than Jupyter:
    # an animated GIF, for one, became "<IPython.core.display.Image object>" in lesson 1.
    nbconvert = pytest.importorskip("nbconvert", reason="the export check needs nbconvert")
    html, _ = nbconvert.HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    assert OBJECT_REPR.findall(html) == []


def test_the_kernel_runs_array_libraries_on_one_thread():
    # What keeps lesson 8's matrix products fast on a shared machine, and its sums in order.
    nb = _notebook("import os; print(os.environ['OPENBLAS_NUM_THREADS'])")
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    builder.execute(nb)
    assert nb.cells[0].outputs[0].text == "1\n"
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before, "the build's own setting leaked"


def _needs(source: Path) -> str | None:
    """The engine name a lesson imports that this engine lacks (lesson 8 needs compile)."""
    import engine

    text = source.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("from engine import "):
            for name in line.removeprefix("from engine import ").split(","):
                if not hasattr(engine, name.strip()):
                    return name.strip()
    return None


# Lessons whose prose quotes the code engine.compile writes, and how a quoted line looks.
QUOTE_GENERATED_CODE = {"08_backward_as_code"}
GENERATED_LINE = re.compile(r"`(\w+ \+?= [^`]+)`")


def unprinted_quotes(nb: nbformat.NotebookNode) -> list[str]:
    """Lines of code the prose quotes that no output prints (comments aside)."""
    printed = {
        line.split("  #")[0].strip()
        for cell in nb.cells
        for output in cell.get("outputs", [])
        for line in output.get("text", "").splitlines()
    }
    quoted = [
        quote
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for quote in GENERATED_LINE.findall(cell.source.replace("\n", " "))
    ]
    assert quoted, "the lesson quotes no generated line: is GENERATED_LINE still right?"
    return [quote for quote in quoted if quote not in printed]


def test_a_quote_of_code_no_longer_generated_is_caught():
    nb = _notebook("print(step.source)")
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="g8 = 1  # d\n")]
    nb.cells.append(nbformat.v4.new_markdown_cell("Read `g8 = 1`, then\n`g7 = 2 *\ng8`."))
    assert unprinted_quotes(nb) == ["g7 = 2 * g8"]


# The Korean lessons are not run again here: each is its English twin's program (checked
# above, cell for cell), and its committed .ipynb, in step with its source, ran clean when
# it was built; the browser test runs every one of them in JupyterLab.
@pytest.mark.parametrize("source", ENGLISH, ids=lesson_id)
def test_runs_top_to_bottom(source):
    missing = _needs(source)
    if missing:  # a lesson written ahead of its engine feature, on a branch without it
        pytest.skip(f"{source.name} needs engine.{missing}, which this engine lacks")
    nb = builder.read_lesson(source)
    before = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    # As the build runs it: python3 kernel, a fresh temporary folder, the same cell timeout.
    builder.execute(nb)  # raises CellExecutionError, naming the cell, on the first error
    assert builder.problems(builder.tidy(nb)) == []
    if source.stem in QUOTE_GENERATED_CODE:  # the code quoted is what compile writes today
        assert unprinted_quotes(nb) == []
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == before, "wrote into notebooks/"


# ---------------------------------------------------------------------------
# The Korean edition


def test_every_english_lesson_has_its_korean_twin():
    assert [s.name for s in KOREAN] == [s.name for s in ENGLISH]
    recorded = builder.recorded_fingerprints()
    assert sorted(recorded) == sorted(s.stem for s in ENGLISH), "translations.json"


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def hangul_share(text: str) -> float:
    """The share of a text's letters that are Hangul, code spans, links and maths aside."""
    text = re.sub(r"`[^`]*`|\$[^$]*\$|\]\([^)]*\)|https?://\S+", " ", text)
    letters = [c for c in text if c.isalpha()]
    return len(HANGUL.findall("".join(letters))) / max(1, len(letters))


@pytest.mark.parametrize("source", KOREAN, ids=lesson_id)
def test_a_korean_lesson_is_its_english_twin_in_korean(source):
    # Cell for cell the English lesson; every code cell the same program (comments and
    # string literals aside); and translated for the English lesson as it is now.
    assert builder.translation_problem(source) is None
    cells = builder.read_lesson(source).cells
    english = builder.read_lesson(builder.english_twin(source)).cells
    prose = [c.source for c in cells if c.cell_type == "markdown"]
    assert hangul_share(" ".join(prose)) > 0.6, "the prose is meant to be Korean"
    for i, (k, e) in enumerate(zip(cells, english, strict=True)):
        if k.cell_type == "markdown" and hangul_share(e.source) < 0.5 and e.source.strip():
            assert hangul_share(k.source) >= 0.4, f"cell {i} reads as English still"


def test_the_twin_check_catches_a_changed_program_or_an_untranslated_change(tmp_path, monkeypatch):
    lessons, korean = tmp_path / "notebooks", tmp_path / "notebooks" / "ko"
    korean.mkdir(parents=True)
    english = "# %% [markdown]\n# One idea.\n\n# %%\nx = 2  # two\nprint('x is', x)\n"
    translated = "# %% [markdown]\n# 하나의 생각.\n\n# %%\nx = 2  # 둘\nprint('x는', x)\n"
    (lessons / "01_one.py").write_text(english, encoding="utf-8")
    (korean / "01_one.py").write_text(translated, encoding="utf-8")
    monkeypatch.setattr(builder, "NOTEBOOK_DIR", lessons)
    source = korean / "01_one.py"
    assert "changed since ko/01_one.py was translated" in builder.translation_problem(source)
    assert builder.main(["--translated", "ko/01"]) == 0
    assert builder.translation_problem(source) is None  # comments and strings may differ
    (korean / "01_one.py").write_text(translated.replace("x = 2", "x = 3"), encoding="utf-8")
    assert "cell 1 is not the same program" in builder.translation_problem(source)
    (korean / "01_one.py").write_text(translated + "\n# %%\nprint(x)\n", encoding="utf-8")
    assert "does not follow 01_one.py cell for cell" in builder.translation_problem(source)
    (korean / "01_one.py").write_text(translated, encoding="utf-8")
    (lessons / "01_one.py").write_text(english.replace("One idea", "An idea"), encoding="utf-8")
    assert "01_one.py changed since ko/01_one.py" in builder.translation_problem(source)


@pytest.mark.parametrize(
    ("english", "korean", "same"),
    [
        ("x = f(1)  # one", "x = f(1)  # 하나", True),
        ("print('done')", 'print("끝")', True),
        ("print(f'{x:.2f} done')", "print(f'{x:.2f} 끝')", True),
        ("y = ('a' 'b')", "y = ('가')", True),
        ("x = f(1)", "x = f(2)", False),
        ("x = f(1)", "x = f(1, 2)", False),
        ("for i in range(3):\n    print(i)", "for i in range(3):\n    # 출력\n    print(i)", True),
        ("x = 1\ny = 2", "x = 1; y = 2", False),
    ],
)
def test_the_same_program_once_comments_and_strings_are_set_aside(english, korean, same):
    assert (builder.code_tokens(english) == builder.code_tokens(korean)) is same


README_KO = ROOT / "README.ko.md"


def test_the_korean_readme_has_both_commands_and_links_both_ways():
    korean = README_KO.read_text(encoding="utf-8")
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("bash scripts/demo.sh", "bash scripts/test.sh"):
        assert command in korean and command in english
    assert "README.ko.md" in english.split("\n## ", 1)[0], "README.md links it near the top"
    assert "README.md" in korean.split("\n## ", 1)[0], "and README.ko.md links back"
    assert hangul_share(korean) > 0.5
