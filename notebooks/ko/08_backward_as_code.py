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
# # 8 · 코드로 쓴 역전파
#
# 역전파(backpropagation)를 하는 `backward()`는 실행될 때마다 그래프를 훑습니다. 화살표를 하나
# 지날 때마다 `parent.grad += ∂child/∂parent · child.grad`라는 곱하고 더하기를 한 번 합니다.
# 그리고 새 예제가 들어올 때마다 그래프를 다시 만들고 다시 훑습니다. 그런데 한 예제의 그래프는
# 다음 예제의 그래프와 모양이 똑같고, 다른 것은 숫자뿐입니다. `engine.compile`은 바로 이 점을
# 이용합니다. 그래프를 한 번만 추적(trace)해서 그 훑는 과정을 파이썬 소스 코드로 적어 두는데,
# 곱하고 더하기 하나가 코드 한 줄입니다. 그런 다음 이 코드를, 예제 여러 개를 묶은 배치(batch)
# 전체에 한꺼번에 실행합니다.
#
# 1. 뉴런 하나를 컴파일하고 코드를 읽어 봅니다. 파이썬 코드로 적힌 연쇄
#    법칙(chain rule)입니다.
# 2. 이 코드가 `backward()`와 정확히 같은 값을 계산하는지 확인합니다.
# 3. 매개변수(parameter)가 4,417개인 신경망을 컴파일해서, 지금까지 써 온 즉시 실행(eager)
#    엔진과 속도를 비교하고, 점 2,000개로 학습시킵니다.

# %%
# %matplotlib inline
import math
import random
import time

import matplotlib.pyplot as plt
import numpy as np

from engine import Value, compile
from nn import MLP, datasets
from nn.exercises.lesson8 import check_backward, check_line_count  # 연습 문제
from nn.optim import Adam

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## 뉴런 하나를 컴파일하기
#
# 가중치 `w`와 편향 `b`로 된 뉴런 하나가 있고, 예제 하나 `(x, y)`에서 이 뉴런이 낸 답의 제곱
# 오차(squared error)를 손실로 씁니다. `compile`은 예제 하나로 함수를 한 번 실행해서 그래프를
# 추적합니다(이때 예제의 숫자는 상관없고, 계산의 모양만 중요합니다). `params`에는 어떤 Value가
# 가중치인지, 곧 어떤 값의 기울기(gradient)를 구하고 싶은지 적습니다.

# %%
w = Value(0.5, label="w")
b = Value(0.0, label="b")


def loss(x, y):
    """뉴런 하나 tanh(w·x + b)가 예제 하나에서 내는 제곱 오차."""
    return ((w * x + b).tanh() - y) ** 2


step = compile(loss, (1.0, 0.0), params=[w, b])
print(step.graph)

# %% [markdown]
# 위 출력은 추적이 기록한 내용으로, 노드 하나가 식 한 줄입니다. `p0`과 `p1`은 매개변수 `w`와
# `b`이고, `x`와 `y`는 예제입니다. `v`로 시작하는 이름은 저마다 그래프의 노드 하나이고, 그래프 안의
# 자리에 따라 번호가 붙습니다. `compile`은 이 식들로 순전파와 역전파를 모두 파이썬 코드로 적어
# 냅니다.

# %%
print(step.source_per_node)

# %% [markdown]
# 이것은 평범한 파이썬 숫자로 된 배치를 위한 코드입니다. 반복문이 한 바퀴 돌 때마다 예제
# 하나를 처리합니다. 두 부분으로 나누어 읽어 봅시다.
#
# - **순전파**(forward)는 위에서 아래로 읽습니다. 그래프의 노드 하나가 한 줄입니다.
#   `v2 = p0 * v1`은 `w · x`이고, 이어서 `+ b`, `tanh`, `− y`, 제곱이 차례로 나옵니다. 주석은
#   연산의 이름입니다.
# - **역전파**(backward)는 `g8 = scale`부터 아래로 읽습니다. 화살표 하나가 한 줄이고, 줄의 순서는
#   `backward()`가 화살표를 지나가는 순서와 같습니다. 줄마다 국소 미분(local derivative)
#   `∂child/∂parent`에, 자식 노드까지 도착한 기울기를 곱합니다. 주석은 그 미분의 규칙을 코드 속
#   이름으로 적은 것입니다. 예를 들어 `g4 = (1.0 - v5 * v5) * g5`는 tanh의 미분 `1 − tanh²`에
#   `dL/d(tanh)`를 곱한 것이고, 주석에도 그렇게 적혀 있습니다(`∂v5/∂v4 = 1 - tanh(v4)²`). `w`와
#   `b`의 기울기인 `gp0`과 `gp1`의 줄이 `+=`인 까닭은, 배치의 예제마다 두 기울기에 자기 몫을 더하기
#   때문입니다.
#
# 새로운 것은 하나도 없습니다. 1장의 연쇄 법칙을 예제마다 새로 찾아내는 대신, 한 번 적어 둔 것일
# 뿐입니다.
#
# ## `backward()`와 같은 숫자
#
# 배치를 넣어 `step`을 호출하면 평균 손실을 돌려주고, 그 평균의 기울기를 `w.grad`와 `b.grad`에
# *더합니다*. `backward()`가 하는 일과 같습니다. 같은 예제 세 개로 즉시 실행 엔진을 돌려
# 비교해 봅시다.

# %%
xs, ys = [1.0, 2.0, -1.0], [0.0, 1.0, 0.0]
compiled_loss = step(xs, ys)
compiled_grads = (w.grad, b.grad)

w.grad = b.grad = 0.0
eager = sum(loss(x, y) for x, y in zip(xs, ys)) / len(xs)
eager.backward()
print(f"mean loss   compiled {compiled_loss:.15f}   eager {eager.data:.15f}")
print(f"dL/dw       compiled {compiled_grads[0]:.15f}   eager {w.grad:.15f}")
print(f"dL/db       compiled {compiled_grads[1]:.15f}   eager {b.grad:.15f}")

# %% [markdown]
# ## 배치를 한꺼번에: 층이 행렬 곱이 됩니다
#
# 리스트 대신 numpy 배열을 주면 같은 `step`이 다른 코드를 실행합니다. 모든 예제가 각 줄을
# 한꺼번에 지나갑니다. 그리고 한 층의 뉴런들은 모두 같은 입력으로 `Σ w·x + b`를 계산하므로, 층
# 전체가 행렬 곱(matrix product) 하나가 됩니다. 실제로 실행되는 코드는 `step.source`로 볼 수
# 있습니다.

# %%
print(step.source)

# %% [markdown]
# 같은 뉴런을 배치 전체에 대해 계산하는 코드입니다. `z1 = W_z1 @ x_z1 + b_z1`은 모든 예제의
# `w · x + b`를 한 번에, 예제마다 열 하나씩 구합니다(여기서는 가중치 행렬이 1×1이지만, 뉴런이
# 64개인 층이라면 행이 64개입니다). 그리고 역전파의 끝에 있는 `gW_z1 = g_z1 @ x_z1.T`는 모든
# 가중치의 기울기를 배치 전체에 걸쳐 더한 값을, 행렬 곱 한 번으로 구합니다.

# %% [markdown]
# ## 진짜 신경망: 즉시 실행과 컴파일 비교
#
# `MLP(2, [64, 64, 1])`에는 가중치가 수천 개 있고, 예제 하나의 그래프에는 노드가 수천 개
# 있습니다(둘 다 아래에서 세어 봅니다). moons 데이터의 점 2,000개를 쓰면 한 번 계산할 때마다 노드
# 수가 다시 2,000배로 늘어나니, 즉시 실행 엔진으로는 몇 분이 걸립니다. 그래서 즉시 실행 엔진은
# 처음 50개 점으로 시간을 재고, 컴파일한 스텝은 같은 50개와 2,000개 전체로 잽니다. 목표값은 −1과
# +1이므로, 점수가 양수이면 클래스 1입니다. (시간은 이 노트북을 실행한 컴퓨터에서 잰 값입니다.
# 여러분의 컴퓨터에서는 다르게 나옵니다.)

# %%
X, y = datasets.moons(n=2000, noise=0.15, seed=SEED)
targets = [2.0 * label - 1 for label in y]  # 클래스 0 → −1, 클래스 1 → +1
model = MLP(2, [64, 64, 1], activation="tanh", seed=SEED)


def squared_error(x, target):
    """예제 하나에서 신경망이 내는 제곱 오차."""
    return (model(x) - target) ** 2


start = time.perf_counter()
network_step = compile(squared_error, ([0.0, 0.0], 0.0), params=model.parameters())
print(f"tracing and compiling once: {time.perf_counter() - start:.2f} s")
print(
    f"{len(model.parameters()):,} parameters, {len(network_step.graph.nodes):,} nodes per example"
)

X_all, t_all = np.array(X), np.array(targets)
network_step(X_all[:50], t_all[:50])  # 첫 호출은 추적 결과도 검사하므로 시간을 재지 않습니다


def seconds(run, repeat=3):
    """몇 번 실행한 가운데 가장 빠른 시간: 컴퓨터가 하는 다른 일에 가장 덜 방해받은 실행입니다."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def eager_pass(n):
    loss = sum(squared_error(x, t) for x, t in zip(X[:n], targets[:n])) / n
    loss.backward()


eager_50 = seconds(lambda: eager_pass(50), repeat=1)
compiled_50 = seconds(lambda: network_step(X_all[:50], t_all[:50]))
compiled_all = seconds(lambda: network_step(X_all, t_all))
print(f"eager,      50 points: {eager_50:8.4f} s")
print(f"compiled,   50 points: {compiled_50:8.4f} s   ({eager_50 / compiled_50:.0f}× faster)")
print(f"compiled, 2000 points: {compiled_all:8.4f} s")

# %% [markdown]
# ## 몇 초 만에 학습시키기
#
# 이제 학습의 한 스텝은 이렇습니다. 기울기를 0으로 지우고, 컴파일한 스텝을 배치 전체에
# 실행하고(기울기는 스텝이 더해 줍니다), 옵티마이저(optimizer)가 가중치를 갱신하게 합니다.
# 컴파일한 스텝은 실행할 때마다 가중치의 현재 `.data`를 읽으므로, 갱신한 값이 바로 반영됩니다.

# %%
for p in model.parameters():
    p.grad = 0.0
optimizer = Adam(model.parameters(), lr=0.01)
losses = []
start = time.perf_counter()
for _ in range(150):
    optimizer.zero_grad()
    losses.append(network_step(X_all, t_all))
    optimizer.step()
print(f"150 steps on 2,000 points in {time.perf_counter() - start:.1f} s")

predict = compile(model, ([0.0, 0.0],))  # params 없이: 그림에 쓸 출력만 계산합니다
accuracy = np.mean((predict(X_all) > 0) == (t_all > 0))
print(f"final loss {losses[-1]:.4f}, accuracy {accuracy:.1%}")

g1, g2 = np.linspace(-1.6, 2.6, 120), np.linspace(-1.1, 1.6, 100)
grid = np.array([[a, c] for c in g2 for a in g1])
scores = predict(grid).reshape(len(g2), len(g1))

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.plot(losses)
left.set(xlabel="step", ylabel="mean squared error", title="training, compiled")
right.contourf(
    g1, g2, scores, levels=[scores.min(), 0, scores.max()], colors=["#b5bce8", "#e8a5b0"]
)
right.contour(g1, g2, scores, levels=[0], colors="k", linewidths=1)
right.scatter(X_all[:, 0], X_all[:, 1], c=y, cmap="coolwarm", s=4)
right.set(title="decision boundary, 2,000 points", xlabel="x₁", ylabel="x₂")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 핵심 정리
#
# - 그래프의 모양이 정해지면 역전파는 곱하고 더하기를 정해진 순서로 늘어놓은 목록일 뿐입니다.
#   `compile`은 그 목록을 사람이 읽을 수 있는 코드로 적어 줍니다.
# - 역전파 코드의 한 줄은 그래프의 화살표 하나입니다. 국소 미분에 출력 쪽에서 도착한 기울기를
#   곱합니다. 컴파일한 코드가 내는 숫자는 `backward()`가 내는 숫자와 같습니다.
# - 같은 코드를 배열에 실행하면 배치 전체를 한꺼번에 처리하고, 층 하나는 행렬 곱 하나가 됩니다.
#   공부용 엔진에서 PyTorch 같은 프레임워크가 실제로 돌아가는 방식으로 건너가는 징검다리입니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 두 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 역전파를 직접 써 보기.** 이 장 맨 위에 나온 뉴런에서 tanh 대신 시그모이드를 씁니다. 손실은
# `(sigmoid(w·x + b) − y)²`입니다. 이 손실의 역전파를 `compile`이 쓰는 방식대로, 화살표 하나에 한
# 줄씩 써 보십시오. `...` 하나하나가 국소 미분 하나이고, 여기에 도착한 기울기를 곱합니다. 확인
# 함수는 위의 예제 세 개에서 여러분의 `dL/dw`, `dL/db`를 `backward()`의 결과와 비교합니다.


# %%
def neuron_backward(w, b, x, y):
    """L = (sigmoid(w·x + b) - y)²의 dL/dw와 dL/db, 화살표 하나에 한 줄씩."""
    a = 1 / (1 + math.exp(-(w * x + b)))  # 순전파: 가중합에 시그모이드를 씌운 값
    g_a = 2 * (a - y)  # dL/da: 제곱의 국소 미분(곱하기 dL/dL = 1)
    g_z = ... * g_a  # dL/dz = ∂a/∂z · dL/da
    return ... * g_z, ... * g_z  # dL/dw = ∂z/∂w · dL/dz, 그리고 dL/db = ∂z/∂b · dL/dz


check_backward(neuron_backward)

# %% [markdown]
# **2. 코드 예측하기.** 뉴런에 입력을 하나 더 줍니다. 손실은
# `((w1·x1 + w2·x2 + b).tanh() − y)²`이고, 매개변수는 `w1, w2, b`입니다. 컴파일하기 전에 역전파
# 코드를 예측해 보십시오. `g… = scale`부터 아래로 모두 몇 줄이고, 그 가운데 `+=`인 줄은 몇 줄일까요?
# 확인 함수가 직접 컴파일해서 줄을 세고, 그 줄들을 보여 줍니다.

# %%
lines = ...  # 역전파의 줄 수(g... = scale 줄 포함)
accumulating = ...  # 그 가운데 +=인 줄 수
check_line_count(lines, accumulating)
