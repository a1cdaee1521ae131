"""One epoch on the handwritten digits: eager, compiled and hand-written numpy side by side.

The workload is lesson 9's: ``MLP(64, [32, 10])`` (relu, He's init, seed 0; 2,410
parameters) trained with cross-entropy and plain SGD (lr 0.1) on the 1,437 training
digits of ``train_test_split(X, y, 0.2, seed=0)``, in 45 mini-batches of 32 taken in
order. Timed per epoch (every mini-batch's forward, backward and update):

- scalarflow eager: the loop of ``fit`` on Values (zero_grad, forward, loss, backward,
  ``opt.step()``), with the cyclic collector paused as ``fit`` does;
- compiled numpy: ``engine.compile``'s step of one sample's loss run on each batch with
  the parameters packed in one array (``step.with_params``, as ``fit(compile=True)``
  does), the SGD update on that array;
- compiled numpy, one batch: the same, but every step on the first batch's arrays (a
  batch of the arrays of the last call skips compile's checks of the batch's types and
  shapes; its losses follow another path, so they are not compared);
- compiled pure Python: the same step on lists of floats (no numpy), ``step(X, T)``
  adding into ``p.grad`` and ``opt.step()``;
- fit(compile=True): what a user runs, per epoch: the time of 1 + 10·E epochs less that
  of 1 (medians of three), divided by 10·E, so tracing is left out; its mini-batches are
  shuffled, and it also counts the accuracy of every batch;
- numpy by hand: the same forward and backward written with arrays.

Every contender runs in fresh processes with BLAS/OpenMP threads pinned to 1, taking
turns in an order that flips every round; medians, then ratios. The first epoch's mean
loss must agree across contenders (all start from the same weights and batches).

    .venv/bin/python benchmarks/digits_epoch.py [--processes 5] [--epochs 3] [--images 1437]

(``--images`` trains on only the first that many training digits: tests run it tiny.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

THREADS = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
os.environ.update(THREADS)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # the repository, when run from a checkout

from common import fmt_time, in_fresh_process, median, table  # noqa: E402

EAGER, FUSED, PYTHON = "scalarflow eager", "compiled numpy", "compiled pure Python"
SAME, FIT, HAND = "compiled numpy, one batch", "fit(compile=True)", "numpy by hand"
CONTENDERS = (EAGER, FUSED, SAME, PYTHON, FIT, HAND)
HIDDEN, CLASSES, BATCH, LR, SEED = 32, 10, 32, 0.1, 0
FIT_EPOCHS = 10  # fit is timed over this many times --epochs
IMAGES = 1437  # the whole training set: 45 mini-batches


def data(images: int):
    """The first ``images`` training digits, their one-hot targets, the batches (in order)
    and the model."""
    from nn import MLP, datasets
    from nn.losses import one_hot

    X, y = datasets.digits()
    X, _, y, _ = datasets.train_test_split(X, y, test_size=0.2, seed=SEED)
    X, y = X[:images], y[:images]
    batches = [list(range(i, min(i + BATCH, len(X)))) for i in range(0, len(X), BATCH)]
    model = MLP(64, [HIDDEN, CLASSES], seed=SEED, init="he")
    return X, y, [one_hot(t, CLASSES) for t in y], batches, model


def eager(images: int):
    from engine import gc_paused
    from nn import cross_entropy
    from nn.optim import SGD

    X, y, _, batches, model = data(images)
    opt = SGD(model.parameters(), lr=LR)

    def epoch():
        total = 0.0
        for batch in batches:
            with gc_paused():
                opt.zero_grad()
                loss = cross_entropy([model(X[i]) for i in batch], [y[i] for i in batch])
                loss.backward()
                opt.step()
            total += loss.data * len(batch)
        return total / len(X)

    return epoch


def compiled_numpy(images: int, same_batch: bool = False):
    import numpy as np

    import engine
    from nn import cross_entropy

    X, _, T, batches, model = data(images)

    def sample_loss(x, t):
        return cross_entropy([model(x)], [t])

    step = engine.compile(sample_loss, (X[0], T[0]), params=model.parameters())
    theta = np.array([p.data for p in step.state])
    Xa, Ta = np.asarray(X), np.asarray(T)
    rows = [(Xa[b[0] : b[-1] + 1], Ta[b[0] : b[-1] + 1]) for b in batches]
    if same_batch:
        rows = [rows[0]] * len(rows)
    step.with_params(theta, *rows[0])  # the first call validates the trace and makes the code

    def epoch():
        nonlocal theta
        total = 0.0
        for xb, tb in rows:
            loss, grad = step.with_params(theta, xb, tb)
            theta = theta - LR * grad
            total += loss * len(xb)
        return total / len(Xa)

    return epoch


def compiled_python(images: int):
    import engine
    from nn import cross_entropy
    from nn.optim import SGD

    X, _, T, batches, model = data(images)

    def sample_loss(x, t):
        return cross_entropy([model(x)], [t])

    step = engine.compile(sample_loss, (X[0], T[0]), params=model.parameters())
    opt = SGD(model.parameters(), lr=LR)
    rows = [([X[i] for i in b], [T[i] for i in b]) for b in batches]
    step(*rows[0])  # validate and make the code
    opt.zero_grad()

    def epoch():
        total = 0.0
        for xb, tb in rows:
            opt.zero_grad()
            loss = step(xb, tb)
            opt.step()
            total += loss * len(xb)
        return total / len(X)

    return epoch


def fit_seconds(epochs: int, images: int) -> float:
    """The time ``fit(..., compile=True)`` takes for ``epochs`` epochs, tracing included."""
    from nn import fit
    from nn.optim import SGD

    X, y, _, _, model = data(images)
    opt = SGD(model.parameters(), lr=LR)
    start = time.perf_counter()
    fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=epochs, batch_size=BATCH,
        seed=SEED, progress=False, compile=True)  # fmt: skip
    return time.perf_counter() - start


def by_hand(images: int):
    import numpy as np

    X, y, T, batches, model = data(images)
    hidden, out = model.layers
    W0 = np.array([[w.data for w in n.w] for n in hidden.neurons])
    b0 = np.array([n.b.data for n in hidden.neurons])
    W1 = np.array([[w.data for w in n.w] for n in out.neurons])
    b1 = np.array([n.b.data for n in out.neurons])
    Xa, Ta = np.asarray(X), np.asarray(T)
    rows = [(Xa[b[0] : b[-1] + 1], Ta[b[0] : b[-1] + 1]) for b in batches]

    def epoch():
        nonlocal W0, b0, W1, b1
        total = 0.0
        for xb, tb in rows:
            n = len(xb)
            z0 = xb @ W0.T + b0  # forward
            h = np.maximum(z0, 0.0)
            z1 = h @ W1.T + b1
            shifted = z1 - z1.max(axis=1, keepdims=True)  # log-softmax, stable
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -(tb * logp).sum() / n
            g1 = (np.exp(logp) - tb) / n  # backward: softmax - one-hot
            gW1, gb1 = g1.T @ h, g1.sum(0)
            g0 = (g1 @ W1) * (z0 > 0)
            gW0, gb0 = g0.T @ xb, g0.sum(0)
            W0, b0 = W0 - LR * gW0, b0 - LR * gb0  # SGD
            W1, b1 = W1 - LR * gW1, b1 - LR * gb1
            total += loss * n
        return total / len(Xa)

    return epoch


def child(name: str, epochs: int, images: int) -> dict:
    if name == FIT:  # fit's own mini-batches (shuffled): the cost per epoch, not the losses
        # Tracing varies by tens of ms: spread over many epochs, the medians of three runs.
        more = FIT_EPOCHS * epochs * max(1, IMAGES // images)  # as long as on all the digits
        one = median([fit_seconds(1, images) for _ in range(3)])
        per_epoch = (median([fit_seconds(1 + more, images) for _ in range(3)]) - one) / more
        return {"times": [per_epoch], "losses": [], "setup": one}
    start = time.perf_counter()
    makers = {EAGER: eager, FUSED: compiled_numpy, PYTHON: compiled_python, HAND: by_hand}
    epoch = compiled_numpy(images, same_batch=True) if name == SAME else makers[name](images)
    setup = time.perf_counter() - start
    times, losses = [], []
    for _ in range(1 if name == EAGER else epochs):  # eager: ~10 s an epoch, one is plenty
        started = time.perf_counter()
        losses.append(epoch())
        times.append(time.perf_counter() - started)
    return {"times": times, "losses": [] if name == SAME else losses, "setup": setup}


def run(processes: int = 5, epochs: int = 3, images: int = IMAGES) -> dict:
    results = {name: [] for name in CONTENDERS}
    for r in range(processes):
        for name in CONTENDERS if r % 2 == 0 else CONTENDERS[::-1]:
            args = ("--child", name, "--epochs", epochs, "--images", images)
            results[name].append(in_fresh_process(os.path.abspath(__file__), *args)[0])
    reference = results[EAGER][0]["losses"][0]
    summary = {}
    for name in CONTENDERS:
        first = results[name][0]["losses"]
        summary[name] = {
            "median": median([median(res["times"]) for res in results[name]]),
            "setup": median([res["setup"] for res in results[name]]),
            "loss_gap": abs(first[0] - reference) / reference if first else None,
            "loss": first[0] if first else None,
        }
    return summary


def report(summary: dict, images: int = IMAGES) -> str:
    hand, slow = summary[HAND]["median"], summary[EAGER]["median"]
    rows = []
    for name, s in summary.items():
        gap = "-" if s["loss_gap"] is None else f"{s['loss_gap']:.1e}"
        rows.append([name, fmt_time(s["median"]), f"{s['median'] / hand:.2f}",
                     f"{slow / s['median']:,.0f}x", fmt_time(s["setup"]), gap])  # fmt: skip
    header = [
        f"digits epoch ({images} images)",
        "median epoch",
        "/ numpy by hand",
        "faster than eager",
    ]
    header += ["setup", "first-epoch loss gap"]
    return table(header, rows)


def check_losses_agree(summary: dict) -> None:
    """Exit with an error unless every contender's first-epoch loss matches eager's.

    45 steps from the same weights; a matrix product adds in its own order, so 1e-9.
    """
    worst = max(s["loss_gap"] for s in summary.values() if s["loss_gap"] is not None)
    if worst > 1e-9:
        sys.exit(f"digits epoch: the contenders' losses disagree (relative gap {worst:.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=IMAGES)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.epochs, args.images)))
        return
    summary = run(args.processes, args.epochs, args.images)
    print(report(summary, args.images))
    print(f"first-epoch mean loss (eager): {summary[EAGER]['loss']:.12f}")
    check_losses_agree(summary)


if __name__ == "__main__":
    main()
