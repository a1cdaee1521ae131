"""draw_graph: a pure function from a graph to a graphviz.Digraph, tested via .source."""

import base64
import os
import re
import shutil

import graphviz
import pytest
from hypothesis import given
from random_graphs import graphs

from engine import Value, chain_rule, draw_graph, topological_order
from engine.naming import format_number
from engine.views.style import HIGHLIGHT, shade

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def neuron_tanh():
    """tanh(w*x + b) after backward, the lesson's first graph."""
    w, x, b = Value(-1.0, label="w"), Value(0.5, label="x"), Value(2.0, label="b")
    y = (w * x + b).tanh()
    y.label = "y"
    y.backward()
    return w, x, b, y


def value_lines(source):
    return [line for line in source.splitlines() if re.match(r"\s+v\d+ \[label=<", line)]


def test_returns_a_digraph_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    *_, y = neuron_tanh()
    dot = draw_graph(y)
    assert isinstance(dot, graphviz.Digraph)
    assert dot.format == "svg"
    assert draw_graph(y, format="png").format == "png"
    assert os.listdir(tmp_path) == []


def test_one_record_per_value_one_oval_per_op_edges_labelled_with_local_grads():
    w, x, b, y = neuron_tanh()
    source = draw_graph(y).source
    records = value_lines(source)
    assert len(records) == 6  # w, x, mul1, b, add1, y
    assert "<B>w</B>" in records[0] and "data -1.0000" in records[0] and "grad 0.0904" in records[0]
    ops = re.findall(r"^\t(op\d+) \[label=(\S+)", source, re.MULTILINE)
    assert [label for _, label in ops] == ['"×"', '"+"', "tanh"]
    # Inputs of the × node carry ∂(w·x)/∂w = x = 0.5 and ∂(w·x)/∂x = w = -1.
    assert "v0 -> op2 [label=0.5000]" in source
    assert "v1 -> op2 [label=-1.0000]" in source
    assert "op2 -> v2" in source
    assert "v4 -> op5 [label=0.1807 weight=8]" in source  # 1 - tanh(1.5)²; heavy: a chain


def test_node_ids_are_deterministic():
    first = draw_graph(neuron_tanh()[-1]).source
    second = draw_graph(neuron_tanh()[-1]).source
    assert first == second
    assert not re.search(r"\d{8,}", first)  # no id() anywhere


@pytest.mark.parametrize(
    ("build", "text"),
    [
        (lambda x: x**2, '"**2"'),
        (lambda x: x**-0.5, '"**-0.5"'),
        (lambda x: x.leaky_relu(0.1), '"leaky_relu(0.1)"'),
        (lambda x: x ** Value(2.0), '"**"'),
        (lambda x: -x, '"−x"'),
        (lambda x: x - 1, '"−"'),
        (lambda x: x / 2, '"÷"'),
    ],
)
def test_op_ovals_show_the_symbol_and_the_constant(build, text):
    source = draw_graph(build(Value(2.0, label="x"))).source
    assert f"[label={text} " in source


def test_display_toggles():
    *_, y = neuron_tanh()
    plain = draw_graph(y, show_grad=False, show_local_grads=False, legend=False).source
    assert "grad" not in plain and "label=0.5000" not in plain and "->" in plain
    assert "label=" not in plain.split("\n")[1]  # no legend line as the graph label
    with_legend = draw_graph(y).source
    assert "grad = dy/dnode" in with_legend and "local derivative ∂child/∂parent" in with_legend
    titled = draw_graph(y, title="step 3 <of> 5").source
    assert "step 3 &lt;of&gt; 5" in titled and "labelloc=t" in titled


def test_rankdir():
    *_, y = neuron_tanh()
    lr = draw_graph(y).source
    tb = draw_graph(y, rankdir="TB").source
    assert "rankdir=LR" in lr and "rankdir=TB" in tb
    # Across the flow the record is stacked (a row per field); along it, one row.
    assert value_lines(lr)[0].count("<TR>") == 3 and value_lines(tb)[0].count("<TR>") == 1
    with pytest.raises(
        ValueError, match="unknown rankdir 'XY': choose one of 'LR', 'TB', 'RL', 'BT'"
    ):
        draw_graph(y, rankdir="XY")


def test_gradient_shading_carries_sign_and_size():
    blue_small, ink = shade(0.1, 1.0)
    blue_large, ink_large = shade(1.0, 1.0)
    red_large, _ = shade(-1.0, 1.0)
    assert shade(0.0, 1.0) == ("#FFFFFF", "#222222")

    def rgb(colour):
        return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]

    def luminance(colour):
        r, g, b = rgb(colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert luminance(blue_large) < luminance(blue_small)  # larger |grad| is darker
    assert rgb(blue_large)[2] > rgb(blue_large)[0] and rgb(red_large)[0] > rgb(red_large)[2]
    assert ink == "#222222" and ink_large == "#FFFFFF"  # text stays readable on dark fills
    assert shade(float("nan"), 1.0)[0] == "#BBBBBB"
    assert shade(float("inf"), 1.0) == shade(1.0, 1.0)  # as large as it gets


def test_nan_and_inf_gradients_are_drawn():
    x = Value(0.0, label="x")
    y = x.sqrt()  # slope is infinite at 0
    y.backward()
    source = draw_graph(y).source
    assert "grad inf" in source and "label=inf" in source


def test_grads_mapping_replaces_dot_grad_and_marks_the_rest_unknown():
    w, x, b, y = neuron_tanh()
    source = draw_graph(y, grads={y: 1.0, w: 0.25}).source
    lines = value_lines(source)
    assert "grad 0.2500" in lines[0] and "grad ?" in lines[1] and "grad 1.0000" in lines[-1]


def test_highlight_a_value_a_chain_path_a_rule_and_a_step():
    w, x, b, y = neuron_tanh()
    thick = f'COLOR="{HIGHLIGHT}"'  # every box has a 3-point border; a highlighted one is orange

    def bold_edges(source):
        return sorted(re.findall(r"(\S+ -> \S+) \[[^]]*penwidth=3", source))

    source = draw_graph(y, highlight=[w]).source
    assert [thick in line for line in value_lines(source)] == [1, 0, 0, 0, 0, 0]
    assert bold_edges(source) == []

    rule = chain_rule(y, w)
    for highlight in (rule, rule.paths[0], [rule.paths[0]]):
        source = draw_graph(y, highlight=highlight).source
        assert [thick in line for line in value_lines(source)] == [1, 0, 1, 0, 1, 1]
        assert bold_edges(source) == sorted(
            ["v0 -> op2", "op2 -> v2", "v2 -> op4", "op4 -> v4", "v4 -> op5", "op5 -> v5"]
        )

    a = Value(3.0, label="a")
    sq = a * a
    first, second = sq.backward_steps()
    one = draw_graph(sq, highlight=second, show_local_grads=False).source
    # Both edges a -> × exist; only the second (index 1) is thick.
    edges = re.findall(r"v0 -> op1.*", one)
    assert len(edges) == 2 and "penwidth" not in edges[0] and "penwidth=3" in edges[1]


def test_highlight_rejects_what_it_cannot_draw():
    with pytest.raises(TypeError, match="highlight takes Values"):
        draw_graph(Value(1.0), highlight=[3.0])


def mlp_neuron_and_loss():
    xs = [Value(v, label=f"x{i + 1}") for i, v in enumerate([0.5, -1.0])]
    ws = [Value(v, label=f"L0.N0.w{i + 1}") for i, v in enumerate([0.3, -0.2])]
    b = Value(0.1, label="L0.N0.b")
    out = sum((wi * xi for wi, xi in zip(ws, xs, strict=True)), b).tanh()
    v = Value(0.7, label="L1.N0.w1")
    out2 = (v * out + Value(0.0, label="L1.N0.b")).tanh()
    loss = (out2 - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def test_nodes_are_grouped_by_module():
    source = draw_graph(mlp_neuron_and_loss()).source
    clusters = re.findall(r'subgraph "(cluster_\S+)" \{\n.* label="(\S+)"', source)
    assert clusters == [("cluster_L0.N0", "L0.N0"), ("cluster_L1.N0", "L1.N0")]
    first = source.split('subgraph "cluster_L0.N0" {')[1].split("}")[0]
    second = source.split('subgraph "cluster_L1.N0" {')[1].split("}")[0]
    # The neuron's parameters, products, sums and activation are inside its box...
    for name in ("L0.N0.w1", "L0.N0.w2", "L0.N0.b", "mul1", "add2", "tanh1"):
        assert f"<B>{name}</B>" in first
    assert "<B>L1.N0.w1</B>" in second and "<B>tanh2</B>" in second
    # ...its inputs, the constant and the loss stay outside every box.
    for name in ("x1", "x2", "loss", "sub1"):
        assert f"<B>{name}</B>" in source and f"<B>{name}</B>" not in first + second
    assert "subgraph" not in draw_graph(mlp_neuron_and_loss(), cluster=False).source


def test_numbers_and_plain_labels_make_no_groups():
    x = Value(2.0, label="0.5")  # the parser labels literals with their text
    y = x * Value(3.0, label="x.")
    assert "subgraph" not in draw_graph(y).source


def test_large_graphs_are_limited_to_the_nodes_nearest_the_root():
    x = Value(1.0, label="x")
    y = x
    for _ in range(999):
        y = y * 1.0001
    source = draw_graph(y, max_nodes=50).source
    assert len(value_lines(source)) == 50
    assert "… 1,949 more nodes" in source  # 1999 Values in all
    assert re.search(r"more -> op\d+ \[", source)
    assert "<B>x</B>" not in source  # the far end is not drawn
    assert len(value_lines(draw_graph(y, max_nodes=None).source)) == 1999
    assert len(value_lines(draw_graph(y).source)) == 250  # the default keeps dot fast
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes must be a whole number >= 1 or None"):
            draw_graph(y, max_nodes=bad)


def test_a_very_deep_graph_is_drawn_without_recursion():
    y = Value(0.0)
    for _ in range(100_000):
        y = y + 1.0
    assert len(value_lines(draw_graph(y, max_nodes=10).source)) == 10


def test_labels_are_escaped():
    y = Value(1.0, label="a<b&c") * 2
    source = draw_graph(y).source
    assert "<B>a&lt;b&amp;c</B>" in source


def test_a_single_leaf():
    source = draw_graph(Value(4.0, label="x")).source
    assert len(value_lines(source)) == 1 and "->" not in source


def test_type_error():
    with pytest.raises(TypeError, match="draw_graph needs a Value"):
        draw_graph(3.0)


@needs_dot
def test_renders_to_png_and_svg():
    *_, y = neuron_tanh()
    png = draw_graph(y).pipe(format="png")
    assert png.startswith(b"\x89PNG")
    svg = draw_graph(y).pipe(format="svg").decode()
    assert "<svg" in svg and "tanh" in svg
    assert "<svg" in draw_graph(y)._repr_image_svg_xml()  # how Jupyter shows it inline


@given(graphs())
def test_every_value_op_and_edge_is_drawn_once(graph):
    _, out = graph
    order = topological_order(out)
    source = draw_graph(out, max_nodes=None).source
    computed = [node for node in order if not node.is_leaf]
    assert len(value_lines(source)) == len(order)
    assert len(re.findall(r"^\t+op\d+ \[label=", source, re.MULTILINE)) == len(computed)
    # An input edge starts at the value's box, or at a ghost box with its name (g<value>_<op>_<k>).
    labels = re.findall(r"^\t+[vg][\d_]+ -> op(\d+) \[label=(\S+?)[\] ]", source, re.MULTILINE)
    expected = [
        (str(order.index(node)), format_number(local))
        for node in computed
        for local in node.local_grads
    ]
    labels = [(op, label.strip('"')) for op, label in labels]  # graphviz quotes "1e-12"
    assert labels == expected  # every input edge, labelled with its local derivative
    assert source.count("-> v") == len(computed)  # one edge from each op to its result


# ---------------------------------------------------------------------------
# Layout at lesson scale: ghosts for far uses, a time budget, the column's width


def unrolled_rnn(steps: int = 30):
    """A tanh RNN unrolled ``steps`` times: the two weights are used at every step."""
    w, u, h = Value(0.5, label="w"), Value(-0.8, label="u"), Value(0.0, label="h0")
    for t in range(steps):
        h = (w * h + u * Value(0.1 * t - 1, label=f"x{t}")).tanh()
    h.label = "h"
    h.backward()
    return w, u, h


def test_a_weight_used_at_every_step_is_drawn_once_then_named_beside_each_far_use():
    w, u, h = unrolled_rnn(30)
    source = draw_graph(h).source
    # w's box once, with its data and total gradient; 30 uses, the far ones by a ghost box.
    assert source.count("<B>w</B>") == 1 and f"grad {format_number(w.grad)}" in source
    ghosts = re.findall(r"^\t(g\d+_\d+_\d+) \[label=(\w+) ", source, re.MULTILINE)
    assert sorted({name for _, name in ghosts}) == ["u", "w"]
    assert len([1 for _, name in ghosts if name == "w"]) >= 25
    # Every use still has its edge with its local derivative, from the box or from a ghost.
    assert len(re.findall(r"-> op\d+ \[label=", source)) == sum(
        len(n.parents) for n in topological_order(h)
    )
    assert "dashed name: a value drawn again where it is used" in source
    # A value used only near where it is drawn gets no ghost (the MLP's inputs, x * x).
    x = Value(2.0, label="x")
    assert not re.search(r"^\tg\d", draw_graph(x * x + x).source, re.MULTILINE)


def test_highlighting_a_ghosted_use_highlights_its_ghost():
    w, u, h = unrolled_rnn(10)
    latest_use = next(s for s in h.backward_steps() if s.parent is w)  # the farthest from w's box
    source = draw_graph(h, highlight=latest_use).source
    ghost = next(line for line in source.splitlines() if "[label=w " in line and HIGHLIGHT in line)
    assert "penwidth=2.5" in ghost


@needs_dot
def test_render_svg_and_png_and_the_bitmap_size_cap(monkeypatch):
    from engine.views import render as graph

    *_, y = neuron_tanh()
    assert graph.render(draw_graph(y), "svg").lstrip().startswith(b"<?xml")
    assert graph.render(draw_graph(y), "png").startswith(b"\x89PNG")
    monkeypatch.setattr(graph, "MAX_PIXELS", 10_000)  # about 100 x 100
    png = graph.render(draw_graph(y), "png")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width * height <= 10_000 * 1.1


def test_the_quick_layout_moves_edge_numbers_beside_the_edges_and_says_so():
    from engine.views.render import _quick

    *_, y = neuron_tanh()
    quick = _quick(draw_graph(y).source)
    assert "v0 -> op2 [xlabel=0.5000" in quick and " [label=0.5000" not in quick
    assert "quick layout (the full one took too long)" in quick


def test_render_falls_back_to_the_quick_layout_then_gives_a_clear_error(monkeypatch):
    import subprocess

    from engine.views import render as graph

    calls = []

    def slow_then_fine(command, source, timeout, text=True):
        calls.append(command)
        if len(calls) == 1:
            raise subprocess.TimeoutExpired(command, timeout)
        return b"<svg quick/>"

    *_, y = neuron_tanh()
    monkeypatch.setattr(graph, "_run", slow_then_fine)
    monkeypatch.setattr(graph.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert graph.render(draw_graph(y), "svg") == b"<svg quick/>"
    assert "-Gnslimit=1" in calls[1] and "-Gsplines=line" in calls[1]

    def always_slow(command, source, timeout, text=True):
        raise subprocess.TimeoutExpired(command, timeout)

    monkeypatch.setattr(graph, "_run", always_slow)
    with pytest.raises(graph.RenderTimeout, match=r"6 values in 10 s.*max_nodes"):
        graph.render(draw_graph(y), "svg")


def test_fit_column_scales_down_never_up():
    from engine.views.render import fit_column

    svg = '<?xml version="1.0"?>\n<svg width="1576pt" height="900pt"\n viewBox="0 0 1576 900">'
    fitted = fit_column(svg)
    assert fitted.startswith('<svg width="100%" style="max-width:1576pt;height:auto"')
    assert "viewBox" in fitted and "height=" not in fitted.split("style")[0]


def html_elements(text: str) -> list[tuple[str, dict]]:
    """Every element of an HTML fragment, (tag, attributes), read as a browser would."""
    from html.parser import HTMLParser

    found = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Reader().feed(text)
    return found


@needs_dot
def test_in_jupyter_a_drawing_is_an_image_an_untrusted_notebook_keeps():
    # JupyterLab shows text/html before any other type, trusted or not; a notebook opened
    # without running it (a fresh clone) is untrusted, and its HTML sanitized: <svg> goes,
    # leaving the boxes' text as loose words, while an <img> with a data: URL stays. So the
    # HTML is one image of the SVG: Graphviz's own size (in pt), never wider than the column.
    *_, y = neuron_tanh()
    bundle = draw_graph(y)._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml")
    (tag, attributes), (script, _) = html_elements(bundle["text/html"])
    assert tag == "img" and set(attributes) == {"src", "alt", "style"}
    assert script == "script"  # where scripts run, it puts the inline SVG (tooltips) back
    assert attributes["style"] == "max-width:100%;height:auto"
    kind, data = attributes["src"].split(",")
    assert kind == "data:image/svg+xml;base64"
    drawn = base64.b64decode(data).decode()
    assert re.match(r'<svg width="[\d.]+pt" height="[\d.]+pt"', drawn)
    assert drawn == re.sub(r"<!--.*?-->\n?", "", svg[svg.index("<svg") :], flags=re.DOTALL)


def test_a_fixed_cell_width_keeps_every_box_one_size():
    *_, y = neuron_tanh()
    source = draw_graph(y, cell_width=100).source
    assert source.count('WIDTH="100"') == len(value_lines(source))


# ---------------------------------------------------------------------------
# Any label draws; a big graph is a bitmap a screen can show (issue 20)

HOSTILE_LABELS = {
    "ansi": "w\x1b[31mred\x1b[0m",
    "form feed": "page\x0cbreak",
    "nul": "nul\x00byte",
    "surrogate": "lone\ud800half",
    "non-characters": "x\ufffe\uffff",
    "16 KB": "L0.N" + "x" * 20_000 + ".w",
    "backslashes": "\\N\\G ends in \\",
    "looks like HTML": "<b>bold</b>",
    "script": "<!--<script>",
}


def hostile_rnn(label: str, steps: int = 6):
    """An RNN whose every name is ``label``: value boxes, ghosts, a module box, a hand-built op."""
    w, u, h = Value(0.5, label=label), Value(-0.8, label=label), Value(0.0, label=label)
    for t in range(steps):
        h = (w * h + u * Value(0.1 * t - 1, label=label)).tanh()
    h = Value(h.data, (h,), label) * Value(2.0, label="L0.N" + label + ".w")
    h.label = label
    h.backward()
    return h


@needs_dot
@pytest.mark.parametrize("label", HOSTILE_LABELS.values(), ids=HOSTILE_LABELS.keys())
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_any_label_draws_escaped_and_shortened(label, rankdir):
    import xml.etree.ElementTree as ElementTree

    from engine.naming import MAX_SHOWN, printable
    from engine.views.graph import MAX_TITLE
    from engine.views.render import render

    h = hostile_rnn(label)
    dot = draw_graph(h, rankdir=rankdir, title=label)
    svg = render(dot, "svg")
    tree = ElementTree.fromstring(svg)  # well-formed: a browser shows it
    texts = [t.text or "" for t in tree.iter("{http://www.w3.org/2000/svg}text")]
    assert all(t.replace("\xa0", " ").isprintable() for t in texts)  # Graphviz writes nbsp
    # Every name at most MAX_SHOWN characters (and a "#10" that tells it apart); the title at
    # most MAX_TITLE; the legend names the root.
    title = printable(label, MAX_TITLE)
    longer = [t for t in texts if len(t) > MAX_SHOWN + 3 and t != title and "/dnode" not in t]
    assert not longer, longer
    assert len(title) <= MAX_TITLE and title in texts
    assert render(dot, "png").startswith(b"\x89PNG")


def test_drawn_names_keep_their_characters_visible():
    from engine.naming import printable

    assert printable("w\x1b[31m") == "w\\x1b[31m"
    assert printable("a\x00b\x0c") == "a\\x00b\\x0c"
    assert printable("lone\ud800") == "lone\\ud800"
    assert printable("é → ∂L/∂w 👩‍🔬") == "é → ∂L/∂w 👩‍🔬"  # printable text is left alone
    long = printable("start" + "x" * 20_000 + "#2")
    assert len(long) == 40 and long.startswith("start") and long.endswith("x#2") and "…" in long
    # A plain label's backslashes are doubled, so Graphviz draws them instead of reading \N.
    ghost = draw_graph(hostile_rnn("a\\N")).source  # a ghost box's label is a plain one
    assert '[label="a\\\\N"' in ghost


@needs_dot
def test_a_long_rnn_as_png_fits_a_screen_however_it_is_made(tmp_path):
    from PIL import Image

    from engine.views.render import MAX_SIDE, render

    w, u, h = unrolled_rnn(30)  # 23,000 points long: 30,844 pixels at 96 dpi
    dot = draw_graph(h)

    def size(png: bytes) -> tuple[int, int]:
        return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")

    sizes = {
        "pipe": size(dot.pipe(format="png")),
        "render": size(render(dot, "png")),
        "format=png": size(draw_graph(h, format="png").pipe()),
        "jupyter": size(dot._repr_image_png()),
    }
    with Image.open(dot.render(tmp_path / "rnn", format="png")) as image:
        sizes["file"] = image.size
    with Image.open(dot.render(outfile=tmp_path / "rnn2.png")) as image:
        sizes["outfile"] = image.size
    for how, (width, height) in sizes.items():
        assert MAX_SIDE - 10 <= width <= MAX_SIDE and height < width / 5, (how, width, height)
    # A small graph keeps its size, and SVG is never scaled.
    *_, y = neuron_tanh()
    (width, height), (own_width, own_height) = (
        size(draw_graph(y).pipe(format="png")),
        size(graphviz.Digraph.pipe(draw_graph(y), format="png")),  # Graphviz's own, in one go
    )
    assert width == own_width and abs(height - own_height) < 10  # drawn from the layout
    svg = dot.pipe(format="svg").decode()
    assert float(re.search(r'<svg width="([\d.]+)pt"', svg)[1]) > 20_000  # every detail


@needs_dot
def test_render_checks_its_options():
    from engine.views.render import render

    *_, y = neuron_tanh()
    with pytest.raises(ValueError, match=r"dpi must be in \(0, 1200\], got -5"):
        render(draw_graph(y), "png", dpi=-5)
    with pytest.raises(ValueError, match="seconds must be > 0"):
        render(draw_graph(y), "png", seconds=0)


@needs_dot
def test_a_backslash_in_a_label_is_drawn_as_itself():
    # Graphviz reads \N (the node's id), \G, \l... in labels, and in a table cell once it
    # has decoded an entity such as &lt;: every drawn text keeps its backslashes.
    import xml.etree.ElementTree as ElementTree

    from engine.views.render import render

    label = "<a>\\N\\G"
    h = hostile_rnn(label)  # value boxes, ghost boxes, a module box, a hand-built op
    svg = render(draw_graph(h, title="t" + label), "svg")
    texts = [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "t<a>\\N\\G" in texts and "<a>\\N\\G" in texts and "<a>\\N\\G#2" in texts
    assert "L0.N<a>\\N\\G.w" in texts
    # The first box, the ghost boxes beside far uses, the hand-built op's oval.
    assert texts.count("<a>\\N\\G") >= 3
    assert not [t for t in texts if re.search(r"g\d+_\d+_\d+", t)]  # no ghost's id drawn
