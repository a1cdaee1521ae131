"""fit(compile=True) trains exactly as fit(compile=False) does, only on generated code.

Each test runs the same training twice from the same weights, eagerly and
compiled, and compares the History and the final weights. They agree to 1e-12
relative, not bit for bit: the compiled step sums the per-sample losses and
gradients in another order than the eager graph, so each step differs by a few
ulps, and a few epochs of training carry that along without amplifying it much.
"""

import math

import pytest

from engine import Value
from nn import MLP, datasets, evaluate, fit, hinge_loss, train_compiled
from nn.optim import OPTIMIZERS, SGD, Packed

pytest.importorskip("numpy")

RTOL = 1e-12


def close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= RTOL * max(abs(a), abs(b), 1e-12)


def both(make_model, X, y, **kwargs):
    """(eager History, eager weights), (compiled History, compiled weights) from one start."""
    results = []
    for compiled in (False, True):
        model = make_model()
        history = fit(model, X, y, progress=False, compile=compiled, **kwargs)
        results.append((history, [p.data for p in model.parameters()]))
    return results


def assert_same(eager, compiled):
    (h1, w1), (h2, w2) = eager, compiled
    assert h1.epochs == h2.epochs and h1.stop_reason == h2.stop_reason
    assert h1.best_epoch == h2.best_epoch and h1.restored_best == h2.restored_best
    assert h1.diverged_epoch == h2.diverged_epoch and h1.bad_parameter == h2.bad_parameter
    assert all(close(a, b) for a, b in zip(h1.loss, h2.loss, strict=True)), (h1.loss, h2.loss)
    assert h1.accuracy == h2.accuracy
    assert all(close(a, b) for a, b in zip(w1, w2, strict=True))


MOONS = datasets.moons(n=40, noise=0.1, seed=0)


def moons_model():
    return MLP(2, [8, 8, 1], activation="tanh", seed=1)


@pytest.mark.parametrize("batch_size", [None, 7], ids=["full batch", "mini-batches of 7"])
def test_sgd_compiled_equals_eager(batch_size):
    eager, compiled = both(moons_model, *MOONS, loss="bce_with_logits", optimizer="sgd", lr=0.3,
                           epochs=12, batch_size=batch_size, seed=3)  # fmt: skip
    assert_same(eager, compiled)
    assert compiled[0].accuracy[-1] > 0.5  # it learned something: the comparison is not idle


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_compiled_equals_eager(name):
    lr = OPTIMIZERS[name].demo_lr
    eager, compiled = both(moons_model, *MOONS, loss="bce_with_logits", optimizer=name, lr=lr,
                           epochs=6, batch_size=10, seed=0)  # fmt: skip
    assert_same(eager, compiled)


def test_adam_on_three_classes_with_cross_entropy_and_relu():
    # Class indices cannot be traced (a Value cannot pick a class): fit gives the compiled
    # step one-hot rows, and counts accuracy by argmax as the eager loop does.
    X, y = datasets.spirals(n=30, classes=3, seed=0)
    eager, compiled = both(lambda: MLP(2, [6, 3], seed=2), X, y, loss="cross_entropy",
                           optimizer="adam", lr=0.05, epochs=8)  # fmt: skip
    assert_same(eager, compiled)


@pytest.mark.parametrize("loss", ["mse", "hinge", "bce"])
def test_the_other_named_losses_compile_too(loss):
    X, y = MOONS
    if loss == "hinge":
        y = [2 * t - 1 for t in y]
    output = "sigmoid" if loss == "bce" else "linear"
    eager, compiled = both(lambda: MLP(2, [5, 1], output_activation=output, seed=4), X, y,
                           loss=loss, optimizer="sgd", lr=0.1, epochs=5)  # fmt: skip
    assert_same(eager, compiled)


def test_early_stopping_stops_in_the_same_epoch_and_restores_the_same_weights():
    kwargs = dict(loss="bce_with_logits", optimizer="sgd", lr=2.0, epochs=60, patience=3,
                  min_delta=1e-3, restore_best_weights=True, batch_size=8, seed=5)  # fmt: skip
    eager, compiled = both(moons_model, *MOONS, **kwargs)
    assert eager[0].stop_reason == "early_stopping" and eager[0].restored_best
    assert_same(eager, compiled)


def test_a_diverging_run_stops_as_diverged_in_the_same_epoch():
    X, y = [[1.0], [2.0], [3.0]], [1e3, -2e3, 3e3]
    eager, compiled = both(lambda: MLP(1, [1], seed=0), X, y, loss="mse", optimizer="sgd",
                           lr=10.0, epochs=400)  # fmt: skip
    assert compiled[0].stop_reason == "diverged"
    assert_same(eager, compiled)


def test_a_nan_feature_diverges_naming_the_first_bad_weight_as_eager_does():
    X, y = [[0.5, math.nan], [1.0, 2.0]], [0, 1]
    eager, compiled = both(lambda: MLP(2, [2, 1], seed=0), X, y, loss="bce_with_logits",
                           optimizer="sgd", lr=0.1, epochs=3)  # fmt: skip
    assert compiled[0].stop_reason == "diverged" and compiled[0].bad_parameter is not None
    assert eager[0].bad_parameter == compiled[0].bad_parameter
    assert eager[0].diverged_epoch == compiled[0].diverged_epoch == 0


def test_without_numpy_compile_runs_on_plain_floats(monkeypatch):
    eager = both(moons_model, *MOONS, loss="bce_with_logits", optimizer="adam", lr=0.05,
                 epochs=5, batch_size=9, seed=1)[0]  # fmt: skip
    monkeypatch.setattr(train_compiled, "numpy_or_none", lambda: None)
    monkeypatch.setattr(Packed, "__init__", None)  # packing would need numpy: it must not run
    model = moons_model()
    history = fit(model, *MOONS, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=5,
                  batch_size=9, seed=1, progress=False, compile=True)  # fmt: skip
    assert_same(eager, (history, [p.data for p in model.parameters()]))


def test_a_custom_mean_loss_compiles_like_micrograds_demo_loss():
    X, y = MOONS
    y = [2 * t - 1 for t in y]

    def make():
        return MLP(2, [6, 1], seed=7)

    for compiled in (False, True):  # the same model object is read by the loss (its L2 term)
        model = make()
        params = model.parameters()

        def loss(preds, targets, params=params):
            return hinge_loss(preds, targets) + 1e-4 * sum(p * p for p in params)

        history = fit(model, X, y, loss=loss, optimizer=SGD(params, lr=0.5), epochs=5,
                      progress=False, compile=compiled)  # fmt: skip
        if not compiled:
            eager = (history, [p.data for p in params])
    assert history.accuracy is None  # a custom loss: no accuracy, as without compile
    assert_same(eager, (history, [p.data for p in params]))


def test_a_custom_loss_that_is_a_sum_is_refused_before_training():
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()

    def summed(preds, targets):
        return sum(((p - t) ** 2 for p, t in zip(preds, targets)), Value(0.0))

    with pytest.raises(ValueError, match="the mean of per-sample losses"):
        fit(model, *MOONS, loss=summed, optimizer="sgd", lr=0.1, progress=False, compile=True)
    assert model.state_dict() == before


def test_bad_targets_are_refused_before_training_as_eagerly():
    X, y = datasets.blobs(n=12, centers=3, seed=0)
    model = MLP(2, [4, 3], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match="out of range for 3 classes"):
        fit(model, X, [*y[:-1], 3], loss="cross_entropy", lr=0.1, progress=False, compile=True)
    assert model.state_dict() == before
    scorer = MLP(2, [4, 1], seed=0)
    before = scorer.state_dict()
    with pytest.raises(ValueError, match="-1 or \\+1"):  # blobs' labels are 0, 1, 2
        fit(scorer, X, y, loss="hinge", lr=0.1, progress=False, compile=True)
    assert scorer.state_dict() == before


def test_an_interrupted_run_writes_the_packed_weights_back(monkeypatch):
    # Interrupted in the third step: the Values hold the weights after two steps, as two
    # epochs of eager training leave them.
    kwargs = dict(loss="bce_with_logits", optimizer="adam", lr=0.05)
    eager = moons_model()
    fit(eager, *MOONS, epochs=2, progress=False, **kwargs)

    step = Packed.step
    calls = []

    def interrupted(self, grad=None):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        step(self, grad)

    monkeypatch.setattr(Packed, "step", interrupted)
    model = moons_model()
    with pytest.raises(KeyboardInterrupt):
        fit(model, *MOONS, epochs=10, progress=False, compile=True, **kwargs)
    assert all(close(a.data, b.data) for a, b in zip(eager.parameters(), model.parameters()))


@pytest.mark.parametrize("loss", ["mse", "bce_with_logits"])
def test_a_computed_parameter_trains_compiled_as_eagerly(loss):
    X = [[k / 10] for k in range(-10, 11)]
    y = [2.0 * x[0] + 0.5 for x in X] if loss == "mse" else [int(x[0] > 0.2) for x in X]
    results = []
    for compiled in (False, True):
        w, b = Value(0.1) * 1.0, Value(0.0, label="b")  # w: a scaled initialisation
        history = fit(lambda x, w=w, b=b: w * x[0] + b, X, y, loss=loss,
                      optimizer=SGD([w, b], lr=0.5), epochs=20, progress=False,
                      compile=compiled)  # fmt: skip
        results.append((history, [w.data, b.data]))
    assert_same(*results)
    assert results[1][1][0] > 1.0  # trained away from 0.1 (mse: towards 2.0)


def test_a_custom_loss_branching_on_a_target_is_refused_before_training():
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()

    def signed(preds, targets):  # trains every sample to one class when t == 1 is False
        terms = [(1 - p * (1.0 if t == 1 else -1.0)).relu() for p, t in zip(preds, targets)]
        return sum(terms, Value(0.0)) * (1.0 / len(terms))

    with pytest.raises(TypeError, match=r"targets as Values.*t == 1 compares a Value"):
        fit(model, *MOONS, loss=signed, optimizer="sgd", lr=0.1, progress=False, compile=True)
    assert model.state_dict() == before
    fit(model, *MOONS, loss=signed, optimizer="sgd", lr=0.1, epochs=2, progress=False)  # eagerly


def test_a_custom_loss_indexing_by_a_target_says_to_write_one_hot_or_train_eagerly():
    from nn.activations import log_softmax
    from nn.losses import one_hot

    X, y = datasets.blobs(n=12, centers=3, seed=0)

    def picked(preds, targets):  # a class index picks the log-probability
        return sum((-log_softmax(p)[t] for p, t in zip(preds, targets)), Value(0.0)) * (
            1.0 / len(preds)
        )

    with pytest.raises(TypeError) as refused:
        fit(MLP(2, [4, 3], seed=0), X, y, loss=picked, lr=0.1, progress=False, compile=True)
    message = str(refused.value)
    assert "targets as Values" in message and "Value as an index" in message
    assert "nn.losses.one_hot" in message and "compile=False" in message

    def weighted(preds, targets):  # what the message says to write: one-hot rows
        terms = [-sum(q * lp for q, lp in zip(t, log_softmax(p))) for p, t in zip(preds, targets)]
        return sum(terms, Value(0.0)) * (1.0 / len(terms))

    rows = [one_hot(t, 3) for t in y]
    eager, compiled = both(lambda: MLP(2, [4, 3], seed=0), X, rows, loss=weighted, lr=0.1, epochs=5)
    assert_same(eager, compiled)
    picked_eagerly = fit(MLP(2, [4, 3], seed=0), X, y, loss=picked, lr=0.1, epochs=5,
                         progress=False)  # fmt: skip
    assert all(close(a, b) for a, b in zip(picked_eagerly.loss, compiled[0].loss, strict=True))


def test_compiled_training_in_several_threads_at_once_equals_one_at_a_time():
    from concurrent.futures import ThreadPoolExecutor

    def train(seed):
        model = MLP(2, [4, 1], activation="tanh", seed=seed)
        fit(model, *MOONS, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=5,
            progress=False, compile=True)  # fmt: skip
        return [p.data for p in model.parameters()]

    alone = [train(seed) for seed in range(6)]
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(train, range(6)))
    assert together == alone
    assert Value(1.0) < Value(2.0) and bool(Value(0.0))


def test_compile_must_be_true_or_false():
    with pytest.raises(TypeError, match="compile must be True or False"):
        fit(moons_model(), *MOONS, compile="yes", progress=False)


def test_the_progress_bar_shows_compiled_training_too(capsys):
    fit(moons_model(), *MOONS, loss="bce_with_logits", lr=0.05, epochs=3, compile=True)
    last = capsys.readouterr().err.split("\r")[-1]
    assert "3/3" in last and "loss=" in last and "acc=" in last


@pytest.mark.parametrize(
    "loss, make",
    [
        ("bce_with_logits", lambda: MLP(2, [5, 1], seed=0)),
        ("cross_entropy", lambda: MLP(2, [5, 2], seed=0)),
        ("mse", lambda: MLP(2, [5, 1], seed=0)),
    ],
)
def test_evaluate_compiled_equals_eager(loss, make):
    model = make()
    eager_loss, eager_acc = evaluate(model, *MOONS, loss=loss)
    compiled_loss, compiled_acc = evaluate(model, *MOONS, loss=loss, compile=True)
    assert close(eager_loss, compiled_loss) and eager_acc == compiled_acc


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_resumed_run_trains_compiled_as_eagerly_and_a_partial_state_is_refused_at_load(name):
    # A partial state_dict (a parameter without state, or at another step) used to load and
    # then stop fit(compile=True): "packed() needs every parameter's state to hold the same
    # entries". It is refused at load now, and the whole one resumes compiled as eagerly.
    import json

    lr = OPTIMIZERS[name].demo_lr
    kwargs = dict(loss="bce_with_logits", lr=None, epochs=3, batch_size=10, seed=0)
    first = moons_model()
    first_opt = OPTIMIZERS[name](first.parameters(), lr=lr)
    fit(first, *MOONS, optimizer=first_opt, progress=False, **{**kwargs, "epochs": 2})
    saved = json.loads(json.dumps({"model": first.state_dict(), "opt": first_opt.state_dict()}))

    partial = []
    if saved["opt"]["state"]:  # plain SGD keeps no state
        without = json.loads(json.dumps(saved["opt"]))
        del without["state"]["3"]
        partial.append((without, "state for parameter 0 but none for parameter 3"))
    if "step" in saved["opt"]["state"].get("0", {}):
        behind = json.loads(json.dumps(saved["opt"]))
        behind["state"]["3"]["step"] -= 1
        partial.append((behind, "the step count of parameter 3 is 7 but that of parameter 0 is 8"))

    results = []
    for compiled in (False, True):
        model = moons_model()
        model.load_state_dict(saved["model"])
        opt = OPTIMIZERS[name](model.parameters(), lr=0.5)
        for state_dict, message in partial:
            before = (repr(opt), opt.state_dict())
            with pytest.raises(ValueError, match=message):
                opt.load_state_dict(state_dict)
            assert (repr(opt), opt.state_dict()) == before
        opt.load_state_dict(saved["opt"])
        history = fit(model, *MOONS, optimizer=opt, progress=False, compile=compiled, **kwargs)
        results.append((history, [p.data for p in model.parameters()]))
    assert_same(*results)
    assert name == "sgd" or partial, "every optimizer but plain SGD keeps a state to damage"
