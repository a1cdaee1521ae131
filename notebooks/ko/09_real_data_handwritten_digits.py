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
# # 9 · 실제 데이터: 필기체 숫자
#
# 딥러닝을 배울 만한 까닭은 현실의 문제를 풀 수 있다는 데 있습니다. 사진 속의 개와 고양이를
# 구별하고, 메일함에서 스팸을 골라내고, 자동차 사진을 본 층들이 바퀴와 로고를 스스로 찾아냅니다.
# 그런데 지금까지 우리 신경망이 본 것은 평면 위의 점뿐이었습니다. 이 장에서는 실제 데이터로
# 신경망을 학습시킵니다. 데이터는 **필기체 숫자**(handwritten digits) 1,797개입니다. 43명이 종이
# 양식에 손으로 쓴 숫자를 스캔해서 8×8 이미지로 줄인 것입니다. 오래전부터 널리 쓰여 온
# 데이터셋(UCI의 "optical recognition of handwritten digits"로, scikit-learn에도 들어 있는 바로 그
# 데이터)이며, scalarflow에 함께 들어 있어서 따로 내려받을 필요가 없습니다.
#
# 이런 순서로 진행합니다.
#
# 1. 이미지를 살펴보고, 신경망이 실제로 받는 수들도 봅니다.
# 2. 이미지의 5분의 1을 테스트용으로 떼어 두고, 나머지로 신경망을 학습시킵니다. 컴파일해서
#    학습시키고, 즉시 실행(eager)으로 한 에폭을 돌린 시간도 함께 잽니다.
# 3. 한 번도 본 적 없는 숫자를 몇 개나 바르게 읽는지, 어떤 숫자끼리 헷갈리는지 재고, 틀리게
#    읽은 숫자를 그려 봅니다.
# 4. 은닉 뉴런들이 무엇을 찾는지 그려 보고, 은닉층(hidden layer)이 없는 모델과 비교합니다.
# 5. 은닉 뉴런이 몇 개면 충분한지 알아봅니다.

# %%
# %matplotlib inline
import random
import time

import matplotlib.pyplot as plt

from nn import MLP, classify, datasets, fit, plot, predict
from nn.exercises.lesson9 import check_drawing, check_parameters, check_weight_decay
from nn.optim import AdamW

SEED = 0
random.seed(SEED)
plt.rcParams.update({"figure.dpi": 100})

# %% [markdown]
# ## 데이터
#
# 스캔한 이미지는 원래 32×32개의 흑백 점이었습니다. 여기서 4×4 크기의 점 묶음 하나하나가
# **픽셀**(pixel) 하나가 되었고, 픽셀에는 점 16개 가운데 잉크가 묻은 점의 개수가 들어
# 있습니다. `datasets.digits()`는 이 개수를 16으로 나눕니다. 그래서 픽셀은 0.0(종이)부터
# 1.0(온통 잉크)까지의 수이고, 이미지 하나는 이런 수 64개를 한 행씩 차례로 늘어놓은 것입니다.
# 레이블(label)은 어떤 숫자를 썼는지 알려 줍니다.

# %%
X, y = datasets.digits()
print(f"{len(X)} images of {len(X[0])} pixels; labels {sorted(set(y))}")
print("images of each digit:", [y.count(d) for d in range(10)])
print(f"\nthe first image, a {y[0]}, as the pixel counts 0–16:")
for row in range(8):
    print(" ".join(f"{16 * v:2.0f}" for v in X[0][8 * row : 8 * row + 8]))

# %% [markdown]
# 신경망이 받는 것은 이 수 64개가 전부입니다. 수들을 잘 보면 0의 동그란 고리가 어렴풋이
# 보입니다. 잉크를 어둡게 해서 이미지로 그리면, 처음 40개는 이렇습니다.

# %%
plot.images(X[:40], y[:40])
plt.show()

# %% [markdown]
# 같은 숫자라도 쓴 사람에 따라 모양이 다릅니다. 기울어지기도 하고, 굵거나 가늘기도 하고,
# 고리가 열려 있거나 닫혀 있기도 합니다. 사람이 손으로 규칙을 적어서는 이 모두를 읽어 낼 수
# 없습니다. 신경망이 스스로 규칙을 찾아내야 합니다.
#
# ## 훈련 세트와 테스트 세트
#
# 6장에서는 모델을 왜 학습에 쓰지 않은 데이터로 시험해야 하는지 보았습니다. 여기서는 이미지의
# 20%를 떼어 둡니다. `train_test_split`은 떼어 둘 이미지를 무작위로 고르지만(시드를 정해 두므로
# 실행할 때마다 똑같이 나뉩니다), *층화* 방식으로 고릅니다. **층화 추출**(stratified sampling)은
# 모든 클래스에서 같은 비율만큼 뽑는 방법입니다. 그래서 테스트 세트에도 숫자마다 전체 데이터에서와
# 거의 같은 비율로 들어갑니다.

# %%
X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=SEED)
print(f"{len(X_train)} images to train on, {len(X_test)} to test on")
print("test images of each digit:", [y_test.count(d) for d in range(10)])

# %% [markdown]
# ## 입력이 64개인 퍼셉트론
#
# 2장의 퍼셉트론(perceptron)은 입력 두 개(어느 가게의 6월과 7월 매출)를 받아서, 입력마다 가중치를
# 곱하고 편향을 더했습니다. 이 계산에는 입력의 개수를 따지는 부분이 하나도 없습니다. 이미지를 읽는
# 뉴런은 픽셀마다 하나씩 가중치 64개를 가지고 `w1·x1 + w2·x2 + … + w64·x64 + b`를 계산합니다.
# 숫자를 읽는 신경망은 이런 뉴런들을 층으로 쌓은 것입니다. 여기서는 64개 픽셀을 모두 읽는 은닉
# 뉴런 32개가 있고, 그 뒤에 숫자마다 점수를 하나씩 내는 출력 뉴런 10개가 있습니다. 6장의
# 나선(spirals) 데이터 때처럼, 점수는 소프트맥스(softmax)로 확률이 되고 교차
# 엔트로피(cross-entropy)로 학습합니다. `MLP(64, [32, 10])`의 매개변수(parameter)는
# 64·32 + 32 + 32·10 + 10 = 2,410개입니다.
#
# 옵티마이저는 AdamW(4장)를 씁니다. 그 까닭은 나중에 가중치를 그려 보면 드러납니다. AdamW의 가중치
# 감쇠(weight decay)는 스텝마다 모든 가중치를 0 쪽으로 조금씩 당깁니다. 빈 픽셀은 자기 가중치에
# 0을 곱합니다. 그래서 그 이미지에서는 손실이 이 가중치와 상관없고, 가중치는 기울기(gradient)를
# 받지 못합니다. 어떤 픽셀은 거의 모든 이미지에서 비어 있습니다(왼쪽과 오른쪽 가장자리로, 아래에서
# 세어 봅니다). 그냥 Adam을 쓰면 이런 픽셀의 가중치는 처음의 무작위 값을 대부분 그대로 간직하고,
# 가중치 그림은 그 잡음으로 얼룩덜룩해집니다. 가중치 감쇠를 쓰면 데이터가 계속 밀어 주는 가중치만
# 남습니다.

# %%
inked = [sum(x[i] > 0 for x in X_train) for i in range(64)]
rare = [i for i in range(64) if inked[i] < len(X_train) / 20]
print(f"pixels with ink in fewer than 1 image in 20: {len(rare)} {rare}")
print(f"pixels with ink in no training image at all: {[i for i in rare if inked[i] == 0]}")


def new_network(hidden):
    """MLP(64, [*hidden, 10])와 그 옵티마이저: 몇 번을 만들어도 같은 초깃값에서 시작합니다."""
    model = MLP(64, [*hidden, 10], seed=SEED)
    return model, AdamW(model.parameters(), lr=0.01, weight_decay=0.3)


# %% [markdown]
# ## 학습: 즉시 실행으로 한 에폭, 그다음 컴파일해서
#
# 이미지 32개로 된 미니배치(mini-batch) 하나는 Value가 20만 개 넘게 들어 있는 그래프입니다. 이
# 그래프를 만들고 거꾸로 훑은 다음 버립니다. 에폭(epoch) 하나는 이런 미니배치 45개입니다. 먼저
# 6장에서처럼 즉시 실행으로 한 에폭을 학습시키면서 시간을 잽니다. 그다음 같은 신경망을 같은
# 초깃값에서 컴파일해서(`compile=True`: 8장에서 본 생성된 코드로, 층마다 행렬 곱 하나입니다)
# 20 에폭 동안 학습시킵니다. (시간은 이 노트북을 실행한 컴퓨터에서 잰 값입니다. 여러분의
# 컴퓨터에서는 다르게 나옵니다.)

# %%
eager_model, eager_optimizer = new_network([32])
start = time.perf_counter()
eager_history = fit(eager_model, X_train, y_train, loss="cross_entropy",
                    optimizer=eager_optimizer, epochs=1, batch_size=32, seed=SEED,
                    progress=False)  # fmt: skip
eager_seconds = time.perf_counter() - start

model, optimizer = new_network([32])
start = time.perf_counter()
history = fit(model, X_train, y_train, loss="cross_entropy", optimizer=optimizer,
              epochs=20, batch_size=32, seed=SEED, compile=True)  # fmt: skip
compiled_seconds = time.perf_counter() - start

print(f"eager:    1 epoch  in {eager_seconds:5.1f} s")
print(f"compiled: 20 epochs in {compiled_seconds:5.1f} s, tracing included "
      f"({eager_seconds * 20 / compiled_seconds:.0f}× faster)")  # fmt: skip
print(f"loss over the first epoch: eager {eager_history.loss[0]:.12f}, "
      f"compiled {history.loss[0]:.12f}")  # fmt: skip

# %% [markdown]
# 두 방식은 똑같은 계산을 합니다. 첫 에폭의 손실은 출력된 자릿수 끝까지 똑같습니다. 하지만
# 컴파일하면 스무 에폭을 다 돌아도 즉시 실행 한 에폭보다 훨씬 짧게 걸립니다. 학습
# 곡선(learning curve)은 이렇습니다.

# %%
plot.loss_curve(history)
plt.show()

# %% [markdown]
# ## 한 번도 본 적 없는 숫자
#
# `classify`는 학습된 신경망을 테스트 이미지마다 실행하고(이것도 컴파일해서, 그래프를 기록하지
# 않고 실행합니다), 점수가 가장 높은 숫자를 답으로 고릅니다. 학습한 숫자만큼 새 숫자도 잘 읽는
# 신경망을 두고 **일반화**(generalization)가 잘 되었다고 합니다. 이 1,437개의 이미지를 외운
# 것이 아니라, 숫자를 배운 것입니다.

# %%
predicted = classify(model, X_test, compile=True)
right = sum(p == t for p, t in zip(predicted, y_test))
train_right = sum(p == t for p, t in zip(classify(model, X_train, compile=True), y_train))
print(f"training images: {train_right / len(y_train):.1%} right")
print(f"test images:     {right / len(y_test):.1%} right ({right} of {len(y_test)})")

# %% [markdown]
# ## 어떤 숫자를 헷갈릴까요?
#
# 정확도(accuracy) 하나만 보아서는 *어떤* 실수를 하는지 알 수 없습니다.
# **혼동 행렬**(confusion matrix)은 실수를 종류별로 셉니다. 행은 실제 숫자이고, 열은 신경망이 답한
# 숫자입니다. 정답은 대각선에 놓이고, 나머지 칸의 수는 저마다 한 종류의 실수를 센 것입니다(빨간
# 테두리로 표시됩니다). 9를 3으로 읽은 경우가 그런 예입니다.

# %%
plot.confusion_matrix(y_test, predicted)
plt.show()

# %% [markdown]
# 틀리게 읽은 숫자들도 직접 봅시다. 제목은 "true → predicted", 곧 "실제 숫자 → 신경망이 답한
# 숫자"입니다.

# %%
wrong = [(x, t, p) for x, t, p in zip(X_test, y_test, predicted) if p != t]
plot.images([x for x, _, _ in wrong], [f"{t} → {p}" for _, t, p in wrong])
plt.show()

# %% [markdown]
# 사람이 봐도 헷갈릴 만한 것도 있습니다. 8×8 크기에서는 9와 3, 5와 9가 픽셀 한두 개 차이일
# 수도 있습니다.
#
# ## 은닉 뉴런은 무엇을 찾을까요?
#
# 이 강의의 출발점이 된 블로그 글에서는 자동차 사진을 본 층들이 바퀴와 로고를 스스로
# 찾아냈습니다. 바로 특징 추출(feature extraction)입니다. 여기서는 그 모습을 직접 들여다볼 수
# 있습니다. 은닉 뉴런의 가중치 64개는 픽셀 64개와 하나씩 짝을 이루므로, 8×8 이미지로 그릴 수
# 있습니다. 빨간 곳은 잉크가 있으면 뉴런의 합이 *커지는* 픽셀이고, 파란 곳은 잉크가 있으면
# 합이 작아지는 픽셀이며, 흰 곳은 상관없는 픽셀입니다. 32개 그림이 모두 같은 색 범위를 씁니다.

# %%
plot.weight_images(model.layers[0])
plt.show()
hidden = predict(model.layers[0], X_train, compile=True)  # 훈련 이미지마다 출력 32개
silent = [f"L0.N{j}" for j in range(32) if all(h[j] == 0 for h in hidden)]
print("neurons that fire for no training image:", ", ".join(silent) or "none")

# %% [markdown]
# 가중치 그림은 숫자 모양이 아닙니다. 대부분은 조각과 획입니다. 어떤 자리에는 잉크가 있기를
# 바라고(빨강) 다른 자리에는 없기를 바랍니다(파랑). 여기는 고리의 일부, 저기는 획의 가장자리나
# 막대 하나인 식입니다. 그리고 큰 가중치는 몇몇 뉴런에 몰려 있습니다. 어떤 이미지에도 반응하지
# 않는 뉴런은(그림 아래에 이름이 나옵니다) 텅 비어 있습니다. relu가 모든 숫자에 0을 내므로
# 가중치에 기울기가 전혀 닿지 않았고, 그사이 가중치 감쇠가 가중치를 지워 버렸기 때문입니다.
#
# 가중치는 뉴런이 무엇을 *원하는지* 말해 주고, 뉴런을 가장 강하게 반응시키는 이미지는 뉴런이
# 실제로 무엇을 *찾아내는지* 말해 줍니다. 처음 여덟 뉴런마다 가중치 그림을 왼쪽에 두고, 그 옆에 그
# 뉴런의 출력이 가장 큰 훈련 이미지 여섯 개를 놓았습니다.

# %%
limit = max(abs(w.data) for n in model.layers[0].neurons for w in n.w)
fig, axes = plt.subplots(8, 7, figsize=(6.3, 7.6))
for j, row in enumerate(axes):
    neuron = model.layers[0].neurons[j]
    weights = [w.data for w in neuron.w]
    row[0].imshow([weights[8 * r : 8 * r + 8] for r in range(8)], cmap="RdBu_r",
                  vmin=-limit, vmax=limit)  # fmt: skip
    row[0].set_ylabel(f"L0.N{j}", rotation=0, ha="right", va="center")
    strongest = sorted(range(len(X_train)), key=lambda i: -hidden[i][j])[:6]
    for ax, i in zip(row[1:], strongest):
        ax.imshow([X_train[i][8 * r : 8 * r + 8] for r in range(8)], cmap="gray_r",
                  vmin=0, vmax=1)  # fmt: skip
        ax.set_title(f"{y_train[i]}", fontsize=8, pad=2)
    for ax in row:
        ax.set(xticks=[], yticks=[])
axes[0][0].set_title("weights", fontsize=8, pad=2)
plt.tight_layout(pad=0.3)
plt.show()

# %% [markdown]
# 여러 뉴런이 둘 이상의 숫자에 가장 강하게 반응합니다. 이런 뉴런은 그 숫자들이 함께 가진
# *부분*, 곧 막대나 곡선이나 닫힌 고리를 찾아냅니다. "3을 맡은 뉴런" 같은 것은 없습니다.
# 출력층은 어떤 부분들이 있는지, 그 조합을 보고 숫자를 읽어 냅니다. 특징 추출이 뜻하는 것이
# 바로 이것이며, 여기서는 그것을 직접 재어 보았습니다.
#
# ## 은닉층이 없으면
#
# 은닉층이 없는 모델 `MLP(64, [10])`은 숫자마다 픽셀을 곧바로 읽는 뉴런을 하나씩 둡니다.
# 점수는 이미지의 픽셀에 그 숫자의 가중치 64개를 곱해 더한 값이므로, 클래스마다
# 템플릿(template)이 하나씩 있는 셈입니다. 똑같은 방법으로 학습시켜 봅시다.

# %%
flat, flat_optimizer = new_network([])
fit(flat, X_train, y_train, loss="cross_entropy", optimizer=flat_optimizer, epochs=20,
    batch_size=32, seed=SEED, compile=True, progress=False)  # fmt: skip
flat_predicted = classify(flat, X_test, compile=True)
flat_right = sum(p == t for p, t in zip(flat_predicted, y_test))
print(f"no hidden layer:   {flat_right / len(y_test):.1%} of the test images right")
print(f"32 hidden neurons: {right / len(y_test):.1%}")
plot.weight_images(flat, columns=5)
plt.show()

# %% [markdown]
# 이제 출력 뉴런 하나하나(숫자 0은 N0, 1은 N1, …)가 숫자 하나를 통째로 담은 템플릿입니다.
# 템플릿에는 숫자의 모양 못지않게, 그 숫자를 다른 숫자와 구별해 주는 점이 드러납니다. 0의
# 템플릿은 양옆에 잉크가 있고 가운데에는 없기를(파랑) 바랍니다. 7의 템플릿은 맨 윗줄에 잉크가
# 있고 왼쪽 아래에는 없기를 바랍니다. 9의 템플릿은 왼쪽 아래가 파랗습니다. 8이나 6은 그 자리에
# 잉크가 있지만 9는 비어 있기 때문입니다. 작고 가운데에 놓인 이 숫자들은 숫자마다 템플릿
# 하나만으로도 대부분 읽어 낼 수 있습니다. 은닉층은 여러 방식으로 조합할 수 있는 부분들을
# 가지고 있어서, 나머지도 대부분 맞힙니다. 위의 두 줄을 비교하면 실수가 3분의 1 정도로
# 줄었습니다.
#
# ## 은닉 뉴런은 몇 개면 충분할까요?
#
# 은닉 뉴런이 많을수록 조합할 부분도 많아지지만, 학습해야 할 가중치도 많아집니다. 은닉 뉴런
# 수를 바꿔 가며 같은 방법으로, 컴파일해서 학습시켜 봅니다(한 번에 1초 남짓 걸립니다).

# %%
print(f"{'hidden':>8} {'parameters':>11} {'train':>7} {'test':>7} {'seconds':>8}")
for size in [0, 2, 4, 8, 16, 32, 64]:
    net, net_optimizer = new_network([size] if size else [])
    start = time.perf_counter()
    fit(net, X_train, y_train, loss="cross_entropy", optimizer=net_optimizer, epochs=20,
        batch_size=32, seed=SEED, compile=True, progress=False)  # fmt: skip
    seconds = time.perf_counter() - start
    train_acc = sum(p == t for p, t in zip(classify(net, X_train, compile=True), y_train))
    test_acc = sum(p == t for p, t in zip(classify(net, X_test, compile=True), y_test))
    print(f"{size or 'none':>8} {len(net.parameters()):>11,} {train_acc / len(y_train):>7.1%} "
          f"{test_acc / len(y_test):>7.1%} {seconds:>8.1f}")  # fmt: skip

# %% [markdown]
# 은닉 뉴런이 두 개나 네 개이면 병목(bottleneck)이 됩니다. 출력층이 이미지에서 알아내는 것은 모두
# 이 몇 안 되는 수를 거쳐야 하고(relu 뉴런이 반응을 멈추면 그 수는 더 줄어듭니다), 그래서 은닉층이
# 아예 없을 때보다도 훨씬 못합니다. 여덟 개면 벌써 은닉층이 없는 모델을 앞섭니다. 32개
# 언저리에서는 테스트 정확도가 더 오르지 않습니다. 뉴런이 64개이면 훈련 이미지를 조금 더 잘
# 맞히지만 새 이미지를 더 잘 읽지는 못합니다. 8×8 숫자에는 뉴런이 더 찾아낼 것이 별로 남아 있지
# 않기 때문입니다.
#
# ## 핵심 정리
#
# - 실제 이미지도 결국 입력이 많을 뿐입니다. 8×8 숫자를 읽는 퍼셉트론에는 가중치가 64개 있고,
#   이런 뉴런으로 된 신경망은 처음 보는 손글씨도 읽어 냅니다. 컴파일하면 학습은 몇 초 만에
#   끝납니다.
# - 학습에 쓰지 않고 떼어 둔 데이터로 시험해야 하고, 정확도만 보고 끝내서는 안 됩니다. 혼동
#   행렬과 틀린 예가 무엇이 어려운지 알려 줍니다.
# - 은닉 뉴런의 가중치는 그 뉴런이 무엇을 찾는지 보여 주는 그림입니다. 숫자에서는 그것이 부분,
#   곧 획과 막대와 고리이며, 여러 숫자가 함께 쓰는 이 부분들을 출력층이 조합합니다. 이것이
#   특징 추출이고, 클래스마다 템플릿을 하나씩 두는 것에 비해 은닉층이 더해 주는 것입니다.

# %% [markdown]
# ## 연습 문제
#
# 직접 풀어 볼 문제가 세 개 있습니다. 문제마다 끝에 확인 함수가 있어서, 무엇이 맞았고 무엇이 아직
# 맞지 않은지 알려 줍니다. (풀이는 `notebooks/solutions/`에 있습니다. 먼저 직접 풀어 본 다음에
# 보십시오.)
#
# **1. 매개변수 세기.** `MLP(64, [10])`(은닉층 없음)과 `MLP(64, [16, 10])`에는 매개변수가 몇 개
# 있을까요? 이 장에서 `MLP(64, [32, 10])`의 매개변수를 센 방법대로 세어 보십시오.

# %%
flat = ...  # MLP(64, [10])의 매개변수 개수
small = ...  # MLP(64, [16, 10])의 매개변수 개수
check_parameters(flat, small)

# %% [markdown]
# **2. 가중치 감쇠 없이: 예측한 다음 확인하기.** 어떤 픽셀은 훈련 이미지 어디에도 잉크가
# 없습니다(위에 목록이 있습니다). `weight_decay=0.3` 대신 `weight_decay=0`으로 학습시키면, 20 에폭
# 동안 그 픽셀들에 걸린 은닉 뉴런의 가중치는 어떻게 될까요? 그대로일까요(`"unchanged"`),
# 작아질까요(`"smaller"`), 아니면 커질까요(`"larger"`)? 확인 함수는 두 가지로 모두 학습시켜 봅니다.

# %%
prediction = ...  # "unchanged", "smaller", "larger" 가운데 하나
check_weight_decay(prediction)

# %% [markdown]
# **3. 7 쓰기.** 학습된 신경망이 읽을 숫자를 직접 그려 보십시오. 8줄에 8칸씩, 잉크는 `#`, 옅은
# 잉크는 `+`, 종이는 `.`로 나타냅니다. `model`이 여러분의 그림을 7로 읽을 때까지 점을 `#`로 바꾸어
# 보십시오.

# %%
drawing = """
........
........
........
........
........
........
........
........
"""
check_drawing(model, drawing, digit=7)
