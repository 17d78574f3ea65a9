"""1-d convolution (a cross-correlation: the kernel is not flipped) of A (N, C_in, W).

Conv1d_stride1, W (C_out, C_in, K), b (C_out,), Z (N, C_out, W − K + 1):

    Z[n, o, x]    = b[o] + Σ_{i, k} A[n, i, x + k] · W[o, i, k]

Backward, given dLdZ: every gradient is again a correlation,

    dLdW[o, i, k] = Σ_{n, x} A[n, i, x + k] · dLdZ[n, o, x]          (A with dLdZ as kernel)
    dLdb[o]       = Σ_{n, x} dLdZ[n, o, x]
    dLdA[n, i, y] = Σ_{o, k} dLdZ[n, o, y − k] · W[o, i, k]          (a full convolution:
                  = Σ_{o, j} dLdZp[n, o, y + j] · W[o, i, K − 1 − j]  dLdZ zero-padded by K − 1,
                                                                      against the flipped W)

Each Σ over a window is an einsum over sliding_window_view's windows.
Conv1d with stride s and padding p: zero-pad A by p, Conv1d_stride1, keep every s-th output
(Downsample1d); backward undoes the three steps in reverse order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .resampling import Downsample1d


def windows(x: np.ndarray, width: int) -> np.ndarray:
    """Every window of `width` along the last axis of x (N, C, W): (N, C, W − width + 1, width)."""
    return sliding_window_view(x, width, axis=2)


class Conv1d_stride1:
    def __init__(self, in_channels, out_channels, kernel_size,
                 weight_init_fn=None, bias_init_fn=None) -> None:
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = kernel_size
        if weight_init_fn is None:
            self.W = np.random.normal(0, 1.0, (out_channels, in_channels, kernel_size))
        else:
            self.W = weight_init_fn(out_channels, in_channels, kernel_size)
        self.b = np.zeros(out_channels) if bias_init_fn is None else bias_init_fn(out_channels)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.A = A
        Z = np.einsum("nixk,oik->nox", windows(A, self.kernel_size), self.W, optimize=True)
        return Z + self.b[:, None]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        K = self.kernel_size
        self.dLdW = np.einsum("nikx,nox->oik", windows(self.A, dLdZ.shape[2]), dLdZ,
                              optimize=True)
        self.dLdb = dLdZ.sum(axis=(0, 2))
        dLdZp = np.pad(dLdZ, ((0, 0), (0, 0), (K - 1, K - 1)))
        return np.einsum("noyj,oij->niy", windows(dLdZp, K), self.W[:, :, ::-1], optimize=True)


class Conv1d:
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding=0,
                 weight_init_fn=None, bias_init_fn=None) -> None:
        self.stride, self.pad = stride, padding
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)
        self.downsample1d = Downsample1d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        p = self.pad
        Ap = np.pad(A, ((0, 0), (0, 0), (p, p)))
        return self.downsample1d.forward(self.conv1d_stride1.forward(Ap))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        dLdAp = self.conv1d_stride1.backward(self.downsample1d.backward(dLdZ))
        return dLdAp[..., self.pad : dLdAp.shape[2] - self.pad]
