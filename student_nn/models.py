"""NeuralNetwork: a stack of layers, a loss and an optimiser.

    forward(X)          Y_hat = layer_k(... layer_1(X))
    backward(Y, Y_hat)  L, and every layer's gradients by the chain rule, last layer first
    update(epoch)       θ ← θ − optimizer.update(...) for every parameter, then zero the gradients
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import Layer, initialize_layer
from .losses import initialize_loss
from .optimizers import initialize_optimizer


class NeuralNetwork:
    def __init__(
        self,
        loss: str,
        layer_args: list[dict[str, Any]],
        optimizer_args: dict[str, Any],
        logger: Any = None,
        seed: int | None = None,
    ) -> None:
        """`layer_args`: one `initialize_layer(**args)` dict per layer, input to output.

        `seed` seeds NumPy's global generator, which draws the (lazily created) weights.
        """
        if seed is not None:
            np.random.seed(seed)
        self.logger = logger
        self.loss = initialize_loss(loss)
        self.optimizer = initialize_optimizer(**optimizer_args)
        self.layers: list[Layer] = [initialize_layer(**args) for args in layer_args]

    def forward(self, X: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, target: np.ndarray, out: np.ndarray) -> float:
        """L(target, out); leaves dL/dθ in every layer's `gradients`."""
        dY = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return self.loss.forward(target, out)

    def predict(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, float]:
        """(Y_hat, L(Y, Y_hat)) without touching any gradient."""
        Y_hat = self.forward(X)
        return Y_hat, self.loss.forward(Y, Y_hat)

    def update(self, epoch: int) -> None:
        """One optimiser step on every parameter (named f"{name}{layer index}"), then zero grads."""
        for i, layer in enumerate(self.layers):
            for name, param in layer.parameters.items():
                delta = self.optimizer.update(f"{name}{i}", param, layer.gradients[name], epoch)
                layer.parameters[name] = param - delta
            layer.clear_gradients()

    def train_step(self, X: np.ndarray, Y: np.ndarray, epoch: int) -> float:
        """forward, backward and update on one batch; returns the batch loss before the step."""
        loss = self.backward(Y, self.forward(X))
        self.update(epoch)
        return loss
