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
# # 9 · Real data: handwritten digits
#
# The examples that make deep learning worth learning are real things: telling a dog
# from a cat in a photo, spotting spam in a mailbox, a car picture whose layers find the
# wheels and the logo on their own. Until now our networks have only seen points on a
# plane. This notebook trains one on real data: 1,797 **handwritten digits** (필기체
# 숫자) that 43 people wrote on paper forms, scanned and shrunk to 8×8 images. It is a
# classic data set (UCI's "optical recognition of handwritten digits", the one
# scikit-learn ships), and it comes with scalarflow: no download.
#
# We will
#
# 1. look at the images and at the numbers a network actually receives;
# 2. set a fifth of them aside to test on, and train a network on the rest — compiled,
#    with one eager epoch timed beside it;
# 3. measure how many digits it has never seen it reads right, which ones it confuses,
#    and draw the ones it gets wrong;
# 4. draw what its hidden neurons look for, and compare with a model that has no hidden
#    layer;
# 5. ask how many hidden neurons are enough.

# %%
# %matplotlib inline
import random
import time

import matplotlib.pyplot as plt

from nn import MLP, classify, datasets, fit, plot, predict
from nn.exercises.lesson9 import check_drawing, check_parameters, check_weight_decay
from nn.optim import AdamW

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## The data
#
# Each scan was 32×32 black-or-white dots; every 4×4 block of dots became one
# **pixel** (픽셀) holding how many of its 16 dots were ink. `datasets.digits()` divides
# those counts by 16, so a pixel is a number from 0.0 (paper) to 1.0 (all ink), and an
# image is 64 of them, row by row. The labels say which digit was written.

# %%
X, y = datasets.digits()
print(f"{len(X)} images of {len(X[0])} pixels; labels {sorted(set(y))}")
print("images of each digit:", [y.count(d) for d in range(10)])
print(f"\nthe first image, a {y[0]}, as the pixel counts 0–16:")
for row in range(8):
    print(" ".join(f"{16 * v:2.0f}" for v in X[0][8 * row : 8 * row + 8]))

# %% [markdown]
# Sixty-four numbers are all the network will ever get; you can just make out the
# loop of the 0 in them. Drawn as images (ink dark), the first forty:

# %%
plot.images(X[:40], y[:40])
plt.show()

# %% [markdown]
# The same digit comes in many hands: slanted, thick, thin, open or closed loops. No
# rule written by hand would read them all; the network will have to find its own.
#
# ## A set to train on, a set to test on
#
# Notebook 6 showed why a model must be tested on data it never trained on. Here we
# hold out 20% of the images. `train_test_split` draws them at random (seeded, so every
# run makes the same split) but *stratified* — **stratified sampling** (층화 추출) takes
# the same share from every class — so each digit is tested about as often as it
# occurs.

# %%
X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=SEED)
print(f"{len(X_train)} images to train on, {len(X_test)} to test on")
print("test images of each digit:", [y_test.count(d) for d in range(10)])

# %% [markdown]
# ## A perceptron with 64 inputs
#
# Notebook 2's perceptron took two inputs (a shop's June and July sales), multiplied
# each by a weight and added a bias. Nothing in it cares how many inputs there are: a
# neuron reading an image has 64 weights, one per pixel, and computes
# `w1·x1 + w2·x2 + … + w64·x64 + b`. A network for
# digits is layers of such neurons: here 32 hidden neurons each reading all 64 pixels,
# and 10 output neurons, one score per digit, turned into probabilities by softmax and
# trained with cross-entropy as the spirals were in notebook 6. `MLP(64, [32, 10])` has
# 64·32 + 32 + 32·10 + 10 = 2,410 parameters.
#
# The optimizer is AdamW (notebook 4), for a reason that shows later, when we draw the
# weights: its weight decay pulls every weight a little towards 0 at each step. A pixel
# that is blank multiplies its weight by 0, so in that image the loss does not depend on
# the weight and gives it no gradient. Some pixels are blank in almost every image (the
# left and right edges, counted below); with plain Adam their weights would keep most of
# their random starting values, and pictures of the weights would be speckled with that
# noise. With weight decay, only what the data keeps pushing stays.

# %%
inked = [sum(x[i] > 0 for x in X_train) for i in range(64)]
rare = [i for i in range(64) if inked[i] < len(X_train) / 20]
print(f"pixels with ink in fewer than 1 image in 20: {len(rare)} {rare}")
print(f"pixels with ink in no training image at all: {[i for i in rare if inked[i] == 0]}")


def new_network(hidden):
    """MLP(64, [*hidden, 10]) and its optimizer, the same start for every run."""
    model = MLP(64, [*hidden, 10], seed=SEED)
    return model, AdamW(model.parameters(), lr=0.01, weight_decay=0.3)


# %% [markdown]
# ## Training: one epoch eager, then compiled
#
# Every mini-batch of 32 images is a graph of over 200,000 Values, built, walked
# backwards and thrown away; an epoch is 45 of them. First one epoch the way notebook 6
# trained, eagerly, timed. Then the same network from the same start, compiled
# (`compile=True`: notebook 8's generated code, each layer a matrix product), for 20
# epochs. (The times are what the machine took when the notebook ran; yours will
# differ.)

# %%
eager_model, eager_optimizer = new_network([32])
start = time.perf_counter()
eager_history = fit(eager_model, X_train, y_train, loss="cross_entropy",
                    optimizer=eager_optimizer, epochs=1, batch_size=32, seed=SEED,
                    progress=False)  # fmt: skip
eager_seconds = time.perf_counter() - start

model, optimizer = new_network([32])
start = time.perf_counter()
history = fit(model, X_train, y_train, loss="cross_entropy", optimizer=optimizer,
              epochs=20, batch_size=32, seed=SEED, compile=True)  # fmt: skip
compiled_seconds = time.perf_counter() - start

print(f"eager:    1 epoch  in {eager_seconds:5.1f} s")
print(f"compiled: 20 epochs in {compiled_seconds:5.1f} s, tracing included "
      f"({eager_seconds * 20 / compiled_seconds:.0f}× faster)")  # fmt: skip
print(f"loss over the first epoch: eager {eager_history.loss[0]:.12f}, "
      f"compiled {history.loss[0]:.12f}")  # fmt: skip

# %% [markdown]
# The same arithmetic both ways — the first epoch's losses agree to the last digits
# printed — but compiled, the twenty epochs take about as long as a fraction of one
# eager epoch. The learning curve:

# %%
plot.loss_curve(history)
plt.show()

# %% [markdown]
# ## Digits it has never seen
#
# `classify` runs the trained network on every test image (compiled too, and without
# recording a graph) and takes the digit with the highest score. The network that
# reads new digits about as well as the ones it trained on **generalizes** (일반화): it
# learned digits, not these 1,437 images.

# %%
predicted = classify(model, X_test, compile=True)
right = sum(p == t for p, t in zip(predicted, y_test))
train_right = sum(p == t for p, t in zip(classify(model, X_train, compile=True), y_train))
print(f"training images: {train_right / len(y_train):.1%} right")
print(f"test images:     {right / len(y_test):.1%} right ({right} of {len(y_test)})")

# %% [markdown]
# ## Which digits it confuses
#
# One accuracy hides *which* mistakes are made. A **confusion matrix** (혼동 행렬)
# counts them: row = the true digit, column = the digit the network said. Right answers
# sit on the diagonal; every other number is a kind of mistake (outlined in red), such
# as a 9 read as a 3.

# %%
plot.confusion_matrix(y_test, predicted)
plt.show()

# %% [markdown]
# And the mistakes themselves, each titled "true → predicted":

# %%
wrong = [(x, t, p) for x, t, p in zip(X_test, y_test, predicted) if p != t]
plot.images([x for x, _, _ in wrong], [f"{t} → {p}" for _, t, p in wrong])
plt.show()

# %% [markdown]
# Some would puzzle a person too: at 8×8, a 9 and a 3, or a 5 and a 9, can differ by a
# pixel or two.
#
# ## What the hidden neurons look for
#
# The blog post these lessons grew from showed a car photo whose layers found the wheels
# and the logo by themselves: feature extraction. Here we can look. A hidden neuron's 64
# weights line up with the 64 pixels, so they can be drawn as an 8×8 image: red where ink
# *raises* the neuron's sum, blue where ink lowers it, white where the pixel does not
# matter. All 32 share one colour scale.

# %%
plot.weight_images(model.layers[0])
plt.show()
hidden = predict(model.layers[0], X_train, compile=True)  # 32 outputs per training image
silent = [f"L0.N{j}" for j in range(32) if all(h[j] == 0 for h in hidden)]
print("neurons that fire for no training image:", ", ".join(silent) or "none")

# %% [markdown]
# They are not pictures of digits. Most are patches and strokes: ink wanted in one
# place (red) and not in another (blue) — part of a loop here, an edge or a bar there —
# and a few neurons carry most of the weight. A neuron that fires for no image at all
# (listed under the picture) is blank: relu gives 0 for every digit, so no gradient
# reaches its weights and weight decay has faded them.
#
# The weights say what a neuron *wants*; the images that make it fire most say what it
# *finds*. For the first eight neurons, the weights beside the six training images with
# the largest output:

# %%
limit = max(abs(w.data) for n in model.layers[0].neurons for w in n.w)
fig, axes = plt.subplots(8, 7, figsize=(6.3, 7.6))
for j, row in enumerate(axes):
    neuron = model.layers[0].neurons[j]
    weights = [w.data for w in neuron.w]
    row[0].imshow([weights[8 * r : 8 * r + 8] for r in range(8)], cmap="RdBu_r",
                  vmin=-limit, vmax=limit)  # fmt: skip
    row[0].set_ylabel(f"L0.N{j}", rotation=0, ha="right", va="center")
    strongest = sorted(range(len(X_train)), key=lambda i: -hidden[i][j])[:6]
    for ax, i in zip(row[1:], strongest):
        ax.imshow([X_train[i][8 * r : 8 * r + 8] for r in range(8)], cmap="gray_r",
                  vmin=0, vmax=1)  # fmt: skip
        ax.set_title(f"{y_train[i]}", fontsize=8, pad=2)
    for ax in row:
        ax.set(xticks=[], yticks=[])
axes[0][0].set_title("weights", fontsize=8, pad=2)
plt.tight_layout(pad=0.3)
plt.show()

# %% [markdown]
# Several neurons answer most to more than one digit: they detect a *part* that those
# digits share, a bar, a curve, a closed loop. No neuron is "the 3 neuron"; the output
# layer reads a digit off the combination of parts that are present, which is what
# feature extraction means, measured.
#
# ## Without a hidden layer
#
# A model with no hidden layer, `MLP(64, [10])`, gives each digit one neuron reading the
# pixels directly: its score is the image weighted by that digit's 64 weights, a single
# template per class. Trained the same way:

# %%
flat, flat_optimizer = new_network([])
fit(flat, X_train, y_train, loss="cross_entropy", optimizer=flat_optimizer, epochs=20,
    batch_size=32, seed=SEED, compile=True, progress=False)  # fmt: skip
flat_predicted = classify(flat, X_test, compile=True)
flat_right = sum(p == t for p, t in zip(flat_predicted, y_test))
print(f"no hidden layer:   {flat_right / len(y_test):.1%} of the test images right")
print(f"32 hidden neurons: {right / len(y_test):.1%}")
plot.weight_images(flat, columns=5)
plt.show()

# %% [markdown]
# Each output neuron (N0 for the digit 0, N1 for 1, …) is now a template of a whole
# digit, drawn as much by what tells its digit from the others as by its shape: the 0's
# wants ink down both sides and none down the middle (blue), the 7's wants the top row
# and no ink at the bottom left, and the 9's is blue at the bottom left, where an 8 or
# a 6 has ink and a 9 has paper. On these small, centred digits one template each
# already reads most of them; the hidden layer, with parts it can combine in many ways,
# gets most of the rest right too — compare the two lines above: about a third as many
# mistakes.
#
# ## How many hidden neurons are enough?
#
# More hidden neurons mean more parts to combine, and more weights to learn. The same
# training for each size, compiled (each takes a second or so):

# %%
print(f"{'hidden':>8} {'parameters':>11} {'train':>7} {'test':>7} {'seconds':>8}")
for size in [0, 2, 4, 8, 16, 32, 64]:
    net, net_optimizer = new_network([size] if size else [])
    start = time.perf_counter()
    fit(net, X_train, y_train, loss="cross_entropy", optimizer=net_optimizer, epochs=20,
        batch_size=32, seed=SEED, compile=True, progress=False)  # fmt: skip
    seconds = time.perf_counter() - start
    train_acc = sum(p == t for p, t in zip(classify(net, X_train, compile=True), y_train))
    test_acc = sum(p == t for p, t in zip(classify(net, X_test, compile=True), y_test))
    print(f"{size or 'none':>8} {len(net.parameters()):>11,} {train_acc / len(y_train):>7.1%} "
          f"{test_acc / len(y_test):>7.1%} {seconds:>8.1f}")  # fmt: skip

# %% [markdown]
# Two or four hidden neurons are a bottleneck: everything the output layer learns of an
# image must pass through those few numbers (fewer still when a relu neuron stops
# firing), and they do far worse than no hidden layer at all. Eight already beat it;
# around 32 the test accuracy stops rising: 64 neurons fit the training images a little
# better, but read new ones no better — there is little left in 8×8 digits for them to
# find.
#
# ## What to take away
#
# - A real image is just many inputs: a perceptron for 8×8 digits has 64 weights, and a
#   network of them reads handwriting it has never seen, trained in seconds once
#   compiled.
# - Test on data held out from training, and look past the accuracy: the confusion
#   matrix and the failures say what is hard.
# - Each hidden neuron's weights are a picture of what it looks for; on digits they are
#   parts — strokes, bars, loops — shared by several digits and combined by the output
#   layer. That is feature extraction, and it is what a hidden layer adds over one
#   template per class.

# %% [markdown]
# ## Exercises
#
# Three things to do, each ended by a check that says what is right and what is not yet.
# (Worked solutions are in `notebooks/solutions/`, for after you have tried.)
#
# **1. Count the parameters.** How many parameters do `MLP(64, [10])` (no hidden layer)
# and `MLP(64, [16, 10])` have? Count them as the lesson counted `MLP(64, [32, 10])`.

# %%
flat = ...  # parameters of MLP(64, [10])
small = ...  # parameters of MLP(64, [16, 10])
check_parameters(flat, small)

# %% [markdown]
# **2. Without weight decay: predict, then check.** Some pixels hold no ink in any
# training image (listed above). Trained with `weight_decay=0` instead of `0.3`, what
# happens to the hidden neurons' weights for those pixels over the 20 epochs: do they
# stay `"unchanged"`, get `"smaller"`, or get `"larger"`? The check trains it both ways.

# %%
prediction = ...  # "unchanged", "smaller" or "larger"
check_weight_decay(prediction)

# %% [markdown]
# **3. Write a 7.** Draw a digit for the trained network to read: 8 rows of 8, `#` for
# ink, `+` for a little ink, `.` for paper. Turn dots into `#` until `model` reads your
# drawing as a 7.

# %%
drawing = """
........
........
........
........
........
........
........
........
"""
check_drawing(model, drawing, digit=7)
