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
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine import Value, gc_paused, no_grad
from engine.utils.arguments import at_least, choice, flag, whole_number

from .accuracy import CLASSIFICATION, count_correct
from .datasets import samples_and_targets
from .losses import bce_with_logits, binary_cross_entropy, cross_entropy, hinge_loss, mse_loss
from .module import Module
from .optimizer import OPTIMIZERS, Optimizer
from .predict import predict
from .train_compiled import CompiledLoop

__all__ = ["fit", "evaluate", "score", "History", "LOSSES"]

#: Losses ``fit`` accepts by name.
LOSSES: dict[str, Callable[..., Value]] = {
    "mse": mse_loss,
    "bce": binary_cross_entropy,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
}


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


def evaluate(
    model: Module,
    X: Sequence,
    y: Sequence,
    loss: str | Callable = "mse",
    *,
    compile: bool = False,  # noqa: A002 - as fit's
):
    """The loss (a float) and accuracy (or None) of ``model`` on ``(X, y)``, without a graph.

    The model's outputs (``predict``), then their ``score``. ``compile=True`` runs the
    model as generated code on the whole batch (``engine.compile``), for data sets too
    big to go through one sample at a time.

    >>> from nn import MLP
    >>> model = MLP(1, [1], seed=0)
    >>> loss, acc = evaluate(model, [[0.0]], [1], loss="hinge")
    >>> loss, acc        # the score is the bias 0: margin 1 missed by 1, sign 0 counts as -1
    (1.0, 0.0)
    """
    X, y = samples_and_targets(X, y, "evaluate")
    return score(predict(model, X, compile=compile), y, loss)


def score(outputs: Sequence, y: Sequence, loss: str | Callable = "mse"):
    """The loss (a float) and accuracy (or None) of outputs a model has given (``predict``'s).

    ``evaluate`` without the forward pass: for outputs that are needed again, as the
    predicted classes of a confusion matrix are. Accuracy is counted for the
    classification losses, as ``fit`` counts it.

    >>> score([2.0, -1.0, 0.5], [1, -1, -1], loss="hinge")   # margins 1 met, met, missed by 1.5
    (0.5, 0.6666666666666666)
    """
    outputs, y = samples_and_targets(outputs, y, "score")
    loss_fn, kind = _resolve_loss(loss)
    with no_grad():
        value = loss_fn(outputs, y)
    correct = count_correct(outputs, y, kind)
    value = value.data if isinstance(value, Value) else float(value)
    return value, (None if correct is None else correct / len(outputs))


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
        loop = CompiledLoop(model, X, y, loss_fn, kind, opt, shuffled=batches.several)
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
                correct += count_correct(preds, targets, self.kind) or 0
        return total / len(X), correct

    def first_non_finite(self) -> int | None:
        """The index of the first parameter whose value is nan or ±inf, or None."""
        return next((i for i, p in enumerate(self.params) if not math.isfinite(p.data)), None)

    def snapshot(self) -> list[float]:
        return [p.data for p in self.params]

    def restore(self, weights: list[float]) -> None:
        for p, data in zip(self.params, weights, strict=True):
            p.data = data


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
