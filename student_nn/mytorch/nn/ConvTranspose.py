"""mytorch's transposed convolutions: upsample by k (zeros between samples), then a stride-1
convolution;  A (N, C_in, W) -> Z (N, C_out, k(W − 1) + 1 − K + 1), and likewise in 2-d.

This is the 11-785 handout's definition, not torch.nn.ConvTranspose: the kernel is applied to the
zero-inserted input without extra padding. Backward undoes the two steps in reverse order.
"""

from __future__ import annotations

import numpy as np

from .Conv1d import Conv1d_stride1
from .Conv2d import Conv2d_stride1
from .resampling import Upsample1d, Upsample2d


class ConvTranspose1d:
    def __init__(self, in_channels, out_channels, kernel_size, upsampling_factor,
                 weight_init_fn=None, bias_init_fn=None) -> None:
        self.upsampling_factor = upsampling_factor
        self.upsample1d = Upsample1d(upsampling_factor)
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)

    def forward(self, A: np.ndarray) -> np.ndarray:
        return self.conv1d_stride1.forward(self.upsample1d.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return self.upsample1d.backward(self.conv1d_stride1.backward(dLdZ))


class ConvTranspose2d:
    def __init__(self, in_channels, out_channels, kernel_size, upsampling_factor,
                 weight_init_fn=None, bias_init_fn=None) -> None:
        self.upsampling_factor = upsampling_factor
        self.upsample2d = Upsample2d(upsampling_factor)
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)

    def forward(self, A: np.ndarray) -> np.ndarray:
        return self.conv2d_stride1.forward(self.upsample2d.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return self.upsample2d.backward(self.conv2d_stride1.backward(dLdZ))
