"""Build the lesson notebooks in notebooks/ from the cell lists below, and execute them.

Each notebook is one function returning its cells, so a change to a lesson is an edit
here and one command:

    python scripts/build_notebooks.py               # rebuild and execute every notebook
    python scripts/build_notebooks.py 03 05         # only those whose file name contains 03, 05
    python scripts/build_notebooks.py --no-execute  # write the cells without running them

Notebooks run with the "python3" kernel in a fresh temporary folder, so nothing they
write lands in the repository, and are saved with their outputs (a code host shows
them as they ran). The build refuses to save a notebook whose outputs hold an error,
an absolute path, or more than MAX_BYTES. tests/test_notebooks.py runs them again and
checks that the committed cells still equal the ones written here.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from textwrap import dedent

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 120  # seconds; every notebook as a whole runs in well under a minute
MAX_BYTES = 1_500_000
# An absolute path in a cell or an output: a Unix root folder or a Windows drive.
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:work|tmp|home|Users|usr|root|var|opt|private)/|[A-Z]:\\")

OBJECT_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
KERNELSPEC = {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell from an indented triple-quoted string."""
    return nbformat.v4.new_markdown_cell(dedent(text).strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    """A code cell from an indented triple-quoted string."""
    return nbformat.v4.new_code_cell(dedent(text).strip("\n"))


# ---------------------------------------------------------------------------------------------
# 1. Derivatives and the chain rule
# ---------------------------------------------------------------------------------------------


def derivatives() -> list:
    return [
        md("""
        # 1 · Derivatives and the chain rule

        Everything a neural network learns comes from one question, asked of every weight:
        *if I nudge this number a little, how much does the output move, and in which
        direction?* The answer is a **derivative**. This notebook builds that idea up in the
        order the engine uses it:

        1. a derivative measured by nudging, and the same number from the engine;
        2. a `Value` remembers the operation that made it and its *local* derivatives;
        3. the computation graph, drawn;
        4. the **chain rule**: a long calculation's derivative is the product of the local
           ones along the way, summed over the ways through the graph;
        5. `backward()` one step at a time (interactive, and as text and pictures);
        6. the same gradients confirmed by finite differences (`gradcheck`).
        """),
        code("""
        %matplotlib inline
        import os
        import random
        import tempfile

        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        from engine import Value, chain_rule, draw_graph, gradcheck, save_steps, step_through

        random.seed(0)  # nothing below is random, but every lesson starts the same way
        plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})
        """),
        md("""
        ## A derivative is a rate of change

        Take `f(x) = x² − 3x` at `x = 2`. Nudge `x` by a small `h` and see how much `f`
        moves per unit of nudge. As `h` shrinks the ratio settles on one number: the
        derivative `f'(2)`, the slope of the curve at that point.
        """),
        code("""
        def f(x):
            return x ** 2 - 3 * x


        for h in (0.1, 0.01, 0.001, 0.0001):
            print(f"h = {h:<7} (f(2 + h) - f(2)) / h = {(f(2 + h) - f(2)) / h:.6f}")
        """),
        md("""
        The ratio approaches `1`. On paper, `f'(x) = 2x − 3`, and `f'(2) = 1`. The picture:
        the derivative is the slope of the tangent line, the line that touches the curve at
        `x = 2` and runs in the same direction.
        """),
        code("""
        grid = [i / 50 for i in range(-25, 201)]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(grid, [f(g) for g in grid], label="f(x) = x² − 3x")
        ax.plot([1, 3], [f(2) - 1, f(2) + 1], color="tab:orange", lw=2,
                label="tangent at x = 2, slope 1")
        ax.plot([2], [f(2)], "o", color="tab:orange")
        ax.set(xlabel="x", ylabel="f(x)", title="The derivative is the slope of the tangent")
        ax.legend()
        plt.show()
        """),
        md("""
        ## The engine keeps a record

        Build the same expression from a `Value`. Every `Value` produced by an operation
        remembers the operation (`.op`), its inputs (`.parents`) and, already during this
        forward computation, the *local* derivative of its result with respect to each
        input (`.local_grads`). For a subtraction `p − q` those are `1` and `−1`.
        """),
        code("""
        x = Value(2.0, label="x")
        y = x ** 2 - 3 * x
        print("y            =", y.data)
        print("y.op         =", repr(y.op))
        print("y.parents    =", [(p.op, p.data) for p in y.parents])
        print("y.local_grads=", y.local_grads)
        """),
        md("""
        `backward()` turns these records into the derivative of `y` with respect to every
        number that went into it, and stores each in `.grad`:
        """),
        code("""
        y.backward()
        print("dy/dx =", x.grad)
        """),
        md("""
        The same `1` that nudging found, but exact, and without choosing an `h`. Notice that
        `x` was used twice, once in `x ** 2` and once in `3 * x`; its gradient is the *sum*
        of what each use contributes: `2x = 4` from the square and `−3` from the product.
        Keep that in mind; it comes back below.

        ## A small neuron, drawn

        A neuron of a network computes a weighted sum of its input and passes it through an
        *activation function* such as `tanh`:

        `a = tanh(w · x + b)`

        Here `w` is the weight (가중치) and `b` the bias. `draw_graph` shows the computation
        the engine recorded: a box per `Value` (its name, `data` and `grad`), an oval per
        operation, and on each arrow the local derivative of the operation's result with
        respect to that input. Nodes we did not name get names from their operation
        (`mul1` is the product `w · x`). Before `backward()` every `grad` is still 0.
        """),
        code("""
        def neuron():
            \"\"\"A fresh copy of the neuron's graph: a = tanh(w·x + b).\"\"\"
            x = Value(0.5, label="x")
            w = Value(-1.0, label="w")
            b = Value(2.0, label="b")
            z = w * x + b
            z.label = "z"
            a = z.tanh()
            a.label = "a"
            return x, w, b, z, a


        x, w, b, z, a = neuron()
        draw_graph(a)
        """),
        md("""
        Now `backward()`. The output's gradient with respect to itself is 1; every other box
        gets `da/d(node)`:
        """),
        code("""
        a.backward()
        draw_graph(a)
        """),
        md("""
        ## The chain rule: multiply along the path

        How does `w` affect `a`? Not directly: `w` changes `mul1 = w · x`, which changes `z`,
        which changes `a`. Each link has its local derivative, written on its arrow:

        - `dmul1/dw = x = 0.5` (a product's derivative with respect to one factor is the
          other factor),
        - `dz/dmul1 = 1` (adding `b` passes changes through unchanged),
        - `da/dz = 1 − tanh(z)² = 1 − a²`.

        The **chain rule** says the effects multiply: if `z` moves twice as fast as `w`, and
        `a` moves a third as fast as `z`, then `a` moves two thirds as fast as `w`. Let us
        multiply the three factors ourselves and compare with what `backward()` stored:
        """),
        code("""
        dmul_dw = x.data
        dz_dmul = 1.0
        da_dz = 1 - a.data ** 2
        print(f"by hand:  {dmul_dw} · {dz_dmul} · {da_dz:.4f} = {dmul_dw * dz_dmul * da_dz:.6f}")
        print(f"engine:   w.grad = {w.grad:.6f}")
        """),
        md("""
        `chain_rule(output, wrt)` writes out exactly this product, with the names from the
        drawing, and `draw_graph` can highlight the path it follows:
        """),
        code("""
        path = chain_rule(a, w)
        print(path)
        draw_graph(a, highlight=path)
        """),
        md("""
        ## More than one path: add them up

        When a value reaches the output along several routes, the gradient is the **sum**
        over the routes of the product along each. This is what happened with `x` in
        `x² − 3x`. A neat example: `q = x · sigmoid(x)` uses `x` directly *and* through the
        sigmoid, so two paths lead from `x` to `q`.

        Read the printout below line by line. The first path is the direct arrow from `x`
        into the product: its local derivative is the *partial* derivative (편미분) `∂q/∂x`
        with `s` held still, which is `s`. The second goes through `s`. Their sum is the
        whole derivative `dq/dx`.
        """),
        code("""
        x2 = Value(1.0, label="x")
        s = x2.sigmoid()
        s.label = "s"
        q = x2 * s
        q.label = "q"
        q.backward()
        print(chain_rule(q, x2))
        print(f"backward() gave dq/dx = {x2.grad:.4f}")
        draw_graph(q)
        """),
        md("""
        ## Backward, one step at a time

        `backward()` does not list paths (a big network has astronomically many). It walks
        the graph once, from the output back to the inputs — this backwards walk is
        **backpropagation** (역전파) — and at every arrow it does one multiply-and-add:

        `parent.grad += (local derivative on the arrow) · child.grad`

        By the time it reaches a node, every route from the output to that node has already
        been added up, so each node is visited once. `backward_steps()` performs the same
        walk and hands over each step as it goes:
        """),
        code("""
        x, w, b, z, a = neuron()
        for step in a.backward_steps():
            print(step)
        """),
        md("""
        Read the fourth line: `da/dw` is `dmul1/dw` (the local derivative on the arrow, `x`)
        times `da/dmul1` (already complete by then). That is the chain rule's product, built
        up one factor per step.

        With a live Jupyter kernel, `step_through` shows the same walk as a picture you can
        move through with a slider: the current arrow highlighted, the gradients filled in
        so far, the step written above. It leaves the `.grad` values of the graph alone.
        (On a page without a running kernel, the pictures below show the same thing.)
        """),
        code("""
        x, w, b, z, a = neuron()
        step_through(a)
        """),
        md("""
        The same step-through, written to an animated GIF by `save_steps` (in a temporary
        folder; give it a folder name instead of a `.gif` file to get one PNG per step):
        """),
        code("""
        with tempfile.TemporaryDirectory() as folder:
            (gif,) = save_steps(a, os.path.join(folder, "backward.gif"), dpi=72)
            with open(gif, "rb") as file:
                display(Image(data=file.read(), format="gif"))
        """),
        md("""
        ## Trust, but verify: finite differences

        We started by nudging inputs; we end there too. `gradcheck` recomputes every
        gradient as `(f(v + ε) − f(v − ε)) / 2ε` (a *central* difference, more accurate than
        nudging one way) and compares it with `backward()`. The inputs are called `x0, x1,
        x2` in its table; here they are `w, x, b`.
        """),
        code("""
        report = gradcheck(lambda v: (v[0] * v[1] + v[2]).tanh(), [-1.0, 0.5, 2.0])
        print(report)
        """),
        md("""
        The two methods agree to about ten digits: the small remainder is the error of the
        finite difference itself, not of `backward()`.

        ## What to take away

        - A derivative is how fast the output moves when an input is nudged.
        - Every operation knows its *local* derivatives; the engine records them as it
          computes.
        - The **chain rule**: along one path, local derivatives multiply; over several
          paths, the products add.
        - `backward()` computes all of it in one walk from the output back to the inputs
          (**backpropagation**); `backward_steps`, `step_through` and `chain_rule` let you
          watch it, and `gradcheck` checks it.

        Next: notebook 2 builds neurons into networks; notebook 3 uses these gradients to
        learn.
        """),
    ]


# ---------------------------------------------------------------------------------------------
# 2. The perceptron and why activations matter
# ---------------------------------------------------------------------------------------------


def activations() -> list:
    return [
        md("""
        # 2 · The perceptron, and why activation functions matter

        Machine learning comes in three broad kinds. In **supervised** learning every example
        comes with the right answer (a label) and the model learns to reproduce it; in
        **unsupervised** learning there are no labels and the model looks for structure, such
        as groups of similar items; in **reinforcement** learning an agent acts, collects
        rewards and penalties, and learns by trial and error to score higher. These lessons
        are about the supervised kind.

        This notebook builds a network from its smallest part and finds out what makes it
        more than the sum of its parts:

        1. the **perceptron**: many inputs, one output, a weighted sum plus a bias;
        2. layers of them — and the surprise that without an activation function, any number
           of **hidden layers** (은닉층) collapses into a single weighted sum;
        3. the picture of that failure: a straight line cannot solve XOR;
        4. **activation functions** (활성함수) — sigmoid, tanh, relu — bend the line and solve
           it;
        5. **softmax**, for choosing among several classes.
        """),
        code("""
        %matplotlib inline
        import random

        import matplotlib.pyplot as plt

        import nn
        from engine import Value, draw_graph
        from nn import MLP, Neuron, datasets, fit

        SEED = 0
        random.seed(SEED)            # and every model below gets its own seeded generator
        plt.rcParams.update({"figure.dpi": 100})
        """),
        md("""
        ## One neuron

        A perceptron takes several numbers, multiplies each by a **weight** (가중치), adds
        them up together with a **bias**, and outputs the result: `z = w1·x1 + w2·x2 + b`.
        The weights say how much each input matters, the bias shifts the answer. (In code
        the weights are counted from zero: `w0`, `w1`.)

        Suppose the inputs are a shop's sales in June and July (in thousands) and the neuron
        should guess August. An `nn.Neuron` with two inputs and no activation ("linear") is
        exactly this sum; here we set its weights by hand instead of learning them:
        """),
        code("""
        neuron = Neuron(2, activation="linear", rng=random.Random(SEED))
        neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.3, 0.7, 0.5
        june, july = Value(4.0, label="june"), Value(5.0, label="july")
        august = neuron([june, july])
        august.label = "august"
        print(f"0.3 · 4 + 0.7 · 5 + 0.5 = {august.data:.2f}")
        draw_graph(august, show_grad=False)
        """),
        md("""
        ## Stacking layers without activations

        A **layer** is several neurons reading the same inputs; a network feeds one layer's
        outputs into the next. `MLP(2, [3, 3, 1], activation="linear")` has two hidden layers
        of three neurons and one output, 25 weights and biases in all. We give them random
        values, as if it had been trained.

        Each layer computes weighted sums of its inputs. But a weighted sum of weighted sums
        is again a weighted sum: multiplying it out, every path's weights multiply and every
        path's contributions add. So the whole network must equal *one* neuron,
        `w1·x1 + w2·x2 + b`, with weights we can compute from the layers (in matrix terms,
        `W = W3·W2·W1`). Let us compute them:
        """),
        code("""
        deep = MLP(2, [3, 3, 1], activation="linear", seed=SEED)
        print(len(deep.parameters()), "parameters")
        rng = random.Random(SEED)
        for p in deep.parameters():
            p.data = rng.uniform(-1, 1)


        def weights_of(layer):
            \"\"\"A layer's weights as a matrix (one row per neuron) and its biases.\"\"\"
            return [[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]


        def compose(first, second):
            \"\"\"The one layer equal to `first` then `second`: x ↦ W2(W1·x + b1) + b2.\"\"\"
            (W1, b1), (W2, b2) = first, second
            W = [[sum(row[k] * W1[k][j] for k in range(len(W1))) for j in range(len(W1[0]))]
                 for row in W2]
            b = [sum(row[k] * b1[k] for k in range(len(b1))) + c for row, c in zip(W2, b2)]
            return W, b


        W, b = weights_of(deep.layers[0])
        for layer in deep.layers[1:]:
            W, b = compose((W, b), weights_of(layer))
        (w1, w2), (b0,) = W[0], b
        print(f"the whole network = {w1:.4f}·x1 {w2:+.4f}·x2 {b0:+.4f}\\n")

        for _ in range(4):
            x = [rng.uniform(-3, 3), rng.uniform(-3, 3)]
            print(f"x = ({x[0]:+.3f}, {x[1]:+.3f}):  network {deep(x).data:+.12f}"
                  f"   one neuron {w1 * x[0] + w2 * x[1] + b0:+.12f}")
        """),
        md("""
        Identical, up to the last digit or so of rounding. The hidden layers added 22
        parameters and no ability at all: whatever this network can do, one neuron can do.
        (This is the "the layer is not doing its job" puzzle: with or without the layers,
        each input ends up multiplied by one number.)

        ## The picture: a straight line cannot solve XOR

        One neuron's output `w1·x1 + w2·x2 + b` is positive on one side of a straight line
        and negative on the other. So used as a classifier, it can only ever split the plane
        with a straight line. The classic problem no line can solve is **XOR**: points near
        `(0, 0)` and `(1, 1)` are class 0, points near `(0, 1)` and `(1, 0)` are class 1.
        `datasets.xor()` gives the four corners; for a nicer picture we draw a noisy cloud
        around each corner.
        """),
        code("""
        corners, corner_labels = datasets.xor()
        print(list(zip(corners, corner_labels)))

        cloud, blob = datasets.blobs(n=80, centers=corners, std=0.15, seed=SEED)
        X = cloud
        y = [corner_labels[k] for k in blob]      # each point takes its corner's XOR label

        fig, ax = plt.subplots(figsize=(4, 4))
        ax.scatter([p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm",
                   edgecolors="k", linewidths=0.5)
        ax.set(title="XOR: class 1 (red) on one diagonal", xlabel="x₁", ylabel="x₂",
               aspect="equal")
        plt.show()
        """),
        md("""
        Train the linear network on it. `fit` runs the loop of notebook 3 (forward, loss,
        backward, update) with the Adam optimizer of notebook 4, on the binary cross-entropy
        loss, which suits yes/no answers. The decision boundary is drawn where the output
        changes sign.
        """),
        code("""
        linear = MLP(2, [8, 1], activation="linear", seed=SEED)
        history = fit(linear, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05,
                      epochs=150, progress=False)
        print(f"linear network: accuracy {history.accuracy[-1]:.0%}")
        fig = nn.plot.decision_boundary(linear, X, y)
        fig.axes[0].set_title("no activation: one straight line")
        plt.show()
        """),
        md("""
        Whatever line it draws, one of the four corners ends up on the wrong side; the
        training settles for a compromise that gets about half the points right. No amount
        of training, and no number of linear hidden layers, will fix that.

        ## Activation functions bend the line

        The cure is to pass each hidden neuron's sum through a *nonlinear* function before
        handing it on. Then the layers no longer collapse into one, and the boundary can
        bend. The three classic choices:

        - **sigmoid** `1 / (1 + e^(−z))`: squashes into `(0, 1)`; also used on an output
          that should be a probability, a 0–1 answer;
        - **tanh**: the same S-shape but centred, squashing into `(−1, 1)`;
        - **relu** `max(0, z)`: zero for negative inputs, the identity otherwise — simple,
          cheap, and the default in most modern networks.

        Their slopes (dotted) matter too: that is the `da/dz` factor backpropagation
        multiplies by. The sigmoid's slope is at most ¼; the slopes of sigmoid and tanh are
        nearly zero for large inputs; relu's is 0 or 1.
        """),
        code("""
        zs = [i / 20 for i in range(-80, 81)]
        fig, axes = plt.subplots(1, 3, figsize=(11, 3), sharey=True)
        for ax, name in zip(axes, ["sigmoid", "tanh", "relu"]):
            f = getattr(nn, name)
            slopes = []
            for z in zs:
                v = Value(z)
                f(v).backward()
                slopes.append(v.grad)
            ax.plot(zs, [f(z) for z in zs], label=name)
            ax.plot(zs, slopes, ":", label="its slope")
            ax.axhline(0, color="0.8", lw=0.8)
            ax.axvline(0, color="0.8", lw=0.8)
            ax.set(title=name, xlabel="z", ylim=(-1.2, 2.1))
            ax.legend(loc="upper left")
        plt.tight_layout()
        plt.show()
        """),
        md("""
        The same network shape, one hidden layer of 8 neurons, now with each activation:
        """),
        code("""
        fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
        for ax, name in zip(axes, ["sigmoid", "tanh", "relu"]):
            model = MLP(2, [8, 1], activation=name, seed=SEED)
            h = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05,
                    epochs=150, progress=False)
            nn.plot.decision_boundary(model, X, y, ax=ax)
            ax.set_title(f"{name}: accuracy {h.accuracy[-1]:.0%}")
        plt.tight_layout()
        plt.show()
        """),
        md("""
        All three solve XOR, each in its own style: tanh and sigmoid bend smoothly, relu
        draws its boundary from straight pieces (each relu neuron contributes a fold along a
        line). That is the whole point of activation functions: without them a network is
        linear and its predictions simple; with them it can model curved, surprising
        patterns.

        The network outputs a *score* (a logit): positive means class 1. To turn it into a
        probability between 0 and 1, put it through the sigmoid — this is the "sigmoid on
        the output layer" of a yes/no network (`MLP(..., output_activation="sigmoid")`
        builds it in; here the loss `bce_with_logits` applies it internally, which is
        numerically safer).
        """),
        code("""
        for point in corners:
            score = model(point)          # the relu network from the last panel
            print(f"{point}: score {score.data:+7.3f} → probability of class 1 = "
                  f"{nn.sigmoid(score).data:.5f}")
        """),
        md("""
        ## Several classes: softmax

        With more than two classes, the network gets one output per class, and **softmax**
        turns those scores into probabilities: exponentiate each (making it positive) and
        divide by the total (making them sum to 1). The largest score gets the largest
        share, and the gaps between scores decide how confident the result is.
        """),
        code("""
        scores = [2.0, 1.0, 0.1]
        probs = nn.softmax(scores)
        print("scores        ", scores)
        print("softmax       ", [round(p, 3) for p in probs], " sum =", round(sum(probs), 12))
        print("scores × 3    ", [round(p, 3) for p in nn.softmax([3 * s for s in scores])])
        """),
        md("""
        Multiplying the scores by 3 makes the same ranking much more confident. A three-class
        problem: three clusters of points, and a network with three outputs trained with the
        **cross-entropy** loss (which applies softmax and then penalises a low probability on
        the right class):
        """),
        code("""
        X3, y3 = datasets.blobs(n=90, centers=[[-2, 0], [2, 0], [0, 2.5]], std=0.8, seed=SEED)
        three = MLP(2, [8, 3], activation="tanh", seed=SEED)
        h3 = fit(three, X3, y3, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=60,
                 progress=False)
        fig = nn.plot.decision_boundary(three, X3, y3, resolution=150)
        fig.axes[0].set_title(f"three classes: accuracy {h3.accuracy[-1]:.0%}")
        plt.show()

        for point in ([-2.0, 0.0], [0.0, 1.0]):
            probs = nn.softmax(three(point))
            print(f"at {point}: P(class 0, 1, 2) = " + ", ".join(f"{p.data:.3f}" for p in probs))
        """),
        md("""
        ## What to take away

        - A perceptron is a weighted sum plus a bias; a network is layers of them.
        - Without activation functions, any stack of layers equals one weighted sum — we
          computed its weights — and it can only draw straight boundaries: no XOR.
        - A nonlinear activation (sigmoid, tanh, relu) between layers lets the network bend
          its boundary. Sigmoid on one output gives a probability; softmax on several gives
          a probability per class.

        Notebook 6 trains bigger classifiers of this kind, on curved and spiral data.
        """),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Loss and gradient descent
# ---------------------------------------------------------------------------------------------


def gradient_descent() -> list:
    return [
        md("""
        # 3 · Loss and gradient descent

        A network *learns* by changing its weights (가중치) until its predictions are good.
        This notebook makes that sentence precise with a model that has a single weight, so
        that every idea can be drawn on one curve:

        1. a **loss function** (손실함수) turns "how wrong is the model?" into one number;
        2. the **slope** of the loss with respect to the weight says which way is downhill;
        3. **gradient descent** (경사하강법) takes a step downhill, `w ← w − lr · slope`,
           and repeats;
        4. the **learning rate** (학습률) `lr` decides whether that walk crawls, converges,
           oscillates or flies off;
        5. a **local minimum** (지역 최솟값) is a valley floor that is not the lowest one, and
           plain gradient descent stops there.
        """),
        code("""
        %matplotlib inline
        import random

        import matplotlib.pyplot as plt

        from engine import Value

        random.seed(0)  # the lessons start from the same state every time
        plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})
        """),
        md("""
        ## A model, some data, and a number for how wrong it is

        Four measurements `(x, y)`, and a model with one weight that predicts `ŷ = w · x`.
        The loss is the **mean squared error**: the average of the squared gaps between
        prediction and truth. Squaring makes every miss count as positive and big misses
        count a lot more than small ones.

        The function below works on plain numbers *and* on `Value`s, because it only uses
        `+`, `*` and `**`: we will use it both to draw the curve and to let the engine
        differentiate it.
        """),
        code("""
        xs = [1.0, 2.0, 3.0, 4.0]
        ys = [2.1, 3.9, 6.2, 7.8]          # roughly y = 2x, with a little noise


        def loss(w):
            \"\"\"Mean squared error of the prediction w·x over the data.\"\"\"
            return sum((w * x - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


        for w in (0.0, 1.0, 2.0, 3.0):
            print(f"w = {w:.1f}   loss = {loss(w):7.3f}")
        """),
        md("""
        Training means finding the `w` where this number is smallest. With one weight we
        could simply draw the loss for every `w` and look. A real network has thousands of
        weights and no picture we could look at, so we need a method that only uses
        information *at the current point*: the slope there.

        ## The slope at a point

        The slope of the loss at `w` is its derivative `dL/dw`: how much the loss changes per
        unit change of `w`. With many weights it is a *partial* derivative (편미분), one per
        weight, each asking the same question while the others are held still. The engine
        computes it: build the loss from a `Value`, call `backward()`, read `.grad`.
        """),
        code("""
        w = Value(0.5, label="w")
        L = loss(w)
        L.backward()
        print(f"at w = {w.data}:  loss = {L.data:.4f},  slope dL/dw = {w.grad:.4f}")
        """),
        md("""
        A negative slope means the loss *falls* as `w` grows: downhill is to the right. The
        tangent line drawn below has exactly this slope; it is the straight line that best
        matches the curve near `w = 0.5`.
        """),
        code("""
        grid = [i / 100 for i in range(-50, 451)]
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        ax.plot(grid, [loss(g) for g in grid], color="tab:blue", label="loss L(w)")
        near = [g for g in grid if abs(g - w.data) <= 0.6]
        ax.plot(near, [L.data + w.grad * (g - w.data) for g in near], color="tab:orange",
                lw=2, label=f"tangent at w = {w.data}: slope {w.grad:.2f}")
        ax.plot([w.data], [L.data], "o", color="tab:orange")
        ax.annotate("downhill →", (w.data + 0.15, L.data + 4), color="tab:orange")
        ax.set(xlabel="weight w", ylabel="loss", ylim=(-2, 40), title="The loss over one weight")
        ax.legend()
        plt.show()
        """),
        md("""
        ## One step downhill, by hand

        For this loss we can also differentiate on paper. With
        `L(w) = mean((w·x − y)²)`, the chain rule gives

        `dL/dw = mean(2 · (w·x − y) · x)`.

        Gradient descent moves the weight a little *against* the slope:

        `w_new = w − lr · dL/dw`

        A negative slope makes `w` grow, a positive one makes it shrink: either way the step
        goes downhill, and it is longer where the curve is steeper. The **learning rate**
        `lr` scales the step. Three steps with `lr = 0.05`, all in plain arithmetic:
        """),
        code("""
        def slope_by_hand(w):
            return sum(2 * (w * x - y) * x for x, y in zip(xs, ys)) / len(xs)


        lr = 0.05
        w_hand = 0.5
        for step in range(1, 4):
            s = slope_by_hand(w_hand)
            new = w_hand - lr * s
            print(f"step {step}: w = {w_hand:.4f}, slope = {s:8.4f}, "
                  f"w - lr·slope = {w_hand:.4f} - {lr} · {s:.4f} = {new:.4f}")
            w_hand = new
        """),
        md("""
        ## The same steps with the engine

        Now the engine supplies the slope. Two details matter in the loop:

        - a leaf's `.grad` **accumulates** across `backward()` calls (as in PyTorch), so we
          reset it to zero before each one;
        - the update changes `w.data` directly: it is bookkeeping, not part of any graph.

        We also follow the recipe of training to its end: keep stepping **until the total
        loss stops decreasing** (here: until a step improves it by less than `1e-9`).
        """),
        code("""
        w = Value(0.5, label="w")
        history = []
        for step in range(1, 101):
            w.grad = 0.0                   # forget the previous step's slope
            L = loss(w)
            L.backward()
            history.append((w.data, L.data))
            if step <= 3:
                print(f"step {step}: w = {w.data:.4f}, slope = {w.grad:8.4f}")
            w.data -= lr * w.grad          # the gradient-descent update
            if len(history) > 1 and history[-2][1] - history[-1][1] < 1e-9:
                break
        print(f"stopped after {step} steps: w = {w.data:.6f}, loss = {loss(w.data):.6f}")

        best = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
        print(f"the exact minimiser, mean(x·y) / mean(x²) = {best:.6f}")
        """),
        md("""
        The first three slopes are exactly the ones we computed by hand, and the walk ends at
        the weight that algebra says is best. Plotted on the curve, the steps are long where
        the curve is steep and shrink as the slope flattens near the bottom:
        """),
        code("""
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        ax.plot(grid, [loss(g) for g in grid], color="tab:blue", lw=1)
        path_w = [h[0] for h in history[:8]]
        ax.plot(path_w, [loss(p) for p in path_w], "o-", color="tab:red", ms=5,
                label="gradient descent, lr = 0.05")
        for i, p in enumerate(path_w[:3]):
            ax.annotate(f"{i}", (p, loss(p)), textcoords="offset points", xytext=(4, 6))
        ax.set(xlabel="weight w", ylabel="loss", ylim=(-2, 40), xlim=(-0.5, 4.5),
               title="Each step moves against the slope")
        ax.legend()
        plt.show()
        """),
        md("""
        ## The learning rate decides how the walk goes

        The step is `lr · slope`, so the learning rate is the one knob we chose ourselves.
        Near its minimum this loss is a parabola; each step multiplies the distance to the
        minimum by a fixed factor `1 − lr · L''` (here `L'' = 2 · mean(x²) = 15`). That
        predicts four behaviours:

        | learning rate | factor | what happens |
        |---|---|---|
        | 0.002 | 0.97 | **crawls**: right direction, tiny steps |
        | 0.05 | 0.25 | **converges** quickly |
        | 0.12 | −0.8 | **oscillates**: overshoots to the other side each time, but settles |
        | 0.14 | −1.1 | **diverges**: each overshoot is bigger than the last |

        Let us watch all four, twenty steps each, from the same starting weight.
        """),
        code("""
        def descend(lr, w0=0.5, steps=20):
            \"\"\"Weights visited by gradient descent on `loss`, starting from w0.\"\"\"
            w = Value(w0)
            path = [w.data]
            for _ in range(steps):
                w.grad = 0.0
                loss(w).backward()
                w.data -= lr * w.grad
                path.append(w.data)
            return path


        rates = {0.002: "crawls", 0.05: "converges", 0.12: "oscillates", 0.14: "diverges"}
        fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharey=True)
        for ax, (rate, verdict) in zip(axes, rates.items()):
            path = descend(rate)
            ax.plot(grid, [loss(g) for g in grid], color="tab:blue", lw=1)
            ax.plot(path, [loss(p) for p in path], "o-", color="tab:red", ms=3, lw=0.8)
            ax.plot(path[:1], [loss(path[0])], "o", color="black", ms=5)
            ax.set(title=f"lr = {rate}: {verdict}", xlabel="w", ylim=(-2, 40), xlim=(-0.5, 4.5))
            print(f"lr = {rate:<5}  after 20 steps: w = {path[-1]:9.4f}, "
                  f"loss = {loss(path[-1]):10.4f}")
        axes[0].set_ylabel("loss")
        plt.tight_layout()
        plt.show()
        """),
        md("""
        The same four runs as loss against step number (log scale, so that both tiny and huge
        losses fit): the crawl barely moves, the good rate drops fast, the oscillating one
        falls in a zig-zag, and the diverging one climbs.
        """),
        code("""
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        for rate, verdict in rates.items():
            ax.plot([loss(p) for p in descend(rate)], "o-", ms=3, label=f"lr = {rate} ({verdict})")
        ax.set(yscale="log", xlabel="step", ylabel="loss (log scale)",
               title="Loss during training, for four learning rates")
        ax.legend(fontsize=9)
        plt.show()
        """),
        md("""
        There is no learning rate that is right for every problem: it depends on how curved
        the loss is, and a real loss is curved differently in different places and in
        different directions. That is why it is usually found by trying, and why the
        optimizers of the next notebook adapt the step while training runs.

        ## A valley that is not the lowest: the local minimum

        The loss of a real network is not one clean bowl. Here is a made-up loss over one
        weight with two valleys: a shallow one on the right and a deeper one on the left.
        """),
        code("""
        def bumpy(w):
            \"\"\"A loss with two valleys.\"\"\"
            return w ** 4 - 3 * w ** 2 + w


        def descend_bumpy(lr, w0, steps=200):
            w = Value(w0, label="w")
            path = [w.data]
            for _ in range(steps):
                w.grad = 0.0
                bumpy(w).backward()
                w.data -= lr * w.grad
                path.append(w.data)
            return path, w.grad


        small, slope_at_end = descend_bumpy(lr=0.01, w0=2.0)
        print(f"lr = 0.01 from w = 2: stops at w = {small[-1]:.4f}, loss = {bumpy(small[-1]):.4f}, "
              f"slope there = {slope_at_end:.1e}")
        left = [g / 100 for g in range(-200, 201)]
        lowest = min(left, key=bumpy)
        print(f"the lowest point on the curve is near w = {lowest:.2f}, loss = {bumpy(lowest):.4f}")
        """),
        md("""
        Starting at `w = 2` with a small learning rate, gradient descent slides into the
        right-hand valley and stops: at the bottom of *any* valley the slope is zero, so
        `w − lr · 0` is `w` again. It has no way of knowing that a deeper valley exists
        over the hump.

        A larger learning rate takes bigger steps. From the same start, `lr = 0.1` makes a
        first step long enough to land on the far side of the hump, and the walk ends in the
        deeper valley. That is the hope behind larger steps — but it is luck, not a method:
        at `lr = 0.2` the very same walk flies off instead (printed below).
        """),
        code("""
        big, _ = descend_bumpy(lr=0.1, w0=2.0)
        print(f"lr = 0.1 from w = 2: w goes {big[0]:.2f} → {big[1]:.2f} → ... → {big[-1]:.4f}, "
              f"loss = {bumpy(big[-1]):.4f}")
        wild, _ = descend_bumpy(lr=0.2, w0=2.0, steps=4)
        print("lr = 0.2 from w = 2: w goes " + " → ".join(f"{p:.4g}" for p in wild) + " → ...")

        curve = [g / 100 for g in range(-190, 215)]
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
        for ax, (path, title) in zip(axes, [(small, "lr = 0.01: stuck in the local minimum"),
                                            (big, "lr = 0.1: one long step over the hump")]):
            ax.plot(curve, [bumpy(c) for c in curve], color="tab:blue", lw=1)
            ax.plot(path[:40], [bumpy(p) for p in path[:40]], "o-", color="tab:red", ms=3, lw=0.8)
            ax.plot(path[:1], [bumpy(path[0])], "o", color="black", ms=6, label="start")
            ax.plot(path[-1:], [bumpy(path[-1])], "*", color="gold", mec="black", ms=14,
                    label="end")
            ax.set(title=title, xlabel="w", ylim=(-4.2, 7))
            ax.legend(loc="upper center")
        axes[0].set_ylabel("loss")
        plt.tight_layout()
        plt.show()
        """),
        md("""
        ## What to take away

        - A **loss** is one number for how wrong the model is; learning is making it small.
        - The **slope** `dL/dw` (from `backward()`) says which way is downhill, and how steep.
        - **Gradient descent** repeats `w ← w − lr · slope` until the loss stops falling;
          remember to reset `.grad` before each `backward()`.
        - The **learning rate** is a trade-off: too small crawls, too large oscillates or
          diverges.
        - Where the slope is zero the walk stops, even in a **local minimum**.

        With thousands of weights, each gets its own partial derivative and its own step, all
        from one `backward()`. How that one call finds every slope is the subject of
        notebook 5 (backpropagation); how to choose better steps than `lr · slope` is
        notebook 4 (optimizers).
        """),
    ]


# ---------------------------------------------------------------------------------------------
# 4. Optimizers
# ---------------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[tuple[str, str]]) -> str:
    """A markdown table; rows are kept as Python strings so the script stays within 100 columns."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


OPTIMIZER_IDEAS = [
    (
        "**SGD**",
        "The baseline: `w ← w − lr · g`. Every weight takes a step proportional to its own slope.",
    ),
    (
        "**Momentum**",
        "Keeps a running *velocity*, `v ← 0.9 · v + g`, and steps along it. Pushes that agree "
        "add up and speed along a long valley; pushes that flip back and forth cancel out.",
    ),
    (
        "**AdaGrad**",
        "Divides each weight's step by the square root of the sum of all its squared gradients "
        "so far. Weights with small gradients get relatively larger steps, but the sum only "
        "grows, so all steps shrink over time.",
    ),
    (
        "**RMSProp**",
        "AdaGrad with a *moving average* of squared gradients instead of the sum, so the steps "
        "adapt to recent slopes and do not die out.",
    ),
    (
        "**AdaDelta**",
        "Like RMSProp, but also tracks the average size of its own recent updates and uses it "
        "in place of the learning rate. Its first steps are tiny, and it speeds up as the "
        "updates grow.",
    ),
    (
        "**Adam**",
        "Momentum and RMSProp together: a moving average of the gradient, divided by the root "
        "of a moving average of its square, with a correction for the first steps (both "
        "averages start at zero). The usual default.",
    ),
    (
        "**AdamW**",
        "Adam plus *weight decay* applied directly to the weights: each step also shrinks every "
        "weight a little towards zero, which keeps a network from relying on huge weights.",
    ),
]


def optimizers() -> list:
    return [
        md("""
        # 4 · Optimizers: smarter steps downhill

        Notebook 3 ended with two problems of plain gradient descent: one **learning rate**
        (학습률) for everything, which is too small in some places and too large in
        others, and a walk that stops wherever the slope is zero. The **optimizers** in
        `nn.optim` keep the idea — step against the gradient — but adapt the step as training
        goes, using what they remember of earlier gradients.

        First we race them on a 2-D loss surface, where their paths can be drawn; then on a
        real training task, where only the loss curves can. All of them are used the same
        way:

        ```python
        opt = Adam(model.parameters(), lr=0.01)
        opt.zero_grad()      # clear the old gradients
        loss.backward()      # compute the new ones
        opt.step()           # update every weight by the optimizer's rule
        ```
        """),
        code("""
        %matplotlib inline
        import random

        import matplotlib.pyplot as plt
        from matplotlib.colors import LogNorm

        from engine import Value
        from nn import MLP, datasets, fit
        from nn.optim import SGD, AdaDelta, AdaGrad, Adam, AdamW, Momentum, RMSProp, trajectory

        SEED = 0
        random.seed(SEED)
        plt.rcParams.update({"figure.dpi": 100})
        """),
        md("""
        ## What each one adds

        Write `g` for a weight's gradient at the current step.
        """),
        md(_table(["optimizer", "its idea, in a sentence or two"], OPTIMIZER_IDEAS)),
        md("""
        ## A race on a curved valley

        The loss surface below has two weights and a long, curved, narrow valley, with its
        lowest point at `(1, 1)` (the gold star). It is a classic test for optimizers (the
        Rosenbrock function, made a little gentler): the walls are steep, so the gradient
        mostly points across the valley rather than along it. Each optimizer starts at the
        black dot and takes 300 steps, with a learning rate picked to suit it.
        """),
        code("""
        START = (-1.5, 2.0)


        def valley(a, b):
            \"\"\"A curved valley with its minimum 0 at (1, 1); works on numbers and Values.\"\"\"
            return (1 - a) ** 2 + 10 * (b - a ** 2) ** 2


        w1, w2 = Value(START[0], label="w1"), Value(START[1], label="w2")
        params = [w1, w2]
        racers = {
            "SGD": SGD(params, lr=0.01),
            "Momentum": Momentum(params, lr=0.002),
            "AdaGrad": AdaGrad(params, lr=0.5),
            "RMSProp": RMSProp(params, lr=0.01),
            "AdaDelta": AdaDelta(params, lr=1.0),
            "Adam": Adam(params, lr=0.05),
            "AdamW": AdamW(params, lr=0.05, weight_decay=0.1),
        }
        # trajectory() runs the optimizer and puts the weights back, so every racer starts alike
        paths = {name: trajectory(lambda: valley(w1, w2), opt, steps=300)
                 for name, opt in racers.items()}
        for name, path in paths.items():
            end = path[-1]
            print(f"{name:>8}: ends at ({end[0]:+.3f}, {end[1]:+.3f}), loss {valley(*end):.2e}")
        """),
        code("""
        xs = [-2 + 3.5 * i / 149 for i in range(150)]
        ys = [-1 + 4.5 * j / 149 for j in range(150)]
        surface = [[valley(x, y) for x in xs] for y in ys]
        levels = [10 ** (k / 4) for k in range(-12, 14)]      # four contour lines per decade

        fig, axes = plt.subplots(2, 4, figsize=(15, 7.4), dpi=80)
        for ax, (name, path) in zip(axes.flat, paths.items()):
            ax.contourf(xs, ys, surface, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.5)
            ax.plot([p[0] for p in path], [p[1] for p in path], color="tab:red", lw=1.5)
            ax.plot(*START, "o", color="black")
            ax.plot(1, 1, "*", color="gold", mec="black", ms=14)
            ax.set(title=f"{name}: loss {valley(*path[-1]):.1g} after 300 steps",
                   xlabel="w1", ylabel="w2", xlim=(-2, 1.5), ylim=(-1, 3.5))
        ax = axes.flat[-1]
        for name, path in paths.items():
            ax.plot([valley(*p) for p in path], label=name, lw=1.2)
        ax.set(yscale="log", xlabel="step", ylabel="loss (log scale)", title="the race")
        ax.legend(fontsize=8)
        plt.tight_layout()
        plt.show()
        """),
        md("""
        What the paths show:

        - **SGD** dives down the steep wall, then creeps along the flat valley floor: there
          the gradient is small, so its steps are small.
        - **Momentum** overshoots the wall at first and wobbles, but then builds up speed
          along the valley floor and gets much closer to the star.
        - **AdaGrad** takes the same-sized first step in both directions (each coordinate is
          divided by its own gradient size), then slows down as its sums grow.
        - **RMSProp** divides each gradient by its own typical size, so every step is about
          `lr` long whatever the slope: at `lr = 0.01` it travels at a steady pace and has
          not reached the end of the valley after 300 steps.
        - **AdaDelta** gets only part of the way down the first wall: its self-made step
          size starts tiny and grows slowly. It was designed for long training runs, not
          short races.
        - **Adam**, with momentum and per-weight scaling, reaches the minimum.
        - **AdamW** follows Adam, but its weight decay pulls both weights towards zero, so it
          settles a little short of `(1, 1)`: on a real network that pull is a feature (it
          discourages large weights), here it is a visible bias.

        ## A race on a real task

        A 2-D surface is a cartoon; a network has many weights. Here every optimizer trains
        the same small network — same data, same starting weights (same seed) — to separate
        two rings of points, for 80 full passes over the data (epochs):
        """),
        code("""
        X, y = datasets.circles(n=80, noise=0.1, seed=SEED)

        fig, ax = plt.subplots(figsize=(4, 4))
        ax.scatter([p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm",
                   edgecolors="k", linewidths=0.5)
        ax.set(title="two rings", xlabel="x₁", ylabel="x₂", aspect="equal")
        plt.show()
        """),
        code("""
        settings = {"SGD": (SGD, 0.5), "Momentum": (Momentum, 0.05), "AdaGrad": (AdaGrad, 0.2),
                    "RMSProp": (RMSProp, 0.02), "AdaDelta": (AdaDelta, 1.0),
                    "Adam": (Adam, 0.05), "AdamW": (AdamW, 0.05)}
        histories = {}
        for name, (Optimizer, lr) in settings.items():
            model = MLP(2, [8, 1], activation="tanh", seed=SEED)     # the same start for all
            histories[name] = fit(model, X, y, loss="bce_with_logits",
                                  optimizer=Optimizer(model.parameters(), lr=lr),
                                  epochs=80, progress=False)
            h = histories[name]
            print(f"{name:>8} (lr {lr:<4}): final loss {h.loss[-1]:.3f}, "
                  f"accuracy {h.accuracy[-1]:.0%}")

        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
        for name, h in histories.items():
            left.plot(range(1, h.epochs + 1), h.loss, label=name)
            right.plot(range(1, h.epochs + 1), h.accuracy, label=name)
        left.set(xlabel="epoch", ylabel="training loss", title="loss, side by side")
        right.set(xlabel="epoch", ylabel="accuracy", title="accuracy, side by side",
                  ylim=(0.4, 1.02))
        left.legend(fontsize=9)
        plt.tight_layout()
        plt.show()
        """),
        md("""
        The adaptive optimizers (AdaGrad, RMSProp, Adam, AdamW) leave the starting plateau
        quickly and classify every point; SGD and Momentum are still working their way off
        it after 80 epochs. (Momentum was given a tenth of SGD's learning rate: on a steady
        slope its velocity grows to ten times the gradient, so their long-run step is the
        same.) AdaDelta again starts slowly. Adam and AdamW draw almost the same curve: with
        only 33 weights and 80 epochs, the weight decay hardly has anything to act on.

        Do not read this as a ranking. Each result depends on the learning rate we picked,
        and with more epochs or other rates the order changes. What the race does show is
        *why* the adaptive methods are popular: they are much less sensitive to how the loss
        is scaled along each weight, so one learning rate works in more places. Adam with a
        learning rate around 0.001–0.05 is the usual first thing to try.

        ## What to take away

        - All optimizers step against the gradient; they differ in what they remember.
        - **Momentum** remembers the direction (a velocity); **AdaGrad / RMSProp / AdaDelta**
          remember the size of each weight's gradients and scale its step; **Adam** does
          both; **AdamW** adds a gentle pull of the weights towards zero.
        - The learning rate still matters, for every one of them.
        """),
    ]


# ---------------------------------------------------------------------------------------------
# 5. Backpropagation by hand
# ---------------------------------------------------------------------------------------------


def backprop_by_hand() -> list:
    return [
        md("""
        # 5 · Backpropagation by hand

        Gradient descent (notebook 3) needs the slope of the total error `E` with respect to
        *every* weight. **Backpropagation** (역전파) is how those slopes are found: start at
        the output, where the error is measured, and work backwards layer by layer,
        multiplying local effects as you go. In this notebook you do it yourself, factor by
        factor, for one weight of a small network:

        `dE/dw3 = dz3/dw3 · da3/dz3 · dE/da3`

        and then check every factor against what the engine recorded: its local derivatives,
        `chain_rule` and `backward_steps`. Finally we update the weights, output layer
        first, and see the error fall.
        """),
        code("""
        %matplotlib inline
        import random

        import matplotlib.pyplot as plt

        from engine import Value, chain_rule, draw_graph

        random.seed(0)  # the weights below are written out, but every lesson starts the same way
        plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})
        """),
        md("""
        ## The network

        Two inputs — say this shop's sales in June and July, scaled to between 0 and 1 —
        and one output, the prediction for August. Between them, a **hidden layer** (은닉층)
        of two neurons. Every neuron computes a weighted sum `z` and passes it through the
        sigmoid, `a = sigmoid(z) = 1 / (1 + e^(−z))`, which squeezes any number into `(0, 1)`:

        ```
        z1 = w11·x1 + w12·x2 + b1      a1 = sigmoid(z1)      (hidden neuron 1)
        z2 = w21·x1 + w22·x2 + b2      a2 = sigmoid(z2)      (hidden neuron 2)
        z3 = w31·a1 + w32·a2 + b3      a3 = sigmoid(z3)      (output neuron 3)
        E  = ½ · (a3 − t)²                                   (the error against the truth t)
        ```

        A weight's name says where it goes: `w31` is the weight *into neuron 3 from neuron
        1* (the textbook's "w3"). The ½ in the error is there only to cancel the 2 that
        differentiating the square brings down. The function below builds the network from
        labelled `Value`s, so every name shows up in the drawings and printouts.
        """),
        code("""
        x = {"x1": 0.6, "x2": 0.8}   # June, July
        t = 0.9                      # August, the value to predict
        weights = {
            "w11": 0.5, "w12": -0.3, "b1": 0.1,
            "w21": 0.2, "w22": 0.7, "b2": -0.2,
            "w31": 0.9, "w32": -0.4, "b3": 0.05,
        }


        def forward(weights):
            \"\"\"The network's graph for these weights: a dict of every named Value.\"\"\"
            v = {name: Value(number, label=name) for name, number in {**x, **weights}.items()}
            for j in ("1", "2"):  # the hidden layer
                v["z" + j] = v[f"w{j}1"] * v["x1"] + v[f"w{j}2"] * v["x2"] + v["b" + j]
                v["a" + j] = v["z" + j].sigmoid()
            v["z3"] = v["w31"] * v["a1"] + v["w32"] * v["a2"] + v["b3"]
            v["a3"] = v["z3"].sigmoid()
            v["t"], v["½"] = Value(t, label="t"), Value(0.5, label="½")
            v["E"] = v["½"] * (v["a3"] - v["t"]) ** 2
            for name in ("z1", "a1", "z2", "a2", "z3", "a3", "E"):
                v[name].label = name
            return v


        v = forward(weights)
        for name in ("z1", "a1", "z2", "a2", "z3", "a3", "E"):
            print(f"{name:>2} = {v[name].data:.6f}")
        """),
        md("""
        The network predicts `a3 ≈ 0.572` where the truth is `0.9`. To do better, which way
        should `w31` move, and how strongly does it matter?

        ## dE/dw31, factor by factor

        `w31` does not touch `E` directly. It changes `z3`, which changes `a3`, which
        changes `E`. So the chain rule splits the question into three small ones, each about
        a single step of the computation:

        1. **`dz3/dw31`** — how much does `z3 = w31·a1 + w32·a2 + b3` move when `w31` moves?
           Only the first term holds `w31`, so the answer is its partner: `a1`.
        2. **`da3/dz3`** — the sigmoid's slope at `z3`. The sigmoid has the neat property
           `sigmoid'(z) = sigmoid(z) · (1 − sigmoid(z))`, so this is `a3 · (1 − a3)`.
        3. **`dE/da3`** — the error's slope: `d/da3 of ½(a3 − t)²` is `a3 − t`.

        With plain numbers, no engine:
        """),
        code("""
        a1, a3 = v["a1"].data, v["a3"].data
        dz3_dw31 = a1
        da3_dz3 = a3 * (1 - a3)
        dE_da3 = a3 - t
        dE_dw31 = dz3_dw31 * da3_dz3 * dE_da3
        print(f"dz3/dw31 = a1              = {dz3_dw31:.6f}")
        print(f"da3/dz3  = a3 · (1 − a3)   = {da3_dz3:.6f}")
        print(f"dE/da3   = a3 − t          = {dE_da3:.6f}")
        print(f"dE/dw31  = product         = {dE_dw31:.6f}")
        """),
        md("""
        Negative: increasing `w31` *decreases* the error, so gradient descent will increase
        it. That makes sense — the prediction is too low, and `a1` is positive, so a larger
        `w31` lifts `z3` and with it `a3`.

        ## Checking every factor against the engine

        The engine stored a local derivative on every edge of the graph while it computed
        the forward pass. `chain_rule` lists the edges from `w31` to `E` with their local
        derivatives:
        """),
        code("""
        path_w31 = chain_rule(v["E"], v["w31"])
        print(path_w31)
        """),
        md("""
        The engine's chain has more links than ours, because it records every operation
        separately: the weighted sum is two products and two additions (`mul3`, `add3`), and
        `E` is a subtraction, a square and a multiplication by ½ (`sub1`, `pow1`, `E`).
        Each addition passes changes through with factor 1. Grouping the links back into our
        three steps gives the same factors:
        """),
        code("""
        factors = path_w31.paths[0].factors
        engine_dz3_dw31 = factors[0] * factors[1] * factors[2]   # mul3, add3, z3
        engine_da3_dz3 = factors[3]                              # the sigmoid
        engine_dE_da3 = factors[4] * factors[5] * factors[6]     # sub1, pow1, E = ½ · pow1
        for name, ours, theirs in [("dz3/dw31", dz3_dw31, engine_dz3_dw31),
                                   ("da3/dz3", da3_dz3, engine_da3_dz3),
                                   ("dE/da3", dE_da3, engine_dE_da3)]:
            print(f"{name:>9}: by hand {ours:.12f}   engine {theirs:.12f}")

        print("\\nthe sigmoid node's own record, a3.local_grads =", v["a3"].local_grads)
        """),
        md("""
        Now let `backward()` do the whole thing and compare the result with our product.
        Then rebuild the graph and run the same backward pass with `backward_steps()`,
        printing only the steps on the way from `E` to `w31`: each step multiplies the
        gradient that has arrived so far (`dE/d(node)`) by one more local derivative.
        """),
        code("""
        v["E"].backward()
        print(f"backward(): dE/dw31 = {v['w31'].grad:.12f}")
        print(f"by hand:    dE/dw31 = {dE_dw31:.12f}")

        fresh = forward(weights)
        on_path = set(chain_rule(fresh["E"], fresh["w31"]).paths[0].nodes)
        print()
        for step in fresh["E"].backward_steps():
            if step.parent in on_path:
                print(step)
        """),
        md("""
        Read the list from the top: it starts at `E` and ends at `w31`, and the last number
        is our `dE/dw31`. In the drawing of the whole network (inputs at the top, the error at
the bottom), the path is highlighted:
        """),
        code("""
        draw_graph(v["E"], highlight=path_w31, rankdir="TB")
        """),
        md("""
        ## A weight in the hidden layer

        `w11` sits one layer further from the output. Its path to `E` is longer: `w11`
        changes `z1`, then `a1`, then `z3`, `a3` and `E`:

        `dE/dw11 = dz1/dw11 · da1/dz1 · dz3/da1 · da3/dz3 · dE/da3`

        The last two factors are the *same* ones we already computed for `w31`. Their
        product `dE/dz3` is often called the output neuron's **error signal** (δ3): how much
        the error changes per unit of `z3`. Every weight behind neuron 3 reuses it. This is
        why the computation runs from the output backwards: each layer's error signals are
        built from the next layer's, and nothing is computed twice.
        """),
        code("""
        a1 = v["a1"].data
        delta3 = da3_dz3 * dE_da3                      # dE/dz3, computed once
        dz1_dw11 = x["x1"]
        da1_dz1 = a1 * (1 - a1)
        dz3_da1 = weights["w31"]                        # the partner of a1 in z3
        dE_dw11 = dz1_dw11 * da1_dz1 * dz3_da1 * delta3
        print(f"δ3 = dE/dz3 = {delta3:.6f}")
        print(f"dE/dw11 = {dz1_dw11} · {da1_dz1:.6f} · {dz3_da1} · δ3 = {dE_dw11:.12f}")
        print(f"backward(): dE/dw11 = {v['w11'].grad:.12f}")
        """),
        md("""
        One subtlety hides in `dz3/da1 = w31`: the gradient of a hidden weight uses the
        *current* value of the weight in front of it. So all gradients must be computed
        before any weight changes. `backward()` does exactly that: one pass fills in every
        `.grad`, and only then do we update.

        ## Updating, from the output layer backwards

        With every gradient known, each weight takes its gradient-descent step
        `w ← w − lr · dE/dw`. We go in the order backpropagation found them: the output
        layer (`w31, w32, b3`) first, then the hidden layer.
        """),
        code("""
        lr = 0.5
        layers = {"output layer": ["w31", "w32", "b3"],
                  "hidden layer": ["w11", "w12", "b1", "w21", "w22", "b2"]}
        new_weights = dict(weights)
        for layer, names in layers.items():
            print(layer)
            for name in names:
                g = v[name].grad
                new_weights[name] = weights[name] - lr * g
                print(f"  {name:>3}: {weights[name]:+.4f} − {lr} · ({g:+.6f}) = "
                      f"{new_weights[name]:+.6f}")

        after = forward(new_weights)
        print(f"\\nprediction {v['a3'].data:.6f} → {after['a3'].data:.6f}  (truth {t})")
        print(f"error E    {v['E'].data:.6f} → {after['E'].data:.6f}")
        """),
        md("""
        The output-layer weights moved more than the hidden ones: their gradients are
        larger, because the hidden weights' influence is passed through one more sigmoid
        slope (at most ¼) and one more weight. The prediction moved towards `0.9`, and the
        error fell. Repeat the same three moves — forward, backward, update — and it keeps
        falling:
        """),
        code("""
        current = dict(weights)
        errors = []
        for step in range(100):
            net = forward(current)
            net["E"].backward()
            errors.append(net["E"].data)
            current = {name: w - lr * net[name].grad for name, w in current.items()}

        fig, ax = plt.subplots(figsize=(6, 3.4))
        ax.plot(errors, "o-", ms=3)
        ax.set(xlabel="update step", ylabel="error E",
               title="Forward, backward, update — repeated")
        plt.show()
        print(f"after {len(errors)} steps: prediction {forward(current)['a3'].data:.4f} "
              f"(truth {t}), E = {forward(current)['E'].data:.2e}")
        """),
        md("""
        ## What to take away

        - The gradient of the error with respect to a weight is the product of local
          derivatives along its path to the output: for an output weight,
          `dE/dw3 = dz3/dw3 · da3/dz3 · dE/da3`.
        - Each factor is small and local: the partner input of a product, the activation's
          slope, the error's slope. The engine records them in `local_grads` during the
          forward pass; `chain_rule` and `backward_steps` show them being multiplied.
        - Weights further from the output reuse the error signals of the layers after them,
          which is why backpropagation starts at the output and works backwards.
        - Compute every gradient first, then update every weight.
        """),
    ]


# ---------------------------------------------------------------------------------------------
# 6. Training a classifier
# ---------------------------------------------------------------------------------------------


def classifier() -> list:
    return [
        md("""
        # 6 · Training a classifier

        Everything so far comes together: a network with hidden layers and activations
        (notebook 2), a loss function (손실함수) and gradient descent (notebook 3), an
        optimizer (notebook 4), and backpropagation (notebook 5) computing every gradient.
        `nn.fit` runs the loop — forward, loss, backward, update — epoch after epoch, shows
        a progress bar, and can stop by itself when the loss stops improving.

        Two tasks:

        1. **moons** — two interleaved half-circles, a yes/no (binary) problem;
        2. **spirals** — three intertwined spiral arms, a three-class problem, with softmax
           and the cross-entropy loss.

        And at the end, saving the trained model to a file and loading it back.
        """),
        code("""
        %matplotlib inline
        import json
        import os
        import random
        import tempfile

        import matplotlib.pyplot as plt

        import nn
        from nn import MLP, datasets, evaluate, fit

        SEED = 0
        random.seed(SEED)
        plt.rcParams.update({"figure.dpi": 100})
        home = os.getcwd()
        scratch = tempfile.TemporaryDirectory()   # the saved model goes to a scratch folder
        os.chdir(scratch.name)
        """),
        md("""
        ## Moons: a binary classifier

        One set of points to train on, and a second set, drawn from the same shapes but never
        shown to the network during training, to test it on. A model that merely memorised
        its training points would do well on the first and badly on the second.
        """),
        code("""
        X, y = datasets.moons(n=100, noise=0.15, seed=SEED)
        X_test, y_test = datasets.moons(n=100, noise=0.15, seed=SEED + 1)

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True, sharey=True)
        for ax, (points, labels, title) in zip(
                axes, [(X, y, "training set"), (X_test, y_test, "test set")]):
            ax.scatter([p[0] for p in points], [p[1] for p in points], c=labels, cmap="coolwarm",
                       edgecolors="k", linewidths=0.5, s=25)
            ax.set(title=title, xlabel="x₁", ylabel="x₂")
        plt.tight_layout()
        plt.show()
        """),
        md("""
        The network: two inputs, two hidden layers of 8 tanh neurons, one output score
        (positive means class 1). The loss is binary cross-entropy on that score
        (`bce_with_logits`), the optimizer Adam with learning rate (학습률) 0.05.

        **Early stopping.** We allow up to 300 epochs, but with `patience=10` training ends
        as soon as 10 epochs in a row have failed to lower the loss by at least
        `min_delta=0.001` — the lesson's "repeat until the total loss stops decreasing",
        made precise. The progress bar shows the epoch, the loss and the accuracy as it runs.
        """),
        code("""
        model = MLP(2, [8, 8, 1], activation="tanh", seed=SEED)
        print(model, f"with {len(model.parameters())} parameters")
        history = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05,
                      epochs=300, patience=10, min_delta=1e-3, seed=SEED)
        print(history)
        """),
        md("""
        (The bar is a live widget in Jupyter; a page showing the saved notebook without a
        running kernel may show it in its starting state. The line under it is the summary.)

        The **learning curve** — loss and accuracy per epoch — shows the usual shape: a fast
        drop, then a long flattening tail, until early stopping ends it. The dotted line marks
        the "best" epoch in the early-stopping sense: the last one that improved on the best
        loss so far by more than `min_delta`. Later epochs may still shave off a little, as
        the summary line shows, but less than `min_delta` each time: not worth waiting for.
        (`fit(..., restore_best_weights=True)` would put back that epoch's weights.)
        """),
        code("""
        nn.plot.loss_curve(history)
        plt.show()
        """),
        md("""
        On the test points the network has never seen:
        """),
        code("""
        test_loss, test_accuracy = evaluate(model, X_test, y_test, loss="bce_with_logits")
        print(f"training accuracy {history.accuracy[-1]:.0%}, "
              f"test accuracy {test_accuracy:.0%} (test loss {test_loss:.3f})")

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
        nn.plot.decision_boundary(model, X, y, ax=axes[0])
        axes[0].set_title("decision boundary, training points")
        nn.plot.decision_boundary(model, X_test, y_test, ax=axes[1])
        axes[1].set_title("the same boundary, test points")
        plt.tight_layout()
        plt.show()
        """),
        md("""
        The boundary curls between the two moons, and the test accuracy is as high as the
        training accuracy: the network learned the *shape* of the data, not just the points
        it was shown. (A test set is the honest measure; a model can always do well on the
        points it trained on.)

        ## Spirals: three classes with softmax and cross-entropy

        Three spiral arms, one per class. A straight line cannot separate even two of them.
        """),
        code("""
        Xs, ys = datasets.spirals(n=90, classes=3, noise=0.1, seed=SEED)
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.scatter([p[0] for p in Xs], [p[1] for p in Xs], c=ys, cmap="viridis",
                   edgecolors="k", linewidths=0.5, s=25)
        ax.set(title="three spiral arms", xlabel="x₁", ylabel="x₂", aspect="equal")
        plt.show()
        """),
        md("""
        With three classes the network has three outputs, one score per class. **Softmax**
        turns the scores into probabilities, and the **cross-entropy** loss is minus the log
        of the probability given to the correct class: near 0 when the network is confidently
        right, large when it is confidently wrong. Here it is worked out for one point with an
        untrained network, by hand and by `nn.cross_entropy`:
        """),
        code("""
        spiral_model = MLP(2, [8, 8, 3], activation="tanh", seed=SEED)
        point, label = Xs[0], ys[0]
        scores = spiral_model(point)
        probs = nn.softmax(scores)
        print("scores       ", [round(s.data, 4) for s in scores])
        print("softmax      ", [round(p.data, 4) for p in probs])
        print(f"correct class {label}:  −log p = {-probs[label].log().data:.4f}")
        print(f"nn.cross_entropy         = {nn.cross_entropy([scores], [label]).data:.4f}")

        start_loss = nn.cross_entropy([spiral_model(x) for x in Xs], ys).data
        print(f"\\naverage over all {len(Xs)} points: {start_loss:.4f}")
        """),
        md("""
        An untrained network's scores are arbitrary: right for some points, wrong for others
        (this point's correct class gets a low probability, so its loss is large). Averaged
        over all points the loss is about what blind guessing gives, `−log(1/3) ≈ 1.10`.
        Training pushes the right class's probability towards 1 everywhere.

        This time we train on **mini-batches** of 30 points: the weights are updated after
        every batch rather than once per pass over the data, three updates per epoch, in an
        order reshuffled every epoch (seeded, so the run is repeatable).
        """),
        code("""
        spiral_history = fit(spiral_model, Xs, ys, loss="cross_entropy", optimizer="adam",
                             lr=0.05, epochs=150, batch_size=30, patience=10, min_delta=1e-3,
                             seed=SEED)
        print(spiral_history)

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
        nn.plot.loss_curve(spiral_history, ax=axes[0])
        nn.plot.decision_boundary(spiral_model, Xs, ys, ax=axes[1], resolution=100)
        axes[1].set_title("three classes, three regions")
        plt.tight_layout()
        plt.show()
        """),
        md("""
        ## Saving and loading

        A trained model is just its numbers. `model.save(path)` writes them, with the model's
        shape, to a small JSON file (readable text, never pickle); `load` reads them back
        into a model of the same shape, after checking that the shapes agree.
        """),
        code("""
        spiral_model.save("spirals.json")
        print(f"spirals.json: {os.path.getsize('spirals.json'):,} bytes")
        with open("spirals.json") as file:
            saved = json.load(file)
        print("keys:", list(saved))
        """),
        code("""
        restored = MLP(2, [8, 8, 3], activation="tanh", seed=123)   # different random weights
        restored.load("spirals.json")

        same = all(a.data == b.data for x in Xs for a, b in zip(spiral_model(x), restored(x)))
        print("the restored model gives exactly the same scores on every point:", same)
        print("restored accuracy:", evaluate(restored, Xs, ys, loss="cross_entropy")[1])
        """),
        md("""
        Loading into a model of another shape fails with a message saying what differs,
        and leaves the model untouched:
        """),
        code("""
        wrong = MLP(2, [4, 3], seed=SEED)
        before = wrong.state_dict()
        try:
            wrong.load("spirals.json")
        except ValueError as error:
            print(f"{type(error).__name__}: {error}")
        print("model unchanged:", wrong.state_dict() == before)
        """),
        code("""
        os.chdir(home)          # leave the scratch folder, and remove it with the saved model
        scratch.cleanup()
        """),
        md("""
        ## What to take away

        - `fit` is the training loop of the lessons: forward, loss, backward, step; with
          `patience` it stops when the loss stops improving.
        - Learning curves show how training went; decision boundaries show what was learned;
          a test set shows whether it generalises.
        - One output with `bce_with_logits` for yes/no; one output per class with softmax and
          `cross_entropy` for several classes.
        - `save` and `load` keep a trained model as plain JSON.
        """),
    ]


NOTEBOOKS = {
    "01_derivatives_and_the_chain_rule.ipynb": derivatives,
    "02_perceptron_and_activations.ipynb": activations,
    "03_loss_and_gradient_descent.ipynb": gradient_descent,
    "04_optimizers.ipynb": optimizers,
    "05_backpropagation_by_hand.ipynb": backprop_by_hand,
    "06_training_a_classifier.ipynb": classifier,
}


def build(cells: list) -> nbformat.NotebookNode:
    """A notebook of these cells with kernelspec python3 and stable cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids keep rebuilds free of noise in diffs
    nb.cells = cells
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell with the python3 kernel in a fresh temporary folder; outputs are kept."""
    workdir = tempfile.mkdtemp(prefix="scalarflow-nb-")
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
        shutil.rmtree(workdir, ignore_errors=True)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Outputs that do not change from run to run, so a rebuild's diff shows real changes.

    Consecutive prints to one stream become one output (the kernel splits them by timing),
    and object addresses (``<graphviz.graphs.Digraph at 0x7f...>``) are dropped from the
    plain-text fallbacks of pictures.
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
        cell.outputs = merged
    return nb


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """What keeps a notebook from being committed: errors, absolute paths, missing outputs."""
    found = []
    if nb.metadata.get("kernelspec", {}).get("name") != KERNEL:
        found.append(f"kernelspec is not {KERNEL}")
    for i, cell in enumerate(nb.cells):
        if ABSOLUTE_PATH.search(cell.source):
            found.append(f"cell {i}: an absolute path in the source")
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
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="build only notebooks whose name contains these")
    parser.add_argument("--no-execute", action="store_true", help="write cells without outputs")
    args = parser.parse_args(argv)
    chosen = {n: f for n, f in NOTEBOOKS.items() if not args.only or any(o in n for o in args.only)}
    if not chosen:
        print(f"no notebook matches {' '.join(args.only)}", file=sys.stderr)
        return 2
    NOTEBOOK_DIR.mkdir(exist_ok=True)
    for name, cells in chosen.items():
        nb = build(cells())
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
            print(f"{name}: ran in {seconds:.1f} s, {size / 1000:.0f} kB")
        nbformat.write(nb, NOTEBOOK_DIR / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
