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
# # 2 · 퍼셉트론, 그리고 활성화 함수가 중요한 이유
#
# 머신러닝은 크게 세 가지로 나뉩니다. **지도 학습**(supervised learning)에서는 모든 예제에 정답,
# 곧 레이블(label)이 붙어 있고, 모델은 그 정답을 맞히도록 배웁니다.
# **비지도 학습**(unsupervised learning)에는 레이블이 없습니다. 모델은 데이터 속에 숨은 구조, 예를
# 들어 비슷한 것끼리 모인 무리를 찾아냅니다. **강화 학습**(reinforcement learning)에서는
# 에이전트가 행동하고 보상과 벌점을 받으면서, 시행착오를 거쳐 더 높은 점수를 얻는 법을 배웁니다.
# 이 강의에서 다루는 것은 지도 학습입니다.
#
# 이 장에서는 신경망을 가장 작은 부품부터 조립해 보고, 무엇이 신경망을 부품의 합 이상으로 만드는지
# 알아봅니다.
#
# 1. **퍼셉트론**(perceptron): 입력은 여럿, 출력은 하나이고, 가중합에 편향을 더합니다
# 2. 퍼셉트론을 쌓은 층(layer), 그리고 뜻밖의 사실: 활성화 함수가 없으면
#    **은닉층**(hidden layer)을 몇 개 쌓든 가중합 하나로 줄어듭니다
# 3. 그 실패를 그림으로: 직선으로는 XOR 문제를 풀 수 없습니다
# 4. **활성화 함수**(activation function): 시그모이드(sigmoid), tanh, relu가 직선을 구부려 XOR
#    문제를 풉니다
# 5. 여러 클래스 가운데 하나를 고를 때 쓰는 **소프트맥스**(softmax)

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

import nn
from engine import Value, draw_graph
from nn import MLP, Neuron, datasets, fit
from nn.exercises.lesson2 import check_composed, check_softmax, check_xor  # 연습 문제

SEED = 0
random.seed(SEED)  # 아래 모델들은 저마다 시드가 정해진 난수 생성기를 따로 씁니다
plt.rcParams.update({"figure.dpi": 100})


# %% [markdown]
# ## 뉴런 하나
#
# 퍼셉트론은 숫자 여러 개를 받아 각각에 **가중치**(weight)를 곱하고, **편향**(bias)과 함께 모두
# 더해서 그 결과를 내보냅니다. 식으로 쓰면 `z = w1·x1 + w2·x2 + b`입니다. 가중치는 각 입력이
# 얼마나 중요한지를 나타내고, 편향은 답을 통째로 위아래로 옮겨 줍니다. (코드에서는 가중치 번호를
# 0부터 셉니다: `w0`, `w1`.)
#
# 입력이 어느 가게의 6월과 7월 매출(천 단위)이고, 뉴런이 8월 매출을 예측해야 한다고 해 봅시다.
# 입력이 두 개이고 활성화 함수가 없는("linear") `nn.Neuron`이 바로 이 합을 계산합니다. 여기서는
# 가중치를 학습하지 않고 직접 정해 줍니다.

# %%
neuron = Neuron(2, activation="linear", rng=random.Random(SEED))
neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.3, 0.7, 0.5
june, july = Value(4.0, label="june"), Value(5.0, label="july")
august = neuron([june, july])
august.label = "august"
print(f"0.3 · 4 + 0.7 · 5 + 0.5 = {august.data:.2f}")
draw_graph(august, show_grad=False)

# %% [markdown]
# ## 활성화 함수 없이 층 쌓기
#
# **층**은 같은 입력을 받는 뉴런 여러 개를 묶은 것입니다. 신경망은 한 층의 출력을 다음 층의
# 입력으로 넘깁니다. `MLP(2, [3, 3, 1], activation="linear")`는 뉴런이 세 개인 은닉층 두 개와
# 출력 하나로 이루어지고, 가중치와 편향은 모두 25개입니다. 학습을 마친 신경망인 셈 치고,
# 가중치와 편향에 무작위 값을 넣어 둡니다.
#
# 층마다 입력의 가중합을 계산합니다. 그런데 가중합들의 가중합은 다시 가중합입니다. 식을 전개해
# 보면 경로마다 가중치가 곱해지고, 경로마다 보탠 몫이 더해집니다. 따라서 신경망 전체는 뉴런
# *하나* `w1·x1 + w2·x2 + b`와 같아야 하고, 그 가중치는 층들의 가중치로 계산할 수
# 있습니다(행렬로 쓰면 `W = W3·W2·W1`). 직접 계산해 봅시다.

# %%
deep = MLP(2, [3, 3, 1], activation="linear", seed=SEED)
print(len(deep.parameters()), "parameters")
rng = random.Random(SEED)
for p in deep.parameters():
    p.data = rng.uniform(-1, 1)


def weights_of(layer):
    """층의 가중치를 행렬(뉴런마다 한 행)로, 편향을 목록으로 돌려줍니다."""
    return [[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]


def compose(first, second):
    """`first`에 이어 `second`를 거치는 것과 같은 층 하나: x ↦ W2(W1·x + b1) + b2."""
    (W1, b1), (W2, b2) = first, second
    W = [[sum(row[k] * W1[k][j] for k in range(len(W1))) for j in range(len(W1[0]))] for row in W2]
    b = [sum(row[k] * b1[k] for k in range(len(b1))) + c for row, c in zip(W2, b2)]
    return W, b


W, b = weights_of(deep.layers[0])
for layer in deep.layers[1:]:
    W, b = compose((W, b), weights_of(layer))
(w1, w2), (b0,) = W[0], b
print(f"the whole network = {w1:.4f}·x1 {w2:+.4f}·x2 {b0:+.4f}\n")

for _ in range(4):
    x = [rng.uniform(-3, 3), rng.uniform(-3, 3)]
    print(
        f"x = ({x[0]:+.3f}, {x[1]:+.3f}):  network {deep(x).data:+.12f}"
        f"   one neuron {w1 * x[0] + w2 * x[1] + b0:+.12f}"
    )

# %% [markdown]
# 마지막 한두 자리의 반올림 오차를 빼면 똑같습니다. 은닉층은 매개변수(parameter)를 22개나
# 보탰지만 능력은 조금도 보태지 않았습니다. 이 신경망이 할 수 있는 일은 뉴런 하나로도 할 수
# 있습니다. 은닉층이 있든 없든 6월 수치에는 결국 어떤 수 하나가, 7월 수치에는 또 다른 수 하나가
# 곱해질 뿐입니다. 층들이 제 몫을 전혀 하지 못하는 것입니다.
#
# ## 그림으로 보기: 직선으로는 XOR 문제를 풀 수 없습니다
#
# 뉴런 하나의 출력 `w1·x1 + w2·x2 + b`는 어떤 직선의 한쪽에서는 양수, 반대쪽에서는 음수입니다.
# 그래서 분류기로 쓰면 평면을 직선 하나로 나누는 것밖에 할 수 없습니다. 어떤 직선으로도 풀 수
# 없는 고전적인 문제가 **XOR**입니다. `(0, 0)`과 `(1, 1)` 근처의 점은 클래스(class) 0이고,
# `(0, 1)`과 `(1, 0)` 근처의 점은 클래스 1입니다. `datasets.xor()`는 네 꼭짓점을 줍니다. 그림을
# 보기 좋게 하려고, 꼭짓점마다 그 주위에 잡음이 섞인 점 구름을 그립니다.

# %%
corners, corner_labels = datasets.xor()
print(list(zip(corners, corner_labels)))

cloud, blob = datasets.blobs(n=80, centers=corners, std=0.15, seed=SEED)
X = cloud
y = [corner_labels[k] for k in blob]  # 각 점은 자기 꼭짓점의 XOR 레이블을 따릅니다

fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(
    [p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm", edgecolors="k", linewidths=0.5
)
ax.set(title="XOR: class 1 (red) on one diagonal", xlabel="x₁", ylabel="x₂", aspect="equal")
plt.show()

# %% [markdown]
# 이 데이터로 선형 신경망을 학습시켜 봅시다. `fit`은 3장에서 배울 반복 과정, 곧 순전파, 손실 계산,
# 역전파, 갱신(update)을 4장에서 배울 Adam 옵티마이저(optimizer)로 되풀이합니다. 손실로는
# 예/아니요로 답하는 문제에 알맞은 이진 **교차 엔트로피**(cross-entropy)를 씁니다. 출력의 부호가
# 바뀌는 곳인 **결정 경계**(decision boundary)는 두 색 영역 사이의 선입니다. 신경망은 빨간 영역에
# 있는 점을 모두 클래스 1로 판단합니다.

# %%
linear = MLP(2, [8, 1], activation="linear", seed=SEED)
history = fit(
    linear, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=150, progress=False
)
print(f"linear network: accuracy {history.accuracy[-1]:.0%}")
fig = nn.plot.decision_boundary(linear, X, y)
fig.axes[0].set_title("no activation: one straight line")
plt.show()

# %% [markdown]
# 어떤 직선을 긋든 네 꼭짓점 가운데 하나는 반대편에 놓입니다. 그래서 학습은 점을 절반쯤만 맞히는
# 타협안에 머무릅니다. 아무리 오래 학습해도, 선형 은닉층을 아무리 많이 쌓아도 이 문제는 풀리지
# 않습니다.
#
# ## 활성화 함수가 직선을 구부립니다
#
# 해결책은 은닉 뉴런이 구한 합을 다음 층에 넘기기 전에 *비선형*(nonlinear) 함수에 통과시키는
# 것입니다. 그러면 층들이 더 이상 하나로 합쳐지지 않고, 경계도 휠 수 있습니다. 널리 쓰이는 세
# 가지는 다음과 같습니다.
#
# - **시그모이드** `1 / (1 + e^(−z))`: 값을 `(0, 1)` 사이로 눌러 담습니다. 확률, 곧 0–1 사이의
#   답을 내야 하는 출력에도 씁니다.
# - **tanh**: 모양은 같은 S자이지만 0을 중심으로 하며, 값을 `(−1, 1)` 사이로 눌러 담습니다.
# - **relu** `max(0, z)`: 음수 입력에는 0을, 그 밖에는 입력을 그대로 내보냅니다(항등 함수).
#   단순하고 계산이 가벼워서, 요즘 신경망 대부분이 기본으로 씁니다.
#
# 각 함수의 기울기(점선)도 중요합니다. 역전파가 곱하는 `∂a/∂z` 인수가 바로 이 기울기이기
# 때문입니다. 시그모이드의 기울기는 가장 커도 ¼입니다. 시그모이드와 tanh의 기울기는 `|z|`가 크면
# 거의 0이 됩니다. relu의 기울기는 0 아니면 1입니다.

# %%
zs = [i / 20 for i in range(-80, 81)]
fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), sharey=True)
for ax, name in zip(axes, ["sigmoid", "tanh", "relu"]):
    f = getattr(nn, name)
    slopes = []
    for z in zs:
        v = Value(z)
        f(v).backward()
        slopes.append(v.grad)
    ax.plot(zs, [f(z) for z in zs], label=name)
    ax.plot(zs, slopes, ":", label="its slope")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set(title=name, xlabel="z", ylim=(-1.2, 2.1))
    ax.legend(loc="upper left")
plt.tight_layout()
plt.show()

# %% [markdown]
# 신경망의 모양(뉴런 8개짜리 은닉층 하나)은 그대로 두고, 이번에는 활성화 함수를 하나씩 넣어
# 봅니다.

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4), sharey=True)
for ax, name in zip(axes, ["sigmoid", "tanh", "relu"]):
    model = MLP(2, [8, 1], activation=name, seed=SEED)
    h = fit(
        model, X, y, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=150, progress=False
    )
    nn.plot.decision_boundary(model, X, y, ax=ax)
    ax.set_title(f"{name}: accuracy {h.accuracy[-1]:.0%}")
plt.tight_layout()
plt.show()

# %% [markdown]
# 세 가지 모두 XOR 문제를 풀어 내지만, 저마다 방식이 다릅니다. tanh와 시그모이드는 경계를 부드럽게
# 구부리고, relu는 직선 조각을 이어 붙여 경계를 그립니다(relu 뉴런 하나가 직선 하나를 따라 경계를
# 한 번씩 꺾습니다). 활성화 함수가 있는 이유가 바로 이것입니다. 활성화 함수가 없으면 신경망은
# 선형이고 예측도 단순합니다. 활성화 함수가 있으면 휘어 있고 예상하기 어려운 패턴까지 모델링할 수
# 있습니다.
#
# 신경망이 출력하는 값은 *점수*, 곧 로짓(logit)이고, 양수이면 클래스 1이라는 뜻입니다. 이 점수를
# 0과 1 사이의 확률로 바꾸려면 시그모이드에 통과시킵니다. 예/아니요로 답하는 신경망에서 말하는
# "출력층의 시그모이드"가 바로 이것입니다. `MLP(..., output_activation="sigmoid")`로 만들면
# 시그모이드가 모델 안에 들어갑니다. 여기서는 손실 `bce_with_logits`가 내부에서 시그모이드를
# 적용하는데, 그쪽이 수치적으로 더 안전합니다.

# %%
for point in corners:
    score = model(point)  # 마지막 그림의 relu 신경망
    print(
        f"{point}: score {score.data:+7.3f} → probability of class 1 = {nn.sigmoid(score).data:.5f}"
    )

# %% [markdown]
# ## 클래스가 여럿일 때: 소프트맥스
#
# 클래스가 셋 이상이면 신경망은 클래스마다 출력을 하나씩 내고, 소프트맥스가 그 점수들을 확률로
# 바꿉니다. 각 점수에 지수 함수를 적용해 양수로 만들고, 그 합으로 나누어 합계가 1이 되게 합니다.
# 점수가 가장 큰 클래스가 가장 큰 몫을 받고, 점수 사이의 간격은 결과가 얼마나 확신에 차 있는지를
# 정합니다.

# %%
scores = [2.0, 1.0, 0.1]
probs = nn.softmax(scores)
tripled = nn.softmax([3 * s for s in scores])
print("scores        ", scores)
print("softmax       ", [round(p, 3) for p in probs], " sum =", round(sum(probs), 12))
print("scores × 3    ", [round(p, 3) for p in tripled])

classes = [0, 1, 2]
fig, (left, right) = plt.subplots(1, 2, figsize=(8, 2.8))
left.bar(classes, scores, color="0.6")
left.set(title="scores", xlabel="class", xticks=classes)
right.bar([c - 0.2 for c in classes], probs, width=0.4, label="softmax(scores)")
right.bar([c + 0.2 for c in classes], tripled, width=0.4, label="softmax(scores × 3)")
right.set(title="probabilities: each colour sums to 1", xlabel="class", xticks=classes)
right.set_ylim(0, 1)
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# 점수에 3을 곱하면 순위는 그대로인데 결과는 훨씬 더 확신에 찹니다. 이제 클래스가 셋인 문제를
# 봅시다. 점들이 세 무리로 모여 있고, 출력이 셋인 신경망을 **교차 엔트로피** 손실로
# 학습시킵니다(이 손실은 소프트맥스를 적용한 다음, 정답 클래스의 확률이 낮을수록 큰 벌점을
# 줍니다).

# %%
X3, y3 = datasets.blobs(n=90, centers=[[-2, 0], [2, 0], [0, 2.5]], std=0.8, seed=SEED)
three = MLP(2, [8, 3], activation="tanh", seed=SEED)
h3 = fit(three, X3, y3, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=60, progress=False)
fig = nn.plot.decision_boundary(three, X3, y3)
fig.axes[0].set_title(f"three classes: accuracy {h3.accuracy[-1]:.0%}")
plt.show()

for point in ([-2.0, 0.0], [0.0, 1.0]):
    probs = nn.softmax(three(point))
    print(f"at {point}: P(class 0, 1, 2) = " + ", ".join(f"{p.data:.3f}" for p in probs))

# %% [markdown]
# ## 핵심 정리
#
# - 퍼셉트론은 가중합에 편향을 더한 것이고, 신경망은 퍼셉트론을 층층이 쌓은 것입니다.
# - 활성화 함수가 없으면 층을 아무리 쌓아도 가중합 하나와 같습니다(그 가중치도 직접 계산해
#   보았습니다). 그래서 직선 경계밖에 그리지 못하고, XOR 문제를 풀 수 없습니다.
# - 층 사이에 비선형 활성화 함수(시그모이드, tanh, relu)를 넣으면 신경망이 경계를 구부릴 수
#   있습니다. 출력 하나에 시그모이드를 쓰면 확률 하나가, 출력 여러 개에 소프트맥스를 쓰면
#   클래스마다 확률이 하나씩 나옵니다.
#
# 6장에서는 이런 분류기를 더 크게 만들어, 휘어진 데이터와 나선 모양 데이터로 학습시킵니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 세 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 신경망을 뉴런 하나로 합치기.** 입력이 둘이고, 뉴런 두 개로 된 은닉층과 출력 하나가 있으며,
# 활성화 함수는 어디에도 없는 신경망입니다. 가중치는 아래에 있습니다. 신경망을 실행하지 말고, 똑같은
# 값을 계산하는 뉴런 하나 `w1·x1 + w2·x2 + b`를 찾아보십시오. 입력에서 출력까지 가는 경로마다
# 가중치를 곱하고, 경로들을 더하면 됩니다. 편향도 같은 길을 따라 전해집니다.

# %%
hidden_layer = [[0.5, -1.0, 0.2], [1.5, 0.4, -0.4]]  # h1, h2: x1의 가중치, x2의 가중치, 편향
output_neuron = [2.0, -3.0, 0.3]  # 출력: h1의 가중치, h2의 가중치, 편향

w1, w2, b = ..., ..., ...  # 신경망 전체와 같은 뉴런 하나
check_composed(w1, w2, b)

# %% [markdown]
# **2. 손으로 계산하는 소프트맥스.** 소프트맥스가 하는 그대로 `math.exp`(먼저 `import math`를
# 실행합니다)와 나눗셈을 써서, 점수 `[1.0, 2.0, 0.5]`를 확률로 바꾸어 보십시오. 원한다면
# `nn.softmax`의 결과와 비교해 봐도 좋습니다.

# %%
probs = ...  # 확률 세 개를 담은 리스트, 클래스마다 하나씩
check_softmax(probs)

# %% [markdown]
# **3. 손으로 푸는 XOR.** 앞에서는 학습으로 XOR 문제를 푸는 가중치를 찾았습니다. 이번에는 여러분이
# 직접 찾아보십시오. 은닉층에 relu 뉴런이 두 개 있고 출력은 선형인
# 신경망(`MLP(2, [2, 1], activation="relu")`)의 가중치를 골라서, 꼭짓점 `(0, 1)`과 `(1, 0)`의 점수는
# 0보다 크고 `(0, 0)`과 `(1, 1)`의 점수는 그렇지 않게 만드십시오. 힌트를 하나 드리면, 은닉 뉴런
# 하나는 켜진(값이 1인) 입력이 몇 개인지 셀 수 있고, 다른 하나는 두 입력이 모두 켜졌을 때만 반응하게
# 할 수 있습니다.

# %%
xor_hidden = ...  # 은닉 뉴런 두 개, 각각 [x1의 가중치, x2의 가중치, 편향]
xor_output = ...  # 출력 뉴런: [h1의 가중치, h2의 가중치, 편향]
check_xor(xor_hidden, xor_output)
