"""BatchNorm1d over a batch Z (N, C), per feature (column):

    NZ = (Z − M) / √(V + ε),    BZ = BW ⊙ NZ + Bb

train: M, V are the batch's mean and biased variance (÷N), and the running statistics move
towards them, running = α · running + (1 − α) · batch. eval: M, V are the running statistics.

Backward, with dLdNZ = dLdBZ ⊙ BW and both means over the batch:

    dLdZ = (dLdNZ − mean(dLdNZ) − NZ ⊙ mean(dLdNZ ⊙ NZ)) / √(V + ε)

the two means being the paths through M and through V (in eval mode M and V are constants and
only the first term remains);  dLdBW = Σ_n dLdBZ ⊙ NZ,  dLdBb = Σ_n dLdBZ.
"""

from __future__ import annotations

import numpy as np


class BatchNorm1d:
    def __init__(self, num_features: int, alpha: float = 0.9) -> None:
        self.alpha = alpha
        self.eps = 1e-8
        self.BW = np.ones((1, num_features))
        self.Bb = np.zeros((1, num_features))
        self.dLdBW = np.zeros((1, num_features))
        self.dLdBb = np.zeros((1, num_features))
        self.running_M = np.zeros((1, num_features))
        self.running_V = np.ones((1, num_features))

    def forward(self, Z: np.ndarray, eval: bool = False) -> np.ndarray:
        self.Z, self.N, self.eval = Z, Z.shape[0], eval
        if eval:
            self.M, self.V = self.running_M, self.running_V
        else:
            self.M = Z.mean(axis=0, keepdims=True)
            self.V = Z.var(axis=0, keepdims=True)
            self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M
            self.running_V = self.alpha * self.running_V + (1 - self.alpha) * self.V
        self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
        self.BZ = self.BW * self.NZ + self.Bb
        return self.BZ

    def backward(self, dLdBZ: np.ndarray) -> np.ndarray:
        self.dLdBW = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)
        self.dLdBb = np.sum(dLdBZ, axis=0, keepdims=True)
        dLdNZ = dLdBZ * self.BW
        if not self.eval:
            dLdNZ = (dLdNZ - dLdNZ.mean(axis=0, keepdims=True)
                     - self.NZ * (dLdNZ * self.NZ).mean(axis=0, keepdims=True))
        return dLdNZ / np.sqrt(self.V + self.eps)
