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
# # 1 · Derivatives and the chain rule
#
# Everything a neural network learns comes from one question, asked of every weight:
# *if I nudge this number a little, how much does the output move, and in which
# direction?* The answer is a **derivative** (미분). This notebook builds that idea up in
# the order the engine uses it:
#
# 1. a derivative measured by nudging, and the same number from the engine;
# 2. a `Value` remembers the operation that made it and its *local* derivatives;
# 3. the **computation graph** (계산 그래프), drawn;
# 4. the **chain rule** (연쇄 법칙): a long calculation's derivative is the product of the
#    local ones along the way, summed over the ways through the graph;
# 5. `backward()` one step at a time (interactive, and as text and pictures);
# 6. the same gradients confirmed by finite differences (`gradcheck`).

# %%
# %matplotlib inline
import base64
import math
import os
import random
import tempfile

import matplotlib.pyplot as plt
from IPython.display import HTML, display

from engine import Value, chain_rule, draw_graph, gradcheck, save_steps, step_through
from nn.exercises.lesson1 import check_bell_chain, check_bell_op, check_nudge  # the exercises

random.seed(0)  # nothing below is random, but every lesson starts the same way
plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})


# %% [markdown]
# ## A derivative is a rate of change
#
# Take `f(x) = x² − 3x` at `x = 2`. Nudge `x` by a small `h` and see how much `f`
# moves per unit of nudge. As `h` shrinks the ratio settles on one number: the
# derivative `f'(2)`, the slope of the curve at that point.


# %%
def f(x):
    return x**2 - 3 * x


for h in (0.1, 0.01, 0.001, 0.0001):
    print(f"h = {h:<7} (f(2 + h) - f(2)) / h = {(f(2 + h) - f(2)) / h:.6f}")

# %% [markdown]
# The ratio approaches `1`. On paper, `f'(x) = 2x − 3`, and `f'(2) = 1`. The picture:
# the derivative is the slope of the tangent line, the line that touches the curve at
# `x = 2` and runs in the same direction.

# %%
grid = [i / 50 for i in range(-25, 201)]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid, [f(g) for g in grid], label="f(x) = x² − 3x")
ax.plot([1, 3], [f(2) - 1, f(2) + 1], color="tab:orange", lw=2, label="tangent at x = 2, slope 1")
ax.plot([2], [f(2)], "o", color="tab:orange")
ax.set(xlabel="x", ylabel="f(x)", title="The derivative is the slope of the tangent")
ax.legend()
plt.show()

# %% [markdown]
# ## The engine keeps a record
#
# Build the same expression from a `Value`. Every `Value` produced by an operation
# remembers the operation (`.op`), its inputs (`.parents`) and, already during this
# forward computation, the *local* derivative of its result with respect to each
# input (`.local_grads`). For a subtraction `p − q` those are `1` and `−1`.

# %%
x = Value(2.0, label="x")
y = x**2 - 3 * x
print("y            =", y.data)
print("y.op         =", repr(y.op))
print("y.parents    =", [(p.op, p.data) for p in y.parents])
print("y.local_grads=", y.local_grads)

# %% [markdown]
# `backward()` turns these records into the derivative of `y` with respect to every
# number that went into it, and stores each in `.grad`. That number is the input's
# **gradient** (기울기); with many inputs, the gradient is the list of them all.

# %%
y.backward()
print("dy/dx =", x.grad)


# %% [markdown]
# The same `1` that nudging found, but exact, and without choosing an `h`. Notice that
# `x` was used twice, once in `x**2` and once in `3 * x`; its gradient is the *sum*
# of what each use contributes: `2x = 4` from the square and `−3` from the product.
# Keep that in mind; it comes back below.
#
# ## A small neuron, drawn
#
# A neuron of a network computes a weighted sum of its inputs and passes it through an
# **activation function** (활성화 함수) such as `tanh`:
#
# `a = tanh(w · x + b)`
#
# Here `w` is the **weight** (가중치) and `b` the **bias** (편향). `draw_graph` shows the
# computation the engine recorded: a box per `Value` (its name, `data` and `grad`), an
# oval per operation, and on each arrow the local derivative of the operation's result
# with respect to that input. Nodes we did not name get names from their operation
# (`mul1` is the product `w · x`). Before `backward()` every `grad` is still 0.


# %%
def neuron():
    """A fresh copy of the neuron's graph: a = tanh(w·x + b)."""
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

# %% [markdown]
# Now `backward()`. The output's gradient with respect to itself is 1; every other box
# gets `da/d(node)`:

# %%
a.backward()
draw_graph(a)

# %% [markdown]
# ## The chain rule: multiply along the path
#
# How does `w` affect `a`? Not directly: `w` changes `mul1 = w · x`, which changes `z`,
# which changes `a`. Each link has its local derivative, written on its arrow:
#
# - `∂mul1/∂w = x = 0.5` (a product's derivative with respect to one factor is the
#   other factor),
# - `∂z/∂mul1 = 1` (adding `b` passes changes through unchanged),
# - `∂a/∂z = 1 − tanh(z)² = 1 − a²`.
#
# The **chain rule** says the effects multiply: if `z` moves twice as fast as `w`, and
# `a` moves a third as fast as `z`, then `a` moves two thirds as fast as `w`. Let us
# multiply the three factors ourselves and compare with what `backward()` stored:

# %%
dmul_dw = x.data
dz_dmul = 1.0
da_dz = 1 - a.data**2
print(f"by hand:  {dmul_dw} · {dz_dmul} · {da_dz:.4f} = {dmul_dw * dz_dmul * da_dz:.6f}")
print(f"engine:   w.grad = {w.grad:.6f}")

# %% [markdown]
# `chain_rule(output, wrt)` writes out exactly this product, with the names from the
# drawing, and `draw_graph` can highlight the path it follows:

# %%
path = chain_rule(a, w)
print(path)
draw_graph(a, highlight=path)

# %% [markdown]
# ## More than one path: add them up
#
# When a value reaches the output along several routes, the gradient is the **sum**
# over the routes of the product along each. This is what happened with `x` in
# `x² − 3x`. A neat example: `q = x · sigmoid(x)` uses `x` directly *and* through the
# sigmoid, so two paths lead from `x` to `q`.
#
# Read the printout below line by line. The first path is the direct arrow from `x`
# into the product: its local derivative is the *partial* derivative (편미분) `∂q/∂x`
# with `s` held still, which is `s`. The second goes through `s`. Their sum is the
# whole derivative `dq/dx`.

# %%
x2 = Value(1.0, label="x")
s = x2.sigmoid()
s.label = "s"
q = x2 * s
q.label = "q"
q.backward()
print(chain_rule(q, x2))
print(f"backward() gave dq/dx = {x2.grad:.4f}")
draw_graph(q)

# %% [markdown]
# ## Backward, one step at a time
#
# `backward()` does not list paths (a big network has astronomically many). It walks
# the graph once, from the output back to the inputs — this backwards walk is
# **backpropagation** (역전파) — and at every arrow it does one multiply-and-add:
#
# `parent.grad += (local derivative on the arrow) · child.grad`
#
# An arrow runs from a *parent* to a *child*: the child is the result of an operation,
# its parents are the inputs it was computed from (in `mul1 = w · x`, `mul1` is the
# child, `w` and `x` are its parents, listed in `mul1.parents`). The local derivative on
# the arrow is `∂child/∂parent`, and `child.grad` is `da/d(child)`, the output's
# derivative with respect to the child. By the time the walk reaches a node, every
# route from the output to that node has already been added up, so each node is visited
# once. `backward_steps()` performs the same walk and hands over each step as it goes:

# %%
x, w, b, z, a = neuron()
for step in a.backward_steps():
    print(step)

# %% [markdown]
# Read the step that reaches `w`: `da/dw` is `∂mul1/∂w`, the local derivative on the
# arrow from `w` into `mul1` (that is `x`, the other factor), times `da/dmul1` (complete
# by then). That is the chain rule's product, built up one factor per step.
#
# With a live Jupyter kernel, `step_through` shows the same walk as a picture you can
# move through with a slider: the current arrow highlighted, the gradients filled in
# so far, the step written above. It leaves the `.grad` values of the graph alone.
# (On a page without a running kernel, the pictures below show the same thing.)

# %%
x, w, b, z, a = neuron()
step_through(a)

# %% [markdown]
# The same step-through, written to an animated GIF by `save_steps` (in a temporary
# folder; give it a folder name instead of a `.gif` file to get one PNG per step). Its
# `dpi` sets the size of the pictures:

# %%
with tempfile.TemporaryDirectory() as folder:
    (gif,) = save_steps(a, os.path.join(folder, "backward.gif"), dpi=80)
    with open(gif, "rb") as file:
        data = base64.b64encode(file.read()).decode()
# Shown as an <img> in HTML, so an exported page shows it too (nbconvert drops GIF images)
display(HTML(f'<img src="data:image/gif;base64,{data}" alt="backward, step by step">'))

# %% [markdown]
# ## Trust, but verify: finite differences
#
# We started by nudging inputs; we end there too. `gradcheck` recomputes every
# gradient as `(f(v + ε) − f(v − ε)) / 2ε` (a *central* difference, more accurate than
# nudging one way) and compares it with `backward()`. The inputs are called `x0, x1,
# x2` in its table; here they are `w, x, b`.

# %%
report = gradcheck(lambda v: (v[0] * v[1] + v[2]).tanh(), [-1.0, 0.5, 2.0])
print(report)

# %% [markdown]
# The two methods agree to about ten digits: the small remainder is the error of the
# finite difference itself, not of `backward()`.
#
# ## What to take away
#
# - A derivative is how fast the output moves when an input is nudged.
# - Every operation knows its *local* derivatives; the engine records them as it
#   computes.
# - The **chain rule**: along one path, local derivatives multiply; over several
#   paths, the products add.
# - `backward()` computes all of it in one walk from the output back to the inputs
#   (**backpropagation**); `backward_steps`, `step_through` and `chain_rule` let you
#   watch it, and `gradcheck` checks it.
#
# Next: notebook 2 builds neurons into networks; notebook 3 uses these gradients to
# learn.


# %% [markdown]
# ## Exercises
#
# Three things to do, each ended by a check that says what is right and what is not yet.
# Run a check as often as you like. (Worked solutions are in `notebooks/solutions/`, for
# after you have tried.)
#
# All three are about a function this notebook has not met, the bell curve
# `bell(x) = exp(−x²)`, at `x = 0.75`.
#
# **1. A slope by nudging.** Measure bell's slope at `x = 0.75` the way this notebook
# began: nudge `x` by a small `h`, and divide how far `bell` moved by `h`.


# %%
def bell(x):
    return math.exp(-(x**2))


slope = ...  # your measurement: (bell(0.75 + h) - bell(0.75)) / h for a small h
check_nudge(slope)

# %% [markdown]
# **2. The chain rule, factor by factor.** Built from a `Value`, bell is three
# operations in a row: `s = x**2`, then `u = -s`, then `g = u.exp()`. Work out the local
# derivative of each step at `x = 0.75` — `∂s/∂x`, `∂u/∂s` and `∂g/∂u` — as numbers.
# Their product is `dg/dx`, the slope you just measured.

# %%
ds_dx = ...  # ∂s/∂x, for s = x²
du_ds = ...  # ∂u/∂s, for u = -s
dg_du = ...  # ∂g/∂u, for g = exp(u)
check_bell_chain(ds_dx, du_ds, dg_du)

# %% [markdown]
# **3. Your own op.** `engine.define_op` turns a function and its local derivative into
# an operation of the engine, like `tanh` or `exp`: graphs record it, `draw_graph` draws
# it, `backward()` and `compile` use your derivative. Before it accepts the derivative,
# it compares it with finite differences at a spread of points, so a mistake is caught
# the moment the op is defined.
#
# Write bell's derivative. It is given `out`, bell's result (the way `tanh' = 1 − out²`
# reuses tanh's result), and `x`, and returns one local derivative per input: a tuple of
# one. The check defines the op with your derivative.


# %%
def bell_derivative(out, x):
    return (...,)  # (∂bell/∂x,): exp's derivative at -x², times the derivative of -x²


check_bell_op(bell_derivative)  # define_op("bell", bell, bell_derivative), and its check
