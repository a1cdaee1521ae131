"""scalarflow's neural-network API: neurons, layers, losses, optimizers and training.

>>> from nn import MLP, fit, datasets
>>> model = MLP(2, [4, 1], seed=0)
>>> len(model.parameters())
17
"""

from . import datasets, landscape, lr_scheduler, optim, plot
from .activations import linear, log_softmax, relu, sigmoid, softmax, tanh
from .layers import MLP, Layer, Neuron
from .losses import bce_with_logits, binary_cross_entropy, cross_entropy, hinge_loss, mse_loss
from .module import Module
from .predict import classify, predict
from .serialize import CheckpointError
from .train import History, evaluate, fit

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "sigmoid",
    "tanh",
    "relu",
    "linear",
    "softmax",
    "log_softmax",
    "mse_loss",
    "binary_cross_entropy",
    "bce_with_logits",
    "cross_entropy",
    "hinge_loss",
    "fit",
    "evaluate",
    "predict",
    "classify",
    "History",
    "CheckpointError",
    "datasets",
    "optim",
    "lr_scheduler",
    "landscape",
    "plot",
]
