"""Losses, written from the contract: forward(Y, Y_hat) -> float, backward -> dL/dY_hat."""

from __future__ import annotations

import numpy as np


class Loss:
    def __call__(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        return self.forward(Y, Y_hat)


class CrossEntropy(Loss):
    def __init__(self, name: str = "cross_entropy") -> None:
        self.name = name

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        m = Y.shape[0]
        total = 0.0
        for i in range(m):
            total -= float(np.dot(Y[i], np.log(Y_hat[i])))
        return total / m

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        m = Y.shape[0]
        return -(Y / Y_hat) / m


class L2(Loss):
    def __init__(self, name: str = "l2") -> None:
        self.name = name

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        d = (Y_hat - Y).ravel()
        return float(d @ d) / d.size

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        return (Y_hat - Y) * (2.0 / Y.size)


def initialize_loss(name: str) -> Loss:
    return {"cross_entropy": CrossEntropy, "l2": L2}[name](name)
