"""The digits step compiled: engine.compile beside hand-written numpy, torch and jax.jit.

One training step of the digits lesson's model, ``MLP(64, [32, 10], activation="tanh")``
with softmax cross-entropy over its 10 outputs (2,410 parameters), on random data of the
digits' shape (64 inputs in [0, 1], 10 classes), at batch 16, 64, 256 and 1,437 (the
digits' training split). A step is forward, loss, backward and the gradients as arrays,
no update (every contender computes at the same weights, so their losses must agree):

- **compiled**: ``step.with_params(theta, X, T)`` — what ``fit(compile=True)`` runs with
  numpy: the program it traces (``cross_entropy([model(x)], [t])`` of one sample, the class
  as a one-hot row), the parameters as one array, the gradient returned as one;
- **compiled, into p.grad**: ``zero_grad(); step(X, T)``, the gradients added into the
  2,410 ``p.grad`` (what a hand-written loop over Values runs);
- **numpy by hand**: the same step written with arrays, as a careful person would;
- **numpy by hand, memory kept**: the same, with malloc set as compiled code on numpy
  sets it (``engine.compiler.runtime.keep_freed_memory``: freed arrays stay in the process
  for the next call instead of being faulted in afresh), to show what that alone buys;
- **torch** (``F.cross_entropy``, autograd) and **jax.jit** (``value_and_grad``) in float64,
  when installed (never a dependency).

Every contender runs in fresh processes with BLAS/OpenMP threads pinned to 1 (set before
numpy is imported), taking turns, the order flipped every round; in a process the batch
sizes alternate step by step. Medians of each process's median, then ratios to numpy by
hand in the same run.

    .venv/bin/python benchmarks/compile_digits.py [--processes 5] [--steps 20]
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

from common import fmt_time, in_fresh_process, installed, median, table  # noqa: E402

COMPILED, INTO_GRAD = "compiled", "compiled, into p.grad"
HAND, HAND_KEPT, TORCH, JAX = "numpy by hand", "numpy by hand, memory kept", "torch", "jax.jit"
CONTENDERS = (COMPILED, INTO_GRAD, HAND, HAND_KEPT, TORCH, JAX)
BATCHES = (16, 64, 256, 1437)
SIZES = (64, 32, 10)  # inputs, hidden (tanh), classes


def available() -> list[str]:
    try:  # an engine from before keep_freed_memory: no such row
        from engine.compiler.runtime import keep_freed_memory  # noqa: F401

        kept = [HAND_KEPT]
    except ImportError:
        kept = []
    return [COMPILED, INTO_GRAD, HAND, *kept] + [
        name for name, module in ((TORCH, "torch"), (JAX, "jax")) if installed(module)
    ]


def data(rows: int):
    """Random inputs in [0, 1] and one-hot targets of the digits' shape (seeded)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, size=(rows, SIZES[0]))
    labels = rng.integers(0, SIZES[2], size=rows)
    return X, np.eye(SIZES[2])[labels]


def model():
    from nn import MLP

    return MLP(SIZES[0], list(SIZES[1:]), activation="tanh", seed=0)


def layers(theta):
    """The parameters (model order: each neuron's weights, then its bias) as (W, b) pairs."""
    out, start = [], 0
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        block = theta[start : start + n_out * (n_in + 1)].reshape(n_out, n_in + 1)
        out.append((block[:, :n_in].copy(), block[:, n_in].copy()))
        start += n_out * (n_in + 1)
    return out


def flat(grads) -> list[float]:
    """(gW, gb) pairs back in model order, as one list."""
    import numpy as np

    return np.concatenate([np.concatenate([gW, gb[:, None]], axis=1).ravel() for gW, gb in grads])


# ---------------------------------------------------------------------------
# The contenders: each a function of the batch size that runs one step, built in the child.


def compiled(into_grad: bool):
    """The program fit(compile=True) compiles: one sample's cross_entropy, one-hot target."""
    import numpy as np

    import engine
    from nn.losses import cross_entropy

    net = model()
    params = net.parameters()

    def sample_loss(x, t):  # as nn.train's compiled loop writes it
        return cross_entropy([net(x)], [t])

    X, T = data(max(BATCHES))
    step = engine.compile(sample_loss, (X[0].tolist(), T[0].tolist()), params=params)
    theta = np.asarray([p.data for p in params])

    def run(batch: int):
        if into_grad:
            for p in params:  # opt.zero_grad()
                p.grad = 0.0
            return step(X[:batch], T[:batch]), None
        return step.with_params(theta, X[:batch], T[:batch])

    return run


def by_hand(keep_memory: bool = False):
    import numpy as np

    if keep_memory:
        from engine.compiler.runtime import keep_freed_memory

        keep_freed_memory()

    X, T = data(max(BATCHES))
    theta = np.asarray([p.data for p in model().parameters()])
    (W1, b1), (W2, b2) = layers(theta)

    def run(batch: int):
        x, t = X[:batch], T[:batch]
        h = np.tanh(x @ W1.T + b1)
        z = h @ W2.T + b2
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = -(t * (shifted - np.log(total))).sum() / batch
        gz = (e / total - t) / batch  # softmax - one-hot, averaged
        gh = (gz @ W2) * (1.0 - h * h)
        return loss, [(gh.T @ x, gh.sum(axis=0)), (gz.T @ h, gz.sum(axis=0))]

    return run


def torch_step():  # pragma: no cover - only where torch is installed
    import numpy as np
    import torch

    torch.set_num_threads(1)
    X, T = data(max(BATCHES))
    X, labels = torch.tensor(X), torch.tensor(np.argmax(T, axis=1))
    theta = np.asarray([p.data for p in model().parameters()])
    params = [torch.tensor(a, requires_grad=True) for pair in layers(theta) for a in pair]
    W1, b1, W2, b2 = params

    def run(batch: int):
        for p in params:
            p.grad = None
        z = torch.tanh(X[:batch] @ W1.T + b1) @ W2.T + b2
        loss = torch.nn.functional.cross_entropy(z, labels[:batch])
        loss.backward()
        return float(loss), [(W1.grad, b1.grad), (W2.grad, b2.grad)]

    return run


def jax_step():  # pragma: no cover - only where jax is installed
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np

    X, T = data(max(BATCHES))
    theta = np.asarray([p.data for p in model().parameters()])
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in layers(theta)]

    def loss(params, x, t):
        (W1, b1), (W2, b2) = params
        z = jnp.tanh(x @ W1.T + b1) @ W2.T + b2
        return -jnp.mean(jnp.sum(t * jax.nn.log_softmax(z, axis=1), axis=1))

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    batches = {b: (jnp.asarray(X[:b]), jnp.asarray(T[:b])) for b in BATCHES}

    def run(batch: int):
        value, grads = value_and_grad(params, *batches[batch])
        jax.block_until_ready(grads)
        return float(value), grads

    return run


def child(name: str, steps: int, batches: list[int]) -> dict:
    import numpy as np

    make = {
        COMPILED: lambda: compiled(into_grad=False),
        INTO_GRAD: lambda: compiled(into_grad=True),
        HAND: by_hand,
        HAND_KEPT: lambda: by_hand(keep_memory=True),
        TORCH: torch_step,
        JAX: jax_step,
    }[name]
    run = make()
    losses, gradient = {}, None
    for b in batches:  # the first call of each shape validates, compiles, warms up
        losses[b], grads = run(b)
        losses[b] = float(losses[b])
        if b == batches[0] and grads is not None:
            if name == COMPILED:
                gradient = np.asarray(grads).tolist()
            else:
                gradient = flat([(np.asarray(gW), np.asarray(gb)) for gW, gb in grads]).tolist()
    times: dict[int, list[float]] = {b: [] for b in batches}
    for _ in range(steps):
        for b in batches:
            start = time.perf_counter()
            run(b)
            times[b].append(time.perf_counter() - start)
    return {"times": times, "losses": losses, "gradient": gradient}


def run(processes: int, steps: int, batches: list[int]) -> dict:
    names = available()
    results: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(processes):
        for name in names if r % 2 == 0 else names[::-1]:
            args = ("--child", name, "--steps", steps, "--batches", ",".join(map(str, batches)))
            out, _ = in_fresh_process(os.path.abspath(__file__), *args)
            results[name].append(out)
    return results


def summarise(results: dict, batches: list[int]) -> dict:
    """Per contender and batch: the median step, the loss, the gradient's gap to by hand."""
    hand = results[HAND][0]
    summary = {}
    for name, outs in results.items():
        per_batch = {}
        for b in batches:
            per_batch[b] = median([median(o["times"][str(b)]) for o in outs])
        loss_gap = max(
            abs(outs[0]["losses"][str(b)] - hand["losses"][str(b)]) / abs(hand["losses"][str(b)])
            for b in batches
        )
        grad_gap = None
        if outs[0]["gradient"] is not None:  # relative to the largest entry
            largest = max(abs(h) for h in hand["gradient"])
            grad_gap = (
                max(abs(a - h) for a, h in zip(outs[0]["gradient"], hand["gradient"])) / largest
            )
        summary[name] = {"median": per_batch, "loss_gap": loss_gap, "grad_gap": grad_gap}
    return summary


def report(summary: dict, batches: list[int]) -> str:
    hand = summary[HAND]["median"]
    rows = []
    for name, s in summary.items():
        cells = [f"{fmt_time(s['median'][b])} ({s['median'][b] / hand[b]:.2f})" for b in batches]
        gap = "-" if s["grad_gap"] is None else f"{s['grad_gap']:.1e}"
        rows.append([name, *cells, f"{s['loss_gap']:.1e}", gap])
    header = ["digits step", *[f"batch {b:,} (/ by hand)" for b in batches]]
    return table([*header, "loss gap", "gradient gap"], rows)


def check_agreement(summary: dict) -> None:
    """Exit with an error unless every contender's losses and gradients match by hand's."""
    worst = max(max(s["loss_gap"], s["grad_gap"] or 0.0) for s in summary.values())
    if worst > 1e-9:
        sys.exit(f"digits step: the contenders disagree (relative gap {worst:.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    if args.child:
        print(json.dumps(child(args.child, args.steps, batches)))
        return
    summary = summarise(run(args.processes, args.steps, batches), batches)
    print(report(summary, batches))
    check_agreement(summary)


if __name__ == "__main__":
    main()
