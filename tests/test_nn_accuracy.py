"""Accuracy: the class of a prediction, counted per sample and on a whole array alike."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value
from nn import MLP, datasets, evaluate, predict
from nn.accuracy import CLASSIFICATION, classes_of, count_correct, predicted_class, target_class
from nn.train import score

np = pytest.importorskip("numpy")

KINDS = sorted(CLASSIFICATION) + ["mse", None]
# Few distinct values, so that ties, NaNs and infinities meet often.
SCORES = st.sampled_from([0.0, -0.0, 0.5, 1.0, -1.0, 2.0, math.nan, math.inf, -math.inf])


# The outputs of a batch: one score per sample (a 1-D array) or several (a row per sample).
OUTPUTS = {
    "one output": st.lists(SCORES, min_size=1),
    "several outputs": st.integers(1, 6).flatmap(
        lambda k: st.lists(st.lists(SCORES, min_size=k, max_size=k), min_size=1)
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", sorted(OUTPUTS))
@given(data=st.data())
def test_the_classes_of_an_array_are_each_samples_class_nan_and_ties_included(shape, kind, data):
    # fit(compile=True) counts accuracy on the array its compiled forward returns; the
    # eager loop asks predicted_class of each sample. The counts must be the same.
    outputs = data.draw(OUTPUTS[shape])
    expected = [predicted_class(out, kind) for out in outputs]
    got = classes_of(np.asarray(outputs, dtype=np.float64), kind, np)
    assert (got is None) == (expected[0] is None)
    if got is not None:
        assert got.tolist() == expected


def test_a_class_is_read_from_a_value_a_number_a_row_or_a_one_hot_target():
    assert predicted_class(Value(0.3), "bce_with_logits") == 1
    assert predicted_class(0.3, "bce") == 0 and predicted_class(0.0, "hinge") == -1
    assert predicted_class([Value(1.0), Value(3.0), Value(3.0)], "cross_entropy") == 1
    assert predicted_class(1.5, "mse") is None and predicted_class(1.5, "cross_entropy") is None
    assert target_class([0.0, 1.0, 0.0], "cross_entropy") == 1
    assert target_class(0.75, "bce") == 1 and target_class(2, "cross_entropy") == 2
    assert count_correct([1.0, 2.0], [1.0, 2.0], "mse") is None


MODELS = {
    "hinge": (lambda: MLP(2, [4, 1], seed=0), lambda: datasets.moons(n=30, seed=1)),
    "bce_with_logits": (lambda: MLP(2, [4, 1], seed=0), lambda: datasets.moons(n=30, seed=1)),
    "cross_entropy": (lambda: MLP(2, [4, 3], seed=0), lambda: datasets.spirals(n=30, seed=1)),
    "mse": (lambda: MLP(2, [4, 1], seed=0), lambda: datasets.moons(n=30, seed=1)),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("loss", sorted(MODELS))
def test_evaluate_is_the_score_of_the_predictions_to_the_last_bit(loss, compiled):
    # What the command line relies on to run the held-out digits through the network once.
    make_model, make_data = MODELS[loss]
    X, y = make_data()
    if loss == "hinge":
        y = [1 if t else -1 for t in y]
    model = make_model()
    assert evaluate(model, X, y, loss, compile=compiled) == score(
        predict(model, X, compile=compiled), y, loss
    )
