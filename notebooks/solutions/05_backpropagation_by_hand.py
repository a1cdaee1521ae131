"""Worked solutions to the exercises of lesson 5 (05_backpropagation_by_hand).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass:

    python notebooks/solutions/05_backpropagation_by_hand.py
"""

from nn.exercises.lesson5 import check_w22, check_w32, network

v = network()  # the lesson's network after its forward pass: every named Value
t = 0.9
x2, a2, a3 = v["x2"].data, v["a2"].data, v["a3"].data
w32 = v["w32"].data

# 1. dE/dw32 = ∂z3/∂w32 · ∂a3/∂z3 · dE/da3
dz3_dw32 = a2  # z3 = w31·a1 + w32·a2 + b3: the partner of w32 is a2
da3_dz3 = a3 * (1 - a3)  # the sigmoid's slope, written with its output
dE_da3 = a3 - t  # d/da3 of ½(a3 - t)²
dE_dw32 = dz3_dw32 * da3_dz3 * dE_da3

# 2. dE/dw22 = ∂z2/∂w22 · ∂a2/∂z2 · ∂z3/∂a2 · δ3
dz2_dw22 = x2  # z2 = w21·x1 + w22·x2 + b2: the partner of w22 is x2
da2_dz2 = a2 * (1 - a2)  # hidden neuron 2's sigmoid slope
dz3_da2 = w32  # a2 enters z3 through w32
delta3 = da3_dz3 * dE_da3  # dE/dz3, computed once, reused by every weight behind neuron 3
dE_dw22 = dz2_dw22 * da2_dz2 * dz3_da2 * delta3


def feedback():
    """Every exercise's check, given these answers."""
    return [
        check_w32(dz3_dw32, da3_dz3, dE_da3, dE_dw32),
        check_w22(dz2_dw22, da2_dz2, dz3_da2, delta3, dE_dw22),
    ]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
