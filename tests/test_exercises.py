"""The lessons' exercises: every checker accepts the worked solution, names a typical
mistake specifically, and says "not done yet" (with a hint) to the notebook's placeholder.

The worked solutions live in notebooks/solutions/, one file per lesson; the checkers in
nn.exercises, one module per lesson. The committed notebooks show every exercise undone.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
from pathlib import Path

import pytest

from nn.exercises import (
    Feedback,
    lesson1,
    lesson2,
    lesson3,
    lesson4,
    lesson5,
    lesson6,
    lesson7,
    lesson8,
    lesson9,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
LESSONS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
MODULES = dict(zip(LESSONS, [lesson1, lesson2, lesson3, lesson4, lesson5, lesson6, lesson7,
                             lesson8, lesson9]))  # fmt: skip


def checkers(module) -> list[str]:
    return [name for name in module.__all__ if name.startswith("check_")]


def solution(stem: str):
    """A lesson's worked solutions, imported from notebooks/solutions/."""
    spec = importlib.util.spec_from_file_location(f"solution_{stem}", SOLUTIONS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def digits_model():
    """The lesson 9 network, trained as the lesson (and its solution file) trains it."""
    return solution("09_real_data_handwritten_digits").trained_model()


def test_every_lesson_has_checkers_and_solutions():
    assert len(LESSONS) == 9
    for stem, module in MODULES.items():
        assert module.__name__.endswith(f"lesson{int(stem[:2])}")
        assert 2 <= len(checkers(module)) <= 4, f"{stem}: 2 to 4 exercises"
        assert (SOLUTIONS / f"{stem}.py").exists(), f"{stem} has no worked solutions"


@pytest.mark.parametrize("stem", LESSONS)
def test_the_worked_solutions_pass_every_check(stem, digits_model):
    module = solution(stem)
    answers = module.feedback(digits_model) if stem.startswith("09") else module.feedback()
    assert all(isinstance(a, Feedback) for a in answers)
    assert len(answers) == len(checkers(MODULES[stem])), "one check per exercise"
    assert [a.status for a in answers] == ["right"] * len(answers), "\n\n".join(map(str, answers))
    for answer in answers:
        assert answer.passed and answer.text.startswith("right: ")


# ---------------------------------------------------------------------------------------
# Not done yet: the notebook's placeholders, as the committed notebooks hold them.


def momentum_template(w, v, g, lr, momentum=0.9):
    v = ...
    w = ...
    return w, v


def backward_template(w, b, x, y):
    a = 1 / (1 + math.exp(-(w * x + b)))
    g_a = 2 * (a - y)
    g_z = ... * g_a
    return ... * g_z, ... * g_z


BLANK = "\n" + "........\n" * 8
PLACEHOLDERS = [
    (lesson1.check_nudge, (...,), "set slope to (bell(0.75 + h) - bell(0.75)) / h"),
    (lesson1.check_bell_chain, (..., ..., ...), "ds_dx for s = x², du_ds for u = -s"),
    (lesson1.check_bell_op, (lambda out, x: (...,),), "make it return (∂bell/∂x,)"),
    (lesson2.check_composed, (..., ..., ...), "w1, w2 and b of the one neuron"),
    (lesson2.check_softmax, (...,), "the softmax of the scores [1.0, 2.0, 0.5]"),
    (lesson2.check_xor, (..., ...), "(0, 1) and (1, 0) score above 0"),
    (lesson3.check_step, (..., ...), "slope (dL/dw at w = 1.0) and w_new"),
    (lesson3.check_largest_lr, (...,), "1 - lr · 15"),
    (lesson3.check_hump, (...,), "Where does the slope change sign"),
    (lesson4.check_momentum, (momentum_template,), "fill in momentum_update"),
    (lesson4.check_adam_first_step, (...,), "in Adam's first step"),
    (lesson5.check_w32, (..., ..., ..., ...), "dz3_dw32, da3_dz3, dE_da3"),
    (lesson5.check_w22, (..., ..., ..., ..., ...), "δ3 = dE/dz3, reused"),
    (lesson6.check_cross_entropy, (...,), "minus the log of the probability"),
    (lesson6.check_no_hidden_moons, (...,), "50, 85 or 100"),
    (lesson6.check_batches, (...,), "batch_size=20 for 10 epochs"),
    (lesson7.check_edge, (..., ...), "crosses the x1 axis (x2 = 0)"),
    (lesson7.check_features, (lambda x1, x2: [x1, x2, ...],), "small on the inner ring"),
    (lesson7.check_hidden_size, (...,), "how many edges does it take"),
    (lesson8.check_backward, (backward_template,), "neuron_backward still has a ..."),
    (lesson8.check_line_count, (..., ...), "how many of them say +="),
    (lesson9.check_parameters, (..., ...), "one weight per input and one bias"),
    (lesson9.check_weight_decay, (...,), '"unchanged", "smaller" or "larger"'),
    (lesson9.check_drawing, (None, BLANK), "draw a 7 in drawing"),
]


def test_every_checker_has_a_placeholder_case():
    named = {(c.__module__, c.__name__) for c, _, _ in PLACEHOLDERS}
    every = {(m.__name__, name) for m in MODULES.values() for name in checkers(m)}
    assert named == every


@pytest.mark.parametrize(
    "check, args, hint", PLACEHOLDERS, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_placeholder_is_not_done_yet_with_a_hint(check, args, hint):
    feedback = check(*args)
    assert feedback.status == "not done" and not feedback.passed
    assert feedback.text.startswith("not done yet: ")
    assert hint in " ".join(feedback.lines), feedback.text


def test_the_committed_notebooks_show_every_exercise_undone():
    for stem, module in MODULES.items():
        source = (NOTEBOOKS / f"{stem}.py").read_text(encoding="utf-8")
        assert "\n# ## Exercises\n" in source, f"{stem}: no Exercises section"
        exercises = source.split("\n# ## Exercises\n", 1)[1]
        for name in checkers(module):
            assert f"\n{name}(" in exercises, f"{stem}: the exercises never call {name}"
        notebook = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
        cells = notebook["cells"]
        start = next(i for i, c in enumerate(cells) if "## Exercises" in "".join(c["source"]))
        said = [
            "".join(output.get("data", {}).get("text/plain", "") or output.get("text", ""))
            for cell in cells[start:]
            if cell["cell_type"] == "code"
            for output in cell["outputs"]
        ]
        assert len(said) == len(checkers(module)), f"{stem}: one output per exercise cell"
        assert all(text.startswith("not done yet: ") for text in said), said


# ---------------------------------------------------------------------------------------
# Typical wrong answers, and what each is told.


def wrong_sign(out, x):
    return (2 * x * out,)


def wrong_factor(out, x):
    return (-x * out,)


def wrong_chain(out, x):
    return (out,)


def sgd_update(w, v, g, lr, momentum=0.9):
    return w - lr * g, v


def average_update(w, v, g, lr, momentum=0.9):
    v = momentum * v + (1 - momentum) * g
    return w - lr * v, v


def tanh_backward(w, b, x, y):
    a = 1 / (1 + math.exp(-(w * x + b)))
    g_z = (1 - a * a) * 2 * (a - y)
    return x * g_z, g_z


def no_x_backward(w, b, x, y):
    a = 1 / (1 + math.exp(-(w * x + b)))
    g_z = a * (1 - a) * 2 * (a - y)
    return g_z, g_z


ONE = "\n...##...\n..###...\n...##...\n...##...\n...##...\n...##...\n...##...\n..####..\n"

WRONG = [
    (lesson1.check_nudge, (0.8547,), ["you gave 0.8547", "the size is right, the sign is not"]),
    (lesson1.check_nudge, (-0.00085,), ["how far bell moved", "Divide it by h"]),
    (lesson1.check_bell_chain, (1.5, 1.0, 0.5698), [
        "2 of the 3 factors are right", "✓ ∂s/∂x = 1.5", "✓ ∂g/∂u = 0.56978",
        "✗ ∂u/∂s: you gave 1, it is -1: the sign is lost"]),
    (lesson1.check_bell_chain, (0.75, -1, -0.8547), [
        "✗ ∂s/∂x: you gave 0.75, it is 1.5: that is x itself", "✓ ∂u/∂s = -1",
        "✗ ∂g/∂u: you gave -0.8547, it is 0.56978: that is the whole slope dg/dx"]),
    (lesson1.check_bell_op, (wrong_sign,), [
        "define_op compared your derivative with finite differences: bell's derivative is "
        "wrong at 10 of 11 points.",
        "The sign is flipped everywhere: at x = 0.75 yours is 0.85467, finite differences "
        "give -0.85467"]),
    (lesson1.check_bell_op, (wrong_factor,), ["Yours is 0.5× the right value at every point"]),
    (lesson1.check_bell_op, (wrong_chain,), ["Yours equals bell(x) itself", "-2x as well"]),
    (lesson1.check_bell_op, (lambda out, x: (-2 * x * out, 0.0),), [
        "bell_derivative returned 2 numbers; bell has one input"]),
    (lesson2.check_composed, (-3.5, -3.2, 0.3), [
        "2 of w1, w2, b are right", "✓ w1 = -3.5", "✓ w2 = -3.2",
        "✗ b: you gave 0.3, it is 1.9: the output's own bias only",
        "at x = (1, 2) the network gives -8, your neuron -9.6"]),
    (lesson2.check_composed, (1.0, -3.2, 1.9), [
        "✗ w1: you gave 1, it is -3.5: only the path through h1"]),
    (lesson2.check_softmax, ([2.7183, 7.3891, 1.6487],), [
        "these are e^score, not yet probabilities: they sum to 11.756",
        "✗ class 1: you gave 7.3891, it is 0.62853"]),
    (lesson2.check_softmax, ([0.2312, 0.6285, 0.2],), [
        "yours sum to 1.0597", "✓ class 0: 0.23122", "✗ class 2: you gave 0.2, it is 0.14024"]),
    (lesson2.check_xor, ([[1, 1, 0], [1, 1, 0]], [1, -2, -0.5]), [
        "2 of the 4 corners are on their side", "relu never bends",
        "✗ (0, 1): score -1.5, class 0; it is class 1, so its score must be above 0",
        "✓ (0, 0): score -0.5, class 0"]),
    (lesson3.check_step, (-7.425, 1.37125), [
        "your update is right, but the slope it starts from is not",
        "✗ slope: you gave -7.425, it is -14.85: the 2 that differentiating the square "
        "brings down is missing",
        "✗ w_new: 1.3713 follows from your slope (the update w - lr · slope is right), but "
        "with the right slope it is 1.7425"]),
    (lesson3.check_step, (-14.85, 0.2575), [
        "your slope is right, the step is not", "✓ slope: dL/dw = -14.85",
        "that is w + lr · slope"]),
    (lesson3.check_largest_lr, (1 / 15,), ["1/15 makes the factor 0"]),
    (lesson3.check_largest_lr, (0.14,), ["the factor 1 - lr · 15 is -1.1, beyond -1"]),
    (lesson3.check_hump, (0.5,), ["ends at w = 1.1309", "in the shallow valley",
                                  "right of the hump's top"]),
    (lesson3.check_hump, (-1.0,), ["in the deeper valley, but larger starts get there too"]),
    (lesson4.check_momentum, (sgd_update,), [
        "step 1 matches nn.optim.Momentum; step 2 is the first to differ",
        "✓ step 1: w = (-1.46, 2.01)",
        "✗ step 2: you have w = (-1.436, 2.0149), Momentum has (-1.4, 2.0239)",
        "your step ignores the velocity: it is plain SGD"]),
    (lesson4.check_momentum, (average_update,), [
        "step 1 already differs", "your velocity is an average, 0.9·v + 0.1·g"]),
    (lesson4.check_adam_first_step, ((1.0, 0.25),), [
        "that is SGD's first step, -lr · g", "✗ w1: you gave 1, it moves 0.05"]),
    (lesson4.check_adam_first_step, ((0.158, 0.158),), ["without the bias correction"]),
    (lesson5.check_w32, (0.54, 0.2449, -0.3283, -0.0434), [
        "your ∂a3/∂z3 and dE/da3 are right; ∂z3/∂w32 and dE/dw32 are off",
        "✗ ∂z3/∂w32: you gave 0.54, it is 0.61775: that is a1, the partner of w31",
        "✓ ∂a3/∂z3 = 0.24486", "✓ dE/da3 = -0.32829",
        "it follows from your factors, but they are off"]),
    (lesson5.check_w32, (0.61775, 0.24486, 0.32829, 0.049658), [
        "✗ dE/da3: you gave 0.32829, it is -0.32829: the sign is flipped"]),
    (lesson5.check_w22, (0.6, 0.23614, -0.4, -0.080385, -0.0068), [
        "✗ ∂z2/∂w22: you gave 0.6, it is 0.8: that is x1, the partner of w21",
        "✓ ∂a2/∂z2 = 0.23614", "✓ δ3 = -0.080385"]),
    (lesson5.check_w22, (0.8, 0.23614, -0.4, -0.32829, 0.0248), [
        "✗ δ3: you gave -0.32829, it is -0.080385: that is dE/da3 alone"]),
    (lesson6.check_cross_entropy, (0.2413,), ["that is -log of class 0's probability"]),
    (lesson6.check_cross_entropy, (-3.2413,), ["that is log p[2], which is negative"]),
    (lesson6.check_no_hidden_moons, (50,), [
        "you predicted 50%; it gets 85% of the test points", "only the tips"]),
    (lesson6.check_no_hidden_moons, (70,), ["choose one of 50, 85 or 100"]),
    (lesson6.check_batches, (40,), ["fit made 50, 5 per epoch", "fit keeps that smaller batch"]),
    (lesson6.check_batches, (10,), ["One update per epoch is full-batch training"]),
    (lesson7.check_edge, (0.25, 0.5), [
        "one of the two crossings is right",
        "✗ x1 axis: you gave 0.25, it is -0.25: the sign is flipped", "✓ x2 axis = 0.5"]),
    (lesson7.check_features, (lambda x1, x2: [x1, x2, x1 + x2],), [
        "is a weighted sum of x1 and x2", "still a straight line"]),
    (lesson7.check_features, (lambda x1, x2: [x1 * x2],), ["Your features bend, but not"]),
    (lesson7.check_hidden_size, (2,), [
        "you predicted 2; it takes 3", "2 neurons 82%", "3 neurons 100%", "a triangle"]),
    (lesson7.check_hidden_size, (6,), ["6 would do, but fewer do too: it takes 3"]),
    (lesson8.check_backward, (tanh_backward,), [
        "neither dL/dw nor dL/db matches backward() yet",
        "✗ dL/dw at x = 1, y = 0: you gave 0.76257, backward() gives 0.29256",
        "∂a/∂z is tanh's 1 - a²; the sigmoid's is a·(1 - a)"]),
    (lesson8.check_backward, (no_x_backward,), [
        "dL/db is right on all 3 examples; dL/dw is not",
        "✗ dL/dw at x = 2, y = 1: you gave -0.10575, backward() gives -0.21151",
        "dL/dw is missing ∂z/∂w = x"]),
    (lesson8.check_line_count, (9, 3), [
        "one count is right", "✗ lines: you gave 9, compile wrote 10: the first line, g = "
        "scale", "✓ +=: 3", "the backward compile wrote:"]),
    (lesson8.check_line_count, (7, 2), [
        "7 is the one-input neuron's count", "w1, w2 and b each say +="]),
    (lesson9.check_parameters, (640, 1210), [
        "✗ MLP(64, [10]): you gave 640, it has 650: the 10 biases are missing",
        "✓ MLP(64, [16, 10]) = 1210"]),
    (lesson9.check_weight_decay, ("smaller",), [
        'you predicted "smaller"', "all 96 weights of the blank pixels 0, 32, 39 end exactly "
        "where they started", "to 6.7% of their size"]),
    (lesson9.check_weight_decay, ("maybe",), ['write one of "unchanged", "smaller"']),
]  # fmt: skip


def test_every_checker_has_a_wrong_answer_case():
    named = {(c.__module__, c.__name__) for c, _, _ in WRONG} | {
        ("nn.exercises.lesson9", "check_drawing")
    }
    every = {(m.__name__, name) for m in MODULES.values() for name in checkers(m)}
    assert named == every


@pytest.mark.parametrize("check, args, said", WRONG, ids=lambda v: getattr(v, "__name__", ""))
def test_a_typical_mistake_is_named(check, args, said):
    feedback = check(*args)
    text = " ".join(line.strip() for line in feedback.lines)  # as one line, wraps aside
    assert feedback.status == "wrong" and not feedback.passed, feedback.text
    assert feedback.text.startswith("not yet: ")
    for part in said:
        assert part in text, f"{part!r} not in:\n{feedback.text}"


def test_a_drawing_read_as_another_digit_says_which(digits_model):
    feedback = lesson9.check_drawing(digits_model, ONE, digit=7)
    assert feedback.status == "wrong"
    text = " ".join(feedback.lines)
    assert re.search(r"reads your drawing as a \d \(\d: 0\.\d\d, ", text), text
    assert re.search(r"7 comes \w+ with 0\.\d\d", text), text


@pytest.mark.parametrize(
    "drawing, said",
    [
        ("\n" + "...#....\n" * 7, "the drawing has 7 rows; it needs 8"),
        ("\n" + "...#....\n" * 7 + "...#...\n", "row 8 of the drawing has 7 characters"),
        ("\n" + "...#....\n" * 7 + "...x....\n", "row 8 holds 'x'; draw with #"),
    ],
)
def test_a_drawing_of_the_wrong_shape_says_where(drawing, said):
    feedback = lesson9.check_drawing(lambda x: x, drawing)
    assert feedback.status == "wrong" and said in feedback.text


# ---------------------------------------------------------------------------------------
# What every checker does with input it cannot use: it says so, and never raises.


@pytest.mark.parametrize(
    "value, said",
    [
        ("0.5", "slope is a str ('0.5'), not a number"),
        ([0.5], "slope is a list ([0.5]), not a number"),
        (float("nan"), "slope is nan, not a finite number"),
        (True, "slope is a bool (True), not a number"),
    ],
)
def test_a_number_that_is_not_one_is_named(value, said):
    feedback = lesson1.check_nudge(value)
    assert feedback.status == "wrong" and said in feedback.text


def test_a_learners_function_that_raises_is_reported_with_its_call():
    feedback = lesson1.check_bell_op(lambda out, x: (1 / x,))
    assert feedback.status == "wrong"
    assert "bell_derivative(1, 0) raised ZeroDivisionError" in feedback.text


def test_a_right_derivative_becomes_an_op_that_works_like_a_built_in():
    from engine import Value, gradcheck

    first = lesson1.check_bell_op(lambda out, x: (-2 * x * out,))
    again = lesson1.check_bell_op(lambda out, x: -2 * x * out)  # a bare number, run again
    assert first.passed and again.passed, again.text
    bell = again.result
    x = Value(0.75, label="x")
    y = bell(x)
    y.backward()
    assert y.op == "bell" and x.grad == y.local_grads[0] == -2 * 0.75 * y.data
    gradcheck(lambda v: bell(v[0] * 2.0), [0.3])


def test_a_value_counts_as_its_data():
    from engine import Value

    assert lesson3.check_step(Value(-14.85), Value(1.7425)).passed


def test_feedback_reads_as_its_text():
    feedback = Feedback.wrong("not yet: one is off", ["✓ a", "✗ b"])
    assert repr(feedback) == str(feedback) == "not yet: one is off\n  ✓ a\n  ✗ b"
    assert not feedback.passed and Feedback.right("right: yes").passed


def test_every_message_line_fits_a_notebook_column():
    for check, args, _ in WRONG + PLACEHOLDERS:
        for line in check(*args).lines:
            assert len(line) <= 80, line


def test_the_exercises_match_their_lessons_numbers():
    # The checkers keep their own copy of each lesson's numbers; they must be the lesson's.
    def source(n: int) -> str:
        return (NOTEBOOKS / f"{LESSONS[n - 1]}.py").read_text(encoding="utf-8")

    assert f"hidden_layer = {lesson2.HIDDEN}" in source(2)
    assert f"output_neuron = {lesson2.OUTPUT}" in source(2)
    assert f"xs = {lesson3.XS}" in source(3) and f"ys = {lesson3.YS}" in source(3)
    assert f"START = {lesson4.START}" in source(4)
    weights = {**lesson5.X, "t": lesson5.T, **lesson5.WEIGHTS}
    for name, number in weights.items():
        assert re.search(rf'"{name}": {number}\b|\b{name} = {number}\b', source(5)), name
    xs, ys = zip(*lesson8.EXAMPLES)
    assert f"xs, ys = {list(xs)}, {list(ys)}" in source(8)
