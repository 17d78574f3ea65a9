"""Activations: A = f(Z) elementwise (Softmax: row by row), and dLdZ = dLdA · f'(Z).

    Identity  A = Z                       f' = 1
    Sigmoid   A = σ(Z) = 1/(1 + e^−Z)     f' = A(1 − A)
    Tanh      A = tanh Z                  f' = 1 − A²
    ReLU      A = max(0, Z)               f' = [Z > 0]
    GELU      A = Z Φ(Z)                  f' = Φ(Z) + Z φ(Z),  Φ(z) = ½(1 + erf(z/√2)), φ = Φ'
    Swish     A = Z σ(βZ)                 f' = σ(βZ) + βZ σ(βZ)(1 − σ(βZ))
              dA/dβ = Z² σ(βZ)(1 − σ(βZ)), so dLdβ = Σ dLdA · Z² σ(βZ)(1 − σ(βZ))
    Softmax   A_ij = e^Z_ij / Σ_k e^Z_ik  dLdZ_i = A_i ⊙ (dLdA_i − ⟨dLdA_i, A_i⟩)

Softmax's backward is the product of dLdA_i with the Jacobian diag(A_i) − A_i A_iᵀ of row i,
written without forming the (C, C) matrix.
"""

from __future__ import annotations

import math

import numpy as np

# Exact erf, elementwise. Without SciPy the only exact erf is math.erf, one Python call per
# element: slow, but GELU must agree with torch's to ~1e-12, which no short approximation does.
erf = np.vectorize(math.erf, otypes=[float])


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """σ(Z), never taking e^x of a positive x: σ(z) = 1/(1 + e^−z) for z ≥ 0, e^z/(1 + e^z) else."""
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


class Identity:
    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = Z
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        return dLdA * np.ones_like(self.A)


class Sigmoid:
    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = sigmoid(Z)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        return dLdA * self.A * (1 - self.A)


class Tanh:
    """HW3P1's Tanh also takes the `state` A to differentiate at (BPTT keeps each step's)."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dLdA: np.ndarray, state: np.ndarray | None = None) -> np.ndarray:
        A = self.A if state is None else state
        return dLdA * (1 - A**2)


class ReLU:
    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.Z = Z
        self.A = np.maximum(0.0, Z)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        return dLdA * (self.Z > 0)


class GELU:
    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.Z = Z
        self.Phi = 0.5 * (1 + erf(Z / math.sqrt(2)))
        self.A = Z * self.Phi
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        phi = np.exp(-0.5 * self.Z**2) / math.sqrt(2 * math.pi)
        return dLdA * (self.Phi + self.Z * phi)


class Softmax:
    def forward(self, Z: np.ndarray) -> np.ndarray:
        e = np.exp(Z - Z.max(axis=1, keepdims=True))  # shift-invariant; every exponent ≤ 0
        self.A = e / e.sum(axis=1, keepdims=True)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        return self.A * (dLdA - (dLdA * self.A).sum(axis=1, keepdims=True))


class Swish:
    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.Z = Z
        self.sig = sigmoid(self.beta * Z)
        self.A = Z * self.sig
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        dsig = self.sig * (1 - self.sig)
        self.dLdbeta = np.sum(dLdA * self.Z**2 * dsig)
        return dLdA * (self.sig + self.beta * self.Z * dsig)
