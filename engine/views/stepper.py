"""Step through the backward pass: in Jupyter, as a kernel-free HTML player, a GIF or frames.

Both are built on ``trace_backward``, a pure function: it records every step
of ``backward_steps()`` and gives back the gradients as they stood after any
number of steps, then restores every ``.grad`` it touched, so the user's
graph is left exactly as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..autograd import BackwardStep, topological_order
from ..naming import display_names, format_number, printable
from ..utils import arguments
from ..utils.files import atomic_write, write_together
from ..value import Number, Value
from .graph import draw_graph
from .render import MAX_DPI, as_image, fit_column, render

__all__ = ["BackwardTrace", "trace_backward", "step_through", "save_steps"]


@dataclass(frozen=True)
class BackwardTrace:
    """Every step of one backward pass, and the gradients before the first.

    ``trace[k]`` is step k+1; ``grads_after(k)`` the gradients once k steps
    have been applied (``grads_after(len(trace))`` equals ``backward()``).
    """

    root: Value
    steps: tuple[BackwardStep, ...]
    start: Mapping[Value, float]  # the gradients once backward has seeded the root
    names: dict = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k: int) -> BackwardStep:
        return self.steps[k]

    def grads_after(self, k: int) -> dict[Value, float]:
        """The gradient of every node reached so far, after the first ``k`` steps.

        Nodes backward has not reached yet are absent (the root is there from
        the start): drawn with this mapping, they show "grad ?". A leaf's value
        includes what it held before, since leaves accumulate.
        """
        if not 0 <= k <= len(self.steps):
            raise IndexError(f"step {k} is out of range: the pass has {len(self.steps)} steps")
        grads = dict(self.start)
        for step in self.steps[:k]:
            grads[step.parent] = step.parent_grad
        return grads

    def text(self, k: int, names: Mapping[Value, str] | None = None) -> str:
        """What happens at step ``k`` (1-based), in words and numbers; step 0 is the seed.

        ``names`` calls the nodes otherwise than ``display_names`` does (the
        pictures and the player use ``printable`` names: printable and short).
        """
        names = self.names if names is None else names
        if k == 0:
            name = names[self.root]
            return (
                f"start: d{name}/d{name} = {format_number(self.start[self.root])}; "
                f"{len(self.steps)} edges to walk back"
            )
        step = self.steps[k - 1]
        if names is not self.names:
            step = dataclasses.replace(step, names=names)
        return f"step {k}/{len(self.steps)}:  {step}"

    # What every frame of the pictures shares, worked out once a trace, not once a frame.
    @cached_property
    def _shown_names(self) -> dict[Value, str]:
        """The names as the pictures show them (``printable``: printable, short)."""
        return {node: printable(name) for node, name in self.names.items()}

    @cached_property
    def _widest_grad(self) -> int:
        """Characters in the widest "grad …" text any frame shows."""
        texts = [
            "grad ?",
            *(f"grad {format_number(g)}" for g in self.grads_after(len(self)).values()),
        ]
        texts += [f"grad {format_number(step.parent_grad)}" for step in self.steps]
        return max(map(len, texts))


def trace_backward(root: Value, grad: Number = 1.0) -> BackwardTrace:
    """Record ``root.backward_steps(grad)`` without changing any ``.grad`` in the graph.

    >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
    >>> trace = trace_backward(y)
    >>> len(trace), trace.grads_after(1)[x], trace.grads_after(2)[x], x.grad
    (2, 3.0, 6.0, 0.0)
    >>> print(trace.text(2))
    step 2/2:  dy/dx += ∂y/∂x · dy/dy = 3.0000 · 1.0000 = 3.0000 (dy/dx now 6.0000)
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward needs a Value, got {type(root).__name__}")
    order = topological_order(root)
    saved = [node.grad for node in order]
    try:
        steps = tuple(root.backward_steps(grad))
        start = {root: root.grad}  # seeded; no step ever adds to the output itself
    finally:
        for node, g in zip(order, saved, strict=True):
            node.grad = g
    return BackwardTrace(root, steps, start, display_names(order))


MAX_FRAMES = 60  # a saved player, GIF or folder of frames holds at most this many frames ...
MAX_PLAYER_BYTES = 3_000_000  # ... and a player at most about this many bytes of pictures
SLIDE = (1600, 900)  # pixels a GIF's frames fit in, as a slide shows them
SECONDS = (0.02, 60.0)  # how long a GIF may show each frame: GIF counts in 1/100 s
GIF_NOTE = 'save_steps(root, "steps.gif") writes every step as an animation'


def _shown_text(trace: BackwardTrace, k: int) -> str:
    """``trace.text(k)`` with every name as the pictures show it (``printable``: printable,
    short), for the pictures' titles and the player's and widget's text."""
    return trace.text(k, trace._shown_names)


def _frame(trace: BackwardTrace, k: int, note: str = "", /, **draw_options: Any):
    """The graph after ``k`` steps, with step k's edge highlighted and its text as title.

    Every frame of a trace has the same layout and size: the grad cells are
    as wide as the widest gradient any frame shows. ``title=None`` leaves the
    text out (the widget and the player show it above the picture); ``note``
    follows the text (the last frame of a capped GIF says so).
    """

    options = {
        "highlight": trace.steps[k - 1] if k else trace.root,
        "title": _shown_text(trace, k) + note,
        "cell_width": _cell_width(trace),
        **draw_options,  # the caller may restyle anything but the gradients shown
    }
    return draw_graph(trace.root, grads=trace.grads_after(k), **options)


def _cell_width(trace: BackwardTrace) -> float:
    """Points enough for the widest "grad …" text in any frame (Helvetica 12: ≤ 7.2 pt a glyph)."""
    return 7.2 * trace._widest_grad + 8  # + the cell's padding


def _frame_count(trace: BackwardTrace, limit: int | None) -> int:
    """How many frames a trace has (its steps and the seed), ``limit`` at the most."""
    return len(trace) + 1 if limit is None else min(limit, len(trace) + 1)


def _png_frames(
    trace: BackwardTrace, count: int, draw_options: dict[str, Any], **render_options: Any
) -> Iterator[bytes]:
    """The first ``count`` frames as PNGs, drawn one at a time as they are asked for."""
    for k in range(count):
        drawing = _frame(trace, k, _stop_note(trace, k, count), **draw_options)
        yield render(drawing, "png", **render_options)


def _svg_frames(trace: BackwardTrace, limit: int | None, **draw_options: Any) -> list[str]:
    """Frames 0, 1, … as Graphviz's SVG (no title), up to ``limit`` frames and
    ``MAX_PLAYER_BYTES``."""

    frames: list[str] = []
    size = 0
    for k in range(_frame_count(trace, limit)):
        svg = render(_frame(trace, k, title=None, **draw_options), "svg").decode()
        frames.append(svg)
        size += len(svg)
        if limit is not None and size > MAX_PLAYER_BYTES:
            break
    return frames


def player_html(trace: BackwardTrace, frames: list[str], *, page: bool = False) -> str:
    """A self-contained step-through: the frames, a slider and ◀ ▶, in plain HTML and JS.

    No kernel and no server: every frame (Graphviz's SVG, from ``_svg_frames``)
    is pre-rendered in the page, so an exported notebook or a web page steps
    through offline. Where scripts do not run (an untrusted notebook, whose
    HTML is sanitized too), the first frame shows as an image (``as_image``)
    with a note pointing to the GIF; the script swaps in the inline SVG. Given
    fewer frames than the trace has steps, the player says how many it holds.
    ``page=True`` gives a whole HTML document (what ``save_steps`` writes).
    """
    count = len(trace) + 1
    texts = [_shown_text(trace, k) for k in range(len(frames))]
    note = ""
    if len(frames) < count:
        note = (
            f"This saved player holds steps 0–{len(frames) - 1} of {len(trace)} (frames are "
            f"capped to keep the file small); the live widget shows them all, and {GIF_NOTE}."
        )
    inline = [fit_column(frame) for frame in frames]
    data = json_in_html({"frames": inline, "texts": texts})
    uid = "sf-player-" + hashlib.sha1(data.encode()).hexdigest()[:12]  # the same each run
    body = f"""<div class="sf-player" id="{uid}" style="max-width:100%">
<div class="sf-controls" style="display:none;align-items:center;gap:.5em;margin:.25em 0">
<button type="button" class="sf-prev">◀ prev</button>
<input type="range" class="sf-slider" min="0" max="{len(frames) - 1}" value="0" step="1"
 aria-label="step" style="flex:1;max-width:24em">
<button type="button" class="sf-next">next ▶</button>
<span class="sf-count" style="font:12px monospace"></span>
</div>
<pre class="sf-text" style="margin:0;white-space:pre-wrap">{html.escape(texts[0])}</pre>
<div class="sf-frame">{as_image(frames[0], "step 0 of the backward pass")}</div>
<p class="sf-static" style="font-size:90%;color:#555">The backward pass has {len(trace)} steps;
 stepping through them needs JavaScript, which this page does not run. {GIF_NOTE}.</p>
<p class="sf-note" style="font-size:90%;color:#555">{html.escape(note)}</p>
<script type="application/json" class="sf-data">{data}</script>
<script>{_PLAYER_JS.replace("UID", uid)}</script>
</div>"""
    if not page:
        return body
    title = html.escape(f"backward, step by step: {printable(trace.names[trace.root])}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
        '<body style="font-family:Helvetica,Arial,sans-serif;margin:1em">\n'
        f"{body}\n</body></html>\n"
    )


def json_in_html(value: Any) -> str:
    r"""``value`` as JSON to put in an HTML page's ``<script>``: no ``<``, ``>`` or ``&`` in it.

    Inside a script element the HTML parser looks for ``</script>`` and, after
    ``<!--``, for ``<script``, which can swallow the rest of the page: a label
    holding them would leave the player without its data and its controls.
    As ``\u003c`` and the like they are the same JSON to ``JSON.parse``, and
    nothing to the parser.

    >>> print(json_in_html({"label": "</script><!--<script>&"}))
    {"label": "\u003c/script\u003e\u003c!--\u003cscript\u003e\u0026"}
    """
    return json.dumps(value).translate(_HTML_SAFE)


_HTML_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


# The player's script: plain DOM, no library. It hides itself in a live notebook when the
# ipywidgets step-through beside it has rendered (the kernel's widget is the live view).
_PLAYER_JS = r"""
(function () {
  var here = document.currentScript;
  var root = (here && here.parentNode) || document.getElementById("UID");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var data = JSON.parse(root.querySelector(".sf-data").textContent);
  var slider = root.querySelector(".sf-slider");
  var prev = root.querySelector(".sf-prev"), next = root.querySelector(".sf-next");
  var text = root.querySelector(".sf-text"), frame = root.querySelector(".sf-frame");
  var count = root.querySelector(".sf-count");
  var last = data.frames.length - 1;
  function show(k) {
    k = Math.max(0, Math.min(last, k));
    slider.value = k;
    frame.innerHTML = data.frames[k];
    text.textContent = data.texts[k];
    count.textContent = k + " / " + last;
    prev.disabled = k === 0;
    next.disabled = k === last;
  }
  prev.addEventListener("click", function () { show(+slider.value - 1); });
  next.addEventListener("click", function () { show(+slider.value + 1); });
  slider.addEventListener("input", function () { show(+slider.value); });
  root.querySelector(".sf-controls").style.display = "flex";
  root.querySelector(".sf-static").style.display = "none";
  show(0);
  var output = root.closest(".jp-OutputArea-child");
  if (!output || !document.querySelector(".jp-LabShell, .jp-NotebookShell")) return;
  var tries = 0, timer = setInterval(function () {
    var widget = output.nextElementSibling;
    if (widget && widget.querySelector(".widget-vbox")) {
      output.style.display = "none";
      clearInterval(timer);
    } else if (++tries > 100) {
      clearInterval(timer);
    }
  }, 100);
})();
"""


def _step_through_class():
    """``ipywidgets.VBox`` whose display also carries the kernel-free player (see below)."""
    import ipywidgets as widgets

    class StepThrough(widgets.VBox):
        """The live step-through; shown, it also leaves the HTML player in the notebook.

        In a running notebook the widget is the view (the player hides itself
        beside it); saved and exported, where no kernel drives the widget, the
        player steps through on its own.
        """

        player: str = ""

        def _ipython_display_(self) -> None:
            from IPython.display import display

            display({"text/html": self.player}, raw=True)
            bundle = self._repr_mimebundle_()
            # What a page without the widget manager shows instead of the repr of a VBox.
            bundle["text/plain"] = "(the live step-through widget: it needs a running kernel)"
            display(bundle, raw=True)

    return StepThrough


def step_through(root: Value, grad: Number = 1.0, **draw_options: Any):
    """An ipywidgets step-through of ``backward``: a slider and ◀ ▶ buttons over the steps.

    Each step shows the graph with the current edge highlighted, the
    gradients filled in so far, and the step's chain-rule term (once, above
    the picture). Every frame has one size, scaled to the notebook's column.
    The user's ``.grad`` values are not changed. ``draw_options`` go to
    ``draw_graph``. Shown in a notebook it also saves a kernel-free player
    (every frame pre-rendered, up to ``MAX_FRAMES``), so the saved or
    exported notebook still steps through. Needs ipywidgets
    (``pip install ipywidgets``) and the Graphviz ``dot`` program.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError(
            "step_through needs ipywidgets: pip install ipywidgets "
            "(or pip install 'scalarflow[jupyter]')"
        ) from None

    trace = trace_backward(root, grad)
    frames = _svg_frames(trace, MAX_FRAMES, **draw_options)
    cache: dict[int, str] = {k: fit_column(frame) for k, frame in enumerate(frames)}

    def svg(k: int) -> str:
        if k not in cache:
            cache[k] = fit_column(
                render(_frame(trace, k, title=None, **draw_options), "svg").decode()
            )
        return cache[k]

    slider = widgets.IntSlider(
        value=0, min=0, max=len(trace), description="step", continuous_update=True
    )
    previous = widgets.Button(description="◀ prev", layout=widgets.Layout(width="7em"))
    following = widgets.Button(description="next ▶", layout=widgets.Layout(width="7em"))
    text = widgets.HTML()
    picture = widgets.HTML(layout=widgets.Layout(width="100%"))

    def show(change: Any = None) -> None:
        k = slider.value
        text.value = (
            f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(_shown_text(trace, k))}</pre>"
        )
        picture.value = svg(k)
        previous.disabled = k == 0
        following.disabled = k == len(trace)

    def move(delta: int) -> None:
        slider.value = min(max(slider.value + delta, 0), len(trace))

    previous.on_click(lambda _: move(-1))
    following.on_click(lambda _: move(1))
    slider.observe(show, names="value")
    show()
    box = _step_through_class()(
        [widgets.HBox([previous, slider, following]), text, picture],
        layout=widgets.Layout(width="100%", max_width="100%"),
    )
    box.player = player_html(trace, frames)
    return box


def save_steps(
    root: Value,
    path: str | os.PathLike,
    *,
    grad: Number = 1.0,
    seconds: float = 1.2,
    dpi: float = 96,
    max_frames: int | None = MAX_FRAMES,
    **draw_options: Any,
) -> list[str]:
    """Write the step-through as an HTML player, an animated GIF, or numbered PNGs.

    Frame k shows the graph after k steps of backward (frame 0: before the
    first); at most ``max_frames`` frames (None: all), the first ones.

    - ``path`` ending in .html: one self-contained page (every frame as SVG,
      a slider and ◀ ▶ in plain JavaScript; no server, no kernel), saying so
      when it holds fewer frames than the pass has steps.
    - ending in .gif: each frame shows for ``seconds`` (0.02 to 60; the last
      one three times as long), scaled down if need be to fit a slide (``SLIDE``,
      1600 × 900 pixels); needs Pillow (``pip install pillow``; matplotlib
      brings it). A capped GIF says on its last frame where it stops.
    - anything else is a folder (made if missing) that receives
      ``step_000.png``, ``step_001.png``, ... (each at most 4000 pixels a
      side, see ``render``), and then holds exactly these frames: the
      ``step_*.png`` of an earlier, longer pass go, other files stay. (A
      name ending in .png, .svg, .pdf... is refused rather than made a folder.)

    Every option and the path are checked before anything is drawn, and the
    files appear only once every frame has been drawn: on an error or
    Ctrl-C, what was there before is left as it was. Returns the paths
    written; ``.grad`` is untouched.
    """
    kind, path = _destination(path)
    _check_options(root, grad, seconds, dpi, max_frames)
    if kind == "gif":
        _pillow()  # missing, it is said before any drawing
    trace = trace_backward(root, grad)
    _frame(trace, 0, **draw_options)  # a wrong drawing option is said before any drawing
    with _said_plainly(path):
        if kind == "html":
            frames = _svg_frames(trace, max_frames, **draw_options)
            atomic_write(path, player_html(trace, frames, page=True).encode())
            return [path]
        count = _frame_count(trace, max_frames)
        if kind == "gif":
            _write_gif(trace, count, path, seconds, dpi, draw_options)
            return [path]
        return _write_frames(trace, count, path, dpi, draw_options)


def _write_frames(
    trace: BackwardTrace, count: int, path: str, dpi: float, draw_options: dict[str, Any]
) -> list[str]:
    """The first ``count`` frames as PNGs into the folder ``path``, replacing any earlier ones."""
    width = max(3, len(str(count - 1)))
    names = [f"step_{k:0{width}d}.png" for k in range(count)]
    old = [n for n in os.listdir(path) if _FRAME.fullmatch(n)] if os.path.isdir(path) else []

    # Drawn one at a time as they are written. An old frame of a name written again is
    # replaced, not removed: write_together leaves the names it writes out of ``remove``.
    write_together(path, zip(names, _png_frames(trace, count, draw_options, dpi=dpi)), remove=old)
    return [os.path.join(path, name) for name in names]


@contextmanager
def _said_plainly(path: str) -> Iterator[None]:
    """An error of the file system while writing (a full disk, a folder that went away) as a
    sentence naming ``path``, not a temporary file."""
    try:
        yield
    except OSError as error:
        if error.errno is None:  # a sentence already
            raise
        raise type(error)(f"cannot write {path!r}: {error.strerror or error}") from None


_FRAME = re.compile(r"step_\d+\.png")  # a frame save_steps writes into a folder
# What a path ending so is for: save_steps would not make a folder of that name.
_NOT_A_FOLDER = (".png", ".jpg", ".jpeg", ".svg", ".pdf", ".webp", ".apng", ".mp4", ".webm")


def _destination(path: object) -> tuple[str, str]:
    """What ``path`` asks for ("html", "gif" or "folder") and the path as a str, checked
    at once so that a path that cannot be written is said before any drawing."""
    wanted = "a file name ending in .html or .gif, or a folder for PNG frames"
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"save_steps needs a path: {wanted}; got {type(path).__name__}: {path!r}")
    path = os.fsdecode(path)  # a str, whether given as str, bytes or a PathLike of either
    if not path.strip():
        raise ValueError(f"save_steps needs a path: {wanted}; got {path!r}")
    if "\0" in path:
        raise ValueError(f"save_steps cannot write {path!r}: a path cannot hold a NUL character")
    lower = path.lower()
    kind = "html" if lower.endswith((".html", ".htm")) else "gif" if lower.endswith(".gif") else ""
    if not kind and lower.endswith(_NOT_A_FOLDER):
        raise ValueError(
            f"save_steps writes an HTML player (.html), an animated GIF (.gif) or a folder of "
            f"PNG frames; {path!r} is none of these: give a folder name for the frames "
            "(step_000.png, step_001.png, ... go in it), or a name ending in .gif or .html"
        )
    if kind:
        _check_file_path(path)
    else:
        _check_folder_path(path)
    return kind or "folder", path


def _check_file_path(path: str) -> None:
    """A file that can be written: not a folder, in a folder that exists and is writable."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a folder; give a file name")
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            raise NotADirectoryError(f"cannot write {path!r}: {folder!r} is a file, not a folder")
        raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path!r}: the folder {folder!r} is not writable")


def _check_folder_path(path: str) -> None:
    """A folder that is one, or can be made: its nearest existing ancestor is a folder."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(
            f"cannot write frames into {path!r}: it is a file, not a folder; give a folder name "
            "or a name ending in .gif or .html"
        )
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise NotADirectoryError(f"cannot make the folder {path!r}: {existing!r} is a file")
    # The frames are written inside the folder if it exists, else where it is to be made.
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write frames into {path!r}: {existing!r} is not writable")


def _check_options(root: object, grad: object, seconds: object, dpi: object, frames: object):
    """Every option of ``save_steps`` checked before any drawing, each error naming it."""
    if not isinstance(root, Value):
        raise TypeError(f"save_steps needs a Value to step back from, got {type(root).__name__}")
    arguments.number("grad", grad)
    arguments.in_range("seconds", seconds, *SECONDS, high_open=False)
    arguments.in_range("dpi", dpi, 0, MAX_DPI, low_open=True, high_open=False)
    if frames is not None:
        arguments.whole_number("max_frames", frames, 1, or_else="or None (every frame)")


def _stop_note(trace: BackwardTrace, k: int, count: int) -> str:
    """On the last frame of a capped GIF or folder: where it stops, and how to get them all."""
    if k < count - 1 or count == len(trace) + 1:
        return ""
    return f"   (frames stop here, {k} of {len(trace)} steps: max_frames=None draws them all)"


def _pillow():
    """Pillow's ``Image``, or an error saying how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "writing a GIF needs Pillow: pip install pillow (matplotlib installs it too); "
            "or give a directory to get numbered PNG frames"
        ) from None
    return Image


def _write_gif(
    trace: BackwardTrace,
    count: int,
    path: str,
    seconds: float,
    dpi: float,
    draw_options: dict[str, Any],
) -> None:
    """The first ``count`` frames as a GIF, each drawn to fit ``SLIDE``, written at once."""
    import io

    Image = _pillow()

    # Compressed, the frames are small (tens of kB); each is decoded only as it is added.
    pngs = list(_png_frames(trace, count, draw_options, dpi=dpi, fit=SLIDE))
    # Frames differ a little in size (the title's length): each goes on one white canvas.
    sizes = [(int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) for png in pngs]
    canvas_size = (max(w for w, _ in sizes), max(h for _, h in sizes))

    def on_canvas(png: bytes):
        with Image.open(io.BytesIO(png)) as image:
            canvas = Image.new("RGB", canvas_size, "white")
            canvas.paste(image.convert("RGB"), ((canvas_size[0] - image.width) // 2, 0))
        return canvas.quantize(colors=64, dither=Image.Dither.NONE)

    durations = [round(seconds * 1000)] * count
    durations[-1] *= 3
    buffer = io.BytesIO()
    on_canvas(pngs[0]).save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=(on_canvas(png) for png in pngs[1:]),
        duration=durations,
        loop=0,
        optimize=True,
    )
    atomic_write(path, buffer.getvalue())
