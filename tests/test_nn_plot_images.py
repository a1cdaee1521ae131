"""nn.plot.images, confusion_matrix and weight_images: they draw the numbers they claim to."""

import math

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from nn import MLP, Layer, datasets, plot  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def digits():
    return datasets.digits()


def rows(flat, width=8):
    return [flat[i : i + width] for i in range(0, len(flat), width)]


# --- images ----------------------------------------------------------------------------------


def test_images_draws_each_sample_as_its_grid_with_its_label(digits):
    X, y = digits
    fig = plot.images(X[:23], y[:23])
    assert len(fig.axes) == 23  # the last row's spare places are removed
    for ax, x, label in zip(fig.axes, X, y):
        assert ax.images[0].get_array().tolist() == rows(x)
        assert ax.get_title() == str(label)


def test_images_share_one_grey_scale_ink_dark(digits):
    X, _ = digits
    fig = plot.images(X[:12])
    scales = {ax.images[0].get_clim() for ax in fig.axes}
    assert scales == {(0.0, 1.0)}  # the smallest and largest value shown, for every image
    assert {ax.images[0].get_cmap().name for ax in fig.axes} == {"gray_r"}  # 1 is black ink
    assert all(ax.get_title() == "" for ax in fig.axes)  # no labels given, none drawn


def test_images_lays_out_columns_and_other_shapes():
    X = [[float(i + k) for i in range(12)] for k in range(7)]
    fig = plot.images(X, [f"#{k}" for k in range(7)], shape=(3, 4), columns=3)
    assert fig.axes[0].images[0].get_array().shape == (3, 4)
    tops = sorted({round(ax.get_position().y0, 3) for ax in fig.axes})
    assert len(tops) == 3  # 7 images, 3 a row: three rows
    assert [ax.get_title() for ax in fig.axes] == [f"#{k}" for k in range(7)]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: plot.images([[0.0] * 63]), ValueError,
         r"X\[0\] has 63 values, but shape \(8, 8\) needs 64"),
        (lambda: plot.images([[0.0] * 64] * 2, [1]), ValueError,
         "one label per image: 2 images, got 1"),
        (lambda: plot.images([]), ValueError, "X is empty"),
        (lambda: plot.images([[0.0] * 4] * 401, shape=(2, 2)), ValueError,
         r"one figure draws at most 400: pass a slice, such as X\[:100\]"),
        (lambda: plot.images([[0.0] * 64], shape=(8,)), ValueError, "shape must be"),
        (lambda: plot.images([[0.0] * 64], shape=(0, 64)), ValueError,
         "shape's rows must be a whole number >= 1"),
        (lambda: plot.images([[math.nan] + [0.0] * 63]), ValueError,
         r"X\[0\] holds a value that is not a finite number"),
        (lambda: plot.images([0.5]), ValueError, r"X\[0\] is 0.5, not an image"),
        (lambda: plot.images(5), TypeError, "X must be a list of images"),
    ],
)  # fmt: skip
def test_images_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- confusion_matrix --------------------------------------------------------------------------


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 1, 1, 1, 2, 0, 2, 1]
    fig = plot.confusion_matrix(y_true, y_pred)
    ax = fig.axes[0]
    assert ax.images[0].get_array().tolist() == [[2, 1, 0], [0, 2, 0], [1, 1, 2]]
    assert ax.get_title() == "confusion matrix: 6 of 9 right (66.7%)"
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    written = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
               for t in ax.texts}  # fmt: skip
    assert written[(2, 1)] == "1" and written[(0, 0)] == "2" and len(written) == 9
    # every mistake (off the diagonal, above 0) is outlined: (0,1), (2,0), (2,1)
    corners = sorted((round(p.get_x() + 0.45), round(p.get_y() + 0.45)) for p in ax.patches)
    assert corners == [(0, 2), (1, 0), (1, 2)]  # (column, row)


def test_confusion_matrix_shows_the_classes_asked_for_in_their_order():
    fig = plot.confusion_matrix(["cat", "dog"], ["dog", "dog"], classes=["dog", "cat", "cow"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dog", "cat", "cow"]
    assert ax.images[0].get_array().tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 0]]


def test_confusion_matrix_of_a_digit_model(digits):
    X, y = digits
    fig = plot.confusion_matrix(y, [(t + 1) % 10 if i % 4 == 0 else t for i, t in enumerate(y)])
    counts = fig.axes[0].images[0].get_array()
    assert counts.shape == (10, 10) and counts.sum() == 1797
    assert sum(counts[k][k] for k in range(10)) == 1797 - len(range(0, 1797, 4))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: plot.confusion_matrix([0, 1], [0]), ValueError,
         "y_true has 2 labels but y_pred has 1"),
        (lambda: plot.confusion_matrix([], []), ValueError, "y_true is empty"),
        (lambda: plot.confusion_matrix([0, 1], [0, 2], classes=[0, 1]), ValueError,
         "classes leaves out 2, which the labels use"),
        (lambda: plot.confusion_matrix([0], [0], classes=[0, 0]), ValueError,
         "classes lists a class twice"),
        (lambda: plot.confusion_matrix([[0, 1]], [0]), TypeError,
         r"y_true\[0\] is \[0, 1\], not a class label"),
        (lambda: plot.confusion_matrix(3, [0]), TypeError, "y_true must be a list"),
    ],
)  # fmt: skip
def test_confusion_matrix_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- weight_images -------------------------------------------------------------------------------


def test_weight_images_draws_each_neurons_weights_as_its_image():
    model = MLP(64, [12, 10], seed=0)
    fig = plot.weight_images(model.layers[0])
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 12
    for j, (ax, neuron) in enumerate(zip(images, model.layers[0].neurons)):
        assert ax.get_title() == f"L0.N{j}"
        assert ax.images[0].get_array().tolist() == rows([w.data for w in neuron.w])


def test_weight_images_diverge_from_zero_on_one_shared_scale():
    model = MLP(64, [5, 10], seed=1)
    fig = plot.weight_images(model.layers[0])
    largest = max(abs(w.data) for n in model.layers[0].neurons for w in n.w)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert {im.get_clim() for im in images} == {(-largest, largest)}  # centred on 0, shared
    assert {im.get_cmap().name for im in images} == {"RdBu_r"}  # red +, blue -, white 0
    bar = [ax for ax in fig.axes if not ax.images]
    assert len(bar) == 1 and bar[0].get_ylabel() == "weight"  # one colour bar for all


def test_weight_images_of_an_mlp_is_its_first_layer_and_a_bare_layer_is_numbered():
    model = MLP(4, [3, 2], seed=0)
    titles = [ax.get_title() for ax in plot.weight_images(model, shape=(2, 2)).axes]
    assert titles[:3] == ["L0.N0", "L0.N1", "L0.N2"]
    layer = Layer(4, 2)
    assert [ax.get_title() for ax in plot.weight_images(layer, shape=(2, 2)).axes][:2] == [
        "N0",
        "N1",
    ]


def test_weight_images_of_all_zero_weights_still_draws():
    layer = Layer(4, 2)
    for p in layer.parameters():
        p.data = 0.0
    fig = plot.weight_images(layer, shape=(2, 2))
    assert fig.axes[0].images[0].get_clim() == (-1.0, 1.0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: plot.weight_images(MLP(64, [4, 10], seed=0).layers[1]), ValueError,
         r"L1.N0 has 4 input weights, but shape \(8, 8\) needs 64"),
        (lambda: plot.weight_images("layer"), TypeError,
         "weight_images draws a Layer .* or an MLP, got str"),
        (lambda: plot.weight_images(MLP(4, [2], seed=0), shape=(2, 2), columns=0), ValueError,
         "columns must be a whole number >= 1"),
    ],
)  # fmt: skip
def test_weight_images_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_weight_images_refuses_a_nan_weight():
    model = MLP(4, [2], seed=0)
    model.layers[0].neurons[1].w[2].data = math.nan
    with pytest.raises(ValueError, match="L0.N1 has a weight that is nan or inf"):
        plot.weight_images(model, shape=(2, 2))
