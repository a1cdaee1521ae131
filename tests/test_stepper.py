"""The step-through: a pure trace of backward, the ipywidgets player, the GIF/frames writer."""

import itertools
import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import given
from random_graphs import graphs

from engine import BackwardTrace, Value, save_steps, step_through, topological_order, trace_backward

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def tanh_neuron():
    w, x, b = Value(-1.0, label="w"), Value(0.5, label="x"), Value(2.0, label="b")
    y = (w * x + b).tanh()
    y.label = "y"
    return w, x, b, y


@given(graphs())
def test_the_trace_matches_backward_steps_and_touches_nothing(graph):
    leaves, out = graph
    order = topological_order(out)
    for i, node in enumerate(order):  # some earlier state, which must survive
        node.grad = float(i)
    before = [node.grad for node in order]
    trace = trace_backward(out)
    assert [node.grad for node in order] == before
    assert isinstance(trace, BackwardTrace)

    # Against the real thing, step by step, on the same starting state.
    for k in range(len(trace) + 1):
        for node, g in zip(order, before, strict=True):
            node.grad = g
        steps = list(itertools.islice(out.backward_steps(), k))
        expected = trace.grads_after(k)
        if k:
            for node, g in expected.items():
                assert node.grad == g
            assert [str(s) for s in steps] == [str(s) for s in trace.steps[:k]]
        # Nodes not yet reached are absent; everything reached is present.
        reached = {out} | {s.parent for s in trace.steps[:k]}
        assert set(expected) == reached


def test_text_of_each_step():
    *_, y = tanh_neuron()
    trace = trace_backward(y)
    assert len(trace) == 5 and trace[0].node is y
    assert trace.text(0) == "start: dy/dy = 1.0000; 5 edges to walk back"
    assert trace.text(4) == "step 4/5:  dy/dw += ∂mul1/∂w · dy/dmul1 = 0.5000 · 0.1807 = 0.0904"
    # A tiny seed reads as the steps' numbers do, not as 0.0000.
    tiny = trace_backward(y, grad=1e-7)
    assert tiny.text(0) == "start: dy/dy = 1.0000e-07; 5 edges to walk back"
    assert tiny.text(1).endswith("0.1807 · 1.0000e-07 = 1.8071e-08")
    with pytest.raises(IndexError, match="step 6 is out of range: the pass has 5 steps"):
        trace.grads_after(6)
    with pytest.raises(IndexError):
        trace.grads_after(-1)
    with pytest.raises(TypeError, match="trace_backward needs a Value"):
        trace_backward(1.0)


def test_a_custom_seed():
    x = Value(3.0, label="x")
    y = x * 2.0
    trace = trace_backward(y, grad=0.5)
    assert trace.grads_after(0) == {y: 0.5} and trace.grads_after(2)[x] == 1.0


def test_the_widget_steps_with_slider_and_buttons():
    pytest.importorskip("ipywidgets")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed")
    w, x, b, y = tanh_neuron()
    box = step_through(y)
    (previous, slider, following), text, picture = box.children[0].children, *box.children[1:]
    assert slider.max == 5 and slider.value == 0 and previous.disabled
    assert "start: dy/dy" in text.value and "<svg" in picture.value and "grad ?" in picture.value
    following.click()
    following.click()
    assert slider.value == 2 and "step 2/5" in text.value and not previous.disabled
    slider.value = 5
    assert following.disabled and "step 5/5:  dy/dx +=" in text.value
    assert "grad ?" not in picture.value  # every gradient is in by the last step
    previous.click()
    assert slider.value == 4
    assert (w.grad, y.grad) == (0.0, 0.0)  # the user's graph is untouched


def test_missing_ipywidgets_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes the import fail
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        step_through(Value(1.0))


def test_importing_engine_imports_no_heavy_packages():
    code = (
        "import sys, engine, engine.stepper, engine.graph, engine.expr, engine.chain;"
        "heavy = {'graphviz', 'ipywidgets', 'PIL', 'matplotlib', 'hypothesis'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


@needs_dot
def test_numbered_frames(tmp_path):
    *_, y = tanh_neuron()
    written = save_steps(y, tmp_path / "frames")
    names = [os.path.basename(p) for p in written]
    assert names == [f"step_{k:03d}.png" for k in range(6)]
    assert sorted(os.listdir(tmp_path / "frames")) == names
    for path in written:
        with open(path, "rb") as file:
            assert file.read(4) == b"\x89PNG"
    assert y.grad == 0.0


@needs_dot
def test_animated_gif(tmp_path):
    image = pytest.importorskip("PIL.Image")
    *_, y = tanh_neuron()
    path = tmp_path / "steps.gif"
    assert save_steps(y, path, seconds=0.5) == [str(path)]
    assert os.listdir(tmp_path) == ["steps.gif"]
    with image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 6
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
        assert durations == [500] * 5 + [1500]  # the last frame lingers
    assert path.stat().st_size < 300_000


@needs_dot
def test_gif_without_pillow_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        save_steps(Value(1.0) * 2, tmp_path / "s.gif")
    assert os.listdir(tmp_path) == []


def test_frames_highlight_the_step_and_pass_drawing_options_through():
    from engine.stepper import _frame

    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    trace = trace_backward(b)
    second = _frame(trace, 2, rankdir="TB").source
    assert "rankdir=TB" in second and "step 2/2:" in second
    edges = [line for line in second.splitlines() if "v0 -> op1" in line]
    assert len(edges) == 2 and "penwidth" not in edges[0] and "penwidth=3" in edges[1]
    assert "grad 6.0000" in second
    first = _frame(trace, 1, title="mine").source
    assert "mine" in first and "grad 3.0000" in first
    start = _frame(trace, 0).source
    assert "grad ?" in start and "start: db/db = 1.0000; 2 edges to walk back" in start
