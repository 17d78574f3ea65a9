"""SGD with momentum μ over a model's Linear-like layers (W, b, dLdW, dLdb):

    μ = 0:  θ ← θ − lr · dLdθ
    μ > 0:  v ← μ v + dLdθ,  θ ← θ − lr · v      (v starts at 0; torch's SGD, dampening 0)

Each step assigns new arrays to W and b, so arrays the caller handed to a layer are not changed.
"""

from __future__ import annotations

import numpy as np


class SGD:
    def __init__(self, model, lr: float = 0.1, momentum: float = 0) -> None:
        self.l = model.layers
        self.L = len(self.l)
        self.lr, self.mu = lr, momentum
        self.v_W = [np.zeros(layer.W.shape) for layer in self.l]
        self.v_b = [np.zeros(layer.b.shape) for layer in self.l]

    def step(self) -> None:
        for i, layer in enumerate(self.l):
            if self.mu == 0:
                layer.W = layer.W - self.lr * layer.dLdW
                layer.b = layer.b - self.lr * layer.dLdb
            else:
                self.v_W[i] = self.mu * self.v_W[i] + layer.dLdW
                self.v_b[i] = self.mu * self.v_b[i] + layer.dLdb
                layer.W = layer.W - self.lr * self.v_W[i]
                layer.b = layer.b - self.lr * self.v_b[i]
