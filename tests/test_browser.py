"""The lessons in a real browser: JupyterLab served on 127.0.0.1, Debian's chromium via playwright.

What a learner sees at 1280×800 with the file panel open, for every notebook in
notebooks/: it runs top to bottom with no error output (nothing on stderr, which
JupyterLab paints pink: fit's progress bar included), and no output is wider than
its column. Notebook 1 also: the step-through widget renders, ▶ moves the highlight
and fills gradients in; then, saved and exported to HTML by nbconvert, it steps
through offline with ▶ (the kernel-free player). And lessons 1 and 5 as committed, opened
without running them, as a learner's fresh clone is: JupyterLab does not trust them, so it
sanitizes their HTML and draws no SVG output, and every picture must still show as one
(no markup or loose text in its place), within its column. And a player saved by
save_steps whose labels open or close a script steps through as any other, running nothing.

JupyterLab 4 lays out only the cells near the view ("windowing"): an output never
scrolled to would measure as nothing. The server starts with settings that lay out
every cell (and fetch no news), each test checks that every cell is laid out and every
output of the notebook's model rendered before it measures, and one test shows that the
checks catch windowing, stderr and a picture wider than its column.

Needs the `chromium` program (scripts/setup.sh installs Debian's package) and the
`playwright` package, which drives it through ``executable_path`` (playwright's own
browser download cannot work here). Without them the test fails under CI=true and is
skipped, with the reason, elsewhere. SCALARFLOW_SCREENSHOTS=DIR keeps the screenshots:
one per notebook (``NN-widest-output.png``, its widest picture in view), four of
notebook 1's step-through, and of the unrun lessons their first drawing
(``NN-unrun-first-drawing.png``) and notebook 1's player (``01-unrun-player.png``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "notebooks" / "ko").glob("[0-9][0-9]_*.ipynb")  # the Korean edition
)


def lesson(notebook: Path) -> str:
    """A lesson's path in the lab, as in notebooks/: ``03_x.ipynb``, ``ko/03_x.ipynb``."""
    return notebook.relative_to(ROOT / "notebooks").as_posix()


def shot_name(notebook: Path) -> str:
    """A short prefix for its screenshots: ``03``, ``ko03``."""
    return lesson(notebook).replace("/", "")[: 4 if "/" in lesson(notebook) else 2]


FIRST = "01_"  # the notebook whose step-through widget and exported player are stepped
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HIGHLIGHT = "#e66100"  # engine.views.graph.HIGHLIGHT, as Graphviz writes it into SVG
RUN_TIMEOUT = 240_000  # ms for a whole notebook; each runs in well under a minute alone
# JupyterLab's settings, as files in its settings folder: every cell rendered (no
# windowing) and no news toast over the page.
LAB_SETTINGS = {
    "notebook-extension/tracker": {"windowingMode": "none"},
    "apputils-extension/notification": {"fetchNews": "false"},
}
# As scripts/build_notebooks.py runs the kernels: array libraries on one thread.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def unavailable(reason: str) -> None:
    """No browser: a failure in CI (it must be installable there), a loud skip elsewhere."""
    message = f"the browser test cannot run: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        unavailable(
            "no `chromium` program (Debian: apt-get install chromium; see scripts/setup.sh)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (pip install -e '.[dev]')")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except Exception as error:  # the launch error says why (missing libraries, ...)
            unavailable(f"chromium did not start: {error}")
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_settings(folder: Path) -> None:
    for name, values in LAB_SETTINGS.items():
        path = folder / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a random port and token; stopped by its PID."""
    if len(NOTEBOOKS) < 18:
        pytest.fail(f"notebooks/ holds {len(NOTEBOOKS)} lesson notebooks, not nine and nine")
    home = tmp_path_factory.mktemp("lab")
    logs = tmp_path_factory.mktemp("lab-log")
    for notebook in NOTEBOOKS:
        (home / lesson(notebook)).parent.mkdir(exist_ok=True)
        shutil.copy(notebook, home / lesson(notebook))
    write_lab_settings(home / ".settings")
    port, token = free_port(), os.urandom(12).hex()
    env = {
        **os.environ,
        **ONE_THREAD,
        "JUPYTER_CONFIG_DIR": str(home / ".config"),
        "JUPYTER_RUNTIME_DIR": str(home / ".runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / ".workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / ".settings"),
        # Signatures of notebooks saved here (trusted from then on) stay here: never in the
        # user's own database, and a committed notebook opened here is as untrusted as a
        # learner's fresh clone.
        "JUPYTER_DATA_DIR": str(home / ".data"),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={home}",
        "--LabApp.news_url=",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the notebook's model
        "--LabServerApp.extra_labextensions_path=[]",
    ]
    log = open(logs / "lab.log", "wb")
    server = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.close()
                    pytest.fail("JupyterLab did not start:\n" + (logs / "lab.log").read_text())
                time.sleep(0.5)
        yield {"url": url, "token": token, "home": home}
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def api(lab, method: str, path: str):
    """A call to the Jupyter server's REST API; its JSON answer, or None."""
    request = urllib.request.Request(
        f"{lab['url']}/api/{path}",
        method=method,
        headers={"Authorization": f"token {lab['token']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read()
    return json.loads(body) if body else None


def shut_down_kernels(lab) -> None:
    """End every notebook's session and kernel, so the next notebook runs alone."""
    for session in api(lab, "GET", "sessions"):
        api(lab, "DELETE", f"sessions/{session['id']}")


@contextlib.contextmanager
def lab_page(browser, lab, tmp_path: Path, failed: str):
    """A page at 1280×800 for one test: screenshot ``failed`` if it fails, kernels shut after."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(60_000)
    try:
        yield page
    except Exception:
        screenshot(page, failed, tmp_path)
        raise
    finally:
        page.close()
        shut_down_kernels(lab)


def screenshot(page, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCALARFLOW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# The open notebook as its model has it and as the page shows it, cell by cell: its type,
# execution count and outputs' types (the model), and whether it is laid out in the page
# (attached, of some height, not skipped by content-visibility), how many outputs are
# rendered, and how many of its pictures have not loaded. JupyterLab's windowing detaches
# off-screen cells ("full"), leaves them unrendered ("defer") or skips their layout
# ("contentVisibility", 4.6's default); any of those shows here.
NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const model = panel.content.model;
  return [...Array(model.cells.length).keys()].map(i => {
    const cell = model.cells.get(i);
    const node = panel.content.widgets[i].node;
    const area = panel.content.widgets[i].outputArea?.node;
    const outputs = [];
    for (let j = 0; j < (cell.outputs?.length ?? 0); j++) outputs.push(cell.outputs.get(j).type);
    const rendered = area ? [...area.querySelectorAll(':scope > .jp-OutputArea-child')]
      .filter(child => child.querySelector('.jp-OutputArea-output')?.hasChildNodes()).length : 0;
    return {type: cell.type, count: cell.executionCount ?? null, outputs: outputs,
            rendered: rendered,
            laid_out: node.isConnected && node.getBoundingClientRect().height > 0
              && getComputedStyle(node).contentVisibility === 'visible',
            unloaded: [...node.querySelectorAll('img')].filter(img => !img.complete).length};
  });
}"""

# Done: the kernel is idle and every code cell ran, or one failed (which stops Run All).
FINISHED = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (panel.sessionContext.session?.kernel?.status !== 'idle') return false;
  const model = panel.content.model;
  let all = true;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++)
      if (cell.outputs.get(j).type === 'error') return true;
    if (cell.executionCount == null) all = false;
  }
  return all;
}"""

# Outputs (and rendered markdown's code blocks and tables) wider than their column:
# which cell, which output, how wide it is, how wide its column, and what it is.
OVERFLOWS = """() => {
  const found = [];
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const widest = (box) => {
    const column = box.getBoundingClientRect();
    let right = column.left + box.scrollWidth;
    box.querySelectorAll('svg, img, canvas, table, pre').forEach(el => {
      if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') return;
      right = Math.max(right, el.getBoundingClientRect().right);
    });
    return Math.round(right - column.left);
  };
  cells.forEach((cell, i) => {
    cell.querySelectorAll('.jp-OutputArea-output').forEach((out, j) => {
      if (out.offsetParent === null) return;  // hidden (the player beside a live widget)
      const width = widest(out);
      if (width > out.clientWidth + 2) found.push({cell: i, output: j, width: width,
        column: out.clientWidth, what: out.dataset.mimeType || out.className});
    });
    cell.querySelectorAll('.jp-RenderedMarkdown pre, .jp-RenderedMarkdown table')
      .forEach((el, j) => {
        const column = el.closest('.jp-RenderedMarkdown');
        const width = Math.round(Math.max(el.scrollWidth, el.getBoundingClientRect().width));
        if (width > column.clientWidth + 2 || el.scrollWidth > el.clientWidth + 2)
          found.push({cell: i, output: j, width: width, column: column.clientWidth,
                      what: 'markdown ' + el.tagName.toLowerCase()});
      });
  });
  return found;
}"""

# Which output (its index among the notebook's outputs) is widest against its column.
WIDEST = """() => {
  const outputs = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')];
  let best = 0, ratio = 0;
  outputs.forEach((out, k) => {
    if (out.offsetParent === null || !out.clientWidth) return;
    let right = 0;
    out.querySelectorAll('svg, img').forEach(el => {
      if (el.parentElement.closest('svg')) return;  // a picture inside a picture
      right = Math.max(right, el.getBoundingClientRect().width);
    });
    if (right / out.clientWidth > ratio) { ratio = right / out.clientWidth; best = k; }
  });
  return best;
}"""

# Each rendered output that reads as an error: stderr (pink) and tracebacks.
ERRORS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].flatMap((cell, i) =>
  [...cell.querySelectorAll(
     '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(out => ({cell: i, text: out.innerText.slice(0, 600)})))"""


def open_notebook(page, lab, name: str) -> None:
    """Open a notebook in a workspace of its own (no tabs left from another), its kernel
    started and the file panel open, as a learner has it."""
    workspace = re.sub(r"\W", "-", name)
    page.goto(f"{lab['url']}/lab/workspaces/{workspace}/tree/{name}?reset&token={lab['token']}")
    page.wait_for_function(
        "name => window.jupyterapp?.shell.currentWidget?.context?.path === name",
        arg=name,
        timeout=90_000,
    )
    # The notebook names its kernel; where Lab cannot tell which it is, it asks: take its
    # proposal. Then wait for the kernel itself (the status bar says "Idle" before it has one).
    ready = """() => document.querySelector('.jp-Dialog') ? 'asks' :
      window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'"""
    if page.wait_for_function(ready, timeout=90_000).json_value() == "asks":
        page.click(".jp-Dialog button:has-text('Select')")
        page.wait_for_function(ready, timeout=90_000)
    if not page.is_visible("#filebrowser"):
        page.click("li[data-id='filebrowser']")
    page.wait_for_selector("#filebrowser", state="visible")


def run_all(page) -> None:
    """Clear every output and execution count, run all cells, and wait for the kernel to be
    done with them (the counts cleared first, so the wait is for this run's)."""
    page.evaluate(
        """async () => {
      const commands = window.jupyterapp.commands;
      await commands.execute('notebook:clear-all-cell-outputs');
      commands.execute('notebook:run-all-cells');  // settles when the run ends: not awaited
    }"""
    )
    page.wait_for_function(FINISHED, timeout=RUN_TIMEOUT, polling=500)


def settled(page, timeout: int = 20_000) -> list[dict]:
    """The notebook's cells (NOTEBOOK_STATE) once every output has rendered and every
    picture loaded (widgets render after the kernel is done); after a while, as they are."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    done = "c => c.laid_out && c.rendered === c.outputs.length && !c.unloaded"
    try:
        page.wait_for_function(f"() => ({NOTEBOOK_STATE})().every({done})", timeout=timeout)
    except PlaywrightTimeout:
        pass  # findings() says what is missing
    return page.evaluate(NOTEBOOK_STATE)


MISSING = "missing from the page (JupyterLab's windowing left it unmeasured)"
STDERR = "output on stderr, painted as an error"
WIDE = "wider than its column at 1280×800"


def findings(page, cells: list[dict]) -> dict[str, list[str]]:
    """What a learner would see go wrong in the open notebook, by kind; all empty when clean."""
    page_cells = page.locator(".jp-Notebook .jp-Cell").count()
    missing = [] if page_cells == len(cells) else [f"{page_cells} of {len(cells)} cells in it"]
    for i, cell in enumerate(cells):
        wrong = []
        if not cell["laid_out"]:
            wrong.append("not laid out")
        if cell["rendered"] != len(cell["outputs"]):
            wrong.append(f"{cell['rendered']} of {len(cell['outputs'])} outputs rendered")
        if cell["unloaded"]:
            wrong.append(f"{cell['unloaded']} pictures not loaded")
        if wrong:
            missing.append(f"cell {i}: " + ", ".join(wrong))
    return {
        "cells that raised (Run All stops there)": [
            f"cell {i}" for i, cell in enumerate(cells) if "error" in cell["outputs"]
        ],
        "cells that did not run": [
            f"cell {i}"
            for i, cell in enumerate(cells)
            if cell["type"] == "code" and cell["count"] is None
        ],
        MISSING: missing,
        STDERR: [f"cell {e['cell']}: {e['text']!r}" for e in page.evaluate(ERRORS)],
        WIDE: [
            f"cell {o['cell']} output {o['output']} ({o['what']}) is {o['width']} px in a "
            f"{o['column']} px column, {o['width'] - o['column']} px over"
            for o in page.evaluate(OVERFLOWS)
        ],
    }


def report(name: str, found: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{name}: {kind}: " + "; ".join(items) for kind, items in found.items() if items
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lesson)
def test_notebook_runs_clean_in_jupyterlab(browser, lab, notebook, tmp_path):
    name = lesson(notebook)
    shot = shot_name(notebook)
    with lab_page(browser, lab, tmp_path, f"{shot}-failed") as page:
        open_notebook(page, lab, name)
        run_all(page)
        cells = settled(page)
        assert any(cell["outputs"] for cell in cells), f"{name}: no outputs at all"
        found = findings(page, cells)
        # Run, the outputs are trusted: each drawing's script has put its SVG inline, where
        # its tooltips work (draw_network keeps a wide layer's weights there).
        found["a drawing left as an image (no tooltips)"] = [
            f"cell {o['cell']} output {o['output']}"
            for o in page.evaluate(PICTURE_OUTPUTS)
            if "image/svg+xml" in o["types"] and not o["inline"]
        ]
        assert not any(found.values()), report(name, found)
        # The picture a learner would check first for fit: the widest output, in view.
        page.locator(".jp-Notebook .jp-OutputArea-output").nth(
            page.evaluate(WIDEST)
        ).scroll_into_view_if_needed()
        screenshot(page, f"{shot}-widest-output", tmp_path)
        if name.startswith(FIRST):
            steps_the_widget(page, tmp_path)
            page.keyboard.press("Control+s")
            page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    if name.startswith(FIRST):
        exported_steps_offline(browser, lab, name, tmp_path)


# Two Hangul letters and a code point with no glyph anywhere, drawn in the font the lesson's
# prose is set in: where no font has Hangul, all three are the same empty box.
HANGUL_DRAWN = """() => {
  const prose = document.querySelector('.jp-RenderedMarkdown');
  const font = getComputedStyle(prose).fontFamily;
  const pixels = text => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const pen = canvas.getContext('2d');
    pen.font = `40px ${font}`;
    pen.fillText(text, 4, 48);
    return Array.from(pen.getImageData(0, 0, 64, 64).data).join(',');
  };
  const box = pixels('\\u0378');
  return {font: font, han: pixels('한') !== box, geul: pixels('글') !== box,
          differ: pixels('한') !== pixels('글'), text: prose.textContent.slice(0, 40)};
}"""


def test_korean_lessons_draw_hangul_not_boxes(browser, lab, tmp_path):
    # Debian's chromium brings no font with Hangul: without one (scripts/setup.sh installs
    # fonts-nanum) every Korean letter is an empty box, and no other check would notice.
    (korean,) = [n for n in NOTEBOOKS if lesson(n).startswith("ko/01_")]
    with lab_page(browser, lab, tmp_path, "ko-hangul-failed") as page:
        open_notebook(page, lab, lesson(korean))
        page.wait_for_selector(".jp-RenderedMarkdown")
        drawn = page.evaluate(HANGUL_DRAWN)
        screenshot(page, "ko01-hangul", tmp_path)
    assert drawn["han"] and drawn["geul"] and drawn["differ"], (
        f"Korean letters are drawn as boxes in {drawn['font']!r} (is a Hangul font "
        f"installed? Debian: apt-get install fonts-nanum): {drawn}"
    )


def a_notebook_with_faults(path: Path) -> None:
    """A notebook with what the checks must catch once it runs: a line on stderr, a picture
    wider than the column, and enough cells before them that windowing would hide some."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    wide = '<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="40"></svg>'
    nb.cells = [
        nbformat.v4.new_code_cell("import sys\nfrom IPython.display import SVG"),
        *(nbformat.v4.new_code_cell(f"print('{i}\\n' * 8)") for i in range(30)),
        nbformat.v4.new_code_cell("print('a warning', file=sys.stderr)"),  # cell 31
        nbformat.v4.new_code_cell(f"SVG('{wide}')"),  # cell 32
    ]
    nbformat.write(nb, path)


def set_windowing(lab, mode: str) -> None:
    body = json.dumps({"raw": json.dumps({"windowingMode": mode})}).encode()
    request = urllib.request.Request(
        f"{lab['url']}/lab/api/settings/@jupyterlab/notebook-extension:tracker",
        data=body,
        method="PUT",
        headers={"Authorization": f"token {lab['token']}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()


def test_the_checks_catch_what_a_learner_would_see(browser, lab, tmp_path):
    # The checks pass on every lesson; on this notebook each must fail, for its reason.
    name = "faults.ipynb"
    a_notebook_with_faults(lab["home"] / name)
    with lab_page(browser, lab, tmp_path, "faults-failed") as page:
        try:
            open_notebook(page, lab, name)
            run_all(page)
            found = findings(page, settled(page))
            assert not found[MISSING], found[MISSING]
            assert found[STDERR] == ["cell 31: 'a warning\\n'"], found[STDERR]
            (wide,) = found[WIDE]
            column = int(re.search(r"in a (\d+) px column", wide).group(1))
            over = f"is 2000 px in a {column} px column, {2000 - column} px over"
            assert wide == f"cell 32 output 0 (image/svg+xml) {over}", wide
            # With JupyterLab's own default windowing (4.6: "contentVisibility", the layout of
            # cells out of view skipped), the same notebook cannot be measured: the check says so.
            set_windowing(lab, "contentVisibility")
            open_notebook(page, lab, name)
            run_all(page)
            missing = findings(page, settled(page, timeout=3_000))[MISSING]
            assert missing and all(m.endswith("not laid out") for m in missing), missing
        finally:
            set_windowing(lab, "none")


def widget_state(page) -> dict:
    """The step-through widget's text, its count of unknown gradients and highlighted marks."""
    return page.evaluate(
        """() => {
      const box = document.querySelector('.jp-OutputArea-output .widget-vbox');
      const svg = box.querySelector('svg');
      const marks = [...svg.querySelectorAll('g.edge, g.node')]
        .filter(g => g.innerHTML.toLowerCase().includes('#e66100'))
        .map(g => g.querySelector('title').textContent);
      return {text: box.querySelector('pre').textContent,
              unknown: (svg.textContent.match(/grad \\?/g) || []).length,
              marks: marks, width: svg.getBoundingClientRect().width,
              column: box.getBoundingClientRect().width};
    }"""
    )


def steps_the_widget(page, tmp_path):
    page.wait_for_selector(".jp-OutputArea-output .widget-vbox svg")
    box = page.locator(".jp-OutputArea-output .widget-vbox").first
    box.scroll_into_view_if_needed()
    before = widget_state(page)
    screenshot(page, "01-widget-step-0", tmp_path)
    assert before["text"].startswith("start:") and before["unknown"] > 0
    assert before["width"] <= before["column"] + 1
    next_button = box.locator("button:has-text('next')")

    def after_step(k: int, unknown_before: int) -> dict:
        # The text and the picture are two outputs the kernel sends one after the other:
        # wait for both, or a loaded machine reads the new text above the old picture.
        next_button.click()
        page.wait_for_function(
            """([k, before]) => {
              const box = document.querySelector('.widget-vbox');
              const svg = box && box.querySelector('svg');
              return box.querySelector('pre').textContent.startsWith(`step ${k}/`)
                && svg && (svg.textContent.match(/grad \\?/g) || []).length < before;
            }""",
            arg=[k, unknown_before],
        )
        return widget_state(page)

    one = after_step(1, before["unknown"])
    two = after_step(2, one["unknown"])
    screenshot(page, "01-widget-step-2", tmp_path)
    # ▶ moves the highlight along the graph and fills gradients in; the picture keeps its size.
    assert one["marks"] and two["marks"] and one["marks"] != two["marks"]
    assert before["unknown"] > one["unknown"] > two["unknown"]
    assert before["width"] == one["width"] == two["width"]
    assert page.evaluate(OVERFLOWS) == []
    # The kernel-free player beside the live widget stays out of the way.
    assert page.locator(".sf-player:visible").count() == 0


def exported_steps_offline(browser, lab, name, tmp_path):
    exported = tmp_path / "exported"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "html",
            "--output-dir",
            str(exported),
            str(lab["home"] / name),
        ],
        check=True,
        capture_output=True,
    )
    html_file = exported / (Path(name).stem + ".html")
    offline = browser.new_context(viewport=VIEWPORT, offline=True)
    page = offline.new_page()
    # Offline: nothing but the file itself may load (CDN scripts fail, as on a plane).
    page.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
    page.goto(html_file.as_uri())
    player = page.locator(".sf-player").first
    player.scroll_into_view_if_needed()
    assert player.locator(".sf-text").inner_text().startswith("start:")
    first = player.locator(".sf-frame").inner_html()
    screenshot(page, "01-exported-step-0", tmp_path)
    player.locator(".sf-next").click()
    player.locator(".sf-next").click()
    assert player.locator(".sf-text").inner_text().startswith("step 2/")
    assert player.locator(".sf-frame").inner_html() != first
    assert "grad ?" in first
    screenshot(page, "01-exported-step-2", tmp_path)
    offline.close()


# Each output of the open notebook that holds a picture (an image, an SVG, or HTML with an
# <svg> or <img> in it), as the page shows it: whether its cell is trusted, its mimetypes,
# whether a picture rendered (an <img> loaded with a natural width, or an <svg> of some
# size, outside any other picture) and the start of its text, which is where markup shows
# that the page printed instead of drawing.
PICTURE_OUTPUTS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const model = panel.content.model;
  const found = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    const area = panel.content.widgets[i].outputArea.node;
    const nodes = [...area.querySelectorAll(':scope > .jp-OutputArea-child')]
      .map(child => child.querySelector('.jp-OutputArea-output'));
    for (let j = 0; j < cell.outputs.length; j++) {
      const data = cell.outputs.get(j).data;
      const types = Object.keys(data);
      const html = String(data['text/html'] ?? '');
      if (!types.some(t => t.startsWith('image/')) && !/<(svg|img)\\b/i.test(html)) continue;
      const node = nodes[j];
      const images = node ? [...node.querySelectorAll('img')] : [];
      const svgs = node ? [...node.querySelectorAll('svg')]
        .filter(svg => !svg.parentElement.closest('svg')) : [];
      found.push({cell: i, output: j, trusted: cell.trusted, types: types,
        picture: images.some(img => img.complete && img.naturalWidth > 0)
          || svgs.some(svg => svg.getBoundingClientRect().width > 0),
        inline: svgs.some(svg => svg.getBoundingClientRect().width > 0),
        text: node ? node.innerText.slice(0, 160) : null});
    }
  }
  return found;
}"""

# What shows in place of a picture when the page prints it: Graphviz's SVG as markup, or the
# text of its boxes left behind once the <svg> around it was sanitized away, or JupyterLab's
# note on an untrusted SVG.
MARKUP = re.compile(r"<\?xml|<svg|<img|&lt;|Cannot display an untrusted|%3|\bgrad -?\d")
UNRUN = ("01_", "05_")  # the lessons with graphs, the step-through player and draw_network


@pytest.mark.parametrize(
    "notebook",
    [n for n in NOTEBOOKS if n.name.startswith(UNRUN) or lesson(n).startswith("ko/")],
    ids=lesson,
)
def test_a_committed_notebook_shows_its_pictures_unrun(browser, lab, notebook, tmp_path):
    # A learner's fresh clone, opened without running it: JupyterLab does not trust it, so
    # it sanitizes HTML (no <svg>, no scripts) and will not draw an SVG output. Every
    # picture must show all the same, as a picture, within its column.
    # A copy this server never ran, saved or signed, beside the lesson.
    name = str(Path(lesson(notebook)).with_name("unrun-" + notebook.name))
    shutil.copy(notebook, lab["home"] / name)
    shot = shot_name(notebook)
    with lab_page(browser, lab, tmp_path, f"{shot}-unrun-failed") as page:
        open_notebook(page, lab, name)
        cells = settled(page)
        outputs = page.evaluate(PICTURE_OUTPUTS)
        assert outputs, f"{name}: no pictures to check"
        assert not any(o["trusted"] for o in outputs), f"{name} is trusted: nothing tested"
        blank = [o for o in outputs if not o["picture"] or MARKUP.search(o["text"] or "")]
        # In view: the first picture that did not show, else the first drawing; the player.
        drawings = [o for o in outputs if "image/svg+xml" in o["types"]]
        show_output(page, (blank or drawings or outputs)[0])
        screenshot(page, f"{shot}-unrun-first-drawing", tmp_path)
        if page.locator(".sf-player").count():
            page.locator(".sf-player").first.scroll_into_view_if_needed()
            screenshot(page, f"{shot}-unrun-player", tmp_path)
            assert page.locator(".sf-player .sf-static").first.is_visible()
        found = findings(page, cells)
        found["a picture shown as text, or not at all"] = [
            f"cell {o['cell']} output {o['output']} ({', '.join(o['types'])}) shows "
            + (repr(o["text"][:100]) if o["text"] is not None else "nothing")
            for o in blank
        ]
        assert not any(found.values()), report(name, found)


def show_output(page, output: dict) -> None:
    """Scroll output ``output["output"]`` of cell ``output["cell"]`` into view."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(output["cell"])
    cell.locator(".jp-OutputArea-output").nth(output["output"]).scroll_into_view_if_needed()


SCRIPT_LABELS = [
    "<!--<script",
    "</script><script>document.title = 'ran'</script>",
    "<!--<script>document.title = 'ran'</script>-->",
    "<img src=x onerror=\"document.title = 'ran'\">",
]


@pytest.mark.parametrize("label", SCRIPT_LABELS)
def test_a_saved_player_steps_whatever_its_labels_hold(browser, tmp_path, label):
    # A label that opens or closes a <script> in the player's embedded JSON would leave the
    # page without its data: no controls, no stepping. The label is text, and runs nothing.
    from engine import Value, save_steps
    from engine.naming import printable

    x = Value(0.5, label=label)
    y = (x * 2.0).tanh()
    y.label = "y"
    (path,) = save_steps(y, tmp_path / "steps.html")
    page = browser.new_page(viewport=VIEWPORT)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(Path(path).as_uri())
        player = page.locator(".sf-player")
        assert player.locator(".sf-controls").is_visible()
        assert not player.locator(".sf-static").is_visible()
        for _ in range(2):
            player.locator(".sf-next").click()
        text = player.locator(".sf-text").inner_text()
        assert text.startswith("step 2/3:") and f"∂mul1/∂{printable(label)} ·" in text
        assert player.locator(".sf-frame svg").count() == 1
        assert page.title() == "backward, step by step: y" and not errors, errors
    finally:
        page.close()
