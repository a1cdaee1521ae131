# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8 · Backward as code
#
# `backward()` walks the graph at run time: for every arrow it does one multiply-and-add,
# `parent.grad += ∂child/∂parent · child.grad`, and for every new example the graph is
# built and walked again. But the graph of one example has the same shape as the graph
# of the next; only the numbers differ. `engine.compile` uses that: it traces the graph
# once and writes the walk out as Python source, one line per multiply-and-add, then
# runs that code on a whole batch of examples at a time.
#
# 1. compile one neuron and read the code: the chain rule as lines of Python;
# 2. check that it computes exactly what `backward()` computes;
# 3. compile a network of 4,417 parameters, time it against the eager engine, and train it
#    on 2,000 points.

# %%
# %matplotlib inline
import math
import random
import time

import matplotlib.pyplot as plt
import numpy as np

from engine import Value, compile
from nn import MLP, datasets
from nn.exercises.lesson8 import check_backward, check_line_count  # the exercises
from nn.optim import Adam

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## One neuron, compiled
#
# A neuron with weight `w` and bias `b`, and the squared error of its answer for one
# example `(x, y)`. `compile` runs the function once on an example to trace its graph
# (the numbers of the example do not matter, only the shape of the computation), and
# `params` says which Values are the weights whose gradients we want.

# %%
w = Value(0.5, label="w")
b = Value(0.0, label="b")


def loss(x, y):
    """The squared error of one neuron, tanh(w·x + b), on one example."""
    return ((w * x + b).tanh() - y) ** 2


step = compile(loss, (1.0, 0.0), params=[w, b])
print(step.graph)

# %% [markdown]
# That is what the trace recorded, one equation per node: `p0` and `p1` are the
# parameters `w` and `b`, `x` and `y` the example, and each `v` a node of the graph,
# named by its place in it. `compile` writes these equations out as Python, forward
# and backward:

# %%
print(step.source_per_node)

# %% [markdown]
# This is the code for a batch of plain Python numbers, one example per turn of the
# loop. Read it in two halves:
#
# - **forward**, top to bottom: one line per node of the graph, `v2 = p0 * v1` is
#   `w · x`, then `+ b`, `tanh`, `− y`, the square. The comment names the operation.
# - **backward**, from `g8 = scale` down: one line per arrow, in the order
#   `backward()` walks them. Each one is the local derivative `∂child/∂parent` times
#   the gradient that has arrived at the child, and its comment is that derivative's
#   rule written in the code's own names: `g4 = (1.0 - v5 * v5) * g5` is tanh's
#   derivative `1 − tanh²` times `dL/d(tanh)`, and its comment says so,
#   `∂v5/∂v4 = 1 - tanh(v4)²`. The gradients
#   of `w` and `b`, `gp0` and `gp1`, say `+=`, because every example of the batch adds
#   its share to them.
#
# Nothing here is new: it is notebook 1's chain rule, written out once instead of
# rediscovered for every example.
#
# ## The same numbers as `backward()`
#
# Called on a batch, the step returns the mean loss and *adds* the gradient of that
# mean to `w.grad` and `b.grad`, as `backward()` would. The eager engine on the same
# three examples:

# %%
xs, ys = [1.0, 2.0, -1.0], [0.0, 1.0, 0.0]
compiled_loss = step(xs, ys)
compiled_grads = (w.grad, b.grad)

w.grad = b.grad = 0.0
eager = sum(loss(x, y) for x, y in zip(xs, ys)) / len(xs)
eager.backward()
print(f"mean loss   compiled {compiled_loss:.15f}   eager {eager.data:.15f}")
print(f"dL/dw       compiled {compiled_grads[0]:.15f}   eager {w.grad:.15f}")
print(f"dL/db       compiled {compiled_grads[1]:.15f}   eager {b.grad:.15f}")

# %% [markdown]
# ## A batch at once: layers become matrix products
#
# Given numpy arrays instead of lists, the same step runs other code: every example
# goes through each line at once, and the neurons of a layer, which all compute
# `Σ w·x + b` on the same inputs, become one matrix product. `step.source` shows the
# code that runs:

# %%
print(step.source)

# %% [markdown]
# The same neuron, batch-wide: `z1 = x_z1 @ W_z1.T + b_z1` is `w · x + b` for every
# example at once (here the weight matrix is 1×1; in a layer of 64 neurons it has 64
# rows), and at the end of backward `gW_z1 = g_z1.T @ x_z1` is every weight's gradient,
# summed over the batch, in one matrix product.

# %% [markdown]
# ## A real network: eager against compiled
#
# An `MLP(2, [64, 64, 1])` has thousands of weights, and one example's graph thousands
# of nodes (both counted below); two thousand points of the moons data multiply that by
# two thousand for every pass, which would keep the eager engine busy for minutes. So we
# time it on the first 50 points, and the compiled step on the same 50 and on all 2,000.
# The targets are −1 and +1, so a positive score means class 1. (The times are what the
# machine took when the notebook ran; yours will differ.)

# %%
X, y = datasets.moons(n=2000, noise=0.15, seed=SEED)
targets = [2.0 * label - 1 for label in y]  # class 0 → −1, class 1 → +1
model = MLP(2, [64, 64, 1], activation="tanh", seed=SEED)


def squared_error(x, target):
    """The network's squared error on one example."""
    return (model(x) - target) ** 2


start = time.perf_counter()
network_step = compile(squared_error, ([0.0, 0.0], 0.0), params=model.parameters())
print(f"tracing and compiling once: {time.perf_counter() - start:.2f} s")
print(
    f"{len(model.parameters()):,} parameters, {len(network_step.graph.nodes):,} nodes per example"
)

X_all, t_all = np.array(X), np.array(targets)
network_step(X_all[:50], t_all[:50])  # the first call also checks the trace: not timed


def seconds(run, repeat=3):
    """The fastest of a few runs: the one least disturbed by whatever else the machine does."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def eager_pass(n):
    loss = sum(squared_error(x, t) for x, t in zip(X[:n], targets[:n])) / n
    loss.backward()


eager_50 = seconds(lambda: eager_pass(50), repeat=1)
compiled_50 = seconds(lambda: network_step(X_all[:50], t_all[:50]))
compiled_all = seconds(lambda: network_step(X_all, t_all))
print(f"eager,      50 points: {eager_50:8.4f} s")
print(f"compiled,   50 points: {compiled_50:8.4f} s   ({eager_50 / compiled_50:.0f}× faster)")
print(f"compiled, 2000 points: {compiled_all:8.4f} s")

# %% [markdown]
# ## Training it in seconds
#
# A training step is now: clear the gradients, run the compiled step on the whole batch
# (it adds the gradients), let the optimizer update the weights. The step reads the
# weights' current `.data` every time, so the updates take effect.

# %%
for p in model.parameters():
    p.grad = 0.0
optimizer = Adam(model.parameters(), lr=0.01)
losses = []
start = time.perf_counter()
for _ in range(150):
    optimizer.zero_grad()
    losses.append(network_step(X_all, t_all))
    optimizer.step()
print(f"150 steps on 2,000 points in {time.perf_counter() - start:.1f} s")

predict = compile(model, ([0.0, 0.0],))  # without params: outputs only, for the picture
accuracy = np.mean((predict(X_all) > 0) == (t_all > 0))
print(f"final loss {losses[-1]:.4f}, accuracy {accuracy:.1%}")

g1, g2 = np.linspace(-1.6, 2.6, 120), np.linspace(-1.1, 1.6, 100)
grid = np.array([[a, c] for c in g2 for a in g1])
scores = predict(grid).reshape(len(g2), len(g1))

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.plot(losses)
left.set(xlabel="step", ylabel="mean squared error", title="training, compiled")
right.contourf(
    g1, g2, scores, levels=[scores.min(), 0, scores.max()], colors=["#b5bce8", "#e8a5b0"]
)
right.contour(g1, g2, scores, levels=[0], colors="k", linewidths=1)
right.scatter(X_all[:, 0], X_all[:, 1], c=y, cmap="coolwarm", s=4)
right.set(title="decision boundary, 2,000 points", xlabel="x₁", ylabel="x₂")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What to take away
#
# - Backpropagation is a fixed list of multiply-and-adds once the graph's shape is
#   known; `compile` writes that list out as code you can read.
# - Each backward line is one arrow of the graph: a local derivative times the gradient
#   arriving from the output. The compiled numbers equal `backward()`'s.
# - Run on arrays, the same code handles a whole batch at once, with each layer as a
#   matrix product — the step from a teaching engine to the way frameworks such as
#   PyTorch run.

# %% [markdown]
# ## Exercises
#
# Two things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. Backward, written by you.** The neuron at the top of this notebook, with a sigmoid
# instead of tanh: its loss is `(sigmoid(w·x + b) − y)²`. Write its backward the way
# `compile` writes it, one line per arrow: each `...` is one local derivative, multiplied
# by the gradient that has arrived. The check compares your `dL/dw` and `dL/db` with
# `backward()` on the three examples above.


# %%
def neuron_backward(w, b, x, y):
    """dL/dw and dL/db of L = (sigmoid(w·x + b) - y)², one line per arrow."""
    a = 1 / (1 + math.exp(-(w * x + b)))  # forward: the sigmoid of the weighted sum
    g_a = 2 * (a - y)  # dL/da: the square's local derivative (times dL/dL = 1)
    g_z = ... * g_a  # dL/dz = ∂a/∂z · dL/da
    return ... * g_z, ... * g_z  # dL/dw = ∂z/∂w · dL/dz, and dL/db = ∂z/∂b · dL/dz


check_backward(neuron_backward)

# %% [markdown]
# **2. Predict the code.** Give the neuron a second input:
# `((w1·x1 + w2·x2 + b).tanh() − y)²`, with `w1, w2, b` the parameters. Before you compile
# it, predict its backward: how many lines, from `g… = scale` down, and how many of them
# say `+=`? The check compiles it, counts, and shows you the lines.

# %%
lines = ...  # backward lines, the g... = scale line included
accumulating = ...  # how many of them say +=
check_line_count(lines, accumulating)
