"""Activations Y = f(Z), applied elementwise (SoftMax: over the last axis).

``forward(Z) -> Y``; ``backward(Z, dY) -> dZ`` takes the pre-activation Z and the upstream
gradient dY = dL/dY and returns dL/dZ. Any shape works: (batch, features) or NHWC images.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np


class Activation(ABC):
    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.forward(Z)

    @abstractmethod
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Y = f(Z)."""

    @abstractmethod
    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        """dZ = f'(Z) · dY (a Jacobian-vector product for SoftMax)."""


class Linear(Activation):
    """f(z) = z,  f'(z) = 1."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return dY


class Sigmoid(Activation):
    """σ(z) = 1 / (1 + e^-z),  σ'(z) = σ(z)(1 − σ(z))."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        # With e = exp(-|z|) ≤ 1: σ(z) = 1/(1+e) for z ≥ 0 and e/(1+e) for z < 0; never overflows.
        e = np.exp(-np.abs(Z))
        return np.where(Z >= 0, 1.0, e) / (1.0 + e)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        s = self.forward(Z)
        return dY * s * (1.0 - s)


class TanH(Activation):
    """tanh(z),  tanh'(z) = 1 − tanh²(z)."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.tanh(Z)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return dY * (1.0 - np.tanh(Z) ** 2)


class ReLU(Activation):
    """max(z, 0),  derivative 1 for z > 0 and 0 otherwise (0 at z = 0 by convention)."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.maximum(Z, 0.0)

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return dY * (Z > 0)


def remembers_output(forward: Callable[[Any, np.ndarray], np.ndarray]
                     ) -> Callable[[Any, np.ndarray], np.ndarray]:
    """forward(self, Z) that also keeps its last input and output, as self.last = (Z, Y)."""
    @functools.wraps(forward)
    def remembering(self: Any, Z: np.ndarray) -> np.ndarray:
        Y = forward(self, Z)
        self.last = (Z, Y)
        return Y
    return remembering


class SoftMax(Activation):
    """Y_i = e^{z_i} / Σ_j e^{z_j} over the last axis.

    The backward pass needs Y. A layer calls backward(Z, dY) with the very Z its forward pass
    was given (its cached array), so, as autograd does, the last forward's Y is reused when
    backward gets that same Z array; any other Z has its Y computed afresh. (Like every
    function here, the caller modifies neither Z nor Y in place.)
    """

    last: tuple[np.ndarray, np.ndarray] | None = None

    @remembers_output
    def forward(self, Z: np.ndarray) -> np.ndarray:
        # Softmax is shift-invariant; subtracting the row max keeps every exponent ≤ 0.
        e = Z - Z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)  # in place, like the division: no second Z-sized array
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        # The Jacobian is diag(Y) − Y Yᵀ, so  dZ = Y ⊙ (dY − ⟨dY, Y⟩)  row by row.
        last, self.last = self.last, None
        Y = last[1] if last is not None and last[0] is Z else self.forward(Z)
        # ⟨dY, Y⟩ of every row as a stack of (1, n) @ (n, 1) products: no dY ⊙ Y array
        dY_dot_Y = (dY[..., np.newaxis, :] @ Y[..., :, np.newaxis])[..., 0]
        dZ = dY - dY_dot_Y
        dZ *= Y
        return dZ


ACTIVATIONS: dict[str, type[Activation]] = {
    "linear": Linear,
    "sigmoid": Sigmoid,
    "tanh": TanH,
    "relu": ReLU,
    "softmax": SoftMax,
    "identity": Linear,   # a fully-connected-only starter's name for linear
}


def initialize_activation(name: str) -> Activation:
    """The activation called `name`: linear | sigmoid | tanh | relu | softmax (| identity)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()
