"""Worked solutions to the exercises of lesson 1 (01_derivatives_and_the_chain_rule).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass:

    python notebooks/solutions/01_derivatives_and_the_chain_rule.py
"""

import math

from nn.exercises.lesson1 import check_bell_chain, check_bell_op, check_nudge


def bell(x):
    return math.exp(-(x**2))


# 1. A slope by nudging: how far bell moves, per unit of nudge.
h = 0.001
slope = (bell(0.75 + h) - bell(0.75)) / h  # -0.8546; on paper -2x·exp(-x²) = -0.8547

# 2. The chain rule, factor by factor, at x = 0.75.
x = 0.75
ds_dx = 2 * x  # s = x²: the square's local derivative is 2x
du_ds = -1.0  # u = -s: negating flips every change
dg_du = math.exp(-(x**2))  # g = exp(u): exp's derivative is exp(u) itself, that is g


# 3. Your own op: the chain rule in one line, reusing bell's output as tanh' = 1 - out² does.
def bell_derivative(out, x):
    return (-2 * x * out,)  # exp's derivative at -x² (= out) times d(-x²)/dx (= -2x)


def feedback():
    """Every exercise's check, given these answers."""
    return [
        check_nudge(slope),
        check_bell_chain(ds_dx, du_ds, dg_du),
        check_bell_op(bell_derivative),
    ]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
