"""Neuron, Layer, MLP and Module: micrograd's shapes, labelled parameters, seeding, state."""

import math
import random

import pytest

from engine import Value
from nn import MLP, Layer, Module, Neuron
from nn.layers import INITS


def test_mlp_parameter_order_is_micrograds():
    model = MLP(3, [4, 2], seed=0)
    names = [name for name, _ in model.named_parameters()]
    expected = [
        f"L{i}.N{j}.{p}"
        for i, (nin, nout) in enumerate([(3, 4), (4, 2)])
        for j in range(nout)
        for p in [*(f"w{k}" for k in range(nin)), "b"]
    ]
    assert names == expected
    assert [p.label for p in model.parameters()] == expected
    assert len(model.parameters()) == (3 + 1) * 4 + (4 + 1) * 2


def test_parameters_are_the_same_objects_the_forward_pass_uses():
    model = MLP(2, [2, 1], seed=0)
    neuron = model.layers[0].neurons[1]
    assert model.parameters()[3:6] == [neuron.w[0], neuron.w[1], neuron.b]


def test_forward_pass_equals_the_hand_computation():
    model = MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    state = {
        "L0.N0.w0": 0.5, "L0.N0.w1": -1.0, "L0.N0.b": 0.1,
        "L0.N1.w0": 2.0, "L0.N1.w1": 0.25, "L0.N1.b": -0.3,
        "L1.N0.w0": 1.5, "L1.N0.w1": -0.75, "L1.N0.b": 0.2,
    }  # fmt: skip
    model.load_state_dict(state)
    x = [0.8, -0.4]
    h0 = math.tanh(0.5 * 0.8 - 1.0 * -0.4 + 0.1)
    h1 = math.tanh(2.0 * 0.8 + 0.25 * -0.4 - 0.3)
    out = 1 / (1 + math.exp(-(1.5 * h0 - 0.75 * h1 + 0.2)))
    y = model(x)
    assert isinstance(y, Value)
    assert y.data == pytest.approx(out, rel=1e-15)


def test_one_output_gives_a_value_several_give_a_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    outputs = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 4
    # A Layer always gives a list, even of one.
    assert len(Layer(2, 1, rng=random.Random(0))([1.0, 2.0])) == 1


def test_hidden_layers_use_activation_and_the_last_output_activation():
    model = MLP(2, [3, 3, 1], activation="tanh", output_activation="linear", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    assert model([0.3, 0.7]).op == "+"  # linear output: the last op is the bias add
    assert MLP(2, [3, 1], output_activation="sigmoid", seed=0)([0.3, 0.7]).op == "sigmoid"


def test_same_seed_same_network_different_seed_different_network():
    assert MLP(2, [5, 1], seed=7).state_dict() == MLP(2, [5, 1], seed=7).state_dict()
    assert MLP(2, [5, 1], seed=7).state_dict() != MLP(2, [5, 1], seed=8).state_dict()


def test_a_seeded_construction_never_touches_the_global_random_generator():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    MLP(2, [16, 16, 1], seed=1)
    Layer(3, 4, rng=random.Random(5))
    Neuron(3, rng=random.Random(5))
    assert random.random() == expected


def test_without_a_seed_weights_are_the_global_generators_draws_in_micrograds_order():
    # micrograd's nn.py: Neuron draws `random.uniform(-1,1)` per weight from the global
    # generator and sets the bias to Value(0); Layer builds its neurons in turn, MLP its
    # layers. So `random.seed(1337); MLP(2, [16, 16, 1])` is micrograd's demo network.
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    random.seed(1337)
    expected = {
        name: 0.0 if name.endswith(".b") else random.uniform(-1, 1)
        for name, _ in model.named_parameters()
    }
    assert model.state_dict() == expected
    random.seed(7)
    neuron, layer = Neuron(3), Layer(2, 2)
    random.seed(7)
    draws = [random.uniform(-1, 1) for _ in range(3 + 2 * 2)]
    assert [w.data for w in neuron.w] + [
        p.data for p in layer.parameters() if p.label[-1] != "b"
    ] == draws


def test_default_init_is_micrograds_uniform_minus_one_to_one_with_zero_bias():
    model = MLP(4, [50, 1], seed=0)
    weights = [p.data for name, p in model.named_parameters() if not name.endswith(".b")]
    biases = [p.data for name, p in model.named_parameters() if name.endswith(".b")]
    assert all(-1 <= w <= 1 for w in weights) and max(map(abs, weights)) > 0.9
    assert biases == [0.0] * len(biases)


def test_weights_are_micrograds_draws_in_parameter_order():
    # micrograd's Neuron draws random.uniform(-1, 1) per weight, neuron by neuron, layer by
    # layer, and starts the bias at 0: the same seed must give micrograd's very network.
    rng = random.Random(1337)
    expected = {}
    for name, _ in MLP(2, [16, 16, 1], seed=1337).named_parameters():
        expected[name] = 0.0 if name.endswith(".b") else rng.uniform(-1, 1)
    assert MLP(2, [16, 16, 1], seed=1337).state_dict() == expected
    assert len(expected) == 3 * 16 + 17 * 16 + 17  # 337 parameters, as in micrograd's demo


@pytest.mark.parametrize(
    "make, activation",
    [
        (lambda: Neuron(3, nonlin=True), "relu"),
        (lambda: Neuron(3, nonlin=False), "linear"),
        (lambda: Neuron(3, False), "linear"),  # micrograd's positional Neuron(nin, nonlin)
        (lambda: Layer(3, 2, nonlin=False), "linear"),
        (lambda: MLP(3, [4, 1], nonlin=False), "linear"),
        (lambda: Neuron(3), "relu"),
        (lambda: Neuron(3, nonlin=None, activation="tanh"), "tanh"),
    ],
)
def test_nonlin_is_micrograds_spelling_of_relu_or_linear(make, activation):
    module = make()
    assert module.activation == activation
    out = module([1.0, 2.0, 3.0])
    last_op = (out[0] if isinstance(out, list) else out).op
    assert last_op == {"relu": "relu", "linear": "+", "tanh": "tanh"}[activation]


def test_micrograds_mlp_hidden_nonlin_and_linear_output():
    # micrograd: Layer(..., nonlin=i != len(nouts) - 1); here the output layer is linear by default
    model = MLP(2, [3, 3, 1], nonlin=True, seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Neuron(2, activation="tanh", nonlin=True),
        lambda: Layer(2, 2, activation="relu", nonlin=False),
        lambda: MLP(2, [2, 1], activation="sigmoid", nonlin=True),
    ],
)
def test_activation_and_nonlin_together_is_a_clear_error(make):
    with pytest.raises(ValueError, match="give activation= or micrograd's nonlin=, not both"):
        make()


def test_nonlin_must_be_a_bool():
    with pytest.raises(TypeError, match="nonlin must be True or False"):
        Neuron(2, nonlin="yes")
    with pytest.raises(TypeError, match="nonlin given twice"):
        Neuron(2, True, nonlin=True)


@pytest.mark.parametrize(
    "init, bound",
    [("xavier", math.sqrt(6 / (10 + 40))), ("he", math.sqrt(6 / 10))],
)
def test_xavier_and_he_init_bounds(init, bound):
    layer = Layer(10, 40, rng=random.Random(0), init=init)
    weights = [p.data for name, p in layer.named_parameters() if not name.endswith(".b")]
    assert max(map(abs, weights)) <= bound
    assert max(map(abs, weights)) > 0.9 * bound  # 400 draws come near the edge
    assert INITS[init](10, 40) == bound


def test_custom_callable_activation():
    neuron = Neuron(1, activation=lambda z: z * 2, rng=random.Random(0))
    neuron.w[0].data, neuron.b.data = 1.5, 0.5
    assert neuron([2.0]).data == 7.0


@pytest.mark.parametrize("make", [
    lambda: Neuron(2, activation="gelu"),
    lambda: Layer(2, 2, activation="softmax"),
    lambda: MLP(2, [2, 1], activation="Relu"),
    lambda: MLP(2, [2, 1], output_activation="swish"),
])  # fmt: skip
def test_unknown_activation_lists_the_choices(make):
    with pytest.raises(ValueError, match="choose one of 'relu', 'tanh', 'sigmoid', 'linear'"):
        make()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: MLP(0, [1]), "nin must be a whole number >= 1, got 0"),
        (lambda: MLP(2, []), "nouts must be a non-empty list"),
        (lambda: MLP(2, 3), "nouts must be a non-empty list"),
        (lambda: MLP(2, [4, 0]), "every layer size"),
        (lambda: MLP(2, [2.5]), "every layer size"),
        (lambda: Layer(2, True), "nout must be"),
        (lambda: MLP(2, [1], init="glorot"), "unknown init 'glorot'"),
    ],
)
def test_bad_sizes_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("x", [[1.0], [1.0, 2.0, 3.0], 5.0, "ab"])
def test_wrong_input_length_is_a_clear_error(x):
    with pytest.raises(ValueError, match="takes a list of 2 inputs"):
        MLP(2, [3, 1], seed=0)(x)


def test_backward_reaches_every_parameter_and_zero_grad_clears_them():
    model = MLP(2, [4, 1], activation="tanh", seed=3)
    model([0.5, -0.5]).backward()
    assert all(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip_and_load_state_dict_is_all_or_nothing():
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert a.state_dict() == b.state_dict()

    before = b.state_dict()
    broken = dict(a.state_dict())
    broken["L1.N0.b"] = float("nan")  # the last entry: everything before it is valid
    with pytest.raises(ValueError, match="parameter 'L1.N0.b' must be a finite number, got nan"):
        b.load_state_dict(broken)
    assert b.state_dict() == before


@pytest.mark.parametrize(
    "edit, error, message",
    [
        (lambda s: s.pop("L0.N0.w0"), ValueError, "missing 'L0.N0.w0'"),
        (lambda s: s.update(extra=1.0), ValueError, "unexpected 'extra'"),
        (lambda s: s.update({"L0.N1.b": "0.5"}), TypeError, "'L0.N1.b' must be a number"),
        (lambda s: s.update({"L0.N1.b": True}), TypeError, "must be a number"),
        (
            lambda s: s.update({"L0.N1.b": math.inf}),
            ValueError,
            "'L0.N1.b' must be a finite number, got inf",
        ),
        (
            lambda s: s.update({"L0.N1.b": 10**400}),
            ValueError,
            "got an integer too big for a float",
        ),
    ],
)
def test_load_state_dict_says_what_is_wrong(edit, error, message):
    model = MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    edit(state)
    before = model.state_dict()
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_a_custom_module_gets_parameters_zero_grad_and_state_from_named_parameters():
    class Scale(Module):
        def __init__(self):
            self.k = Value(3.0, label="k")

        def named_parameters(self):
            return [("k", self.k)]

        def __call__(self, x):
            return self.k * x

    m = Scale()
    m(2.0).backward()
    assert m.parameters() == [m.k] and m.k.grad == 2.0
    m.zero_grad()
    assert m.k.grad == 0.0
    assert m.state_dict() == {"k": 3.0}
    assert Module().parameters() == []


def test_reprs_show_the_architecture():
    assert repr(MLP(2, [16, 16, 1], seed=0)) == (
        "MLP(nin=2, nouts=[16, 16, 1], activation='relu', output_activation='linear')"
    )
    assert repr(Layer(3, 2, activation="tanh")) == "Layer(nin=3, nout=2, activation='tanh')"
    assert repr(Neuron(3)) == "Neuron(nin=3, activation='relu')"


def test_numpy_rows_work_as_inputs():
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=0)
    assert model(np.array([0.5, -1.0])).data == model([0.5, -1.0]).data
