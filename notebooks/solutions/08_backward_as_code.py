"""Worked solutions to the exercises of lesson 8 (08_backward_as_code).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass:

    python notebooks/solutions/08_backward_as_code.py
"""

import math

from nn.exercises.lesson8 import check_backward, check_line_count


# 1. One line per arrow: each local derivative times the gradient that has arrived.
def neuron_backward(w, b, x, y):
    """dL/dw and dL/db of L = (sigmoid(w·x + b) - y)², one line per arrow."""
    a = 1 / (1 + math.exp(-(w * x + b)))  # forward: the sigmoid of the weighted sum
    g_a = 2 * (a - y)  # dL/da: the square's local derivative (times dL/dL = 1)
    g_z = a * (1 - a) * g_a  # dL/dz = ∂a/∂z · dL/da: the sigmoid's slope, from its output
    return x * g_z, 1 * g_z  # dL/dw = ∂z/∂w · dL/dz with ∂z/∂w = x; ∂z/∂b = 1


# 2. One line starts the walk (g = scale); then one per arrow that leads to a parameter:
# square → sub, sub → tanh, tanh → (+ b), (+ b) → b, (+ b) → (w1·x1 + w2·x2),
# that sum → w1·x1 and → w2·x2, w1·x1 → w1, w2·x2 → w2. Nine arrows, ten lines;
# the three into w1, w2 and b say +=, adding every example's share.
lines = 10
accumulating = 3


def feedback():
    """Every exercise's check, given these answers."""
    return [check_backward(neuron_backward), check_line_count(lines, accumulating)]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
