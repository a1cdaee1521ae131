"""``fit(compile=True)``: the same training loop run as generated code on whole batches.

The lesson's loop (``nn.train``) builds a graph of Values for every sample; here
the loss of one sample is traced once (``engine.compile``) and the generated
code runs on every batch at once. With numpy the parameters stay packed in one
array for the whole loop (``Optimizer.packed``), stepped by the optimizer's own
rule, and go back into the Values when the loop ends. ``compiled_outputs`` is
the forward-only run that ``evaluate``, ``predict`` and ``classify`` use.

>>> from nn import MLP, fit
>>> X, y = [[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]
>>> eager, compiled = MLP(1, [1], seed=0), MLP(1, [1], seed=0)
>>> h1 = fit(eager, X, y, optimizer="sgd", lr=0.1, epochs=20, progress=False)
>>> h2 = fit(compiled, X, y, optimizer="sgd", lr=0.1, epochs=20, progress=False, compile=True)
>>> abs(h1.loss[-1] - h2.loss[-1]) < 1e-12
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

from engine import TraceError, Value, no_grad
from engine import compile as compile_step

from .accuracy import CLASSIFICATION, classes_of, predicted_class, target_class
from .losses import is_class_index, one_hot
from .optimizer import Optimizer

__all__ = ["CompiledLoop", "compiled_outputs"]


def compiled_outputs(model: Callable, X: list) -> list:
    """``model``'s output for every sample (floats, or lists of them), from one compiled run."""
    forward = compile_step(model, (_plain(X[0]),))
    np = numpy_or_none()
    if np is None:
        return forward([_plain(x) for x in X])
    return forward(_array("X", X, np)).tolist()


class CompiledLoop:
    """``fit(compile=True)``: each batch is one call of the compiled per-sample loss.

    With numpy the parameters live in ``opt.packed()`` for the whole loop: the
    compiled step reads that array and returns the gradient as one
    (``CompiledStep.with_params``), the optimizer's rule steps it on arrays, and
    the Values get it back on the way out of the ``with`` block, however the loop
    ends. Without numpy the step runs on plain lists, reading the Values and
    adding into ``.grad`` as ``backward()`` would, and ``opt.step()`` moves them.
    """

    def __init__(self, model, X, y, loss_fn, kind, opt: Optimizer, *, shuffled: bool) -> None:
        targets = _traceable_targets(model, X, y, loss_fn, kind)
        self.opt, self.kind, self.shuffled, self.n = opt, kind, shuffled, len(X)
        self.params = opt.params
        self.counting = kind in CLASSIFICATION
        self.labels = [target_class(t, kind) for t in y] if self.counting else None

        def sample_loss(x, t):  # the loss of a batch of one; the step takes the mean
            return loss_fn([model(x)], [t])

        example = (_plain(X[0]), _plain(targets[0]))
        self.step = _compiled_loss(sample_loss, example, self.params, custom=kind is None)
        self.forward = compile_step(model, example[:1]) if self.counting else None
        self.np = numpy_or_none()
        if self.np is None:
            self.X, self.T = [_plain(x) for x in X], [_plain(t) for t in targets]
        else:
            self.X, self.T = _array("X", X, self.np), _array("y", targets, self.np)
            self.label_array = self.np.asarray(self.labels) if self.counting else None
        if kind is None:
            self._check_is_a_mean(loss_fn, model, X, targets)
        self.packed = None

    def _check_is_a_mean(self, loss_fn, model, X: list, targets: list) -> None:
        """A custom loss compiles as the mean of its per-sample values: check it is that."""
        k = min(len(X), 4)
        with no_grad():
            eager = loss_fn([model(_plain(x)) for x in X[:k]], [_plain(t) for t in targets[:k]])
        eager = eager.data if isinstance(eager, Value) else eager
        theta = [p.data for p in self.params]
        if self.np is not None:  # the backend training will use
            theta = self.np.asarray(theta)
        compiled, _ = self.step.with_params(theta, self.X[:k], self.T[:k])
        if not math.isclose(compiled, eager, rel_tol=1e-9, abs_tol=1e-300):
            raise ValueError(
                f"with compile=True the loss must be the mean of per-sample losses, as every "
                f"named loss is: on the first {k} samples the loss is {eager!r}, the mean of "
                f"their one-sample losses {compiled!r}. Divide a sum by the batch size, or "
                f"train with compile=False"
            )

    def __enter__(self) -> CompiledLoop:
        if self.np is not None:
            self.packed = self.opt.packed(self.np)
            if self.forward is not None:  # where each Value the forward reads sits in the array
                where = {id(p): i for i, p in enumerate(self.params)}
                missing = [v.label or repr(v) for v in self.forward.state if id(v) not in where]
                if missing:
                    raise ValueError(
                        f"the model reads {', '.join(missing[:3])}, which the optimizer does not "
                        f"hold: with compile=True every Value the model keeps must be a parameter"
                    )
                self.order = self.np.asarray([where[id(v)] for v in self.forward.state])
        return self

    def __exit__(self, *error) -> None:
        if self.packed is not None:  # training ended, stopped, failed or was interrupted
            self.packed.write_back()
            self.packed = None

    def run_epoch(self, batches: list[list[int]]) -> tuple[float, int]:
        """One pass over the data: (the mean loss as measured while training, correct count)."""
        if self.np is None:
            return self._run_epoch(batches)
        # An overflow to inf or a nan is not hidden by this: fit checks the loss and every
        # parameter after each epoch and stops as "diverged", as it does for eager floats
        # (which overflow without a word); numpy would also print a RuntimeWarning.
        with self.np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._run_epoch(batches)

    def _run_epoch(self, batches: list[list[int]]) -> tuple[float, int]:
        total, correct = 0.0, 0
        for batch in batches:
            rows, targets = self._batch(batch)
            if self.counting:  # the predictions before this batch's step, as in the eager loop
                correct += self._correct(batch, rows)
            if self.packed is None:
                self.opt.zero_grad()
                batch_loss = self.step(rows, targets)  # forward and backward, into .grad
                self.opt.step()
            else:
                batch_loss, grad = self.step.with_params(self.packed.data, rows, targets)
                self.packed.step(grad)
            total += batch_loss * len(batch)
        return total / self.n, correct

    def _batch(self, batch: list[int]):
        if self.np is None:
            return [self.X[i] for i in batch], [self.T[i] for i in batch]
        if not self.shuffled:  # the whole data set in order, every epoch
            return self.X, self.T
        return self.X[batch], self.T[batch]

    def _correct(self, batch: list[int], rows) -> int:
        if self.packed is None:  # plain floats: a class per sample, as the eager loop counts
            guesses = [predicted_class(out, self.kind) for out in self.forward(rows)]
            return sum(guess == self.labels[i] for guess, i in zip(guesses, batch, strict=True))
        outputs = self.forward.with_params(self.np.take(self.packed.data, self.order), rows)
        guesses = classes_of(outputs, self.kind, self.np)  # the same classes, on the array
        if guesses is None:  # outputs that name no class (one output for cross_entropy)
            return 0
        return int(self.np.count_nonzero(guesses == self.np.take(self.label_array, batch)))

    def first_non_finite(self) -> int | None:
        """The index of the first parameter whose value is nan or ±inf, or None."""
        if self.packed is None:
            return next((i for i, p in enumerate(self.params) if not math.isfinite(p.data)), None)
        bad = self.np.flatnonzero(~self.np.isfinite(self.packed.data))
        return int(bad[0]) if bad.size else None

    def snapshot(self):
        if self.packed is None:
            return [p.data for p in self.params]
        return self.np.array(self.packed.data, copy=True)

    def restore(self, weights) -> None:
        if self.packed is None:
            for p, data in zip(self.params, weights, strict=True):
                p.data = data
        else:
            self.packed.data = weights


def _compiled_loss(sample_loss, example: tuple, params: list, *, custom: bool):
    """The compiled step of one sample's loss; a custom loss that cannot be traced is told why."""
    try:
        return compile_step(sample_loss, example, params=params)
    except TraceError as error:
        if not custom:
            raise
        raise TraceError(
            f"fit(compile=True) compiles your loss by tracing it on one sample, with the "
            f"sample's inputs and targets as Values (here the target {example[1]!r} is a "
            f"Value), and the trace failed. A target that is a Value cannot pick a list "
            f"element (log_probs[t]) or a branch (t == 1): give class targets as one-hot rows "
            f"(nn.losses.one_hot(t, n_classes)) and write the loss with them "
            f'(-Σ q[c] · log_softmax(p)[c]), or use a named loss (loss="cross_entropy"), '
            f"or train eagerly with compile=False. The trace said: {error}"
        ) from error


def _traceable_targets(model, X: list, y: list, loss_fn, kind: str | None) -> list:
    """The targets as a trace can take them, checked the way the eager loss checks them.

    Inside a trace every number of the batch is a Value, and a Value cannot pick a
    class, so cross_entropy's class indices become one-hot rows. The named losses
    check their targets (±1 for hinge, a class in range, ...) on stand-in
    predictions, without a forward pass over the data.
    """
    if kind is None:
        return y
    with no_grad():
        out = model(_plain(X[0]))
    stand_in = [0.5] * len(out) if isinstance(out, Sequence) else 0.5
    with no_grad():
        loss_fn([stand_in] * len(y), y)
    if kind == "cross_entropy" and isinstance(out, Sequence):
        return [one_hot(t, len(out)) if is_class_index(t) else t for t in y]
    return y


def _plain(value):
    """A sample or target as compile's example takes it: a float or a list of floats."""
    if isinstance(value, numbers.Real):
        return float(value)
    return [float(v) for v in value]


def _array(name: str, values: list, np):
    """``values`` as one float64 array (a batch: samples first), or a clear error."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name}: with compile=True every sample must be numbers of the same length ({error})"
        ) from None


def numpy_or_none():
    try:
        import numpy
    except ImportError:  # compile=True still works: pure-Python floats
        return None
    return numpy
