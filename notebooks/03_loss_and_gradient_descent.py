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
# # 3 · Loss and gradient descent
#
# A network *learns* by changing its weights until its predictions are good.
# This notebook makes that sentence precise with a model that has a single weight, so
# that every idea can be drawn on one curve:
#
# 1. a **loss function** (손실 함수) turns "how wrong is the model?" into one number;
# 2. the **slope** of the loss with respect to the weight says which way is downhill;
# 3. **gradient descent** (경사 하강법) takes a step downhill, `w ← w − lr · slope`,
#    and repeats;
# 4. the **learning rate** (학습률) `lr` decides whether that walk crawls, converges,
#    oscillates or flies off;
# 5. a **local minimum** (지역 최솟값) is a valley floor that is not the lowest one, and
#    plain gradient descent stops there.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

from engine import Value
from nn.exercises.lesson3 import check_hump, check_largest_lr, check_step  # the exercises

random.seed(0)  # the lessons start from the same state every time
plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})

# %% [markdown]
# ## A model, some data, and a number for how wrong it is
#
# Four measurements `(x, y)`, and a model with one weight that predicts `ŷ = w · x`.
# The loss, written `L`, is the **mean squared error** (평균 제곱 오차): the average of
# the squared gaps between prediction and truth. Squaring makes every miss count as
# positive and big misses count a lot more than small ones.
#
# The function below works on plain numbers *and* on `Value`s, because it only uses
# `+`, `*` and `**`: we will use it both to draw the curve and to let the engine
# differentiate it.

# %%
xs = [1.0, 2.0, 3.0, 4.0]
ys = [2.1, 3.9, 6.2, 7.8]  # roughly y = 2x, with a little noise


def loss(w):
    """Mean squared error of the prediction w·x over the data."""
    return sum((w * x - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


for w in (0.0, 1.0, 2.0, 3.0):
    print(f"w = {w:.1f}   loss = {loss(w):7.3f}")

# %% [markdown]
# Training means finding the `w` where this number is smallest. With one weight we
# could simply draw the loss for every `w` and look. A real network has thousands of
# weights and no picture we could look at, so we need a method that only uses
# information *at the current point*: the slope there.
#
# ## The slope at a point
#
# The slope of the loss at `w` is its derivative `dL/dw`: how much the loss changes per
# unit change of `w`. With many weights it is a *partial* derivative, one per
# weight, each asking the same question while the others are held still. The engine
# computes it: build the loss from a `Value`, call `backward()`, read `.grad`.

# %%
w = Value(0.5, label="w")
L = loss(w)
L.backward()
print(f"at w = {w.data}:  loss = {L.data:.4f},  slope dL/dw = {w.grad:.4f}")

# %% [markdown]
# A negative slope means the loss *falls* as `w` grows: downhill is to the right. The
# tangent line drawn below has exactly this slope; it is the straight line that best
# matches the curve near `w = 0.5`.

# %%
grid = [i / 100 for i in range(-50, 451)]
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(grid, [loss(g) for g in grid], color="tab:blue", label="loss L(w)")
near = [g for g in grid if abs(g - w.data) <= 0.6]
ax.plot(
    near,
    [L.data + w.grad * (g - w.data) for g in near],
    color="tab:orange",
    lw=2,
    label=f"tangent at w = {w.data}: slope {w.grad:.2f}",
)
ax.plot([w.data], [L.data], "o", color="tab:orange")
ax.annotate("downhill →", (w.data + 0.15, L.data + 4), color="tab:orange")
ax.set(xlabel="weight w", ylabel="loss", ylim=(-2, 40), title="The loss over one weight")
ax.legend()
plt.show()


# %% [markdown]
# ## One step downhill, by hand
#
# For this loss we can also differentiate on paper. With
# `L(w) = mean((w·x − y)²)`, the chain rule gives
#
# `dL/dw = mean(2 · (w·x − y) · x)`.
#
# Gradient descent moves the weight a little *against* the slope:
#
# `w_new = w − lr · dL/dw`
#
# A negative slope makes `w` grow, a positive one makes it shrink: either way the step
# goes downhill, and it is longer where the curve is steeper. The **learning rate**
# `lr` scales the step. Three steps with `lr = 0.05`, all in plain arithmetic:


# %%
def slope_by_hand(w):
    return sum(2 * (w * x - y) * x for x, y in zip(xs, ys)) / len(xs)


lr = 0.05
w_hand = 0.5
for step in range(1, 4):
    s = slope_by_hand(w_hand)
    new = w_hand - lr * s
    print(
        f"step {step}: w = {w_hand:.4f}, slope = {s:8.4f}, "
        f"w - lr·slope = {w_hand:.4f} - {lr} · {s:.4f} = {new:.4f}"
    )
    w_hand = new

# %% [markdown]
# ## The same steps with the engine
#
# Now the engine supplies the slope. Two details matter in the loop:
#
# - a leaf's `.grad` **accumulates** across `backward()` calls (as in PyTorch), so we
#   reset it to zero before each one;
# - the update changes `w.data` directly: it is bookkeeping, not part of any graph.
#
# We also follow the recipe of training to its end: keep stepping **until the total
# loss stops decreasing** (here: until a step improves it by less than `1e-9`).

# %%
w = Value(0.5, label="w")
history = []
for step in range(1, 101):
    w.grad = 0.0  # forget the previous step's slope
    L = loss(w)
    L.backward()
    history.append((w.data, L.data))
    if step <= 3:
        print(f"step {step}: w = {w.data:.4f}, slope = {w.grad:8.4f}")
    w.data -= lr * w.grad  # the gradient-descent update
    if len(history) > 1 and history[-2][1] - history[-1][1] < 1e-9:
        break
print(f"stopped after {step} steps: w = {w.data:.6f}, loss = {loss(w.data):.6f}")

best = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
print(f"the exact minimiser, mean(x·y) / mean(x²) = {best:.6f}")

# %% [markdown]
# The first three slopes are exactly the ones we computed by hand, and the walk ends at
# the weight that algebra says is best. Plotted on the curve, the steps are long where
# the curve is steep and shrink as the slope flattens near the bottom:

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(grid, [loss(g) for g in grid], color="tab:blue", lw=1)
path_w = [h[0] for h in history[:8]]
ax.plot(
    path_w,
    [loss(p) for p in path_w],
    "o-",
    color="tab:red",
    ms=5,
    label="gradient descent, lr = 0.05",
)
for i, p in enumerate(path_w[:3]):
    ax.annotate(f"{i}", (p, loss(p)), textcoords="offset points", xytext=(4, 6))
ax.set(
    xlabel="weight w",
    ylabel="loss",
    ylim=(-2, 40),
    xlim=(-0.5, 4.5),
    title="Each step moves against the slope",
)
ax.legend()
plt.show()


# %% [markdown]
# ## The learning rate decides how the walk goes
#
# The step is `lr · slope`, so the learning rate is the one knob we chose ourselves.
# This loss is a parabola in `w` (a sum of squares of `w·x − y`), so each step multiplies
# the distance to the minimum by the same factor `1 − lr · L''` (here
# `L'' = 2 · mean(x²) = 15`). That predicts four behaviours:
#
# | learning rate | factor | what happens |
# |---|---|---|
# | 0.002 | 0.97 | **crawls**: right direction, tiny steps |
# | 0.05 | 0.25 | **converges** quickly |
# | 0.12 | −0.8 | **oscillates**: overshoots to the other side each time, but settles |
# | 0.14 | −1.1 | **diverges**: each overshoot is bigger than the last |
#
# Let us watch all four, twenty steps each, from the same starting weight.


# %%
def descend(lr, w0=0.5, steps=20):
    """Weights visited by gradient descent on `loss`, starting from w0."""
    w = Value(w0)
    path = [w.data]
    for _ in range(steps):
        w.grad = 0.0
        loss(w).backward()
        w.data -= lr * w.grad
        path.append(w.data)
    return path


rates = {0.002: "crawls", 0.05: "converges", 0.12: "oscillates", 0.14: "diverges"}
fig, axes = plt.subplots(2, 2, figsize=(8, 5.4), sharex=True, sharey=True)
for ax, (rate, verdict) in zip(axes.flat, rates.items()):
    path = descend(rate)
    ax.plot(grid, [loss(g) for g in grid], color="tab:blue", lw=1)
    ax.plot(path, [loss(p) for p in path], "o-", color="tab:red", ms=3, lw=0.8)
    ax.plot(path[:1], [loss(path[0])], "o", color="black", ms=5)
    ax.set(title=f"lr = {rate}: {verdict}", ylim=(-2, 40), xlim=(-0.5, 4.5))
    print(f"lr = {rate:<5}  after 20 steps: w = {path[-1]:9.4f}, loss = {loss(path[-1]):10.4f}")
for ax in axes[:, 0]:
    ax.set_ylabel("loss")
for ax in axes[1]:
    ax.set_xlabel("w")
plt.tight_layout()
plt.show()

# %% [markdown]
# The same four runs as loss against step number (log scale, so that both tiny and huge
# losses fit): the crawl barely moves, the good rate's loss drops fast, the oscillating one
# falls just as smoothly, and the diverging one climbs. The oscillation does not show
# here: the weight jumps from one side of the minimum to the other (the panels above),
# but the loss only depends on how far from the minimum it lands, and that distance
# shrinks by the same factor 0.8 at every step.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for rate, verdict in rates.items():
    ax.plot([loss(p) for p in descend(rate)], "o-", ms=3, label=f"lr = {rate} ({verdict})")
ax.set(
    yscale="log",
    xlabel="step",
    ylabel="loss (log scale)",
    title="Loss during training, for four learning rates",
)
ax.legend(fontsize=9)
plt.show()


# %% [markdown]
# There is no learning rate that is right for every problem: it depends on how curved
# the loss is, and a real loss is curved differently in different places and in
# different directions. That is why it is usually found by trying, and why the
# optimizers of the next notebook adapt the step while training runs.
#
# ## A valley that is not the lowest: the local minimum
#
# The loss of a real network is not one clean bowl. Here is a made-up loss over one
# weight with two valleys: a shallow one on the right and a deeper one on the left.


# %%
def bumpy(w):
    """A loss with two valleys."""
    return w**4 - 3 * w**2 + w


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
print(
    f"lr = 0.01 from w = 2: stops at w = {small[-1]:.4f}, loss = {bumpy(small[-1]):.4f}, "
    f"slope there = {slope_at_end:.1e}"
)
left = [g / 100 for g in range(-200, 201)]
lowest = min(left, key=bumpy)
print(f"the lowest point on the curve is near w = {lowest:.2f}, loss = {bumpy(lowest):.4f}")

# %% [markdown]
# Starting at `w = 2` with a small learning rate, gradient descent slides into the
# right-hand valley and stops: at the bottom of *any* valley the slope is zero, so
# `w − lr · 0` is `w` again. It has no way of knowing that a deeper valley exists
# over the hump.
#
# A larger learning rate takes bigger steps. From the same start, `lr = 0.1` makes a
# first step long enough to land on the far side of the hump, and the walk ends in the
# deeper valley. That is the hope behind larger steps — but it is luck, not a method:
# at `lr = 0.2` the very same walk flies off instead (printed below).

# %%
big, _ = descend_bumpy(lr=0.1, w0=2.0)
print(
    f"lr = 0.1 from w = 2: w goes {big[0]:.2f} → {big[1]:.2f} → ... → {big[-1]:.4f}, "
    f"loss = {bumpy(big[-1]):.4f}"
)
wild, _ = descend_bumpy(lr=0.2, w0=2.0, steps=4)
print("lr = 0.2 from w = 2: w goes " + " → ".join(f"{p:.4g}" for p in wild) + " → ...")

curve = [g / 100 for g in range(-190, 215)]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
for ax, (path, title) in zip(
    axes,
    [
        (small, "lr = 0.01: stuck in the local minimum"),
        (big, "lr = 0.1: one long step over the hump"),
    ],
):
    ax.plot(curve, [bumpy(c) for c in curve], color="tab:blue", lw=1)
    ax.plot(path[:40], [bumpy(p) for p in path[:40]], "o-", color="tab:red", ms=3, lw=0.8)
    ax.plot(path[:1], [bumpy(path[0])], "o", color="black", ms=6, label="start")
    ax.plot(path[-1:], [bumpy(path[-1])], "*", color="gold", mec="black", ms=14, label="end")
    ax.set(title=title, xlabel="w", ylim=(-4.2, 7))
    ax.legend(loc="upper center")
axes[0].set_ylabel("loss")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What to take away
#
# - A **loss** is one number for how wrong the model is; learning is making it small.
# - The **slope** `dL/dw` (from `backward()`) says which way is downhill, and how steep.
# - **Gradient descent** repeats `w ← w − lr · slope` until the loss stops falling;
#   remember to reset `.grad` before each `backward()`.
# - The **learning rate** is a trade-off: too small crawls, too large oscillates or
#   diverges.
# - Where the slope is zero the walk stops, even in a **local minimum**.
#
# With thousands of weights, each gets its own partial derivative and its own step, all
# from one `backward()`. How that one call finds every slope is the subject of
# notebook 5 (backpropagation); how to choose better steps than `lr · slope` is
# notebook 4 (optimizers).

# %% [markdown]
# ## Exercises
#
# Three things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. One step by hand.** On the same four points, start from `w = 1.0`. Work out the
# slope `dL/dw = mean(2 · (w·x − y) · x)` there, then one step of gradient descent with
# `lr = 0.05`.

# %%
slope = ...  # dL/dw at w = 1.0
w_new = ...  # w after one step from w = 1.0 with lr = 0.05
check_step(slope, w_new)

# %% [markdown]
# **2. The largest learning rate.** The table above said `0.12` oscillates but settles
# and `0.14` diverges. From the factor `1 − lr · 15` that every step multiplies the
# distance to the minimum by, work out the largest learning rate that does not diverge.
# The check runs gradient descent on both sides of it.

# %%
largest_lr = ...  # the largest learning rate that does not diverge on this loss
check_largest_lr(largest_lr)

# %% [markdown]
# **3. Which valley?** From `w = 2` with `lr = 0.01` the walk stopped in the shallow
# valley. Find the largest starting weight from which the same walk ends in the deeper
# valley, to within 0.01 below it. Where, between the valleys, is the slope zero?

# %%
start = ...  # the largest start that still ends in the deeper valley
check_hump(start)
