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
# # 6 · 분류기 학습시키기
#
# 지금까지 배운 것이 모두 한자리에 모입니다. 은닉층(hidden layer)과 활성화 함수(activation
# function)를 갖춘 신경망(2장), 손실 함수(loss function)와 경사 하강법(gradient descent,
# 3장), 옵티마이저(optimizer, 4장), 그리고 모든 기울기를 계산하는 역전파(backpropagation,
# 5장)입니다. `nn.fit`은 순전파, 손실 계산, 역전파, 갱신으로 이루어진 반복을 에폭(epoch)마다
# 실행합니다. 진행 표시줄도 보여 주고, 손실이 더 나아지지 않으면 스스로 멈출 수도 있습니다.
#
# 과제는 두 가지입니다.
#
# 1. **moons** — 서로 맞물린 반원 두 개로, 예/아니요를 가리는 이진(binary) 문제입니다.
# 2. **spirals** — 서로 얽힌 나선 팔 세 개로, 클래스가 셋인 문제입니다.
#    소프트맥스(softmax)와 교차 엔트로피(cross-entropy) 손실을 씁니다.
#
# 마지막으로, 학습한 모델을 파일로 저장했다가 다시 불러옵니다.

# %%
# %matplotlib inline
import json
import os
import random
import tempfile

import matplotlib.pyplot as plt

import nn
from nn import MLP, datasets, evaluate, fit
from nn.exercises.lesson6 import check_batches, check_cross_entropy, check_no_hidden_moons

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})


home = os.getcwd()
scratch = tempfile.TemporaryDirectory()  # 저장한 모델은 임시 폴더에 둡니다
os.chdir(scratch.name)

# %% [markdown]
# ## Moons: 이진 분류기
#
# 점 집합을 두 벌 준비합니다. 한 벌은 학습에 쓰는 훈련 세트(training set)이고, 다른 한 벌은
# 테스트에 쓰는 테스트 세트(test set)입니다. 테스트용 점들은 같은 모양에서 뽑았지만, 학습하는 동안
# 신경망에 한 번도 보여 주지 않습니다. 훈련 세트의 점들을 외우기만 한 모델은 훈련 세트에서는
# 잘하고 테스트 세트에서는 못합니다. 이것이 **과적합**(overfitting)이며, 과적합을 드러낼 수 있는
# 것은 테스트 세트뿐입니다.

# %%
X, y = datasets.moons(n=100, noise=0.15, seed=SEED)
X_test, y_test = datasets.moons(n=100, noise=0.15, seed=SEED + 1)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True, sharey=True)
for ax, (points, labels, title) in zip(
    axes, [(X, y, "training set"), (X_test, y_test, "test set")]
):
    ax.scatter(
        [p[0] for p in points],
        [p[1] for p in points],
        c=labels,
        cmap="coolwarm",
        edgecolors="k",
        linewidths=0.5,
        s=25,
    )
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
plt.tight_layout()
plt.show()

# %% [markdown]
# 신경망은 입력 2개, tanh 뉴런 8개짜리 은닉층 2개, 출력 점수 1개로 이루어집니다(점수가
# 양수이면 클래스 1입니다). 손실은 이 점수에 대한 이진 교차 엔트로피(`bce_with_logits`)이고,
# 옵티마이저는 학습률(learning rate) 0.05의 Adam입니다.
#
# **조기 종료**(early stopping). 에폭은 최대 300까지 허용하지만, `patience=10`이면 손실이 10 에폭
# 연속으로 `min_delta=0.001` 이상 줄어들지 않는 순간 학습을 끝냅니다. 3장의 "전체 손실이 더 이상
# 줄어들지 않을 때까지 반복한다"를 정확한 규칙으로 만든 것입니다. 진행 표시줄은 학습하는 동안
# 에폭, 손실, 정확도(accuracy)를 보여 줍니다.

# %%
model = MLP(2, [8, 8, 1], activation="tanh", seed=SEED)
print(model, f"with {len(model.parameters())} parameters")
history = fit(
    model,
    X,
    y,
    loss="bce_with_logits",
    optimizer="adam",
    lr=0.05,
    epochs=300,
    patience=10,
    min_delta=1e-3,
    seed=SEED,
)
print(history)

# %% [markdown]
# (진행 표시줄은 학습하는 동안 같은 줄을 계속 다시 그리다가 마지막 상태로 남습니다. 허용된
# 300 에폭 가운데 몇 번째 에폭에서 학습이 멈췄는지가 표시됩니다. 그 아래 줄은
# `print(history)`가 찍은 요약입니다.)
#
# **학습 곡선**(learning curve), 곧 에폭마다 손실과 정확도를 그린 곡선은 전형적인 모양을
# 보여 줍니다. 처음에 빠르게 떨어지고, 조기 종료가 학습을 끝낼 때까지 길고 평평한 꼬리가
# 이어집니다. 점선은 조기 종료 기준으로 본 "최고" 에폭을 표시합니다. 그때까지의 최저 손실을
# `min_delta`보다 크게 낮춘 마지막 에폭입니다. 그 뒤의 에폭들도 손실을 조금씩 더 깎을 수는
# 있지만(요약 줄의 최종 손실을 최고 에폭의 손실과 비교해 보십시오), 한 번에 깎는 양이
# `min_delta`보다 적습니다. 기다릴 만한 가치가 없습니다.
# (`fit(..., restore_best_weights=True)`로 실행하면 그 에폭의 가중치를 되돌려 놓습니다.)

# %%
nn.plot.loss_curve(history)
plt.show()

# %% [markdown]
# 신경망이 한 번도 보지 못한 테스트 점들에서는 어떨까요?

# %%
test_loss, test_accuracy = evaluate(model, X_test, y_test, loss="bce_with_logits")
print(
    f"training accuracy {history.accuracy[-1]:.0%}, "
    f"test accuracy {test_accuracy:.0%} (test loss {test_loss:.3f})"
)

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
nn.plot.decision_boundary(model, X, y, ax=axes[0])
axes[0].set_title("decision boundary, training points")
nn.plot.decision_boundary(model, X_test, y_test, ax=axes[1])
axes[1].set_title("the same boundary, test points")
plt.tight_layout()
plt.show()

# %% [markdown]
# 결정 경계(decision boundary)는 두 반원 사이를 휘감아 돌고, 테스트 정확도는 훈련 정확도만큼
# 높습니다. 신경망이 학습 때 본 점들만 외운 것이 아니라 데이터의 *모양*을 배웠다는 뜻입니다.
# (성능을 정직하게 재는 것은 테스트 세트입니다. 모델은 학습에 쓴 점에서는 언제든 잘할 수
# 있습니다.)
#
# ## Spirals: 소프트맥스와 교차 엔트로피로 세 클래스 가르기
#
# 나선 팔이 세 개 있고, 팔 하나가 클래스 하나입니다. 직선으로는 두 팔조차 가를 수 없습니다.

# %%
Xs, ys = datasets.spirals(n=90, classes=3, noise=0.1, seed=SEED)
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(
    [p[0] for p in Xs],
    [p[1] for p in Xs],
    c=ys,
    cmap="viridis",
    edgecolors="k",
    linewidths=0.5,
    s=25,
)
ax.set(title="three spiral arms", xlabel="x₁", ylabel="x₂", aspect="equal")
plt.show()

# %% [markdown]
# 클래스가 셋이면 신경망의 출력도 셋이고, 클래스마다 점수가 하나씩 나옵니다.
# **소프트맥스**는 점수를 확률로 바꿉니다. **교차 엔트로피** 손실은 정답 클래스가 받은
# 확률에 로그를 취해 부호를 바꾼 값입니다. 신경망이 자신 있게 맞히면 0에 가깝고, 자신 있게
# 틀리면 큽니다. 학습하지 않은 신경망으로 점 하나에 대해 이 값을 직접 계산해 보고,
# `nn.cross_entropy`로도 계산해 봅시다.

# %%
spiral_model = MLP(2, [8, 8, 3], activation="tanh", seed=SEED)
point, label = Xs[0], ys[0]
scores = spiral_model(point)
probs = nn.softmax(scores)
print("scores       ", [round(s.data, 4) for s in scores])
print("softmax      ", [round(p.data, 4) for p in probs])
print(f"correct class {label}:  −log p = {-probs[label].log().data:.4f}")
print(f"nn.cross_entropy         = {nn.cross_entropy([scores], [label]).data:.4f}")

start_loss = nn.cross_entropy([spiral_model(x) for x in Xs], ys).data
print(f"\naverage over all {len(Xs)} points: {start_loss:.4f}")

# %% [markdown]
# 학습하지 않은 신경망의 점수는 제멋대로입니다. 어떤 점은 맞히고 어떤 점은 틀립니다(이 점은 정답
# 클래스가 낮은 확률을 받아서 손실이 큽니다). 모든 점의 손실을 평균하면 무작정 찍었을 때와 비슷한
# `−log(1/3) ≈ 1.10` 정도가 나옵니다. 학습은 모든 점에서 정답 클래스의 확률을 1 쪽으로 밀어
# 올립니다.
#
# 이번에는 점 30개씩 묶은 **미니배치**(mini-batch)로 학습합니다. 데이터 전체를 한 번 훑을 때마다가
# 아니라 배치(batch) 하나가 끝날 때마다 가중치를 갱신하므로, 한 에폭에 갱신이 세 번 일어납니다.
# 점의 순서는 에폭마다 새로 섞습니다(시드를 정해 두었으므로 몇 번을 실행해도 결과가 같습니다).

# %%
spiral_history = fit(
    spiral_model,
    Xs,
    ys,
    loss="cross_entropy",
    optimizer="adam",
    lr=0.05,
    epochs=150,
    batch_size=30,
    patience=10,
    min_delta=1e-3,
    seed=SEED,
)
print(spiral_history)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.9))
nn.plot.loss_curve(spiral_history, ax=axes[0])
nn.plot.decision_boundary(spiral_model, Xs, ys, ax=axes[1])
axes[1].set_title("three classes, three regions")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 저장하고 불러오기
#
# 학습한 모델은 결국 숫자들일 뿐입니다. `model.save(path)`는 이 숫자들을 모델의 구조와 함께
# 작은 JSON 파일에 씁니다(사람이 읽을 수 있는 텍스트이고, pickle은 절대 쓰지 않습니다).
# `load`는 구조가 같은지 확인한 다음, 같은 구조의 모델에 이 숫자들을 다시 읽어 들입니다.

# %%
spiral_model.save("spirals.json")
print(f"spirals.json: {os.path.getsize('spirals.json'):,} bytes")
with open("spirals.json") as file:
    saved = json.load(file)
print("keys:", list(saved))

# %%
restored = MLP(2, [8, 8, 3], activation="tanh", seed=123)  # 다른 무작위 가중치
restored.load("spirals.json")

same = all(a.data == b.data for x in Xs for a, b in zip(spiral_model(x), restored(x)))
print("the restored model gives exactly the same scores on every point:", same)
_, restored_accuracy = evaluate(restored, Xs, ys, loss="cross_entropy")
print(f"restored accuracy: {restored_accuracy:.1%}")

# %% [markdown]
# 구조가 다른 모델에 불러오려고 하면, 무엇이 다른지 알려 주는 메시지와 함께 실패하고 모델은
# 그대로 남습니다. 이때 발생하는 오류는 `nn.CheckpointError`입니다. 불러올 수 없는 저장
# 파일이면(읽을 수 없거나, 손상되었거나, 다른 모델의 파일이면) 언제나 이 오류가 발생합니다.
# 이 오류는 `ValueError`의 한 종류, 곧 하위 클래스(subclass)입니다. 그래서
# `except ValueError`로도 잡을 수 있고, `type(error).__name__`을 출력하면 더 정확한 자기
# 이름이 나옵니다.

# %%
wrong = MLP(2, [4, 3], seed=SEED)
before = wrong.state_dict()
try:
    wrong.load("spirals.json")
except ValueError as error:
    print(f"{type(error).__name__}: {error}")
print("model unchanged:", wrong.state_dict() == before)

# %%
os.chdir(home)  # 임시 폴더에서 나오고, 저장한 모델과 함께 그 폴더를 지웁니다
scratch.cleanup()

# %% [markdown]
# ## 핵심 정리
#
# - `fit`은 지금까지 배운 학습 반복을 담은 함수입니다. 순전파, 손실, 역전파, 한 스텝 갱신을
#   되풀이하고, `patience`를 주면 손실이 더 나아지지 않을 때 멈춥니다.
# - 학습 곡선은 학습이 어떻게 진행되었는지를, 결정 경계는 무엇을 배웠는지를, 테스트 세트는
#   배운 것이 일반화(generalization)되는지를 보여 줍니다.
# - 예/아니요 문제에는 출력 하나와 `bce_with_logits`를, 클래스가 여럿인 문제에는 클래스마다
#   출력 하나씩과 소프트맥스, `cross_entropy`를 씁니다.
# - `save`와 `load`는 학습한 모델을 평범한 JSON 파일로 보관합니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 세 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 손으로 계산하는 교차 엔트로피.** 신경망이 어떤 점에 점수 `[2.0, 0.5, −1.0]`을 주었고, 이 점의
# 정답 클래스는 2입니다. `math.exp`와 `math.log`(먼저 `import math`를 실행합니다)로 이 점의 교차
# 엔트로피 손실을 구해 보십시오. 소프트맥스를 적용한 다음, 정답 클래스가 받은 확률에 로그를 씌우고
# 부호를 바꿉니다.

# %%
loss = ...  # 점수 [2.0, 0.5, -1.0], 정답 클래스 2일 때의 교차 엔트로피
check_cross_entropy(loss)

# %% [markdown]
# **2. 은닉층이 없다면: 예측한 다음 확인하기.** moons 모델에 은닉층이 아예 없다고 해 봅시다. 두
# 입력을 읽는 뉴런 하나뿐인 `MLP(2, [1])`을 같은 방법으로 학습시킵니다. 이 모델은 *테스트* 점을
# 얼마나 맞힐까요? 약 50%(무작위로 찍는 것과 다를 바 없습니다), 약 85%, 아니면 100%일까요? 먼저
# 정하십시오. 확인 함수가 직접 학습시켜 보고 알려 줍니다. (확인 전에 직접 해 보고 싶다면, 위에서
# `[8, 8, 1]`을 `[1]`로 바꾸면 됩니다.)

# %%
prediction = ...  # 50, 85, 100 가운데 하나(테스트 점을 맞힌 비율, 퍼센트)
check_no_hidden_moons(prediction)

# %% [markdown]
# **3. 갱신은 몇 번?** spirals는 점 30개씩 묶은 미니배치로 학습했습니다. 그래서 한 에폭에 갱신이 세
# 번 일어났습니다. 같은 점 90개를 `batch_size=20`으로 학습하면, 10 에폭 동안 가중치가 몇 번
# 갱신될까요? 확인 함수가 그 `fit`을 실행해서 세어 봅니다.

# %%
steps = ...  # 점 90개, batch_size=20으로 10 에폭 동안 가중치를 갱신한 횟수
check_batches(steps)
