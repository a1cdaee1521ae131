"""``fit``: the training loop of the lessons — forward, loss, backward, step, epoch after epoch.

>>> from nn import MLP, datasets
>>> X, y = datasets.xor()
>>> model = MLP(2, [8, 1], activation="tanh", seed=1)
>>> history = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05,
...               epochs=150, progress=False)
>>> history.accuracy[-1]
1.0
"""

from __future__ import annotations

import math
import numbers
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine import TraceError, Value, gc_paused, no_grad
from engine import compile as compile_step
from engine.utils.arguments import at_least, choice, flag, whole_number

from .datasets import samples_and_targets
from .losses import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    mse_loss,
    one_hot,
)
from .module import Module
from .optim import OPTIMIZERS, Optimizer

__all__ = ["fit", "evaluate", "History", "LOSSES"]

#: Losses ``fit`` accepts by name.
LOSSES: dict[str, Callable[..., Value]] = {
    "mse": mse_loss,
    "bce": binary_cross_entropy,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
}

#: The losses whose targets are classes, so ``fit`` also counts accuracy.
CLASSIFICATION = frozenset({"bce", "bce_with_logits", "cross_entropy", "hinge"})


@dataclass
class History:
    """What happened during ``fit``: one entry per epoch, the best epoch, and why it stopped.

    ``loss[e]`` is the mean training loss over epoch ``e`` (0-based) as
    measured while training, ``accuracy[e]`` the fraction of samples
    classified right (``None`` for a regression loss such as mse).
    ``best_epoch`` (0-based, indexes ``loss``) is the best epoch in Keras' early-stopping
    sense: the last one whose loss beat the best so far by more than ``min_delta``, and
    ``best_loss`` its loss. With ``min_delta > 0`` a later epoch may still have a lower
    loss (it improved, but by too little to count), so ``best_loss`` need not be
    ``min(loss)``. ``stop_reason`` is ``"completed"`` (all ran), ``"early_stopping"``
    (``patience`` ran out) or ``"diverged"``: the loss or a parameter became inf or nan,
    in epoch ``diverged_epoch`` (0-based); ``bad_parameter`` is then the label of the first
    such parameter (``"params[i]"`` for an unlabelled one; None if only the loss did).

    >>> h = History(loss=[0.9, 0.5, 0.6], accuracy=[0.5, 1.0, 1.0], best_epoch=1, best_loss=0.5)
    >>> h.epochs, str(h)
    (3, '3 epochs (completed): final loss 0.6000, accuracy 100.0%; best epoch 2 (loss 0.5000)')
    >>> h = History(loss=[0.9, 0.5, 0.49], best_epoch=1, best_loss=0.5, min_delta=0.05)
    >>> print(h)  # doctest: +NORMALIZE_WHITESPACE
    3 epochs (completed): final loss 0.4900; best epoch 2
    (loss 0.5000, the last to improve by more than min_delta 0.05)
    >>> h = History(loss=[0.9, 1.5], best_epoch=0, best_loss=0.9, stop_reason="diverged",
    ...             diverged_epoch=1, bad_parameter="L0.N0.w0")
    >>> print(h)  # doctest: +NORMALIZE_WHITESPACE
    2 epochs (diverged in epoch 2: L0.N0.w0 is nan or inf): final loss 1.5000;
    best epoch 1 (loss 0.9000)
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] | None = None
    best_epoch: int | None = None
    best_loss: float = math.inf
    stop_reason: str = "completed"
    restored_best: bool = False
    min_delta: float = 0.0
    diverged_epoch: int | None = None
    bad_parameter: str | None = None

    @property
    def epochs(self) -> int:
        """How many epochs ran."""
        return len(self.loss)

    def __str__(self) -> str:
        if not self.loss:
            return "History(no epochs)"
        acc = f", accuracy {self.accuracy[-1]:.1%}" if self.accuracy else ""
        epochs = f"{self.epochs} epoch{'' if self.epochs == 1 else 's'}"
        summary = f"{epochs} ({self._why_stopped()}): final loss {self.loss[-1]:.4f}{acc}"
        if self.best_epoch is None:  # diverged in the first epoch: no best to speak of
            return summary
        best = f"best epoch {self.best_epoch + 1} (loss {self.best_loss:.4f}"
        lowest = min((x for x in self.loss if math.isfinite(x)), default=math.inf)
        if lowest < self.best_loss:  # a later, smaller gain did not count
            best += f", the last to improve by more than min_delta {self.min_delta:g}"
        return f"{summary}; {best})"

    def _why_stopped(self) -> str:
        if self.stop_reason != "diverged" or self.diverged_epoch is None:
            return self.stop_reason
        what = "the loss" if self.bad_parameter is None else self.bad_parameter
        return f"diverged in epoch {self.diverged_epoch + 1}: {what} is nan or inf"


def _resolve_loss(loss: str | Callable) -> tuple[Callable, str | None]:
    """The loss function and its kind (the LOSSES name, which decides how to count accuracy)."""
    if isinstance(loss, str):
        return LOSSES[choice("loss", loss, LOSSES, or_else="or pass a function")], loss
    if callable(loss):
        kind = next((name for name, fn in LOSSES.items() if fn is loss), None)
        return loss, kind
    raise TypeError(f"loss must be a name or a function, got {type(loss).__name__}")


def _resolve_optimizer(optimizer: Optimizer | str, lr: float | None, model: Module) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError(
                "lr= is for an optimizer given by name; set lr on the optimizer instance instead"
            )
        if isinstance(model, Module) and not set(optimizer.params) & set(model.parameters()):
            raise ValueError("the optimizer holds none of this model's parameters")
        return optimizer
    if isinstance(optimizer, str) and not isinstance(model, Module):
        raise TypeError(
            "an optimizer given by name needs a Module to find the parameters; for a plain "
            "function pass an optimizer instance, e.g. SGD([w, b], lr=0.1)"
        )
    if isinstance(optimizer, str):
        cls = OPTIMIZERS[choice("optimizer", optimizer.lower(), OPTIMIZERS)]
        lr = cls.default_lr() if lr is None else lr
        if lr is None:
            raise ValueError(f"optimizer {optimizer!r} has no default learning rate: give lr=")
        return cls(model.parameters(), lr=lr)
    raise TypeError(f"optimizer must be an Optimizer or a name, got {type(optimizer).__name__}")


def _predicted_class(pred, kind: str | None) -> int | None:
    """The class a prediction stands for, or None when the loss is not a classification loss.

    ``pred`` is one output (a Value or a number) or several (a list of them).
    """
    if not isinstance(pred, Sequence):
        score = pred.data if isinstance(pred, Value) else pred
        if kind == "hinge":
            return 1 if score > 0 else -1  # the sign of the score
        if kind == "bce_with_logits":
            return 1 if score > 0 else 0  # logit > 0  <=>  probability > 0.5
        if kind == "bce":
            return 1 if score > 0.5 else 0
        return None
    if kind in CLASSIFICATION:
        scores = [p.data if isinstance(p, Value) else p for p in pred]
        return max(range(len(scores)), key=scores.__getitem__)  # several outputs: argmax
    return None


def _target_class(target, kind: str | None) -> int:
    if isinstance(target, Sequence):  # one-hot (or multi-label) target vector: its argmax
        return max(range(len(target)), key=target.__getitem__)
    if kind in ("bce", "bce_with_logits"):
        return 1 if target > 0.5 else 0
    return int(target)


def _correct(preds: list, targets: list, kind: str | None) -> int | None:
    count = 0
    for pred, target in zip(preds, targets, strict=True):
        guess = _predicted_class(pred, kind)
        if guess is None:
            return None
        count += guess == _target_class(target, kind)
    return count


def evaluate(
    model: Module,
    X: Sequence,
    y: Sequence,
    loss: str | Callable = "mse",
    *,
    compile: bool = False,  # noqa: A002 - as fit's
):
    """The loss (a float) and accuracy (or None) of ``model`` on ``(X, y)``, without a graph.

    ``compile=True`` runs the model as generated code on the whole batch
    (``engine.compile``), for data sets too big to go through one sample at a time.

    >>> from nn import MLP
    >>> model = MLP(1, [1], seed=0)
    >>> loss, acc = evaluate(model, [[0.0]], [1], loss="hinge")
    >>> loss, acc        # the score is the bias 0: margin 1 missed by 1, sign 0 counts as -1
    (1.0, 0.0)
    """
    X, y = samples_and_targets(X, y, "evaluate")
    loss_fn, kind = _resolve_loss(loss)
    with no_grad():
        preds = _compiled_outputs(model, X) if flag("compile", compile) else [model(x) for x in X]
        value = loss_fn(preds, y)
    correct = _correct(preds, y, kind)
    value = value.data if isinstance(value, Value) else float(value)
    return value, (None if correct is None else correct / len(X))


def _compiled_outputs(model: Callable, X: list) -> list:
    """``model``'s output for every sample (floats, or lists of them), from one compiled run."""
    forward = compile_step(model, (_plain(X[0]),))
    np = _numpy()
    if np is None:
        return forward([_plain(x) for x in X])
    return forward(_array("X", X, np)).tolist()


def fit(
    model: Module | Callable,
    X: Sequence,
    y: Sequence,
    loss: str | Callable = "mse",
    optimizer: Optimizer | str = "adam",
    epochs: int = 100,
    batch_size: int | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    progress: bool = True,
    seed: int | None = None,
    *,
    lr: float | None = None,
    restore_best_weights: bool = False,
    compile: bool = False,  # noqa: A002 - the name DESIGN.md gives it
) -> History:
    """Train ``model`` on ``(X, y)``: forward, loss, backward, step — for each batch of each epoch.

    ``model`` is a Module (an MLP, ...) or any function of one sample whose
    Values the optimizer holds, e.g. ``lambda x: w * x[0] + b`` with ``SGD([w, b], lr=...)``.

    - ``loss``: a name — ``"mse"``, ``"bce"`` (probabilities), ``"bce_with_logits"``,
      ``"cross_entropy"`` (class indices), ``"hinge"`` (targets ±1) — or a function
      ``loss(predictions, targets) -> Value`` (predictions: one model output per sample).
      Accuracy is counted for the classification losses: one output is thresholded
      (hinge: sign; bce_with_logits: logit > 0; bce: p > 0.5), several take the argmax.
    - ``optimizer``: an ``nn.optim`` instance over the model's parameters, or a name
      (``"adam"``, ``"sgd"``, …) with ``lr=`` (default: that optimizer's PyTorch default).
    - ``batch_size``: None for full-batch gradient descent; otherwise mini-batches in an
      order reshuffled every epoch by ``random.Random(seed)``.
    - ``patience``/``min_delta``: early stopping with Keras' rule — an epoch improves when
      its loss is below the best so far by more than ``min_delta``; training stops once
      ``patience`` epochs in a row have not improved. ``restore_best_weights`` puts back
      the optimizer's parameters as they were at the end of the best epoch when training ends.
    - ``progress``: a text tqdm bar with epoch, loss and accuracy, whose last state stays
      on screen (and in a saved notebook): on stderr in a terminal, on stdout in a
      notebook (which paints stderr as an error); ``False`` prints nothing.
    - ``compile=True``: the same training, much faster (benchmarks/README.md has the
      figures): the loss of one sample is traced once (``engine.compile``) and run as
      generated code on whole batches. With numpy the parameters stay packed in one
      array for the whole loop (``opt.packed()``) and go back into the Values when it
      ends, however it ends; without numpy the step runs on plain floats. The loss must
      be the mean of per-sample losses (every named loss is; a custom loss is checked
      on a few samples), and, as compiled code does, per-node domain checks are skipped.
      A custom loss is traced with each target a Value: a class index cannot pick a
      list element there (give one-hot rows, ``nn.losses.one_hot``), and the error says so.

    >>> from nn import MLP
    >>> model = MLP(1, [1], seed=0)                    # one neuron, no activation: w·x + b
    >>> X, y = [[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]  # y = 2x + 1
    >>> history = fit(model, X, y, loss="mse", optimizer="sgd", lr=0.1, epochs=200,
    ...               progress=False)
    >>> round(model([3.0]).data, 6), history.stop_reason, history.accuracy
    (7.0, 'completed', None)
    """
    if not callable(model):
        raise TypeError(f"model must be callable (e.g. an MLP), got {type(model).__name__}")
    X, y = samples_and_targets(X, y, "fit")
    loss_fn, kind = _resolve_loss(loss)
    opt = _resolve_optimizer(optimizer, lr, model)
    epochs = whole_number("epochs", epochs, 1)
    batches = _Batches(len(X), batch_size, seed)
    stopping = _EarlyStopping(patience, min_delta, restore_best_weights)
    if flag("compile", compile):
        loop = _CompiledLoop(model, X, y, loss_fn, kind, opt, shuffled=batches.several)
    else:
        loop = _EagerLoop(model, X, y, loss_fn, kind, opt, check_first=batches.several)
    history = History(accuracy=[] if kind in CLASSIFICATION else None, min_delta=stopping.min_delta)

    with _Progress(epochs, progress) as bar, loop:
        for epoch in range(epochs):
            mean_loss, correct = loop.run_epoch(batches.epoch())
            _record(history, mean_loss, correct, len(X), bar)
            if _should_stop(history, epoch, loop, stopping, bar):
                break
        stopping.restore_best(loop, history)
    return history


# -- the steps of fit ---------------------------------------------------------------------


def _record(history: History, mean_loss: float, correct: int, n: int, bar: _Progress) -> None:
    """Note the epoch's loss (and accuracy) in the History and on the progress bar."""
    history.loss.append(mean_loss)
    if history.accuracy is not None:
        history.accuracy.append(correct / n)
    bar.show(history)


def _should_stop(
    history: History, epoch: int, loop: _EagerLoop, stopping: _EarlyStopping, bar: _Progress
) -> bool:
    """Whether training ends after this epoch: it diverged, or patience ran out."""
    # NaN must never be trained on silently: a NaN input can leave the loss finite
    # (relu(nan) was 0) while every weight it touched becomes NaN.
    bad = loop.first_non_finite()
    if bad is not None or not math.isfinite(history.loss[-1]):
        history.stop_reason, history.diverged_epoch = "diverged", epoch
        if bad is not None:
            history.bad_parameter = loop.params[bad].label or f"params[{bad}]"
        bar.say("training (diverged)")
        return True
    if stopping.out_of_patience(history, epoch, loop):
        history.stop_reason = "early_stopping"
        bar.say("training (stopped early)")  # so "103/300" does not read as a run cut short
        return True
    return False


class _Batches:
    """The batches of every epoch, as lists of sample indices.

    One batch of everything for ``batch_size=None``; otherwise batches of
    ``batch_size`` in an order reshuffled each epoch by ``random.Random(seed)``.
    """

    def __init__(self, n: int, batch_size: int | None, seed: int | None) -> None:
        self.several = batch_size is not None
        self.size = whole_number("batch_size", batch_size, 1) if self.several else n
        self.order = list(range(n))
        self.shuffler = random.Random(seed)

    def epoch(self) -> list[list[int]]:
        if self.several:
            self.shuffler.shuffle(self.order)
        return [self.order[i : i + self.size] for i in range(0, len(self.order), self.size)]


class _EarlyStopping:
    """Keras' EarlyStopping: an epoch improves when its loss beats the best by more than
    ``min_delta``; ``patience`` epochs in a row without improving end training."""

    def __init__(self, patience: int | None, min_delta: float, restore_best_weights: bool) -> None:
        self.patience = None if patience is None else whole_number("patience", patience, 0)
        self.min_delta = at_least("min_delta", min_delta)
        self.restore = flag("restore_best_weights", restore_best_weights)
        self.wait = 0  # epochs since the last improvement
        self.best_weights = None

    def out_of_patience(self, history: History, epoch: int, loop: _EagerLoop) -> bool:
        """Record this epoch as the best if it improved; True once patience has run out."""
        self.wait += 1
        if history.loss[-1] + self.min_delta < history.best_loss:
            history.best_loss, history.best_epoch = history.loss[-1], epoch
            self.wait = 0
            if self.restore:
                self.best_weights = loop.snapshot()
            return False
        return self.patience is not None and self.wait >= self.patience and epoch > 0

    def restore_best(self, loop: _EagerLoop, history: History) -> None:
        if self.best_weights is not None:
            loop.restore(self.best_weights)
            history.restored_best = True


class _EagerLoop:
    """The lesson's loop on Values: for each batch zero_grad, forward, loss, backward, step."""

    def __init__(self, model, X, y, loss_fn, kind, opt: Optimizer, *, check_first: bool) -> None:
        self.model, self.X, self.y, self.loss_fn, self.kind = model, X, y, loss_fn, kind
        self.opt = opt
        self.params = opt.params
        self.counting = kind in CLASSIFICATION
        if check_first and kind is not None:
            # A bad sample or target in a later mini-batch would only surface after earlier
            # batches had changed the weights; one forward pass over everything finds it first.
            # (Full-batch training meets every sample before its first step anyway, and a
            # custom loss may keep state, so it is not called an extra time.)
            with no_grad():
                loss_fn([model(x) for x in X], y)

    def __enter__(self) -> _EagerLoop:
        return self

    def __exit__(self, *error) -> None:
        return None  # the Values are the parameters: nothing to write back

    def run_epoch(self, batches: list[list[int]]) -> tuple[float, int]:
        """One pass over the data: (the mean loss as measured while training, correct count)."""
        model, X, y, opt = self.model, self.X, self.y, self.opt
        total, correct = 0.0, 0
        for batch in batches:
            targets = [y[i] for i in batch]
            # A step's graph has no reference cycles, so the cyclic collector can
            # rest while it is built (see engine.gc_paused).
            with gc_paused():
                opt.zero_grad()
                preds = [model(X[i]) for i in batch]  # forward
                batch_loss = self.loss_fn(preds, targets)  # how wrong
                batch_loss.backward()  # gradients
                opt.step()  # update
            total += batch_loss.data * len(batch)
            if self.counting:
                correct += _correct(preds, targets, self.kind) or 0
        return total / len(X), correct

    def first_non_finite(self) -> int | None:
        """The index of the first parameter whose value is nan or ±inf, or None."""
        return next((i for i, p in enumerate(self.params) if not math.isfinite(p.data)), None)

    def snapshot(self) -> list[float]:
        return [p.data for p in self.params]

    def restore(self, weights: list[float]) -> None:
        for p, data in zip(self.params, weights, strict=True):
            p.data = data


class _CompiledLoop:
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
        self.labels = [_target_class(t, kind) for t in y] if self.counting else None

        def sample_loss(x, t):  # the loss of a batch of one; the step takes the mean
            return loss_fn([model(x)], [t])

        example = (_plain(X[0]), _plain(targets[0]))
        self.step = _compiled_loss(sample_loss, example, self.params, custom=kind is None)
        self.forward = compile_step(model, example[:1]) if self.counting else None
        self.np = _numpy()
        if self.np is None:
            self.X, self.T = [_plain(x) for x in X], [_plain(t) for t in targets]
        else:
            self.X, self.T = _array("X", X, self.np), _array("y", targets, self.np)
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

    def __enter__(self) -> _CompiledLoop:
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
        if self.packed is None:
            outputs = self.forward(rows)
        else:
            outputs = self.forward.with_params(self.np.take(self.packed.data, self.order), rows)
        outputs = outputs.tolist() if hasattr(outputs, "tolist") else outputs
        guesses = (_predicted_class(out, self.kind) for out in outputs)
        return sum(guess == self.labels[i] for guess, i in zip(guesses, batch, strict=True))

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
        return [one_hot(t, len(out)) if _is_class_index(t) else t for t in y]
    return y


def _plain(value):
    """A sample or target as compile's example takes it: a float or a list of floats."""
    if isinstance(value, numbers.Real):
        return float(value)
    return [float(v) for v in value]


def _is_class_index(t: object) -> bool:
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _array(name: str, values: list, np):
    """``values`` as one float64 array (a batch: samples first), or a clear error."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name}: with compile=True every sample must be numbers of the same length ({error})"
        ) from None


def _numpy():
    try:
        import numpy
    except ImportError:  # compile=True still works: pure-Python floats
        return None
    return numpy


class _Progress:
    """fit's text progress bar (tqdm), or nothing when ``progress=False``; closed on exit."""

    def __init__(self, epochs: int, on: bool) -> None:
        self.bar = _progress_bar(epochs) if on else None

    def show(self, history: History) -> None:
        if self.bar is not None:
            shown = {"loss": f"{history.loss[-1]:.4f}"}
            if history.accuracy is not None:
                shown["acc"] = f"{history.accuracy[-1]:.1%}"
            self.bar.set_postfix(shown, refresh=False)
            self.bar.update(1)

    def say(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_description(text, refresh=False)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *error) -> None:
        if self.bar is not None:
            self.bar.close()
            # close() ends the bar's line without flushing; flush so the newline comes before
            # anything printed next (a notebook keeps stdout and stderr apart and in order)
            self.bar.fp.flush()


def _progress_bar(epochs: int):
    try:
        # The plain text bar, not tqdm.auto's Jupyter widget: a saved notebook keeps only a
        # widget's first state ("0/300"), while text updates (carriage returns)
        # end in the final state, in a terminal and in a notebook alike.
        from tqdm.std import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency of scalarflow
        raise ImportError(
            "the progress bar needs tqdm: pip install tqdm (or pass progress=False)"
        ) from None
    # JupyterLab paints a kernel's stderr pink, as an error; a bar is progress, so in a
    # notebook it goes to stdout. In a terminal stderr keeps it out of piped results.
    stream = sys.stdout if _in_a_kernel() else sys.stderr
    return tqdm(total=epochs, desc="training", unit="epoch", leave=True, file=stream)


def _in_a_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook), whose stderr is the kernel's stream."""
    return type(sys.stderr).__module__.startswith("ipykernel.")
