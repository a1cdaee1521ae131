"""Neurons, layers and the multi-layer perceptron, shaped exactly like micrograd's.

A ``Neuron`` is the perceptron: a weighted sum of its inputs plus a bias,
passed through an activation, ``act(Σ wᵢ·xᵢ + b)``. A ``Layer`` is several
neurons reading the same inputs; an ``MLP`` is layers in a row, each reading
the previous layer's outputs. ``MLP(2, [16, 16, 1])`` has two inputs, two
hidden layers (은닉층) of 16 neurons and one output, as in micrograd.

micrograd's code runs unchanged: ``nonlin=True/False`` is its spelling of
``activation="relu"/"linear"``, and without a seed the weights come from
Python's global ``random`` in micrograd's order, so ``random.seed(1337)``
followed by ``MLP(2, [16, 16, 1])`` builds micrograd's demo network exactly.

>>> model = MLP(2, [3, 1], seed=0)
>>> [name for name, _ in model.named_parameters()][:4]
['L0.N0.w0', 'L0.N0.w1', 'L0.N0.b', 'L0.N1.w0']
>>> len(model.parameters())        # (2 + 1) * 3 + (3 + 1) * 1
13
>>> model([1.0, -1.0])
Value(data=..., grad=0.0, op='+')
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from engine import Value
from engine.utils.arguments import choice, flag, whole_number

from .activations import resolve
from .module import Module

__all__ = ["Neuron", "Layer", "MLP", "INITS"]

#: Weight initialisations: the bound ``a`` of uniform(-a, a) from (fan_in, fan_out).
INITS: dict[str, Callable[[int, int], float]] = {
    # micrograd: uniform(-1, 1) whatever the size
    "uniform": lambda fan_in, fan_out: 1.0,
    # Glorot & Bengio (2010), torch.nn.init.xavier_uniform_: keeps variance through tanh/sigmoid
    "xavier": lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
    # He et al. (2015), torch.nn.init.kaiming_uniform_ for relu: variance 2 / fan_in
    "he": lambda fan_in, fan_out: math.sqrt(6.0 / fan_in),
}


def _as_inputs(x: object, nin: int) -> list:
    """An input vector as a list: numpy rows and other iterables are fine, a bare number not."""
    if isinstance(x, (str, bytes, Value)) or not isinstance(x, Iterable):
        raise ValueError(f"this neuron takes a list of {nin} inputs, got {type(x).__name__} {x!r}")
    return list(x)


def _activation_name(activation: str | Callable) -> str | Callable:
    resolve(activation)  # raises a clear error for unknown names
    return activation


def _activation(activation: str | Callable | bool | None, nonlin: bool | None) -> str | Callable:
    """``activation``, or micrograd's ``nonlin`` (True: relu, False: linear); relu if neither.

    A bool where the activation goes is micrograd's positional ``Neuron(nin, nonlin)``.
    """
    if isinstance(activation, bool):
        if nonlin is not None:
            raise TypeError("nonlin given twice: as the second argument and as nonlin=")
        activation, nonlin = None, activation
    if nonlin is None:
        return _activation_name("relu" if activation is None else activation)
    if activation is not None:
        raise ValueError(
            f"give activation= or micrograd's nonlin=, not both (got activation={activation!r}, "
            f"nonlin={nonlin!r}); nonlin=True means activation='relu', False means 'linear'"
        )
    return "relu" if flag("nonlin", nonlin) else "linear"


class Neuron(Module):
    """One perceptron: ``act(w · x + b)`` with ``nin`` weights and a bias.

    ``activation`` is 'relu' (the default), 'tanh', 'sigmoid', 'linear' or a
    function; ``nonlin=True/False`` is micrograd's way to say 'relu'/'linear'
    (give one or the other). Weights start uniform in (-a, a) (``init``
    picks a: micrograd's 1, Xavier or He), one draw per weight in order; the
    bias starts at 0, as micrograd's does. ``rng`` is a ``random.Random``, or
    None for Python's global ``random`` (as micrograd). ``name`` is prefixed
    to the parameter labels (``L0.N3`` gives ``L0.N3.w0``).

    >>> n = Neuron(2, activation="tanh", rng=random.Random(1))
    >>> [p.label for p in n.parameters()]
    ['w0', 'w1', 'b']
    >>> n.w[0].data = 0.5; n.w[1].data = -1.0
    >>> round(n([2.0, 0.5]).data, 6)     # tanh(0.5·2 - 1·0.5 + 0)
    0.462117
    >>> Neuron(2, nonlin=False).activation     # micrograd's spelling
    'linear'
    """

    def __init__(
        self,
        nin: int,
        activation: str | Callable | None = None,
        rng: random.Random | None = None,
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        fan_out: int = 1,
        name: str = "",
    ) -> None:
        self.nin = whole_number("nin", nin, 1)
        self.activation = _activation(activation, nonlin)
        self._act = resolve(self.activation)
        rng = rng if rng is not None else random  # the global generator, as micrograd
        bound = INITS[choice("init", init, INITS)](self.nin, whole_number("fan_out", fan_out, 1))
        prefix = f"{name}." if name else ""
        # Each name is made once, here: it labels the Value (so graphs read L0.N3.w1) and is
        # the key of state_dict; Layer and MLP pass the prefix down instead of re-joining.
        self._names = [*(f"{prefix}w{i}" for i in range(self.nin)), f"{prefix}b"]
        self.w = [Value(rng.uniform(-bound, bound), label=n) for n in self._names[:-1]]
        self.b = Value(0.0, label=self._names[-1])

    def __call__(self, x: Sequence) -> Value:
        """``act(Σ wᵢ·xᵢ + b)`` for one input vector ``x`` of length ``nin``."""
        if not isinstance(x, (list, tuple)):
            x = _as_inputs(x, self.nin)
        if len(x) != self.nin:
            raise ValueError(
                f"this neuron takes a list of {self.nin} inputs, got a list of {len(x)}"
            )
        # Start the sum at the bias: one add per weight, none for a throwaway 0.
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)  # lengths checked above
        return self._act(z)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``w0 … w(nin-1)`` then ``b``, after the ``name`` prefix given (``L0.N3.w0``)."""
        return list(zip(self._names, [*self.w, self.b], strict=True))

    def config(self) -> dict[str, Any]:
        return {"kind": "Neuron", "nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={_show(self.activation)})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs; returns a list of ``nout`` Values.

    ``activation``/``nonlin`` and ``rng`` are the Neuron's; the neurons draw
    their weights one after the other.

    >>> layer = Layer(3, 2, activation="linear", rng=random.Random(0))
    >>> len(layer([1.0, 2.0, 3.0])), len(layer.parameters())
    (2, 8)
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | Callable | None = None,
        rng: random.Random | None = None,
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
        name: str = "",
    ) -> None:
        self.nin = whole_number("nin", nin, 1)
        self.nout = whole_number("nout", nout, 1)
        self.activation = _activation(activation, nonlin)
        prefix = f"{name}." if name else ""
        self.neurons = [
            Neuron(nin, self.activation, rng, init=init, fan_out=nout, name=f"{prefix}N{j}")
            for j in range(self.nout)
        ]

    def __call__(self, x: Sequence) -> list[Value]:
        """The outputs of every neuron for the input vector ``x``."""
        return [n(x) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Neuron by neuron: ``N0.w0, N0.w1, …, N0.b, N1.w0, …`` (after the ``name`` prefix)."""
        return [pair for n in self.neurons for pair in n.named_parameters()]

    def config(self) -> dict[str, Any]:
        return {"kind": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={_show(self.activation)})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(nin, [n1, n2, …, nout])`` as in micrograd.

    Hidden layers use ``activation`` (or micrograd's ``nonlin=True/False``);
    the last layer uses ``output_activation`` ('linear' gives raw
    scores/logits, as micrograd's last layer). ``seed=N`` draws the initial
    weights from a private ``random.Random(N)``, so the same seed gives the
    same network and the global generator is left alone; ``seed=None`` draws
    from Python's global ``random`` in micrograd's order (layer by layer,
    neuron by neuron, weight by weight). One output gives a Value, several a list.

    >>> a, b = MLP(2, [4, 1], seed=42), MLP(2, [4, 1], seed=42)
    >>> a.state_dict() == b.state_dict()
    True
    >>> MLP(2, [4, 3], seed=0)([0.5, 0.5]).__class__.__name__   # three outputs: a list
    'list'
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Callable | None = None,
        output_activation: str | Callable = "linear",
        seed: int | None = None,
        *,
        nonlin: bool | None = None,
        init: str = "uniform",
    ) -> None:
        self.nin = whole_number("nin", nin, 1)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.nouts = [whole_number("every layer size in nouts", n, 1) for n in nouts]
        self.activation = _activation(activation, nonlin)
        self.output_activation = _activation_name(output_activation)
        self.seed = seed
        rng = random.Random(seed) if seed is not None else None  # None: the global generator
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=self.output_activation if i == last else self.activation,
                rng=rng,
                init=init,
                name=f"L{i}",
            )
            for i in range(len(self.nouts))
        ]

    def __call__(self, x: Sequence) -> Value | list[Value]:
        """Run ``x`` through every layer; one output gives a Value, several a list."""
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Layer by layer, neuron by neuron, weights then bias: ``L0.N0.w0, …, L0.N0.b, …``."""
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    def config(self) -> dict[str, Any]:
        return {
            "kind": "MLP",
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def __repr__(self) -> str:
        return (
            f"MLP(nin={self.nin}, nouts={self.nouts}, activation={_show(self.activation)}, "
            f"output_activation={_show(self.output_activation)})"
        )


def _show(activation: str | Callable) -> str:
    return repr(activation) if isinstance(activation, str) else getattr(activation, "__name__", "?")
