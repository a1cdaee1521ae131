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
# # 7 · 은닉층이 배우는 것
#
# 깊은 신경망에 자동차 사진을 충분히 보여 주면, 층들이 알아서 부품을 가려냅니다. 어떤 뉴런은
# 바퀴에 반응하게 되고 어떤 뉴런은 로고에 반응하게 되며, 그 뒤의 층들이 이 부품들을 엮어
# "자동차"를 알아봅니다. 바퀴가 무엇인지 신경망에 알려 주는 사람은 아무도 없습니다. 이렇게
# 쓸모 있는 부품을 스스로 찾아내는 일을 **특징 추출**(feature extraction)이라고 합니다.
# 은닉층(hidden layer)을 두는 이유가 바로 이것입니다.
#
# 사진은 입력이 너무 많아서 한눈에 들여다볼 수 없습니다. 하지만 입력이 두 개인 신경망은 통째로 볼
# 수 있습니다. 은닉 뉴런은 평면 위의 점마다 수를 하나씩 계산하므로, 뉴런 하나를 작은 맵(map) 한
# 장으로 그릴 수 있기 때문입니다. 이 장에서는 안팎으로 놓인 두 원을 구별하도록 신경망을 학습시킨
# 다음, 이런 그림을 그립니다.
#
# 1. 첫 번째 은닉층의 모든 뉴런
# 2. 두 번째 은닉층의 모든 뉴런
# 3. 출력 뉴런이 두 번째 층의 맵들을 더해 답을 내는 모습
#
# 마지막으로, 은닉층이 아예 없으면 같은 문제가 어떻게 보이는지 살펴봅니다.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

from engine import no_grad
from nn import MLP, datasets, fit
from nn.exercises.lesson7 import check_edge, check_features, check_hidden_size  # 연습 문제

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## 문제와 신경망
#
# 점들은 두 원 위에 놓여 있습니다. 클래스 1은 안쪽의 작은 원에, 클래스 0은 바깥 원에 있습니다.
# 어떤 직선을 그어도 둘을 나눌 수 없습니다. 신경망에는 tanh 뉴런으로 된 은닉층이 두 개
# 있고(첫째 층에 6개, 둘째 층에 4개), 그 뒤에 출력 점수가 하나 있습니다(양수이면 클래스 1).
# 비교를 위해 은닉층이 없는 모델도 하나 만듭니다. 이 모델에서는 출력 뉴런이 두 입력을 곧바로
# 읽습니다.

# %%
X, y = datasets.circles(n=120, noise=0.08, factor=0.45, seed=SEED)
network = MLP(2, [6, 4, 1], activation="tanh", seed=SEED)
no_hidden = MLP(2, [1], seed=SEED)
for name, model in [("two hidden layers", network), ("no hidden layer", no_hidden)]:
    history = fit(model, X, y, loss="bce_with_logits", lr=0.05, epochs=150, progress=False)
    print(f"{name:>17}: accuracy {history.accuracy[-1]:.0%}")

# %% [markdown]
# ## 뉴런 하나를 맵으로 보기
#
# 평면을 덮는 격자의 점을 하나도 빠짐없이 학습된 신경망에 넣고, 한 층씩 통과시키면서 뉴런마다
# 출력을 기록합니다. tanh 뉴런의 출력은 −1(파랑)에서 +1(빨강)까지입니다. 맵마다 그려진 점선 원
# 두 개는 데이터가 놓인 두 원입니다.

# %%
SIDE = 41  # 축마다 놓이는 격자점 수
TICKS = [-1.5 + 3 * i / (SIDE - 1) for i in range(SIDE)]
EXTENT = (TICKS[0], TICKS[-1], TICKS[0], TICKS[-1])


def neuron_maps(model):
    """격자 위에서 모든 뉴런이 내는 출력: maps[layer][neuron][row][column]."""
    maps = [[[[0.0] * SIDE for _ in TICKS] for _ in layer.neurons] for layer in model.layers]
    with no_grad():  # 순전파를 수천 번 하지만 기울기는 필요 없습니다
        for row, x2 in enumerate(TICKS):
            for column, x1 in enumerate(TICKS):
                values = [x1, x2]
                for layer, layer_maps in zip(model.layers, maps):
                    values = layer(values)
                    for neuron_map, value in zip(layer_maps, values):
                        neuron_map[row][column] = value.data
    return maps


def draw_map(ax, grid, title, limit=1.0):
    """맵 한 장: 음수는 파랑, 양수는 빨강으로 칠하고 데이터의 두 원을 점선으로 그립니다."""
    image = ax.imshow(
        grid,
        origin="lower",
        extent=EXTENT,
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        interpolation="bilinear",  # 성긴 격자로도 매끄러운 맵을 그립니다
    )
    for radius in (1.0, 0.45):
        ax.add_patch(plt.Circle((0, 0), radius, fill=False, ls="--", lw=0.8, color="0.2"))
    ax.set(xticks=[], yticks=[])
    ax.set_title(title, fontsize=9)
    return image


maps = neuron_maps(network)
print("neurons per layer:", [len(layer_maps) for layer_maps in maps])

# %% [markdown]
# ## 첫 번째 은닉층: 직선 경계
#
# 첫 번째 층의 뉴런은 `tanh(w1·x1 + w2·x2 + b)`를 계산합니다. `w1·x1 + w2·x2`의 값이 일정한
# 직선을 따라가면 가중합은 어디서나 같습니다. 그래서 어느 맵에나 부드러운 직선 경계가 하나
# 그려집니다. 경계의 한쪽은 파랑이고 다른 쪽은 빨강입니다. 경계가 어디에 놓이고 어느 쪽을
# 향할지는 학습이 정했습니다.

# %%
fig, axes = plt.subplots(1, 6, figsize=(10, 2.3))
for j, (ax, grid) in enumerate(zip(axes, maps[0]), start=1):
    image = draw_map(ax, grid, f"neuron {j}")
axes[0].set_ylabel("layer 1")
fig.colorbar(image, ax=axes, shrink=0.8, ticks=[-1, 0, 1])
plt.show()

# %% [markdown]
# ## 두 번째 은닉층: 경계로 만든 모양
#
# 두 번째 층의 뉴런은 위에 있는 맵 여섯 장의 가중합에 tanh를 씌웁니다. 경계들을 더하고 그
# 결과를 tanh로 구부리면 곡선으로 둘러싸인 영역이 생깁니다. 모서리, 띠, 얼룩 같은 모양이
# 나오는데, 모두 위의 경계들을 재료로 그린 것입니다.

# %%
fig, axes = plt.subplots(1, 4, figsize=(7, 2.3))
for j, (ax, grid) in enumerate(zip(axes, maps[1]), start=1):
    image = draw_map(ax, grid, f"neuron {j}")
axes[0].set_ylabel("layer 2")
fig.colorbar(image, ax=axes, shrink=0.8, ticks=[-1, 0, 1])
plt.show()

# %% [markdown]
# ## 출력: 모양들의 가중합
#
# 출력 뉴런에는 tanh가 없습니다. 점수는 `w1·h1 + w2·h2 + w3·h3 + w4·h4 + b`이고, 여기서
# `h1 … h4`는 두 번째 층의 맵입니다. 아래 맵은 한 장마다 항 `w·h`를 하나씩 그린
# 것입니다(제목에 그 가중치를 적었고, 네 장 모두 같은 색 범위를 씁니다). 이 항들을 모두 더하고
# 편향까지 더하면 오른쪽 끝의 점수가 됩니다(점수 맵은 따로 자기 색 범위를 씁니다). 점수 맵의
# 검은 선은 점수가 0인 곳, 곧 결정 경계(decision boundary)입니다.

# %%
output = network.layers[-1].neurons[0]
weights = [w.data for w in output.w]
terms = [[[w * h for h in row] for row in grid] for w, grid in zip(weights, maps[1])]
score = maps[2][0]


def largest(grids):
    """이 맵들에 있는 값 가운데 가장 큰 절댓값: 모든 맵이 들어가는 색 범위입니다."""
    return max(abs(value) for grid in grids for row in grid for value in row)


fig, axes = plt.subplots(1, 5, figsize=(9, 2.3))
for j, (ax, term, w) in enumerate(zip(axes, terms, weights), start=1):
    draw_map(ax, term, f"{w:+.1f} × neuron {j}", largest(terms))
draw_map(axes[-1], score, f"sum {output.b.data:+.1f}: the score", largest([score]))
axes[-1].contour(TICKS, TICKS, score, levels=[0], colors="k", linewidths=1.2)
plt.show()

# %% [markdown]
# ## 은닉층이 없으면
#
# 은닉층이 없는 모델에는 `x1`과 `x2`를 곧바로 읽는 뉴런 하나만 있습니다. 그래서 점수는
# 기울어진 평면일 수밖에 없고, 경계는 직선일 수밖에 없습니다. 신경망의 점수와 나란히, 학습에
# 쓴 데이터를 겹쳐서 그려 봅니다(클래스 1이 빨강입니다).

# %%
flat = neuron_maps(no_hidden)[0][0]
fig, axes = plt.subplots(1, 2, figsize=(7, 3.4))
for ax, grid, title in [
    (axes[0], flat, "no hidden layer"),
    (axes[1], score, "hidden layers of 6 and 4"),
]:
    draw_map(ax, grid, title, largest([grid]))
    ax.contour(TICKS, TICKS, grid, levels=[0], colors="k", linewidths=1.2)
    ax.scatter(
        [p[0] for p in X],
        [p[1] for p in X],
        c=y,
        cmap="coolwarm",
        s=12,
        edgecolors="k",
        linewidths=0.4,
    )
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 핵심 정리
#
# - 은닉 뉴런 하나하나가 신경망이 스스로 찾아낸 특징입니다. 첫 번째 층에서는 직선 경계이고, 두
#   번째 층에서는 그 경계들로 만든 모양입니다.
# - 출력은 마지막 은닉층의 특징들에 저마다의 가중치를 곱해 더합니다. 그 합이 0을 지나는 곳이
#   결정 경계입니다.
# - 은닉층이 없으면 엮을 것이 없습니다. 뉴런 하나가 그릴 수 있는 것은 직선 경계 하나뿐입니다.
#   자동차 사진의 바퀴와 로고도 같은 원리입니다. 입력이 두 개가 아니라 수백만 개일 뿐입니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 세 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 경계는 어디에 있을까요?** 첫 번째 층의 어떤 뉴런이 `tanh(2·x1 − 1·x2 + 0.5)`를 계산합니다. 이
# 뉴런의 맵은 가중합이 0인 직선을 따라 하얗습니다(값이 0입니다). 이 직선은 `x1` 축(`x2 = 0`인 곳)과
# 어디서 만나고, `x2` 축(`x1 = 0`인 곳)과는 어디서 만날까요?

# %%
x1_crossing = ...  # 경계가 x1 축과 만나는 곳의 x1
x2_crossing = ...  # 경계가 x2 축과 만나는 곳의 x2
check_edge(x1_crossing, x2_crossing)

# %% [markdown]
# **2. 손으로 만드는 특징.** 은닉층이 없는 모델은 직선밖에 그리지 못했습니다. 이 모델에 더 나은
# 입력을 주어 봅시다. `x1`과 `x2`로 계산한 세 번째 숫자로, 안쪽 원에서는 작고 바깥 원에서는 큰
# 값입니다. 확인 함수는 여러분이 만든 특징으로 은닉층 없는 모델을 위에서처럼 학습시키고, 점을 몇
# 개나 맞혔는지 알려 줍니다.


# %%
def features(x1, x2):
    return [x1, x2, ...]  # x1과 x2로 계산한 세 번째 숫자


check_features(features)

# %% [markdown]
# **3. 뉴런은 몇 개나 필요할까요?** 첫 번째 층의 뉴런 하나는 직선 경계 하나입니다. tanh 뉴런으로 된
# 은닉층이 하나뿐이라면, 두 원을 나누는 데(점을 95% 이상 맞히는 데) 뉴런이 적어도 몇 개 있어야
# 할까요? 먼저 예측해 보십시오. 그다음 확인 함수가 은닉 뉴런이 1개에서 4개까지인 신경망을 학습시켜
# 보고 알려 줍니다.

# %%
smallest = ...  # 두 원을 나누는 데 필요한 은닉 뉴런의 최소 개수
check_hidden_size(smallest)
