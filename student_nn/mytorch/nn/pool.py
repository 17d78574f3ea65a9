"""Pooling of A (N, C, H, W) over K×K windows, each channel on its own.

Stride 1, Z (N, C, H − K + 1, W − K + 1):

    max   Z[n, c, y, x] = max_{a, b} A[n, c, y + a, x + b]
          dLdA: each window's dLdZ goes to the position of its maximum (the first one in
          row-major order, on a tie), summed where windows overlap
    mean  Z[n, c, y, x] = (1/K²) Σ_{a, b} A[n, c, y + a, x + b]
          dLdA[n, c, y, x] = (1/K²) Σ_{a, b} dLdZ[n, c, y − a, x − b]: a full correlation of dLdZ
          with a K×K kernel of ones (which needs no flip), i.e. window sums of dLdZ zero-padded
          by K − 1

With stride s (MaxPool2d, MeanPool2d): pool at stride 1, then keep every s-th row and column.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .resampling import Downsample2d


def windows(x: np.ndarray, K: int) -> np.ndarray:
    """Every K×K window of x (N, C, H, W): (N, C, H − K + 1, W − K + 1, K, K)."""
    return sliding_window_view(x, (K, K), axis=(2, 3))


class MaxPool2d_stride1:
    def __init__(self, kernel: int) -> None:
        self.kernel = kernel

    def forward(self, A: np.ndarray) -> np.ndarray:
        K = self.kernel
        self.input_shape = A.shape
        flat = windows(A, K).reshape(*A.shape[:2], A.shape[2] - K + 1, A.shape[3] - K + 1, K * K)
        self.argmax = flat.argmax(axis=-1)  # the window's row-major index a·K + b of its max
        return np.take_along_axis(flat, self.argmax[..., None], axis=-1)[..., 0]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        K = self.kernel
        H_out, W_out = dLdZ.shape[2:]
        dLdA = np.zeros(self.input_shape)
        for a in range(K):  # one strided slice-add per kernel tap (a, b)
            for b in range(K):
                dLdA[..., a : a + H_out, b : b + W_out] += dLdZ * (self.argmax == a * K + b)
        return dLdA


class MeanPool2d_stride1:
    def __init__(self, kernel: int) -> None:
        self.kernel = kernel

    def forward(self, A: np.ndarray) -> np.ndarray:
        return windows(A, self.kernel).mean(axis=(-2, -1))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        K = self.kernel
        dLdZp = np.pad(dLdZ, ((0, 0), (0, 0), (K - 1, K - 1), (K - 1, K - 1)))
        return windows(dLdZp, K).sum(axis=(-2, -1)) / K**2


class MaxPool2d:
    def __init__(self, kernel: int, stride: int) -> None:
        self.kernel, self.stride = kernel, stride
        self.maxpool2d_stride1 = MaxPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        return self.downsample2d.forward(self.maxpool2d_stride1.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return self.maxpool2d_stride1.backward(self.downsample2d.backward(dLdZ))


class MeanPool2d:
    def __init__(self, kernel: int, stride: int) -> None:
        self.kernel, self.stride = kernel, stride
        self.meanpool2d_stride1 = MeanPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        return self.downsample2d.forward(self.meanpool2d_stride1.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return self.meanpool2d_stride1.backward(self.downsample2d.backward(dLdZ))
