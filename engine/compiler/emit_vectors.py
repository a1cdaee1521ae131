"""Array code for the statements that compute many nodes at once: layers, maps, reductions.

The methods of ``emit_array``'s program writer for the plan's vector statements (see
``engine.compiler.plan``), forward and backward:

- ``Layer``: ``z = W @ x + b``; backward ``gW = g @ x.T``, ``gb = sum(g, axis=1)``,
  ``gx = W.T @ g``;
- ``Map``: the op's array form on whole vectors (``h = xp.tanh(z)``, ``h = z - m``);
  backward the op's derivative rule on the same vectors, summed over the lanes for an
  input every lane shares;
- ``Reduce``: ``s = xp.sum(h, axis=0)``, ``m = xp.max(z, axis=0)``; backward 1 for every
  lane of a sum, and for a maximum the slopes its chain of ``maximum`` gives;
- ``ParamDot``: ``Σ l·r`` over parameters, once per call.

A vector is an array of shape (lanes, batch): lane j is its row ``z[j]``, one example its
column, as in the textbook's ``z = W x + b``. A value per example (shape (batch,)) then
meets every lane by broadcasting, as it is; a sum or maximum over the lanes adds rows
one after another, in the order the traced chain adds them; both run at full speed, as
the rows are contiguous.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .. import ops
from .emit import derivative_comment
from .plan import Layer, Map, ParamDot, Plan, Reduce, Vector, input_vector
from .symbols import array_symbol, multiply, text

__all__ = ["Piece", "VectorStatements"]


class Piece(NamedTuple):
    """Part of the flat gradient: the theta positions it covers, and its expression."""

    positions: list[int]
    expr: str


class VectorStatements:
    """The vector statements' lines; mixed into the array program writer, whose names,
    writer (``w``), gradients (``grads``), theta positions and checks they use."""

    # -- forward ----------------------------------------------------------------

    def _forward_layer(self, st: Layer) -> None:
        """A layer of neurons as one matrix product: ``z = W @ x + b``."""
        out = st.out.name
        m, n_in = len(st.W), len(st.x)
        x = self._layer_input(st)
        biases = f"the {m} bias{'es' if m > 1 else ''}, as a column"
        if self._by_neuron(st):  # theta holds each neuron's weights, then its bias
            block = [i for row, b in zip(st.W, st.bias) for i in (*row, b)]
            self.w.line(
                f"P_{out} = xp.reshape({self.gather(block)}, ({m}, {n_in + 1}))",
                f"the parameters of {_several(m, 'neuron')}, a row each: "
                f"{_several(n_in, 'weight')}, then the bias",
            )
            self.w.line(f"W_{out} = P_{out}[:, :{n_in}]", f"the {m}×{n_in} weights")
            self.w.line(f"b_{out} = P_{out}[:, {n_in}:]", biases)
        else:
            flat = [i for row in st.W for i in row]
            self.w.line(
                f"W_{out} = xp.reshape({self.gather(flat)}, ({m}, {n_in}))",
                f"the {m}×{n_in} weights, from the parameters",
            )
            if st.bias is not None:
                self.w.line(f"b_{out} = {self.gather(st.bias)}[:, None]", biases)
        terms = f"W_{out} @ {x}"
        if st.bias is not None:
            terms += f" + b_{out}"
        if any(o != 0 for o in st.offset):
            self.src.offsets[f"o_{out}"] = [[o] for o in st.offset]
            terms += f" + o_{out}"
        neurons = f"{m} neuron{'s' if m > 1 else ''}"
        self.w.line(
            f"{out} = {terms}",
            f"{neurons} at once: Σ w·x{' + b' if st.bias else ''}, a column per example",
        )
        self.require_finite(out, f"layer {out}")

    def _layer_input(self, st: Layer) -> str:
        """The layer's input, a row per input: a vector as it is, an argument turned (``x.T``),
        else the inputs stacked."""
        vector = _layer_source_vector(self.plan, st)
        if vector is not None and (
            vector.name not in self.plan.inputs or vector.name in self.turned
        ):
            x = vector.name  # a vector computed, or an argument turned already
        elif (arg := input_vector(self.graph, st.x)) is not None:
            x = f"{self.graph.arg_names[arg]}.T"
        else:
            x = f"x_{st.out.name}"
            self.w.line(
                f"{x} = xp.stack([{', '.join(self.name(i) for i in st.x)}])",
                "the layer's inputs, a row each",
            )
        self.inputs_of[id(st)] = x
        return x

    def _forward_map(self, st: Map) -> None:
        """One op on every lane of its vectors at once."""
        value = self.forward_of(st.op, self._map_arguments(st))
        self.w.line(f"{st.out.name} = {text(value)}", f"{st.op.name}, every lane")
        self.require_finite(st.out.name, f"{st.op.name} ({st.out.name})")

    def _forward_reduce(self, st: Reduce) -> None:
        """A chain of add or maximum over every lane of a vector, as one call."""
        source, k = st.source.name, len(st.source.lanes)
        if st.op is ops.ADD:
            value, what = f"xp.sum({source}, axis=0)", f"Σ of the {k} lanes of {source}"
            if st.start:  # sum() started from a number that is not 0
                value += f" + {text(st.start)}"
        else:
            value, what = f"xp.max({source}, axis=0)", f"the largest of the {k} lanes of {source}"
        self.w.line(f"{st.name} = {value}", f"{what} (a chain of {len(st.chain) + 1} {st.op.name})")
        self.require_finite(st.name, f"{st.op.name} over {source} ({st.name})")

    def _forward_param_dot(self, st: ParamDot) -> None:
        """A sum of products of parameters (an L2 penalty), once for the whole batch."""
        i = st.node
        left, right = self.factors(st)
        self.w.line(f"l{i} = {self.gather(left)}", "the parameters multiplied")
        if right == left:
            terms = f"xp.sum(l{i} * l{i})"
        else:
            self.w.line(f"r{i} = {self.gather(right)}")
            terms = f"xp.sum(l{i} * r{i})"
        for e in st.extra:
            terms += f" + {self.name(e)}"
        if st.offset != 0:
            terms += f" + {text(st.offset)}"
        self.w.line(f"v{i} = {terms}", f"Σ of {len(st.left)} products of parameters, once")
        self.require_finite(f"v{i}", f"sum of products (node v{i})")

    # -- backward ---------------------------------------------------------------

    def _backward_layer(self, st: Layer) -> None:
        """A layer: its weights' and biases' gradients summed over the batch, then its input's."""
        g = self._vector_gradient(st.out, whole=True)
        if g is None:
            return
        out, x = st.out.name, self.inputs_of[id(st)]
        self.w.line(
            f"gW_{out} = {g} @ {_turned(x)}", f"∂{out}/∂W_{out} = {x}, summed over the batch"
        )
        bias = f"∂{out}/∂b_{out} = 1, summed over the batch"
        if self._by_neuron(st):  # the gradient laid out as theta holds the parameters
            self.w.line(f"gb_{out} = xp.sum({g}, axis=1, keepdims=True)", bias)
            self.w.line(
                f"gP_{out} = xp.concat([gW_{out}, gb_{out}], axis=1)", "a row per neuron, as P"
            )
            block = [i for row, b in zip(st.W, st.bias) for i in (*row, b)]
            self.pieces.append(Piece(self.positions(block), f"xp.reshape(gP_{out}, (-1,))"))
        else:
            flat = [i for row in st.W for i in row]
            self.pieces.append(Piece(self.positions(flat), f"xp.reshape(gW_{out}, (-1,))"))
            if st.bias is not None:
                self.w.line(f"gb_{out} = xp.sum({g}, axis=1)", bias)
                self.pieces.append(Piece(self.positions(st.bias), f"gb_{out}"))
        if any(self.needs[i] for i in st.x):
            self._layer_input_gradient(st, g)

    def _layer_input_gradient(self, st: Layer, g: str) -> None:
        """``∂z/∂x = W``: to the vector the layer read, or column by column to its inputs."""
        out, x = st.out.name, self.inputs_of[id(st)]
        source = _layer_source_vector(self.plan, st)
        if source is not None:
            comment = f"∂{out}/∂{x} = W_{out}"
            self.grads.add(source.name, f"W_{out}.T @ {g}", True, True, comment)
            return
        self.w.line(f"gx_{out} = W_{out}.T @ {g}", f"∂{out}/∂{x} = W_{out}")
        for j, i in enumerate(st.x):
            if self.needs[i]:
                self.grads.add(i, f"gx_{out}[{j}, :]", True, True)

    def _backward_map(self, st: Map) -> None:
        """Every lane at once: the out vector's gradient times the op's local derivatives,
        summed over the lanes for an input that every lane shares."""
        g = self._vector_gradient(st.out)
        if g is None:
            return
        out = st.out.name
        locals_ = self.derivatives_of(st.op, out, self._map_arguments(st))
        whole = [_whole(local, [out, *(a.name for a in st.vectors)]) for local in locals_]
        shown = [a.name if isinstance(a, Vector) else self.name(a) for a in st.args]
        if st.constant is not None:
            shown.append(text(st.constant))
        narrow = out in self.grads.narrow
        for k, arg in enumerate(st.args):
            comment = derivative_comment(st.op, k, out, shown)
            if isinstance(arg, Vector):
                if any(self.needs[i] for i in arg.lanes):
                    expr = text(multiply(locals_[k], array_symbol(g)))
                    self.grads.add(arg.name, expr, True, True, comment, narrow and not whole[k])
            elif self.needs[arg]:
                comment += ", summed over the lanes"
                self.grads.add(*self._shared_gradient(st, arg, locals_[k], whole[k]), comment)

    def _shared_gradient(self, st: Map, arg: int, local, whole: bool) -> tuple:
        """(node, expression, batched, batched) for the gradient of an input every lane of
        ``st`` shares: the lanes' gradients, summed over the lanes (a number factored out)."""
        g = self.gradient_name(st.out.name)
        if not whole and st.out.name in self.grads.narrow:  # one column: make it every lane
            self.w.line(f"{g} = xp.broadcast_to({g}, {st.out.name}.shape)", "every lane")
            self.grads.narrow.discard(st.out.name)
        batched = self.nodes[arg].batched
        axis = ", axis=0" if batched else ""  # a parameter: over the batch too
        if isinstance(local, (int, float)):
            expr = text(multiply(local, array_symbol(f"xp.sum({g}{axis})")))
        else:
            expr = f"xp.sum({text(multiply(local, array_symbol(g)))}{axis})"
        return arg, expr, batched, batched

    def _backward_reduce(self, st: Reduce) -> None:
        """A sum passes its gradient to every lane; a maximum to its largest lane."""
        if not self.grads.has(st.node) or not any(self.needs[i] for i in st.source.lanes):
            return
        g, source = self.gradient_name(st.node), st.source.name
        if st.op is ops.ADD:  # one value per example, which meets every lane where it is used
            comment = f"∂{st.name}/∂{source} = 1, every lane"
            self.grads.add(source, g, True, True, comment, narrow=True)
        else:
            expr = f"max_slopes({source}, {st.name}) * {g}"
            comment = f"∂{st.name}/∂{source} = 1 at the largest lane, else 0 (a tie: ½ a link)"
            self.grads.add(source, expr, True, True, comment)

    def _backward_param_dot(self, st: ParamDot) -> None:
        """A sum of products of parameters: each factor's gradient is the other factor."""
        i = st.node
        if not self.grads.has(i):
            return
        g = self.gradient_name(i)
        left, right = self.factors(st)
        if right == left:  # p · p: both factors are the same parameter
            self.w.line(f"gl{i} = {g} * l{i}", f"∂v{i}/∂l{i} = l{i}, product by product")
            self.w.line(f"gl{i} = gl{i} + gl{i}", f"l{i} is both factors: both slopes reach it")
            self.pieces.append(Piece(self.positions(left), f"gl{i}"))
        else:
            self.w.line(f"gl{i} = {g} * r{i}", f"∂v{i}/∂l{i} = r{i}, product by product")
            self.w.line(f"gr{i} = {g} * l{i}", f"∂v{i}/∂r{i} = l{i}, product by product")
            self.pieces.append(Piece(self.positions(left), f"gl{i}"))
            self.pieces.append(Piece(self.positions(right), f"gr{i}"))
        for e in st.extra:
            self.grads.add(e, g, False, False, f"∂v{i}/∂{self.name(e)} = 1")

    def _vector_gradient(self, vector: Vector, whole: bool = False) -> str | None:
        """The gradient of a vector statement's output, its lanes' gradients stacked as columns
        (a lane with none gets zeros); None if no lane has one. ``whole``: every lane's own,
        never one column for all (a matrix product needs that)."""
        lanes = [self.grads.has(i) for i in vector.lanes]
        if any(lanes):
            if not all(lanes) and not self.zeros_written:
                self.w.line("zeros = xp.zeros((n,), dtype=xp.float64)")
                self.zeros_written = True
            columns = ", ".join(
                self.gradient_name(i) if has else "zeros" for i, has in zip(vector.lanes, lanes)
            )
            if len(vector.lanes) == 1:  # one row: a reshape, cheaper than a stack
                self.grads.add(
                    vector.name, f"xp.reshape({columns}, (1, n))", True, True, "as a row"
                )
            else:
                self.grads.add(vector.name, f"xp.stack([{columns}])", True, True, "lanes as rows")
        if not self.grads.has(vector.name):
            return None
        g = self.gradient_name(vector.name)
        if whole and vector.name in self.grads.narrow:
            self.w.line(f"{g} = xp.broadcast_to({g}, {vector.name}.shape)", "every lane")
            self.grads.narrow.discard(vector.name)
        return g

    # -- helpers -----------------------------------------------------------------

    def _by_neuron(self, st: Layer) -> bool:
        """Whether theta holds the layer's parameters neuron by neuron, weights then bias."""
        if st.bias is None:
            return False
        block = [i for row, b in zip(st.W, st.bias) for i in (*row, b)]
        positions = self.positions(block)
        return positions == list(range(positions[0], positions[0] + len(positions)))

    def factors(self, st: ParamDot) -> tuple[list[int], list[int]]:
        """A sum of products' factors, the products in theta's order (a sum in any order)."""
        if id(st) not in self.dots:
            position = self.position
            pairs = sorted(
                zip(st.left, st.right), key=lambda pair: position[self.nodes[pair[0]].index]
            )
            self.dots[id(st)] = ([a for a, _ in pairs], [b for _, b in pairs])
        return self.dots[id(st)]

    def _map_arguments(self, st: Map) -> list:
        """A map's rule arguments: each vector's symbol, and an input every lane shares as it
        is (one value per example meets every lane by broadcasting); then the op's constant."""
        args = [array_symbol(a.name) if isinstance(a, Vector) else self.sym(a) for a in st.args]
        return args if st.constant is None else [*args, st.constant]


def _whole(local, names: list[str]) -> bool:
    """Whether a local derivative has a value per lane: it reads a vector as a whole."""
    source = text(local) if not isinstance(local, (int, float)) else ""
    return any(re.search(rf"\b{re.escape(name)}\b(?!\[)", source) for name in names)


def _several(count: int, thing: str) -> str:
    """``1 neuron``, ``32 neurons``."""
    return f"{count} {thing}{'s' if count != 1 else ''}"


def _turned(x: str) -> str:
    """The layer input ``x`` with the batch first: ``h2.T``, or ``x`` for ``x.T``."""
    return x[:-2] if x.endswith(".T") else f"{x}.T"


def _layer_source_vector(plan: Plan, st: Layer) -> Vector | None:
    """The vector statement whose lanes are exactly the layer's inputs, in order, if any."""
    first = plan.lane.get(st.x[0])
    if first is None:
        return None
    return first.vector if first.vector.lanes == st.x else None
