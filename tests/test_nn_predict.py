"""nn.predict and nn.classify: a model's answers for many samples, eager or compiled, no graph."""

import math
import tracemalloc

import pytest

import nn
from engine import Value
from nn import MLP, classify, datasets, predict


@pytest.fixture(scope="module")
def digits():
    return datasets.digits()


MODELS = {
    "one output": lambda: MLP(2, [5, 1], activation="tanh", seed=1),
    "three outputs": lambda: MLP(2, [5, 3], seed=2),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_eager_and_compiled_agree(name):
    model = MODELS[name]()
    X, _ = datasets.spirals(n=60, classes=3, seed=0)
    eager, compiled = predict(model, X), predict(model, X, compile=True)
    assert len(eager) == len(compiled) == 60
    flat = [
        (a, b)
        for e, c in zip(eager, compiled)
        for a, b in (zip(e, c) if isinstance(e, list) else [(e, c)])
    ]
    assert all(type(a) is float and type(b) is float for a, b in flat)
    # the compiled code sums the same products in matrix form: equal to rounding
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) for a, b in flat)
    assert classify(model, X) == classify(model, X, compile=True)


def test_the_outputs_are_the_models_own(digits):
    X, _ = digits
    model = MLP(64, [8, 10], seed=0)
    outputs = predict(model, X[:3])
    assert outputs == [[v.data for v in model(x)] for x in X[:3]]
    assert all(isinstance(o, list) and len(o) == 10 for o in outputs)


def test_digits_eager_equals_compiled(digits):
    X, _ = digits
    model = MLP(64, [32, 10], seed=0)
    sample = X[::9]  # 200 images: enough to compare, quick when eager
    eager, compiled = predict(model, sample), predict(model, sample, compile=True)
    assert all(
        math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
        for e, c in zip(eager, compiled)
        for a, b in zip(e, c)
    )
    assert classify(model, sample) == classify(model, sample, compile=True)


def test_predicting_records_no_graph():
    w = Value(2.0, label="w")
    recorded = []

    def model(x):
        out = w * x[0]
        recorded.append(out.parents)
        return out

    assert predict(model, [[1.0], [2.0]]) == [2.0, 4.0]
    assert recorded == [(), ()]  # no parents: no graph behind the outputs
    model([1.0])
    assert recorded[-1][0] is w  # outside predict, the same call records its graph


def test_predicting_many_digits_keeps_no_graphs_alive(digits):
    # 100 digits' graphs through MLP(64, [32, 10]) are ~450,000 Values, over 60 MB; kept
    # until the end (outputs = [model(x) for x in X], then read), they would all be alive.
    X, _ = digits
    model = MLP(64, [32, 10], seed=0)
    tracemalloc.start()
    try:
        outputs = predict(model, X[:100])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(type(v) is float for v in outputs[0])
    assert peak < 5_000_000, f"predict held {peak / 1e6:.1f} MB at once"
    assert all(p.grad == 0.0 for p in model.parameters())


def test_classify_thresholds_one_output_and_takes_the_argmax_of_several():
    w, b = Value(1.0), Value(-0.5)
    score = lambda x: w * x[0] + b  # noqa: E731 - a plain function as the model
    X = [[0.0], [0.5], [1.0]]
    assert predict(score, X) == [-0.5, 0.0, 0.5]
    assert classify(score, X) == [0, 0, 1]  # 0.0 is not above the threshold 0
    assert classify(score, X, threshold=-0.5) == [0, 1, 1]
    scores = lambda x: [Value(x[0]), Value(2.0), Value(x[0])]  # noqa: E731
    assert classify(scores, [[1.0], [3.0], [2.0]]) == [1, 0, 0]  # a tie: the first


def test_a_sigmoid_output_is_classified_at_threshold_one_half():
    model = MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    X, _ = datasets.moons(n=30, seed=0)
    probabilities = predict(model, X)
    assert classify(model, X, threshold=0.5) == [int(p > 0.5) for p in probabilities]


def test_a_one_element_list_is_one_output():
    layer = nn.Layer(2, 1, activation="linear")
    X = [[1.0, 2.0], [-3.0, 0.5]]
    assert classify(layer, X) == [int(out[0] > 0) for out in predict(layer, X)]


def test_no_samples_no_answers():
    model = MLP(2, [2, 1], seed=0)
    assert predict(model, []) == [] and classify(model, [], compile=True) == []


def test_numpy_samples_work_both_ways():
    np = pytest.importorskip("numpy")
    model = MLP(2, [4, 3], seed=0)
    X = np.array([[0.5, -1.0], [1.0, 2.0], [0.0, 0.0]])
    assert classify(model, X) == classify(model, X.tolist(), compile=True)


def test_a_nan_output_is_an_error_not_a_class():
    model = MLP(2, [3], seed=0)
    with pytest.raises(ValueError, match="output for sample 1 is nan"):
        classify(model, [[0.0, 0.0], [math.nan, 0.0]])
    with pytest.raises(ValueError, match="output for sample 1 is nan"):
        classify(model, [[0.0, 0.0], [math.nan, 0.0]], compile=True)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda m: predict(m, 3.0), TypeError, "X must be a list of samples, got float"),
        (lambda m: predict(m, "ab"), TypeError, "X must be a list of samples, got str"),
        (lambda m: predict(m, [[1.0, 2.0]], compile=1), TypeError, "compile must be True or"),
        (lambda m: predict("model", [[1.0, 2.0]]), TypeError, "model must be callable"),
        (lambda m: classify(m, [[1.0, 2.0]], threshold=math.nan), ValueError,
         "threshold must be a finite number"),
        (lambda m: classify(m, [[1.0, 2.0]], threshold="0.5"), TypeError,
         "threshold must be a number, got str"),
        (lambda m: predict(m, [[1.0, 2.0, 3.0]]), ValueError, "takes a list of 2 inputs"),
    ],
)  # fmt: skip
def test_bad_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(MLP(2, [2, 1], seed=0))


def test_exported_from_nn():
    assert nn.predict is predict and nn.classify is classify
    assert {"predict", "classify"} <= set(nn.__all__)
