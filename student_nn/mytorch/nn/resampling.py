"""Up- and downsampling by an integer factor k along the last axis (1d) or the last two (2d).

    Upsample    Z[..., k·i] = A[..., i], zeros between:  width W -> k(W − 1) + 1
    Downsample  Z[..., i] = A[..., k·i]:                  width W -> ⌈W / k⌉

Each is the other's adjoint: the backward of one is the forward of the other, except that
Downsample's backward must know the input width, since ⌈W / k⌉ does not determine W.
"""

from __future__ import annotations

import numpy as np


class Upsample1d:
    def __init__(self, upsampling_factor: int) -> None:
        self.upsampling_factor = upsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        k, (N, C, W) = self.upsampling_factor, A.shape
        Z = np.zeros((N, C, k * (W - 1) + 1))
        Z[..., ::k] = A
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return dLdZ[..., :: self.upsampling_factor]


class Downsample1d:
    def __init__(self, downsampling_factor: int) -> None:
        self.downsampling_factor = downsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.input_shape = A.shape
        return A[..., :: self.downsampling_factor]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        dLdA = np.zeros(self.input_shape)
        dLdA[..., :: self.downsampling_factor] = dLdZ
        return dLdA


class Upsample2d:
    def __init__(self, upsampling_factor: int) -> None:
        self.upsampling_factor = upsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        k, (N, C, H, W) = self.upsampling_factor, A.shape
        Z = np.zeros((N, C, k * (H - 1) + 1, k * (W - 1) + 1))
        Z[..., ::k, ::k] = A
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        k = self.upsampling_factor
        return dLdZ[..., ::k, ::k]


class Downsample2d:
    def __init__(self, downsampling_factor: int) -> None:
        self.downsampling_factor = downsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.input_shape = A.shape
        k = self.downsampling_factor
        return A[..., ::k, ::k]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        k = self.downsampling_factor
        dLdA = np.zeros(self.input_shape)
        dLdA[..., ::k, ::k] = dLdZ
        return dLdA
