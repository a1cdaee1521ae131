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
# # 6 · Training a classifier
#
# Everything so far comes together: a network with hidden layers and activations
# (notebook 2), a loss function and gradient descent (notebook 3), an
# optimizer (notebook 4), and backpropagation (notebook 5) computing every gradient.
# `nn.fit` runs the loop — forward, loss, backward, update — epoch after epoch, shows
# a progress bar, and can stop by itself when the loss stops improving.
#
# Two tasks:
#
# 1. **moons** — two interleaved half-circles, a yes/no (binary) problem;
# 2. **spirals** — three intertwined spiral arms, a three-class problem, with softmax
#    and the cross-entropy loss.
#
# And at the end, saving the trained model to a file and loading it back.

# %%
# %matplotlib inline
import json
import os
import random
import tempfile

import matplotlib.pyplot as plt

import nn
from nn import MLP, datasets, evaluate, fit
from nn.exercises.lesson6 import check_batches, check_cross_entropy, check_no_hidden_moons

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})


home = os.getcwd()
scratch = tempfile.TemporaryDirectory()  # the saved model goes to a scratch folder
os.chdir(scratch.name)

# %% [markdown]
# ## Moons: a binary classifier
#
# One set of points to train on, and a second set, drawn from the same shapes but never
# shown to the network during training, to test it on. A model that merely memorised
# its training points would do well on the first and badly on the second: that is
# **overfitting** (과적합), and only the test set can reveal it.

# %%
X, y = datasets.moons(n=100, noise=0.15, seed=SEED)
X_test, y_test = datasets.moons(n=100, noise=0.15, seed=SEED + 1)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True, sharey=True)
for ax, (points, labels, title) in zip(
    axes, [(X, y, "training set"), (X_test, y_test, "test set")]
):
    ax.scatter(
        [p[0] for p in points],
        [p[1] for p in points],
        c=labels,
        cmap="coolwarm",
        edgecolors="k",
        linewidths=0.5,
        s=25,
    )
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
plt.tight_layout()
plt.show()

# %% [markdown]
# The network: two inputs, two hidden layers of 8 tanh neurons, one output score
# (positive means class 1). The loss is binary cross-entropy on that score
# (`bce_with_logits`), the optimizer Adam with learning rate 0.05.
#
# **Early stopping** (조기 종료). We allow up to 300 epochs, but with `patience=10` training ends
# as soon as 10 epochs in a row have failed to lower the loss by at least
# `min_delta=0.001` — notebook 3's "repeat until the total loss stops decreasing",
# made precise. The progress bar shows the epoch, the loss and the accuracy as it runs.

# %%
model = MLP(2, [8, 8, 1], activation="tanh", seed=SEED)
print(model, f"with {len(model.parameters())} parameters")
history = fit(
    model,
    X,
    y,
    loss="bce_with_logits",
    optimizer="adam",
    lr=0.05,
    epochs=300,
    patience=10,
    min_delta=1e-3,
    seed=SEED,
)
print(history)

# %% [markdown]
# (The bar redraws its line as training runs and stays in its final state: the epoch
# where training stopped, out of the 300 allowed. The line under it is `print(history)`,
# the summary.)
#
# The **learning curve** — loss and accuracy per epoch — shows the usual shape: a fast
# drop, then a long flattening tail, until early stopping ends it. The dotted line marks
# the "best" epoch in the early-stopping sense: the last one that improved on the best
# loss so far by more than `min_delta`. Later epochs may still shave off a little (compare
# the final loss in the summary line with the best epoch's), but less than `min_delta`
# each time: not worth waiting for.
# (`fit(..., restore_best_weights=True)` would put back that epoch's weights.)

# %%
nn.plot.loss_curve(history)
plt.show()

# %% [markdown]
# On the test points the network has never seen:

# %%
test_loss, test_accuracy = evaluate(model, X_test, y_test, loss="bce_with_logits")
print(
    f"training accuracy {history.accuracy[-1]:.0%}, "
    f"test accuracy {test_accuracy:.0%} (test loss {test_loss:.3f})"
)

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
nn.plot.decision_boundary(model, X, y, ax=axes[0])
axes[0].set_title("decision boundary, training points")
nn.plot.decision_boundary(model, X_test, y_test, ax=axes[1])
axes[1].set_title("the same boundary, test points")
plt.tight_layout()
plt.show()

# %% [markdown]
# The boundary curls between the two moons, and the test accuracy is as high as the
# training accuracy: the network learned the *shape* of the data, not just the points
# it was shown. (A test set is the honest measure; a model can always do well on the
# points it trained on.)
#
# ## Spirals: three classes with softmax and cross-entropy
#
# Three spiral arms, one per class. A straight line cannot separate even two of them.

# %%
Xs, ys = datasets.spirals(n=90, classes=3, noise=0.1, seed=SEED)
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(
    [p[0] for p in Xs],
    [p[1] for p in Xs],
    c=ys,
    cmap="viridis",
    edgecolors="k",
    linewidths=0.5,
    s=25,
)
ax.set(title="three spiral arms", xlabel="x₁", ylabel="x₂", aspect="equal")
plt.show()

# %% [markdown]
# With three classes the network has three outputs, one score per class. **Softmax**
# turns the scores into probabilities, and the **cross-entropy** loss is minus the log
# of the probability given to the correct class: near 0 when the network is confidently
# right, large when it is confidently wrong. Here it is worked out for one point with an
# untrained network, by hand and by `nn.cross_entropy`:

# %%
spiral_model = MLP(2, [8, 8, 3], activation="tanh", seed=SEED)
point, label = Xs[0], ys[0]
scores = spiral_model(point)
probs = nn.softmax(scores)
print("scores       ", [round(s.data, 4) for s in scores])
print("softmax      ", [round(p.data, 4) for p in probs])
print(f"correct class {label}:  −log p = {-probs[label].log().data:.4f}")
print(f"nn.cross_entropy         = {nn.cross_entropy([scores], [label]).data:.4f}")

start_loss = nn.cross_entropy([spiral_model(x) for x in Xs], ys).data
print(f"\naverage over all {len(Xs)} points: {start_loss:.4f}")

# %% [markdown]
# An untrained network's scores are arbitrary: right for some points, wrong for others
# (this point's correct class gets a low probability, so its loss is large). Averaged
# over all points the loss is about what blind guessing gives, `−log(1/3) ≈ 1.10`.
# Training pushes the right class's probability towards 1 everywhere.
#
# This time we train on **mini-batches** (미니배치) of 30 points: the weights are updated after
# every batch rather than once per pass over the data, three updates per epoch, in an
# order reshuffled every epoch (seeded, so the run is repeatable).

# %%
spiral_history = fit(
    spiral_model,
    Xs,
    ys,
    loss="cross_entropy",
    optimizer="adam",
    lr=0.05,
    epochs=150,
    batch_size=30,
    patience=10,
    min_delta=1e-3,
    seed=SEED,
)
print(spiral_history)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.9))
nn.plot.loss_curve(spiral_history, ax=axes[0])
nn.plot.decision_boundary(spiral_model, Xs, ys, ax=axes[1])
axes[1].set_title("three classes, three regions")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Saving and loading
#
# A trained model is just its numbers. `model.save(path)` writes them, with the model's
# shape, to a small JSON file (readable text, never pickle); `load` reads them back
# into a model of the same shape, after checking that the shapes agree.

# %%
spiral_model.save("spirals.json")
print(f"spirals.json: {os.path.getsize('spirals.json'):,} bytes")
with open("spirals.json") as file:
    saved = json.load(file)
print("keys:", list(saved))

# %%
restored = MLP(2, [8, 8, 3], activation="tanh", seed=123)  # different random weights
restored.load("spirals.json")

same = all(a.data == b.data for x in Xs for a, b in zip(spiral_model(x), restored(x)))
print("the restored model gives exactly the same scores on every point:", same)
_, restored_accuracy = evaluate(restored, Xs, ys, loss="cross_entropy")
print(f"restored accuracy: {restored_accuracy:.1%}")

# %% [markdown]
# Loading into a model of another shape fails with a message saying what differs,
# and leaves the model untouched. The error is an `nn.CheckpointError`, raised for any
# saved file that cannot be loaded (unreadable, corrupt, or for another model). It is a
# kind of `ValueError` — a subclass — so `except ValueError` catches it as well, and
# `type(error).__name__` prints its own, more precise name:

# %%
wrong = MLP(2, [4, 3], seed=SEED)
before = wrong.state_dict()
try:
    wrong.load("spirals.json")
except ValueError as error:
    print(f"{type(error).__name__}: {error}")
print("model unchanged:", wrong.state_dict() == before)

# %%
os.chdir(home)  # leave the scratch folder, and remove it with the saved model
scratch.cleanup()

# %% [markdown]
# ## What to take away
#
# - `fit` is the training loop of the lessons: forward, loss, backward, step; with
#   `patience` it stops when the loss stops improving.
# - Learning curves show how training went; decision boundaries show what was learned;
#   a test set shows whether it generalises.
# - One output with `bce_with_logits` for yes/no; one output per class with softmax and
#   `cross_entropy` for several classes.
# - `save` and `load` keep a trained model as plain JSON.

# %% [markdown]
# ## Exercises
#
# Three things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. Cross-entropy by hand.** A network gives one point the scores `[2.0, 0.5, −1.0]`,
# and the point's true class is 2. Work out its cross-entropy loss with `math.exp` and
# `math.log` (after `import math`): softmax, then minus the log of the true class's
# probability.

# %%
loss = ...  # the cross-entropy of scores [2.0, 0.5, -1.0] for true class 2
check_cross_entropy(loss)

# %% [markdown]
# **2. No hidden layer: predict, then check.** Suppose the moons model had no hidden
# layer at all: `MLP(2, [1])`, one neuron reading the two inputs, trained the same way.
# What share of the *test* points would it get right: about 50% (no better than
# guessing), about 85%, or 100%? Decide first; the check trains it and tells you. (Or
# try it yourself first: change `[8, 8, 1]` to `[1]` above.)

# %%
prediction = ...  # 50, 85 or 100 (percent of the test points right)
check_no_hidden_moons(prediction)

# %% [markdown]
# **3. How many updates?** The spirals trained on mini-batches of 30: three updates per
# epoch. With `batch_size=20` on the same 90 points, how many times would the weights be
# updated in 10 epochs? The check runs that `fit` and counts.

# %%
steps = ...  # weight updates in 10 epochs, batch_size=20, 90 points
check_batches(steps)
