"""The command line: ``python -m engine graph|check EXPR name=value ...``.

Run ``python -m engine --help`` for examples. Every user mistake exits with
status 2 and one line on stderr; ``check`` exits 1 when gradients disagree.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import shutil
import sys
from collections.abc import Collection, Sequence

from ..errors import GradcheckError
from ..modes import detect_anomaly
from ..testing.gradcheck import gradcheck
from ..utils.arguments import at_least, greater_than, number, whole_number
from ..utils.files import atomic_write
from ..value import Value
from ..views.chain import TooManyPathsError, chain_rule
from ..views.graph import DEFAULT_MAX_NODES, RANKDIRS, draw_graph
from ..views.render import RenderTimeout, render
from .expr import FUNCTIONS, Expression, ExpressionError, parse
from .usage import UsageError, dot_missing, usage_errors

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".gv": "gv", ".dot": "gv"}
PNG_DPI = "150"  # crisp on a slide, still small

DESCRIPTION = f"""\
See the gradients of a formula: scalarflow builds its computation graph,
runs backpropagation, and shows every step of the chain rule.

Write the formula in Python syntax with + - * / ** and the functions
  {" ".join(FUNCTIONS)}
(leaky_relu takes an optional slope: leaky_relu(x, 0.1)); give every name a
value as name=number after the formula."""

EXAMPLES = """\
examples:
  python -m engine graph "tanh(w*x + b)" w=-1 x=0.5 b=2 -o g.png
      draw the graph after backward into g.png (or .svg, .pdf); print each
      backward step and the chain rule for w, x and b
  python -m engine graph "x**2 + 3*x*y" x=2 y=1 --wrt x -o g.svg --rankdir TB
      only explain df/dx; lay the drawing out top to bottom
  python -m engine check "sigmoid(a) * log(b)" a=0.3 b=2
      compare backward's gradients with finite differences
      (exit status 0: they agree, 1: they do not)

Quote the formula. A formula that starts with "-" goes after "--" (options before it):
  python -m engine graph -o g.png -- "-x**2" x=3"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        if message.startswith("unrecognized arguments: -"):
            message += ' (a formula that starts with "-" goes after "--", as in: graph -- "-x" x=1)'
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("expression", metavar="EXPR", help='the formula, e.g. "tanh(w*x + b)"')
    common.add_argument(
        "bindings", metavar="name=value", nargs="*", help="a number for each name, e.g. w=-1"
    )
    parser = _Parser(
        prog="python -m engine",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    command = functools.partial(  # what every command shares: EXPR name=value, the examples
        commands.add_parser,
        parents=[common],
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    graph = command(
        "graph",
        help="print the backward steps and chain rule; draw the graph with -o",
        description="Run backward on EXPR, print each step and the chain rule for every\n"
        "input, and draw the graph (with -o). Exit status 2 on a usage mistake.",
    )
    graph.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the graph here; the extension picks the format: .svg .png .pdf "
        "(.gv/.dot: the Graphviz source)",
    )
    graph.add_argument(
        "--rankdir",
        choices=RANKDIRS,
        default="LR",
        help="layout: LR (inputs on the left, the default), TB (top to bottom), RL, BT",
    )
    graph.add_argument(
        "--wrt",
        metavar="NAME",
        action="append",
        help="explain only the gradient with respect to NAME (repeatable; default: all)",
    )
    graph.add_argument(
        "--no-grad", action="store_true", help="do not show gradients in the drawing"
    )
    graph.add_argument(
        "--no-local-grads", action="store_true", help="do not label edges with local derivatives"
    )
    graph.add_argument(
        "--max-nodes",
        metavar="N",
        type=int,
        default=DEFAULT_MAX_NODES,
        help=f"draw at most N values, the nearest to the output (default {DEFAULT_MAX_NODES}; "
        "0 draws all)",
    )
    graph.add_argument("--no-steps", action="store_true", help="do not print the backward steps")

    check = command(
        "check",
        help="compare gradients with finite differences (gradcheck)",
        description="Compare backward's gradients of EXPR with central finite differences.\n"
        "Exit status 0 when they agree, 1 when they do not, 2 on a usage mistake.",
    )
    check.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (1e-6)")
    check.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (1e-5)")
    check.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance (1e-4)")
    return parser


# ---------------------------------------------------------------------------


def _bindings(expression: Expression, items: Sequence[str]) -> dict[str, float]:
    """``["w=-1", "x=0.5"]`` -> ``{"w": -1.0, "x": 0.5}``, checked against the expression."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep:
            raise UsageError(f"expected name=value, got {item!r}")
        if not name.isidentifier():
            raise UsageError(f"{name!r} (in {item!r}) is not a valid name")
        if name in FUNCTIONS:
            raise UsageError(f"{name!r} is a function's name; give the value another name")
        if name in values:
            raise UsageError(f"{name} is given twice ({name}={values[name]:g} and {item})")
        try:
            parsed = float(text)
        except ValueError:
            raise UsageError(f"{name}={text!r}: not a number") from None
        with usage_errors():
            values[name] = number(f"{name}={text}: the value", parsed)
    missing = [name for name in expression.names if name not in values]
    if missing:
        raise UsageError(
            f"no value for {', '.join(missing)}: add "
            f"{' '.join(f'{name}=<number>' for name in missing)}"
        )
    unused = [name for name in values if name not in expression.names]
    if unused:
        raise UsageError(f"{', '.join(unused)} is given but not used in {expression.text!r}")
    return values


def _build(expression: Expression, values: dict[str, float]) -> tuple[dict[str, Value], Value]:
    inputs = {name: Value(number, label=name) for name, number in values.items()}
    try:
        # An inf or NaN made by the forward pass is an overflow to report, not to draw.
        with detect_anomaly():
            output = expression(inputs)
    except FloatingPointError as error:
        raise UsageError(f"{error}: the result is beyond what a float holds (overflow)") from None
    except (ValueError, ArithmeticError) as error:  # domain, zero division, overflow
        raise UsageError(str(error)) from None
    return inputs, output


def _output_format(path: str) -> str:
    """The format for ``path``, after checking it can be written, before any work is done."""
    extension = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        raise UsageError(f"{path!r} is a directory; give a file name such as graph.png")
    if extension not in FORMATS:
        known = " ".join(sorted(set(FORMATS) - {".dot"}))
        raise UsageError(f"cannot tell the format of {path!r}: use one of {known}")
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError(f"cannot write {path!r}: {directory!r} is a file, not a directory")
    if not os.path.isdir(directory):
        raise UsageError(f"cannot write {path!r}: the directory {directory!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path!r}: the directory {directory!r} is not writable")
    if FORMATS[extension] != "gv" and shutil.which("dot") is None:
        raise dot_missing(path)
    return FORMATS[extension]


def _render(dot, fmt: str, path: str) -> bytes:
    import graphviz

    if fmt == "gv":
        return dot.source.encode()
    if fmt == "png":
        dot.attr(dpi=PNG_DPI)
    try:
        return render(dot, fmt)  # within render.RENDER_SECONDS, else a quick layout or a message
    except RenderTimeout as error:
        raise UsageError(str(error)) from None
    except graphviz.ExecutableNotFound:
        raise dot_missing(path) from None
    except graphviz.CalledProcessError as error:
        detail = (error.stderr or b"").decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else error
        raise UsageError(f"Graphviz failed to draw the graph: {reason}") from None


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _graph(args: argparse.Namespace) -> int:
    expression = parse(args.expression)
    values = _bindings(expression, args.bindings)
    wrt = list(dict.fromkeys(args.wrt or values))  # each input once, in the order given
    for name in wrt:
        if name not in values:
            known = ", ".join(values) or "none"
            raise UsageError(f"--wrt {name}: no input is called {name!r} (inputs: {known})")
    with usage_errors():
        whole_number("--max-nodes", args.max_nodes, 0, or_else="(0 draws all)")
    if not args.output:
        _explain(args, expression, values, wrt)
        return 0
    fmt = _output_format(args.output)  # before any work: a bad path is said at once
    output = _explain(args, expression, values, wrt)
    dot = draw_graph(
        output,
        rankdir=args.rankdir,
        show_grad=not args.no_grad,
        show_local_grads=not args.no_local_grads,
        max_nodes=args.max_nodes or None,
        title=f"{output.label} = {expression.text}" if output.label != expression.text else None,
    )
    try:
        atomic_write(args.output, _render(dot, fmt, args.output))
    except OSError as error:  # the disk is full, the directory went away, ...
        raise UsageError(f"cannot write {args.output!r}: {error.strerror or error}") from None
    print(f"\nwrote {args.output}")
    return 0


def _explain(
    args: argparse.Namespace, expression: Expression, values: dict[str, float], wrt: list[str]
) -> Value:
    """Build the graph, run backward step by step and print the steps and the chain rules."""
    inputs, output = _build(expression, values)
    if not output.label:  # the textbook's name, so steps read df/dx; unless an input has it
        output.label = _output_name(taken=values)
    given = ", ".join(f"{name} = {number:g}" for name, number in values.items())
    formula = "" if expression.text == output.label else f" = {expression.text}"
    print(f"{output.label}{formula} = {output.data:.6g}" + (f"   ({given})" if given else ""))

    steps = list(output.backward_steps())
    if not args.no_steps:
        count = f"{len(steps)} step" + ("" if len(steps) == 1 else "s")
        print(f"\nbackward, one edge at a time ({count}):")
        width = len(str(len(steps)))
        for k, step in enumerate(steps, 1):
            print(f"  {k:>{width}}. {step}")

    if not wrt:
        return output  # no inputs to explain: a formula of numbers only
    print("\nthe chain rule, path by path:")
    for name in wrt:
        try:
            print(_indent(str(chain_rule(output, inputs[name]))))
        except TooManyPathsError as error:
            print(f"  d{output.label}/d{name}: {error}")
    return output


def _output_name(taken: Collection[str]) -> str:
    """``f``, or if an input has that name ``out``, ``result``, ``f1``, ``f2``, ...: one is free."""
    candidates = itertools.chain(("f", "out", "result"), (f"f{k}" for k in itertools.count(1)))
    return next(name for name in candidates if name not in taken)


def _check(args: argparse.Namespace) -> int:
    expression = parse(args.expression)
    values = _bindings(expression, args.bindings)
    names = list(values)
    if not names:
        raise UsageError("nothing to check: the formula has no names to differentiate")
    with usage_errors():
        greater_than("--eps", args.eps)
        at_least("--atol", args.atol)
        at_least("--rtol", args.rtol)
    _build(expression, values)  # report a domain error as a usage mistake, before checking

    def fn(leaves: list[Value]) -> Value:
        return expression(dict(zip(names, leaves, strict=True)))

    inputs = [Value(number, label=name) for name, number in values.items()]  # names the rows
    try:
        report = gradcheck(fn, inputs, eps=args.eps, atol=args.atol, rtol=args.rtol)
    except GradcheckError as error:
        print(error)
        return 1
    print(report)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    try:
        args = _parser().parse_args(argv)
        try:
            return _graph(args) if args.command == "graph" else _check(args)
        except (UsageError, ExpressionError) as error:
            print(f"python -m engine {args.command}: error: {error}", file=sys.stderr)
            return 2
    except KeyboardInterrupt:  # Ctrl-C, while drawing say: as the nn command line does
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): nothing more to say to it
        _drop_stdout()
        return 1
    except OSError as error:  # e.g. stdout cannot be written: a full disk
        _drop_stdout()
        print(f"python -m engine: error: {error}", file=sys.stderr)
        return 1


def _drop_stdout() -> None:
    """Send what is left for stdout nowhere, so the flush at exit does not fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (a test's capture): nothing to do
        pass
