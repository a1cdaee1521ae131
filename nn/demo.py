"""The demo that ``python -m nn train`` runs: its datasets, its network, what it draws.

``nn/__main__.py`` reads the options and runs the steps; this module holds what the
steps use: each dataset with the noise and size it is drawn with, the digits' network
and training, the evaluation on the data trained on and on the images held out, the
time an eager epoch will take, and the pictures written into ``--out`` (drawn in
memory, so that a failed drawing writes nothing).
"""

from __future__ import annotations

import copy
import io
import math
import time

import engine
from engine import Value, draw_graph, gc_paused
from engine.cli.usage import dot_missing

from . import datasets, plot
from .accuracy import predicted_class
from .layers import MLP
from .predict import predict
from .train import LOSSES, evaluate, score
from .train_compiled import numpy_or_none

#: What a run writes into --out: all of them, or (if anything fails) none.
RESULTS = ("loss.png", "decision_boundary.png", "neuron.png", "model.json")
#: ... on the digits, whose 64 inputs have no decision boundary to draw.
DIGITS_RESULTS = ("loss.png", "confusion_matrix.png", "weights.png", "model.json")

DATASETS = {
    "moons": lambda n, noise, seed: datasets.moons(n=n, noise=noise, seed=seed),
    "circles": lambda n, noise, seed: datasets.circles(n=n, noise=noise, seed=seed),
    "spirals": lambda n, noise, seed: datasets.spirals(n=n, noise=noise, seed=seed),
    "blobs": lambda n, noise, seed: datasets.blobs(n=n, std=noise, seed=seed),
    "xor": lambda n, noise, seed: datasets.xor(),
    "digits": lambda n, noise, seed: datasets.digits(),
}

# The noise each dataset is drawn with unless --noise says otherwise (blobs: the std).
DEMO_NOISE = {"moons": 0.1, "circles": 0.05, "spirals": 0.2, "blobs": 1.0, "xor": 0.0}

# The fewest points each dataset can be drawn with: one per class (xor always has its 4).
MIN_SAMPLES = {"moons": 2, "circles": 2, "spirals": 3, "blobs": 3, "xor": 4}

# The digits: the network, the mini-batches (a full batch of 1,437 images would be a graph
# of millions of Values when eager), the epochs, and the share held out to test on. Each
# optimizer's learning rates for the demos come with it (nn.optimizer.register).
DIGITS_HIDDEN = [32]
DIGITS_BATCH = 32
DIGITS_EPOCHS = 30
# Weights start scaled to 64 inputs (He's for relu, Xavier's otherwise), not at micrograd's
# ±1: weights.png then shows what training wrote more than where the weights began (a pixel
# blank in every image never moves its weight).
DIGITS_INIT = {"relu": "he", "tanh": "xavier", "sigmoid": "xavier"}
DIGITS_TEST = 0.2


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def _neuron_graph(model: MLP, x: list[float]):
    """The computation of neuron L0.N0 on sample ``x``, on a copy so the model is untouched."""
    neuron = copy.deepcopy(model.layers[0].neurons[0])  # backward fills the copy's grads
    out = neuron([Value(xi, label=f"x{i + 1}") for i, xi in enumerate(x)])
    if len(out.parents) == 1:  # act(z): name the weighted sum as the lesson does
        out.parents[0].label = "z"
    out.label = "L0.N0"
    out.backward()
    return draw_graph(out)


def _one_point_at_a_time(model: MLP, x: list[float]):
    """``model`` as compiled code, called on one point as plot.decision_boundary calls it."""
    forward = engine.compile(model, (x,))
    np = numpy_or_none()  # without numpy: pure-Python floats, slower per point, still no graph

    def run(point: list[float]):
        batch = [point] if np is None else np.asarray([point], dtype=np.float64)
        out = forward(batch)
        row = out[0] if np is None else out.tolist()[0]
        return [Value(v) for v in row] if isinstance(row, list) else Value(row)

    return run


def _render_png(graph) -> bytes:
    import graphviz

    try:
        return graph.pipe(format="png")
    except graphviz.ExecutableNotFound:  # dot vanished after the check at the start
        raise dot_missing("neuron.png") from None
    except graphviz.CalledProcessError as e:
        lines = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise OSError(f"Graphviz failed to draw neuron.png: {lines[-1] if lines else e}") from None


def evaluated(model: MLP, X: list, y: list, loss: str, compiled: bool) -> tuple[float, float]:
    """The loss and accuracy on (X, y); a loss of nan when the weights make it overflow."""
    try:
        return evaluate(model, X, y, loss=loss, compile=compiled)
    except (OverflowError, ValueError):  # e.g. exp of a huge logit
        return math.nan, math.nan


def held_out_results(model: MLP, X: list, y: list, loss: str, compiled: bool):
    """The loss, accuracy and predicted classes on held-out (X, y), from one forward pass;
    (nan, nan, None) when the outputs overflow or are not finite."""
    try:
        outputs = predict(model, X, compile=compiled)
        value, accuracy = score(outputs, y, loss)
    except (OverflowError, ValueError):  # e.g. exp of a huge logit
        return math.nan, math.nan, None
    if not math.isfinite(value):
        return value, accuracy, None
    return value, accuracy, [predicted_class(out, loss) for out in outputs]


def say_if_slow(model: MLP, X: list, y: list, loss: str, epochs: int) -> None:
    """Before eager training, say how long it will take when an epoch takes a second or more.

    Timed, not guessed: forward, loss and backward on a few samples, scaled to the data.
    """
    k = min(len(X), 8)
    started = time.perf_counter()
    with gc_paused():
        LOSSES[loss]([model(x) for x in X[:k]], y[:k]).backward()
    epoch = (time.perf_counter() - started) / k * len(X)
    model.zero_grad()  # the probe's gradients are not training's
    if epoch >= 1.0:
        total = f", {_duration(epoch * epochs)} for {epochs} epochs" if epochs > 1 else ""
        print(
            f"eager training, one Value at a time: about {_duration(epoch)} an epoch{total}; "
            f"--compile runs the same training as generated code on whole batches, many "
            f"times faster"
        )


def _duration(seconds: float) -> str:
    """A rough duration in words: '12 s', '4 min', '1.5 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def pictures(model: MLP, history, X: list, y: list, compiled: bool) -> dict[str, bytes]:
    """A 2-D run's pictures: the loss curve, the decision boundary and one neuron's graph."""
    drawn = _one_point_at_a_time(model, X[0]) if compiled else model
    results = _figures_as_png(
        {
            "loss.png": lambda: plot.loss_curve(history),
            "decision_boundary.png": lambda: plot.decision_boundary(drawn, X, y, resolution=60),
        }
    )
    results["neuron.png"] = _render_png(_neuron_graph(model, X[0]))
    return results


def digit_pictures(model: MLP, history, y_test: list, predicted: list) -> dict[str, bytes]:
    """A digits run's pictures: the loss curve, the confusion matrix on the held-out digits,
    and the first layer's weights as 8×8 images."""
    return _figures_as_png(
        {
            "loss.png": lambda: plot.loss_curve(history),
            "confusion_matrix.png": lambda: plot.confusion_matrix(y_test, predicted),
            "weights.png": lambda: plot.weight_images(model.layers[0]),
        }
    )


def _figures_as_png(draw: dict) -> dict[str, bytes]:
    """Each figure drawn by ``draw[name]()``, as PNG bytes under its name, and closed."""
    import matplotlib.pyplot as plt

    results = {}
    for name, make in draw.items():
        fig = make()
        results[name] = _png(fig)
        plt.close(fig)
    return results
