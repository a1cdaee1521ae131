"""Worked solutions to the exercises of lesson 9 (09_real_data_handwritten_digits).

Try the exercises in the notebook first: the checks there say what is right and what is
not yet. Run this file to see every check pass (it trains the lesson's network first, in
a second or so):

    python notebooks/solutions/09_real_data_handwritten_digits.py
"""

from nn import MLP, datasets, fit
from nn.exercises.lesson9 import check_drawing, check_parameters, check_weight_decay
from nn.optim import AdamW

# 1. Every neuron has one weight per input and one bias.
flat = 64 * 10 + 10  # 650: ten output neurons reading 64 pixels
small = (64 * 16 + 16) + (16 * 10 + 10)  # 1210: the hidden layer, then the output layer

# 2. A blank pixel is 0, so ∂z/∂w = x = 0 for its weight: its gradient is exactly 0 in
# every image, and Adam (AdamW without decay) never moves it. Only weight decay does.
prediction = "unchanged"

# 3. A 7 as the data's writers drew it: a thick top bar, a stroke down to the bottom
# left, and (as many of them wrote it) a bar across the middle.
drawing = """
.######.
.######.
.....##.
....##..
..#####.
...##...
..##....
..#.....
"""


def trained_model():
    """The lesson's MLP(64, [32, 10]), trained as the lesson trains it (compiled)."""
    X, y = datasets.digits()
    X_train, _, y_train, _ = datasets.train_test_split(X, y, test_size=0.2, seed=0)
    model = MLP(64, [32, 10], seed=0)
    optimizer = AdamW(model.parameters(), lr=0.01, weight_decay=0.3)
    fit(model, X_train, y_train, loss="cross_entropy", optimizer=optimizer, epochs=20,
        batch_size=32, seed=0, compile=True, progress=False)  # fmt: skip
    return model


def feedback(model=None):
    """Every exercise's check, given these answers (and the trained network, or one trained now)."""
    return [
        check_parameters(flat, small),
        check_weight_decay(prediction),
        check_drawing(model or trained_model(), drawing, digit=7),
    ]


if __name__ == "__main__":
    for answer in feedback():
        print(answer, end="\n\n")
