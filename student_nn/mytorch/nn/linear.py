"""Linear: Z = A Wᵀ + ι bᵀ, with ι = ones(N, 1).

A (N, in),  W (out, in),  b (out, 1),  Z (N, out). Backward, given dLdZ:

    dLdA = dLdZ W,    dLdW = dLdZᵀ A,    dLdb = dLdZᵀ ι    (sums over the batch, not means)
"""

from __future__ import annotations

import numpy as np


class Linear:
    def __init__(self, in_features: int, out_features: int, debug: bool = False) -> None:
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))
        self.debug = debug

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.A, self.N = A, A.shape[0]
        self.ones = np.ones((self.N, 1))
        return A @ self.W.T + self.ones @ self.b.T

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        dLdA = dLdZ @ self.W
        self.dLdW = dLdZ.T @ self.A
        self.dLdb = dLdZ.T @ self.ones
        if self.debug:
            self.dLdA = dLdA
        return dLdA
