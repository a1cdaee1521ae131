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
# # 4 · 옵티마이저: 더 똑똑하게 내려가기
#
# 3장 끝에서 평범한 경사 하강법(gradient descent)의 두 가지 문제를 보았습니다. 첫째, 모든 곳에
# **학습률**(learning rate)을 하나만 씁니다. 그런데 이 값은 어떤 곳에서는 너무 작고 어떤 곳에서는
# 너무 큽니다. 둘째, 기울기(gradient)가 0인 곳이면 어디서든 멈춰 버립니다. `nn.optim`에 있는
# **옵티마이저**(optimizer)는 "기울기의 반대 방향으로 움직인다"는 생각은 그대로 둡니다. 대신
# 지금까지 나온 기울기를 기억해 두었다가, 학습하는 동안 스텝의 크기를 조절합니다.
#
# 먼저 2차원 손실 곡면(loss surface) 위에서 옵티마이저끼리 경주를 시킵니다. 여기서는 각자
# 지나간 경로를 그릴 수 있습니다. 다음에는 실제 학습 과제에서 겨룹니다. 이때는 손실 곡선만
# 그릴 수 있습니다. 사용법은 모두 같습니다.
#
# ```python
# opt = Adam(model.parameters(), lr=0.01)
# opt.zero_grad()      # 이전 기울기를 지웁니다
# loss.backward()      # 새 기울기를 계산합니다
# opt.step()           # 옵티마이저의 규칙대로 모든 가중치를 갱신합니다
# ```

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm

from engine import Value
from nn import MLP, datasets, fit
from nn.exercises.lesson4 import check_adam_first_step, check_momentum  # 연습 문제
from nn.optim import SGD, AdaDelta, AdaGrad, Adam, AdamW, Momentum, RMSProp, trajectory

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## 각 옵티마이저가 더하는 것
#
# 현재 스텝에서 어떤 가중치(weight)의 기울기를 `g`라고 쓰겠습니다.
#
# - **SGD**, 곧 *확률적 경사 하강법*(stochastic gradient descent): 기준이 되는 방법으로,
#   `w ← w − lr · g`입니다. 모든 가중치가 자기 기울기에 비례해서 움직입니다. 3장의 경사
#   하강법 그대로입니다. "확률적"이라는 이름은 이 방법을 흔히 쓰는 방식에서 왔습니다. 보통은
#   스텝마다 데이터 전체가 아니라 무작위로 고른 미니배치(mini-batch)만 보므로, 기울기가
#   잡음이 섞인 추정값이 됩니다.
# - **모멘텀**(Momentum): *속도*(velocity) `v`를 계속 갱신하며(`v ← 0.9 · v + g`), 이 속도를
#   따라 움직입니다. 같은 쪽으로 미는 힘은 차곡차곡 쌓여 긴 골짜기를 따라 속도를 높이고,
#   앞뒤로 방향이 바뀌는 힘은 서로 상쇄됩니다.
# - **AdaGrad**: 가중치마다 지금까지 나온 기울기 제곱을 모두 더하고, 그 합의 제곱근으로 스텝을
#   나눕니다. 그래서 기울기가 작은 가중치일수록 스텝이 상대적으로 커집니다. 하지만 합은 커지기만
#   하므로, 시간이 지날수록 모든 스텝이 작아집니다.
# - **RMSProp**: 기울기 제곱의 합 대신 *이동 평균*(moving average)을 쓰는 AdaGrad입니다. 그래서
#   스텝 크기가 최근 기울기에 맞춰지고, 갈수록 0으로 줄어들지도 않습니다.
# - **AdaDelta**: RMSProp과 비슷하지만, 자기가 최근에 한 갱신의 평균 크기도 함께 기록해서 학습률
#   대신 씁니다. 처음 몇 스텝은 아주 작고, 갱신이 커질수록 빨라집니다.
# - **Adam**: 모멘텀과 RMSProp을 합친 것입니다. 기울기의 이동 평균을 구하고, 이를 기울기
#   제곱의 이동 평균에 제곱근을 씌운 값으로 나눕니다. 처음 몇 스텝에는 보정을 더합니다(두
#   평균 모두 0에서 시작하기 때문입니다). 보통 가장 먼저 고르는 옵티마이저입니다.
# - **AdamW**: Adam에 **가중치 감쇠**(weight decay)를 더하되, 감쇠를 가중치에 직접
#   적용합니다. 스텝마다 모든 가중치를 0 쪽으로 조금씩 줄여서, 신경망이 아주 큰 가중치에
#   기대지 않게 합니다.

# %% [markdown]
# ## 휘어진 골짜기에서 경주하기
#
# 아래 손실 곡면은 가중치가 두 개이고, 길고 좁은 골짜기가 휘어져 있습니다. 가장 낮은 점은
# `(1, 1)`(금색 별)입니다. 옵티마이저를 시험할 때 흔히 쓰는 로젠브록 함수(Rosenbrock function)를
# 조금 완만하게 바꾼 것입니다. 골짜기의 벽이 가파르기 때문에, 기울기는 대부분 골짜기를 따라가는
# 쪽이 아니라 가로지르는 쪽을 가리킵니다. 옵티마이저는 모두 검은 점에서 출발해 300 스텝을
# 진행합니다. 학습률은 각자에게 맞는 값으로 골랐습니다.

# %%
START = (-1.5, 2.0)


def valley(a, b):
    """(1, 1)에서 최솟값 0을 갖는 휘어진 골짜기. 숫자에도 Value에도 쓸 수 있습니다."""
    return (1 - a) ** 2 + 10 * (b - a**2) ** 2


w1, w2 = Value(START[0], label="w1"), Value(START[1], label="w2")
params = [w1, w2]
racers = {
    "SGD": SGD(params, lr=0.01),
    "Momentum": Momentum(params, lr=0.002),
    "AdaGrad": AdaGrad(params, lr=0.5),
    "RMSProp": RMSProp(params, lr=0.01),
    "AdaDelta": AdaDelta(params, lr=1.0),
    "Adam": Adam(params, lr=0.05),
    "AdamW": AdamW(params, lr=0.05, weight_decay=0.1),
}
# trajectory()는 옵티마이저를 실행한 뒤 가중치를 되돌려 놓으므로, 모두 같은 곳에서 출발합니다
paths = {name: trajectory(lambda: valley(w1, w2), opt, steps=300) for name, opt in racers.items()}
for name, path in paths.items():
    end = path[-1]
    print(f"{name:>8}: ends at ({end[0]:+.3f}, {end[1]:+.3f}), loss {valley(*end):.2e}")

# %%
xs = [-2 + 3.5 * i / 149 for i in range(150)]
ys = [-1 + 4.5 * j / 149 for j in range(150)]
surface = [[valley(x, y) for x in xs] for y in ys]
levels = [10 ** (k / 4) for k in range(-12, 14)]  # 10배마다 등고선 네 개

fig, axes = plt.subplots(4, 2, figsize=(8.5, 12.5), sharex=True, sharey=True)
for ax, (name, path) in zip(axes.flat, paths.items()):
    ax.contourf(xs, ys, surface, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.5)
    ax.plot([p[0] for p in path], [p[1] for p in path], color="tab:red", lw=1.5)
    ax.plot(*START, "o", color="black")
    ax.plot(1, 1, "*", color="gold", mec="black", ms=14)
    ax.set(title=f"{name}: loss {valley(*path[-1]):.1g} after 300 steps")
    ax.set(xlim=(-2, 1.5), ylim=(-1, 3.5))
for ax in axes[:, 0]:
    ax.set_ylabel("w2")
for ax in axes[-1]:
    ax.set_xlabel("w1")
# 마지막 칸은 스텝에 따른 손실을 그리므로, 함께 쓰던 w1, w2 축에서 떼어 냅니다
race = axes.flat[-1]
race.remove()
race = fig.add_subplot(4, 2, 8)
for name, path in paths.items():
    race.plot([valley(*p) for p in path], label=name, lw=1.2)
race.set(yscale="log", xlabel="step", ylabel="loss (log scale)", title="the race")
race.legend(fontsize=8, ncol=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# 경로를 보면 이렇습니다.
#
# - **SGD**는 가파른 벽을 단숨에 내려간 다음, 평평한 골짜기 바닥에서는 기어가듯 나아갑니다.
#   바닥에서는 기울기가 작아서 스텝도 작기 때문입니다.
# - **모멘텀**은 처음에 맞은편 벽까지 지나쳐 가며 출렁입니다. 하지만 곧 골짜기 바닥을 따라
#   속도를 붙여서 별에 훨씬 가까이 다가갑니다.
# - **AdaGrad**는 첫 스텝을 두 방향으로 같은 크기만큼 내딛습니다(좌표마다 자기 기울기의 크기로
#   나누기 때문입니다). 그 뒤로는 합이 커지면서 점점 느려집니다.
# - **RMSProp**은 기울기를 저마다의 평소 크기로 나눕니다. 그래서 기울기가 어떻든 한 스텝의 길이가
#   대략 `lr`입니다. `lr = 0.01`에서는 일정한 속도로 나아가지만, 300 스텝이 지나도 골짜기 끝에
#   닿지 못합니다.
# - **AdaDelta**는 첫 번째 벽을 일부만 내려갑니다. 스스로 정하는 스텝 크기가 아주 작게 시작해서
#   천천히 커지기 때문입니다. AdaDelta는 짧은 경주가 아니라 오래 학습하는 상황에 맞게
#   설계되었습니다.
# - **Adam**은 모멘텀과 가중치별 크기 조절을 함께 써서 최솟값에 도달합니다.
# - **AdamW**는 Adam을 따라가지만, 가중치 감쇠가 두 가중치를 0 쪽으로 끌어당깁니다. 그래서
#   `(1, 1)`에 조금 못 미친 곳에 자리 잡습니다. 실제 신경망에서는 이 당기는 힘이
#   장점이지만(큰 가중치를 억제합니다), 여기서는 눈에 보이는 치우침으로 나타납니다.
#
# ## 실제 과제에서 경주하기
#
# 2차원 곡면은 실제를 아주 단순하게 그린 그림일 뿐이고, 신경망에는 가중치가 훨씬 많습니다.
# 이번에는 모든 옵티마이저가 같은 작은 신경망을 학습시킵니다. 데이터도 같고, 시작 가중치도
# 같습니다(같은 시드를 씁니다). 과제는 고리 두 개를 이루는 점들을 서로 가르는 것입니다.
# 학습은 80 **에폭**(epoch), 곧 데이터 전체를 80번 훑는 동안 이어집니다.

# %%
X, y = datasets.circles(n=80, noise=0.1, seed=SEED)

fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(
    [p[0] for p in X], [p[1] for p in X], c=y, cmap="coolwarm", edgecolors="k", linewidths=0.5
)
ax.set(title="two rings", xlabel="x₁", ylabel="x₂", aspect="equal")
plt.show()

# %%
settings = {
    "SGD": (SGD, 0.5),
    "Momentum": (Momentum, 0.05),
    "AdaGrad": (AdaGrad, 0.2),
    "RMSProp": (RMSProp, 0.02),
    "AdaDelta": (AdaDelta, 1.0),
    "Adam": (Adam, 0.05),
    "AdamW": (AdamW, 0.05),
}
histories = {}
for name, (Optimizer, lr) in settings.items():
    model = MLP(2, [8, 1], activation="tanh", seed=SEED)  # 모두 같은 곳에서 출발합니다
    histories[name] = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        optimizer=Optimizer(model.parameters(), lr=lr),
        epochs=80,
        progress=False,
    )
    h = histories[name]
    print(f"{name:>8} (lr {lr:<4}): final loss {h.loss[-1]:.3f}, accuracy {h.accuracy[-1]:.0%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.9))
for name, h in histories.items():
    left.plot(range(1, h.epochs + 1), h.loss, label=name)
    right.plot(range(1, h.epochs + 1), h.accuracy, label=name)
left.set(xlabel="epoch", ylabel="training loss", title="loss, side by side")
right.set(xlabel="epoch", ylabel="accuracy", title="accuracy, side by side", ylim=(0.4, 1.02))
# 두 그래프의 범례를 하나로 합쳐, 곡선을 가리지 않도록 아래에 한 줄로 놓습니다.
fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=len(histories),
           fontsize=9, frameon=False)  # fmt: skip
plt.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()

# %% [markdown]
# 적응형(adaptive) 옵티마이저인 AdaGrad, RMSProp, Adam, AdamW는 출발할 때 놓인 평탄한 구간을
# 빠르게 벗어나 모든 점을 올바르게 분류합니다. SGD와 모멘텀은 80 에폭이 지나도 아직 그 구간을
# 빠져나가는 중입니다. (모멘텀에는 SGD 학습률의 10분의 1을 주었습니다. 기울기가 일정한 비탈에서는
# 모멘텀의 속도가 기울기의 10배까지 커지므로, 길게 보면 두 방법의 스텝 크기가 같습니다.)
# AdaDelta는 이번에도 느리게 출발합니다. Adam과 AdamW는 거의 같은 곡선을 그립니다. 매개변수가
# 33개뿐이고 80 에폭만 학습하므로, 가중치 감쇠가 작용할 여지가 거의 없습니다.
#
# 이 결과를 순위로 읽어서는 안 됩니다. 결과는 저마다 우리가 고른 학습률에 달려 있고, 에폭을
# 늘리거나 학습률을 바꾸면 순서도 바뀝니다. 이 경주가 보여 주는 것은 적응형 방법이 널리
# 쓰이는 *이유*입니다. 적응형 방법은 손실이 가중치 방향마다 얼마나 가파르게 변하는지에 훨씬
# 덜 민감합니다. 그래서 학습률 하나가 더 많은 곳에서 통합니다. 보통은 학습률을 0.001–0.05
# 정도로 둔 Adam을 가장 먼저 시도합니다.
#
# ## 핵심 정리
#
# - 모든 옵티마이저는 기울기의 반대 방향으로 움직입니다. 차이는 무엇을 기억하느냐에
#   있습니다.
# - **모멘텀**은 방향(속도)을 기억합니다. **AdaGrad / RMSProp / AdaDelta**는 가중치마다 기울기의
#   크기를 기억해서 스텝 크기를 조절합니다. **Adam**은 둘 다 합니다. **AdamW**는 여기에 가중치를
#   0 쪽으로 살짝 끌어당기는 힘을 더합니다.
# - 학습률은 여전히 중요합니다. 어느 옵티마이저든 마찬가지입니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 두 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 모멘텀을 직접 써 보기.** 가중치 하나에 대한 모멘텀의 갱신을 써 보십시오. 이전 속도와 기울기
# `g`로 새 속도 `v`를 구하고, 그 속도를 따라 한 스텝 움직입니다. 확인 함수는 휘어진 골짜기의 검은
# 점에서 출발해(`lr = 0.002`, 경주 때와 같습니다) 여러분의 갱신과 `nn.optim.Momentum`을 나란히 10
# 스텝 실행하고, 둘이 처음 갈라지는 스텝을 알려 줍니다.


# %%
def momentum_update(w, v, g, lr, momentum=0.9):
    """가중치 하나에 대한 모멘텀 한 스텝: 기울기 g로 구한 새 값과 새 속도."""
    v = ...  # 이전 속도와 기울기로 구한 새 속도
    w = ...  # 새 속도를 따라 한 스텝
    return w, v


check_momentum(momentum_update)

# %% [markdown]
# **2. Adam의 첫 스텝 예측하기.** 검은 점 `START = (−1.5, 2.0)`에서 골짜기의 기울기는
# `(dL/dw1, dL/dw2) = (−20, −5)`입니다. `Adam(lr=0.05)`는 맨 처음 스텝에서 각 가중치를 얼마나
# 움직일까요? Adam의 두 이동 평균은 모두 0에서 시작하는데, 처음 몇 스텝에 더하는 보정이 바로 그
# 영향을 정확히 없애 줍니다. 기울기로부터 스텝을 계산한 다음 확인해 보십시오.

# %%
first_step = ...  # Adam의 첫 스텝에서 (w1의 변화량, w2의 변화량)
check_adam_first_step(first_step)
