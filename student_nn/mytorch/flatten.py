"""Flatten: A (N, C, W, ...) -> Z (N, C·W·...); backward reshapes dLdZ back to A's shape."""

from __future__ import annotations

import numpy as np


class Flatten:
    def forward(self, A: np.ndarray) -> np.ndarray:
        self.input_shape = A.shape
        return A.reshape(A.shape[0], -1)

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return dLdZ.reshape(self.input_shape)
