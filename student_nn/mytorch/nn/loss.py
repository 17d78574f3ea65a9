"""Losses of predictions A (N, C) against targets Y (N, C); backward() returns dL/dA.

    MSELoss           L = Σ (A − Y)² / (N C)                dLdA = 2 (A − Y) / (N C)
    CrossEntropyLoss  L = −(1/N) Σ_n Σ_c Y log softmax(A)   dLdA = (softmax(A) − Y) / N

Cross-entropy takes log softmax(A) = A − m − log Σ_c e^(A − m), m the row maximum, so nothing
overflows and no log of an underflowed 0 is taken. Its dLdA assumes every row of Y sums to 1.
"""

from __future__ import annotations

import numpy as np


class MSELoss:
    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        self.A, self.Y = A, Y
        self.N, self.C = A.shape
        return float(np.sum((A - Y) ** 2) / (self.N * self.C))

    def backward(self) -> np.ndarray:
        return 2 * (self.A - self.Y) / (self.N * self.C)


class CrossEntropyLoss:
    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        self.Y, self.N = Y, A.shape[0]
        shifted = A - A.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.softmax = np.exp(log_softmax)
        return float(-np.sum(Y * log_softmax) / self.N)

    def backward(self) -> np.ndarray:
        return (self.softmax - self.Y) / self.N
