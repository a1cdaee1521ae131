# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5 · 손으로 풀어 보는 역전파
#
# 경사 하강법(gradient descent, 3장)을 쓰려면 전체 오차 `E`를 *모든* 가중치(weight) 하나하나로
# 미분한 기울기(gradient)가 필요합니다. (`E`는 3장의 손실 `L`과 같은 것인데, 역전파를 설명할 때는
# 흔히 이 이름으로 부릅니다. 신경망이 얼마나 틀렸는지를 나타내는 숫자 하나입니다.) 이 기울기들을
# 구하는 방법이 **역전파**(backpropagation)입니다. 오차를 재는 출력에서 출발해 층을 하나씩 거슬러
# 올라가면서, 지나가는 단계마다 국소적인 영향을 곱해 나갑니다. 이 장에서는 작은 신경망의 가중치
# 하나를 골라, 곱해지는 인수(factor)를 하나씩 직접 계산해 봅니다.
#
# `dE/dw3 = ∂z3/∂w3 · ∂a3/∂z3 · dE/da3`
#
# 그런 다음 각 인수를 엔진이 기록해 둔 값과 맞춰 봅니다. 엔진의 국소 미분(local derivative), 그리고
# `chain_rule`과 `backward_steps`가 보여 주는 값입니다. 마지막으로 가중치를 갱신(update)하고 오차가
# 줄어드는 것을 확인합니다.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

import nn.diagram
from engine import Value, chain_rule, draw_graph
from nn import MLP
from nn.exercises.lesson5 import check_w22, check_w32  # 연습 문제

random.seed(0)  # 아래 가중치는 직접 적어 넣지만, 모든 장은 똑같이 시작합니다
plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})

# %% [markdown]
# ## 신경망
#
# 입력은 두 개입니다. 예를 들어 2장에 나온 가게의 6월과 7월 매출을 0과 1 사이로 맞춘 값이라고
# 합시다. 출력은 하나로, 8월 매출의 예측값입니다. 그 사이에 뉴런 두 개로 된
# **은닉층**(hidden layer)이 있습니다. 뉴런은 저마다 가중합(weighted sum) `z`를 계산하고, 이를
# 시그모이드(sigmoid) `a = sigmoid(z) = 1 / (1 + e^(−z))`에 통과시킵니다. 시그모이드는 어떤 수든
# `(0, 1)` 범위 안으로 눌러 담습니다.
#
# ```
# z1 = w11·x1 + w12·x2 + b1      a1 = sigmoid(z1)      (은닉 뉴런 1)
# z2 = w21·x1 + w22·x2 + b2      a2 = sigmoid(z2)      (은닉 뉴런 2)
# z3 = w31·a1 + w32·a2 + b3      a3 = sigmoid(z3)      (출력 뉴런 3)
# E  = ½ · (a3 − t)²                                   (정답 t와 비교한 오차)
# ```
#
# 가중치의 이름을 보면 어디로 가는 가중치인지 알 수 있습니다. `w31`은 *뉴런 1에서 뉴런 3으로*
# 들어가는 가중치입니다. (맨 위의 식은 이 강의의 출발점이 된 블로그 글처럼, 출력 뉴런으로 들어가는
# 가중치를 그냥 `w3`이라고 씁니다. 우리가 따라갈 가중치는 그중 `w31`입니다.) 오차 식의 ½은 제곱을
# 미분할 때 앞으로 내려오는 2를 없애려고 붙인 것일 뿐입니다.
#
# 이 신경망을 뉴런과 가중치로 그리면 다음과 같습니다. 뉴런 하나가 원 하나, 가중치 하나가
# 화살표 하나이고, 편향(bias)은 각 뉴런 아래에 적었습니다.

# %%
x = {"x1": 0.6, "x2": 0.8}  # 6월, 7월
t = 0.9  # 8월, 예측해야 할 값
neuron1 = {"w11": 0.5, "w12": -0.3, "b1": 0.1}
neuron2 = {"w21": 0.2, "w22": 0.7, "b2": -0.2}
neuron3 = {"w31": 0.9, "w32": -0.4, "b3": 0.05}
weights = {**neuron1, **neuron2, **neuron3}


def sketch_network(weights):
    """2-2-1 신경망을 뉴런과 가중치로 그립니다. 화살표마다 그 가중치의 값을 적습니다."""
    where = {"x1": (0, 1.4), "x2": (0, 0), "a1": (2.2, 1.4), "a2": (2.2, 0), "a3": (4.4, 0.7)}
    arrows = [("x1", "a1", "w11"), ("x2", "a1", "w12"), ("x1", "a2", "w21")]
    arrows += [("x2", "a2", "w22"), ("a1", "a3", "w31"), ("a2", "a3", "w32")]
    r = 0.25  # 뉴런의 반지름
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for source, target, name in arrows:
        (sx, sy), (tx, ty) = where[source], where[target]
        length = ((tx - sx) ** 2 + (ty - sy) ** 2) ** 0.5
        ux, uy = (tx - sx) / length, (ty - sy) / length
        ax.annotate(
            "",
            xy=(tx - r * ux, ty - r * uy),
            xytext=(sx + r * ux, sy + r * uy),
            arrowprops={"arrowstyle": "-|>", "color": "0.45"},
        )
        # 엇갈리는 두 화살표는 레이블이 겹치지 않게 각자의 꼬리 가까이에 답니다
        along = 0.5 if sy == ty or target == "a3" else 0.3
        lx, ly = sx + along * (tx - sx), sy + along * (ty - sy)
        ax.text(
            lx,
            ly,
            f"{name} = {weights[name]:g}",
            ha="center",
            va="center",
            fontsize=10,
            bbox={"fc": "white", "ec": "none", "pad": 1},
        )
    for name, (cx, cy) in where.items():
        colour = "#dde8f5" if name.startswith("x") else "#fbe3c8"
        ax.add_patch(plt.Circle((cx, cy), r, fc=colour, ec="0.3", zorder=3))
        ax.text(cx, cy, name, ha="center", va="center", fontsize=12, zorder=4)
        if name.startswith("a"):
            bias = "b" + name[1]
            ax.text(cx, cy - r - 0.18, f"{bias} = {weights[bias]:g}", ha="center", fontsize=10)
    ax.annotate("", xy=(5.3, 0.7), xytext=(4.4 + r, 0.7), arrowprops={"arrowstyle": "-|>"})
    ax.text(5.4, 0.7, f"E = ½ · (a3 − t)²\nwith t = {t}", va="center", fontsize=11)
    for cx, title in [(0, "inputs"), (2.2, "hidden layer"), (4.4, "output neuron")]:
        ax.text(cx, 1.85, title, ha="center", fontsize=11, color="0.3")
    ax.set(xlim=(-0.4, 7.0), ylim=(-0.55, 2.05), aspect="equal")
    ax.axis("off")
    plt.show()


sketch_network(weights)

# %% [markdown]
# 은닉 뉴런은 저마다 두 입력을 모두 읽고, 출력 뉴런은 두 은닉 뉴런을 모두 읽습니다. 그래서
# 가중치가 여섯 개, 편향이 세 개입니다. 아래 함수는 레이블(label)을 붙인 `Value`로 이 신경망을
# 만듭니다. 덕분에 그림에도, `print`로 찍은 결과에도 모든 이름이 그대로 나타납니다.


# %%
def forward(weights):
    """이 가중치로 만든 신경망의 그래프: 이름 붙은 Value를 모두 담은 dict."""
    v = {name: Value(number, label=name) for name, number in {**x, **weights}.items()}
    for j in ("1", "2"):  # 은닉층
        v["z" + j] = v[f"w{j}1"] * v["x1"] + v[f"w{j}2"] * v["x2"] + v["b" + j]
        v["a" + j] = v["z" + j].sigmoid()
    v["z3"] = v["w31"] * v["a1"] + v["w32"] * v["a2"] + v["b3"]
    v["a3"] = v["z3"].sigmoid()
    v["t"], v["½"] = Value(t, label="t"), Value(0.5, label="½")
    v["E"] = v["½"] * (v["a3"] - v["t"]) ** 2
    for name in ("z1", "a1", "z2", "a2", "z3", "a3", "E"):
        v[name].label = name
    return v


v = forward(weights)
for name in ("z1", "a1", "z2", "a2", "z3", "a3", "E"):
    print(f"{name:>2} = {v[name].data:.6f}")

# %% [markdown]
# 정답은 `0.9`인데 신경망은 `a3 ≈ 0.572`로 예측합니다. 더 잘 맞히려면 `w31`을 어느 쪽으로
# 움직여야 할까요? 그리고 `w31`은 오차에 얼마나 크게 영향을 줄까요?
#
# ## dE/dw31을 인수 하나씩 구하기
#
# `w31`은 `E`와 직접 이어져 있지 않습니다. `w31`은 `z3`을 바꾸고, `z3`은 `a3`을, `a3`은 `E`를
# 바꿉니다. 그래서 연쇄 법칙(chain rule)을 쓰면 이 질문을 작은 질문 세 개로 나눌 수 있습니다. 각
# 질문은 계산의 한 단계만 다룹니다.
#
# 1. **`∂z3/∂w31`** — `w31`이 움직이면 `z3 = w31·a1 + w32·a2 + b3`은 얼마나 움직일까요?
#    `w31`이 들어 있는 항은 첫 번째 항뿐이므로, 답은 `w31`과 곱해지는 짝인 `a1`입니다.
# 2. **`∂a3/∂z3`** — `z3`에서 구한 시그모이드의 기울기입니다. 시그모이드에는
#    `sigmoid'(z) = sigmoid(z) · (1 − sigmoid(z))`라는 편리한 성질이 있어서, 이 값은
#    `a3 · (1 − a3)`입니다.
# 3. **`dE/da3`** — 오차의 기울기입니다. `½(a3 − t)²`을 `a3`으로 미분하면 `a3 − t`입니다.
#
# 엔진 없이 숫자만으로 계산해 봅시다.

# %%
a1, a3 = v["a1"].data, v["a3"].data
dz3_dw31 = a1
da3_dz3 = a3 * (1 - a3)
dE_da3 = a3 - t
dE_dw31 = dz3_dw31 * da3_dz3 * dE_da3
print(f"∂z3/∂w31 = a1              = {dz3_dw31:.6f}")
print(f"∂a3/∂z3  = a3 · (1 − a3)   = {da3_dz3:.6f}")
print(f"dE/da3   = a3 − t          = {dE_da3:.6f}")
print(f"dE/dw31  = product         = {dE_dw31:.6f}")

# %% [markdown]
# 음수가 나왔습니다. `w31`을 *늘리면* 오차가 *줄어든다*는 뜻이므로, 경사 하강법은 `w31`을
# 늘릴 것입니다. 이치에 맞습니다. 예측값이 너무 낮고 `a1`은 양수이므로, `w31`이 커지면
# `z3`이 올라가고 그에 따라 `a3`도 올라갑니다.
#
# ## 인수 하나하나를 엔진과 맞춰 보기
#
# 엔진은 순전파(forward pass)를 계산하는 동안 그래프의 모든 간선(edge)에 국소 미분을 저장해
# 두었습니다. `chain_rule`은 `w31`에서 `E`까지 가는 간선들을 국소 미분과 함께 보여 줍니다.

# %%
path_w31 = chain_rule(v["E"], v["w31"])
print(path_w31)

# %% [markdown]
# 엔진의 사슬은 우리 것보다 고리가 많습니다. 엔진은 연산을 하나하나 따로 기록하기 때문입니다. 우리가
# 이름을 붙이지 않은 노드는 엔진이 지어 준 이름으로 나옵니다. `w31`에서 `z3`까지는 곱셈 하나와 덧셈
# 둘이 있고, 그다음은 시그모이드입니다. `a3`에서 `E`까지는 뺄셈, 제곱, ½을 곱하는 곱셈이 있습니다.
# 덧셈은 변화를 그대로(1배로) 전달합니다. 이 일곱 고리를 다시 우리의 세 단계로 묶으면 같은 인수가
# 나옵니다.

# %%
factors = path_w31.paths[0].factors
engine_dz3_dw31 = factors[0] * factors[1] * factors[2]  # 곱셈, 덧셈 두 번
engine_da3_dz3 = factors[3]  # 시그모이드
engine_dE_da3 = factors[4] * factors[5] * factors[6]  # − t, 제곱, ½ ·
for name, ours, theirs in [
    ("∂z3/∂w31", dz3_dw31, engine_dz3_dw31),
    ("∂a3/∂z3", da3_dz3, engine_da3_dz3),
    ("dE/da3", dE_da3, engine_dE_da3),
]:
    print(f"{name:>9}: by hand {ours:.12f}   engine {theirs:.12f}")

print("\nthe sigmoid node's own record, a3.local_grads =", v["a3"].local_grads)

# %% [markdown]
# 이제 `backward()`에 전체 계산을 맡기고, 그 결과를 우리가 곱한 값과 비교해 봅시다. 그다음
# 그래프를 새로 만들어 같은 역전파를 `backward_steps()`로 실행하되, `E`에서 `w31`로 가는 경로 위의
# 단계만 출력합니다. 각 단계는 지금까지 전해져 온 기울기(`dE/d(node)`)에 국소 미분을 하나 더
# 곱합니다.

# %%
v["E"].backward()
print(f"backward(): dE/dw31 = {v['w31'].grad:.12f}")
print(f"by hand:    dE/dw31 = {dE_dw31:.12f}")

fresh = forward(weights)
on_path = set(chain_rule(fresh["E"], fresh["w31"]).paths[0].nodes)
print()
for step in fresh["E"].backward_steps():
    if step.parent in on_path:
        print(step)

# %% [markdown]
# 목록은 위에서부터 읽습니다. `E`에서 시작해 `w31`에서 끝나고, 마지막 숫자가 우리가 구한
# `dE/dw31`입니다.
#
# 같은 역전파로 다른 모든 가중치도 기울기를 얻었습니다. `nn.diagram`의 `draw_network`는 이
# 기울기들을 담아 신경망을 뉴런 단위로 그립니다. 상자 하나에는 뉴런 하나의 가중치와 `dL/dw`(여기서
# `L`은 이 장의 `E`입니다), 편향과 `dL/db`, 뉴런의 출력과 `dL/dout`이 들어 있습니다. 선 하나는
# 가중치 하나이고, 기울기에 따라 색이 칠해집니다. 이 그림은 `nn` 패키지처럼 0부터 세어 이름을
# 붙입니다. 입력 `x0, x1`은 이 장의 `x1, x2`이고, 은닉 뉴런 `L0.N0`과 `L0.N1`(0번 층)은 이 장의
# 뉴런 1과 2, 출력 뉴런 `L1.N0`은 뉴런 3입니다. 뉴런의 `w0`은 그 뉴런의 첫 번째 입력에서 오는
# 가중치입니다. 그러니 `L1.N0`의 `w0`이 조금 더 아래에 나오는 연산 그래프에서 `w31`이라는 이름이
# 붙은 가중치이고, 기울기도 똑같이 `-0.0434`입니다.

# %%
net = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
for neuron, j in zip([*net.layers[0].neurons, *net.layers[1].neurons], "123"):
    neuron.w[0].data, neuron.w[1].data = weights[f"w{j}1"], weights[f"w{j}2"]
    neuron.b.data = weights["b" + j]
nn.diagram.draw_network(net, x=[x["x1"], x["x2"]], loss=lambda out: 0.5 * (out - t) ** 2)

# %% [markdown]
# 연산 그래프는 같은 신경망을 연산 단위로 쪼개어 보여 줍니다. `draw_network`가 상자 안에 접어 넣은
# 곱셈과 덧셈이 하나하나 다 드러납니다. 아래는 그래프 전체입니다(입력이 위, 오차가 아래).
# `w31`에서 `E`로 가는 경로는 강조해 두었습니다.

# %%
draw_graph(v["E"], highlight=path_w31, rankdir="TB")

# %% [markdown]
# ## 은닉층의 가중치
#
# `w11`은 출력에서 한 층 더 떨어져 있습니다. 그래서 `E`까지 가는 경로도 더 깁니다. `w11`은 `z1`을
# 바꾸고, 이어서 `a1`, `z3`, `a3`, `E`를 차례로 바꿉니다.
#
# `dE/dw11 = ∂z1/∂w11 · ∂a1/∂z1 · ∂z3/∂a1 · ∂a3/∂z3 · dE/da3`
#
# 마지막 두 인수는 `w31`을 다룰 때 이미 계산한 것과 *똑같습니다*. 이 둘의 곱 `dE/dz3`을 흔히 출력
# 뉴런의 **오차 신호**(error signal) δ3이라고 부릅니다. `z3`이 한 단위 변할 때 오차가 얼마나
# 변하는지를 나타내는 값입니다. 뉴런 3보다 입력 쪽에 있는 가중치는 모두 이 값을 가져다 씁니다.
# 계산이 출력에서 거꾸로 진행되는 이유가 바로 이것입니다. 각 층의 오차 신호는 출력 쪽으로 바로 다음
# 층의 오차 신호로 만들어지므로, 같은 계산을 두 번 하지 않습니다.

# %%
a1 = v["a1"].data
delta3 = da3_dz3 * dE_da3  # dE/dz3, 한 번만 계산합니다
dz1_dw11 = x["x1"]
da1_dz1 = a1 * (1 - a1)
dz3_da1 = weights["w31"]  # z3에서 a1과 곱해지는 짝
dE_dw11 = dz1_dw11 * da1_dz1 * dz3_da1 * delta3
print(f"δ3 = dE/dz3 = {delta3:.6f}")
print(f"dE/dw11 = {dz1_dw11} · {da1_dz1:.6f} · {dz3_da1} · δ3 = {dE_dw11:.12f}")
print(f"backward(): dE/dw11 = {v['w11'].grad:.12f}")

# %% [markdown]
# `∂z3/∂a1 = w31`에는 미묘한 점이 하나 숨어 있습니다. 은닉층 가중치의 기울기는 그보다 출력 쪽에 있는
# 가중치의 *현재* 값을 씁니다. 따라서 어느 가중치든 바꾸기 전에 모든 기울기를 먼저 계산해야 합니다.
# `backward()`가 바로 그렇게 합니다. 역전파 한 번으로 모든 `.grad`를 채웁니다. 가중치는 그다음에야
# 우리가 갱신합니다.
#
# ## 모든 가중치 갱신하기
#
# 기울기를 모두 알았으니, 가중치마다 경사 하강법으로 한 스텝씩 갱신합니다(`w ← w − lr · dE/dw`).
# 블로그 글은 "마지막 레이어와 가까운 애부터" 갱신한다고 썼습니다. 이 순서는 역전파가 기울기를
# *찾아내는* 순서입니다(은닉층의 기울기가 출력층의 기울기로 만들어지므로 출력층이 먼저입니다).
# 하지만 갱신하는 순서 자체는 결과를 바꾸지 않습니다. 어떤 가중치도 움직이기 전에 모든 기울기를 갱신
# 전의 가중치로 이미 계산해 두었고, 각 갱신은 자기 가중치와 자기 기울기만 읽기 때문입니다.
# 아래에서는 블로그 글처럼 출력층부터 갱신합니다.

# %%
lr = 0.5
layers = {
    "output layer": ["w31", "w32", "b3"],
    "hidden layer": ["w11", "w12", "b1", "w21", "w22", "b2"],
}
new_weights = dict(weights)
for layer, names in layers.items():
    print(layer)
    for name in names:
        g = v[name].grad
        new_weights[name] = weights[name] - lr * g
        print(f"  {name:>3}: {weights[name]:+.4f} − {lr} · ({g:+.6f}) = {new_weights[name]:+.6f}")

after = forward(new_weights)
print(f"\nprediction {v['a3'].data:.6f} → {after['a3'].data:.6f}  (truth {t})")
print(f"error E    {v['E'].data:.6f} → {after['E'].data:.6f}")

# %% [markdown]
# 출력층 가중치가 은닉층 가중치보다 많이 움직였습니다. 출력층 가중치의 기울기가 더 크기 때문입니다.
# 은닉층 가중치의 영향은 시그모이드 곡선의 기울기(최대 ¼)와 가중치를 하나씩 더 거쳐서 전달되므로,
# 그만큼 기울기가 작습니다. 예측값은 `0.9` 쪽으로 움직였고, 오차는 줄었습니다. 순전파, 역전파,
# 갱신이라는 세 동작을 되풀이하면 오차는 계속 줄어듭니다.

# %%
current = dict(weights)
errors = []
for _ in range(100):
    net = forward(current)
    net["E"].backward()
    errors.append(net["E"].data)
    current = {name: w - lr * net[name].grad for name, w in current.items()}

fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(errors, "o-", ms=3)
ax.set(xlabel="update step", ylabel="error E", title="Forward, backward, update — repeated")
plt.show()
print(
    f"after {len(errors)} steps: prediction {forward(current)['a3'].data:.4f} "
    f"(truth {t}), E = {forward(current)['E'].data:.2e}"
)

# %% [markdown]
# ## 핵심 정리
#
# - 오차를 어떤 가중치로 미분한 기울기는 그 가중치에서 출력까지 가는 경로 위의 국소 미분을 모두 곱한
#   값입니다. 출력층 가중치라면 `dE/dw3 = ∂z3/∂w3 · ∂a3/∂z3 · dE/da3`입니다.
# - 인수 하나하나는 작고 국소적입니다. 곱셈에서 짝이 되는 입력(`∂z3/∂w3`),
#   활성화 함수(activation function)의 기울기(`∂a3/∂z3`), 오차의 기울기(`dE/da3`)입니다. 엔진은
#   순전파 동안 이 값들을 `local_grads`에 기록하고, `chain_rule`과 `backward_steps`는 이 값들이
#   곱해지는 과정을 보여 줍니다.
# - 출력에서 먼 가중치는 자기보다 출력 쪽에 있는 층들의 오차 신호를 가져다 씁니다. 그래서 역전파는
#   출력에서 시작해 거꾸로 진행합니다.
# - 모든 기울기를 먼저 계산하고, 그다음에 모든 가중치를 갱신합니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 두 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 인수 하나하나로 구하는 dE/dw32.** 이 장에서는 `w31`을 따라갔습니다. 이번에는 뉴런 2에서 뉴런
# 3으로 들어가는 가중치 `w32`로 같은 계산을 해 보십시오. 인수 세 개를 구하고, 이어서 그 곱을
# 구합니다. 순전파에서 나온 숫자들은 `v`에 들어 있고(예를 들어 `v["a2"].data`), `t = 0.9`입니다.

# %%
dz3_dw32 = ...  # ∂z3/∂w32
da3_dz3 = ...  # ∂a3/∂z3
dE_da3 = ...  # dE/da3
dE_dw32 = ...  # 세 값의 곱
check_w32(dz3_dw32, da3_dz3, dE_da3, dE_dw32)

# %% [markdown]
# **2. 은닉층의 가중치.** `w22`는 입력 `x2`에서 은닉 뉴런 2로 들어가는 가중치입니다. 이 가중치에서
# `E`까지 가는 경로는 `z2`, `a2`, `z3`, `a3`을 거칩니다. 그래서
# `dE/dw22 = ∂z2/∂w22 · ∂a2/∂z2 · ∂z3/∂a2 · δ3`입니다. 여기서 `δ3 = dE/dz3`은 출력 뉴런의 오차
# 신호입니다. 뉴런 3보다 입력 쪽에 있는 가중치는 모두 바로 이 값을 가져다 씁니다.

# %%
dz2_dw22 = ...  # ∂z2/∂w22
da2_dz2 = ...  # ∂a2/∂z2
dz3_da2 = ...  # ∂z3/∂a2
delta3 = ...  # δ3 = dE/dz3
dE_dw22 = ...  # 네 값의 곱
check_w22(dz2_dw22, da2_dz2, dz3_da2, delta3, dE_dw22)
