"""``define_op``: your own op, checked when you define it, then used like any built-in.

A learner (or a library) writes the op's forward on plain numbers and its local
derivatives; ``define_op`` checks the derivative against finite differences, puts
the op in the table (engine/ops.py) and gives ``Value`` its method. From then on it
is drawn, stepped through, checked, drawn by the strategies and compiled like the
table's own ops.

>>> from engine import Value, define_op, sigmoid
>>> swish = define_op(
...     "swish",
...     lambda x: x * sigmoid(x),
...     lambda out, x: (sigmoid(x) * (1 + x * (1 - sigmoid(x))),),
...     formulas=("σ(x)·(1 + x·(1 − σ(x)))",),
... )
>>> x = Value(1.0, label="x")
>>> y = swish(x)
>>> y.backward()
>>> y.op, round(y.data, 6), round(x.grad, 6), round(swish(1.0), 6)
('swish', 0.731059, 0.927671, 0.731059)
>>> swish.remove()

Running ``define_op`` again with the same name (a notebook cell run twice) replaces
the op it made before; a built-in's name, or a name ``Value`` uses for something
else, is refused. ``swish.remove()`` takes the op away again.
"""

from __future__ import annotations

import inspect
import keyword
import numbers
from collections.abc import Callable, Sequence

from . import fast, ops
from .errors import domain_error
from .testing.opcheck import opcheck
from .value import Value, register, unregister

__all__ = ["define_op", "DefinedOp"]

_DEFINED: dict[str, ops.Op] = {}  # the ops define_op made, by name: these may be redefined

HELPERS = "engine.exp, log, sqrt, tanh, sigmoid, sin, cos, maximum and where"


class DefinedOp:
    """What ``define_op`` returns: the op as a function of Values, numbers or arrays.

    On a Value (or with one among its inputs) it records a node of the op; on
    plain numbers it returns a float; on arrays it runs the forward on them.
    ``.op`` is its entry in the table.
    """

    def __init__(self, op: ops.Op, inputs: tuple[str, ...]) -> None:
        self.op = op
        self.inputs = inputs
        self._node = (fast.unary if op.arity == 1 else fast.binary)(op, Value)
        self.__name__ = self.__qualname__ = op.name
        self.__doc__ = f"{op.name}({', '.join(inputs)}), defined by engine.define_op."

    def __call__(self, *xs):
        if len(xs) != self.op.arity:
            raise TypeError(
                f"{self.op.name} takes {self.op.arity} input{'s' * (self.op.arity > 1)} "
                f"({', '.join(self.inputs)}), got {len(xs)}"
            )
        if any(isinstance(x, Value) for x in xs):
            first = xs[0] if isinstance(xs[0], Value) else Value(xs[0])
            return self._node(first, *xs[1:])
        if all(isinstance(x, numbers.Real) for x in xs):
            xs = tuple(map(float, xs))
            problem = self.op.outside_domain and self.op.outside_domain(*xs)
            if problem:
                raise domain_error(problem, xs)
            return self.op.forward(*xs)
        return self.op.forward_array(*xs)  # arrays, and compile's symbols

    def remove(self) -> None:
        """Take the op out of the table and its method off ``Value`` (nodes made keep it)."""
        if _DEFINED.get(self.op.name) is not self.op:
            raise ValueError(f"{self.op.name} is not defined any more (or was redefined)")
        unregister(self.op.name)
        del _DEFINED[self.op.name]

    def __repr__(self) -> str:
        return f"<op {self.op.name}({', '.join(self.inputs)}), defined by engine.define_op>"


def define_op(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., tuple],
    *,
    formulas: Sequence[str] | str | None = None,
    domain: Callable[..., bool] | None = None,
    check: bool = True,
) -> DefinedOp:
    """Define a primitive op of your own: its forward, its local derivatives, and a name.

    - ``forward(x)`` (or ``forward(a, b)``): the op on plain numbers. Its parameters
      name the inputs, one or two.
    - ``derivative(out, x)``: the local derivative with respect to each input, as a
      tuple; ``out`` is the op's result, so a rule can reuse it (tanh' = 1 - out²).
    - ``formulas``: each derivative written out, shown by steps and chain rules;
      by default ``∂name/∂x``.
    - ``domain(x) -> bool``: where the op is defined; outside it the op raises
      ``DomainError`` naming the op, the data and the node's label.
    - ``check``: compare the derivative with finite differences now, at a fixed
      spread of points inside the domain (``engine.testing.opcheck``); a wrong one
      raises ``GradcheckError`` saying where and what kind of mistake it looks like.

    Written with operators and engine's helpers (engine.exp, log, sqrt, tanh,
    sigmoid, sin, cos, maximum, where) instead of ``math`` and ``if``, the same two
    functions also run on Values (``grad(..., create_graph=True)``), on arrays and in
    ``engine.compile``'s generated code; written with ``math``, the op works eagerly
    and compiles to pure-Python floats, and arrays say why they cannot take it.

    The name must be new: a built-in op's name, or a name ``Value`` uses already,
    raises ``ValueError``. Defining the same name again replaces the op define_op
    made before (re-running a notebook cell); ``.remove()`` takes it away.
    """
    _check_name(name)
    if not isinstance(check, bool):
        raise TypeError(f"check must be True or False, got {type(check).__name__}: {check!r}")
    inputs = _inputs(name, forward, derivative)
    arity = len(inputs)
    placeholders = ", ".join(f"{{{i}}}" for i in range(arity))
    op = ops.Op(
        name, name, arity,
        forward=_on_numbers(name, forward),
        derivative=_local_grads(name, derivative, arity),
        formulas=_formulas(name, formulas, inputs),
        syntax=f"{name}({placeholders})",
        method=name,
        forward_array=_on_arrays(name, forward),
        defined=_domain(name, domain, inputs),
    )  # fmt: skip
    if check:
        opcheck(op, inputs)
    register(op)
    _DEFINED[name] = op
    return DefinedOp(op, inputs)


# -- what define_op accepts ---------------------------------------------------------------


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(f"an op's name must be a str, got {type(name).__name__}: {name!r}")
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ValueError(
            f"an op's name must be a word that can be called like a function "
            f"(letters, digits and _, not a keyword, not starting with _): got {name!r}"
        )
    known = next((op for op in ops.OPS if op.name == name), None)
    if known is not None and _DEFINED.get(name) is not known:
        raise ValueError(
            f"{name!r} is the name of one of engine's own ops; choose another name for yours "
            f"(the built-in ops: {', '.join(op.name for op in ops.OPS if op.name not in _DEFINED)})"
        )
    if known is None and hasattr(Value, name):
        raise ValueError(
            f"{name!r} is taken: Value has an attribute of that name (x.{name}); choose "
            f"another name for your op"
        )


def _inputs(name: str, forward: object, derivative: object) -> tuple[str, ...]:
    """The names of the op's inputs: forward's parameters, one or two of them."""
    for role, function in (("forward", forward), ("derivative", derivative)):
        if not callable(function):
            raise TypeError(f"{name}'s {role} must be a function, got {function!r}")
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(
            f"cannot read the inputs of {name}'s forward {forward!r}: wrap it as "
            f"lambda x: ... so that its parameters name its inputs"
        ) from None
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind not in plain or p.default is not p.empty for p in parameters):
        raise TypeError(
            f"{name}'s forward must name each input as a plain parameter (def forward(x) "
            f"or def forward(a, b)), without *args, keywords or defaults"
        )
    if not 1 <= len(parameters) <= 2:
        raise ValueError(f"an op takes one or two inputs; {name}'s forward takes {len(parameters)}")
    inputs = tuple(p.name for p in parameters)
    if not _takes(derivative, len(inputs) + 1):
        raise TypeError(
            f"{name}'s derivative must take the op's result first, then its inputs: "
            f"derivative(out, {', '.join(inputs)})"
        )
    return inputs


def _takes(function: Callable, count: int) -> bool:
    """Whether ``function`` can be called with ``count`` arguments (a builtin whose
    signature cannot be read is taken as it is)."""
    try:
        inspect.signature(function).bind(*range(count))
    except TypeError:
        return False
    except ValueError:
        pass
    return True


def _formulas(name: str, formulas: object, inputs: tuple[str, ...]) -> tuple[str, ...]:
    if formulas is None:
        return tuple(f"∂{name}/∂{x}" for x in inputs)
    formulas = (formulas,) if isinstance(formulas, str) else tuple(formulas)
    if len(formulas) != len(inputs) or not all(isinstance(f, str) for f in formulas):
        raise ValueError(
            f"formulas: one string per input of {name} ({', '.join(inputs)}), got {formulas!r}"
        )
    return formulas


def _domain(name: str, domain: object, inputs: tuple[str, ...]) -> Callable[..., bool] | None:
    if domain is not None and (not callable(domain) or not _takes(domain, len(inputs))):
        raise TypeError(
            f"{name}'s domain must be a function of its inputs ({', '.join(inputs)}) that says "
            f"True where the op is defined (lambda x: x > 0), got {domain!r}"
        )
    return domain


# -- the functions the table calls ---------------------------------------------------------


def _on_numbers(name: str, forward: Callable) -> Callable:
    """The forward on floats, giving a float (numpy's scalars too); anything else passes."""

    def forward_on_numbers(*xs):
        result = forward(*xs)
        if type(result) is float:
            return result
        if isinstance(result, numbers.Real):
            return float(result)
        if all(type(x) is float for x in xs):
            raise TypeError(
                f"{name}'s forward must return a number, got {type(result).__name__}: {result!r}"
            )
        return result  # compile's symbols: the source of the forward, written from the helpers

    return forward_on_numbers


def _on_arrays(name: str, forward: Callable) -> Callable:
    def forward_on_arrays(*xs):
        try:
            return forward(*xs)
        except (TypeError, ValueError) as error:
            raise _not_for(name, "forward", "arrays") from error

    return forward_on_arrays


def _local_grads(name: str, derivative: Callable, arity: int) -> Callable:
    """The derivative as the table calls it: always a tuple, one per input; where it cannot
    take Values or arrays (written with math or an if), an error that says so."""

    def local_grads(out, *xs):
        try:
            result = derivative(out, *xs)
        except (TypeError, ValueError) as error:
            if all(isinstance(v, numbers.Real) for v in (out, *xs)):
                raise  # a plain-number mistake is the learner's own: show it as it is
            what = "Values" if isinstance(out, Value) else "arrays"
            raise _not_for(name, "derivative", what) from error
        grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(grads) != arity:
            raise TypeError(
                f"{name}'s derivative must return one local derivative per input, a tuple of "
                f"{arity}, got {result!r}"
            )
        return grads

    return local_grads


def _not_for(name: str, role: str, what: str) -> TypeError:
    use = "grad(..., create_graph=True)" if what == "Values" else "engine.compile on arrays"
    return TypeError(
        f"{name}'s {role} cannot run on {what} (as {use} needs): it is written with math or "
        f"an if on the data, which take one number at a time. Write it with operators and "
        f"engine's helpers ({HELPERS}: where(x > 0, a, b) for an if) and define the op "
        f"again; on plain numbers, and in compiled code on lists, it runs as it is"
    )
