"""The PyTorch twin of the contract's NeuralNetwork, assembled from the other twins.

    NeuralNetwork(loss, layer_args, optimizer_args, logger=None, seed=None, conventions=None)

`layers` are `reference.layers.initialize_layer(**args)` twins, `loss` the
`reference.losses` twin and `optimizer` the `reference.optimizers` twin (torch.optim), so a
whole model is checked against the same semantics as its parts:

    forward(X)             Y_hat = layer_k(... layer_1(X)), layers in order
    backward(target, out)  dY = loss.backward(target, out), then dY = layer.backward(dY) from
                           the last layer to the first (each layer's gradients by autograd,
                           so the chain is autograd's chain rule); returns loss.forward(target,
                           out) as a 0-d float64 array
    predict(X, Y)          (forward(X), loss.forward(Y, forward(X))); no gradient is touched
    update(epoch)          for layer i and parameter k: delta = optimizer.update(f"{k}{i}",
                           θ, dθ, epoch), θ ← θ − delta; then the gradients are zeroed

`seed` is accepted for the contract's signature: the harness sets every parameter itself.
`conventions` (`reference.conventions.Conventions`) goes to every layer and to the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reference.conventions import PYTORCH, Conventions
from reference.layers import Layer, initialize_layer
from reference.losses import initialize_loss
from reference.optimizers import initialize_optimizer


class NeuralNetwork:
    def __init__(self, loss: str, layer_args: list[dict[str, Any]],
                 optimizer_args: dict[str, Any], logger: Any = None, seed: int | None = None,
                 *, conventions: Conventions | None = None) -> None:
        self.conventions = conventions or PYTORCH
        self.logger = logger
        self.loss = initialize_loss(loss)
        self.loss.conventions = self.conventions
        self.optimizer = initialize_optimizer(**optimizer_args)
        self.layers: list[Layer] = [
            initialize_layer(**dict(args), conventions=self.conventions) for args in layer_args]

    def forward(self, X: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, target: np.ndarray, out: np.ndarray) -> np.ndarray:
        dY = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return self.loss.forward(target, out)

    def predict(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Y_hat = self.forward(X)
        return Y_hat, self.loss.forward(Y, Y_hat)

    def update(self, epoch: int) -> None:
        for i, layer in enumerate(self.layers):
            for name, param in layer.parameters.items():
                delta = self.optimizer.update(f"{name}{i}", param, layer.gradients[name], epoch)
                layer.parameters[name] = param - delta
            for name, grad in layer.gradients.items():
                layer.gradients[name] = np.zeros_like(grad)
