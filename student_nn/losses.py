"""Losses L(Y, Y_hat) of targets Y and predictions Y_hat, both (batch, classes).

``forward(Y, Y_hat) -> L`` (a float); ``backward(Y, Y_hat) -> dL/dY_hat``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Loss(ABC):
    def __call__(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        return self.forward(Y, Y_hat)

    @abstractmethod
    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        """L(Y, Y_hat)."""

    @abstractmethod
    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        """dL/dY_hat, the shape of Y_hat."""


class CrossEntropy(Loss):
    """L = −(1/m) Σ Y·log(Y_hat) over a batch of m rows;  dL/dY_hat = −Y / (m·Y_hat)."""

    def __init__(self, name: str = "cross_entropy") -> None:
        self.name = name

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        return float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        return -Y / (Y.shape[0] * Y_hat)


class L2(Loss):
    """L = mean over all elements of (Y − Y_hat)²;  dL/dY_hat = 2(Y_hat − Y)/Y.size."""

    def __init__(self, name: str = "l2") -> None:
        self.name = name

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        return float(np.mean((Y - Y_hat) ** 2))

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        return 2.0 * (Y_hat - Y) / Y.size


LOSSES: dict[str, type[Loss]] = {"cross_entropy": CrossEntropy, "l2": L2}


def initialize_loss(name: str) -> Loss:
    """The loss called `name`: cross_entropy | l2."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[name](name)
