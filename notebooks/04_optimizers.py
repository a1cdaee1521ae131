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
# # 4 · Optimizers: smarter steps downhill
#
# Notebook 3 ended with two problems of plain gradient descent: one **learning rate**
# for everything, which is too small in some places and too large in others, and a walk
# that stops wherever the slope is zero. The **optimizers** (옵티마이저) in
# `nn.optim` keep the idea — step against the gradient — but adapt the step as training
# goes, using what they remember of earlier gradients.
#
# First we race them on a 2-D loss surface, where their paths can be drawn; then on a
# real training task, where only the loss curves can. All of them are used the same
# way:
#
# ```python
# opt = Adam(model.parameters(), lr=0.01)
# opt.zero_grad()      # clear the old gradients
# loss.backward()      # compute the new ones
# opt.step()           # update every weight by the optimizer's rule
# ```

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm

from engine import Value
from nn import MLP, datasets, fit
from nn.exercises.lesson4 import check_adam_first_step, check_momentum  # the exercises
from nn.optim import SGD, AdaDelta, AdaGrad, Adam, AdamW, Momentum, RMSProp, trajectory

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## What each one adds
#
# Write `g` for a weight's gradient at the current step.
#
# - **SGD**, *stochastic gradient descent*: the baseline, `w ← w − lr · g`, every weight
#   stepping in proportion to its own slope. It is notebook 3's gradient descent; the
#   "stochastic" is for its usual use, where each step sees a random mini-batch of the data
#   rather than all of it, so its gradients are noisy estimates.
# - **Momentum** (모멘텀): keeps a running *velocity*, `v ← 0.9 · v + g`, and steps along
#   it. Pushes that agree add up and speed along a long valley; pushes that flip back and
#   forth cancel out.
# - **AdaGrad**: divides each weight's step by the square root of the sum of all its
#   squared gradients so far. Weights with small gradients get relatively larger steps,
#   but the sum only grows, so all steps shrink over time.
# - **RMSProp**: AdaGrad with a *moving average* of squared gradients instead of the sum,
#   so the steps adapt to recent slopes and do not die out.
# - **AdaDelta**: like RMSProp, but also tracks the average size of its own recent updates
#   and uses it in place of the learning rate. Its first steps are tiny, and it speeds up
#   as the updates grow.
# - **Adam**: Momentum and RMSProp together: a moving average of the gradient, divided by
#   the root of a moving average of its square, with a correction for the first steps
#   (both averages start at zero). The usual default.
# - **AdamW**: Adam plus **weight decay** (가중치 감쇠) applied directly to the weights:
#   each step also shrinks every weight a little towards zero, which keeps a network from
#   relying on huge weights.

# %% [markdown]
# ## A race on a curved valley
#
# The loss surface below has two weights and a long, curved, narrow valley, with its
# lowest point at `(1, 1)` (the gold star). It is a classic test for optimizers (the
# Rosenbrock function, made a little gentler): the walls are steep, so the gradient
# mostly points across the valley rather than along it. Each optimizer starts at the
# black dot and takes 300 steps, with a learning rate picked to suit it.

# %%
START = (-1.5, 2.0)


def valley(a, b):
    """A curved valley with its minimum 0 at (1, 1); works on numbers and Values."""
    return (1 - a) ** 2 + 10 * (b - a**2) ** 2


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
paths = {name: trajectory(lambda: valley(w1, w2), opt, steps=300) for name, opt in racers.items()}
for name, path in paths.items():
    end = path[-1]
    print(f"{name:>8}: ends at ({end[0]:+.3f}, {end[1]:+.3f}), loss {valley(*end):.2e}")

# %%
xs = [-2 + 3.5 * i / 149 for i in range(150)]
ys = [-1 + 4.5 * j / 149 for j in range(150)]
surface = [[valley(x, y) for x in xs] for y in ys]
levels = [10 ** (k / 4) for k in range(-12, 14)]  # four contour lines per decade

fig, axes = plt.subplots(4, 2, figsize=(8.5, 12.5), sharex=True, sharey=True)
for ax, (name, path) in zip(axes.flat, paths.items()):
    ax.contourf(xs, ys, surface, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.5)
    ax.plot([p[0] for p in path], [p[1] for p in path], color="tab:red", lw=1.5)
    ax.plot(*START, "o", color="black")
    ax.plot(1, 1, "*", color="gold", mec="black", ms=14)
    ax.set(title=f"{name}: loss {valley(*path[-1]):.1g} after 300 steps")
    ax.set(xlim=(-2, 1.5), ylim=(-1, 3.5))
for ax in axes[:, 0]:
    ax.set_ylabel("w2")
for ax in axes[-1]:
    ax.set_xlabel("w1")
# the last panel plots loss against step, so it leaves the shared w1, w2 axes
race = axes.flat[-1]
race.remove()
race = fig.add_subplot(4, 2, 8)
for name, path in paths.items():
    race.plot([valley(*p) for p in path], label=name, lw=1.2)
race.set(yscale="log", xlabel="step", ylabel="loss (log scale)", title="the race")
race.legend(fontsize=8, ncol=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# What the paths show:
#
# - **SGD** dives down the steep wall, then creeps along the flat valley floor: there
#   the gradient is small, so its steps are small.
# - **Momentum** overshoots the wall at first and wobbles, but then builds up speed
#   along the valley floor and gets much closer to the star.
# - **AdaGrad** takes the same-sized first step in both directions (each coordinate is
#   divided by its own gradient size), then slows down as its sums grow.
# - **RMSProp** divides each gradient by its own typical size, so every step is about
#   `lr` long whatever the slope: at `lr = 0.01` it travels at a steady pace and has
#   not reached the end of the valley after 300 steps.
# - **AdaDelta** gets only part of the way down the first wall: its self-made step
#   size starts tiny and grows slowly. It was designed for long training runs, not
#   short races.
# - **Adam**, with momentum and per-weight scaling, reaches the minimum.
# - **AdamW** follows Adam, but its weight decay pulls both weights towards zero, so it
#   settles a little short of `(1, 1)`: on a real network that pull is a feature (it
#   discourages large weights), here it is a visible bias.
#
# ## A race on a real task
#
# A 2-D surface is a cartoon; a network has many weights. Here every optimizer trains
# the same small network — same data, same starting weights (same seed) — to separate
# two rings of points, for 80 **epochs** (에폭), that is 80 full passes over the data:

# %%
X, y = datasets.circles(n=80, noise=0.1, seed=SEED)

fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(
    [p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm", edgecolors="k", linewidths=0.5
)
ax.set(title="two rings", xlabel="x₁", ylabel="x₂", aspect="equal")
plt.show()

# %%
settings = {
    "SGD": (SGD, 0.5),
    "Momentum": (Momentum, 0.05),
    "AdaGrad": (AdaGrad, 0.2),
    "RMSProp": (RMSProp, 0.02),
    "AdaDelta": (AdaDelta, 1.0),
    "Adam": (Adam, 0.05),
    "AdamW": (AdamW, 0.05),
}
histories = {}
for name, (Optimizer, lr) in settings.items():
    model = MLP(2, [8, 1], activation="tanh", seed=SEED)  # the same start for all
    histories[name] = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Optimizer(model.parameters(), lr=lr),
        epochs=80,
        progress=False,
    )
    h = histories[name]
    print(f"{name:>8} (lr {lr:<4}): final loss {h.loss[-1]:.3f}, accuracy {h.accuracy[-1]:.0%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.9))
for name, h in histories.items():
    left.plot(range(1, h.epochs + 1), h.loss, label=name)
    right.plot(range(1, h.epochs + 1), h.accuracy, label=name)
left.set(xlabel="epoch", ylabel="training loss", title="loss, side by side")
right.set(xlabel="epoch", ylabel="accuracy", title="accuracy, side by side", ylim=(0.4, 1.02))
# One legend for both, in a row below them, where it covers no curve.
fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=len(histories),
           fontsize=9, frameon=False)  # fmt: skip
plt.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()

# %% [markdown]
# The adaptive optimizers (AdaGrad, RMSProp, Adam, AdamW) leave the starting plateau
# quickly and classify every point; SGD and Momentum are still working their way off
# it after 80 epochs. (Momentum was given a tenth of SGD's learning rate: on a steady
# slope its velocity grows to ten times the gradient, so their long-run step is the
# same.) AdaDelta again starts slowly. Adam and AdamW draw almost the same curve: with
# only 33 parameters and 80 epochs, the weight decay hardly has anything to act on.
#
# Do not read this as a ranking. Each result depends on the learning rate we picked,
# and with more epochs or other rates the order changes. What the race does show is
# *why* the adaptive methods are popular: they are much less sensitive to how the loss
# is scaled along each weight, so one learning rate works in more places. Adam with a
# learning rate around 0.001–0.05 is the usual first thing to try.
#
# ## What to take away
#
# - All optimizers step against the gradient; they differ in what they remember.
# - **Momentum** remembers the direction (a velocity); **AdaGrad / RMSProp / AdaDelta**
#   remember the size of each weight's gradients and scale its step; **Adam** does
#   both; **AdamW** adds a gentle pull of the weights towards zero.
# - The learning rate still matters, for every one of them.

# %% [markdown]
# ## Exercises
#
# Two things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. Momentum, written out.** Write Momentum's update for one weight: the new velocity
# `v` from the old one and the gradient `g`, then the step along it. The check runs your
# update for 10 steps on the curved valley from the black dot (`lr = 0.002`, as in the
# race) beside `nn.optim.Momentum`, and tells you the first step where they part.


# %%
def momentum_update(w, v, g, lr, momentum=0.9):
    """One Momentum step for one weight: its new value and velocity, from its gradient g."""
    v = ...  # the new velocity, from the old one and the gradient
    w = ...  # the step along the new velocity
    return w, v


check_momentum(momentum_update)

# %% [markdown]
# **2. Adam's first step, predicted.** At the black dot, `START = (−1.5, 2.0)`, the
# valley's gradient is `(dL/dw1, dL/dw2) = (−20, −5)`. How far does `Adam(lr=0.05)` move
# each weight in its very first step? Both of its moving averages start at 0, and the
# correction for the first steps undoes exactly that: work the step out from the
# gradient, then check.

# %%
first_step = ...  # (change of w1, change of w2) in Adam's first step
check_adam_first_step(first_step)
