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
# # 2 · The perceptron, and why activation functions matter
#
# Machine learning comes in three broad kinds. In **supervised learning** (지도 학습)
# every example comes with the right answer (a label) and the model learns to reproduce
# it; in **unsupervised learning** (비지도 학습) there are no labels and the model looks
# for structure, such as groups of similar items; in **reinforcement learning**
# (강화 학습) an agent acts, collects rewards and penalties, and learns by trial and
# error to score higher. These lessons are about the supervised kind.
#
# This notebook builds a network from its smallest part and finds out what makes it
# more than the sum of its parts:
#
# 1. the **perceptron** (퍼셉트론): many inputs, one output, a weighted sum plus a bias;
# 2. layers of them — and the surprise that without an activation function, any number
#    of **hidden layers** (은닉층) collapses into a single weighted sum;
# 3. the picture of that failure: a straight line cannot solve XOR;
# 4. **activation functions** — sigmoid, tanh, relu — bend the line and solve
#    it;
# 5. **softmax** (소프트맥스), for choosing among several classes.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

import nn
from engine import Value, draw_graph
from nn import MLP, Neuron, datasets, fit
from nn.exercises.lesson2 import check_composed, check_softmax, check_xor  # the exercises

SEED = 0
random.seed(SEED)  # and every model below gets its own seeded generator
plt.rcParams.update({"figure.dpi": 100})


# %% [markdown]
# ## One neuron
#
# A perceptron takes several numbers, multiplies each by a **weight**, adds
# them up together with a **bias**, and outputs the result: `z = w1·x1 + w2·x2 + b`.
# The weights say how much each input matters, the bias shifts the answer. (In code
# the weights are counted from zero: `w0`, `w1`.)
#
# Suppose the inputs are a shop's sales in June and July (in thousands) and the neuron
# should guess August. An `nn.Neuron` with two inputs and no activation ("linear") is
# exactly this sum; here we set its weights by hand instead of learning them:

# %%
neuron = Neuron(2, activation="linear", rng=random.Random(SEED))
neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.3, 0.7, 0.5
june, july = Value(4.0, label="june"), Value(5.0, label="july")
august = neuron([june, july])
august.label = "august"
print(f"0.3 · 4 + 0.7 · 5 + 0.5 = {august.data:.2f}")
draw_graph(august, show_grad=False)

# %% [markdown]
# ## Stacking layers without activations
#
# A **layer** is several neurons reading the same inputs; a network feeds one layer's
# outputs into the next. `MLP(2, [3, 3, 1], activation="linear")` has two hidden layers
# of three neurons and one output, 25 weights and biases in all. We give them random
# values, as if it had been trained.
#
# Each layer computes weighted sums of its inputs. But a weighted sum of weighted sums
# is again a weighted sum: multiplying it out, every path's weights multiply and every
# path's contributions add. So the whole network must equal *one* neuron,
# `w1·x1 + w2·x2 + b`, with weights we can compute from the layers (in matrix terms,
# `W = W3·W2·W1`). Let us compute them:

# %%
deep = MLP(2, [3, 3, 1], activation="linear", seed=SEED)
print(len(deep.parameters()), "parameters")
rng = random.Random(SEED)
for p in deep.parameters():
    p.data = rng.uniform(-1, 1)


def weights_of(layer):
    """A layer's weights as a matrix (one row per neuron) and its biases."""
    return [[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]


def compose(first, second):
    """The one layer equal to `first` then `second`: x ↦ W2(W1·x + b1) + b2."""
    (W1, b1), (W2, b2) = first, second
    W = [[sum(row[k] * W1[k][j] for k in range(len(W1))) for j in range(len(W1[0]))] for row in W2]
    b = [sum(row[k] * b1[k] for k in range(len(b1))) + c for row, c in zip(W2, b2)]
    return W, b


W, b = weights_of(deep.layers[0])
for layer in deep.layers[1:]:
    W, b = compose((W, b), weights_of(layer))
(w1, w2), (b0,) = W[0], b
print(f"the whole network = {w1:.4f}·x1 {w2:+.4f}·x2 {b0:+.4f}\n")

for _ in range(4):
    x = [rng.uniform(-3, 3), rng.uniform(-3, 3)]
    print(
        f"x = ({x[0]:+.3f}, {x[1]:+.3f}):  network {deep(x).data:+.12f}"
        f"   one neuron {w1 * x[0] + w2 * x[1] + b0:+.12f}"
    )

# %% [markdown]
# Identical, up to the last digit or so of rounding. The hidden layers added 22
# parameters and no ability at all: whatever this network can do, one neuron can do.
# With or without the hidden layers, June's figure ends up multiplied by one number and
# July's by another: the layers do no work of their own.
#
# ## The picture: a straight line cannot solve XOR
#
# One neuron's output `w1·x1 + w2·x2 + b` is positive on one side of a straight line
# and negative on the other. So used as a classifier, it can only ever split the plane
# with a straight line. The classic problem no line can solve is **XOR**: points near
# `(0, 0)` and `(1, 1)` are class 0, points near `(0, 1)` and `(1, 0)` are class 1.
# `datasets.xor()` gives the four corners; for a nicer picture we draw a noisy cloud
# around each corner.

# %%
corners, corner_labels = datasets.xor()
print(list(zip(corners, corner_labels)))

cloud, blob = datasets.blobs(n=80, centers=corners, std=0.15, seed=SEED)
X = cloud
y = [corner_labels[k] for k in blob]  # each point takes its corner's XOR label

fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(
    [p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm", edgecolors="k", linewidths=0.5
)
ax.set(title="XOR: class 1 (red) on one diagonal", xlabel="x₁", ylabel="x₂", aspect="equal")
plt.show()

# %% [markdown]
# Train the linear network on it. `fit` runs the loop of notebook 3 (forward, loss,
# backward, update) with the Adam optimizer of notebook 4, on the binary
# **cross-entropy** (교차 엔트로피) loss, which suits yes/no answers. The **decision
# boundary** (결정 경계), where the output changes sign, is the line between the two
# coloured regions: the network calls every point in the red region class 1.

# %%
linear = MLP(2, [8, 1], activation="linear", seed=SEED)
history = fit(
    linear, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=150, progress=False
)
print(f"linear network: accuracy {history.accuracy[-1]:.0%}")
fig = nn.plot.decision_boundary(linear, X, y)
fig.axes[0].set_title("no activation: one straight line")
plt.show()

# %% [markdown]
# Whatever line it draws, one of the four corners ends up on the wrong side; the
# training settles for a compromise that gets about half the points right. No amount
# of training, and no number of linear hidden layers, will fix that.
#
# ## Activation functions bend the line
#
# The cure is to pass each hidden neuron's sum through a *nonlinear* function before
# handing it on. Then the layers no longer collapse into one, and the boundary can
# bend. The three classic choices:
#
# - **sigmoid** `1 / (1 + e^(−z))`: squashes into `(0, 1)`; also used on an output
#   that should be a probability, a 0–1 answer;
# - **tanh**: the same S-shape but centred, squashing into `(−1, 1)`;
# - **relu** `max(0, z)`: zero for negative inputs, the identity otherwise — simple,
#   cheap, and the default in most modern networks.
#
# Their slopes (dotted) matter too: that is the `∂a/∂z` factor backpropagation
# multiplies by. The sigmoid's slope is at most ¼; the slopes of sigmoid and tanh are
# nearly zero for large `|z|`; relu's is 0 or 1.

# %%
zs = [i / 20 for i in range(-80, 81)]
fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), sharey=True)
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

# %% [markdown]
# The same network shape, one hidden layer of 8 neurons, now with each activation:

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4), sharey=True)
for ax, name in zip(axes, ["sigmoid", "tanh", "relu"]):
    model = MLP(2, [8, 1], activation=name, seed=SEED)
    h = fit(
        model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=150, progress=False
    )
    nn.plot.decision_boundary(model, X, y, ax=ax)
    ax.set_title(f"{name}: accuracy {h.accuracy[-1]:.0%}")
plt.tight_layout()
plt.show()

# %% [markdown]
# All three solve XOR, each in its own style: tanh and sigmoid bend smoothly, relu
# draws its boundary from straight pieces (each relu neuron contributes a fold along a
# line). That is the whole point of activation functions: without them a network is
# linear and its predictions simple; with them it can model curved, surprising
# patterns.
#
# The network outputs a *score* (a logit): positive means class 1. To turn it into a
# probability between 0 and 1, put it through the sigmoid — this is the "sigmoid on
# the output layer" of a yes/no network (`MLP(..., output_activation="sigmoid")`
# builds it in; here the loss `bce_with_logits` applies it internally, which is
# numerically safer).

# %%
for point in corners:
    score = model(point)  # the relu network from the last panel
    print(
        f"{point}: score {score.data:+7.3f} → probability of class 1 = {nn.sigmoid(score).data:.5f}"
    )

# %% [markdown]
# ## Several classes: softmax
#
# With more than two classes, the network gets one output per class, and softmax
# turns those scores into probabilities: exponentiate each (making it positive) and
# divide by the total (making them sum to 1). The largest score gets the largest
# share, and the gaps between scores decide how confident the result is.

# %%
scores = [2.0, 1.0, 0.1]
probs = nn.softmax(scores)
tripled = nn.softmax([3 * s for s in scores])
print("scores        ", scores)
print("softmax       ", [round(p, 3) for p in probs], " sum =", round(sum(probs), 12))
print("scores × 3    ", [round(p, 3) for p in tripled])

classes = [0, 1, 2]
fig, (left, right) = plt.subplots(1, 2, figsize=(8, 2.8))
left.bar(classes, scores, color="0.6")
left.set(title="scores", xlabel="class", xticks=classes)
right.bar([c - 0.2 for c in classes], probs, width=0.4, label="softmax(scores)")
right.bar([c + 0.2 for c in classes], tripled, width=0.4, label="softmax(scores × 3)")
right.set(title="probabilities: each colour sums to 1", xlabel="class", xticks=classes)
right.set_ylim(0, 1)
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Multiplying the scores by 3 makes the same ranking much more confident. A three-class
# problem: three clusters of points, and a network with three outputs trained with the
# **cross-entropy** loss (which applies softmax and then penalises a low probability on
# the right class):

# %%
X3, y3 = datasets.blobs(n=90, centers=[[-2, 0], [2, 0], [0, 2.5]], std=0.8, seed=SEED)
three = MLP(2, [8, 3], activation="tanh", seed=SEED)
h3 = fit(three, X3, y3, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=60, progress=False)
fig = nn.plot.decision_boundary(three, X3, y3)
fig.axes[0].set_title(f"three classes: accuracy {h3.accuracy[-1]:.0%}")
plt.show()

for point in ([-2.0, 0.0], [0.0, 1.0]):
    probs = nn.softmax(three(point))
    print(f"at {point}: P(class 0, 1, 2) = " + ", ".join(f"{p.data:.3f}" for p in probs))

# %% [markdown]
# ## What to take away
#
# - A perceptron is a weighted sum plus a bias; a network is layers of them.
# - Without activation functions, any stack of layers equals one weighted sum — we
#   computed its weights — and it can only draw straight boundaries: no XOR.
# - A nonlinear activation (sigmoid, tanh, relu) between layers lets the network bend
#   its boundary. Sigmoid on one output gives a probability; softmax on several gives
#   a probability per class.
#
# Notebook 6 trains bigger classifiers of this kind, on curved and spiral data.

# %% [markdown]
# ## Exercises
#
# Three things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. Collapse a network into one neuron.** A network with two inputs, a hidden layer
# of two neurons and one output, and no activation anywhere; its weights are below.
# Without running it, find the one neuron `w1·x1 + w2·x2 + b` that computes the same:
# multiply the weights along each path from an input to the output, and add the paths.
# The biases travel the same way.

# %%
hidden_layer = [[0.5, -1.0, 0.2], [1.5, 0.4, -0.4]]  # h1, h2: weight of x1, of x2, bias
output_neuron = [2.0, -3.0, 0.3]  # the output: weight of h1, weight of h2, bias

w1, w2, b = ..., ..., ...  # the one neuron equal to the whole network
check_composed(w1, w2, b)

# %% [markdown]
# **2. Softmax by hand.** Turn the scores `[1.0, 2.0, 0.5]` into probabilities the way
# softmax does, with `math.exp` (after `import math`) and a division; compare with
# `nn.softmax` if you like.

# %%
probs = ...  # a list of three probabilities, one per class
check_softmax(probs)

# %% [markdown]
# **3. XOR by hand.** Training found weights that solve XOR; find some yourself. Choose
# the weights of a network with two relu neurons in its hidden layer and a linear output
# (`MLP(2, [2, 1], activation="relu")`) so that the corners `(0, 1)` and `(1, 0)` score
# above 0 and `(0, 0)` and `(1, 1)` do not. A hint: one hidden neuron can count how many
# inputs are on; another can fire only when both are.

# %%
xor_hidden = ...  # two hidden neurons, each [weight of x1, weight of x2, bias]
xor_output = ...  # the output neuron: [weight of h1, weight of h2, bias]
check_xor(xor_hidden, xor_output)
