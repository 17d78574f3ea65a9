"""Activations, written from the contract: forward(Z) -> Y, backward(Z, dY) -> dL/dZ."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Activation(ABC):
    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.forward(Z)

    @abstractmethod
    def forward(self, Z: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray: ...


class Linear(Activation):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.array(Z, dtype=np.float64, copy=True)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return np.array(dY, dtype=np.float64, copy=True)


class Sigmoid(Activation):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        out = np.empty(Z.shape, dtype=np.float64)
        pos = Z >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-Z[pos]))
        ez = np.exp(Z[~pos])          # only negative z here: no overflow
        out[~pos] = ez / (1.0 + ez)
        return out

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        s = self.forward(Z)
        return s * (1.0 - s) * dY


class TanH(Activation):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        # tanh|z| = (1 - e^{-2|z|}) / (1 + e^{-2|z|}), with expm1 for accuracy near 0
        a = np.exp(-2.0 * np.abs(Z))
        return np.sign(Z) * (-np.expm1(-2.0 * np.abs(Z))) / (1.0 + a)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        t = self.forward(Z)
        return dY - dY * t * t


class ReLU(Activation):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.where(Z > 0, Z, 0.0)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return np.where(Z > 0, dY, 0.0)


class SoftMax(Activation):
    """Over the last axis, one row at a time."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        rows = Z.reshape(-1, Z.shape[-1])
        out = np.empty(rows.shape)
        for r in range(rows.shape[0]):
            e = np.exp(rows[r] - np.max(rows[r]))
            out[r] = e / np.sum(e)
        return out.reshape(Z.shape)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        Y = self.forward(Z).reshape(-1, Z.shape[-1])
        G = dY.reshape(Y.shape)
        out = np.empty(Y.shape)
        for r in range(Y.shape[0]):
            y = Y[r]
            jacobian = np.diag(y) - np.outer(y, y)    # symmetric: dZ = J^T dY = J dY
            out[r] = jacobian @ G[r]
        return out.reshape(Z.shape)


def initialize_activation(name: str) -> Activation:
    table = {"linear": Linear, "sigmoid": Sigmoid, "tanh": TanH, "relu": ReLU,
             "softmax": SoftMax}
    return table[name]()
