"""Worked solutions to the exercises of lesson 3 (03_loss_and_gradient_descent).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass:

    python notebooks/solutions/03_loss_and_gradient_descent.py
"""

from nn.exercises.lesson3 import check_hump, check_largest_lr, check_step

xs = [1.0, 2.0, 3.0, 4.0]
ys = [2.1, 3.9, 6.2, 7.8]

# 1. One step by hand, from w = 1.0 with lr = 0.05.
w, lr = 1.0, 0.05
slope = sum(2 * (w * x - y) * x for x, y in zip(xs, ys)) / len(xs)  # -14.85
w_new = w - lr * slope  # 1.7425: a negative slope, so w grows

# 2. Every step multiplies the distance to the minimum by 1 - lr·L'', with
# L'' = 2·mean(x²) = 15. It shrinks while that factor is above -1: lr < 2/15.
curvature = 2 * sum(x * x for x in xs) / len(xs)
largest_lr = 2 / curvature  # 0.1333


# 3. The slope of bumpy, 4w³ - 6w + 1, is 0 at the top of the hump between the valleys;
# left of it the slope is positive, so gradient descent walks left, into the deeper valley.
# Bisection finds the top: the slope is positive at 0 and negative at 0.5.
def bumpy_slope(w):
    return 4 * w**3 - 6 * w + 1


low, high = 0.0, 0.5
for _ in range(50):
    middle = (low + high) / 2
    low, high = (middle, high) if bumpy_slope(middle) > 0 else (low, middle)
start = low - 0.001  # just left of the top, 0.1699: the walk rolls left


def feedback():
    """Every exercise's check, given these answers."""
    return [check_step(slope, w_new), check_largest_lr(largest_lr), check_hump(start)]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
