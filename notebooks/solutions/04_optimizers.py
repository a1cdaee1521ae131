"""Worked solutions to the exercises of lesson 4 (04_optimizers).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass:

    python notebooks/solutions/04_optimizers.py
"""

import math

from nn.exercises.lesson4 import check_adam_first_step, check_momentum


# 1. Momentum as torch.optim.SGD(momentum=0.9) writes it: the velocity adds the whole
# gradient, and the step goes along the new velocity.
def momentum_update(w, v, g, lr, momentum=0.9):
    """One Momentum step for one weight: its new value and velocity, from its gradient g."""
    v = momentum * v + g  # the new velocity
    w = w - lr * v  # the step along it
    return w, v


# 2. Adam's first step. Both averages start at 0: m = 0.1·g and v = 0.001·g². The bias
# correction divides them by 1 - 0.9 and 1 - 0.999, giving m̂ = g and v̂ = g², so the step
# is -lr · g / |g|: lr against the sign of the gradient, whatever its size.
lr, gradient = 0.05, (-20.0, -5.0)
first_step = tuple(-lr * g / (math.sqrt(g * g) + 1e-8) for g in gradient)  # (0.05, 0.05)


def feedback():
    """Every exercise's check, given these answers."""
    return [check_momentum(momentum_update), check_adam_first_step(first_step)]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
