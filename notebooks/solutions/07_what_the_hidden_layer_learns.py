"""Worked solutions to the exercises of lesson 7 (07_what_the_hidden_layer_learns).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass:

    python notebooks/solutions/07_what_the_hidden_layer_learns.py
"""

from nn.exercises.lesson7 import check_edge, check_features, check_hidden_size

# 1. The edge is where 2·x1 - 1·x2 + 0.5 = 0.
x1_crossing = -0.5 / 2  # on the x1 axis x2 = 0: 2·x1 + 0.5 = 0
x2_crossing = -0.5 / -1  # on the x2 axis x1 = 0: -x2 + 0.5 = 0


# 2. The squared distance from the centre: about 0.2 on the inner ring, 1 on the outer.
# A straight edge in it (x1² + x2² = 0.6, say) is a circle in the plane.
def features(x1, x2):
    return [x1, x2, x1**2 + x2**2]


# 3. Two straight edges make a band or a wedge; three close a triangle around the inner ring.
smallest = 3


def feedback():
    """Every exercise's check, given these answers."""
    return [
        check_edge(x1_crossing, x2_crossing),
        check_features(features),
        check_hidden_size(smallest),
    ]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
