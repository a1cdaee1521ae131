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
# # 5 · Backpropagation by hand
#
# Gradient descent (notebook 3) needs the slope of the total error `E` with respect to
# *every* weight. (`E` is the loss `L` of notebook 3 under the name backpropagation is
# usually written with: one number for how wrong the network is.) **Backpropagation** is
# how those slopes are found: start at the output, where the error is measured, and work
# backwards layer by layer, multiplying local effects as you go. In this notebook you do
# it yourself, factor by factor, for one weight of a small network:
#
# `dE/dw3 = ∂z3/∂w3 · ∂a3/∂z3 · dE/da3`
#
# and then check every factor against what the engine recorded: its local derivatives,
# `chain_rule` and `backward_steps`. Finally we update the weights and see the error
# fall.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

import nn.diagram
from engine import Value, chain_rule, draw_graph
from nn import MLP
from nn.exercises.lesson5 import check_w22, check_w32  # the exercises

random.seed(0)  # the weights below are written out, but every lesson starts the same way
plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})

# %% [markdown]
# ## The network
#
# Two inputs — say this shop's sales in June and July, scaled to between 0 and 1 —
# and one output, the prediction for August. Between them, a **hidden layer** of two
# neurons. Every neuron computes a weighted sum `z` and passes it through the
# sigmoid, `a = sigmoid(z) = 1 / (1 + e^(−z))`, which squeezes any number into `(0, 1)`:
#
# ```
# z1 = w11·x1 + w12·x2 + b1      a1 = sigmoid(z1)      (hidden neuron 1)
# z2 = w21·x1 + w22·x2 + b2      a2 = sigmoid(z2)      (hidden neuron 2)
# z3 = w31·a1 + w32·a2 + b3      a3 = sigmoid(z3)      (output neuron 3)
# E  = ½ · (a3 − t)²                                   (the error against the truth t)
# ```
#
# A weight's name says where it goes: `w31` is the weight *into neuron 3 from neuron
# 1*. (The formula at the top, like the post these lessons grew from, writes just `w3`
# for a weight into the output neuron; `w31` is the one we follow.) The ½ in the error
# is there only to cancel the 2 that differentiating the square brings down.
#
# Drawn as neurons and weights — a circle per neuron, an arrow per weight, each bias
# under its neuron:

# %%
x = {"x1": 0.6, "x2": 0.8}  # June, July
t = 0.9  # August, the value to predict
neuron1 = {"w11": 0.5, "w12": -0.3, "b1": 0.1}
neuron2 = {"w21": 0.2, "w22": 0.7, "b2": -0.2}
neuron3 = {"w31": 0.9, "w32": -0.4, "b3": 0.05}
weights = {**neuron1, **neuron2, **neuron3}


def sketch_network(weights):
    """The 2-2-1 network as neurons and weights, each weight's value on its arrow."""
    where = {"x1": (0, 1.4), "x2": (0, 0), "a1": (2.2, 1.4), "a2": (2.2, 0), "a3": (4.4, 0.7)}
    arrows = [("x1", "a1", "w11"), ("x2", "a1", "w12"), ("x1", "a2", "w21")]
    arrows += [("x2", "a2", "w22"), ("a1", "a3", "w31"), ("a2", "a3", "w32")]
    r = 0.25  # a neuron's radius
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for source, target, name in arrows:
        (sx, sy), (tx, ty) = where[source], where[target]
        length = ((tx - sx) ** 2 + (ty - sy) ** 2) ** 0.5
        ux, uy = (tx - sx) / length, (ty - sy) / length
        ax.annotate(
            "",
            xy=(tx - r * ux, ty - r * uy),
            xytext=(sx + r * ux, sy + r * uy),
            arrowprops={"arrowstyle": "-|>", "color": "0.45"},
        )
        # the two arrows that cross carry their labels near their tails, apart
        along = 0.5 if sy == ty or target == "a3" else 0.3
        lx, ly = sx + along * (tx - sx), sy + along * (ty - sy)
        ax.text(
            lx,
            ly,
            f"{name} = {weights[name]:g}",
            ha="center",
            va="center",
            fontsize=10,
            bbox={"fc": "white", "ec": "none", "pad": 1},
        )
    for name, (cx, cy) in where.items():
        colour = "#dde8f5" if name.startswith("x") else "#fbe3c8"
        ax.add_patch(plt.Circle((cx, cy), r, fc=colour, ec="0.3", zorder=3))
        ax.text(cx, cy, name, ha="center", va="center", fontsize=12, zorder=4)
        if name.startswith("a"):
            bias = "b" + name[1]
            ax.text(cx, cy - r - 0.18, f"{bias} = {weights[bias]:g}", ha="center", fontsize=10)
    ax.annotate("", xy=(5.3, 0.7), xytext=(4.4 + r, 0.7), arrowprops={"arrowstyle": "-|>"})
    ax.text(5.4, 0.7, f"E = ½ · (a3 − t)²\nwith t = {t}", va="center", fontsize=11)
    for cx, title in [(0, "inputs"), (2.2, "hidden layer"), (4.4, "output neuron")]:
        ax.text(cx, 1.85, title, ha="center", fontsize=11, color="0.3")
    ax.set(xlim=(-0.4, 7.0), ylim=(-0.55, 2.05), aspect="equal")
    ax.axis("off")
    plt.show()


sketch_network(weights)

# %% [markdown]
# Each hidden neuron reads both inputs, the output neuron reads both hidden neurons:
# six weights and three biases. The function below builds this network from labelled
# `Value`s, so every name shows up in the drawings and printouts.


# %%
def forward(weights):
    """The network's graph for these weights: a dict of every named Value."""
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

# %% [markdown]
# The network predicts `a3 ≈ 0.572` where the truth is `0.9`. To do better, which way
# should `w31` move, and how strongly does it matter?
#
# ## dE/dw31, factor by factor
#
# `w31` does not touch `E` directly. It changes `z3`, which changes `a3`, which
# changes `E`. So the chain rule splits the question into three small ones, each about
# a single step of the computation:
#
# 1. **`∂z3/∂w31`** — how much does `z3 = w31·a1 + w32·a2 + b3` move when `w31` moves?
#    Only the first term holds `w31`, so the answer is its partner: `a1`.
# 2. **`∂a3/∂z3`** — the sigmoid's slope at `z3`. The sigmoid has the neat property
#    `sigmoid'(z) = sigmoid(z) · (1 − sigmoid(z))`, so this is `a3 · (1 − a3)`.
# 3. **`dE/da3`** — the error's slope: `d/da3 of ½(a3 − t)²` is `a3 − t`.
#
# With plain numbers, no engine:

# %%
a1, a3 = v["a1"].data, v["a3"].data
dz3_dw31 = a1
da3_dz3 = a3 * (1 - a3)
dE_da3 = a3 - t
dE_dw31 = dz3_dw31 * da3_dz3 * dE_da3
print(f"∂z3/∂w31 = a1              = {dz3_dw31:.6f}")
print(f"∂a3/∂z3  = a3 · (1 − a3)   = {da3_dz3:.6f}")
print(f"dE/da3   = a3 − t          = {dE_da3:.6f}")
print(f"dE/dw31  = product         = {dE_dw31:.6f}")

# %% [markdown]
# Negative: increasing `w31` *decreases* the error, so gradient descent will increase
# it. That makes sense — the prediction is too low, and `a1` is positive, so a larger
# `w31` lifts `z3` and with it `a3`.
#
# ## Checking every factor against the engine
#
# The engine stored a local derivative on every edge of the graph while it computed
# the forward pass. `chain_rule` lists the edges from `w31` to `E` with their local
# derivatives:

# %%
path_w31 = chain_rule(v["E"], v["w31"])
print(path_w31)

# %% [markdown]
# The engine's chain has more links than ours, because it records every operation
# separately, under the names it gave the unnamed nodes: from `w31` to `z3` a product
# and two additions, then the sigmoid, then from `a3` to `E` a subtraction, a square and
# the multiplication by ½. Each addition passes changes through with factor 1. Grouping
# the seven links back into our three steps gives the same factors:

# %%
factors = path_w31.paths[0].factors
engine_dz3_dw31 = factors[0] * factors[1] * factors[2]  # the product, two additions
engine_da3_dz3 = factors[3]  # the sigmoid
engine_dE_da3 = factors[4] * factors[5] * factors[6]  # − t, the square, ½ ·
for name, ours, theirs in [
    ("∂z3/∂w31", dz3_dw31, engine_dz3_dw31),
    ("∂a3/∂z3", da3_dz3, engine_da3_dz3),
    ("dE/da3", dE_da3, engine_dE_da3),
]:
    print(f"{name:>9}: by hand {ours:.12f}   engine {theirs:.12f}")

print("\nthe sigmoid node's own record, a3.local_grads =", v["a3"].local_grads)

# %% [markdown]
# Now let `backward()` do the whole thing and compare the result with our product.
# Then rebuild the graph and run the same backward pass with `backward_steps()`,
# printing only the steps on the way from `E` to `w31`: each step multiplies the
# gradient that has arrived so far (`dE/d(node)`) by one more local derivative.

# %%
v["E"].backward()
print(f"backward(): dE/dw31 = {v['w31'].grad:.12f}")
print(f"by hand:    dE/dw31 = {dE_dw31:.12f}")

fresh = forward(weights)
on_path = set(chain_rule(fresh["E"], fresh["w31"]).paths[0].nodes)
print()
for step in fresh["E"].backward_steps():
    if step.parent in on_path:
        print(step)

# %% [markdown]
# Read the list from the top: it starts at `E` and ends at `w31`, and the last number is
# our `dE/dw31`.
#
# The same backward pass gave every other weight its gradient too. `nn.diagram`'s
# `draw_network` draws the network neuron by neuron with them: each box holds a neuron's
# weights with `dL/dw` (its `L` is our `E`), its bias with `dL/db`, its output and
# `dL/dout`, and each line is one weight, coloured by its gradient. It names everything as
# the `nn` package does, counting from 0: inputs `x0, x1` are our `x1, x2`, the hidden
# neurons `L0.N0` and `L0.N1` (layer 0) are our neurons 1 and 2, the output neuron `L1.N0`
# is neuron 3, and a neuron's `w0` is its weight from its first input — so `L1.N0`'s `w0`
# is the weight the operation graph further down labels `w31`, with the same `-0.0434`.

# %%
net = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
for neuron, j in zip([*net.layers[0].neurons, *net.layers[1].neurons], "123"):
    neuron.w[0].data, neuron.w[1].data = weights[f"w{j}1"], weights[f"w{j}2"]
    neuron.b.data = weights["b" + j]
nn.diagram.draw_network(net, x=[x["x1"], x["x2"]], loss=lambda out: 0.5 * (out - t) ** 2)

# %% [markdown]
# The operation graph shows the same network one operation at a time, every product and
# sum that `draw_network` folds into a box. Drawn whole (inputs at the top, the error at
# the bottom), with the path from `w31` to `E` highlighted:

# %%
draw_graph(v["E"], highlight=path_w31, rankdir="TB")

# %% [markdown]
# ## A weight in the hidden layer
#
# `w11` sits one layer further from the output. Its path to `E` is longer: `w11`
# changes `z1`, then `a1`, then `z3`, `a3` and `E`:
#
# `dE/dw11 = ∂z1/∂w11 · ∂a1/∂z1 · ∂z3/∂a1 · ∂a3/∂z3 · dE/da3`
#
# The last two factors are the *same* ones we already computed for `w31`. Their
# product `dE/dz3` is often called the output neuron's **error signal** (δ3): how much
# the error changes per unit of `z3`. Every weight behind neuron 3 reuses it. This is
# why the computation runs from the output backwards: each layer's error signals are
# built from the next layer's, and nothing is computed twice.

# %%
a1 = v["a1"].data
delta3 = da3_dz3 * dE_da3  # dE/dz3, computed once
dz1_dw11 = x["x1"]
da1_dz1 = a1 * (1 - a1)
dz3_da1 = weights["w31"]  # the partner of a1 in z3
dE_dw11 = dz1_dw11 * da1_dz1 * dz3_da1 * delta3
print(f"δ3 = dE/dz3 = {delta3:.6f}")
print(f"dE/dw11 = {dz1_dw11} · {da1_dz1:.6f} · {dz3_da1} · δ3 = {dE_dw11:.12f}")
print(f"backward(): dE/dw11 = {v['w11'].grad:.12f}")

# %% [markdown]
# One subtlety hides in `∂z3/∂a1 = w31`: the gradient of a hidden weight uses the
# *current* value of the weight in front of it. So all gradients must be computed
# before any weight changes. `backward()` does exactly that: one pass fills in every
# `.grad`, and only then do we update.
#
# ## Updating every weight
#
# With every gradient known, each weight takes its gradient-descent step
# `w ← w − lr · dE/dw`. The post these lessons grew from updates "from the layer nearest
# the output first": that is the order in which backpropagation *finds* the gradients
# (the output layer's first, because the hidden layer's are built from them). The order
# of the updates themselves changes nothing: every gradient was computed from the old
# weights before any weight moved, and each update reads only its own weight and its
# own gradient. Below we go output layer first, as the post does.

# %%
lr = 0.5
layers = {
    "output layer": ["w31", "w32", "b3"],
    "hidden layer": ["w11", "w12", "b1", "w21", "w22", "b2"],
}
new_weights = dict(weights)
for layer, names in layers.items():
    print(layer)
    for name in names:
        g = v[name].grad
        new_weights[name] = weights[name] - lr * g
        print(f"  {name:>3}: {weights[name]:+.4f} − {lr} · ({g:+.6f}) = {new_weights[name]:+.6f}")

after = forward(new_weights)
print(f"\nprediction {v['a3'].data:.6f} → {after['a3'].data:.6f}  (truth {t})")
print(f"error E    {v['E'].data:.6f} → {after['E'].data:.6f}")

# %% [markdown]
# The output-layer weights moved more than the hidden ones: their gradients are
# larger, because the hidden weights' influence is passed through one more sigmoid
# slope (at most ¼) and one more weight. The prediction moved towards `0.9`, and the
# error fell. Repeat the same three moves — forward, backward, update — and it keeps
# falling:

# %%
current = dict(weights)
errors = []
for _ in range(100):
    net = forward(current)
    net["E"].backward()
    errors.append(net["E"].data)
    current = {name: w - lr * net[name].grad for name, w in current.items()}

fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(errors, "o-", ms=3)
ax.set(xlabel="update step", ylabel="error E", title="Forward, backward, update — repeated")
plt.show()
print(
    f"after {len(errors)} steps: prediction {forward(current)['a3'].data:.4f} "
    f"(truth {t}), E = {forward(current)['E'].data:.2e}"
)

# %% [markdown]
# ## What to take away
#
# - The gradient of the error with respect to a weight is the product of local
#   derivatives along its path to the output: for an output weight,
#   `dE/dw3 = ∂z3/∂w3 · ∂a3/∂z3 · dE/da3`.
# - Each factor is small and local: the partner input of a product, the activation's
#   slope, the error's slope. The engine records them in `local_grads` during the
#   forward pass; `chain_rule` and `backward_steps` show them being multiplied.
# - Weights further from the output reuse the error signals of the layers after them,
#   which is why backpropagation starts at the output and works backwards.
# - Compute every gradient first, then update every weight.

# %% [markdown]
# ## Exercises
#
# Two things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. dE/dw32, factor by factor.** The lesson followed `w31`. Do the same for `w32`,
# the weight into neuron 3 from neuron 2: its three factors, then their product. The
# numbers of the forward pass are in `v` (for example `v["a2"].data`), and `t = 0.9`.

# %%
dz3_dw32 = ...  # ∂z3/∂w32
da3_dz3 = ...  # ∂a3/∂z3
dE_da3 = ...  # dE/da3
dE_dw32 = ...  # their product
check_w32(dz3_dw32, da3_dz3, dE_da3, dE_dw32)

# %% [markdown]
# **2. A hidden weight.** `w22` is the weight into hidden neuron 2 from input `x2`. Its
# path to `E` runs through `z2`, `a2`, `z3` and `a3`:
# `dE/dw22 = ∂z2/∂w22 · ∂a2/∂z2 · ∂z3/∂a2 · δ3`, where `δ3 = dE/dz3` is the output
# neuron's error signal, the same one every weight behind neuron 3 reuses.

# %%
dz2_dw22 = ...  # ∂z2/∂w22
da2_dz2 = ...  # ∂a2/∂z2
dz3_da2 = ...  # ∂z3/∂a2
delta3 = ...  # δ3 = dE/dz3
dE_dw22 = ...  # their product
check_w22(dz2_dw22, da2_dz2, dz3_da2, delta3, dE_dw22)
