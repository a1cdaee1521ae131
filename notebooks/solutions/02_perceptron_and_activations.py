"""Worked solutions to the exercises of lesson 2 (02_perceptron_and_activations).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass:

    python notebooks/solutions/02_perceptron_and_activations.py
"""

import math

from nn.exercises.lesson2 import check_composed, check_softmax, check_xor

# 1. Collapse the network: multiply along each path from an input to the output, add paths.
hidden_layer = [[0.5, -1.0, 0.2], [1.5, 0.4, -0.4]]  # h1, h2: weight of x1, of x2, bias
output_neuron = [2.0, -3.0, 0.3]  # the output: weight of h1, weight of h2, bias
(a1, a2, c1), (d1, d2, c2) = hidden_layer
v1, v2, c = output_neuron
w1 = v1 * a1 + v2 * d1  # x1 → h1 → out, plus x1 → h2 → out: 2.0·0.5 + (-3.0)·1.5 = -3.5
w2 = v1 * a2 + v2 * d2  # the same for x2: 2.0·(-1.0) + (-3.0)·0.4 = -3.2
b = v1 * c1 + v2 * c2 + c  # each hidden bias through its weight, plus the output's: 1.9

# 2. Softmax by hand: exponentiate (every score positive), divide by the total (sum 1).
scores = [1.0, 2.0, 0.5]
exps = [math.exp(s) for s in scores]
probs = [e / sum(exps) for e in exps]  # [0.2312, 0.6285, 0.1402]

# 3. XOR by hand: h1 counts the inputs that are on, h2 fires only when both are,
# and the output takes away twice h2 (and a half), so that (1, 1) drops back below 0.
xor_hidden = [[1.0, 1.0, 0.0], [1.0, 1.0, -1.0]]  # h1 = relu(x1 + x2), h2 = relu(x1 + x2 - 1)
xor_output = [1.0, -2.0, -0.5]  # score = h1 - 2·h2 - 0.5


def feedback():
    """Every exercise's check, given these answers."""
    return [check_composed(w1, w2, b), check_softmax(probs), check_xor(xor_hidden, xor_output)]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
