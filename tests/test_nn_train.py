"""fit and History: the loop, accuracy rules, Keras early stopping, restoring the best weights."""

import math

import pytest

from engine import Value
from nn import MLP, History, bce_with_logits, datasets, evaluate, fit, hinge_loss
from nn.optim import SGD, Adam


def scripted_loss(losses, snapshots=None, model=None):
    """A loss whose value is ``losses[k]`` on call k, with gradient 1 for every prediction.

    ``(Σ preds - Σ pred.data) + s`` equals ``s`` (up to one rounding) and still
    moves the weights, so restoring the best weights is observable. If
    ``snapshots`` is given, it records the model's weights at every call.
    """
    calls = iter(losses)

    def loss(preds, targets):
        if snapshots is not None:
            snapshots.append(model.state_dict())
        s = next(calls)
        total = sum(preds[1:], preds[0])
        return total - total.data + s

    return loss


def run(losses, **kwargs):
    model = MLP(1, [1], seed=0)
    snapshots = []
    opt = SGD(model.parameters(), lr=0.01)
    history = fit(model, [[1.0]], [0.0], loss=scripted_loss(losses, snapshots, model),
                  optimizer=opt, epochs=len(losses), progress=False, **kwargs)  # fmt: skip
    return history, model, snapshots


LOSSES = [1.0, 0.9, 0.95, 0.89, 0.91, 0.92, 0.5, 0.4]


def test_min_delta_counts_only_improvements_larger_than_it():
    # best 1.0 → 0.9 (better by 0.1 > 0.05); 0.95 no; 0.89 beats 0.9 by only 0.01: no → stop.
    history, _, _ = run(LOSSES, patience=2, min_delta=0.05)
    assert history.stop_reason == "early_stopping"
    assert history.epochs == 4 and history.best_epoch == 1
    assert history.loss == pytest.approx(LOSSES[:4], abs=1e-15)


def test_without_min_delta_any_decrease_is_an_improvement():
    # 0.89 < 0.9 improves (epoch 3); 0.91, 0.92 do not → patience 2 runs out at epoch 5.
    history, _, _ = run(LOSSES, patience=2)
    assert (history.epochs, history.best_epoch, history.stop_reason) == (6, 3, "early_stopping")


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
    history, _, _ = run(LOSSES, patience=0)
    assert (history.epochs, history.best_epoch) == (3, 1)


def test_equal_loss_is_not_an_improvement():
    history, _, _ = run([1.0, 1.0, 1.0, 1.0], patience=2)
    assert (history.epochs, history.best_epoch) == (3, 0)


def test_no_patience_runs_every_epoch_but_still_tracks_the_best():
    history, _, _ = run(LOSSES)
    assert (history.epochs, history.stop_reason) == (8, "completed")
    assert (history.best_epoch, history.best_loss) == (7, pytest.approx(0.4))


def test_restore_best_weights_puts_back_the_end_of_the_best_epoch():
    history, model, snapshots = run(LOSSES, patience=2, restore_best_weights=True)
    assert history.best_epoch == 3 and history.restored_best
    # The weights at the end of epoch 3 are what the loss saw at the start of epoch 4.
    assert model.state_dict() == snapshots[4]
    assert model.state_dict() != snapshots[-1]


def test_without_restore_the_last_weights_stay():
    history, model, snapshots = run(LOSSES, patience=2)
    assert not history.restored_best
    assert model.state_dict() != snapshots[4]


def test_a_diverging_loss_stops_training():
    history, _, _ = run([1.0, math.inf, 0.5])
    assert (history.epochs, history.stop_reason) == (2, "diverged")


def test_fit_learns_xor():
    X, y = datasets.xor()
    model = MLP(2, [8, 1], activation="tanh", seed=1)
    history = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=150,
                  progress=False)  # fmt: skip
    assert history.loss[-1] < history.loss[0] / 10
    assert history.accuracy[-1] == 1.0
    assert evaluate(model, X, y, loss="bce_with_logits")[1] == 1.0


def test_full_batch_is_one_step_per_epoch_and_minibatches_more():
    X, y = datasets.moons(n=10, seed=0)
    steps = []

    class Counting(SGD):
        def step(self):
            steps.append(1)
            super().step()

    model = MLP(2, [3, 1], seed=0)
    fit(model, X, y, loss="bce_with_logits", optimizer=Counting(model.parameters(), lr=0.1),
        epochs=3, progress=False)  # fmt: skip
    assert len(steps) == 3
    steps.clear()
    fit(model, X, y, loss="bce_with_logits", optimizer=Counting(model.parameters(), lr=0.1),
        epochs=3, batch_size=4, progress=False)  # fmt: skip
    assert len(steps) == 3 * 3  # batches of 4, 4, 2


def test_seeded_minibatches_are_reproducible_and_the_seed_matters():
    X, y = datasets.moons(n=20, seed=0)

    def train(seed):
        model = MLP(2, [4, 1], seed=0)
        h = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=3,
                batch_size=5, seed=seed, progress=False)  # fmt: skip
        return h.loss, model.state_dict()

    assert train(1) == train(1)
    assert train(1) != train(2)


def test_epoch_loss_is_the_sample_weighted_mean_of_the_batch_losses():
    seen = []

    def loss(preds, targets):
        seen.append((len(preds), sum(targets)))
        total = sum(preds[1:], preds[0])
        return total - total.data + float(sum(targets))

    model = MLP(1, [1], seed=0)
    X, y = [[0.0]] * 5, [1.0, 2.0, 3.0, 4.0, 5.0]
    history = fit(model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.0), epochs=1,
                  batch_size=2, seed=0, progress=False)  # fmt: skip
    expected = sum(n * s for n, s in seen) / 5
    assert [n for n, _ in seen] == [2, 2, 1]
    assert history.loss[0] == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "loss, outputs, targets, expected",
    [
        ("hinge", [0.5, -0.1, 0.0], [1, -1, 1], 2 / 3),  # sign; a score of 0 counts as -1
        ("bce_with_logits", [0.5, -0.1, 0.0], [1, 0, 1], 2 / 3),  # logit > 0
        ("bce", [0.7, 0.4, 0.5], [1, 0, 1], 2 / 3),  # p > 0.5
    ],
)
def test_accuracy_threshold_depends_on_the_loss(loss, outputs, targets, expected):
    class Fixed(MLP):
        def __call__(self, x):
            return Value(outputs[int(x[0])])

    model = Fixed(1, [1], seed=0)
    _, accuracy = evaluate(model, [[0.0], [1.0], [2.0]], targets, loss=loss)
    assert accuracy == pytest.approx(expected)


def test_several_outputs_use_the_argmax():
    X, y = datasets.blobs(n=30, centers=[[0, 0], [4, 4], [0, 4]], std=0.3, seed=0)
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, X, y, loss="cross_entropy", lr=0.05, epochs=40, progress=False)
    assert history.accuracy[-1] >= 0.9
    preds = [model(x) for x in X]
    argmax = [max(range(3), key=lambda k, p=p: p[k].data) for p in preds]
    by_hand = sum(guess == t for guess, t in zip(argmax, y, strict=True))
    assert evaluate(model, X, y, loss="cross_entropy")[1] == by_hand / len(X)


def test_regression_losses_have_no_accuracy():
    model = MLP(1, [1], seed=0)
    history = fit(model, [[1.0]], [2.0], loss="mse", optimizer="sgd", lr=0.1, epochs=2,
                  progress=False)  # fmt: skip
    assert history.accuracy is None
    assert evaluate(model, [[1.0]], [2.0])[1] is None


def test_loss_functions_are_recognised_whether_named_or_passed():
    X, y = datasets.xor()
    a = MLP(2, [4, 1], seed=0)
    b = MLP(2, [4, 1], seed=0)
    ha = fit(a, X, y, loss="bce_with_logits", lr=0.1, epochs=3, progress=False)
    hb = fit(b, X, y, loss=bce_with_logits, lr=0.1, epochs=3, progress=False)
    assert ha.loss == hb.loss and ha.accuracy == hb.accuracy


def test_hinge_with_micrograds_labels():
    X, y = datasets.moons(n=30, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    model = MLP(2, [8, 8, 1], seed=0)
    history = fit(model, X, y, loss=hinge_loss, optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=30, progress=False)  # fmt: skip
    assert history.accuracy[-1] >= 0.85


def test_progress_bar_goes_to_stderr_and_is_silent_when_off(capsys):
    X, y = datasets.xor()
    fit(MLP(2, [2, 1], seed=0), X, y, loss="bce_with_logits", lr=0.1, epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")
    fit(MLP(2, [2, 1], seed=0), X, y, loss="bce_with_logits", lr=0.1, epochs=2, progress=True)
    out, err = capsys.readouterr()
    # A text bar (not a notebook widget): updates overwrite the line with carriage returns,
    # and the last state is the whole run, so a saved notebook shows that, not "0/2".
    last = err.rstrip("\n").split("\r")[-1]
    assert out == "" and err.endswith("\n")
    assert "2/2" in last and "loss=" in last and "acc=" in last


def test_progress_bar_says_when_training_stopped_early(capsys):
    run_with_bar = dict(patience=0, progress=True)
    model = MLP(1, [1], seed=0)
    fit(model, [[1.0]], [0.0], loss=scripted_loss(LOSSES), epochs=len(LOSSES),
        optimizer=SGD(model.parameters(), lr=0.01), **run_with_bar)  # fmt: skip
    last = capsys.readouterr().err.rstrip("\n").split("\r")[-1]
    assert last.startswith("training (stopped early):") and "3/8" in last


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(loss="l1"), ValueError, "unknown loss 'l1': choose one of 'mse'"),
        (dict(loss=3), TypeError, "loss must be a name or a function"),
        (dict(optimizer="adamax"), ValueError, "unknown optimizer 'adamax'"),
        (dict(optimizer="sgd"), ValueError, "no default learning rate"),
        (dict(optimizer=None), TypeError, "optimizer must be an Optimizer or a name"),
        (dict(epochs=0), ValueError, "epochs must be a whole number >= 1"),
        (dict(epochs=2.5), ValueError, "epochs must be"),
        (dict(batch_size=0), ValueError, "batch_size must be"),
        (dict(patience=-1), ValueError, "patience must be a whole number >= 0"),
        (dict(min_delta=-0.1), ValueError, "min_delta must be >= 0, got -0.1"),
        (dict(min_delta=math.inf), ValueError, "min_delta must be a finite number, got inf"),
        (dict(min_delta="0.1"), TypeError, "min_delta must be a number, got str"),
        (dict(min_delta=10**400), ValueError, "got an integer too big for a float"),
        (dict(restore_best_weights=1), TypeError, "restore_best_weights must be True or False"),
    ],
)
def test_bad_fit_arguments(kwargs, error, message):
    X, y = datasets.xor()
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=message):
        fit(model, X, y, **{"loss": "mse", "progress": False, **kwargs})
    assert model.state_dict() == before


def test_bad_data_and_mismatched_optimizer():
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="X has 2 samples but y has 1"):
        fit(model, [[0, 0], [1, 1]], [0], progress=False)
    with pytest.raises(ValueError, match="X is empty"):
        fit(model, [], [], progress=False)
    with pytest.raises(ValueError, match="none of this model's parameters"):
        fit(model, [[0, 0]], [0], optimizer=SGD([Value(0.0)], lr=0.1), progress=False)
    with pytest.raises(ValueError, match="lr= is for an optimizer given by name"):
        fit(model, [[0, 0]], [0], optimizer=SGD(model.parameters(), lr=0.1), lr=0.5,
            progress=False)  # fmt: skip


def test_history_reads_well():
    h = History(loss=[0.5, 0.25], accuracy=[0.5, 1.0], best_epoch=1, best_loss=0.25)
    assert str(h) == (
        "2 epochs (completed): final loss 0.2500, accuracy 100.0%; best epoch 2 (loss 0.2500)"
    )
    assert h.epochs == 2


def test_history_with_min_delta_does_not_call_a_higher_loss_the_best():
    # min_delta=0.05: 0.89 beats the best 0.9 by too little, so epoch 2 (loss 0.9) stays the
    # best in the early-stopping sense although the final loss is lower; the summary says so.
    history, _, _ = run(LOSSES[:4], min_delta=0.05)
    assert (history.best_epoch, history.min_delta) == (1, 0.05)
    assert history.best_loss == pytest.approx(0.9, abs=1e-15) and history.loss[-1] < 0.9
    assert str(history) == (
        "4 epochs (completed): final loss 0.8900; "
        "best epoch 2 (loss 0.9000, the last to improve by more than min_delta 0.05)"
    )


def test_history_of_a_run_diverged_in_its_first_epoch_names_no_best():
    h = History(loss=[math.inf], best_epoch=None, stop_reason="diverged")
    assert str(h) == "1 epoch (diverged): final loss inf"


def test_fit_accepts_numpy_arrays():
    np = pytest.importorskip("numpy")
    X, y = datasets.xor()
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    ha = fit(a, X, y, loss="bce_with_logits", lr=0.1, epochs=3, progress=False)
    hb = fit(b, np.array(X), np.array(y), loss="bce_with_logits", lr=0.1, epochs=3,
             progress=False)  # fmt: skip
    assert ha.loss == hb.loss


def test_a_plain_function_model_with_an_optimizer_instance():
    # The first lesson: fit a line y = w·x + b by gradient descent, no Module needed.
    w, b = Value(0.0, label="w"), Value(0.0, label="b")
    X = [[x] for x in (-1.0, 0.0, 1.0, 2.0)]
    y = [2 * x[0] + 1 for x in X]
    history = fit(lambda x: w * x[0] + b, X, y, loss="mse", optimizer=SGD([w, b], lr=0.1),
                  epochs=200, progress=False)  # fmt: skip
    assert history.loss[-1] < 1e-10
    assert (w.data, b.data) == (pytest.approx(2.0), pytest.approx(1.0))
    with pytest.raises(TypeError, match="needs a Module"):
        fit(lambda x: w * x[0] + b, X, y, optimizer="adam", progress=False)
    with pytest.raises(TypeError, match="model must be callable"):
        fit(42, X, y, optimizer=SGD([w, b], lr=0.1), progress=False)


def test_a_bad_target_in_a_later_mini_batch_changes_no_weight():
    # With seed 0 the bad label (sample 11) lands in the third batch of four: it must be
    # refused before the first two batches step.
    X, y = datasets.moons(n=12, seed=0)
    y = [*y[:-1], 2]  # 2 is not a probability target
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match="target 2 is outside"):
        fit(model, X, y, loss="bce_with_logits", lr=0.1, epochs=1, batch_size=4, seed=0,
            progress=False)  # fmt: skip
    assert model.state_dict() == before


def test_fit_restores_the_collector_even_when_a_step_fails():
    import gc

    from nn import MLP, fit

    def broken_loss(preds, targets):
        raise RuntimeError("loss exploded")

    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="loss exploded"):
        fit(MLP(2, [2, 1], seed=0), [[0.0, 1.0]], [1.0], loss=broken_loss, epochs=1, progress=False)
    assert gc.isenabled()


def test_a_nan_feature_stops_training_as_diverged_naming_the_first_bad_weight():
    # relu(nan) was 0, so the loss stayed finite while every first-layer weight that met the
    # NaN feature became NaN through its gradient (x · 0 = nan · 0); fit went on for all
    # epochs, said "completed", and the NaN surfaced only when save() refused it.
    X = [[0.0, 1.0], [math.nan, 0.5], [1.0, 0.0], [1.0, 1.0]]
    y = [0, 1, 1, 0]
    model = MLP(2, [4, 1], activation="relu", seed=0)
    history = fit(model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=5,
                  progress=False)  # fmt: skip
    assert (history.stop_reason, history.epochs, history.diverged_epoch) == ("diverged", 1, 0)
    assert history.bad_parameter == "L0.N0.w0"  # the first parameter, in the model's order
    assert "diverged in epoch 1: L0.N0.w0 is nan or inf" in str(history)
    assert "bad_parameter='L0.N0.w0'" in repr(history)


def test_an_unlabelled_bad_parameter_is_named_by_its_place_in_the_optimizer():
    unused, w = Value(0.5), Value(1.0)  # unused keeps its gradient 0, so stays finite
    opt = SGD([unused, w], lr=1e308)
    history = fit(lambda x: w * x[0], [[1e10]], [0.0], optimizer=opt, epochs=3,
                  progress=False)  # fmt: skip
    assert history.stop_reason == "diverged" and history.bad_parameter == "params[1]"


def test_a_loss_that_diverges_with_finite_weights_names_no_parameter():
    history, model, _ = run([1.0, math.nan, 0.5])
    assert (history.diverged_epoch, history.bad_parameter) == (1, None)
    assert str(history).startswith("2 epochs (diverged in epoch 2: the loss is nan or inf)")
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_in_a_notebook_the_progress_bar_is_output_not_an_error():
    # JupyterLab paints a kernel's stderr pink: a progress bar there read as an error. Run
    # fit in a real kernel and look at the stream the bar arrives on.
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = (
        "from nn import MLP, datasets, fit\n"
        "X, y = datasets.xor()\n"
        "h = fit(MLP(2, [2, 1], seed=0), X, y, loss='bce_with_logits', lr=0.1, epochs=2)\n"
        "print('after')"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    outputs = nb.cells[0].outputs
    assert [o.get("name") for o in outputs if o.output_type == "stream"] == ["stdout"] * len(
        outputs
    )
    text = "".join(o.text for o in outputs)
    last_state = text.split("\n")[0].split("\r")[-1]
    assert "2/2" in last_state and "loss=" in last_state  # the final state, readable as text
    assert text.endswith("\nafter\n")  # the bar's line ends before what is printed next
