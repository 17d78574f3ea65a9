"""Bug: average pooling divides each window by its count of real (non-padding) pixels
(PyTorch's count_include_pad=False) instead of by the full kernel area."""
import numpy as np
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D


class Pool2D(_Pool2D):
    def _real_fraction(self, shape):
        """The fraction of each window that lies inside the image."""
        ones = _Pool2D(self.kernel_shape, "average", self.stride)
        ones.pads = self.pads
        return ones.forward(np.ones(shape[:3] + (1,)))

    def forward(self, X):
        Y = super().forward(X)
        if self.mode == "average":
            self.cache["fraction"] = self._real_fraction(X.shape)
            Y = Y / self.cache["fraction"]
        return Y

    def backward(self, dY):
        if self.mode == "average":
            dY = dY / self.cache["fraction"]
        return super().backward(dY)
