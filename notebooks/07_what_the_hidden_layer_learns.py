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
# # 7 · What the hidden layer learns
#
# Show a deep network enough photos of cars and its layers sort out the parts by
# themselves: one neuron comes to respond to wheels, another to the logo, and the layers
# after them combine those parts into "car". Nobody tells the network what a wheel is;
# finding useful parts on its own is called **feature extraction** (특징 추출), and it is
# the reason to have hidden layers at all.
#
# A photo has too many inputs to look at, but a network with two inputs can be seen
# whole: every hidden neuron computes one number for every point of the plane, so we can
# draw it as a small map. This notebook trains a network to tell two rings apart and
# then draws
#
# 1. every neuron of the first hidden layer,
# 2. every neuron of the second hidden layer,
# 3. how the output neuron adds the second layer's maps into its answer,
#
# and last, what the same task looks like with no hidden layer at all.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

from engine import no_grad
from nn import MLP, datasets, fit
from nn.exercises.lesson7 import check_edge, check_features, check_hidden_size  # the exercises

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## The task and the network
#
# Points on two rings: class 1 on the small inner ring, class 0 on the outer one. No
# straight line separates them. The network has two hidden layers of tanh neurons, six
# and then four, and one output score (positive means class 1). For comparison, a model
# with no hidden layer: the output neuron reads the two inputs directly.

# %%
X, y = datasets.circles(n=120, noise=0.08, factor=0.45, seed=SEED)
network = MLP(2, [6, 4, 1], activation="tanh", seed=SEED)
no_hidden = MLP(2, [1], seed=SEED)
for name, model in [("two hidden layers", network), ("no hidden layer", no_hidden)]:
    history = fit(model, X, y, loss="bce_with_logits", lr=0.05, epochs=150, progress=False)
    print(f"{name:>17}: accuracy {history.accuracy[-1]:.0%}")

# %% [markdown]
# ## A neuron as a map
#
# Feed every point of a grid over the plane through the trained network, one layer at a
# time, and keep what every neuron outputs. A tanh neuron's output runs from −1 (blue)
# to +1 (red). The dashed circles on each map are the two rings of the data.

# %%
SIDE = 41  # grid points along each axis
TICKS = [-1.5 + 3 * i / (SIDE - 1) for i in range(SIDE)]
EXTENT = (TICKS[0], TICKS[-1], TICKS[0], TICKS[-1])


def neuron_maps(model):
    """Every neuron's output over the grid: maps[layer][neuron][row][column]."""
    maps = [[[[0.0] * SIDE for _ in TICKS] for _ in layer.neurons] for layer in model.layers]
    with no_grad():  # thousands of forward passes, no gradients wanted
        for row, x2 in enumerate(TICKS):
            for column, x1 in enumerate(TICKS):
                values = [x1, x2]
                for layer, layer_maps in zip(model.layers, maps):
                    values = layer(values)
                    for neuron_map, value in zip(layer_maps, values):
                        neuron_map[row][column] = value.data
    return maps


def draw_map(ax, grid, title, limit=1.0):
    """One map: blue for negative, red for positive, with the data's two rings dashed."""
    image = ax.imshow(
        grid,
        origin="lower",
        extent=EXTENT,
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        interpolation="bilinear",  # a smooth map from the coarse grid
    )
    for radius in (1.0, 0.45):
        ax.add_patch(plt.Circle((0, 0), radius, fill=False, ls="--", lw=0.8, color="0.2"))
    ax.set(xticks=[], yticks=[])
    ax.set_title(title, fontsize=9)
    return image


maps = neuron_maps(network)
print("neurons per layer:", [len(layer_maps) for layer_maps in maps])

# %% [markdown]
# ## The first hidden layer: straight edges
#
# A first-layer neuron computes `tanh(w1·x1 + w2·x2 + b)`. The weighted sum is the same
# all along any line where `w1·x1 + w2·x2` is constant, so every map is a soft straight
# edge: blue on one side, red on the other. Training chose where each edge lies and which
# way it faces.

# %%
fig, axes = plt.subplots(1, 6, figsize=(10, 2.3))
for j, (ax, grid) in enumerate(zip(axes, maps[0]), start=1):
    image = draw_map(ax, grid, f"neuron {j}")
axes[0].set_ylabel("layer 1")
fig.colorbar(image, ax=axes, shrink=0.8, ticks=[-1, 0, 1])
plt.show()

# %% [markdown]
# ## The second hidden layer: shapes made of edges
#
# A second-layer neuron computes tanh of a weighted sum of the six maps above. Adding
# edges and bending the result with tanh gives curved regions: corners, bands, patches,
# each drawn from the edges above.

# %%
fig, axes = plt.subplots(1, 4, figsize=(7, 2.3))
for j, (ax, grid) in enumerate(zip(axes, maps[1]), start=1):
    image = draw_map(ax, grid, f"neuron {j}")
axes[0].set_ylabel("layer 2")
fig.colorbar(image, ax=axes, shrink=0.8, ticks=[-1, 0, 1])
plt.show()

# %% [markdown]
# ## The output: a weighted sum of the shapes
#
# The output neuron has no tanh: its score is `w1·h1 + w2·h2 + w3·h3 + w4·h4 + b`, where
# `h1 … h4` are the second layer's maps. Each map below is one term `w·h` (its weight in
# the title, the four on one colour scale); added up, with the bias, they make the
# score on the right (on its own scale). Its black line is where the score is 0: the
# decision boundary.

# %%
output = network.layers[-1].neurons[0]
weights = [w.data for w in output.w]
terms = [[[w * h for h in row] for row in grid] for w, grid in zip(weights, maps[1])]
score = maps[2][0]


def largest(grids):
    """The largest size of any value in these maps: a colour scale that fits them all."""
    return max(abs(value) for grid in grids for row in grid for value in row)


fig, axes = plt.subplots(1, 5, figsize=(9, 2.3))
for j, (ax, term, w) in enumerate(zip(axes, terms, weights), start=1):
    draw_map(ax, term, f"{w:+.1f} × neuron {j}", largest(terms))
draw_map(axes[-1], score, f"sum {output.b.data:+.1f}: the score", largest([score]))
axes[-1].contour(TICKS, TICKS, score, levels=[0], colors="k", linewidths=1.2)
plt.show()

# %% [markdown]
# ## Without a hidden layer
#
# The model with no hidden layer has one neuron, reading `x1` and `x2` directly: its
# score can only be a tilted plane, and its boundary a straight line. Side by side with
# the network's, on the data it was trained on (class 1 in red):

# %%
flat = neuron_maps(no_hidden)[0][0]
fig, axes = plt.subplots(1, 2, figsize=(7, 3.4))
for ax, grid, title in [
    (axes[0], flat, "no hidden layer"),
    (axes[1], score, "hidden layers of 6 and 4"),
]:
    draw_map(ax, grid, title, largest([grid]))
    ax.contour(TICKS, TICKS, grid, levels=[0], colors="k", linewidths=1.2)
    ax.scatter(
        [p[0] for p in X],
        [p[1] for p in X],
        c=y,
        cmap="coolwarm",
        s=12,
        edgecolors="k",
        linewidths=0.4,
    )
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What to take away
#
# - Each hidden neuron is a feature the network found by itself: in the first layer a
#   straight edge, in the second a shape built from those edges.
# - The output adds the last hidden layer's features, each with its own weight; the
#   decision boundary is where that sum crosses 0.
# - With no hidden layer there is nothing to combine: one straight edge is all a single
#   neuron can draw. A car photo's wheels and logo are the same idea with millions of
#   inputs instead of two.

# %% [markdown]
# ## Exercises
#
# Three things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. Where is the edge?** A first-layer neuron computes `tanh(2·x1 − 1·x2 + 0.5)`. Its
# map is white (0) along the line where the weighted sum is 0. Where does that line cross
# the `x1` axis (where `x2 = 0`), and where the `x2` axis (where `x1 = 0`)?

# %%
x1_crossing = ...  # x1 where the edge meets the x1 axis
x2_crossing = ...  # x2 where the edge meets the x2 axis
check_edge(x1_crossing, x2_crossing)

# %% [markdown]
# **2. A feature by hand.** The model with no hidden layer could only draw a straight
# line. Give it a better input: a third number computed from `x1` and `x2`, small on the
# inner ring and large on the outer one. The check trains a model with no hidden layer on
# your features, as above, and reports how many points it gets right.


# %%
def features(x1, x2):
    return [x1, x2, ...]  # a third number, computed from x1 and x2


check_features(features)

# %% [markdown]
# **3. How many neurons?** Each first-layer neuron is one straight edge. With a single
# hidden layer of tanh neurons, what is the fewest that can separate the two rings
# (95% of the points right, or better)? Predict, then let the check train networks of
# 1 to 4 hidden neurons and tell you.

# %%
smallest = ...  # the fewest hidden neurons that separate the rings
check_hidden_size(smallest)
