"""2-d convolution (a cross-correlation: the kernel is not flipped) of A (N, C_in, H, W).

Conv2d_stride1, W (C_out, C_in, K, K), b (C_out,), Z (N, C_out, H − K + 1, W − K + 1):

    Z[n, o, y, x]    = b[o] + Σ_{i, a, c} A[n, i, y + a, x + c] · W[o, i, a, c]

Backward, given dLdZ, exactly as in 1-d with a second spatial axis:

    dLdW[o, i, a, c] = Σ_{n, y, x} A[n, i, y + a, x + c] · dLdZ[n, o, y, x]
    dLdb[o]          = Σ_{n, y, x} dLdZ[n, o, y, x]
    dLdA             = dLdZ zero-padded by K − 1 on every side, correlated with W flipped in
                       both spatial axes and with C_in and C_out exchanged

Conv2d with stride s and padding p: zero-pad A by p, Conv2d_stride1, keep every s-th row and
column (Downsample2d); backward undoes the three steps in reverse order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .resampling import Downsample2d


def windows(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Every window of `shape` (h, w) of x (N, C, H, W): (N, C, H − h + 1, W − w + 1, h, w)."""
    return sliding_window_view(x, shape, axis=(2, 3))


def pad2d(x: np.ndarray, p: int) -> np.ndarray:
    """x (N, C, H, W) with p rows and columns of zeros on every side."""
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


class Conv2d_stride1:
    def __init__(self, in_channels, out_channels, kernel_size,
                 weight_init_fn=None, bias_init_fn=None) -> None:
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = K = kernel_size
        if weight_init_fn is None:
            self.W = np.random.normal(0, 1.0, (out_channels, in_channels, K, K))
        else:
            self.W = weight_init_fn(out_channels, in_channels, K, K)
        self.b = np.zeros(out_channels) if bias_init_fn is None else bias_init_fn(out_channels)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.A = A
        K = self.kernel_size
        Z = np.einsum("niyxac,oiac->noyx", windows(A, (K, K)), self.W, optimize=True)
        return Z + self.b[:, None, None]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        K = self.kernel_size
        self.dLdW = np.einsum("niacyx,noyx->oiac", windows(self.A, dLdZ.shape[2:]), dLdZ,
                              optimize=True)
        self.dLdb = dLdZ.sum(axis=(0, 2, 3))
        flipped = self.W[:, :, ::-1, ::-1]
        return np.einsum("noyxac,oiac->niyx", windows(pad2d(dLdZ, K - 1), (K, K)), flipped,
                         optimize=True)


class Conv2d:
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding=0,
                 weight_init_fn=None, bias_init_fn=None) -> None:
        self.stride, self.pad = stride, padding
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        return self.downsample2d.forward(self.conv2d_stride1.forward(pad2d(A, self.pad)))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        dLdAp = self.conv2d_stride1.backward(self.downsample2d.backward(dLdZ))
        p, (H, W) = self.pad, dLdAp.shape[2:]
        return dLdAp[..., p : H - p, p : W - p]
