"""The network (starter code layout): a list of layers, a loss, an optimizer, a training loop."""

from abc import ABC, abstractmethod
import numpy as np

from neural_networks.losses import initialize_loss
from neural_networks.optimizers import initialize_optimizer
from neural_networks.layers import initialize_layer
from collections import OrderedDict
import pickle
from tqdm import tqdm
import pandas as pd

from neural_networks.utils.data_structures import AttrDict
from neural_networks.datasets import Dataset
from typing import Any, Dict, List, Sequence, Tuple


def initialize_model(name, loss, layer_args, optimizer_args, logger=None, seed=None):
    return NeuralNetwork(loss=loss, layer_args=layer_args, optimizer_args=optimizer_args,
                         logger=logger, seed=seed)


class NeuralNetwork(ABC):
    def __init__(self, loss: str, layer_args: Sequence[AttrDict], optimizer_args: AttrDict,
                 logger=None, seed: int = None) -> None:
        self.n_layers = len(layer_args)
        self.layer_args = layer_args
        self.logger = logger
        self.epoch_log = {"loss": {}, "error": {}}
        self.loss = initialize_loss(loss)
        self.optimizer = initialize_optimizer(**optimizer_args)
        self._initialize_layers(layer_args)

    def _initialize_layers(self, layer_args: Sequence[AttrDict]) -> None:
        self.layers = [initialize_layer(**args) for args in layer_args[:-1]]
        self.layers.append(initialize_layer(**layer_args[-1]))

    def forward(self, X: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, target: np.ndarray, out: np.ndarray) -> float:
        loss = self.loss.forward(target, out)
        grad = self.loss.backward(target, out)
        for layer in self.layers[::-1]:
            grad = layer.backward(grad)
        return loss

    def predict(self, X: np.ndarray, Y: np.ndarray) -> Tuple[np.ndarray, float]:
        Y_hat = self.forward(X)
        return np.argmax(Y_hat, axis=1), self.loss.forward(Y_hat, Y)

    def train(self, dataset: Dataset, epochs: int) -> pd.DataFrame:
        rows = []
        for epoch in range(epochs):
            losses = []
            for _ in tqdm(range(dataset.train.samples_per_epoch)):
                X, Y = dataset.train.sample()
                losses.append(self.backward(Y, self.forward(X)))
                self.update(epoch)
            rows.append({"epoch": epoch, "loss": float(np.mean(losses))})
        return pd.DataFrame(rows)
