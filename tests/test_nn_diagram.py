"""nn.diagram.draw_network: a network neuron by neuron, in layers; nothing in the model changes."""

import re
import shutil

import pytest

from engine import grad
from engine.naming import format_number
from nn import MLP, Layer, Neuron
from nn.diagram import draw_network


def squared_error(out):
    return (out - 1.0) ** 2


def test_one_box_per_input_and_neuron_one_line_per_weight_in_layer_columns():
    model = MLP(2, [3, 2, 1], activation="tanh", seed=0)
    source = draw_network(model).source
    boxes = [b.strip('"') for b in re.findall(r"^\t(\S+) \[label=<", source, re.MULTILINE)]
    assert boxes == ["x0", "x1", "L0.N0", "L0.N1", "L0.N2", "L1.N0", "L1.N1", "L2.N0"]
    assert source.count(" -> ") == 2 * 3 + 3 * 2 + 2 * 1
    # Inputs in the first column, one column per layer, each column top to bottom in order.
    pos = {
        n: tuple(map(float, p.split(",")))
        for n, p in re.findall(r'^\t"?([\w.]+)"? .*pos="([-\d.,]+)!"', source, re.MULTILINE)
    }
    assert pos["x0"][0] < pos["L0.N0"][0] < pos["L1.N0"][0] < pos["L2.N0"][0]
    assert (
        pos["L0.N0"][0] == pos["L0.N2"][0] and pos["L0.N0"][1] > pos["L0.N1"][1] > pos["L0.N2"][1]
    )


def test_outputs_and_gradients_are_the_engines_and_the_model_is_untouched():
    model = MLP(2, [2, 1], activation="tanh", seed=1)
    x = [0.5, -1.0]
    source = draw_network(model, x, loss=squared_error).source
    out = model(x)
    loss = squared_error(out)
    params = model.parameters()
    expected = grad(loss, params)
    for p, g in zip(params, expected):
        if not p.label.endswith(".b"):
            assert f"dL/dw {format_number(g)}" in source  # in the box (a small network)
            assert f"{p.label} = {format_number(p.data)}, dL/dw = {format_number(g)}" in source
        else:  # a bias: its gradient in its row, dL/db = dL/dz
            assert f"b {format_number(p.data)} · dL/db {format_number(g)}" in source
    assert f"out {format_number(out.data)}" in source
    (dout,) = grad(loss, [out])
    assert f"dL/dout {format_number(dout)}" in source
    assert all(p.grad == 0.0 for p in params)  # draw_network computed, never accumulated


def test_a_big_network_keeps_its_numbers_in_tooltips_and_compact_boxes():
    model = MLP(2, [16, 16, 1], seed=0)
    source = draw_network(model, [0.1, 0.2], loss=squared_error).source
    assert source.count(" -> ") == 2 * 16 + 16 * 16 + 16
    assert "<TD>w0 " not in source and source.count("tooltip=") == 304
    assert 'COLSPAN="2"' in source


def test_layers_and_neurons_and_mistakes():
    assert draw_network(Layer(2, 3, name="L0")).source.count(" -> ") == 6
    assert draw_network(Neuron(3)).source.count(" -> ") == 3
    with pytest.raises(ValueError, match="the model takes 2 inputs, x has 3"):
        draw_network(MLP(2, [1], seed=0), [1, 2, 3])
    with pytest.raises(ValueError, match="a loss needs an input"):
        draw_network(MLP(2, [1], seed=0), loss=squared_error)
    with pytest.raises(TypeError, match="needs an MLP, a Layer or a Neuron"):
        draw_network(3.0)


@pytest.mark.skipif(shutil.which("neato") is None, reason="Graphviz not installed")
def test_renders():
    from engine.views.render import render

    svg = render(draw_network(MLP(2, [4, 4, 1], seed=0), [0.5, 0.5], loss=squared_error), "svg")
    assert b"<svg" in svg and b"L1.N3" in svg


# ---------------------------------------------------------------------------
# A wide network stays readable and small; any label draws (issue 20)


def test_a_wide_network_draws_a_readable_summary_and_says_what_it_left_out():
    from nn.diagram import SHOWN, STRONGEST

    model = MLP(2, [256, 256, 1], seed=0)
    source = draw_network(model, [0.1, 0.2], loss=squared_error).source
    assert len(source) < 100_000  # every weight drawn was 6.9 MB of DOT, 31 MB of SVG
    boxes = re.findall(r"^\t(\S+) \[label=<", source, re.MULTILINE)
    assert len(boxes) == 2 + SHOWN + SHOWN + 1
    assert source.count("… 240 more neurons") == 2
    # Into each neuron of the wide layer, its strongest weights from the boxes drawn.
    lines = re.findall(r'^\t"?(L1\.N\d+|x\d+|L0\.N\d+)"? -> "?(L[12]\.N\d+)"?', source, re.M)
    into_l1 = [(tail, head) for tail, head in lines if head.startswith("L1.")]
    assert len(into_l1) == SHOWN * STRONGEST
    neuron = model.layers[1].neurons[0]
    drawn = {int(tail.split("N")[1]) for tail, head in into_l1 if head == "L1.N0"}
    strongest = sorted(range(SHOWN), key=lambda i: -abs(neuron.w[i].data))[:STRONGEST]
    assert drawn == set(strongest)
    # The note under the picture says what was left out.
    # 2·16 lines into L0, 16·3 into L1, 16 into L2 (256 weights: not wide)
    assert "left out to stay readable (96 of 66,304 weights drawn)" in source
    assert "L0, L1: the first 16 of 256 neurons drawn" in source
    assert "into each neuron of L1: its 3 strongest weights (largest |w|)" in source


def test_many_inputs_are_summarised_too_and_a_small_network_says_nothing():
    source = draw_network(MLP(784, [10], seed=0)).source
    assert "inputs: the first 16 of 784 inputs drawn" in source
    assert "… 768 more inputs" in source and source.count(" -> ") == 10 * 3
    small = draw_network(MLP(2, [16, 16, 1], seed=0)).source
    assert "left out" not in small and "more neurons" not in small


@pytest.mark.skipif(shutil.which("neato") is None, reason="Graphviz not installed")
@pytest.mark.parametrize(
    "label", ["a\x1b[31m", "nul\x00", "lone\ud800", "L" * 20_000, "a\\", "<b>", "a\\N<"]
)
def test_any_label_draws(label):
    import xml.etree.ElementTree as ElementTree

    from engine.views.render import render

    model = MLP(2, [2, 1], seed=0)
    for n, p in model.named_parameters():
        p.label = label + n
    model.layers[0].neurons[0].activation = lambda z: z  # a function's name is shown too
    model.layers[0].neurons[0].activation.__name__ = label
    dot = draw_network(model, [0.5, 0.5], loss=squared_error, title=label)
    svg = ElementTree.fromstring(render(dot, "svg"))  # Graphviz drew it, a browser can read it
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    if label == "a\\N<":  # drawn as itself: Graphviz reads \N in a label as the node's id
        assert "a\\N<L1.N0" in texts and "a\\N<" in texts
