"""A Hypothesis strategy for small random graphs with shared nodes (diamonds, ``a * a``),
and a node built micrograd's way to put into them."""

from hypothesis import strategies as st

from engine import Value

UNARY = {
    "tanh": Value.tanh,
    "sin": Value.sin,
    "sigmoid": Value.sigmoid,
    "square": lambda a: a**2,
    "neg": lambda a: -a,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
}


@st.composite
def graphs(draw):
    """(leaves, output) for a random graph whose nodes are often shared."""
    xs = draw(st.lists(st.floats(-2, 2), min_size=1, max_size=4))
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        a = draw(st.sampled_from(nodes))
        if draw(st.booleans()):
            nodes.append(UNARY[draw(st.sampled_from(sorted(UNARY)))](a))
        else:
            b = draw(st.sampled_from(nodes))
            nodes.append(BINARY[draw(st.sampled_from(sorted(BINARY)))](a, b))
    return leaves, nodes[-1]


def hand_built_square(x):
    """x², built micrograd's way: a node with a closure."""
    out = Value(x.data**2, (x,), "sq")

    def _backward():
        x.grad += 2 * x.data * out.grad

    out._backward = _backward
    return out
