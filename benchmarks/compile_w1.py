"""W1 compiled: engine.compile's step beside micrograd, eager scalarflow and hand-written code.

W1 is micrograd's demo step (MLP 2-16-16-1, 100 moons points, hinge loss +
1e-4 · Σ p²). Timed per step:

- compiled contenders: ``zero_grad(); step(X, y)`` (forward, backward, the
  gradients added into the 337 ``p.grad``); the SGD update runs untimed between
  steps, so every contender follows the same trajectory;
- numpy by hand: the same forward and backward written with arrays (the
  gradients left as arrays);
- eager scalarflow and micrograd: ``workloads.value_step`` (forward,
  zero_grad, backward, SGD); floats: ``workloads.FloatMLP.step``.

Every measurement is a fresh process with BLAS/OpenMP threads pinned to 1
(set before numpy is imported); contenders take turns, the order flips every
round; medians, then ratios. The losses of all contenders must agree.

    .venv/bin/python benchmarks/compile_w1.py [--processes 5] [--steps 5]
"""

from __future__ import annotations

import os
import sys
import time

# Threads only add overhead on matrices this small (and idle ones slow whoever runs next).
THREADS = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
os.environ.update(THREADS)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
from common import (  # noqa: E402
    fmt_time,
    have_micrograd,
    in_fresh_process,
    installed,
    median,
    table,
)

FUSED, PER_NODE, PYTHON = "compiled numpy", "compiled numpy, per node", "compiled pure Python"
HAND, EAGER, FLOATS, MICROGRAD = "numpy by hand", "scalarflow eager", "floats by hand", "micrograd"
TORCH, JAX = "torch batched", "jax.jit"
CONTENDERS = (FUSED, PER_NODE, PYTHON, HAND, EAGER, FLOATS, MICROGRAD, TORCH, JAX)


def available() -> list[str]:
    names = [n for n in CONTENDERS if n not in (MICROGRAD, TORCH, JAX)]
    if have_micrograd():
        names.append(MICROGRAD)
    names += [n for n, m in ((TORCH, "torch"), (JAX, "jax")) if installed(m)]
    return names


# ---------------------------------------------------------------------------
# The contenders, each a function (k -> loss) built in the child process.


def compiled(points: int, fuse: bool, backend: str):
    import numpy as np
    import workloads as w

    import engine
    from engine import Value

    X, y = w.moons(points)
    model = w.ValueMLP(Value, w.initial_weights())
    params = model.parameters()

    def loss(x, yi):
        return (1 + -yi * model(x)).relu() + w.ALPHA * sum(p * p for p in params)

    start = time.perf_counter()
    step = engine.compile(loss, (X[0], y[0]), params=params, fuse=fuse)
    batch = (np.asarray(X), np.asarray(y, dtype=float)) if backend == "numpy" else (X, y)
    step(*batch)  # the first call validates the trace and makes the code
    setup = time.perf_counter() - start

    def run(k):
        lr = w.learning_rate(k)
        start = time.perf_counter()
        for p in params:  # opt.zero_grad()
            p.grad = 0.0
        value = step(*batch)
        elapsed = time.perf_counter() - start
        for p in params:  # opt.step(), untimed
            p.data -= lr * p.grad
        return elapsed, value

    return run, setup


def by_hand(points: int):
    """W1's forward and backward written with numpy arrays, as a careful person would."""
    import numpy as np
    import workloads as w

    X, y = w.moons(points)
    X = np.asarray(X)
    y = np.asarray(y, dtype=float)
    layers = [
        (np.array([ws for ws, _ in layer]), np.array([b for _, b in layer]))
        for layer in w.initial_weights()
    ]
    n = len(X)

    def forward_backward():
        (W0, b0), (W1, b1), (W2, b2) = layers
        z0 = X @ W0.T + b0
        h0 = np.maximum(z0, 0.0)
        z1 = h0 @ W1.T + b1
        h1 = np.maximum(z1, 0.0)
        s = (h1 @ W2.T + b2)[:, 0]
        margin = 1 - y * s
        data_loss = np.maximum(margin, 0.0).sum() / n
        reg = sum((W * W).sum() + (b * b).sum() for W, b in layers)
        total = data_loss + w.ALPHA * reg
        gs = np.where(margin > 0, -y, 0.0) / n
        gz2 = gs[:, None]
        gW2, gb2 = gz2.T @ h1, gz2.sum(0)
        gz1 = (gz2 @ W2) * (z1 > 0)
        gW1, gb1 = gz1.T @ h0, gz1.sum(0)
        gz0 = (gz1 @ W1) * (z0 > 0)
        gW0, gb0 = gz0.T @ X, gz0.sum(0)
        grads = [(gW0, gb0), (gW1, gb1), (gW2, gb2)]
        return total, [
            (gW + 2 * w.ALPHA * W, gb + 2 * w.ALPHA * b) for (gW, gb), (W, b) in zip(grads, layers)
        ]

    def run(k):
        lr = w.learning_rate(k)
        start = time.perf_counter()
        value, grads = forward_backward()
        elapsed = time.perf_counter() - start
        for i, ((W, b), (gW, gb)) in enumerate(zip(layers, grads)):
            layers[i] = (W - lr * gW, b - lr * gb)
        return elapsed, float(value)

    run.forward_backward = forward_backward  # for compile_w1_counts.py: the step alone
    return run, 0.0


def eager(points: int, name: str):
    import workloads as w

    X, y = w.moons(points)
    weights = w.initial_weights()
    if name == FLOATS:
        model = w.FloatMLP(weights)

        def step(k):
            return model.step(X, y, k)
    else:
        if name == MICROGRAD:
            from micrograd.engine import Value
        else:
            from engine import Value
        model = w.ValueMLP(Value, weights)

        def step(k):
            return w.value_step(model, Value, X, y, k)

    def run(k):
        start = time.perf_counter()
        value = step(k)
        return time.perf_counter() - start, value

    return run, 0.0


def torch_batched(points: int):  # pragma: no cover - only where torch is installed
    import torch
    import workloads as w

    torch.set_num_threads(1)
    X, y = w.moons(points)
    X = torch.tensor(X, dtype=torch.float64)
    y = torch.tensor(y, dtype=torch.float64)
    params = []
    for layer in w.initial_weights():
        W = torch.tensor([ws for ws, _ in layer], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([b for _, b in layer], dtype=torch.float64, requires_grad=True)
        params.append((W, b))

    def run(k):
        lr = w.learning_rate(k)
        start = time.perf_counter()
        for W, b in params:
            W.grad = b.grad = None
        h = X
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            h = h if i == len(params) - 1 else torch.relu(h)
        loss = torch.relu(1 - y * h[:, 0]).mean()
        loss = loss + w.ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in params)
        loss.backward()
        elapsed = time.perf_counter() - start
        with torch.no_grad():
            for W, b in params:
                W -= lr * W.grad
                b -= lr * b.grad
        return elapsed, float(loss)

    return run, 0.0


def jax_jit(points: int):  # pragma: no cover - only where jax is installed
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import workloads as w

    X, y = w.moons(points)
    X, y = jnp.asarray(X), jnp.asarray(y, dtype=jnp.float64)
    params = [
        (jnp.asarray([ws for ws, _ in layer]), jnp.asarray([b for _, b in layer]))
        for layer in w.initial_weights()
    ]

    def loss(params):
        h = X
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            h = h if i == len(params) - 1 else jax.nn.relu(h)
        data = jax.nn.relu(1 - y * h[:, 0]).mean()
        return data + w.ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in params)

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    value_and_grad(params)[0].block_until_ready()
    state = [params]

    def run(k):
        lr = w.learning_rate(k)
        start = time.perf_counter()
        value, grads = value_and_grad(state[0])
        jax.block_until_ready(grads)
        elapsed = time.perf_counter() - start
        state[0] = jax.tree_util.tree_map(lambda p, g: p - lr * g, state[0], grads)
        return elapsed, float(value)

    return run, 0.0


def child(name: str, steps: int, points: int) -> dict:
    if name in (FUSED, PER_NODE, PYTHON):
        backend = "python" if name == PYTHON else "numpy"
        run, setup = compiled(points, fuse=name != PER_NODE, backend=backend)
    elif name == HAND:
        run, setup = by_hand(points)
    elif name == TORCH:
        run, setup = torch_batched(points)
    elif name == JAX:
        run, setup = jax_jit(points)
    else:
        run, setup = eager(points, name)
    times, losses = [], []
    for k in range(steps):
        elapsed, value = run(k)
        times.append(elapsed)
        losses.append(value)
    return {"times": times, "losses": losses, "setup": setup}


def run_child(name: str, steps: int, points: int) -> dict:
    # The children inherit the thread pins set on os.environ above.
    args = ("--child", name, "--steps", steps, "--points", points)
    return in_fresh_process(os.path.abspath(__file__), *args)[0]


def run(processes: int = 5, steps: int = 5, points: int = 100) -> dict:
    names = available()
    results = {n: [] for n in names}
    for r in range(processes):
        for name in names if r % 2 == 0 else names[::-1]:
            # micrograd takes ~1 s a step: two steps per process are plenty.
            results[name].append(run_child(name, 2 if name == MICROGRAD else steps, points))
    reference = results[EAGER][0]["losses"]
    summary = {}
    for name in names:
        losses = results[name][0]["losses"]
        summary[name] = {
            "median": median([median(res["times"]) for res in results[name]]),
            "setup": median([res["setup"] for res in results[name]]),
            "loss_gap": max(abs(a - b) / abs(b) for a, b in zip(losses, reference)),
        }
    return summary


def report(summary: dict) -> str:
    hand = summary[HAND]["median"]
    rows = []
    for name, s in summary.items():
        vs_micrograd = (
            f"{summary[MICROGRAD]['median'] / s['median']:,.0f}x" if MICROGRAD in summary else "-"
        )
        rows.append(
            [
                name,
                fmt_time(s["median"]),
                f"{s['median'] / hand:.2f}",
                vs_micrograd,
                f"{summary[EAGER]['median'] / s['median']:,.1f}x",
                fmt_time(s["setup"]) if s["setup"] else "-",
                f"{s['loss_gap']:.1e}",
            ]
        )
    header = ["W1 contender", "median step", "/ numpy by hand", "faster than micrograd"]
    header += ["faster than eager", "setup", "max rel. loss gap"]
    return table(header, rows)


def check_losses_agree(summary: dict) -> None:
    """Exit with an error unless every contender's losses match eager scalarflow's.

    Step 0 starts from the same weights; later steps also differ by the order
    gradients are added in (a matrix product adds in its own order), so 1e-9.
    """
    worst = max(s["loss_gap"] for s in summary.values())
    if worst > 1e-9:
        sys.exit(f"compiled W1: the contenders' losses disagree (relative gap {worst:.1e})")


def main() -> None:
    common.w1_main(__doc__, CONTENDERS, child, run, report, check_losses_agree, steps=5)


if __name__ == "__main__":
    main()
