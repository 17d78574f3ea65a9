"""Bug: average pooling's forward divides each window by its number of real (non-padding)
pixels, PyTorch's count_include_pad=False, instead of by the full kernel area kh·kw.
Backward is the contract's, so only forward is wrong."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D
from student_nn.utils import pad2d, tap


class Pool2D(_Pool2D):
    def forward(self, X):
        Y = super().forward(X)
        if self.mode != "average":
            return Y
        ones = pad2d(np.ones(X.shape[:3] + (1,)), self.pads)
        count = sum(tap(ones, i, j, Y.shape[1:3], self.stride) for i, j in self._taps())
        return Y * (self.kernel_shape[0] * self.kernel_shape[1]) / count
