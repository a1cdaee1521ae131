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
# # 3 · 손실과 경사 하강법
#
# 신경망은 예측이 좋아질 때까지 가중치를 바꿔 가며 *학습*합니다. 이 장에서는 가중치가 하나뿐인
# 모델로 이 문장의 뜻을 정확하게 풀어 봅니다. 가중치가 하나이면 모든 개념을 곡선 하나 위에 그릴 수
# 있습니다.
#
# 1. **손실 함수**(loss function)는 "모델이 얼마나 틀렸는가?"를 숫자 하나로 바꿉니다.
# 2. 가중치에 대한 손실의 **기울기**(slope)는 어느 쪽이 내리막인지 알려 줍니다.
# 3. **경사 하강법**(gradient descent)은 내리막 쪽으로 한 스텝 옮겨 가는
#    일(`w ← w − lr · slope`)을 되풀이합니다.
# 4. **학습률**(learning rate) `lr`은 그 이동이 기어가듯 느릴지, 수렴할지, 진동할지, 멀리 튕겨
#    나갈지를 정합니다.
# 5. **지역 최솟값**(local minimum)은 가장 낮지는 않은 골짜기의 바닥입니다. 단순한 경사 하강법은
#    그곳에서 멈춰 버립니다.

# %%
# %matplotlib inline
import random

import matplotlib.pyplot as plt

from engine import Value
from nn.exercises.lesson3 import check_hump, check_largest_lr, check_step  # 연습 문제

random.seed(0)  # 모든 장은 매번 같은 상태에서 시작합니다
plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})

# %% [markdown]
# ## 모델과 데이터, 그리고 얼마나 틀렸는지 나타내는 숫자
#
# 측정값 `(x, y)` 네 개와, 가중치 하나로 `ŷ = w · x`를 예측하는 모델이 있습니다. `L`로 쓰는
# 손실은 **평균 제곱 오차**(mean squared error)로, 예측과 실제 값의 차이를 제곱해서 평균한
# 값입니다. 제곱을 하면 어느 쪽으로 빗나가든 양수가 되고, 크게 빗나간 것은 작게 빗나간 것보다
# 훨씬 무겁게 계산됩니다.
#
# 아래 함수는 `+`, `*`, `**`만 쓰기 때문에 보통 숫자에도, `Value`에도 쓸 수 있습니다. 이 함수로
# 곡선도 그리고, 엔진에 미분도 맡길 것입니다.

# %%
xs = [1.0, 2.0, 3.0, 4.0]
ys = [2.1, 3.9, 6.2, 7.8]  # 대략 y = 2x이고, 잡음이 조금 섞여 있습니다


def loss(w):
    """데이터 전체에 대한 예측 w·x의 평균 제곱 오차."""
    return sum((w * x - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


for w in (0.0, 1.0, 2.0, 3.0):
    print(f"w = {w:.1f}   loss = {loss(w):7.3f}")

# %% [markdown]
# 학습이란 이 숫자가 가장 작아지는 `w`를 찾는 일입니다. 가중치가 하나라면 모든 `w`에 대해 손실을
# 그려 놓고 눈으로 찾으면 됩니다. 하지만 실제 신경망에는 가중치가 수천 개나 있어서 이런 그림을
# 그려 볼 수가 없습니다. 그래서 *지금 서 있는 점*의 정보, 곧 그 점의 기울기만 쓰는 방법이
# 필요합니다.
#
# ## 한 점에서의 기울기
#
# `w`에서 손실의 기울기는 미분 `dL/dw`입니다. `w`가 한 단위 변할 때 손실이 얼마나 변하는지를
# 나타냅니다. 가중치가 여럿이면 가중치마다 *편미분*(partial derivative)이 하나씩 있고, 각
# 편미분은 다른 가중치를 모두 고정한 채 같은 질문을 던집니다. 이 값은 엔진이 계산해 줍니다.
# `Value`로 손실을 만들고, `backward()`를 부르고, `.grad`를 읽으면 됩니다.

# %%
w = Value(0.5, label="w")
L = loss(w)
L.backward()
print(f"at w = {w.data}:  loss = {L.data:.4f},  slope dL/dw = {w.grad:.4f}")

# %% [markdown]
# 기울기가 음수라는 것은 `w`가 커질수록 손실이 *줄어든다*는 뜻입니다. 즉 오른쪽이 내리막입니다.
# 아래에 그린 접선(tangent line)의 기울기가 바로 이 값입니다. 접선은 `w = 0.5` 근처에서 곡선과
# 가장 잘 들어맞는 직선입니다.

# %%
grid = [i / 100 for i in range(-50, 451)]
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(grid, [loss(g) for g in grid], color="tab:blue", label="loss L(w)")
near = [g for g in grid if abs(g - w.data) <= 0.6]
ax.plot(
    near,
    [L.data + w.grad * (g - w.data) for g in near],
    color="tab:orange",
    lw=2,
    label=f"tangent at w = {w.data}: slope {w.grad:.2f}",
)
ax.plot([w.data], [L.data], "o", color="tab:orange")
ax.annotate("downhill →", (w.data + 0.15, L.data + 4), color="tab:orange")
ax.set(xlabel="weight w", ylabel="loss", ylim=(-2, 40), title="The loss over one weight")
ax.legend()
plt.show()


# %% [markdown]
# ## 손으로 한 스텝 내려가기
#
# 이 손실은 손으로 직접 미분할 수도 있습니다. `L(w) = mean((w·x − y)²)`에 연쇄
# 법칙(chain rule)을 적용하면 다음과 같습니다.
#
# `dL/dw = mean(2 · (w·x − y) · x)`.
#
# 경사 하강법은 가중치를 기울기의 *반대* 방향으로 조금 옮깁니다.
#
# `w_new = w − lr · dL/dw`
#
# 기울기가 음수이면 `w`가 커지고, 양수이면 `w`가 작아집니다. 어느 쪽이든 스텝은 내리막을 향하고,
# 곡선이 가파른 곳일수록 스텝이 큽니다. **학습률** `lr`은 스텝의 크기를 조절합니다. `lr = 0.05`로
# 세 스텝을 진행해 봅시다. 계산은 모두 평범한 산수입니다.


# %%
def slope_by_hand(w):
    return sum(2 * (w * x - y) * x for x, y in zip(xs, ys)) / len(xs)


lr = 0.05
w_hand = 0.5
for step in range(1, 4):
    s = slope_by_hand(w_hand)
    new = w_hand - lr * s
    print(
        f"step {step}: w = {w_hand:.4f}, slope = {s:8.4f}, "
        f"w - lr·slope = {w_hand:.4f} - {lr} · {s:.4f} = {new:.4f}"
    )
    w_hand = new

# %% [markdown]
# ## 같은 스텝을 엔진으로
#
# 이번에는 엔진이 기울기를 구해 줍니다. 반복문에서 중요한 점이 두 가지 있습니다.
#
# - 리프 노드(leaf node), 곧 다른 값으로부터 계산되지 않은 값(여기서는 `w`)의 `.grad`는
#   `backward()`를 부를 때마다 **누적**됩니다(PyTorch와 같습니다). 그래서 매번 부르기 전에 0으로
#   되돌립니다.
# - 갱신(update)은 `w.data`를 직접 바꿉니다. 값을 고쳐 적는 일일 뿐, 계산 그래프에는 들어가지
#   않습니다.
#
# 학습 절차도 끝까지 그대로 따릅니다. **전체 손실이 더 이상 줄어들지 않을 때까지** 스텝을 계속
# 되풀이합니다(여기서는 한 스텝에서 손실이 `1e-9`보다 적게 줄어들 때까지).

# %%
w = Value(0.5, label="w")
history = []
for step in range(1, 101):
    w.grad = 0.0  # 이전 스텝의 기울기를 지웁니다
    L = loss(w)
    L.backward()
    history.append((w.data, L.data))
    if step <= 3:
        print(f"step {step}: w = {w.data:.4f}, slope = {w.grad:8.4f}")
    w.data -= lr * w.grad  # 경사 하강법의 갱신
    if len(history) > 1 and history[-2][1] - history[-1][1] < 1e-9:
        break
print(f"stopped after {step} steps: w = {w.data:.6f}, loss = {loss(w.data):.6f}")

best = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
print(f"the exact minimiser, mean(x·y) / mean(x²) = {best:.6f}")

# %% [markdown]
# 처음 세 기울기는 손으로 구한 값과 정확히 같고, 경사 하강법은 식을 풀어서 얻은 최적의 가중치에서
# 멈춥니다. 곡선 위에 그려 보면, 곡선이 가파른 곳에서는 스텝이 크고, 바닥 근처에서 기울기가
# 완만해질수록 스텝이 작아집니다.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(grid, [loss(g) for g in grid], color="tab:blue", lw=1)
path_w = [h[0] for h in history[:8]]
ax.plot(
    path_w,
    [loss(p) for p in path_w],
    "o-",
    color="tab:red",
    ms=5,
    label="gradient descent, lr = 0.05",
)
for i, p in enumerate(path_w[:3]):
    ax.annotate(f"{i}", (p, loss(p)), textcoords="offset points", xytext=(4, 6))
ax.set(
    xlabel="weight w",
    ylabel="loss",
    ylim=(-2, 40),
    xlim=(-0.5, 4.5),
    title="Each step moves against the slope",
)
ax.legend()
plt.show()


# %% [markdown]
# ## 내려가는 모습은 학습률이 정합니다
#
# 한 스텝의 크기는 `lr · slope`이므로, 학습률은 우리가 직접 정하는 유일한 값입니다. 이 손실은
# `w`에 대한 포물선(`w·x − y`를 제곱해서 더한 것)입니다. 그래서 스텝마다 최솟값까지의 거리에 같은
# 배율 `1 − lr · L''`이 곱해집니다(여기서는 `L'' = 2 · mean(x²) = 15`). 이로부터 네 가지 움직임을
# 예측할 수 있습니다.
#
# | 학습률 | 배율 | 일어나는 일 |
# |---|---|---|
# | 0.002 | 0.97 | **기어갑니다**: 방향은 맞지만 스텝이 아주 작습니다 |
# | 0.05 | 0.25 | 빠르게 **수렴합니다** |
# | 0.12 | −0.8 | **진동합니다**: 매번 반대편으로 지나치지만, 결국 자리를 잡습니다 |
# | 0.14 | −1.1 | **발산합니다**: 지나칠 때마다 지난번보다 더 멀리 지나칩니다 |
#
# 같은 가중치에서 출발해 네 경우를 스무 스텝씩 지켜봅시다.


# %%
def descend(lr, w0=0.5, steps=20):
    """w0에서 출발해 `loss`에 경사 하강법을 적용하며 거쳐 간 가중치들."""
    w = Value(w0)
    path = [w.data]
    for _ in range(steps):
        w.grad = 0.0
        loss(w).backward()
        w.data -= lr * w.grad
        path.append(w.data)
    return path


rates = {0.002: "crawls", 0.05: "converges", 0.12: "oscillates", 0.14: "diverges"}
fig, axes = plt.subplots(2, 2, figsize=(8, 5.4), sharex=True, sharey=True)
for ax, (rate, verdict) in zip(axes.flat, rates.items()):
    path = descend(rate)
    ax.plot(grid, [loss(g) for g in grid], color="tab:blue", lw=1)
    ax.plot(path, [loss(p) for p in path], "o-", color="tab:red", ms=3, lw=0.8)
    ax.plot(path[:1], [loss(path[0])], "o", color="black", ms=5)
    ax.set(title=f"lr = {rate}: {verdict}", ylim=(-2, 40), xlim=(-0.5, 4.5))
    print(f"lr = {rate:<5}  after 20 steps: w = {path[-1]:9.4f}, loss = {loss(path[-1]):10.4f}")
for ax in axes[:, 0]:
    ax.set_ylabel("loss")
for ax in axes[1]:
    ax.set_xlabel("w")
plt.tight_layout()
plt.show()

# %% [markdown]
# 같은 네 번의 실행을 이번에는 스텝 수에 따른 손실로 그려 봅니다(아주 작은 손실과 아주 큰 손실이
# 한 그림에 들어가도록 로그 눈금을 씁니다). 기어가는 경우는 거의 움직이지 않고, 알맞은
# 학습률에서는 손실이 빠르게 떨어집니다. 진동하는 경우도 그만큼 매끄럽게 떨어지고, 발산하는 경우는
# 점점 올라갑니다. 이 그림에서는 진동이 보이지 않습니다. 가중치는 최솟값의 한쪽에서 반대쪽으로
# 건너뛰지만(위의 그림), 손실은 최솟값에서 얼마나 떨어진 곳에 내려앉는지에만 달려 있고, 그 거리는
# 스텝마다 같은 배율 0.8로 줄어들기 때문입니다.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for rate, verdict in rates.items():
    ax.plot([loss(p) for p in descend(rate)], "o-", ms=3, label=f"lr = {rate} ({verdict})")
ax.set(
    yscale="log",
    xlabel="step",
    ylabel="loss (log scale)",
    title="Loss during training, for four learning rates",
)
ax.legend(fontsize=9)
plt.show()


# %% [markdown]
# 모든 문제에 들어맞는 학습률은 없습니다. 알맞은 학습률은 손실이 얼마나 휘어 있는지에 달려 있는데,
# 실제 손실은 곳에 따라, 방향에 따라 휜 정도가 다릅니다. 그래서 학습률은 보통 이것저것 시도해 보며
# 찾습니다. 다음 장의 옵티마이저(optimizer)가 학습하는 동안 스텝의 크기를 스스로 조절하는 것도 그
# 때문입니다.
#
# ## 가장 낮지는 않은 골짜기: 지역 최솟값
#
# 실제 신경망의 손실은 깔끔한 그릇 모양 하나가 아닙니다. 가중치가 하나인 손실을 하나 지어내
# 봅시다. 골짜기가 두 개인데, 오른쪽 골짜기는 얕고 왼쪽 골짜기는 더 깊습니다.


# %%
def bumpy(w):
    """골짜기가 두 개인 손실."""
    return w**4 - 3 * w**2 + w


def descend_bumpy(lr, w0, steps=200):
    w = Value(w0, label="w")
    path = [w.data]
    for _ in range(steps):
        w.grad = 0.0
        bumpy(w).backward()
        w.data -= lr * w.grad
        path.append(w.data)
    return path, w.grad


small, slope_at_end = descend_bumpy(lr=0.01, w0=2.0)
print(
    f"lr = 0.01 from w = 2: stops at w = {small[-1]:.4f}, loss = {bumpy(small[-1]):.4f}, "
    f"slope there = {slope_at_end:.1e}"
)
left = [g / 100 for g in range(-200, 201)]
lowest = min(left, key=bumpy)
print(f"the lowest point on the curve is near w = {lowest:.2f}, loss = {bumpy(lowest):.4f}")

# %% [markdown]
# `w = 2`에서 작은 학습률로 출발하면, 경사 하강법은 오른쪽 골짜기로 미끄러져 내려가 멈춥니다.
# *어느* 골짜기든 바닥에서는 기울기가 0이므로, `w − lr · 0`은 다시 `w`입니다. 언덕 너머에 더
# 깊은 골짜기가 있다는 것을 알아챌 방법이 없습니다.
#
# 학습률이 크면 스텝도 커집니다. 같은 출발점에서 `lr = 0.1`로 하면 첫 스텝이 언덕 건너편에
# 내려앉을 만큼 커서, 결국 더 깊은 골짜기에서 끝납니다. 큰 스텝에 거는 기대가 바로 이것입니다.
# 하지만 이것은 운이지 방법이 아닙니다. `lr = 0.2`로 하면 같은 출발점에서 도리어 멀리 튕겨 나가
# 버립니다(아래 출력).

# %%
big, _ = descend_bumpy(lr=0.1, w0=2.0)
print(
    f"lr = 0.1 from w = 2: w goes {big[0]:.2f} → {big[1]:.2f} → ... → {big[-1]:.4f}, "
    f"loss = {bumpy(big[-1]):.4f}"
)
wild, _ = descend_bumpy(lr=0.2, w0=2.0, steps=4)
print("lr = 0.2 from w = 2: w goes " + " → ".join(f"{p:.4g}" for p in wild) + " → ...")

curve = [g / 100 for g in range(-190, 215)]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
for ax, (path, title) in zip(
    axes,
    [
        (small, "lr = 0.01: stuck in the local minimum"),
        (big, "lr = 0.1: one long step over the hump"),
    ],
):
    ax.plot(curve, [bumpy(c) for c in curve], color="tab:blue", lw=1)
    ax.plot(path[:40], [bumpy(p) for p in path[:40]], "o-", color="tab:red", ms=3, lw=0.8)
    ax.plot(path[:1], [bumpy(path[0])], "o", color="black", ms=6, label="start")
    ax.plot(path[-1:], [bumpy(path[-1])], "*", color="gold", mec="black", ms=14, label="end")
    ax.set(title=title, xlabel="w", ylim=(-4.2, 7))
    ax.legend(loc="upper center")
axes[0].set_ylabel("loss")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 핵심 정리
#
# - **손실**은 모델이 얼마나 틀렸는지를 나타내는 숫자 하나이고, 학습은 이 숫자를 작게 만드는
#   일입니다.
# - `backward()`로 구한 **기울기** `dL/dw`는 어느 쪽이 내리막인지, 그리고 얼마나 가파른지 알려
#   줍니다.
# - **경사 하강법**은 손실이 더 이상 줄지 않을 때까지 `w ← w − lr · slope`를 되풀이합니다.
#   `backward()`를 부를 때마다 그 전에 `.grad`를 0으로 되돌려야 합니다.
# - **학습률**은 균형을 잡는 문제입니다. 너무 작으면 기어가고, 너무 크면 진동하거나 발산합니다.
# - 기울기가 0인 곳에서는 경사 하강법이 멈춥니다. 그곳이 **지역 최솟값**이라도 마찬가지입니다.
#
# 가중치가 수천 개라면 가중치마다 자기 편미분과 자기 스텝이 있고, 이 모두가 `backward()` 한 번으로
# 나옵니다. 그 한 번의 호출이 어떻게 모든 기울기를 찾아내는지는 5장(역전파)에서, `lr · slope`보다
# 나은 스텝을 고르는 방법은 4장(옵티마이저)에서 다룹니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 세 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 손으로 해 보는 한 스텝.** 같은 네 점에서 `w = 1.0`으로 출발합니다. 그 자리의 기울기
# `dL/dw = mean(2 · (w·x − y) · x)`를 구하고, 이어서 `lr = 0.05`로 경사 하강법을 한 스텝 진행해
# 보십시오.

# %%
slope = ...  # w = 1.0에서 구한 dL/dw
w_new = ...  # w = 1.0에서 lr = 0.05로 한 스텝 간 뒤의 w
check_step(slope, w_new)

# %% [markdown]
# **2. 가장 큰 학습률.** 위의 표에 따르면 `0.12`는 진동하다가 자리를 잡고, `0.14`는 발산합니다.
# 스텝마다 최솟값까지의 거리에 곱해지는 배율 `1 − lr · 15`로부터, 발산하지 않는 가장 큰 학습률을
# 구해 보십시오. 확인 함수는 그 값의 양쪽에서 경사 하강법을 실행해 봅니다.

# %%
largest_lr = ...  # 이 손실에서 발산하지 않는 가장 큰 학습률
check_largest_lr(largest_lr)

# %% [markdown]
# **3. 어느 골짜기로 갈까요?** `w = 2`에서 `lr = 0.01`로 출발한 경사 하강법은 얕은 골짜기에서
# 멈추었습니다. 똑같이 내려가서 더 깊은 골짜기에 닿는 출발점 가운데 가장 큰 값을 찾아보십시오. 답은
# 그 값보다 조금 작아야 하고, 차이는 0.01 이내여야 합니다. 두 골짜기 사이에서 기울기가 0인 곳은
# 어디일까요?

# %%
start = ...  # 더 깊은 골짜기에 닿는 가장 큰 출발점
check_hump(start)
