"""
Activation functions (Spring 2020 starter layout: Linear, ReLU, SoftMax, Sigmoid, TanH).
"""

import numpy as np
from abc import ABC, abstractmethod


class Activation(ABC):
    """Abstract class defining the common interface for all activation methods."""

    def __call__(self, Z):
        return self.forward(Z)

    @abstractmethod
    def forward(self, Z):
        pass


def initialize_activation(name: str) -> Activation:
    """Factory method to return an Activation object of the specified type."""
    if name == "linear":
        return Linear()
    elif name == "sigmoid":
        return Sigmoid()
    elif name == "tanh":
        return TanH()
    elif name == "relu":
        return ReLU()
    elif name == "softmax":
        return SoftMax()
    else:
        raise NotImplementedError("{} activation is not implemented".format(name))


class Linear(Activation):
    def __init__(self):
        super().__init__()

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return dY


class ReLU(Activation):
    def __init__(self):
        super().__init__()

    def forward(self, Z: np.ndarray) -> np.ndarray:
        ### YOUR CODE HERE ###
        return np.maximum(Z, 0)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        ### YOUR CODE HERE ###
        return dY * (Z > 0)


class SoftMax(Activation):
    def __init__(self):
        super().__init__()

    def forward(self, Z: np.ndarray) -> np.ndarray:
        ### YOUR CODE HERE ###
        shifted = Z - np.max(Z, axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / np.sum(e, axis=1, keepdims=True)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        ### YOUR CODE HERE ###
        # row by row: dZ_i = J_i^T dY_i with J_i = diag(s_i) - s_i s_i^T
        s = self.forward(Z)
        dZ = np.zeros_like(Z)
        for i in range(Z.shape[0]):
            jacobian = np.diag(s[i]) - np.outer(s[i], s[i])
            dZ[i] = jacobian.T @ dY[i]
        return dZ


class Sigmoid(Activation):
    def __init__(self):
        super().__init__()

    def forward(self, Z: np.ndarray) -> np.ndarray:
        ### OPTIONAL: YOUR CODE HERE ###
        return 1 / (1 + np.exp(-Z))

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        ### OPTIONAL: YOUR CODE HERE ###
        s = self.forward(Z)
        return dY * s * (1 - s)


class TanH(Activation):
    def __init__(self):
        super().__init__()

    def forward(self, Z: np.ndarray) -> np.ndarray:
        ### OPTIONAL: YOUR CODE HERE ###
        return np.tanh(Z)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        ### OPTIONAL: YOUR CODE HERE ###
        return dY * (1 - np.tanh(Z) ** 2)
