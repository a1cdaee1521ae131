"""Step through the backward pass: in Jupyter with a slider, or as a GIF / numbered frames.

Both are built on ``trace_backward``, a pure function: it records every step
of ``backward_steps()`` and gives back the gradients as they stood after any
number of steps, then restores every ``.grad`` it touched, so the user's
graph is left exactly as it was.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .autograd import BackwardStep, topological_order
from .files import atomic_write
from .naming import display_names, format_number
from .value import Number, Value

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

    def text(self, k: int) -> str:
        """What happens at step ``k`` (1-based), in words and numbers; step 0 is the seed."""
        if k == 0:
            name = self.names[self.root]
            return (
                f"start: d{name}/d{name} = {format_number(self.start[self.root])}; "
                f"{len(self.steps)} edges to walk back"
            )
        return f"step {k}/{len(self.steps)}:  {self.steps[k - 1]}"


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


def _frame(trace: BackwardTrace, k: int, **draw_options: Any):
    """The graph after ``k`` steps, with step k's edge highlighted and its text as title."""
    from .graph import draw_graph

    options = {
        "highlight": trace.steps[k - 1] if k else trace.root,
        "title": trace.text(k),
        **draw_options,  # the caller may restyle anything but the gradients shown
    }
    return draw_graph(trace.root, grads=trace.grads_after(k), **options)


def step_through(root: Value, grad: Number = 1.0, **draw_options: Any):
    """An ipywidgets step-through of ``backward``: a slider and ◀ ▶ buttons over the steps.

    Each step shows the graph with the current edge highlighted, the
    gradients filled in so far, and the step's chain-rule term. The user's
    ``.grad`` values are not changed. ``draw_options`` go to ``draw_graph``.
    Needs ipywidgets (``pip install ipywidgets``) and the Graphviz ``dot`` program.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError(
            "step_through needs ipywidgets: pip install ipywidgets "
            "(or pip install 'scalarflow[jupyter]')"
        ) from None
    trace = trace_backward(root, grad)
    cache: dict[int, str] = {}

    def svg(k: int) -> str:
        if k not in cache:
            cache[k] = _frame(trace, k, **draw_options).pipe(format="svg").decode()
        return cache[k]

    slider = widgets.IntSlider(
        value=0, min=0, max=len(trace), description="step", continuous_update=True
    )
    previous = widgets.Button(description="◀ prev", layout=widgets.Layout(width="7em"))
    following = widgets.Button(description="next ▶", layout=widgets.Layout(width="7em"))
    text = widgets.HTML()
    picture = widgets.HTML()

    def show(change: Any = None) -> None:
        k = slider.value
        text.value = f"<pre style='margin:0'>{html.escape(trace.text(k))}</pre>"
        picture.value = svg(k)
        previous.disabled = k == 0
        following.disabled = k == len(trace)

    def move(delta: int) -> None:
        slider.value = min(max(slider.value + delta, 0), len(trace))

    previous.on_click(lambda _: move(-1))
    following.on_click(lambda _: move(1))
    slider.observe(show, names="value")
    show()
    return widgets.VBox([widgets.HBox([previous, slider, following]), text, picture])


def save_steps(
    root: Value,
    path: str | os.PathLike,
    *,
    grad: Number = 1.0,
    seconds: float = 1.2,
    dpi: int = 96,
    **draw_options: Any,
) -> list[str]:
    """Write the step-through as an animated GIF (``path`` ends in .gif) or numbered PNGs.

    For a GIF, each frame shows for ``seconds`` (the last one three times as
    long); it needs Pillow (``pip install pillow``; matplotlib brings it).
    Any other ``path`` is a directory (made if missing) that receives
    ``step_000.png``, ``step_001.png``, ... Returns the paths written. The
    files appear only once every frame has been drawn; ``.grad`` is untouched.
    """
    trace = trace_backward(root, grad)
    path = os.fspath(path)
    frames = []
    for k in range(len(trace) + 1):
        dot = _frame(trace, k, **draw_options)
        dot.attr(dpi=str(dpi))
        frames.append(dot.pipe(format="png"))
    if path.lower().endswith(".gif"):
        _write_gif(frames, path, seconds)
        return [path]
    os.makedirs(path, exist_ok=True)
    width = max(3, len(str(len(frames) - 1)))
    written = []
    for k, png in enumerate(frames):
        name = os.path.join(path, f"step_{k:0{width}d}.png")
        atomic_write(name, png)
        written.append(name)
    return written


def _write_gif(frames: list[bytes], path: str, seconds: float) -> None:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "writing a GIF needs Pillow: pip install pillow (matplotlib installs it too); "
            "or give a directory to get numbered PNG frames"
        ) from None
    import io

    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in frames]
    # Frames differ a little in size (numbers fill in); pad them all onto one white canvas.
    width = max(image.width for image in images)
    height = max(image.height for image in images)
    canvases = []
    for image in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(image, ((width - image.width) // 2, 0))
        canvases.append(canvas.quantize(colors=64, dither=Image.Dither.NONE))
    durations = [round(seconds * 1000)] * len(canvases)
    durations[-1] *= 3
    buffer = io.BytesIO()
    canvases[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=canvases[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    atomic_write(path, buffer.getvalue())
