"""The demo: ``python -m nn train --dataset moons --optimizer adam --epochs 100 --out out/``.

Trains an MLP with a progress bar (``--compile``: as generated code on whole
batches, for thousands of points and wide layers), prints the final loss and
accuracy, and writes into ``--out``:

- on a 2-D dataset (moons, circles, spirals, blobs, xor): ``loss.png`` (loss and
  accuracy per epoch), ``decision_boundary.png``, ``neuron.png`` (the computation
  graph of one neuron, L0.N0, on the first sample, with its gradients) and
  ``model.json`` (the trained weights);
- on ``digits`` (1,797 8×8 handwritten digits; 64 inputs have no decision boundary to
  draw): it trains on 80% of them, reports the accuracy on the 20% held out, and writes
  ``loss.png``, ``confusion_matrix.png`` (on the held-out digits), ``weights.png`` (each
  first-layer neuron's 64 weights as an 8×8 image) and ``model.json``.

Eager training (without ``--compile``) says first how long an epoch will take when it
is slow. Mistakes in the options give one clear line and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass

from engine.cli.usage import UsageError, dot_missing, usage_errors
from engine.utils.arguments import at_least, greater_than, whole_number
from engine.utils.files import write_together

from . import datasets
from .demo import (
    DATASETS,
    DEMO_NOISE,
    DIGITS_BATCH,
    DIGITS_EPOCHS,
    DIGITS_HIDDEN,
    DIGITS_INIT,
    DIGITS_RESULTS,
    DIGITS_TEST,
    MIN_SAMPLES,
    RESULTS,
    digit_pictures,
    evaluated,
    held_out_results,
    pictures,
    say_if_slow,
)
from .layers import MLP
from .optim import OPTIMIZERS
from .serialize import model_json
from .train import History, fit

# Limits that keep a demo run to seconds or minutes. Eager training is pure Python, one
# scalar at a time: 10,000 points through a 256-wide network take hours per epoch.
# Compiled (--compile), an epoch is a few matrix products, so ten times the points
# still train in seconds per epoch; the width stays, as tracing grows with its square.
MAX_SAMPLES = 10_000
MAX_SAMPLES_COMPILED = 100_000
MAX_WIDTH = 256
MAX_LAYERS = 5
# The datasets span a few units (moons, circles, spirals) to ~20 (blobs): noise beyond this
# drowns any pattern, and far beyond it the inputs overflow.
MAX_NOISE = 10.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + error
        raise UsageError(message)


# The parsers turn text into numbers; _check_options then checks the values with
# engine.utils.arguments, the words the library itself uses ("--lr must be > 0, got -1").
def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _real(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes like 16,16, got {text!r}") from None


def _check_options(args: argparse.Namespace) -> None:
    """Refuse option values out of range, each in one line, before anything runs."""
    with usage_errors():
        if args.epochs is not None:
            whole_number("--epochs", args.epochs, 1)
        for option, low in (("batch_size", 1), ("patience", 0), ("samples", 1)):
            if getattr(args, option) is not None:
                whole_number(f"--{option.replace('_', '-')}", getattr(args, option), low)
        if args.lr is not None:
            greater_than("--lr", args.lr)
        at_least("--min-delta", args.min_delta)
        if args.noise is not None:
            at_least("--noise", args.noise)
        for size in args.hidden or []:
            whole_number("every --hidden size", size, 1)
    if args.noise is not None and args.noise > MAX_NOISE:
        raise UsageError(
            f"--noise must be at most {MAX_NOISE:g} (the data spans a few units; blobs ~20), "
            f"got {args.noise:g}"
        )
    if args.hidden is not None and len(args.hidden) > MAX_LAYERS:
        raise UsageError(f"--hidden: at most {MAX_LAYERS} hidden layers, got {len(args.hidden)}")
    if args.hidden is not None and max(args.hidden) > MAX_WIDTH:
        raise UsageError(
            f"--hidden: at most {MAX_WIDTH} neurons per layer (every weight is a Value, built "
            f"and, with --compile, traced one at a time), "
            f"got {max(args.hidden)}"
        )
    if args.dataset == "digits":
        for option, value in (("--samples", args.samples), ("--noise", args.noise)):
            if value is not None:
                raise UsageError(
                    f"{option} does not apply to digits, which are 1,797 real images (20% of "
                    f"them held out to test on)"
                )
    if args.compile and args.samples is not None and args.samples > MAX_SAMPLES_COMPILED:
        raise UsageError(
            f"--samples: at most {MAX_SAMPLES_COMPILED} points with --compile, got {args.samples}"
        )
    if not args.compile and args.samples is not None and args.samples > MAX_SAMPLES:
        raise UsageError(
            f"--samples: at most {MAX_SAMPLES} points (training is pure Python; with --compile "
            f"up to {MAX_SAMPLES_COMPILED}), got {args.samples}"
        )


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m nn`` parser: one ``train`` command; every option checked as it is read."""
    parser = _Parser(prog="python -m nn", description="scalarflow's neural-network demo")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    train = commands.add_parser(
        "train",
        help="train an MLP on a dataset and write pictures of it",
        description="Train an MLP on a 2-D dataset and write loss.png, decision_boundary.png, "
        "neuron.png and model.json into --out; or on the handwritten digits (--dataset digits, "
        "best with --compile), tested on 20% of them held out, and write loss.png, "
        "confusion_matrix.png, weights.png and model.json.",
    )
    train.add_argument(
        "--dataset", choices=sorted(DATASETS), default="moons", help="(default: moons)"
    )
    train.add_argument(
        "--optimizer", choices=list(OPTIMIZERS), default="adam", help="(default: adam)"
    )
    train.add_argument("--lr", type=_real, default=None, help=_lr_help())
    train.add_argument(
        "--epochs", type=_whole, default=None, help=f"(default: 100; digits {DIGITS_EPOCHS})"
    )
    train.add_argument(
        "--batch-size",
        type=_whole,
        default=None,
        help=f"mini-batch size (default: the whole dataset each step; digits {DIGITS_BATCH})",
    )
    train.add_argument(
        "--patience",
        type=_whole,
        default=None,
        help="stop after this many epochs without improvement",
    )
    train.add_argument(
        "--min-delta",
        type=_real,
        default=0.0,
        help="smallest loss decrease that counts as an improvement",
    )
    train.add_argument(
        "--hidden",
        type=_sizes,
        default=None,
        help=f"hidden layer sizes, comma separated: at most {MAX_LAYERS} layers of at most "
        f"{MAX_WIDTH} (default: 16,16; digits {','.join(map(str, DIGITS_HIDDEN))})",
    )
    train.add_argument(
        "--activation",
        choices=["relu", "tanh", "sigmoid"],
        default="relu",
        help="of the hidden layers (default: relu)",
    )
    train.add_argument(
        "--samples",
        type=_whole,
        default=None,
        help=f"number of points, at most {MAX_SAMPLES} ({MAX_SAMPLES_COMPILED} with --compile; "
        "default: 100; xor always has 4, digits 1,797)",
    )
    train.add_argument(
        "--noise",
        type=_real,
        default=None,
        help=f"noise of the data, 0 to {MAX_NOISE:g} (default: moons 0.1, circles 0.05, ...)",
    )
    train.add_argument(
        "--seed", type=_whole, default=0, help="seeds the data and the weights (default: 0)"
    )
    train.add_argument("--out", default="out", help="directory for the images (default: out)")
    train.add_argument(
        "--compile",
        action="store_true",
        help="train with engine.compile: the loss of one point traced once and run as "
        "generated code on whole batches (much faster; needs numpy for full speed)",
    )
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _lr_help() -> str:
    """--lr's help: each registered optimizer's demo learning rates."""
    demo = ", ".join(f"{name} {cls.demo_lr:g}" for name, cls in OPTIMIZERS.items())
    digits = [
        f"{name} {cls.digits_lr:g}"
        for name, cls in OPTIMIZERS.items()
        if cls.digits_lr != cls.demo_lr
    ]
    on_digits = f"; on digits {', '.join(digits)}" if digits else ""
    return f"learning rate (default, per optimizer: {demo}{on_digits})"


def _check_out(path: str, names: tuple[str, ...]) -> str:
    """Refuse an --out that cannot become a writable directory, without creating it yet.

    The directory is made only when the results are written, so a mistake or a failed
    run leaves nothing behind, not even an empty folder.
    """
    if not path:
        raise UsageError("--out needs a folder name, e.g. --out out")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--out {path!r} exists and is not a directory")
    existing = os.path.abspath(path)
    while not os.path.exists(existing):  # the deepest part that exists already
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"cannot create --out directory {path!r}: {existing!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out directory {path!r} is not writable")
    for name in names:
        if os.path.isdir(os.path.join(path, name)):
            raise UsageError(f"--out {path!r} has a folder called {name}, where {name} goes")
    return path


def train_command(args: argparse.Namespace) -> int:
    """Train as ``args`` say, print the result, write the pictures and weights; the exit code.

    The steps: check the options and --out → the data and the network → train →
    evaluate → draw in memory → write every result at once.
    """
    _check_options(args)
    _load_matplotlib()
    run = _Run.of(args)
    out = _check_out(args.out, run.results)
    if "neuron.png" in run.results and shutil.which("dot") is None:  # said before training
        raise dot_missing("neuron.png")
    X, y = _data(args)
    held_out = None  # the digits keep a fifth aside, to test on what training never saw
    if run.digits:
        X, X_test, y, y_test = datasets.train_test_split(X, y, DIGITS_TEST, seed=args.seed)
        held_out = (X_test, y_test)
    model, loss = _network(run, X, y, held_out)
    try:
        history = _train(run, model, X, y, loss)
        _report(run, model, history, X, y, loss)
        if held_out is not None:
            predicted = _report_held_out(run, model, *held_out, loss)
    except _RunFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    # Everything is drawn in memory first: if any picture fails, no file has been written.
    if held_out is not None:
        results = digit_pictures(model, history, held_out[1], predicted)
    else:
        results = pictures(model, history, X, y, args.compile)
    results["model.json"] = model_json(model)
    return _write(out, results, run.results)


class _RunFailed(Exception):
    """Training went wrong, not the options: one line on stderr, nothing written, status 1."""


@dataclass
class _Run:
    """The options of a run, with its dataset's defaults filled in."""

    args: argparse.Namespace
    digits: bool
    results: tuple[str, ...]  # the files it writes
    hidden: list[int]
    lr: float
    batch_size: int | None
    epochs: int
    seconds: float = 0.0  # how long training took

    @classmethod
    def of(cls, args: argparse.Namespace) -> _Run:
        digits = args.dataset == "digits"
        chosen = OPTIMIZERS[args.optimizer]  # each optimizer brings its demo learning rates
        return cls(
            args=args,
            digits=digits,
            results=DIGITS_RESULTS if digits else RESULTS,
            hidden=args.hidden or (DIGITS_HIDDEN if digits else [16, 16]),
            lr=(chosen.digits_lr if digits else chosen.demo_lr) if args.lr is None else args.lr,
            batch_size=DIGITS_BATCH if digits and args.batch_size is None else args.batch_size,
            epochs=args.epochs or (DIGITS_EPOCHS if digits else 100),
        )


def _load_matplotlib() -> None:
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "python -m nn train draws its pictures with matplotlib: pip install matplotlib "
            "(or scalarflow[plot])"
        ) from None
    matplotlib.use("Agg")  # files only: works without a display


def _network(run: _Run, X: list, y: list, held_out: tuple | None) -> tuple[MLP, str]:
    """The network for the data (one output for two classes) and its loss, said in a line."""
    args, classes = run.args, len(set(y))
    loss = "bce_with_logits" if classes == 2 else "cross_entropy"
    model = MLP(
        len(X[0]),
        [*run.hidden, 1 if classes == 2 else classes],
        activation=args.activation,
        seed=args.seed,
        init=DIGITS_INIT[args.activation] if run.digits else "uniform",
    )
    what = f"{len(X)} images, {len(held_out[0])} held out" if held_out else f"{len(X)} points"
    batches = "" if run.batch_size is None else f", batches of {run.batch_size}"
    print(
        f"{args.dataset}: {what}, {classes} classes; {model}; "
        f"{args.optimizer} lr={run.lr:g}{batches}; loss {loss}"
    )
    return model, loss


def _train(run: _Run, model: MLP, X: list, y: list, loss: str) -> History:
    """``fit`` as the options say, timed; a run that diverges is a failure."""
    args = run.args
    if not args.compile:
        say_if_slow(model, X, y, loss, run.epochs)
    started = time.perf_counter()
    try:
        history = fit(
            model,
            X,
            y,
            loss=loss,
            optimizer=args.optimizer,
            lr=run.lr,
            epochs=run.epochs,
            batch_size=run.batch_size,
            patience=args.patience,
            min_delta=args.min_delta,
            progress=not args.no_progress,
            seed=args.seed,
            compile=args.compile,
        )
    except (OverflowError, ValueError) as e:  # e.g. exp overflowing after a huge step
        raise _RunFailed(f"training failed: {e}; try a smaller --lr") from None
    run.seconds = time.perf_counter() - started
    if history.stop_reason == "diverged":
        bad = "" if history.bad_parameter is None else f", {history.bad_parameter} is nan or inf"
        raise _RunFailed(
            f"training diverged in epoch {history.epochs} (loss {history.loss[-1]}{bad}); "
            f"nothing written; try a smaller --lr than {run.lr:g}"
        )
    return history


def _report(run: _Run, model: MLP, history: History, X: list, y: list, loss: str) -> None:
    """Print how training went and the loss and accuracy it reached on its data."""
    final_loss, accuracy = evaluated(model, X, y, loss, run.args.compile)
    # fit measures each epoch's loss before its step, so a last step too far shows only here.
    if not math.isfinite(final_loss):
        largest = max(abs(p.data) for p in model.parameters())
        raise _RunFailed(
            f"training diverged: after epoch {history.epochs} the loss is {final_loss} "
            f"(weights up to {largest:.3g}); nothing written; try a smaller --lr than {run.lr:g}"
        )
    stopped = " (early stopping)" if history.stop_reason == "early_stopping" else ""
    print(f"trained {history.epochs} epochs in {run.seconds:.1f}s{stopped}")
    on = " (training)" if run.digits else ""
    print(f"final loss {final_loss:.4f}, accuracy {accuracy:.1%}{on}")


def _report_held_out(run: _Run, model: MLP, X_test: list, y_test: list, loss: str) -> list:
    """Print the loss and accuracy on the held-out images; their predicted classes."""
    results = held_out_results(model, X_test, y_test, loss, run.args.compile)
    test_loss, test_accuracy, predicted = results
    print(
        f"test loss {test_loss:.4f}, accuracy {test_accuracy:.1%} ({len(X_test)} held-out images)"
    )
    if predicted is None:
        raise _RunFailed(
            f"the held-out images give a loss of {test_loss}: the trained weights overflow "
            f"on them; nothing written; try a smaller --lr than {run.lr:g}"
        )
    return predicted


def _write(out: str, results: dict[str, bytes], names: tuple[str, ...]) -> int:
    """Write every result into ``out`` at once, or none; the exit code."""
    folder = out if out.endswith(os.sep) else out + os.sep
    # One run's results appear together or not at all: never a new loss.png beside an old
    # model.json.
    unchanged = _unchanged(out, names)
    try:
        write_together(out, results)
    except KeyboardInterrupt:
        print(
            f"interrupted while writing the results: nothing written, {unchanged}", file=sys.stderr
        )
        return 130
    except OSError as e:
        print(
            f"error: cannot write the results to {folder}: {e.strerror or e}; nothing written, "
            f"{unchanged}",
            file=sys.stderr,
        )
        return 1
    print(f"wrote {', '.join(results)} to {folder}")
    return 0


def _data(args: argparse.Namespace) -> tuple[list, list]:
    """The dataset the options name, with its number of points and noise checked."""
    if args.dataset in ("xor", "digits"):
        if args.samples is not None:  # digits: refused in _check_options, with --noise
            raise UsageError("--samples does not apply to xor, which always has 4 points")
        return DATASETS[args.dataset](None, None, args.seed)
    noise = DEMO_NOISE[args.dataset] if args.noise is None else args.noise
    n = 100 if args.samples is None else args.samples
    if n < MIN_SAMPLES[args.dataset]:
        raise UsageError(
            f"--samples must be at least {MIN_SAMPLES[args.dataset]} for {args.dataset} "
            "(one per class)"
        )
    return DATASETS[args.dataset](n, noise, args.seed)


def _unchanged(out: str, names: tuple[str, ...]) -> str:
    """What a failed write leaves of --out, in words: the previous run's files, or nothing."""
    previous = [name for name in names if os.path.lexists(os.path.join(out, name))]
    if previous:
        return f"{out} keeps the previous run's {', '.join(previous)}"
    return f"{out} is as it was" if os.path.isdir(out) else f"{out} was not created"


def main(argv: list[str] | None = None) -> int:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return train_command(args)
    except UsageError as e:
        see = " (see python -m nn train --help)" if e.see_help else ""
        print(f"python -m nn: error: {e}{see}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): nothing more to say to it
        try:  # stdout to nowhere, so the flush at exit does not fail a second time
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # no real file behind stdout (a test's capture)
            pass
        return 1
    except ImportError as e:  # matplotlib or graphviz missing: say what to install
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # the disk is full, permissions changed, ...
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
